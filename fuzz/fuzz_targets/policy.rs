//! The policy file (`--policy`, `KLAXON_POLICY_FILE`): `Policy::parse` on
//! arbitrary TOML (lossy UTF-8), then every table it sets put to work: four
//! reports of each severity opened, assessed, paged, reminded, resolved,
//! closed and held under it, and every review deadline resolved. The
//! input is also tried as a single duration (`"4h"`, `"3 business days"`),
//! resolved from now.
#![no_main]

use klaxon_core::domain::{Report, ReportInput, Severity};
use klaxon_core::policy::Policy;
use klaxon_core::policy::duration::Span;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// One report per severity under the built-in rules.
static REPORTS: LazyLock<Vec<Report>> = LazyLock::new(|| {
    [
        (
            "RCE in the export API is being actively exploited",
            "customer data was exfiltrated",
            Some(true),
        ),
        (
            "Leaked production AWS key pushed to a public repo",
            "AKIAIOSFODNN7EXAMPLE",
            None,
        ),
        (
            "SQL injection in search",
            "found by a researcher",
            Some(false),
        ),
        (
            "Missing security headers on the marketing site",
            "informational",
            None,
        ),
    ]
    .into_iter()
    .map(|(title, description, customer_data)| {
        Report::parse(ReportInput {
            title: Some(title.into()),
            description: Some(description.into()),
            customer_data_involved: customer_data,
            atlassian_systems_affected: customer_data,
            ..ReportInput::default()
        })
        .unwrap_or_else(|e| panic!("seed report: {e:?}"))
    })
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Short inputs reach the duration parser much faster as themselves than
    // inside a whole file: every span a file can hold, resolved from now.
    if let Ok(span) = text.parse::<Span>() {
        let _ = span.to_string();
        let _ = Policy::builtin().calendar.resolve(span, t0());
    }
    let Ok(policy) = Policy::parse(&text) else {
        return;
    };
    for sev in Severity::ALL {
        let _ = policy.for_severity(sev);
        let _ = policy.review_deadline(sev, t0());
        let _ = policy.breach_audience(Some(sev));
        if let Some(e) = policy.escalation(sev) {
            assert!(!e.levels.is_empty(), "{sev}: an escalation with no levels");
            assert!(e.repeat >= 1);
        }
    }
    assert!(
        policy.clocks.reminders.iter().all(|r| *r > 0.0 && *r < 1.0),
        "reminder fractions out of (0, 1): {:?}",
        policy.clocks.reminders
    );
    for report in REPORTS.iter() {
        exercise_incident(report.clone(), &policy);
    }
});
