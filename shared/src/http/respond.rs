//! The responder API beyond acknowledging: listing, the incident view,
//! lifecycle, roles, notes, evidence, tasks, retention, drills, the review
//! document, metrics and the annual report. Each handler checks the role,
//! parses the body into domain input, and leaves the rules to
//! [`crate::domain`] and [`crate::app::respond`].

use super::api::authorize;
use super::commands::{
    AddEvidence, AddNote, AddTask, AssignRole, LegalHold, SetStatus, SettleTask, StartDrill,
    time_param,
};
use super::{ApiError, json_response};
use crate::app::App;
use crate::app::respond::{self, IncidentView, RespondError};
use crate::domain::{Field, ResponseError, Role};
use crate::ports::{Cursor, IncidentQuery};
use bytes::Bytes;
use chrono::Datelike;
use http::{Request, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

impl From<RespondError> for ApiError {
    fn from(e: RespondError) -> Self {
        match e {
            // The id asked for is not repeated: it may be anything a client sent.
            RespondError::NotFound(_) => Self::NotFound("incident not found".into()),
            RespondError::TaskNotFound(_) => Self::NotFound("task not found".into()),
            RespondError::Forbidden => Self::Forbidden,
            RespondError::Response(e) => e.into(),
            RespondError::Store(e) => e.into(),
        }
    }
}

impl From<ResponseError> for ApiError {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Invalid { field, message } => Self::BadRequest {
                code: invalid_code(field),
                message,
            },
            ResponseError::Refused(r) => Self::Conflict(r.to_string()),
        }
    }
}

/// `invalid_<field>`: the code of a 400 that names one field.
pub(crate) fn invalid_code(field: Field) -> &'static str {
    match field {
        Field::At => "invalid_at",
        Field::Class => "invalid_class",
        Field::CollectedAt => "invalid_collected_at",
        Field::CollectedBy => "invalid_collected_by",
        Field::Containment => "invalid_containment",
        Field::Kind => "invalid_kind",
        Field::Location => "invalid_location",
        Field::Name => "invalid_name",
        Field::Note => "invalid_note",
        Field::Owner => "invalid_owner",
        Field::Person => "invalid_person",
        Field::Rationale => "invalid_rationale",
        Field::Reason => "invalid_reason",
        Field::Reference => "invalid_reference",
        Field::Role => "invalid_role",
        Field::RootCause => "invalid_root_cause",
        Field::Severity => "invalid_severity",
        Field::Sha256 => "invalid_sha256",
        Field::State => "invalid_state",
        Field::Status => "invalid_status",
        Field::Task => "invalid_task",
        Field::Tenant => "invalid_tenant",
        Field::Text => "invalid_text",
        Field::Title => "invalid_title",
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code,
        message: message.into(),
    }
}

/// The query string's pairs, decoded.
fn query_pairs(req: &Request<Bytes>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `GET /api/v1/incidents`: filters `status`, `severity`, `tenant`, `drill`,
/// `from`, `to`; `limit` (1–200, default 50) and `cursor` page through.
pub async fn list(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let mut q = IncidentQuery::default();
    let mut tenant = None;
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "status" => {
                q.status = Some(v.parse().map_err(|e: crate::domain::UnknownStatus| {
                    bad("invalid_status", e.to_string())
                })?)
            }
            "severity" => {
                q.severity = Some(v.parse().map_err(|e: crate::domain::UnknownSeverity| {
                    bad("invalid_severity", e.to_string())
                })?)
            }
            "tenant" => tenant = Some(v),
            "drill" => {
                q.drill = Some(match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("invalid_drill", "drill must be true or false")),
                })
            }
            "from" => q.from = Some(time_param("from", &v)?),
            "to" => q.to = Some(time_param("to", &v)?),
            "limit" => {
                q.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or_else(|| bad("invalid_limit", "limit must be a number from 1 to 200"))?
            }
            "cursor" => {
                q.after = Some(Cursor::decode(&v).ok_or_else(|| {
                    bad(
                        "invalid_cursor",
                        "cursor is not one this API gave out; start again without it",
                    )
                })?)
            }
            other => {
                return Err(bad(
                    "invalid_parameter",
                    format!(
                        "unknown parameter {other:?}: use status, severity, tenant, drill, from, to, limit or cursor"
                    ),
                ));
            }
        }
    }
    // A tenant filter narrows the caller's scope; it never widens it.
    q.tenants = match tenant {
        Some(t) if caller.may_see(Some(&t)) => Some(vec![t]),
        Some(_) => Some(Vec::new()),
        None => caller.tenants.clone(),
    };
    let page = if q.tenants.as_ref().is_some_and(Vec::is_empty) {
        crate::ports::IncidentPage::default()
    } else {
        app.store.list(&q).await?
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incidents": page.items,
            "next_cursor": page.next.map(|c| c.encode()),
        }),
    ))
}

