//! Escalate: the scheduled sweep that pages, reminds and reports breaches,
//! and the actions that stop it (acknowledging, meeting an obligation).
//!
//! The sweep reads only the due index, runs each due incident's steps (pure,
//! in [`crate::policy::clocks`]) and commits them with their events by one
//! conditional write per incident. A sweep that loses a race reloads and
//! finds nothing left to do.

use super::{App, HandlerError, Write, outbox, update};
use crate::domain::{Caller, Change, DeadlineKind, Incident, IncidentKey};
use crate::metrics::{self, Metric};
use crate::policy::clocks::{self, AckRefused};
use crate::policy::reach::Reach;
use crate::ports::StoreError;
use chrono::Duration;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// Due incidents read per query.
pub const BATCH: usize = 100;
/// Batches per sweep; the next sweep, a minute later, takes the rest.
const MAX_BATCHES: usize = 50;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tick {
    /// Due incidents processed.
    pub due: usize,
    /// Items the store examined to find them.
    pub examined: u64,
    /// Pages, reminders and breaches announced.
    pub steps: usize,
    /// Due items that could not be read or updated; logged and skipped.
    pub failed: usize,
    /// Stranded outbox events re-published.
    pub republished: usize,
    /// Closed incidents purged because their retention ran out.
    pub purged: usize,
    /// Heartbeat monitors found late (each opened its incident).
    pub late_monitors: usize,
    /// Handoff notices and coverage warnings sent.
    pub notices: usize,
}

/// One sweep: runs every step due now, then re-publishes stranded events.
pub async fn tick(app: &Arc<App>) -> Result<Tick, HandlerError> {
    let now = app.clock.now();
    let mut t = Tick::default();
    let mut seen = HashSet::new();
    let mut reach: Option<Reach> = None;
    for _ in 0..MAX_BATCHES {
        let batch = app.store.due_before(now, BATCH).await?;
        t.examined += batch.examined;
        let read = batch.items.len();
        let mut progressed = 0;
        for item in batch.items {
            let incident = match item {
                Ok(i) => i,
                Err(e) => {
                    t.failed += 1;
                    metrics::incr(Metric::SweepFailures);
                    tracing::error!(error = %e, "skipping an unreadable due item");
                    continue;
                }
            };
            if !seen.insert(incident.id) {
                // Failed earlier in this sweep and still due: next sweep.
                continue;
            }
            t.due += 1;
            let id = incident.id;
            if incident.status == crate::domain::Status::Closed {
                // A closed incident is in the due index only to expire.
                match purge(app, &incident).await {
                    Ok(purged) => {
                        t.purged += usize::from(purged);
                        progressed += 1;
                    }
                    Err(e) => {
                        t.failed += 1;
                        metrics::incr(Metric::SweepFailures);
                        tracing::error!(incident_id = %id, error = %e, "purge failed; carrying on");
                    }
                }
                continue;
            }
            // The roster once per sweep, when a due incident may page.
            if reach.is_none() {
                match super::oncall::reach(app, now).await {
                    Ok(r) => reach = Some(r),
                    Err(e) => {
                        t.failed += 1;
                        metrics::incr(Metric::SweepFailures);
                        tracing::error!(error = %e, "roster unreadable; paging waits for the next sweep");
                        continue;
                    }
                }
            }
            let Some(roster) = reach.as_ref() else {
                continue;
            };
            match step(app, incident, roster).await {
                Ok(n) => {
                    t.steps += n;
                    progressed += 1;
                }
                Err(e) => {
                    t.failed += 1;
                    metrics::incr(Metric::SweepFailures);
                    tracing::error!(incident_id = %id, error = %e, "escalation step failed; carrying on");
                }
            }
        }
        if read < BATCH || progressed == 0 {
            break;
        }
    }
    // Monitors through their own due index: what is late, nothing else.
    match super::silence::check(app).await {
        Ok(c) => {
            t.late_monitors = c.late;
            t.examined += c.examined;
            t.failed += c.failed;
        }
        Err(e) => {
            t.failed += 1;
            metrics::incr(Metric::SweepFailures);
            tracing::error!(error = %e, "heartbeat check failed; carrying on");
        }
    }
    // The roster's notices: handoffs and coverage warnings.
    match super::oncall_notices::sweep(app).await {
        Ok(n) => t.notices = n,
        Err(e) => {
            t.failed += 1;
            metrics::incr(Metric::SweepFailures);
            tracing::error!(error = %e, "on-call notices failed; carrying on");
        }
    }
    t.republished = outbox::sweep(app, Duration::seconds(outbox::SWEEP_GRACE_SECS)).await?;
    if t.due > 0 || t.republished > 0 || t.failed > 0 || t.late_monitors > 0 || t.notices > 0 {
        tracing::info!(
            due = t.due,
            purged = t.purged,
            steps = t.steps,
            failed = t.failed,
            examined = t.examined,
            republished = t.republished,
            late_monitors = t.late_monitors,
            notices = t.notices,
            "escalation sweep"
        );
    }
    Ok(t)
}

