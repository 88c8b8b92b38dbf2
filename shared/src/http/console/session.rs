//! Sign-in and the session: an API token posted once opens a session
//! (`app::session`), whose id goes to the browser in a cookie (HttpOnly,
//! SameSite=Strict, Secure over https, for the session's life) and is
//! stored only as its digest. Every post is checked twice: it must come
//! from this origin (`Sec-Fetch-Site`, else `Origin`), and carry the form
//! token (the session's, derived from its id; before sign-in, a random
//! one doubled in a cookie).

use super::Signed;
use super::page::{Nope, redirect, render};
use crate::app::App;
use crate::app::session::{self as sessions, SignInError};
use crate::domain::session::{SESSION_TTL, SessionId};
use crate::http::{ApiError, ClientIp, MAX_BODY, header_str, media_type};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::context;
use subtle::ConstantTimeEq;

/// The session cookie.
pub(super) const SESSION_COOKIE: &str = "klaxon_session";
/// The sign-in form's doubled token, before any session exists.
const SIGN_IN_COOKIE: &str = "klaxon_sign_in";
/// The form field every post carries its token in.
pub(super) const TOKEN_FIELD: &str = "_csrf";

/// A cookie's value from the request's `Cookie` headers.
pub(super) fn cookie<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether the browser reached us over https (directly, or as API
/// Gateway tells the function).
pub(super) fn over_https(req: &Request<Bytes>) -> bool {
    req.uri().scheme_str() == Some("https")
        || header_str(req, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for the console's path.
pub(super) fn set_cookie(
    req: &Request<Bytes>,
    name: &str,
    value: &str,
    max_age: i64,
) -> Option<HeaderValue> {
    let secure = if over_https(req) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The signed-in browser, if its cookie names a live session.
pub(super) async fn signed(app: &App, req: &Request<Bytes>) -> Result<Option<Signed>, Nope> {
    let Some(id) = cookie(req, SESSION_COOKIE).and_then(SessionId::parse) else {
        return Ok(None);
    };
    let session = sessions::current(app, &id).await.map_err(ApiError::from)?;
    Ok(session.map(|s| Signed {
        id,
        caller: s.caller,
    }))
}

/// The signed-in browser, or [`Nope::SignedOut`].
pub(super) async fn require(app: &App, req: &Request<Bytes>) -> Result<Signed, Nope> {
    signed(app, req).await?.ok_or(Nope::SignedOut)
}

/// Refuses a post from another site. Browsers send `Sec-Fetch-Site`; older
/// ones `Origin`, which must name this host. A client that sends neither is
/// no browser another site can drive, and the form token still applies.
fn same_origin(req: &Request<Bytes>) -> Result<(), Nope> {
    if let Some(site) = header_str(req, "sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            _ => Err(Nope::CrossSite),
        };
    }
    let Some(origin) = header_str(req, "origin") else {
        return Ok(());
    };
    let host = header_str(req, "host").or_else(|| req.uri().authority().map(|a| a.as_str()));
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(Nope::CrossSite),
    }
}

/// A post's form body, after the origin and size checks.
pub(super) fn form_body(req: &Request<Bytes>) -> Result<&[u8], Nope> {
    same_origin(req)?;
    if req.body().len() > MAX_BODY {
        return Err(Nope::TooLarge);
    }
    if media_type(req) != "application/x-www-form-urlencoded" {
        return Err(Nope::Api(ApiError::UnsupportedMediaType(
            "application/x-www-form-urlencoded",
        )));
    }
    Ok(req.body())
}

/// One field of a form body.
pub(super) fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A signed-in post: the origin, the size and the session's form token
/// checked. Returns the session and the body.
pub(super) async fn signed_post<'a>(
    app: &App,
    req: &'a Request<Bytes>,
) -> Result<(Signed, &'a [u8]), Nope> {
    let body = form_body(req)?;
    let signed = require(app, req).await?;
    let sent = field(body, TOKEN_FIELD).unwrap_or_default();
    if !signed.id.form_token_matches(&sent) {
        return Err(Nope::FormToken);
    }
    Ok((signed, body))
}

/// `GET /console/sign-in`: the form, with a fresh doubled token.
pub(super) fn form(app: &App, req: &Request<Bytes>, error: Option<&str>) -> Response<Bytes> {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    page(app, req, status, error, false)
}

/// The sign-in page: the provider's button when one is configured, the
/// token form unless turned off, an error if any, or (`done`) the note that
/// the browser is signed in and moves on to the console.
pub(super) fn page(
    app: &App,
    req: &Request<Bytes>,
    status: StatusCode,
    error: Option<&str>,
    done: bool,
) -> Response<Bytes> {
    let oidc = app.settings.oidc.as_ref();
    let provider = oidc.map(|o| o.name.as_str());
    let token_form = oidc.is_none_or(|o| o.token_sign_in) && !done;
    let token = SessionId::random();
    let mut resp = render(
        "console/sign_in.html",
        status,
        None,
        context! {
            sign_in_token => token.as_str(), error, hours => SESSION_TTL.num_hours(),
            provider, token_form, done,
        },
    );
    if token_form && let Some(v) = set_cookie(req, SIGN_IN_COOKIE, token.as_str(), 3600) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /console/sign-in`: an API token for a session. The token is
/// checked as the API checks it, then forgotten.
pub(super) async fn sign_in(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, Nope> {
    let body = form_body(req)?;
    let doubled = cookie(req, SIGN_IN_COOKIE).unwrap_or("");
    let sent = field(body, TOKEN_FIELD).unwrap_or_default();
    if doubled.is_empty() || !bool::from(doubled.as_bytes().ct_eq(sent.as_bytes())) {
        return Err(Nope::FormToken);
    }
    if app.settings.oidc.as_ref().is_some_and(|o| !o.token_sign_in) {
        return Ok(form(
            app,
            req,
            Some("Sign-in with an API token is turned off here."),
        ));
    }
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>()
        && let Err(wait) = app.sign_in_limiter.check(*ip)
    {
        tracing::warn!(%ip, "console sign-in attempts over the limit");
        let message = format!("Too many sign-in attempts from here; try again in {wait} s.");
        let mut resp = form(app, req, Some(&message));
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(resp);
    }
    let token = field(body, "token").unwrap_or_default();
    let (id, _) = match sessions::sign_in(app, token.trim()).await {
        Ok(opened) => opened,
        Err(SignInError::UnknownToken) => {
            tracing::info!("console sign-in refused: unknown token");
            return Ok(form(app, req, Some("That API token is not valid here.")));
        }
        Err(SignInError::Store(e)) => return Err(ApiError::from(e).into()),
    };
    let mut resp = redirect("/console");
    let h = resp.headers_mut();
    if let Some(v) = set_cookie(req, SESSION_COOKIE, id.as_str(), SESSION_TTL.num_seconds()) {
        h.append(header::SET_COOKIE, v);
    }
    if let Some(v) = set_cookie(req, SIGN_IN_COOKIE, "", 0) {
        h.append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `POST /console/sign-out`: ends the session and clears its cookie.
pub(super) async fn sign_out(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, Nope> {
    let (signed, _) = signed_post(app, req).await?;
    sessions::sign_out(app, &signed.id)
        .await
        .map_err(ApiError::from)?;
    let mut resp = redirect("/console/sign-in");
    if let Some(v) = set_cookie(req, SESSION_COOKIE, "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
