//! The deadline verdict: what happened to a deadline, judged at a point in
//! time. Pure: the documents and the incident view both read it.

use super::{Deadline, DeadlineKind, Incident};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What happened to a deadline, judged at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineOutcome {
    MetOnTime,
    MetLate,
    /// The sweep declared it breached and it was never met.
    Breached,
    /// Due, unmet, and no breach recorded.
    Missed,
    /// A response clock that resolution stopped before it fell due.
    NotOwed,
    /// Not met and not yet due.
    Open,
}

impl DeadlineOutcome {
    /// Met on time, or counts against the plan; `None`: not a sample.
    pub(crate) fn on_time(self) -> Option<bool> {
        match self {
            Self::MetOnTime => Some(true),
            Self::MetLate | Self::Breached | Self::Missed => Some(false),
            Self::NotOwed | Self::Open => None,
        }
    }
}

/// The paperwork is owed after resolution; the response clocks stop there.
/// Mirrors `policy::clocks`, which stops alerting on the others.
fn owed_after_resolution(kind: DeadlineKind) -> bool {
    matches!(
        kind,
        DeadlineKind::AtlassianReport
            | DeadlineKind::CustomerNotice
            | DeadlineKind::PostIncidentReview
    )
}

/// Judges `d` at `as_of`; with no `as_of`, an unmet deadline is open. A
/// response clock (acknowledgement, notification, response target, status
/// update, fix) that resolution stopped before it fell due was not owed.
/// A zero-length ("immediate") deadline met at all was met on time.
pub fn deadline_outcome(
    incident: &Incident,
    d: &Deadline,
    as_of: Option<DateTime<Utc>>,
) -> DeadlineOutcome {
    if let Some(met) = d.met_at {
        // An "immediate" target (SEV-1's incident command) has no length:
        // paging enforces it, and any acknowledgement meets it.
        let immediate = d.due_at <= d.starts_at;
        return if met <= d.due_at || immediate {
            DeadlineOutcome::MetOnTime
        } else {
            DeadlineOutcome::MetLate
        };
    }
    if d.breached_at.is_some() {
        return DeadlineOutcome::Breached;
    }
    if incident.resolved_at.is_some_and(|r| r < d.due_at) && !owed_after_resolution(d.kind) {
        return DeadlineOutcome::NotOwed;
    }
    if as_of.is_some_and(|t| d.due_at <= t) {
        DeadlineOutcome::Missed
    } else {
        DeadlineOutcome::Open
    }
}