/// Deletes a closed incident whose retention has run out, with everything
/// kept with it. The delete is conditional on the version decided on: a
/// legal hold placed since the read moved the version, so the store refuses
/// and the record stays. Returns whether it was deleted.
async fn purge(app: &Arc<App>, incident: &Incident) -> Result<bool, StoreError> {
    let Some(current) = app.store.get(incident.id).await? else {
        return Ok(false);
    };
    let expired = current.expires_at.is_some_and(|at| at <= app.clock.now());
    if current.deletable().is_err() || !expired {
        return Ok(false);
    }
    match app.store.delete(current.id, current.version).await {
        Ok(deleted) => {
            if deleted {
                tracing::info!(incident_id = %current.id, reference = %current.reference, "retention ran out; incident purged");
            }
            Ok(deleted)
        }
        Err(StoreError::Conflict { .. }) => {
            // Changed since the read (a hold, a reopen): the next sweep
            // decides again on what it then reads.
            tracing::info!(incident_id = %current.id, "incident changed while it was purged; kept");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Runs one incident's due steps. Returns how many were announced.
async fn step(app: &Arc<App>, incident: Incident, reach: &Reach) -> Result<usize, StoreError> {
    let policy = Arc::clone(&app.settings.policy);
    let (_, n) = update(app, incident, |current, now| {
        // Reloaded after losing a race: the winner already took this step.
        if current.next_action_at().is_none_or(|at| at > now) {
            return Ok::<_, StoreError>(Write::Keep(0));
        }
        let mut change = Change::begin(current, now);
        let fired = clocks::run_due_reaching(&mut change, &policy, reach, now);
        Ok(Write::Commit(change, fired))
    })
    .await?;
    if n > 0 {
        metrics::incr(Metric::Escalations);
    }
    Ok(n)
}

/// Finds an incident by id or by reference (`KLX-2026-7QX4MZ`).
pub async fn find(app: &App, key: &str) -> Result<Option<Incident>, StoreError> {
    match IncidentKey::parse(key) {
        Some(k) => app.store.find(&k).await,
        None => Ok(None),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("incident {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Refused(#[from] AckRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of an acknowledgement.
#[derive(Debug, Clone, Serialize)]
pub struct Acked {
    pub incident: Incident,
    /// False when it was already acknowledged and nothing was paging.
    pub changed: bool,
}

/// Acknowledges an incident as `caller`: paging stops, the ack and response
/// deadlines are met, and `Incident Acknowledged` is emitted. An incident
/// outside the caller's tenants is not found.
pub async fn acknowledge(
    app: &Arc<App>,
    caller: &Caller,
    key: &str,
    via: &str,
    note: &str,
) -> Result<Acked, AckError> {
    let incident = find(app, key)
        .await?
        .filter(|i| caller.may_see(i.tenant.as_deref()))
        .ok_or_else(|| AckError::NotFound(key.to_owned()))?;
    acknowledge_incident(app, incident, &caller.name, via, note).await
}

/// [`acknowledge`] for an incident already loaded (the ack link's page
/// has just read it).
pub async fn acknowledge_incident(
    app: &Arc<App>,
    incident: Incident,
    by: &str,
    via: &str,
    note: &str,
) -> Result<Acked, AckError> {
    let policy = Arc::clone(&app.settings.policy);
    // Whoever names the acknowledger, no secret in it is kept.
    let by = crate::domain::redact::redact(by).text;
    let by = by.as_ref();
    let (incident, changed) = update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        Ok::<_, AckError>(
            if clocks::acknowledge(&mut change, &policy, by, via, note)? {
                Write::Commit(change, true)
            } else {
                Write::Keep(false)
            },
        )
    })
    .await?;
    if changed {
        tracing::info!(incident_id = %incident.id, by, via, "incident acknowledged");
    }
    Ok(Acked { incident, changed })
}

/// Records an obligation met, which stops (or, for status updates, re-arms)
/// its clock.
pub async fn meet(
    app: &Arc<App>,
    key: &str,
    kind: DeadlineKind,
    actor: &str,
    note: &str,
) -> Result<Incident, AckError> {
    let incident = find(app, key)
        .await?
        .ok_or_else(|| AckError::NotFound(key.to_owned()))?;
    Ok(meet_incident(app, incident, kind, actor, note, None).await?)
}

/// [`meet`] on an incident already read. `at` is when the obligation was
/// met, if earlier than now (the report was filed an hour ago).
pub async fn meet_incident(
    app: &Arc<App>,
    incident: Incident,
    kind: DeadlineKind,
    actor: &str,
    note: &str,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Incident, StoreError> {
    let policy = Arc::clone(&app.settings.policy);
    let (incident, ()) = update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        clocks::meet(&mut change, &policy, kind, actor, note);
        if let Some(at) = at.filter(|at| *at < now)
            && kind != DeadlineKind::StatusUpdate
            && let Some(d) = change.incident.deadline_mut(kind)
            && d.met_at == Some(now)
        {
            d.met_at = Some(at);
        }
        if kind == DeadlineKind::PostIncidentReview {
            change.satisfy(
                actor,
                crate::domain::REVIEW_CRITERION,
                "post-incident review recorded",
            );
        }
        Ok::<_, StoreError>(Write::Commit(change, ()))
    })
    .await?;
    Ok(incident)
}
