//! Assess: gives an incident its severity, class, play, reasons and
//! deadlines, re-assesses it when facts change, and records overrides.

use super::routing::{self, Consumer};
use super::{App, HandlerError, Write};
use crate::domain::{
    Assessment, Change, DomainEvent, EventKind, Incident, IncidentId, Severity, SeverityOverride,
    Status, TimelineKind,
};
use crate::policy::reach::Reach;
use crate::policy::{self, Facts, Policy};
use crate::ports::StoreError;
use std::sync::Arc;

const ACTOR: &str = "klaxon:assess";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Triaged,
    /// Already past `reported`: a redelivered event, nothing to do.
    AlreadyTriaged,
    /// Not an event assess consumes.
    Ignored,
}

/// Assessments intake already made to decide whether a new report pages
/// (`outbox::flush_new`), kept for its triage in the same process so the
/// engine reads each report once. Keyed by incident and version: any change
/// in between (a repeat with a new signal) makes triage assess afresh.
#[derive(Default)]
pub(crate) struct Made(std::sync::Mutex<std::collections::HashMap<(IncidentId, u64), Assessment>>);

/// Assessments held at most; a flood past it only costs a fresh assessment.
const MADE: usize = 4096;

impl Made {
    pub(crate) fn keep(&self, incident: &Incident, a: Assessment) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MADE {
            map.clear();
        }
        map.insert((incident.id, incident.version), a);
    }

    fn take(&self, incident: &Incident) -> Option<Assessment> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(incident.id, incident.version))
    }
}

/// The facts the engine reads, from the incident.
pub fn facts(i: &Incident) -> Facts<'_> {
    let mut texts = vec![
        ("title", i.title.as_str()),
        ("description", i.description.as_str()),
    ];
    if let Some(s) = &i.steps_to_reproduce {
        texts.push(("steps_to_reproduce", s.as_str()));
    }
    if let Some(s) = &i.impact {
        texts.push(("impact", s.as_str()));
    }
    Facts {
        texts,
        cvss: i.cvss.as_deref(),
        signal: i.signal.as_ref(),
        customer_data: i.customer_data_involved,
        atlassian_systems: i.atlassian_systems_affected,
        production: i.production,
    }
}

