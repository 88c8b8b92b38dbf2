//! `klaxon import opsgenie` against `klaxon serve`: the sample export built
//! from Opsgenie's API docs is imported, `klaxon oncall` then names the
//! person its weekly rotation has on now, a second run adds nothing, and no
//! contact detail reaches the report or the server's log.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/server.rs"]
mod server;
use server::Server;

const ADMIN: &str = "test-admin-token-0123456789";

fn bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tests/fixtures/opsgenie/bundle.json")
}

async fn start(dir: &Path) -> Server {
    let log = std::fs::File::create(dir.join("serve.log")).expect("log file");
    server::spawn(&dir.join("data"), &[], |c| {
        c.env("KLAXON_API_TOKENS", format!("ops:admin:{ADMIN}"))
            .env("RUST_LOG", "debug")
            .stderr(log);
    })
    .await
}

fn cli(server: &Server, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(args)
        .env("KLAXON_API_URL", &server.base)
        .env("KLAXON_API_TOKEN", ADMIN)
        .output()
        .expect("run klaxon");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "klaxon {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Who the sample's `Security_Primary` rotation (weekly, john then jane,
/// from Monday 2026-01-05 09:00 UTC) has on call at `t`, by arithmetic.
fn expected(t: chrono::DateTime<chrono::Utc>) -> &'static str {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z").expect("start");
    let weeks = (t - start.with_timezone(&chrono::Utc)).num_weeks();
    if weeks % 2 == 0 {
        "john doe (john.doe)"
    } else {
        "jane doe (jane.doe)"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_then_oncall_names_the_rotation_s_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start(dir.path()).await;
    let file = bundle();
    let file = file.to_str().expect("path");

    let dry = cli(&s, &["import", "opsgenie", file, "--dry-run"]);
    assert!(dry.contains("dry run: nothing written"), "{dry}");
    assert!(cli(&s, &["people", "list"]).contains("no people"));

    let out = cli(&s, &["import", "opsgenie", file]);
    assert!(
        out.contains("written:   3 people, 2 schedules, 1 overrides"),
        "{out}"
    );
    assert!(out.contains("[escalation.SEV-1]"), "{out}");
    for secret in ["9999999999", "7700900123", "john.doe@opsgenie.com"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }

    let at = chrono::Utc::now();
    let on = cli(&s, &["oncall"]);
    let line = on
        .lines()
        .find(|l| l.starts_with("security_primary"))
        .unwrap_or_else(|| panic!("{on}"));
    // Not within a minute of a handoff (Monday 09:00 UTC).
    let near = chrono::Duration::minutes(1);
    if expected(at - near) == expected(at + near) {
        assert!(line.contains(expected(at)), "{line}");
    }
    let shown = cli(&s, &["--json", "schedule", "show", "security_primary"]);
    let v: serde_json::Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(v["overrides"][0]["person"], "jane.doe", "{v}");

    // Again: everything is there already; nothing is added or overwritten.
    let again = cli(&s, &["--json", "import", "opsgenie", file]);
    let v: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(
        v["written"],
        serde_json::json!({"people": [], "schedules": [], "overrides": 0}),
        "{v}"
    );
    assert_eq!(v["kept"].as_array().map(Vec::len), Some(5), "{v}");
    assert!(v["skipped"].as_array().is_some_and(|l| !l.is_empty()));

    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    for secret in ["9999999999", "7700900123", "john.doe@opsgenie.com"] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
}
