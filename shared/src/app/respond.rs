//! Respond: what a responder does once paged, as use cases over the store.
//!
//! Every write is one conditional commit of a [`Change`] built by the pure
//! domain ([`crate::domain`]'s response steps), rebuilt from a fresh read if
//! someone else wrote first. Reads honour the caller's tenant scope: an
//! incident outside it is "not found", exactly as if it did not exist.

use super::listing::{ListCursor, Listing, open_first};
use super::{App, Write, update};
use crate::domain::{
    Basis, Caller, Change, Deadline, DeadlineKind, DrillScenario, EvidenceInput, Field, Incident,
    IncidentKey, IncidentRole, NewIncident, Refusal, Report, ReportInput, ResponseError, Role,
    Severity, Source, Status, StatusFields, TaskSection, TaskState, TimelineEntry, TimelineKind,
};
use crate::domain::{DeadlineOutcome, deadline_outcome};
use crate::ports::{IncidentQuery, SentNotification, StoreError};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error("incident {0} not found")]
    NotFound(String),
    #[error("task {0} not found")]
    TaskNotFound(String),
    /// Drill reports exist only for drills.
    #[error("incident {0} is not a drill; drill reports exist only for drills")]
    NotADrill(String),
    /// The caller's role may not take this step.
    #[error("your role may not do this")]
    Forbidden,
    #[error(transparent)]
    Response(#[from] ResponseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The incident `key` names, if it exists and the caller may see it.
pub async fn visible(app: &App, caller: &Caller, key: &str) -> Result<Incident, RespondError> {
    let not_found = || RespondError::NotFound(key.to_owned());
    let key = IncidentKey::parse(key).ok_or_else(not_found)?;
    let incident = app.store.find(&key).await?.ok_or_else(not_found)?;
    if !caller.may_see(incident.tenant.as_deref()) {
        return Err(not_found());
    }
    Ok(incident)
}

/// The post-incident review of an incident `caller` may see, as Markdown,
/// its times in the policy's zone.
pub async fn review(app: &App, caller: &Caller, key: &str) -> Result<String, RespondError> {
    let incident = visible(app, caller, key).await?;
    // With the burst in progress as its last entry, as the view shows it.
    let timeline = super::repeats::timeline(app, &incident).await?;
    let sent = app.store.notifications(incident.id).await?;
    let tz = app.settings.policy.calendar.tz();
    Ok(crate::documents::review_markdown(
        &incident, &timeline, &sent, tz,
    ))
}

/// A drill's audit evidence, with its Markdown. An incident that is not a
/// drill has none.
pub async fn drill_report(
    app: &App,
    caller: &Caller,
    key: &str,
) -> Result<(crate::documents::DrillReport, String), RespondError> {
    let incident = visible(app, caller, key).await?;
    if !incident.drill {
        return Err(RespondError::NotADrill(key.to_owned()));
    }
    let sent = app.store.notifications(incident.id).await?;
    let report = crate::documents::drill_report(&incident, &sent);
    let md = crate::documents::drill_report_markdown(&report);
    Ok((report, md))
}

/// An incident as a responder reads it: the record, its timeline and the
/// messages sent, and each deadline's state now.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
    pub notifications: Vec<SentNotification>,
    /// Each deadline, judged as the review and metrics judge it.
    pub deadlines: Vec<(Deadline, DeadlineOutcome)>,
}

/// The incident `key` names, with all it holds, if the caller may see it.
pub async fn view(app: &App, caller: &Caller, key: &str) -> Result<IncidentView, RespondError> {
    let incident = visible(app, caller, key).await?;
    let timeline = super::repeats::timeline(app, &incident).await?;
    let notifications = app.store.notifications(incident.id).await?;
    let now = app.clock.now();
    let deadlines = incident
        .deadlines
        .iter()
        .map(|d| (d.clone(), deadline_outcome(&incident, d, Some(now))))
        .collect();
    Ok(IncidentView {
        incident,
        timeline,
        notifications,
        deadlines,
    })
}

/// Removes a closed incident and all it holds before its retention runs
/// out. Refused under legal hold, and for an incident still open.
pub async fn delete(app: &App, caller: &Caller, key: &str) -> Result<(), RespondError> {
    let incident = visible(app, caller, key).await?;
    incident.deletable().map_err(ResponseError::from)?;
    // Conditional on the version checked above: a hold placed since makes
    // it a conflict, and nothing is deleted.
    app.store.delete(incident.id, incident.version).await?;
    tracing::info!(incident_id = %incident.id, by = %caller.name, "incident deleted");
    Ok(())
}

