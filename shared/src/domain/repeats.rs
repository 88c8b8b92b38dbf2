//! Repeats of an open incident's natural key (a flapping alert's
//! `dedup_key`): counted beside the incident, never rewritten into it, and
//! coalesced into bursts so the timeline says "repeated 8,412 times between
//! 02:10 and 02:14" once instead of 8,412 times.

use super::redact::RedactedText;
use super::{
    IdempotencyKey, Incident, IncidentId, Reference, Severity, TimelineEntry, TimelineKind,
};
use chrono::{DateTime, Duration, Utc};

/// A repeat more than this long after the previous one starts a new burst.
pub const BURST_GAP: Duration = Duration::minutes(5);

/// The rank of no source severity at all: less severe than SEV-4.
pub const NO_SIGNAL: u8 = 5;

/// A source severity as a number to compare in a store's condition: 1 for
/// SEV-1 to 4 for SEV-4, [`NO_SIGNAL`] for none. Lower is more severe.
pub fn rank(severity: Option<Severity>) -> u8 {
    match severity {
        Some(Severity::Sev1) => 1,
        Some(Severity::Sev2) => 2,
        Some(Severity::Sev3) => 3,
        Some(Severity::Sev4) => 4,
        None => NO_SIGNAL,
    }
}

/// One repeat as intake received it.
#[derive(Debug, Clone)]
pub struct RepeatSeen {
    /// The natural key, source-scoped and hashed.
    pub key: IdempotencyKey,
    /// The incident this key named when this process last saw it, if
    /// known: a store may start there, and refuses it if it is not open.
    pub incident: Option<IncidentId>,
    pub at: DateTime<Utc>,
    /// The repeat's own source severity, as [`rank`].
    pub rank: u8,
    /// Its title, kept as the burst's latest sample.
    pub sample: RedactedText,
}

/// Where the current burst began: at `start`, after `base` occurrences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    pub start: DateTime<Utc>,
    pub base: u32,
}

/// What a store counted for one incident's repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeats {
    pub incident_id: IncidentId,
    pub reference: Reference,
    /// Times the source reported it, the first report included.
    pub occurrences: u32,
    /// The first repeat counted, and the latest.
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub burst: Burst,
    /// The most severe source severity assessed so far, as [`rank`]: a
    /// repeat below it is counted, one above it is re-assessed first.
    pub rank: u8,
    /// The latest repeat's title.
    pub sample: Option<RedactedText>,
}

impl Repeats {
    /// The counter an open incident starts with, when its first repeat
    /// arrives at `at`: a burst starts there, after what it already counted.
    pub fn open(incident: &Incident, rank: u8, at: DateTime<Utc>) -> Self {
        Self {
            incident_id: incident.id,
            reference: incident.reference.clone(),
            occurrences: incident.occurrences,
            first_seen: at,
            last_seen: at,
            burst: Burst {
                start: at,
                base: incident.occurrences,
            },
            rank,
            sample: None,
        }
    }

    /// Repeats in the current burst.
    pub fn in_burst(&self) -> u32 {
        self.occurrences.saturating_sub(self.burst.base)
    }

    /// Whether a repeat at `at` ends the current burst and starts the next.
    pub fn burst_ends_before(&self, at: DateTime<Utc>) -> bool {
        self.in_burst() > 0 && at - self.last_seen > BURST_GAP
    }

    /// The timeline's words for the current burst, if it holds a repeat.
    pub fn burst_message(&self) -> Option<String> {
        let n = self.in_burst();
        let (from, to) = (self.burst.start, self.last_seen);
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        let to_text = if day(from) == day(to) {
            to.format("%H:%M:%S").to_string()
        } else {
            to.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        match n {
            0 => None,
            1 => Some(format!(
                "the source repeated it once, at {} UTC",
                from.format("%Y-%m-%d %H:%M:%S")
            )),
            n => Some(format!(
                "the source repeated it {} times between {} and {to_text} UTC",
                thousands(n),
                from.format("%Y-%m-%d %H:%M:%S"),
            )),
        }
    }

    /// The current burst as a timeline entry, for reading: it is written to
    /// the timeline only when the next burst starts or a new signal
    /// arrives, so until then the counter is the record. `seq` is the next
    /// sequence number, which the written entry may take later.
    pub fn burst_entry(&self, seq: u32) -> Option<TimelineEntry> {
        Some(TimelineEntry {
            incident_id: self.incident_id,
            seq,
            at: self.last_seen,
            actor: "klaxon".into(),
            kind: TimelineKind::Occurrence,
            message: self.burst_message()?,
        })
    }
}

/// 8412 as "8,412".
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    fn counter(occurrences: u32, base: u32, start: &str, last: &str) -> Repeats {
        Repeats {
            incident_id: IncidentId::new(),
            reference: Reference::generate(at(start)),
            occurrences,
            first_seen: at(start),
            last_seen: at(last),
            burst: Burst {
                start: at(start),
                base,
            },
            rank: NO_SIGNAL,
            sample: None,
        }
    }

    #[test]
    fn thousands_table() {
        for (n, want) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (8412, "8,412"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), want, "{n}");
        }
    }

    #[test]
    fn one_entry_per_burst() {
        let c = counter(8413, 1, "2026-12-02T02:10:03Z", "2026-12-02T02:14:59Z");
        assert_eq!(
            c.burst_message().as_deref(),
            Some("the source repeated it 8,412 times between 2026-12-02 02:10:03 and 02:14:59 UTC")
        );
        let across = counter(3, 1, "2026-12-01T23:59:00Z", "2026-12-02T00:01:00Z");
        assert_eq!(
            across.burst_message().as_deref(),
            Some(
                "the source repeated it 2 times between 2026-12-01 23:59:00 and 2026-12-02 00:01:00 UTC"
            )
        );
        let once = counter(2, 1, "2026-12-02T02:10:03Z", "2026-12-02T02:10:03Z");
        assert_eq!(
            once.burst_message().as_deref(),
            Some("the source repeated it once, at 2026-12-02 02:10:03 UTC")
        );
        assert_eq!(
            counter(4, 4, "2026-12-02T02:10:03Z", "2026-12-02T02:10:03Z").burst_entry(9),
            None
        );
    }

    /// A burst ends after a quiet gap longer than [`BURST_GAP`]; an empty
    /// burst never ends (there is nothing to write).
    #[test]
    fn burst_gap_table() {
        let c = counter(10, 1, "2026-12-02T02:10:00Z", "2026-12-02T02:14:00Z");
        for (next, ends) in [
            ("2026-12-02T02:14:01Z", false),
            ("2026-12-02T02:19:00Z", false),
            ("2026-12-02T02:19:01Z", true),
            ("2026-12-03T00:00:00Z", true),
        ] {
            assert_eq!(c.burst_ends_before(at(next)), ends, "{next}");
        }
        let empty = counter(1, 1, "2026-12-02T02:10:00Z", "2026-12-02T02:10:00Z");
        assert!(!empty.burst_ends_before(at("2026-12-03T00:00:00Z")));
    }

    #[test]
    fn rank_orders_severity() {
        assert!(rank(Some(Severity::Sev1)) < rank(Some(Severity::Sev4)));
        assert!(rank(Some(Severity::Sev4)) < rank(None));
    }
}
