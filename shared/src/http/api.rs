//! The responder API: who the caller is, and the severity, acknowledgement
//! and obligation writes.

use super::commands::{Acknowledge, OverrideSeverity, RecordObligation};
use super::{ApiError, json_response};
use crate::app::App;
use crate::app::escalate::{self, AckError};
use crate::app::respond;
use crate::domain::{Caller, Role};
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

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
        if caller.role < need {
            return Err(ApiError::Forbidden);
        }
        return Ok(caller.clone());
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
    if caller.role < need {
        return Err(ApiError::Forbidden);
    }
    Ok(caller.clone())
}

/// `POST /api/v1/incidents/{id}/severity`: a commander sets the severity, with a reason.
pub async fn override_severity(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
    let cmd = OverrideSeverity::parse(req)?;
    let reason = cmd.reason.as_str();
    let incident = respond::override_severity(app, &caller, key, cmd.severity, reason).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}

impl From<AckError> for ApiError {
    fn from(e: AckError) -> Self {
        match e {
            AckError::NotFound(_) => Self::NotFound("incident not found".into()),
            AckError::Refused(r) => Self::Conflict(r.to_string()),
            AckError::Store(e) => e.into(),
        }
    }
}

/// `POST /api/v1/incidents/{id}/ack`: stops paging. `{id}` may be the
/// reference. Acknowledging twice is harmless.
pub async fn acknowledge(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    if caller.tenants.is_some() {
        // Scoped callers may only act on their tenants' incidents.
        respond::visible(app, &caller, key).await?;
    }
    let cmd = Acknowledge::parse(req)?;
    let acked = escalate::acknowledge(app, key, &caller.name, "api", cmd.note.as_str()).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": acked.incident, "acknowledged": acked.changed }),
    ))
}

/// `POST /api/v1/incidents/{id}/obligations`: a status update posted, a
/// notification sent, the Atlassian report filed, the customer notice sent,
/// the fix released or the review done, with its reference and time. Stops
/// that deadline's clock.
pub async fn record_obligation(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    let cmd = RecordObligation::parse(req)?;
    let incident =
        respond::record_obligation(app, &caller, key, cmd.kind, &cmd.note, cmd.at).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}
