//! Track: keeps the incident's issue in the team's tracker in step. Triage
//! opens it, a severity change relabels it, a status change comments the
//! status update, closing closes it with the summary, and each follow-up
//! action becomes an issue of its own, linked from it. Each action is
//! claimed in the delivery ledger, so a redelivered event opens nothing and
//! comments once; the opened issue's key is stored on the incident.

use super::delivery::{self, Lease};
use super::routing::{self, Consumer};
use super::{App, HandlerError, Write};
use crate::domain::{
    Audience, Change, DomainEvent, EventKind, Incident, MessageKind, Status, TimelineKind,
    TrackerLink,
};
use crate::messages::{self, Inputs, issue};
use crate::ports::{IssueTracker, LedgerKey, TrackerError};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;

/// Who writes the tracker's timeline entries.
const ACTOR: &str = "klaxon:track";

/// What the tracker consumer did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracked {
    /// No tracker is configured.
    Off,
    /// Not an event the tracker follows.
    Ignored,
    /// The issue was opened or updated.
    Done,
    /// Done before: a redelivery.
    Already,
    /// The tracker refused (a missing repository, no permission): on the
    /// timeline, and not retried.
    Refused,
}

/// Handles one event. A retryable failure (GitHub down, rate limited past
/// the adapter's budget) is an error, so the event is retried and then
/// dead-lettered; a refusal is written on the timeline and answered.
pub async fn on_event(
    app: &Arc<App>,
    tracker: Option<&dyn IssueTracker>,
    event: &DomainEvent,
) -> Result<Tracked, HandlerError> {
    let Some(tracker) = tracker else {
        return Ok(Tracked::Off);
    };
    if !routing::takes(Consumer::Track, event.kind) {
        return Ok(Tracked::Ignored);
    }
    let incident = app
        .store
        .get(event.incident_id)
        .await?
        .ok_or(HandlerError::MissingIncident(event.incident_id))?;
    // Any tracked event opens the issue if it is missing (an incident
    // triaged before the tracker was configured catches up).
    let (opened, incident) = ensure_issue(app, tracker, incident).await?;
    let Some(link) = incident.tracker.clone() else {
        return Ok(Tracked::Refused);
    };
    let api_base = app.settings.intake.public_url.as_deref();
    match event.kind {
        EventKind::IncidentTriaged => Ok(opened),
        EventKind::SeverityChanged => {
            // The incident as it is now: a late or repeated event sets the
            // current labels, never stale ones.
            let title = issue::title(&incident);
            let labels = issue::labels(&incident);
            let key = format!("track#{}#relabel", event.id);
            act(app, &incident, "relabel the issue", key, async {
                Ok::<(), HandlerError>(tracker.relabel(&link.key, &title, &labels).await?)
            })
            .await
        }
        EventKind::StatusChanged if event.status == Status::Closed => {
            let summary = issue::close_summary(&incident, api_base);
            // Per closing, not per incident: one reopened closes again. The
            // summary and the state are claimed apart, so a retried state
            // change does not post the summary twice.
            let key = format!("track#{}#close-summary", event.id);
            let said = act(app, &incident, "comment the closing summary", key, async {
                Ok::<(), HandlerError>(tracker.comment(&link.key, &summary).await?)
            })
            .await?;
            if said == Tracked::Refused {
                return Ok(said);
            }
            let key = format!("track#{}#close", event.id);
            act(app, &incident, "close the issue", key, async {
                Ok::<(), HandlerError>(tracker.close(&link.key).await?)
            })
            .await
        }
        EventKind::StatusChanged if event.from.is_some_and(|f| !f.is_open()) => {
            let body = issue::status_comment(&status_update(app, event, &incident)?);
            let key = format!("track#{}#reopen", event.id);
            let reopened = act(app, &incident, "reopen the issue", key, async {
                Ok::<(), HandlerError>(tracker.reopen(&link.key).await?)
            })
            .await?;
            if reopened == Tracked::Refused {
                return Ok(reopened);
            }
            let key = format!("track#{}#comment", event.id);
            act(app, &incident, "comment on the issue", key, async {
                Ok::<(), HandlerError>(tracker.comment(&link.key, &body).await?)
            })
            .await
        }
        EventKind::StatusChanged => {
            let body = issue::status_comment(&status_update(app, event, &incident)?);
            let key = format!("track#{}#comment", event.id);
            act(app, &incident, "comment on the issue", key, async {
                Ok::<(), HandlerError>(tracker.comment(&link.key, &body).await?)
            })
            .await
        }
        EventKind::FollowUpAdded => {
            let Some(task) = event
                .task
                .and_then(|id| incident.tasks.iter().find(|t| t.id == id))
            else {
                return Ok(Tracked::Ignored);
            };
            let draft = issue::follow_up(&incident, task, &link.key, api_base);
            let key = format!("track#{}#follow-up#{}", incident.id, task.id);
            let task_id = task.id;
            act(app, &incident, "open the follow-up's issue", key, async {
                let opened = tracker.open(&draft).await?;
                // The new issue's body already links the incident's (GitHub
                // shows it on both), so this comment is a courtesy: failing
                // it must not release the claim and open a second issue.
                let linked = issue::follow_up_comment(task_id, &opened.key);
                if let Err(e) = tracker.comment(&link.key, &linked).await {
                    tracing::warn!(incident_id = %incident.id, error = %e, "could not comment the follow-up's link");
                }
                let text = format!(
                    "follow-up #{task_id} tracked as {} issue #{} ({})",
                    opened.system, opened.key, opened.url
                );
                note(app, incident.clone(), text).await?;
                Ok::<(), HandlerError>(())
            })
            .await
        }
        _ => Ok(Tracked::Ignored),
    }
}