/// One timeline line for an assessment: the verdict, then each reason.
pub fn explain(a: &Assessment) -> String {
    let mut out = format!(
        "assessed {} ({}): class {}, play {}",
        a.severity,
        a.severity.name(),
        a.class,
        serde_json::to_value(a.play)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    for r in &a.reasons {
        let sev = r.severity.map(|s| format!(" -> {s}")).unwrap_or_default();
        out.push_str(&format!("\n- {}: {}{sev}", r.rule, r.evidence));
    }
    out
}

/// Runs the engine on the change's incident and records the result. Returns
/// the severity before, if it changed.
fn apply(
    change: &mut Change,
    policy: &Policy,
    confirmed_at: chrono::DateTime<chrono::Utc>,
) -> Option<Option<Severity>> {
    let a = policy.assess(&facts(&change.incident));
    apply_assessment(change, policy, confirmed_at, a)
}

/// [`apply`] with the engine's answer already in hand.
fn apply_assessment(
    change: &mut Change,
    policy: &Policy,
    confirmed_at: chrono::DateTime<chrono::Utc>,
    mut a: Assessment,
) -> Option<Option<Severity>> {
    // A drill plays out the scenario it was started with, whatever its text says.
    if let Some(sc) = change.incident.drill_scenario {
        policy.play_drill(&mut a, sc);
        a.reasons.insert(
            0,
            crate::domain::Reason {
                rule: "drill".into(),
                evidence: format!("drill scenario: {} at {}", sc.class, sc.severity),
                severity: Some(sc.severity),
            },
        );
    }
    let before = change.incident.severity;
    let severity = change
        .incident
        .severity_override
        .as_ref()
        .map(|o| o.severity)
        .unwrap_or(a.severity);
    for note in &a.notes {
        change.record(ACTOR, TimelineKind::Note, note.clone());
    }
    let unchanged = change.incident.assessment.as_ref().is_some_and(|old| {
        old.severity == a.severity && old.class == a.class && old.flags == a.flags
    });
    if !unchanged {
        change.record(ACTOR, TimelineKind::Assessed, explain(&a));
    }
    let overridden = change.incident.severity_override.is_some();
    if a.needs_triage
        && !overridden
        && change
            .incident
            .assessment
            .as_ref()
            .is_none_or(|o| !o.needs_triage)
    {
        crate::metrics::incr(crate::metrics::Metric::TriageNeeded);
    }
    change.incident.deadlines = deadlines_for(
        policy,
        &a,
        severity,
        overridden,
        &change.incident,
        confirmed_at,
    );
    change.incident.severity = Some(severity);
    change.incident.assessment = Some(a);
    change.open_checklists(policy);
    (before != Some(severity)).then_some(before)
}

/// The deadlines `severity` owes (an override may differ from the engine's
/// verdict), keeping those already met.
fn deadlines_for(
    policy: &Policy,
    a: &Assessment,
    severity: Severity,
    overridden: bool,
    incident: &Incident,
    confirmed_at: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::domain::Deadline> {
    let mut effective = a.clone();
    effective.severity = severity;
    // A person's severity ends triage: its own deadlines apply.
    effective.needs_triage = a.needs_triage && !overridden;
    let fresh = policy.deadlines(&effective, incident.created_at, confirmed_at);
    policy::merge_deadlines(&incident.deadlines, fresh)
}

/// Starts (or stops) paging for the severity and schedules the deadline
/// alerts; a first level with no delay pages in this same change, so a
/// critical report pages without waiting for the next sweep.
fn start_clocks(change: &mut Change, policy: &Policy, reach: Option<&Reach>) {
    use crate::policy::clocks;
    let now = change.incident.updated_at;
    clocks::arm(change, policy, now);
    match reach {
        Some(r) => clocks::run_due_reaching(change, policy, r, now),
        // Without the roster read, a level naming a schedule or a person
        // waits for the sweep rather than count as a coverage gap.
        None if !policy.roster_targets().is_empty() => 0,
        None => clocks::run_due(change, policy, now),
    };
}

/// When the incident was confirmed (triaged): obligations count from then.
fn confirmed_at(i: &Incident) -> chrono::DateTime<chrono::Utc> {
    i.confirmed_at.unwrap_or(i.created_at)
}

/// Handles `Report Received`. Safe to call more than once per event.
pub async fn on_event(app: &Arc<App>, event: &DomainEvent) -> Result<Outcome, HandlerError> {
    if !routing::takes(Consumer::Assess, event.kind) {
        return Ok(Outcome::Ignored);
    }
    let incident = app
        .store
        .get(event.incident_id)
        .await?
        .ok_or(HandlerError::MissingIncident(event.incident_id))?;
    let policy = &app.settings.policy;
    let made = app
        .assessments
        .take(&incident)
        .map(|a| (incident.version, a));
    let reach = super::oncall::reach(app, app.clock.now()).await?;
    let (stored, outcome) = super::update(app, incident, |current, now| {
        // Past `reported`: a redelivery, or someone else moved it first.
        if current.status != Status::Reported {
            return Ok(Write::Keep(Outcome::AlreadyTriaged));
        }
        let mut change = Change::begin(current, now);
        change.incident.confirmed_at = Some(now);
        match made
            .as_ref()
            .filter(|(version, _)| *version == current.version)
        {
            Some((_, a)) => apply_assessment(&mut change, policy, now, a.clone()),
            None => apply(&mut change, policy, now),
        };
        change.move_to(ACTOR, Status::Triaged)?;
        change.emit(EventKind::IncidentTriaged);
        start_clocks(&mut change, policy, Some(&reach));
        Ok::<_, HandlerError>(Write::Commit(change, Outcome::Triaged))
    })
    .await?;
    if outcome == Outcome::Triaged {
        tracing::info!(incident_id = %stored.id, event_id = %event.id, severity = ?stored.severity, "incident triaged");
    }
    Ok(outcome)
}

/// Re-assesses an already-assessed incident inside a change (new facts:
/// an occurrence, an edited report). A severity change emits `Severity
/// Changed` and the deadlines are recomputed, keeping what was met.
pub fn reassess(change: &mut Change, policy: &Policy, why: &str) {
    if change.incident.status == Status::Reported {
        // Not assessed yet: the pending `Report Received` will do it.
        return;
    }
    let at = confirmed_at(&change.incident);
    let changed = apply(change, policy, at);
    start_clocks(change, policy, None);
    if let Some(before) = changed {
        let after = change
            .incident
            .severity
            .map(|s| s.to_string())
            .unwrap_or_default();
        let before = before
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into());
        change.record(
            ACTOR,
            TimelineKind::Assessed,
            format!("severity {before} -> {after} on re-assessment ({why})"),
        );
        change.emit(EventKind::SeverityChanged);
    }
}

/// A responder sets the severity, with a reason. Deadlines follow it.
pub async fn override_severity(
    app: &Arc<App>,
    incident: Incident,
    severity: Severity,
    reason: &str,
    actor: &str,
) -> Result<Incident, StoreError> {
    let reach = super::oncall::reach(app, app.clock.now()).await?;
    let (incident, ()) = super::update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        let before = current.severity;
        change.incident.severity_override = Some(SeverityOverride {
            severity,
            reason: reason.to_owned(),
            by: actor.to_owned(),
            at: now,
        });
        change.incident.severity = Some(severity);
        if let Some(a) = &current.assessment {
            change.incident.deadlines = deadlines_for(
                &app.settings.policy,
                a,
                severity,
                true,
                current,
                confirmed_at(current),
            );
            if current.needs_triage() {
                crate::metrics::incr(crate::metrics::Metric::TriageSettled);
                if severity != a.severity {
                    crate::metrics::incr(crate::metrics::Metric::TriageVerdictChanged);
                }
            }
        }
        let before_s = before
            .map(|s| s.to_string())
            .unwrap_or_else(|| "none".into());
        change.record(
            actor,
            TimelineKind::Assessed,
            format!("severity overridden {before_s} -> {severity}: {reason}"),
        );
        if before != Some(severity) {
            change.emit(EventKind::SeverityChanged);
        }
        start_clocks(&mut change, &app.settings.policy, Some(&reach));
        Ok::<_, StoreError>(Write::Commit(change, ()))
    })
    .await?;
    Ok(incident)
}