/// A commander sets the severity of an open incident, with a reason.
pub async fn override_severity(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    severity: Severity,
    reason: &str,
) -> Result<Incident, RespondError> {
    let current = visible(app, caller, key).await?;
    writable(&current)?;
    Ok(super::assess::override_severity(app, current, severity, reason, &caller.name).await?)
}

/// Records an obligation met, `at` a time between the incident's creation
/// and now when it was met earlier.
pub async fn record_obligation(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    kind: DeadlineKind,
    note: &str,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Incident, RespondError> {
    let current = visible(app, caller, key).await?;
    if let Some(at) = at
        && (at > app.clock.now() || at < current.created_at)
    {
        return Err(ResponseError::Invalid {
            field: Field::At,
            message: "at must be between the incident's creation and now".into(),
        }
        .into());
    }
    writable(&current)?;
    Ok(super::escalate::meet_incident(app, current, kind, &caller.name, note, at).await?)
}

/// Applies one response step as the caller. `step` edits the change and
/// says whether anything changed; nothing is written when it did not, or
/// when it refuses. Returns the stored incident.
pub async fn act<F>(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    step: F,
) -> Result<Incident, RespondError>
where
    F: Fn(&mut Change) -> Result<bool, ResponseError>,
{
    let incident = visible(app, caller, key).await?;
    let (stored, ()) = update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        Ok::<_, RespondError>(if step(&mut change)? {
            Write::Commit(change, ())
        } else {
            Write::Keep(())
        })
    })
    .await?;
    Ok(stored)
}

/// Moves the lifecycle on, with what each step needs.
pub async fn set_status(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    to: Status,
    fields: &StatusFields,
) -> Result<Incident, RespondError> {
    let policy = Arc::clone(&app.settings.policy);
    act(app, caller, key, |ch| {
        ch.set_status(&caller.name, to, fields, &*policy)?;
        Ok(true)
    })
    .await
}

/// Assigns, reassigns or (with `None`) clears a role of an open incident.
pub async fn assign_role(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    role: IncidentRole,
    person: Option<&str>,
) -> Result<Incident, RespondError> {
    act(app, caller, key, |ch| {
        open_for_writes(ch)?;
        ch.assign_role(&caller.name, role, person)
    })
    .await
}

/// A timeline note on an open incident, marked fact or hypothesis.
pub async fn add_note(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    basis: Basis,
    text: &str,
) -> Result<Incident, RespondError> {
    act(app, caller, key, |ch| {
        open_for_writes(ch)?;
        ch.add_note(&caller.name, basis, text)?;
        Ok(true)
    })
    .await
}

/// A reference to evidence kept elsewhere, on an open incident.
pub async fn add_evidence(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    input: &EvidenceInput,
) -> Result<Incident, RespondError> {
    act(app, caller, key, |ch| {
        open_for_writes(ch)?;
        ch.add_evidence(&caller.name, input.clone())?;
        Ok(true)
    })
    .await
}

