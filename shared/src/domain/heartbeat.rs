//! Heartbeat monitors: a signal expected at least every so often. A silent
//! source is itself a signal (GuardDuty disabled, a scanner that stopped, a
//! webhook secret rotated on one side only), so a monitor whose beat is late
//! opens an incident, and a beat after that notes the recovery on it.

use super::{IncidentId, Severity, Source};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// At most this long: names go in URLs, keys and titles.
pub const MAX_NAME: usize = 64;
/// Shortest interval and grace: the sweep runs every minute in AWS, every
/// second under `klaxon serve`, so anything shorter only tests the clock.
pub const MIN_INTERVAL_SECS: i64 = 1;
/// A year: longer is a calendar, not a heartbeat.
pub const MAX_SECS: i64 = 366 * 24 * 3600;

/// A monitor's name: lower-case letters, digits, `-`, `_` and `.`, 1 to 64.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonitorName(String);

impl MonitorName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= MAX_NAME
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
        if !ok {
            return Err(format!(
                "a monitor name is 1 to {MAX_NAME} lower-case letters, digits, '-', '_' or '.'"
            ));
        }
        // A name is a key, a log field and part of a title: one shaped like
        // a token (`key-<32 hex>`, `xoxb-…`) is refused, never stored.
        if super::redact::looks_secret(s) {
            return Err("a monitor name must not look like a secret (a key or token); pick a descriptive name".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MonitorName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<MonitorName> for String {
    fn from(n: MonitorName) -> String {
        n.0
    }
}

impl fmt::Display for MonitorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a monitor expects, as an operator sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorSpec {
    pub name: MonitorName,
    /// A beat is expected at least this often.
    pub interval_secs: i64,
    /// And is late only this long after that.
    pub grace_secs: i64,
    /// The severity a late monitor's incident is raised at.
    pub severity: Severity,
    /// Any intake from this source beats it too (GuardDuty findings, a
    /// GitHub webhook's `ping`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl MonitorSpec {
    /// Checks the durations; `Err` names the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, v, min) in [
            ("interval_secs", self.interval_secs, MIN_INTERVAL_SECS),
            ("grace_secs", self.grace_secs, 0),
        ] {
            if !(min..=MAX_SECS).contains(&v) {
                return Err((field, format!("must be {min} to {MAX_SECS} seconds")));
            }
        }
        Ok(())
    }
}

/// A monitor as stored: its spec and where its beats stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    #[serde(flatten)]
    pub spec: MonitorSpec,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_beat_at: Option<DateTime<Utc>>,
    /// The incident its silence opened, until a beat resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_incident: Option<IncidentId>,
    /// Starts at 1; every save is conditional on it.
    pub version: u64,
}

impl Monitor {
    pub fn new(spec: MonitorSpec, now: DateTime<Utc>) -> Self {
        Self {
            spec,
            created_at: now,
            last_beat_at: None,
            late_incident: None,
            version: 1,
        }
    }

    /// Since when it has been quiet: its last beat, else its creation.
    pub fn quiet_since(&self) -> DateTime<Utc> {
        self.last_beat_at.unwrap_or(self.created_at)
    }

    /// When it is late, unless it beats first. `None` once late: its
    /// incident is open and the due index need not hold it again.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        if self.late_incident.is_some() {
            return None;
        }
        Some(
            self.quiet_since()
                + Duration::seconds(self.spec.interval_secs)
                + Duration::seconds(self.spec.grace_secs),
        )
    }

    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        self.due_at().is_some_and(|at| at <= now)
    }

    /// A beat: returns the incident its silence had opened, if any, for the
    /// recovery to be noted on.
    pub fn beat(&mut self, now: DateTime<Utc>) -> Option<IncidentId> {
        self.last_beat_at = Some(now);
        self.late_incident.take()
    }

    /// The late incident's title: "guardduty has been silent for 26 h".
    pub fn silence_title(&self, now: DateTime<Utc>) -> String {
        format!(
            "{} has been silent for {}",
            self.spec.name,
            span(now - self.quiet_since())
        )
    }

    /// The key that makes one silence one incident, however often the sweep
    /// retries: the monitor and when its silence began.
    pub fn silence_key(&self) -> String {
        format!(
            "heartbeat:{}:{}",
            self.spec.name,
            self.quiet_since().timestamp_micros()
        )
    }
}

/// A duration as people say it: 45 s, 12 min, 26 h, 3 d.
pub fn span(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn daily() -> Monitor {
        Monitor::new(
            MonitorSpec {
                name: MonitorName::parse("guardduty").unwrap(),
                interval_secs: 24 * 3600,
                grace_secs: 3600,
                severity: Severity::Sev2,
                source: Some(Source::Guardduty),
            },
            at(0),
        )
    }

    #[test]
    fn names_are_url_safe_and_bounded() {
        for ok in ["guardduty", "scanner-nightly", "a.b_c", "x"] {
            assert!(MonitorName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "GuardDuty", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(MonitorName::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Names shaped like tokens would be stored as keys and logged; they
    /// are refused, and the refusal does not repeat them.
    #[test]
    fn names_shaped_like_secrets_are_refused() {
        for bad in [
            "key-dc1e929863f2e19e5bf68eda8c4a12f6",
            "dapid9bd6c1fd0a892d219762e04ef600351",
            "xoxb-824409771463-007478222105-87bcrkruywons9ouueylci8m",
            "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",
            "npm_a8f3kd92md0fj3k29dk30dk2mf9dk3kd02mc",
        ] {
            let e = MonitorName::parse(bad).expect_err(bad);
            assert!(e.contains("secret") && !e.contains(bad), "{bad}: {e}");
        }
        for ok in [
            "guardduty-prod",
            "nightly-scan.eu-west-1",
            "key-rotation-job",
        ] {
            assert!(MonitorName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn spec_durations_are_bounded_by_field() {
        let mut m = daily().spec;
        m.interval_secs = 0;
        assert_eq!(m.check().unwrap_err().0, "interval_secs");
        m.interval_secs = 60;
        m.grace_secs = -1;
        assert_eq!(m.check().unwrap_err().0, "grace_secs");
        m.grace_secs = MAX_SECS + 1;
        assert_eq!(m.check().unwrap_err().0, "grace_secs");
    }

    #[test]
    fn late_after_interval_and_grace_then_a_beat_recovers() {
        let mut m = daily();
        assert_eq!(m.due_at(), Some(at(25)));
        assert!(!m.is_late(at(24)));
        assert!(m.is_late(at(25)));
        assert_eq!(
            m.silence_title(at(26)),
            "guardduty has been silent for 26 h"
        );
        let key = m.silence_key();
        let id = IncidentId::new();
        m.late_incident = Some(id);
        assert_eq!(m.due_at(), None, "late: out of the due index");
        assert_eq!(m.silence_key(), key, "one silence, one key");
        assert_eq!(m.beat(at(27)), Some(id));
        assert_eq!(m.due_at(), Some(at(52)));
        assert_ne!(m.silence_key(), key, "the next silence is another");
        assert_eq!(m.beat(at(28)), None, "a beat on time has nothing to note");
    }

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(Duration::seconds(5)), "5 s");
        assert_eq!(span(Duration::minutes(12)), "12 min");
        assert_eq!(span(Duration::hours(26)), "26 h");
        assert_eq!(span(Duration::days(3)), "3 d");
    }
}
