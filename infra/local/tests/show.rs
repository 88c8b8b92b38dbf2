//! `klaxon show` on a record whose text carries terminal control sequences:
//! what it prints shows them, and never sends them to the terminal.

use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::domain::{Basis, Change, NewIncident, Report, ReportInput, Source};
use klaxon_core::ports::IncidentStore;
use std::process::Command;

/// Clears the screen, retitles the window, writes the clipboard (OSC 52),
/// a one-character CSI, a NUL and a carriage return that hides a line.
const HOSTILE: &str = "all clear\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;Y3VybCBldmls\u{1b}\\\u{9b}31m\u{0}\rfake line";

async fn seeded(dir: &std::path::Path) -> String {
    let store = SqliteIncidentStore::open(dir).expect("store");
    let report = Report::parse(ReportInput {
        title: Some("Terminal injection".into()),
        description: Some(format!("reported: {HOSTILE}")),
        ..Default::default()
    })
    .expect("report");
    let now = chrono::Utc::now();
    let created = store
        .create(NewIncident::from_report(report, Source::Report, None, now))
        .await
        .expect("create");
    let mut change = Change::begin(&created.incident, now);
    change
        .add_note("alice\u{1b}[8m", Basis::Fact, &format!("note: {HOSTILE}"))
        .expect("note");
    store.commit(change).await.expect("commit");
    created.incident.reference.to_string()
}

fn show(dir: &std::path::Path, reference: &str, json: bool) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klaxon"));
    cmd.env_remove("KLAXON_API_URL");
    if json {
        cmd.arg("--json");
    }
    let out = cmd
        .args(["show", reference, "--data-dir"])
        .arg(dir)
        .output()
        .expect("klaxon show");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn controls(out: &str) -> Vec<char> {
    out.chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect()
}

#[tokio::test]
async fn show_never_sends_control_sequences_to_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = seeded(dir.path()).await;

    let text = String::from_utf8(show(dir.path(), &reference, false)).expect("utf-8");
    assert_eq!(controls(&text), Vec::<char>::new(), "{text:?}");
    assert!(
        text.contains("note: all clear\\x1b[2J\\x1b]0;pwned\\x07"),
        "{text}"
    );
    assert!(text.contains("\\u{9b}31m\\x00\\x0dfake line"), "{text}");
    assert!(text.contains("alice\\x1b[8m"), "{text}");

    // --json: the same document, parsed to the same text.
    let json = String::from_utf8(show(dir.path(), &reference, true)).expect("utf-8");
    assert_eq!(controls(&json), Vec::<char>::new(), "{json:?}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let notes: Vec<&str> = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.starts_with("note: "))
        .collect();
    assert_eq!(notes, [format!("note: {HOSTILE}")]);
}
