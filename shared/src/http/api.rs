//! The responder API: bearer-authenticated reads (and, later, writes).

use super::{ApiError, json_response};
use crate::app::App;
use crate::app::escalate::{self, AckError};
use crate::domain::{Caller, DeadlineKind, Role};
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
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
    let body: OverrideBody = json_body(req, "{\"severity\": \"SEV-2\", \"reason\": \"...\"}")?;
    let severity: crate::domain::Severity =
        body.severity
            .parse()
            .map_err(|e: crate::domain::UnknownSeverity| ApiError::BadRequest {
                code: "invalid_severity",
                message: e.to_string(),
            })?;
    super::respond::at_most("reason", Some(&body.reason), 2000)?;
    let reason = clean(body.reason.trim());
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::BadRequest {
            code: "invalid_reason",
            message: "reason is required (at most 2000 characters)".into(),
        });
    }
    let incident =
        crate::app::respond::override_severity(app, &caller, key, severity, &reason).await?;
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
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    if caller.tenants.is_some() {
        // Scoped callers may only act on their tenants' incidents.
        crate::app::respond::visible(app, &caller, key).await?;
    }
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
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    req: &Request<Bytes>,
    example: &str,
) -> Result<T, ApiError> {
    if super::media_type(req) != "application/json" {
        return Err(ApiError::UnsupportedMediaType("application/json"));
    }
    if req.body().len() > super::MAX_BODY {
        return Err(ApiError::PayloadTooLarge(super::MAX_BODY));
    }
    // serde reads a struct from a JSON array too (`["SEV-2", "why"]`); the
    // API takes objects only.
    if !starts_object(req.body()) {
        return Err(ApiError::BadRequest {
            code: "malformed_json",
            message: format!("send a JSON object: {example}"),
        });
    }
    serde_json::from_slice(req.body()).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("send {example}: {e}"),
    })
}

/// Whether a JSON body is an object (its first non-blank byte is `{`).
pub(crate) fn starts_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Free text from a caller, redacted before it is stored or logged.
pub(crate) fn clean(s: &str) -> String {
    crate::domain::redact::redact(s).text.into_owned()
}

/// A free-text note, redacted, at most 2000 characters.
fn note_text(raw: &str) -> Result<String, ApiError> {
    super::respond::at_most("note", Some(raw), 2000)?;
    let note = clean(raw.trim());
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
    /// The ticket, message id or release: `ECOHELP-1234`, `v0.4.2-patch1`.
    #[serde(default)]
    reference: Option<String>,
    /// When it was met, if not now (RFC 3339, not in the future).
    #[serde(default)]
    at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /api/v1/incidents/{id}/obligations`: a status update posted, a
/// notification sent, the Atlassian report filed, the customer notice sent,
/// the fix released or the review done, with its reference and time. Stops
/// that deadline's clock.
pub async fn record_obligation(
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    let body: ObligationBody = json_body(
        req,
        "{\"kind\": \"atlassian_report\", \"reference\": \"ECOHELP-1234\", \"note\": \"...\"}",
    )?;
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
    super::respond::at_most("reference", body.reference.as_deref(), 200)?;
    let mut note = note_text(&body.note)?;
    if let Some(r) = body
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        let r = note_text(r)?;
        if r.chars().count() > 200 {
            return Err(ApiError::BadRequest {
                code: "invalid_reference",
                message: "reference must be at most 200 characters".into(),
            });
        }
        note = if note.is_empty() {
            format!("reference {r}")
        } else {
            format!("reference {r}; {note}")
        };
    }
    let incident =
        crate::app::respond::record_obligation(app, &caller, key, kind, &note, body.at).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}
