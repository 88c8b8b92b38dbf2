//! `klaxon serve`'s own health: when the escalation sweep last ran and how
//! long it took, and the outbox's backlog, on `GET /healthz`. A watchdog
//! logs loudly when the sweep falls behind, since nothing else would: a
//! stalled sweep sends no later paging level, reminder or breach.

use chrono::{DateTime, Utc};
use klaxon_core::app::App;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Duration;

/// The backlog is counted up to this many events: enough to tell a flood.
const BACKLOG_COUNTED: usize = 10_000;
/// Behind once no sweep has finished for this many intervals.
const BEHIND_AFTER_INTERVALS: u32 = 3;

#[derive(Debug, Default, Clone)]
struct Last {
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    took: Duration,
    failed: bool,
}

/// What the timer records and `/healthz` and the watchdog read.
pub struct SweepWatch {
    interval: Duration,
    since: DateTime<Utc>,
    last: Mutex<Last>,
}

impl SweepWatch {
    pub fn new(interval: Duration, now: DateTime<Utc>) -> Self {
        Self {
            interval,
            since: now,
            last: Mutex::new(Last::default()),
        }
    }

    fn last(&self) -> Last {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn started(&self, now: DateTime<Utc>) {
        if let Ok(mut l) = self.last.lock() {
            l.started_at = Some(now);
        }
    }

    pub fn finished(&self, now: DateTime<Utc>, took: Duration, failed: bool) {
        if let Ok(mut l) = self.last.lock() {
            l.finished_at = Some(now);
            l.took = took;
            l.failed = failed;
        }
    }

    /// How long since the last sweep finished (or the server started), if
    /// that is more than the allowance.
    pub fn behind(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let allowed = chrono::Duration::from_std(self.interval * BEHIND_AFTER_INTERVALS)
            .unwrap_or(chrono::Duration::MAX);
        let quiet = now - self.last().finished_at.unwrap_or(self.since);
        (quiet > allowed).then_some(quiet)
    }

    /// Every interval: an error line while the sweep is behind.
    pub async fn watchdog(
        self: std::sync::Arc<Self>,
        clock: std::sync::Arc<dyn klaxon_core::ports::Clock>,
    ) {
        let mut tick = tokio::time::interval(self.interval);
        loop {
            tick.tick().await;
            if let Some(quiet) = self.behind(clock.now()) {
                tracing::error!(
                    seconds_since_last_sweep = quiet.num_seconds(),
                    interval_secs = self.interval.as_secs(),
                    "ESCALATION SWEEP IS BEHIND: no sweep has finished for {} s; pages, reminders, breaches and heartbeat checks are not running",
                    quiet.num_seconds()
                );
            }
        }
    }

    /// The `/healthz` body, and whether all is well.
    pub async fn report(&self, app: &App) -> (bool, Value) {
        let now = app.clock.now();
        let last = self.last();
        let behind = self.behind(now);
        let backlog = app
            .store
            .pending_events(now + chrono::Duration::seconds(1), BACKLOG_COUNTED)
            .await;
        let (pending, outbox_ok) = match &backlog {
            Ok(events) => (json!(events.len()), true),
            Err(_) => (Value::Null, false),
        };
        let ok = behind.is_none() && outbox_ok;
        let body = json!({
            "status": if ok { "ok" } else { "degraded" },
            "sweep": {
                "interval_secs": self.interval.as_secs(),
                "last_started_at": last.started_at,
                "last_finished_at": last.finished_at,
                "last_took_ms": u64::try_from(last.took.as_millis()).unwrap_or(u64::MAX),
                "last_failed": last.failed,
                "behind": behind.is_some(),
            },
            "outbox": {
                "pending": pending,
                "counted_up_to": BACKLOG_COUNTED,
            },
        });
        (ok, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_after_three_intervals_without_a_finished_sweep() {
        let t0 = Utc::now();
        let w = SweepWatch::new(Duration::from_secs(10), t0);
        assert!(w.behind(t0 + chrono::Duration::seconds(30)).is_none());
        assert!(
            w.behind(t0 + chrono::Duration::seconds(31)).is_some(),
            "none ever ran"
        );
        w.started(t0 + chrono::Duration::seconds(31));
        w.finished(
            t0 + chrono::Duration::seconds(32),
            Duration::from_millis(5),
            false,
        );
        assert!(w.behind(t0 + chrono::Duration::seconds(40)).is_none());
        assert!(w.behind(t0 + chrono::Duration::seconds(63)).is_some());
    }
}
