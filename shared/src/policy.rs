//! Policy: the plans' tables, as data and pure functions.
//!
//! This is the provisional assessment the walking skeleton needs: severity
//! from a CVSS vector, or SEV-3 when there is none, and the acknowledgement
//! and notification SLAs from the seeds' severity table.

use crate::domain::{Deadline, DeadlineKind, Severity};
use chrono::{DateTime, Duration, Utc};

/// Severity given when nothing better is known: the seeds' "Medium".
pub const DEFAULT_SEVERITY: Severity = Severity::Sev3;

#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub severity: Severity,
    pub cvss_score: Option<f64>,
    pub cvss_version: Option<&'static str>,
    /// Why, in words a security lead can check.
    pub reasons: Vec<String>,
}

/// Scores the reporter's vector with the RustSec `cvss` crate. A vector that
/// does not parse is noted and ignored rather than failing the assessment.
pub fn provisional_assessment(cvss: Option<&str>) -> Assessment {
    let Some(vector) = cvss.map(str::trim).filter(|v| !v.is_empty()) else {
        return Assessment {
            severity: DEFAULT_SEVERITY,
            cvss_score: None,
            cvss_version: None,
            reasons: vec![format!(
                "no CVSS vector supplied: default {} ({})",
                DEFAULT_SEVERITY,
                DEFAULT_SEVERITY.name()
            )],
        };
    };
    match vector.parse::<cvss::Cvss>() {
        Ok(parsed) => {
            let score = parsed.score();
            let version = match parsed {
                cvss::Cvss::CvssV20(_) => "2.0",
                cvss::Cvss::CvssV30(_) => "3.0",
                cvss::Cvss::CvssV31(_) => "3.1",
                cvss::Cvss::CvssV40(_) => "4.0",
                _ => "unknown",
            };
            let severity = Severity::from_cvss_score(score);
            Assessment {
                severity,
                cvss_score: Some(score),
                cvss_version: Some(version),
                reasons: vec![format!(
                    "CVSS {version} base score {score:.1} is in the {} band: {severity}",
                    severity.name()
                )],
            }
        }
        Err(e) => Assessment {
            severity: DEFAULT_SEVERITY,
            cvss_score: None,
            cvss_version: None,
            reasons: vec![format!(
                "CVSS vector {vector:?} is invalid ({e}); default {DEFAULT_SEVERITY} ({})",
                DEFAULT_SEVERITY.name()
            )],
        },
    }
}

/// The seeds' severity table: (acknowledge, notify) SLAs.
pub fn slas(severity: Severity) -> (Duration, Duration) {
    match severity {
        Severity::Sev1 => (Duration::hours(4), Duration::hours(24)),
        Severity::Sev2 => (Duration::hours(8), Duration::hours(48)),
        Severity::Sev3 => (Duration::hours(24), Duration::days(5)),
        Severity::Sev4 => (Duration::days(5), Duration::days(14)),
    }
}

/// The deadlines a newly triaged incident owes, counted from when it was reported.
pub fn deadlines(severity: Severity, reported_at: DateTime<Utc>) -> Vec<Deadline> {
    let (ack, notify) = slas(severity);
    vec![
        Deadline {
            kind: DeadlineKind::Acknowledge,
            due_at: reported_at + ack,
            met_at: None,
        },
        Deadline {
            kind: DeadlineKind::Notify,
            due_at: reported_at + notify,
            met_at: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisional_assessment_table() {
        let cases: [(Option<&str>, Severity, Option<&str>); 8] = [
            (None, Severity::Sev3, None),
            (Some("  "), Severity::Sev3, None),
            (
                Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                Severity::Sev1,
                Some("3.1"),
            ),
            (
                Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"),
                Severity::Sev3,
                Some("3.1"),
            ),
            (
                Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
                Severity::Sev2,
                Some("3.0"),
            ),
            (
                Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
                Severity::Sev1,
                Some("4.0"),
            ),
            (
                Some("AV:N/AC:L/Au:N/C:N/I:N/A:P"),
                Severity::Sev3,
                Some("2.0"),
            ),
            (Some("CVSS:3.1/AV:X"), Severity::Sev3, None),
        ];
        for (vector, want, version) in cases {
            let a = provisional_assessment(vector);
            assert_eq!(a.severity, want, "{vector:?}: {:?}", a.reasons);
            assert_eq!(a.cvss_version, version, "{vector:?}");
            assert_eq!(a.reasons.len(), 1);
        }
        let bad = provisional_assessment(Some("CVSS:3.1/AV:X"));
        assert!(bad.reasons[0].contains("invalid"), "{:?}", bad.reasons);
    }

    #[test]
    fn slas_follow_the_seed_table() {
        let t0: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let cases = [
            (Severity::Sev1, 4, 24),
            (Severity::Sev2, 8, 48),
            (Severity::Sev3, 24, 120),
            (Severity::Sev4, 120, 336),
        ];
        for (sev, ack_h, notify_h) in cases {
            let d = deadlines(sev, t0);
            assert_eq!(d[0].due_at, t0 + Duration::hours(ack_h), "{sev} ack");
            assert_eq!(d[1].due_at, t0 + Duration::hours(notify_h), "{sev} notify");
        }
    }
}
