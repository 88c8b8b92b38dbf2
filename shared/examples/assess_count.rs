//! Runs the per-report pure path N times, for counting instructions under
//! `valgrind --tool=callgrind` (load-independent): `bench/instructions.sh`.

use klaxon_core::config::Secret;
use klaxon_core::domain::{Report, ReportInput};
use klaxon_core::policy::{Facts, Policy};
use klaxon_core::webhook::verify;
use std::hint::black_box;

const BODY: &str = include_str!("../benches/typical_report.json");

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let secret = vec![Secret::new("github-webhook-secret")];
    let sig = verify::sign::hub("github-webhook-secret", BODY.as_bytes());
    let policy = Policy::builtin();
    let now = chrono::Utc::now();
    // Warm: the engine's tables compile on first use, as in a Lambda.
    let _ = policy.assess(&Facts::default());
    for _ in 0..n {
        verify::hub_signature(
            &secret,
            "X-Hub-Signature-256",
            Some(&sig),
            black_box(BODY.as_bytes()),
        )
        .expect("valid");
        let input: ReportInput = serde_json::from_str(black_box(BODY)).expect("json");
        let report = Report::parse(input).expect("valid report");
        let texts = vec![
            ("title", report.title.as_str()),
            ("description", report.description.as_str()),
            ("impact", report.impact.as_deref().unwrap_or("")),
        ];
        let a = policy.assess(&Facts {
            texts,
            cvss: report.cvss.as_deref(),
            ..Facts::default()
        });
        black_box(policy.deadlines(&a, now, now));
    }
}