/// `GET /api/v1/incidents/{id}`: the incident with its reasons, whether it
/// still needs triage, deadlines and their state, timeline, tasks, evidence,
/// roles and notifications.
pub async fn get(app: &App, req: &Request<Bytes>, key: &str) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let IncidentView {
        incident,
        timeline,
        notifications,
        deadlines,
    } = respond::view(app, &caller, key).await?;
    // Each deadline with its state spelled out for people and dashboards.
    let deadlines: Vec<_> = deadlines
        .into_iter()
        .map(|(d, state)| {
            let mut v = json!(d);
            v["state"] = json!(state);
            v
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incident": incident,
            "needs_triage": incident.needs_triage(),
            "reasons": incident.assessment.as_ref().map(|a| &a.reasons),
            "deadlines": deadlines,
            "roles": incident.roles,
            "role_history": incident.role_history,
            "tasks": incident.tasks,
            "evidence": incident.evidence,
            "timeline": timeline,
            "notifications": notifications,
        }),
    ))
}

fn incident_response(incident: &crate::domain::Incident) -> Response<Bytes> {
    json_response(StatusCode::OK, &json!({ "incident": incident }))
}

/// `POST /api/v1/incidents/{id}/status`: moves the lifecycle on, with what
/// each step needs (`containment`; `root_cause` or `unknown` + `rationale`;
/// every closure item settled).
pub async fn set_status(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
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
    let caller = authorize(app, req, Role::Commander)?;
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
    let caller = authorize(app, req, Role::Responder)?;
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
    let caller = authorize(app, req, Role::Responder)?;
    let AddEvidence(input) = AddEvidence::parse(req)?;
    let incident = respond::add_evidence(app, &caller, key, &input).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "incident": incident, "evidence": incident.evidence.last() }),
    ))
}

/// `GET /api/v1/incidents/{id}/evidence`: the evidence manifest.
pub async fn evidence_manifest(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let incident = respond::visible(app, &caller, key).await?;
    let sha256sum = crate::reports::evidence_manifest(&incident);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incident_id": incident.id,
            "reference": incident.reference,
            "items": incident.evidence,
            "count": incident.evidence.len(),
            "sha256sum": sha256sum,
        }),
    ))
}

/// `POST /api/v1/incidents/{id}/tasks`: a follow-up (corrective) action.
pub async fn add_task(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
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
    let caller = authorize(app, req, Role::Responder)?;
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
    let caller = authorize(app, req, Role::Admin)?;
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
    let caller = authorize(app, req, Role::Commander)?;
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

fn markdown(body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    resp
}

/// `GET /api/v1/incidents/{id}/review.md`: the post-incident review.
pub async fn review(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let incident = respond::visible(app, &caller, key).await?;
    let timeline = app.store.timeline(incident.id).await?;
    let sent = app.store.notifications(incident.id).await?;
    let tz = app.settings.policy.calendar.tz();
    Ok(markdown(crate::reports::review_markdown(
        &incident, &timeline, &sent, tz,
    )))
}

/// `GET /api/v1/incidents/{id}/drill-report`: a drill's audit evidence.
pub async fn drill_report(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let incident = respond::visible(app, &caller, key).await?;
    if !incident.drill {
        return Err(ApiError::NotFound(format!(
            "incident {key} is not a drill; drill reports exist only for drills"
        )));
    }
    let sent = app.store.notifications(incident.id).await?;
    let report = crate::reports::drill_report(&incident, &sent);
    let md = crate::reports::drill_report_markdown(&report);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "report": report, "markdown": md }),
    ))
}

/// `GET /api/v1/metrics?from&to`: MTTA/MTTR per severity, deadlines met,
/// counts by class and source. Default: the last 90 days.
pub async fn metrics(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let now = app.clock.now();
    let mut from = now - chrono::Duration::days(90);
    let mut to = now;
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "from" => from = time_param("from", &v)?,
            "to" => to = time_param("to", &v)?,
            other => {
                return Err(bad(
                    "invalid_parameter",
                    format!("unknown parameter {other:?}: use from and to"),
                ));
            }
        }
    }
    if from >= to {
        return Err(bad("invalid_time", "from must be before to"));
    }
    let incidents = respond::all_between(app, &caller, from, to).await?;
    let m = crate::reports::metrics(&incidents, from, to, now);
    Ok(json_response(StatusCode::OK, &json!(m)))
}

/// `GET /api/v1/reports/annual?year=`: the yearly security report (Markdown).
pub async fn annual(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let now = app.clock.now();
    let mut year = now.year();
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "year" => {
                year = v
                    .parse()
                    .ok()
                    .filter(|y| (2000..=9999).contains(y))
                    .ok_or_else(|| bad("invalid_year", "year must be a year such as 2026"))?
            }
            other => {
                return Err(bad(
                    "invalid_parameter",
                    format!("unknown parameter {other:?}: use year"),
                ));
            }
        }
    }
    let (from, to) = crate::reports::year_window(year);
    let incidents = respond::all_between(app, &caller, from, to).await?;
    let m = crate::reports::metrics(&incidents, from, to, now);
    let org = app.settings.intake.products.join(", ");
    Ok(markdown(crate::reports::annual_markdown(
        year,
        &incidents,
        &m,
        Some(org.as_str()).filter(|o| !o.is_empty()),
    )))
}
