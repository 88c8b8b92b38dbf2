//! `GET /console/incidents/{id}`: one incident, as `GET /api/v1/incidents/{id}`
//! reads it (`respond::view`), with the forms the caller's role may use;
//! and its review as Markdown.

use super::clock;
use super::page::{Nope, render, value};
use super::session::require;
use super::{PREFIX, Signed};
use crate::app::App;
use crate::app::respond::{self, IncidentView};
use crate::domain::{
    Caller, DeadlineKind, IncidentRole, Role, Severity, Status, TaskSection, TimelineKind,
};
use crate::http::ApiError;
use crate::http::responder::caller::permit;
use crate::http::responder::commands::{
    Acknowledge, AddEvidence, AddNote, AddTask, AssignRole, Form, OverrideSeverity,
    RecordObligation, SetStatus, SettleTask,
};
use crate::http::responder::documents::markdown;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::{Value, context};

/// A refused form, shown again: which form, the field the refusal names
/// (if the form has it), the API's message, and what was typed.
#[derive(Default)]
pub(super) struct Refused {
    pub form: String,
    pub field: Option<String>,
    pub message: String,
    pub values: Vec<(String, String)>,
}

pub(super) async fn page(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    let caller = permit(&signed.caller, Role::Viewer)?;
    let view = respond::view(app, caller, key)
        .await
        .map_err(ApiError::from)?;
    let done = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "done")
        .and_then(|(_, v)| done_message(&v));
    Ok(show(app, &signed, view, StatusCode::OK, None, done))
}

/// What a redirect's `done` says happened: fixed words, never the query's.
fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "ack" => "Acknowledged.",
        "notes" => "Note added.",
        "status" => "Status changed.",
        "roles" => "Role assigned.",
        "severity" => "Severity set.",
        "obligations" => "Obligation recorded.",
        "evidence" => "Evidence added.",
        "tasks" => "Task saved.",
        _ => return None,
    })
}

/// Which forms the caller may use: each command's own `NEED`, checked by
/// the API's own `permit`.
fn abilities(caller: &Caller) -> Value {
    let may = |need: Role| permit(caller, need).is_ok();
    let can = [
        ("ack", may(Acknowledge::NEED)),
        ("note", may(AddNote::NEED)),
        ("status", may(SetStatus::NEED)),
        ("roles", may(AssignRole::NEED)),
        ("severity", may(OverrideSeverity::NEED)),
        ("obligation", may(RecordObligation::NEED)),
        ("evidence", may(AddEvidence::NEED)),
        ("task", may(AddTask::NEED)),
        ("settle", may(SettleTask::NEED)),
    ];
    let any = can.iter().any(|(_, ok)| *ok);
    let mut map: std::collections::BTreeMap<&str, bool> = can.into_iter().collect();
    map.insert("any", any);
    value(&map)
}

/// The statuses a person may set: those `SetStatus::parse` accepts.
fn settable() -> Vec<&'static str> {
    Status::ALL
        .iter()
        .map(|s| s.as_str())
        .filter(|s| SetStatus::parse(&Form::of([("status", *s)])).is_ok())
        .collect()
}

/// The obligations recorded by hand: those `RecordObligation::parse` accepts.
fn obligations() -> Vec<&'static str> {
    DeadlineKind::ALL
        .iter()
        .map(|k| k.as_str())
        .filter(|k| RecordObligation::parse(&Form::of([("kind", *k)])).is_ok())
        .collect()
}

fn section_name(s: TaskSection) -> &'static str {
    match s {
        TaskSection::Play => "Play steps",
        TaskSection::Closure => "Closure criteria",
        TaskSection::FollowUp => "Follow-up actions",
    }
}

/// The incident page, with a refused form shown again when there is one.
pub(super) fn show(
    app: &App,
    signed: &Signed,
    view: IncidentView,
    status: StatusCode,
    refused: Option<Refused>,
    done: Option<&str>,
) -> Response<Bytes> {
    let IncidentView {
        incident,
        timeline,
        notifications,
        deadlines,
    } = view;
    let now = app.clock.now();
    let deadlines: Vec<Value> = deadlines
        .iter()
        .map(|(d, _)| clock::deadline(&incident, d, now))
        .collect();
    let pick = |kind: TimelineKind| -> Vec<Value> {
        timeline
            .iter()
            .filter(|e| e.kind == kind)
            .map(value)
            .collect()
    };
    let facts = pick(TimelineKind::Fact);
    let hypotheses = pick(TimelineKind::Hypothesis);
    let pages: Vec<&_> = notifications.iter().filter(|n| n.kind == "page").collect();
    let sections: Vec<Value> = [
        TaskSection::Play,
        TaskSection::Closure,
        TaskSection::FollowUp,
    ]
    .into_iter()
    .map(|s| {
        let tasks: Vec<_> = incident.tasks.iter().filter(|t| t.section == s).collect();
        context! { name => section_name(s), tasks => value(&tasks) }
    })
    .collect();
    let refused = refused.unwrap_or_default();
    let err = context! {
        form => refused.form,
        field => refused.field,
        message => refused.message,
    };
    let val: std::collections::BTreeMap<String, String> = refused.values.into_iter().collect();
    let base = format!("{PREFIX}/incidents/{}", incident.reference.as_str());
    let ctx = context! {
        section => "incidents",
        i => value(&incident),
        needs_triage => incident.needs_triage(),
        paging_next => incident.paging.as_ref().and_then(|p| p.next_at).map(|t| clock::countdown(now, t)),
        deadlines,
        facts,
        hypotheses,
        timeline => value(&timeline),
        pages => value(&pages),
        notifications => value(&notifications),
        sections,
        manifest => crate::documents::evidence_manifest(&incident),
        can => abilities(&signed.caller),
        base,
        err,
        val,
        done,
        settable => settable(),
        obligations => obligations(),
        role_names => IncidentRole::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        severities => Severity::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
    };
    render("console/incident.html", status, Some(signed), ctx)
}

/// `GET /console/incidents/{id}/review.md`: the review, as a download.
pub(super) async fn review(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, Nope> {
    let signed = require(app, req).await?;
    let caller = permit(&signed.caller, Role::Viewer)?;
    let incident = respond::visible(app, caller, key)
        .await
        .map_err(ApiError::from)?;
    let md = respond::review(app, caller, key)
        .await
        .map_err(ApiError::from)?;
    let mut resp = markdown(md);
    let name = format!(
        "attachment; filename=\"{}-review.md\"",
        incident.reference.as_str()
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}
