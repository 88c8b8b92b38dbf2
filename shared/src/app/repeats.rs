//! A repeat of an open incident's natural key: counted once by the store's
//! counter (one atomic write, no version to conflict on), written to the
//! timeline once per burst, and re-assessed only when it carries a more
//! severe source signal than any assessed so far.

use super::{App, Write};
use crate::domain::{
    Burst, Change, IdempotencyKey, IncidentId, Reference, RepeatSeen, Repeats, SourceSignal,
    TimelineEntry, TimelineKind, rank,
};
use crate::ports::{RepeatCount, StoreError};
use crate::retry::{Backoff, Try};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A repeat can meet a new signal or a burst starting; each retry counts
/// afresh, at once.
const ATTEMPTS: Backoff = Backoff::immediate(4);

/// Keys whose incident this process remembers, at most.
const REMEMBERED: usize = 4096;

/// A repeat that was counted: what intake answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    pub incident_id: IncidentId,
    pub reference: Reference,
    /// Times the source reported it, this repeat included.
    pub occurrences: u32,
}

/// Which incident each natural key named when this process last saw it.
/// A repeat of a remembered key goes straight to the counter; any other
/// key is created first, as most are new.
#[derive(Default)]
pub(crate) struct Targets(Mutex<HashMap<IdempotencyKey, IncidentId>>);

impl Targets {
    pub(crate) fn get(&self, key: &IdempotencyKey) -> Option<IncidentId> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied()
    }

    pub(crate) fn remember(&self, key: &IdempotencyKey, id: IncidentId) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a sender of endless new keys only costs a fresh start.
        if map.len() >= REMEMBERED && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.clone(), id);
    }

    pub(crate) fn forget(&self, key: &IdempotencyKey) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// A source signal as the counter ranks it: the engine's reading of the
/// sender's severity.
pub fn signal_rank(signal: Option<&SourceSignal>) -> u8 {
    rank(signal.and_then(crate::policy::classify::source_severity))
}

/// Counts `seen` on the open incident its key names. `None` when the store
/// has no open counter for it: the caller creates the incident, or opens
/// the counter of the one it finds.
pub(super) async fn count(
    app: &Arc<App>,
    seen: &RepeatSeen,
    signal: Option<&SourceSignal>,
) -> Result<Option<Repeated>, StoreError> {
    ATTEMPTS
        .run((), |()| async move {
            match app.store.count_repeat(seen).await? {
                RepeatCount::Counted(before) => {
                    // Counted: from here nothing may fail the request, or the
                    // sender's retry would count it twice.
                    if before.burst_ends_before(seen.at) {
                        end_burst(app, &before, seen).await;
                    }
                    Ok(Try::Done(Some(Repeated {
                        incident_id: before.incident_id,
                        reference: before.reference,
                        occurrences: before.occurrences.saturating_add(1),
                    })))
                }
                RepeatCount::NewSignal(current) => {
                    new_signal(app, &current, seen, signal).await?;
                    Ok(Try::Again(
                        (),
                        StoreError::Unavailable(
                            "the incident's repeats are busy; retry shortly".into(),
                        ),
                    ))
                }
                RepeatCount::Unknown => Ok(Try::Done(None)),
            }
        })
        .await
}

/// The quiet gap before `seen` ended the burst `before` was in: start the
/// next one, and write the ended one to the timeline, once.
async fn end_burst(app: &Arc<App>, before: &Repeats, seen: &RepeatSeen) {
    let next = Burst {
        start: seen.at,
        base: before.occurrences,
    };
    let Some(message) = before.burst_message() else {
        return;
    };
    let written = async {
        if app
            .store
            .next_burst(before.incident_id, &before.burst, &next, before.rank)
            .await?
        {
            record(app, before.incident_id, vec![message]).await?;
        }
        Ok::<_, StoreError>(())
    };
    if let Err(e) = written.await {
        // The count stands; only the burst's timeline entry is missing.
        tracing::warn!(incident_id = %before.incident_id, error = %e, "could not write a burst to the timeline");
    }
}

/// Writes `messages` to the incident's timeline, unless it is closed.
async fn record(app: &Arc<App>, id: IncidentId, messages: Vec<String>) -> Result<(), StoreError> {
    let incident = app.store.get(id).await?.ok_or(StoreError::NotFound(id))?;
    super::update(app, incident, |current, now| {
        if current.status == crate::domain::Status::Closed {
            return Ok::<_, StoreError>(Write::Keep(()));
        }
        let mut change = Change::begin(current, now);
        for m in &messages {
            change.record("klaxon", TimelineKind::Occurrence, m.clone());
        }
        Ok(Write::Commit(change, ()))
    })
    .await?;
    Ok(())
}

/// A repeat more severe than anything assessed: the burst so far is written
/// to the timeline, the incident takes the signal and is re-assessed (a
/// severity change emits `Severity Changed`), and the counter starts a new
/// burst at this rank. The repeat itself is counted by the caller's retry.
async fn new_signal(
    app: &Arc<App>,
    current: &Repeats,
    seen: &RepeatSeen,
    signal: Option<&SourceSignal>,
) -> Result<(), StoreError> {
    let id = current.incident_id;
    let incident = app.store.get(id).await?.ok_or(StoreError::NotFound(id))?;
    let burst = current.burst_message();
    super::update(app, incident, |now_stored, now| {
        if !now_stored.status.is_open() {
            return Ok::<_, StoreError>(Write::Keep(()));
        }
        let mut change = Change::begin(now_stored, now);
        if let Some(m) = &burst {
            change.record("klaxon", TimelineKind::Occurrence, m.clone());
        }
        change.record(
            "klaxon",
            TimelineKind::Occurrence,
            "the source reported it again, with a more severe signal",
        );
        if let Some(new) = signal
            && signal_rank(Some(new)) < signal_rank(now_stored.signal.as_ref())
        {
            change.incident.signal = Some(new.clone());
        }
        // Recorded on the timeline only if it changes anything.
        super::assess::reassess(
            &mut change,
            &app.settings.policy,
            "the source reported it again",
        );
        Ok(Write::Commit(change, ()))
    })
    .await?;
    let next = Burst {
        start: seen.at,
        base: current.occurrences,
    };
    // False: another repeat started a burst first; the retry sees it.
    app.store
        .next_burst(id, &current.burst, &next, seen.rank)
        .await?;
    Ok(())
}

/// The timeline as people read it: what is written, then the burst in
/// progress (or the last one), which the counter holds until the next
/// burst starts.
pub async fn timeline(
    app: &App,
    incident: &crate::domain::Incident,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let mut entries = app.store.timeline(incident.id).await?;
    if let Some(repeats) = app.store.repeats(incident.id).await? {
        let seq = entries.last().map_or(0, |e| e.seq + 1);
        entries.extend(repeats.burst_entry(seq));
    }
    Ok(entries)
}
