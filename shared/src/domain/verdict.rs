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

/// How a deadline stands for someone watching it now: the console's
/// highlight and the list's "next deadline".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Breached, or due and unmet.
    Breached,
    /// Still open, but a reminder has gone out or less than a quarter of
    /// its window is left.
    AtRisk,
    /// Open, with time in hand.
    Running,
    /// Met, or not owed.
    Settled,
}

/// Judges `d` at `now` for a watcher (see [`Urgency`]).
pub fn urgency(incident: &Incident, d: &Deadline, now: DateTime<Utc>) -> Urgency {
    match deadline_outcome(incident, d, Some(now)) {
        DeadlineOutcome::Breached | DeadlineOutcome::Missed => Urgency::Breached,
        DeadlineOutcome::Open => {
            let window = d.due_at - d.starts_at;
            if d.reminders_sent > 0 || (d.due_at - now) * 4 <= window {
                Urgency::AtRisk
            } else {
                Urgency::Running
            }
        }
        DeadlineOutcome::MetOnTime | DeadlineOutcome::MetLate | DeadlineOutcome::NotOwed => {
            Urgency::Settled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NewIncident, Report, ReportInput, Source};
    use chrono::Duration;

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-23T03:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time")
            + Duration::minutes(min)
    }

    #[test]
    fn urgency_table() {
        let report = Report::parse(ReportInput {
            title: Some("t".into()),
            description: Some("d".into()),
            ..Default::default()
        })
        .expect("report");
        let incident = NewIncident::from_report(report, Source::Report, None, t(0)).incident;
        // A 100-minute window from t(0) to t(100).
        let d = |f: &dyn Fn(&mut Deadline)| {
            let mut d = Deadline::new(DeadlineKind::Notify, t(0), t(100));
            f(&mut d);
            d
        };
        let cases = [
            ("early", d(&|_| {}), 10, Urgency::Running),
            ("three quarters gone", d(&|_| {}), 75, Urgency::AtRisk),
            (
                "a reminder sent",
                d(&|d| d.reminders_sent = 1),
                10,
                Urgency::AtRisk,
            ),
            ("due and unmet", d(&|_| {}), 100, Urgency::Breached),
            (
                "breach recorded",
                d(&|d| d.breached_at = Some(t(100))),
                101,
                Urgency::Breached,
            ),
            ("met", d(&|d| d.met_at = Some(t(50))), 120, Urgency::Settled),
        ];
        for (name, deadline, at, want) in cases {
            assert_eq!(urgency(&incident, &deadline, t(at)), want, "{name}");
        }
    }
}
