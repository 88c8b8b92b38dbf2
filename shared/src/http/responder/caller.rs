//! Who is calling: the caller the transport verified, or the one behind a
//! bearer token from configuration.

use crate::app::App;
use crate::domain::{Caller, Role};
use crate::http::ApiError;
use bytes::Bytes;
use http::{Request, header};

/// The caller behind the bearer token, if its role is at least `need`.
pub fn authorize(app: &App, req: &Request<Bytes>, need: Role) -> Result<Caller, ApiError> {
    let unauthorized = || {
        ApiError::Unauthorized(
            "send an Authorization: Bearer <token> header with a valid API token".into(),
        )
    };
    // Behind API Gateway's JWT authorizer the transport has already verified
    // the caller and put it on the request; no bearer token is checked then.
    if let Some(caller) = req.extensions().get::<Caller>() {
        return permit(caller, need).cloned();
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or_else(unauthorized)?;
    let caller = app
        .settings
        .api_tokens
        .authenticate(token)
        .ok_or_else(unauthorized)?;
    permit(caller, need).cloned()
}

/// The caller, if their role is at least `need`: the one check of a role,
/// whoever signed them in (a token, a verified JWT, a console session).
pub fn permit(caller: &Caller, need: Role) -> Result<&Caller, ApiError> {
    if caller.role < need {
        return Err(ApiError::Forbidden);
    }
    Ok(caller)
}
