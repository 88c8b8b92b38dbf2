//! How the console answers: a page with the headers every page gets, a
//! redirect after a post, and one refusal type ([`Nope`]) that picks the
//! status and the page for every handler.

use super::Signed;
use crate::http::{ApiError, html};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::{Value, context};

/// Why a console request was not answered with its page.
#[derive(Debug)]
pub(super) enum Nope {
    /// A use case's or a command's refusal, as the API would give it.
    Api(ApiError),
    NotFound,
    /// The path takes other methods: these (for `Allow`).
    Method(&'static str),
    /// No live session: a page asked for redirects to sign-in.
    SignedOut,
    /// A post from another site (its `Origin` or `Sec-Fetch-Site`).
    CrossSite,
    /// A post without this session's form token.
    FormToken,
    TooLarge,
}

impl From<ApiError> for Nope {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl Nope {
    fn status(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status(),
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Method(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::SignedOut => StatusCode::SEE_OTHER,
            Self::CrossSite | Self::FormToken => StatusCode::FORBIDDEN,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The heading and what the page says; `echo` holds the request's own
    /// values, kept out of it as the API keeps them out of its refusals.
    fn heading_and_message(&self, echo: &[String]) -> (&'static str, String) {
        match self {
            Self::Api(ApiError::Forbidden) => (
                "Not allowed",
                "Your role may not do this. Nothing was changed.".into(),
            ),
            Self::Api(ApiError::NotFound(_)) | Self::NotFound => {
                ("Not found", "There is no such page or incident.".into())
            }
            Self::Api(e) if e.status().is_server_error() => (
                "Try again",
                format!("{}. Nothing was changed.", e.message()),
            ),
            Self::Api(e) => ("That was refused", said_with(e, echo)),
            Self::Method(_) => ("Not allowed", "This page does not take that method.".into()),
            Self::SignedOut => ("Sign in", "Sign in to continue.".into()),
            Self::CrossSite => (
                "Refused",
                "This form was sent from another site, so it was refused. Nothing was changed."
                    .into(),
            ),
            Self::FormToken => (
                "Refused",
                "This form is out of date or was not sent from the console (its form token is missing or wrong). Reload the page and try again."
                    .into(),
            ),
            Self::TooLarge => (
                "Too large",
                format!("The form is larger than {} bytes.", crate::http::MAX_BODY),
            ),
        }
    }

    /// Client refusals are logged as the API logs them: the rule, no values.
    pub(super) fn log(&self, echo: &[String]) {
        let status = self.status();
        let (_, message) = self.heading_and_message(echo);
        if status.is_client_error() {
            tracing::info!(status = status.as_u16(), reason = %message, "console request refused");
        }
    }
}

/// The page for a refusal; a signed-out browser goes to sign-in instead.
pub(super) fn refusal(nope: Nope, signed: Option<&Signed>, echo: &[String]) -> Response<Bytes> {
    if matches!(nope, Nope::SignedOut) {
        return redirect("/console/sign-in");
    }
    let status = nope.status();
    let (heading, message) = nope.heading_and_message(echo);
    let mut resp = render(
        "console/error.html",
        status,
        signed,
        context! { heading, message },
    );
    if let Nope::Method(allow) = nope {
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    resp
}

/// The request's own values (path, query, headers, form fields), which no
/// refusal repeats.
pub(super) fn echo_of(req: &Request<Bytes>) -> Vec<String> {
    crate::http::echo(req.uri(), req.headers(), req.body())
}

fn said_with(e: &ApiError, echo: &[String]) -> String {
    crate::http::public_text(&e.raw_message(), echo)
}

/// A refusal's message as the API would give it to this request: the field
/// and the rule, never the request's values.
pub(super) fn said(e: &ApiError, req: &Request<Bytes>) -> String {
    said_with(e, &echo_of(req))
}

/// The console's policy: the report form's, plus its own script (no
/// inline script) and the list's refresh from this origin.
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A console page: the template with who is signed in and the form token.
pub(super) fn render(
    name: &str,
    status: StatusCode,
    signed: Option<&Signed>,
    ctx: Value,
) -> Response<Bytes> {
    let signed_in = signed.map(|s| {
        context! { name => s.caller.name.as_str(), role => s.caller.role.as_str() }
    });
    let csrf = signed.map(Signed::form_token);
    let ctx = context! { signed_in, csrf, ..ctx };
    match html::render_console(name, ctx) {
        Ok(body) => {
            let mut resp = html::response(status, body);
            resp.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// 303 See Other: after a post, the browser fetches the page afresh.
pub(super) fn redirect(location: &str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A record as the templates read it. Through `serde_json::Value`, the
/// form the API already serialises every record to, so the console adds
/// one serializer for all of them rather than one per record type.
pub(super) fn value<T: serde::Serialize>(v: &T) -> Value {
    Value::from_serialize(serde_json::to_value(v).unwrap_or_default())
}
