//! The responder API's writes: severity, acknowledgement, obligations,
//! lifecycle, roles, notes, evidence, tasks, retention, deletion and drills.
//! Each reads authorize -> parse -> call -> render.

use super::caller::authorize;
use super::commands::{
    Acknowledge, AddEvidence, AddNote, AddTask, AssignRole, LegalHold, OverrideSeverity,
    RecordObligation, SetStatus, SettleTask, StartDrill,
};
use crate::app::App;
use crate::app::escalate;
use crate::app::respond;
use crate::domain::Role;
use crate::http::{ApiError, json_response};
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

fn incident_response(incident: &crate::domain::Incident) -> Response<Bytes> {
    json_response(StatusCode::OK, &json!({ "incident": incident }))
}

/// `POST /api/v1/incidents/{id}/severity`: a commander sets the severity, with a reason.
pub async fn override_severity(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, OverrideSeverity::NEED)?;
    let cmd = OverrideSeverity::parse(req)?;
    let reason = cmd.reason.as_str();
    let incident = respond::override_severity(app, &caller, key, cmd.severity, reason).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}

/// `POST /api/v1/incidents/{id}/ack`: stops paging. `{id}` may be the
/// reference. Acknowledging twice is harmless.
pub async fn acknowledge(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Acknowledge::NEED)?;
    let cmd = Acknowledge::parse(req)?;
    let acked = escalate::acknowledge(app, &caller, key, "api", cmd.note.as_str()).await?;
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
    let caller = authorize(app, req, RecordObligation::NEED)?;
    let cmd = RecordObligation::parse(req)?;
    let incident =
        respond::record_obligation(app, &caller, key, cmd.kind, &cmd.note, cmd.at).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incident": incident }),
    ))
}

/// `POST /api/v1/incidents/{id}/status`: moves the lifecycle on, with what
/// each step needs (`containment`; `root_cause` or `unknown` + `rationale`;
/// every closure item settled).
pub async fn set_status(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, SetStatus::NEED)?;
    let cmd = SetStatus::parse(req)?;
    let incident = respond::set_status(app, &caller, key, cmd.to, &cmd.fields).await?;
    Ok(incident_response(&incident))
}

/// `POST /api/v1/incidents/{id}/roles`: assigns, reassigns or clears a role.
pub async fn assign_role(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, AssignRole::NEED)?;
    let cmd = AssignRole::parse(req)?;
    let person = cmd.person.as_ref().map(|p| p.as_str());
    let incident = respond::assign_role(app, &caller, key, cmd.role, person).await?;
    Ok(incident_response(&incident))
}

/// `POST /api/v1/incidents/{id}/notes`: a timeline note, marked `fact`
/// (confirmed) or `hypothesis`.
pub async fn add_note(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, AddNote::NEED)?;
    let cmd = AddNote::parse(req)?;
    let incident = respond::add_note(app, &caller, key, cmd.basis, cmd.text.as_str()).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "incident": incident }),
    ))
}

/// `POST /api/v1/incidents/{id}/evidence`: a reference to evidence kept
/// elsewhere, with its SHA-256.
pub async fn add_evidence(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, AddEvidence::NEED)?;
    let AddEvidence(input) = AddEvidence::parse(req)?;
    let incident = respond::add_evidence(app, &caller, key, &input).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "incident": incident, "evidence": incident.evidence.last() }),
    ))
}

/// `POST /api/v1/incidents/{id}/tasks`: a follow-up (corrective) action.
pub async fn add_task(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, AddTask::NEED)?;
    let cmd = AddTask::parse(req)?;
    let owner = cmd.owner.as_ref().map(|o| o.as_str());
    let incident =
        respond::add_follow_up(app, &caller, key, cmd.text.as_str(), owner, cmd.due).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "incident": incident, "task": incident.tasks.last() }),
    ))
}

/// `POST /api/v1/incidents/{id}/tasks/{task}`: `done`, `waived` (with a
/// reason) or `open` again. Waiving a closure criterion is the commander's
/// call.
pub async fn settle_task(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
    task: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, SettleTask::NEED)?;
    let cmd = SettleTask::parse(task, req)?;
    let task = (cmd.task, cmd.label.as_str());
    let note = cmd.note.as_ref().map(|n| n.as_str());
    let incident = respond::settle_task(app, &caller, key, task, cmd.state, note).await?;
    Ok(incident_response(&incident))
}

/// `POST /api/v1/incidents/{id}/legal-hold`: places or lifts a legal hold.
pub async fn legal_hold(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, LegalHold::NEED)?;
    let cmd = LegalHold::parse(req)?;
    let incident = respond::legal_hold(app, &caller, key, cmd.hold, cmd.reason.as_str()).await?;
    Ok(incident_response(&incident))
}

/// `DELETE /api/v1/incidents/{id}`: removes a closed incident and all it
/// holds before its retention runs out. Refused under legal hold.
pub async fn delete(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Admin)?;
    respond::delete(app, &caller, key).await?;
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    Ok(resp)
}

/// `POST /api/v1/drills`: starts a drill incident of a class and severity.
pub async fn start_drill(
    app: &Arc<App>,
    req: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, StartDrill::NEED)?;
    let cmd = StartDrill::parse(req)?;
    let title = cmd.title.as_ref().map(|t| t.as_str());
    let incident =
        respond::start_drill(app, &caller, cmd.scenario, title, cmd.tenant.as_deref()).await?;
    let mut resp = json_response(StatusCode::CREATED, &json!({ "incident": incident }));
    if let Ok(v) = http::HeaderValue::from_str(&format!("/api/v1/incidents/{}", incident.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}
