//! The reports over a period, as the API and the console both read them:
//! metrics for a window, the same metrics a step at a time (a trend), and
//! the annual security report. The figures are [`crate::documents`]' own;
//! this reads the incidents the caller may see.

use super::App;
use super::respond::all_between;
use crate::documents::{AnnualReport, Metrics, annual_report, metrics, year_window};
use crate::domain::Caller;
use crate::ports::StoreError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// How long each step of a trend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Week,
    Month,
}

impl Step {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The start of the step holding `t`: its Monday, or the 1st (UTC).
    fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let d = t.date_naive();
        let d = match self {
            Self::Week => d
                .checked_sub_signed(Duration::days(i64::from(
                    d.weekday().num_days_from_monday(),
                )))
                .unwrap_or(d),
            Self::Month => d.with_day(1).unwrap_or(d),
        };
        d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    fn after(self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Week => t
                .checked_add_signed(Duration::days(7))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Self::Month => {
                let d = t.date_naive();
                let (y, m) = if d.month() == 12 {
                    (d.year() + 1, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }
}

/// At most this many steps in a trend, so a wide range stays one page.
pub const MAX_STEPS: usize = 120;

/// The windows of `[from, to)` a step at a time: the first and last cut
/// to the range. `None` when there would be more than [`MAX_STEPS`].
pub fn steps(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: Step,
) -> Option<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let mut out = Vec::new();
    let mut at = step.floor(from);
    while at < to {
        let next = step.after(at);
        let (start, end) = (at.max(from), next.min(to));
        if start < end {
            out.push((start, end));
        }
        if out.len() > MAX_STEPS {
            return None;
        }
        at = next;
    }
    Some(out)
}

/// Metrics over a range, and over each of its steps.
#[derive(Debug, Clone)]
pub struct Trend {
    pub total: Metrics,
    pub steps: Vec<Metrics>,
}

/// The metrics of the incidents `caller` may see created in `[from, to)`.
pub async fn period(
    app: &App,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Metrics, StoreError> {
    let incidents = all_between(app, caller, from, to).await?;
    Ok(metrics(&incidents, from, to, app.clock.now()))
}

/// [`period`], and the same figures for each window of `windows` (see
/// [`steps`]), from one read.
pub async fn trend(
    app: &App,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    windows: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<Trend, StoreError> {
    let incidents = all_between(app, caller, from, to).await?;
    let now = app.clock.now();
    Ok(Trend {
        total: metrics(&incidents, from, to, now),
        steps: windows
            .iter()
            .map(|(f, t)| metrics(&incidents, *f, *t, now))
            .collect(),
    })
}

/// The annual security report for `year`, over what `caller` may see.
pub async fn annual(app: &App, caller: &Caller, year: i32) -> Result<AnnualReport, StoreError> {
    let (from, to) = year_window(year);
    let incidents = all_between(app, caller, from, to).await?;
    let m = metrics(&incidents, from, to, app.clock.now());
    let org = app.settings.intake.products.join(", ");
    Ok(annual_report(
        year,
        &incidents,
        &m,
        Some(org.as_str()).filter(|o| !o.is_empty()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    /// chrono's first and last days: the steps are cut, never overflow.
    #[test]
    fn steps_at_the_ends_of_time_do_not_overflow() {
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        for step in [Step::Week, Step::Month] {
            let first = steps(min, min + Duration::days(17), step).expect("few");
            assert_eq!(first.first().map(|s| s.0), Some(min));
            let last = steps(max - Duration::days(17), max, step).expect("few");
            assert_eq!(last.last().map(|s| s.1), Some(max));
        }
    }

    #[test]
    fn steps_cover_the_range_cut_at_its_ends() {
        let months = steps(
            t("2026-01-15T00:00:00Z"),
            t("2026-03-10T00:00:00Z"),
            Step::Month,
        )
        .expect("few");
        assert_eq!(
            months,
            vec![
                (t("2026-01-15T00:00:00Z"), t("2026-02-01T00:00:00Z")),
                (t("2026-02-01T00:00:00Z"), t("2026-03-01T00:00:00Z")),
                (t("2026-03-01T00:00:00Z"), t("2026-03-10T00:00:00Z")),
            ]
        );
        let dec = steps(
            t("2025-12-01T00:00:00Z"),
            t("2026-01-01T00:00:00Z"),
            Step::Month,
        )
        .expect("one");
        assert_eq!(dec.len(), 1);
        // 2026-03-04 is a Wednesday: weeks start on the Monday before.
        let weeks = steps(
            t("2026-03-04T12:00:00Z"),
            t("2026-03-17T00:00:00Z"),
            Step::Week,
        )
        .expect("few");
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[1].0, t("2026-03-09T00:00:00Z"));
        assert!(
            steps(
                t("2000-01-01T00:00:00Z"),
                t("2026-01-01T00:00:00Z"),
                Step::Week
            )
            .is_none()
        );
        assert_eq!(
            steps(
                t("2026-01-01T00:00:00Z"),
                t("2026-01-01T00:00:00Z"),
                Step::Week
            ),
            Some(vec![])
        );
    }
}
