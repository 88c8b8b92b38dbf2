//! The pure per-report path: verify a webhook signature, parse, redact,
//! assess and set deadlines. `cargo bench -p klaxon-core --bench assess`.

use criterion::{Criterion, criterion_group, criterion_main};
use klaxon_core::config::Secret;
use klaxon_core::domain::{Report, ReportInput};
use klaxon_core::policy::{self, Facts, Policy};
use klaxon_core::webhook::verify;
use std::hint::black_box;

const BODY: &str = include_str!("typical_report.json");

fn pipeline(c: &mut Criterion) {
    let secret = vec![Secret::new("github-webhook-secret")];
    let sig = verify::sign::hub("github-webhook-secret", BODY.as_bytes());
    let policy = Policy::builtin();
    let now = chrono::Utc::now();
    c.bench_function(
        "verify+parse+redact+assess+deadlines (typical report)",
        |b| {
            b.iter(|| {
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
                black_box(policy.deadlines(&a, now, now))
            })
        },
    );
}

/// What a cold start pays once: the built-in policy, its severity tables
/// compiled (every word stemmed).
fn policy_load(c: &mut Criterion) {
    c.bench_function(
        "policy parse + judgement compile (built-in, once per cold start)",
        |b| b.iter(|| Policy::parse(black_box(policy::DEFAULT_POLICY)).expect("built-in policy")),
    );
}

/// A long report: the engine's cost grows with the words it reads.
fn long_report(c: &mut Criterion) {
    let policy = Policy::builtin();
    let body = "Heads up from the platform team. Last night a junior dev pushed a branch to a public fork that included the access key for the ci-staging IAM user. That user lives in our staging AWS account, which is a separate account in the organisation with no trust relationships to production and only synthetic data. We checked: production is explicitly unaffected, no shared credentials, no cross-account roles. The key has been deactivated and the branch removed. Logging for the record. ".repeat(4);
    c.bench_function("assess (2,000-character description)", |b| {
        b.iter(|| {
            policy.assess(&Facts {
                texts: vec![
                    ("title", "Staging AWS key pushed to a public repo"),
                    ("description", black_box(&body)),
                ],
                ..Facts::default()
            })
        })
    });
}

/// The report `bench/load.py` posts: short, with four secrets to redact.
const LOAD_REPORT: &str = r#"{"title":"RCE in the webhook handler of the Jira app","description":"Unauthenticated remote code execution through the webhook endpoint. The attacker's script used aws_access_key_id=AKIAZ3XAMPLEK3YQ7WBN and aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY7, and a GitHub token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789; the admin password was password=hunter2-correct-horse-battery.","cvss":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","tenant":"acme.atlassian.net"}"#;

/// Intake's two costs for the load bench's report, apart: parsing with
/// redaction, and the assessment.
fn load_report(c: &mut Criterion) {
    let policy = Policy::builtin();
    c.bench_function("parse+redact (load bench report, four secrets)", |b| {
        b.iter(|| {
            let input: ReportInput = serde_json::from_str(black_box(LOAD_REPORT)).expect("json");
            Report::parse(input).expect("valid report")
        })
    });
    let input: ReportInput = serde_json::from_str(LOAD_REPORT).expect("json");
    let report = Report::parse(input).expect("valid report");
    c.bench_function("assess (load bench report)", |b| {
        b.iter(|| {
            policy.assess(&Facts {
                texts: vec![
                    ("title", black_box(report.title.as_str())),
                    ("description", report.description.as_str()),
                ],
                cvss: report.cvss.as_deref(),
                ..Facts::default()
            })
        })
    });
}

/// The webhook signature alone, by the HMAC the verifier uses (RustCrypto)
/// and by ring's, over the typical report's body: under callgrind the
/// RustCrypto SHA-256 runs its portable code, on hardware its SHA-NI code.
fn hmac_backends(c: &mut Criterion) {
    use hmac::{Hmac, Mac};
    let key = b"github-webhook-secret";
    let body = BODY.as_bytes();
    let sig = verify::sign::hub("github-webhook-secret", body);
    let secret = vec![Secret::new("github-webhook-secret")];
    c.bench_function("hub_signature (typical report)", |b| {
        b.iter(|| {
            verify::hub_signature(&secret, "X-Hub-Signature-256", Some(&sig), black_box(body))
                .expect("valid")
        })
    });
    c.bench_function("hmac-sha256: hmac + sha2 (typical body)", |b| {
        b.iter(|| {
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("any key");
            mac.update(black_box(body));
            mac.finalize().into_bytes()
        })
    });
    c.bench_function("hmac-sha256: ring (typical body)", |b| {
        let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
        b.iter(|| ring::hmac::sign(&k, black_box(body)))
    });
    c.bench_function("hmac-sha256: ring, key per call (typical body)", |b| {
        b.iter(|| {
            let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
            ring::hmac::sign(&k, black_box(body))
        })
    });
}

criterion_group!(
    benches,
    pipeline,
    policy_load,
    long_report,
    load_report,
    hmac_backends
);
criterion_main!(benches);
