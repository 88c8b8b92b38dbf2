//! Source updates: what a sending tool says about its alert after the alert
//! opened an incident (PagerDuty's `acknowledge` and `resolve`).
//!
//! A security incident is acknowledged by a responder who takes it, through
//! [`super::escalate::acknowledge`]. A monitoring tool acknowledging its
//! alert says someone looked at the alert in that tool, not that anyone on
//! the security rota has the incident, and an automated or stolen-key
//! acknowledge must not silence a SEV-1. So a source's acknowledge, like
//! its resolve, is recorded on the timeline (actor: the source) and changes
//! nothing else: the status, the acknowledgement, the deadlines and the
//! paging stay as they were, no event is emitted, and the sweep keeps
//! paging until a person acknowledges.

use super::{App, Write, update};
use crate::domain::{Change, Incident, Source, Status, TimelineKind};
use crate::ports::StoreError;
use std::sync::Arc;

/// What the source said about its alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceAction {
    Acknowledge,
    Resolve,
}

impl SourceAction {
    fn note(self) -> &'static str {
        match self {
            Self::Acknowledge => {
                "the source acknowledged its alert (PagerDuty-compatible event); the incident is not acknowledged by it: paging goes on until a responder acknowledges"
            }
            Self::Resolve => {
                "the source reported its alert resolved (PagerDuty-compatible event); the incident stays open until a responder closes it"
            }
        }
    }
}

/// Records `action` on the incident `source` opened under `key`. Returns
/// the incident, or `None` when the source's key names none. A closed
/// incident's record no longer changes, and a repeat of the source's last
/// word (a tool re-sending its acknowledge) is recorded once.
pub async fn source_update(
    app: &Arc<App>,
    source: Source,
    key: &str,
    action: SourceAction,
) -> Result<Option<Incident>, StoreError> {
    let Some(incident) = app
        .store
        .find_by_key(&source.scoped_key(key.into()))
        .await?
    else {
        return Ok(None);
    };
    let timeline = app.store.timeline(incident.id).await?;
    let last_word = timeline
        .iter()
        .rev()
        .find(|e| e.actor == source.as_str() && e.kind == TimelineKind::Note);
    if last_word.is_some_and(|e| e.message == action.note()) {
        return Ok(Some(incident));
    }
    let (updated, ()) = update(app, incident, |current, now| {
        if current.status == Status::Closed {
            return Ok::<_, StoreError>(Write::Keep(()));
        }
        let mut change = Change::begin(current, now);
        change.record(source.as_str(), TimelineKind::Note, action.note());
        Ok(Write::Commit(change, ()))
    })
    .await?;
    Ok(Some(updated))
}
