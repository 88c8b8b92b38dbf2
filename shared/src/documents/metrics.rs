//! Period metrics: MTTA, MTTR and deadline compliance, by severity.

use super::markdown::*;
use crate::domain::{DeadlineKind, Incident, Severity, Status, deadline_outcome};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// A mean duration and how many incidents it is over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Mean {
    /// Rounded to the second; `None` with no samples.
    pub seconds: Option<i64>,
    pub samples: usize,
}

impl Mean {
    fn of(values: impl IntoIterator<Item = i64>) -> Self {
        let (mut sum, mut n) = (0i128, 0usize);
        for v in values {
            sum += i128::from(v);
            n += 1;
        }
        let seconds = (n > 0).then(|| {
            let mean = sum as f64 / n as f64;
            mean.round() as i64
        });
        Self {
            seconds,
            samples: n,
        }
    }

    /// `2 h 05 min (n=3)`, or `n/a`.
    pub fn label(self) -> String {
        match self.seconds {
            Some(s) => format!("{} (n={})", span_secs(s), self.samples),
            None => "n/a".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityMetrics {
    /// `SEV-1`..`SEV-4`, or `unassessed`.
    pub severity: &'static str,
    pub count: usize,
    /// Mean time to acknowledge, from detection.
    pub mtta: Mean,
    /// Mean time to resolve, from detection.
    pub mttr: Mean,
}

/// How often one kind of deadline was met on time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadlineShare {
    pub kind: DeadlineKind,
    pub met: usize,
    /// Met late, breached, or due and unmet.
    pub missed: usize,
    /// `met / (met + missed)`; `None` with no samples.
    pub share: Option<f64>,
}

/// Figures over the incidents created in `[from, to)`. Drills are counted
/// apart and left out of everything else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Deadlines not yet due at this time, and unmet, are left out.
    pub as_of: DateTime<Utc>,
    pub total: usize,
    pub open: usize,
    pub resolved: usize,
    pub closed: usize,
    pub drills: usize,
    pub mtta: Mean,
    pub mttr: Mean,
    /// SEV-1..SEV-4, then `unassessed`.
    pub by_severity: Vec<SeverityMetrics>,
    /// One per [`DeadlineKind`], in [`DeadlineKind::ALL`] order.
    pub deadlines: Vec<DeadlineShare>,
    /// Class id (or `unassessed`) to count.
    pub by_class: BTreeMap<String, usize>,
    /// Source (`Source::as_str`) to count.
    pub by_source: BTreeMap<String, usize>,
}

impl Metrics {
    /// Deadlines met on time and all judged, over every kind, with the
    /// share (`None` with none judged).
    pub fn deadlines_met(&self) -> (usize, usize, Option<f64>) {
        let (met, missed) = self
            .deadlines
            .iter()
            .fold((0, 0), |(m, x), d| (m + d.met, x + d.missed));
        let all = met + missed;
        (met, all, (all > 0).then(|| met as f64 / all as f64))
    }
}

pub(super) fn ack_secs(i: &Incident) -> Option<i64> {
    i.acknowledged
        .as_ref()
        .map(|a| (a.at - i.created_at).num_seconds())
}

fn resolve_secs(i: &Incident) -> Option<i64> {
    i.resolved_at.map(|t| (t - i.created_at).num_seconds())
}

/// Counts, MTTA, MTTR and deadline compliance over the incidents created in
/// `[from, to)`. A deadline counts as met when `met_at <= due_at`, as
/// missed when met late, breached, or unmet and due by `now`; one not yet
/// due, or a response clock that resolution stopped before it fell due, is
/// not a sample.
pub fn metrics(
    incidents: &[Incident],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Metrics {
    let window: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.created_at >= from && i.created_at < to)
        .collect();
    let drills = window.iter().filter(|i| i.drill).count();
    let real: Vec<&Incident> = window.into_iter().filter(|i| !i.drill).collect();

    let severities = Severity::ALL.map(Some).into_iter().chain([None]);
    let by_severity = severities
        .map(|sev| {
            let of: Vec<&&Incident> = real.iter().filter(|i| i.severity == sev).collect();
            SeverityMetrics {
                severity: severity_key(sev),
                count: of.len(),
                mtta: Mean::of(of.iter().filter_map(|i| ack_secs(i))),
                mttr: Mean::of(of.iter().filter_map(|i| resolve_secs(i))),
            }
        })
        .collect();

    let deadlines = DeadlineKind::ALL
        .into_iter()
        .map(|kind| {
            let (mut met, mut missed) = (0, 0);
            for i in &real {
                for d in i.deadlines.iter().filter(|d| d.kind == kind) {
                    match deadline_outcome(i, d, Some(now)).on_time() {
                        Some(true) => met += 1,
                        Some(false) => missed += 1,
                        None => {}
                    }
                }
            }
            let n = met + missed;
            DeadlineShare {
                kind,
                met,
                missed,
                share: (n > 0).then(|| met as f64 / n as f64),
            }
        })
        .collect();

    let mut by_class = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for i in &real {
        *by_class.entry(class_key(i).to_owned()).or_insert(0) += 1;
        *by_source.entry(i.source.as_str().to_owned()).or_insert(0) += 1;
    }

    Metrics {
        from,
        to,
        as_of: now,
        total: real.len(),
        open: real.iter().filter(|i| i.status.is_open()).count(),
        resolved: real.iter().filter(|i| i.status == Status::Resolved).count(),
        closed: real.iter().filter(|i| i.status == Status::Closed).count(),
        drills,
        mtta: Mean::of(real.iter().filter_map(|i| ack_secs(i))),
        mttr: Mean::of(real.iter().filter_map(|i| resolve_secs(i))),
        by_severity,
        deadlines,
        by_class,
        by_source,
    }
}

/// `[1 January year, 1 January year+1)` in UTC: the window of
/// [`annual_markdown`], for computing its [`Metrics`].
pub fn year_window(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start =
        |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).map(|d| d.and_time(NaiveTime::MIN).and_utc());
    (
        start(year).unwrap_or(DateTime::<Utc>::MIN_UTC),
        start(year.saturating_add(1)).unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}
