//! Sign-in through the OpenID provider: `GET /console/oidc/start` sends the
//! browser to the provider; `GET /console/oidc/callback` is where it comes
//! back. The sign-in under way rides in its own cookie (HttpOnly, Lax so
//! the provider's redirect carries it, only on `/console/oidc`, ten
//! minutes), cleared at the callback whatever happens, so a `state` is
//! good once. A refusal is the sign-in page saying which step failed; it
//! repeats no code, token or state, and neither does the log.

use super::page::{Nope, redirect};
use super::session;
use crate::app::App;
use crate::app::oidc::{self, Callback, OidcError, pending::PENDING_TTL};
use crate::domain::session::SESSION_TTL;
use crate::ports::IdentityError;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};

/// The cookie a sign-in under way rides in.
const PENDING_COOKIE: &str = "klaxon_oidc";
const CALLBACK: &str = "/console/oidc/callback";

/// Serves `/console/oidc/{rest}`.
pub(super) async fn serve(
    app: &App,
    req: &Request<Bytes>,
    rest: &[&str],
) -> Result<Response<Bytes>, Nope> {
    let get = req.method() == http::Method::GET || req.method() == http::Method::HEAD;
    match rest {
        ["start"] if get => Ok(start(app, req).await),
        ["callback"] if get => Ok(callback(app, req).await),
        ["start"] | ["callback"] => Err(Nope::Method("GET, HEAD")),
        _ => Err(Nope::NotFound),
    }
}

fn redirect_uri(app: &App, req: &Request<Bytes>) -> String {
    format!(
        "{}{CALLBACK}",
        crate::http::public_base(app, req).unwrap_or_default()
    )
}

fn pending_cookie(req: &Request<Bytes>, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if session::over_https(req) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{PENDING_COOKIE}={value}; Path=/console/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

async fn start(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    match oidc::start(app, &redirect_uri(app, req)).await {
        Ok(started) => {
            let mut resp = redirect(&started.location);
            if let Some(v) =
                pending_cookie(req, &started.pending.cookie(), PENDING_TTL.num_seconds())
            {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => refused(app, req, &e),
    }
}

async fn callback(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    let query = req.uri().query().unwrap_or("");
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (state, code, error) = (param("state"), param("code"), param("error"));
    let back = Callback {
        cookie: session::cookie(req, PENDING_COOKIE),
        state: state.as_deref(),
        code: code.as_deref(),
        error: error.as_deref(),
    };
    let mut resp = match oidc::finish(app, back, &redirect_uri(app, req)).await {
        Ok((id, _)) => {
            // The session cookie is SameSite=Strict, so a browser that came
            // here from the provider's site would not send it on a redirect
            // chain that began there: a page of our own moves it on instead.
            let mut resp = session::page(app, req, StatusCode::OK, None, true);
            resp.headers_mut()
                .insert("refresh", HeaderValue::from_static("0; url=/console"));
            if let Some(v) = session::set_cookie(
                req,
                session::SESSION_COOKIE,
                id.as_str(),
                SESSION_TTL.num_seconds(),
            ) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => refused(app, req, &e),
    };
    if let Some(v) = pending_cookie(req, "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The status and what the sign-in page says for each failed step.
fn said(e: &OidcError) -> (StatusCode, &'static str) {
    match e {
        OidcError::NotConfigured => (
            StatusCode::NOT_FOUND,
            "Sign-in through an identity provider is not configured here.",
        ),
        OidcError::NoSignIn => (
            StatusCode::BAD_REQUEST,
            "This sign-in has expired or was already used. Start again.",
        ),
        OidcError::State => (
            StatusCode::BAD_REQUEST,
            "This sign-in did not start in this browser (its state does not match). Start again.",
        ),
        OidcError::Denied(_) => (
            StatusCode::UNAUTHORIZED,
            "The identity provider did not sign you in.",
        ),
        OidcError::NoCode => (
            StatusCode::BAD_REQUEST,
            "The identity provider sent no authorization code. Start again.",
        ),
        OidcError::Provider(IdentityError::Refused(_)) => (
            StatusCode::UNAUTHORIZED,
            "The identity provider refused to complete the sign-in (the code may have been used already). Start again.",
        ),
        OidcError::Provider(_) | OidcError::Discovery(_) => (
            StatusCode::BAD_GATEWAY,
            "The identity provider could not be reached or gave an unusable answer. Try again shortly.",
        ),
        OidcError::NoIdToken | OidcError::Token(_) => (
            StatusCode::UNAUTHORIZED,
            "The identity provider's ID token did not pass its checks, so you are not signed in.",
        ),
        OidcError::NoRole => (
            StatusCode::FORBIDDEN,
            "Your account has no Klaxon role. Ask an administrator to grant one.",
        ),
        OidcError::Store(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The session could not be opened. Try again.",
        ),
    }
}

fn refused(app: &App, req: &Request<Bytes>, e: &OidcError) -> Response<Bytes> {
    let (status, message) = said(e);
    // The error's own text names the step and rule; it holds no request value.
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), reason = %e, "console sign-in failed");
    } else {
        tracing::info!(status = status.as_u16(), reason = %e, "console sign-in refused");
    }
    session::page(app, req, status, Some(message), false)
}