/// The status update the team is sent, from the same template.
fn status_update(
    app: &App,
    event: &DomainEvent,
    incident: &Incident,
) -> Result<String, HandlerError> {
    let inputs = Inputs {
        templates: &app.settings.notify.templates,
        contact: "the security team",
        product: "our app",
        ack_url: None,
        sms_ack_url: None,
        email_ack_url: None,
        api_base: app.settings.intake.public_url.as_deref(),
        note: event.note.as_deref(),
    };
    let message = messages::render(
        event,
        incident,
        Audience::SecurityTeam,
        MessageKind::StatusUpdate,
        &inputs,
    )
    .map_err(HandlerError::Render)?;
    Ok(message.message.email)
}

/// Opens the incident's issue once, and stores its key on the incident.
/// Answers whether this call opened it, and the incident as stored.
async fn ensure_issue(
    app: &Arc<App>,
    tracker: &dyn IssueTracker,
    incident: Incident,
) -> Result<(Tracked, Incident), HandlerError> {
    if incident.tracker.is_some() {
        return Ok((Tracked::Already, incident));
    }
    let key = format!("track#{}#open", incident.id);
    let claim = LedgerKey::new("track", &key);
    let Some(guard) = delivery::claim_one(app, claim.clone(), Lease::Attempt).await? else {
        if delivery::delivered(app, &claim).await? {
            // Opened (our read predates the stored key) or refused: reread.
            let fresh = app
                .store
                .get(incident.id)
                .await?
                .ok_or(HandlerError::MissingIncident(incident.id))?;
            return Ok((Tracked::Already, fresh));
        }
        return Err(in_flight(&key));
    };
    let draft = issue::draft(&incident, app.settings.intake.public_url.as_deref());
    let outcome = match tracker.open(&draft).await {
        Ok(link) => store_link(app, incident, link)
            .await
            .map(|i| (Tracked::Done, i)),
        Err(TrackerError::Refused { status, reason }) => {
            note_refusal(app, incident, "open the issue", status, &reason)
                .await
                .map(|i| (Tracked::Refused, i))
        }
        Err(e) => Err(HandlerError::Track(e)),
    };
    guard.settle(outcome).await
}

async fn store_link(
    app: &Arc<App>,
    incident: Incident,
    link: TrackerLink,
) -> Result<Incident, HandlerError> {
    let (stored, ()) = super::update(app, incident, |current, now| {
        if current.tracker.is_some() {
            return Ok::<_, HandlerError>(Write::Keep(()));
        }
        let mut ch = Change::begin(current, now);
        let (kind, text) = issue::opened_note(&link.system, &link.key, &link.url);
        ch.incident.tracker = Some(link.clone());
        ch.record(ACTOR, kind, text);
        Ok(Write::Commit(ch, ()))
    })
    .await?;
    tracing::info!(incident_id = %stored.id, issue = %link.key, "tracker issue opened");
    Ok(stored)
}

/// A refusal, where the responders read: what was refused and why.
async fn note_refusal(
    app: &Arc<App>,
    incident: Incident,
    what: &str,
    status: u16,
    reason: &str,
) -> Result<Incident, HandlerError> {
    tracing::warn!(incident_id = %incident.id, status, reason, "the tracker refused to {what}");
    let text = format!("the tracker refused to {what} ({status}): {reason}; not retried");
    note(app, incident, text).await
}

/// One tracker entry on the timeline.
async fn note(app: &Arc<App>, incident: Incident, text: String) -> Result<Incident, HandlerError> {
    let (stored, ()) = super::update(app, incident, |current, now| {
        let mut ch = Change::begin(current, now);
        ch.record(ACTOR, TimelineKind::Tracker, text.clone());
        Ok::<_, HandlerError>(Write::Commit(ch, ()))
    })
    .await?;
    Ok(stored)
}

/// One later action, claimed once under `key`.
async fn act(
    app: &Arc<App>,
    incident: &Incident,
    what: &str,
    key: String,
    action: impl Future<Output = Result<(), HandlerError>>,
) -> Result<Tracked, HandlerError> {
    let claim = LedgerKey::new("track", &key);
    let Some(guard) = delivery::claim_one(app, claim.clone(), Lease::Attempt).await? else {
        if delivery::delivered(app, &claim).await? {
            return Ok(Tracked::Already);
        }
        return Err(in_flight(&key));
    };
    let outcome = match action.await {
        Ok(()) => Ok(Tracked::Done),
        Err(HandlerError::Track(TrackerError::Refused { status, reason })) => {
            note_refusal(app, incident.clone(), what, status, &reason)
                .await
                .map(|_| Tracked::Refused)
        }
        Err(e) => Err(e),
    };
    guard.settle(outcome).await
}

/// Claimed but not completed: another worker is acting, or one died.
/// Retried after the claim's lease rather than counted done.
fn in_flight(key: &str) -> HandlerError {
    HandlerError::Track(TrackerError::Unavailable(format!(
        "{key} is claimed but not completed; retrying after its lease"
    )))
}