/// A follow-up (corrective) action. Allowed after closure: it outlives the incident.
pub async fn add_follow_up(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    text: &str,
    owner: Option<&str>,
    due: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Incident, RespondError> {
    act(app, caller, key, |ch| {
        ch.add_follow_up(&caller.name, text, owner, due)?;
        Ok(true)
    })
    .await
}

/// Settles task `task` (named `label` in the path). Waiving a closure
/// criterion is the commander's call; only follow-ups change once closed.
pub async fn settle_task(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    (task, label): (u32, &str),
    state: TaskState,
    note: Option<&str>,
) -> Result<Incident, RespondError> {
    let current = visible(app, caller, key).await?;
    let target = current
        .tasks
        .iter()
        .find(|t| t.id == task)
        .ok_or_else(|| RespondError::TaskNotFound(label.to_owned()))?;
    if target.section == TaskSection::Closure
        && state == TaskState::Waived
        && caller.role < Role::Commander
    {
        return Err(RespondError::Forbidden);
    }
    act(app, caller, key, |ch| {
        if ch
            .incident
            .tasks
            .iter()
            .any(|t| t.id == task && t.section != TaskSection::FollowUp)
        {
            open_for_writes(ch)?;
        }
        ch.settle_task(&caller.name, task, state, note)
    })
    .await
}

/// Places or lifts a legal hold.
pub async fn legal_hold(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    hold: bool,
    reason: &str,
) -> Result<Incident, RespondError> {
    let retention = app.settings.policy.retention;
    act(app, caller, key, |ch| {
        ch.legal_hold(&caller.name, hold, reason, retention)
    })
    .await
}

/// Writes on a closed incident are refused, except retention decisions
/// and follow-up actions.
pub fn writable(incident: &Incident) -> Result<(), ResponseError> {
    if incident.status == Status::Closed {
        return Err(Refusal::Closed {
            reference: incident.reference.to_string(),
        }
        .into());
    }
    Ok(())
}

/// [`writable`], inside a change.
pub fn open_for_writes(change: &Change) -> Result<(), ResponseError> {
    writable(&change.incident)
}

/// Every incident in `[from, to)` the caller may see, read a page at a time
/// in the store's own order (newest first): a report needs no open-first.
pub async fn all_between(
    app: &App,
    caller: &Caller,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Incident>, StoreError> {
    let q = IncidentQuery {
        from: Some(from),
        to: Some(to),
        limit: 500,
        ..IncidentQuery::default()
    };
    let Some(mut q) = scoped(caller, q, None) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    loop {
        let page = app.store.list(&q).await?;
        out.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return Ok(out),
        }
    }
}

/// `q` narrowed to what `caller` may see; `None` when that is nothing. A
/// tenant filter narrows the caller's scope; it never widens it.
fn scoped(caller: &Caller, mut q: IncidentQuery, tenant: Option<String>) -> Option<IncidentQuery> {
    q.tenants = match tenant {
        Some(t) if caller.may_see(Some(&t)) => Some(vec![t]),
        Some(_) => Some(Vec::new()),
        None => caller.tenants.clone(),
    };
    (!q.tenants.as_ref().is_some_and(Vec::is_empty)).then_some(q)
}

/// One page of the incidents `caller` may see that match `q`, open ones
/// first across every page ([`open_first`]), continuing from `at`.
pub async fn list(
    app: &App,
    caller: &Caller,
    q: IncidentQuery,
    tenant: Option<String>,
    at: Option<ListCursor>,
) -> Result<Listing, StoreError> {
    match scoped(caller, q, tenant) {
        Some(q) => open_first(app.store.as_ref(), &q, at).await,
        None => Ok(Listing::default()),
    }
}

/// Starts a drill: a real incident, marked as a drill, that plays out the
/// chosen class and severity through the whole pipeline (assessment,
/// pages marked `[DRILL]`, clocks, acknowledgement).
pub async fn start_drill(
    app: &Arc<App>,
    caller: &Caller,
    scenario: DrillScenario,
    title: Option<&str>,
    tenant: Option<&str>,
) -> Result<Incident, RespondError> {
    let title = title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Drill: {}", scenario.class.id().replace('_', " ")));
    let report = Report::parse(ReportInput {
        title: Some(title),
        description: Some(format!(
            "Incident response drill started by {} to exercise the {} scenario at {}. \
             Walk through the workflow, validate contact information and test notification systems.",
            caller.name, scenario.class, scenario.severity
        )),
        tenant: tenant.map(str::to_owned),
        ..Default::default()
    })
    .map_err(|errs| ResponseError::Invalid {
        // The drill's own fields: a bad tenant is the tenant's fault.
        field: if errs.iter().any(|e| e.field == "tenant") {
            Field::Tenant
        } else {
            Field::Title
        },
        message: errs
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    if !caller.may_see(report.tenant.as_deref()) {
        return Err(ResponseError::Invalid {
            field: Field::Tenant,
            message: "a drill must name one of your tenants".into(),
        }
        .into());
    }
    let now = app.clock.now();
    let mut new = NewIncident::from_report(report, Source::Drill, None, now);
    new.incident.drill_scenario = Some(scenario);
    let seq = new.incident.timeline_len;
    new.incident.timeline_len += 1;
    new.timeline.push(crate::domain::TimelineEntry {
        incident_id: new.incident.id,
        seq,
        at: now,
        actor: caller.name.clone(),
        kind: TimelineKind::Note,
        message: format!("drill started: {} at {}", scenario.class, scenario.severity),
    });
    let (created, events) = super::intake::create(app, new).await?;
    super::outbox::flush_new(app, &created.incident, events).await;
    Ok(created.incident)
}
