//! `POST /console/incidents/{id}/{action}`: each form, as the API's write
//! route does it: the role checked against the command's `NEED`, the form
//! read by the command's own `parse`, the same use case called. Success
//! redirects to the incident (303); a refusal shows the page again with the
//! API's message beside the field it names.

use super::PREFIX;
use super::incident::{Refused, show};
use super::page::{Nope, redirect, said};
use super::session::{TOKEN_FIELD, signed_post};
use crate::app::App;
use crate::app::{escalate, respond};
use crate::domain::{Caller, Incident};
use crate::http::ApiError;
use crate::http::responder::caller::permit;
use crate::http::responder::commands::{
    Acknowledge, AddEvidence, AddNote, AddTask, AssignRole, Form, OverrideSeverity,
    RecordObligation, SetStatus, SettleTask,
};
use bytes::Bytes;
use http::{Request, Response};
use std::sync::Arc;

/// Each form's fields, so a refusal naming one is shown beside it.
fn fields(action: &str, task: bool) -> &'static [&'static str] {
    match (action, task) {
        ("tasks", true) => &["state", "note"],
        ("ack", _) => &["note"],
        ("notes", _) => &["kind", "text"],
        ("status", _) => &["status", "containment", "root_cause", "rationale"],
        ("roles", _) => &["role", "person"],
        ("severity", _) => &["severity", "reason"],
        ("obligations", _) => &["kind", "reference", "note", "at"],
        ("evidence", _) => &["name", "location", "sha256", "collected_by"],
        ("tasks", false) => &["text", "owner", "due"],
        _ => &[],
    }
}

/// Where on the page each form's result shows.
fn anchor(action: &str) -> &'static str {
    match action {
        "ack" => "paging",
        "notes" => "notes",
        "status" => "summary",
        "roles" => "roles",
        "severity" => "severity",
        "obligations" => "deadlines",
        "evidence" => "evidence",
        _ => "checklist",
    }
}

/// authorize -> parse -> call, exactly as the API's write routes.
async fn run(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    action: &str,
    task: Option<&str>,
    form: &Form,
) -> Result<Option<Incident>, ApiError> {
    Ok(Some(match (action, task) {
        ("ack", None) => {
            permit(caller, Acknowledge::NEED)?;
            let cmd = Acknowledge::parse(form)?;
            escalate::acknowledge(app, caller, key, "console", cmd.note.as_str())
                .await?
                .incident
        }
        ("notes", None) => {
            permit(caller, AddNote::NEED)?;
            let cmd = AddNote::parse(form)?;
            respond::add_note(app, caller, key, cmd.basis, cmd.text.as_str()).await?
        }
        ("status", None) => {
            permit(caller, SetStatus::NEED)?;
            let cmd = SetStatus::parse(form)?;
            respond::set_status(app, caller, key, cmd.to, &cmd.fields).await?
        }
        ("roles", None) => {
            permit(caller, AssignRole::NEED)?;
            let cmd = AssignRole::parse(form)?;
            let person = cmd.person.as_ref().map(|p| p.as_str());
            respond::assign_role(app, caller, key, cmd.role, person).await?
        }
        ("severity", None) => {
            permit(caller, OverrideSeverity::NEED)?;
            let cmd = OverrideSeverity::parse(form)?;
            respond::override_severity(app, caller, key, cmd.severity, cmd.reason.as_str()).await?
        }
        ("obligations", None) => {
            permit(caller, RecordObligation::NEED)?;
            let cmd = RecordObligation::parse(form)?;
            respond::record_obligation(app, caller, key, cmd.kind, &cmd.note, cmd.at).await?
        }
        ("evidence", None) => {
            permit(caller, AddEvidence::NEED)?;
            let AddEvidence(input) = AddEvidence::parse(form)?;
            respond::add_evidence(app, caller, key, &input).await?
        }
        ("tasks", None) => {
            permit(caller, AddTask::NEED)?;
            let cmd = AddTask::parse(form)?;
            let owner = cmd.owner.as_ref().map(|o| o.as_str());
            respond::add_follow_up(app, caller, key, cmd.text.as_str(), owner, cmd.due).await?
        }
        ("tasks", Some(task)) => {
            permit(caller, SettleTask::NEED)?;
            let cmd = SettleTask::parse(task, form)?;
            let note = cmd.note.as_ref().map(|n| n.as_str());
            respond::settle_task(
                app,
                caller,
                key,
                (cmd.task, cmd.label.as_str()),
                cmd.state,
                note,
            )
            .await?
        }
        _ => return Ok(None),
    }))
}

pub(super) async fn post(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
    action: &str,
    task: Option<&str>,
) -> Result<Response<Bytes>, Nope> {
    let (signed, body) = signed_post(app, req).await?;
    let form = Form::parse(body, &[TOKEN_FIELD]);
    match run(app, &signed.caller, key, action, task, &form).await {
        Ok(Some(incident)) => Ok(redirect(&format!(
            "{PREFIX}/incidents/{}?done={action}#{}",
            incident.reference.as_str(),
            anchor(action)
        ))),
        Ok(None) => Err(Nope::NotFound),
        // Not the caller's to do, or no such incident: the page says so.
        Err(e @ (ApiError::Forbidden | ApiError::Unauthorized(_))) => Err(e.into()),
        Err(e) if e.status().is_client_error() => {
            // The incident as it is now, with the refusal beside its field.
            let view = respond::view(app, &signed.caller, key)
                .await
                .map_err(ApiError::from)?;
            let field = e
                .code()
                .strip_prefix("invalid_")
                .filter(|f| fields(action, task.is_some()).contains(f))
                .map(str::to_owned);
            let refused = Refused {
                form: task.map_or_else(|| action.to_owned(), |t| format!("task-{t}")),
                field,
                message: said(&e, req),
                values: form_values(body),
            };
            Ok(show(app, &signed, view, e.status(), Some(refused), None))
        }
        Err(e) => Err(e.into()),
    }
}

/// What was typed, to fill the form in again: redacted as it would have
/// been stored, so a refused form never shows a secret back (and never the
/// form token).
fn form_values(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .into_owned()
        .filter(|(k, _)| k != TOKEN_FIELD)
        .map(|(k, v)| (k, crate::domain::redact::redact(&v).text.into_owned()))
        .collect()
}
