//! The responder API: bearer-authenticated reads (and, later, writes).

use super::{ApiError, json_response};
use crate::app::App;
use crate::app::escalate::{self, AckError};
use crate::config::{Caller, Role};
use crate::domain::{DeadlineKind, IncidentId, Status, UnknownStatus};
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use serde_json::json;

/// The caller behind the bearer token, if its role is at least `need`.
pub fn authorize(app: &App, req: &Request<Bytes>, need: Role) -> Result<Caller, ApiError> {
    let unauthorized = || {
        ApiError::Unauthorized(
            "send an Authorization: Bearer <token> header with a valid API token".into(),
        )
    };
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

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    severity: String,
    reason: String,
}

/// `POST /api/v1/incidents/{id}/severity`: a commander sets the severity, with a reason.
pub async fn override_severity(
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    id: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
    let not_found = || ApiError::NotFound(format!("incident {id} not found"));
    let id: IncidentId = id.parse().map_err(|_| not_found())?;
    let body: OverrideBody = json_body(req, "{\"severity\": \"SEV-2\", \"reason\": \"...\"}")?;
    let severity: crate::domain::Severity =
        body.severity
            .parse()
            .map_err(|e: crate::domain::UnknownSeverity| ApiError::BadRequest {
                code: "invalid_severity",
                message: e.to_string(),
            })?;
    let reason = crate::domain::redact::redact(body.reason.trim())
        .text
        .into_owned();
    if reason.is_empty() || reason.len() > 2000 {
        return Err(ApiError::BadRequest {
            code: "invalid_reason",
            message: "reason is required (at most 2000 characters)".into(),
        });
    }
    if app.store.get(id).await?.is_none() {
        return Err(not_found());
    }
    let incident =
        crate::app::assess::override_severity(app, id, severity, &reason, &caller.name).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}

impl From<AckError> for ApiError {
    fn from(e: AckError) -> Self {
        match e {
            AckError::NotFound(key) => Self::NotFound(format!("incident {key} not found")),
            AckError::Refused(r) => Self::Conflict(r.to_string()),
            AckError::Store(e) => e.into(),
        }
    }
}

/// `POST /api/v1/incidents/{id}/ack`: stops paging. `{id}` may be the
/// reference. Acknowledging twice is harmless.
pub async fn acknowledge(
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    // The body is optional: `{"note": "..."}` goes on the timeline.
    let note = if req.body().iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        let body: AckBody = json_body(req, "{\"note\": \"on it\"} or no body")?;
        note_text(&body.note)?
    };
    let acked = escalate::acknowledge(app, key, &caller.name, "api", &note).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": acked.incident, "acknowledged": acked.changed }),
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AckBody {
    #[serde(default)]
    note: String,
}

/// A JSON body within the size limit, or the error that says how to fix it.
fn json_body<T: serde::de::DeserializeOwned>(
    req: &Request<Bytes>,
    example: &str,
) -> Result<T, ApiError> {
    if super::media_type(req) != "application/json" {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    if req.body().len() > super::MAX_BODY {
        return Err(ApiError::PayloadTooLarge(super::MAX_BODY));
    }
    serde_json::from_slice(req.body()).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("send {example}: {e}"),
    })
}

/// A free-text note, redacted, at most 2000 characters.
fn note_text(raw: &str) -> Result<String, ApiError> {
    let note = crate::domain::redact::redact(raw.trim()).text.into_owned();
    if note.chars().count() > 2000 {
        return Err(ApiError::BadRequest {
            code: "invalid_note",
            message: "note must be at most 2000 characters".into(),
        });
    }
    Ok(note)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ObligationBody {
    kind: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/incidents/{id}/obligations`: a status update posted, a
/// notification sent, the Atlassian report filed, the customer notice sent,
/// the fix released or the review done. Stops that deadline's clock.
pub async fn record_obligation(
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    let body: ObligationBody = json_body(req, "{\"kind\": \"status_update\", \"note\": \"...\"}")?;
    let kind: DeadlineKind = body.kind.parse().map_err(|message| ApiError::BadRequest {
        code: "invalid_kind",
        message,
    })?;
    if matches!(
        kind,
        DeadlineKind::Acknowledge | DeadlineKind::ResponseTarget
    ) {
        return Err(ApiError::BadRequest {
            code: "invalid_kind",
            message: format!("{kind} is met by acknowledging: POST /api/v1/incidents/{{id}}/ack"),
        });
    }
    let note = note_text(&body.note)?;
    let incident = escalate::meet(app, key, kind, &caller.name, &note).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}

pub async fn get_incident(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let not_found = || ApiError::NotFound(format!("incident {key} not found"));
    let incident = escalate::find(app, key).await?.ok_or_else(not_found)?;
    let timeline = app.store.timeline(incident.id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"incident": incident, "timeline": timeline}),
    ))
}

pub async fn list_incidents(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let mut status = Status::Triaged;
    let mut limit = 50usize;
    for pair in req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "status" => {
                status = v.parse().map_err(|e: UnknownStatus| ApiError::BadRequest {
                    code: "invalid_status",
                    message: e.to_string(),
                })?
            }
            "limit" => {
                limit = v.parse().ok().filter(|n| (1..=200).contains(n)).ok_or(
                    ApiError::BadRequest {
                        code: "invalid_limit",
                        message: "limit must be a number from 1 to 200".into(),
                    },
                )?
            }
            _ => {}
        }
    }
    let incidents = app.store.list_by_status(status, limit).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incidents": incidents }),
    ))
}
