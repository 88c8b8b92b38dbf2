//! The responder API beyond acknowledging: listing, the incident view,
//! lifecycle, roles, notes, evidence, tasks, retention, drills, the review
//! document, metrics and the annual report. Each handler checks the role,
//! parses the body into domain input, and leaves the rules to
//! [`crate::domain`] and [`crate::app::respond`].

use super::api::{authorize, clean, json_body};
use super::{ApiError, json_response};
use crate::app::App;
use crate::app::respond::{self, IncidentView, RespondError};
use crate::domain::{
    Basis, DrillScenario, EvidenceInput, IncidentClass, IncidentRole, MAX_TEXT, ResponseError,
    Role, Severity, Status, StatusFields, TaskSection, TaskState,
};
use crate::ports::{Cursor, IncidentQuery};
use bytes::Bytes;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use http::{Request, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

impl From<RespondError> for ApiError {
    fn from(e: RespondError) -> Self {
        match e {
            RespondError::NotFound(_) => Self::NotFound("incident not found".into()),
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
            ResponseError::Refused(m) => Self::Conflict(m),
        }
    }
}

/// `invalid_<field>`, from the fields the domain names.
fn invalid_code(field: &str) -> &'static str {
    match field {
        "containment" => "invalid_containment",
        "root_cause" => "invalid_root_cause",
        "rationale" => "invalid_rationale",
        "person" => "invalid_person",
        "text" => "invalid_text",
        "name" => "invalid_name",
        "location" => "invalid_location",
        "sha256" => "invalid_sha256",
        "collected_by" => "invalid_collected_by",
        "collected_at" => "invalid_collected_at",
        "owner" => "invalid_owner",
        "task" => "invalid_task",
        "reason" => "invalid_reason",
        "reference" => "invalid_reference",
        "note" => "invalid_note",
        "tenant" => "invalid_tenant",
        "title" => "invalid_title",
        "at" => "invalid_at",
        _ => "invalid_request",
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code,
        message: message.into(),
    }
}

/// The OpenAPI description's `maxLength`: at most `max` characters as sent,
/// surrounding whitespace included, and whether or not this request uses
/// the field (`containment` when resolving, say). The domain then checks
/// the trimmed text.
pub(crate) fn at_most(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(bad(
            invalid_code(field),
            format!("{field} must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn clean_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(clean)
}

/// The query string's pairs, decoded.
fn query_pairs(req: &Request<Bytes>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn time_param(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
        .ok_or_else(|| {
            bad(
                "invalid_time",
                format!("{name} must be an RFC 3339 time or a date (2026-11-23), not {v:?}"),
            )
        })
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    #[serde(flatten)]
    fields: StatusFields,
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
    let body: StatusBody = json_body(
        req,
        "{\"status\": \"contained\", \"containment\": \"revoked the token\"}",
    )?;
    for (field, value) in [
        ("containment", &body.fields.containment),
        ("root_cause", &body.fields.root_cause),
        ("rationale", &body.fields.rationale),
    ] {
        at_most(field, value.as_deref(), MAX_TEXT)?;
    }
    let to: Status = body
        .status
        .parse()
        .map_err(|e: crate::domain::UnknownStatus| bad("invalid_status", e.to_string()))?;
    if matches!(
        to,
        Status::Reported | Status::Triaged | Status::Acknowledged
    ) {
        return Err(bad(
            "invalid_status",
            format!("{to} is set by Klaxon (intake, triage, acknowledging), not by hand"),
        ));
    }
    let fields = StatusFields {
        containment: clean_opt(&body.fields.containment),
        root_cause: clean_opt(&body.fields.root_cause),
        rationale: clean_opt(&body.fields.rationale),
    };
    let policy = Arc::clone(&app.settings.policy);
    let incident = respond::act(app, &caller, key, |ch| {
        ch.set_status(&caller.name, to, &fields, &*policy)?;
        Ok(true)
    })
    .await?;
    Ok(incident_response(&incident))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
    /// `null` leaves the role empty.
    person: Option<String>,
}

/// `POST /api/v1/incidents/{id}/roles`: assigns, reassigns or clears a role.
pub async fn assign_role(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
    let body: RoleBody = json_body(
        req,
        "{\"role\": \"incident_commander\", \"person\": \"alice\"}",
    )?;
    let role: IncidentRole = body.role.parse().map_err(|m| bad("invalid_role", m))?;
    at_most("person", body.person.as_deref(), 200)?;
    let person = clean_opt(&body.person);
    let incident = respond::act(app, &caller, key, |ch| {
        respond::open_for_writes(ch)?;
        ch.assign_role(&caller.name, role, person.as_deref())
    })
    .await?;
    Ok(incident_response(&incident))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    kind: String,
    text: String,
}

/// `POST /api/v1/incidents/{id}/notes`: a timeline note, marked `fact`
/// (confirmed) or `hypothesis`.
pub async fn add_note(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    let body: NoteBody = json_body(
        req,
        "{\"kind\": \"fact\", \"text\": \"the token was used from 203.0.113.7\"}",
    )?;
    let basis: Basis = body.kind.parse().map_err(|m| bad("invalid_kind", m))?;
    at_most("text", Some(&body.text), MAX_TEXT)?;
    let text = clean(&body.text);
    let incident = respond::act(app, &caller, key, |ch| {
        respond::open_for_writes(ch)?;
        ch.add_note(&caller.name, basis, &text)?;
        Ok(true)
    })
    .await?;
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
    let mut input: EvidenceInput = json_body(
        req,
        "{\"name\": \"cloudtrail.json.gz\", \"location\": \"s3://ir-evidence/...\", \"sha256\": \"<64 hex>\"}",
    )?;
    at_most("name", Some(&input.name), MAX_TEXT)?;
    at_most("location", Some(&input.location), MAX_TEXT)?;
    at_most("collected_by", input.collected_by.as_deref(), MAX_TEXT)?;
    input.name = clean(&input.name);
    input.location = clean(&input.location);
    input.collected_by = clean_opt(&input.collected_by);
    let incident = respond::act(app, &caller, key, |ch| {
        respond::open_for_writes(ch)?;
        ch.add_evidence(&caller.name, input.clone())?;
        Ok(true)
    })
    .await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpBody {
    text: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    due: Option<String>,
}

/// `POST /api/v1/incidents/{id}/tasks`: a follow-up (corrective) action.
pub async fn add_task(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Responder)?;
    let body: FollowUpBody = json_body(
        req,
        "{\"text\": \"add a secret-scanning rule\", \"owner\": \"bob\", \"due\": \"2026-12-15\"}",
    )?;
    at_most("text", Some(&body.text), MAX_TEXT)?;
    at_most("owner", body.owner.as_deref(), MAX_TEXT)?;
    let due = body
        .due
        .as_deref()
        .map(|d| time_param("due", d))
        .transpose()?;
    let text = clean(&body.text);
    let owner = clean_opt(&body.owner);
    // Corrective actions may be added after closure: they outlive the incident.
    let incident = respond::act(app, &caller, key, |ch| {
        ch.add_follow_up(&caller.name, &text, owner.as_deref(), due)?;
        Ok(true)
    })
    .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "incident": incident, "task": incident.tasks.last() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettleBody {
    state: String,
    #[serde(default, alias = "reason")]
    note: Option<String>,
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
    let task_id: u32 = task
        .trim_start_matches('#')
        .parse()
        .map_err(|_| ApiError::NotFound("task not found".into()))?;
    let body: SettleBody = json_body(
        req,
        "{\"state\": \"done\"} or {\"state\": \"waived\", \"reason\": \"...\"}",
    )?;
    let state = match body.state.as_str() {
        "done" => TaskState::Done,
        "waived" => TaskState::Waived,
        "open" => TaskState::Open,
        other => {
            return Err(bad(
                "invalid_state",
                format!("unknown task state {other:?}: use done, waived or open"),
            ));
        }
    };
    at_most("note", body.note.as_deref(), MAX_TEXT)?;
    let note = clean_opt(&body.note);
    let current = respond::visible(app, &caller, key).await?;
    let target = current
        .tasks
        .iter()
        .find(|t| t.id == task_id)
        .ok_or_else(|| ApiError::NotFound("task not found".into()))?;
    if target.section == TaskSection::Closure
        && state == TaskState::Waived
        && caller.role < Role::Commander
    {
        return Err(ApiError::Forbidden);
    }
    let incident = respond::act(app, &caller, key, |ch| {
        if ch
            .incident
            .tasks
            .iter()
            .any(|t| t.id == task_id && t.section != TaskSection::FollowUp)
        {
            respond::open_for_writes(ch)?;
        }
        ch.settle_task(&caller.name, task_id, state, note.as_deref())
    })
    .await?;
    Ok(incident_response(&incident))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldBody {
    hold: bool,
    reason: String,
}

/// `POST /api/v1/incidents/{id}/legal-hold`: places or lifts a legal hold.
pub async fn legal_hold(
    app: &Arc<App>,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Admin)?;
    let body: HoldBody = json_body(
        req,
        "{\"hold\": true, \"reason\": \"litigation hold LH-7\"}",
    )?;
    at_most("reason", Some(&body.reason), MAX_TEXT)?;
    let reason = clean(&body.reason);
    let retention = app.settings.policy.retention;
    let incident = respond::act(app, &caller, key, |ch| {
        ch.legal_hold(&caller.name, body.hold, &reason, retention)
    })
    .await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillBody {
    class: String,
    severity: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
}

/// `POST /api/v1/drills`: starts a drill incident of a class and severity.
pub async fn start_drill(
    app: &Arc<App>,
    req: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Commander)?;
    let body: DrillBody = json_body(
        req,
        "{\"class\": \"leaked_production_secret\", \"severity\": \"SEV-2\"}",
    )?;
    let class = IncidentClass::ALL
        .into_iter()
        .find(|c| c.id() == body.class.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = IncidentClass::ALL.iter().map(|c| c.id()).collect();
            bad(
                "invalid_class",
                format!(
                    "unknown class {:?}: use one of {}",
                    body.class,
                    names.join(", ")
                ),
            )
        })?;
    let severity: Severity = body
        .severity
        .parse()
        .map_err(|e: crate::domain::UnknownSeverity| bad("invalid_severity", e.to_string()))?;
    at_most(
        "title",
        body.title.as_deref(),
        crate::domain::report::MAX_TITLE,
    )?;
    let title = clean_opt(&body.title);
    let incident = respond::start_drill(
        app,
        &caller,
        DrillScenario { class, severity },
        title.as_deref(),
        body.tenant.as_deref(),
    )
    .await?;
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
