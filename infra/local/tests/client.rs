//! The `klaxon` API subcommands as a responder runs them: the real binary
//! against a real `klaxon serve` on a loopback port, with the token in
//! `KLAXON_API_TOKEN`. Every run also checks that no token reaches stdout
//! or stderr.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const COMMANDER: &str = "commander-token-0123456789abcdef";
const VIEWER: &str = "viewer-token-0123456789abcdef";
const ADMIN: &str = "admin-token-0123456789abcdef";

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env(
            "KLAXON_API_TOKENS",
            format!("alice:commander:{COMMANDER},vic:viewer:{VIEWER},root:admin:{ADMIN}"),
        )
        .env_remove("KLAXON_API_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn klaxon serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{}/healthz", server.base)).await
            && r.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("klaxon serve did not answer /healthz within 20 s");
}

/// A report that classifies as a leaked production secret; its reference.
async fn report(server: &Server) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/reports", server.base))
        .header("content-type", "application/json")
        .body(
            json!({
                // The title carries the class: the classifier does not read
                // "pushed to a public repository" as a leak.
                "title": "Leaked production AWS secret access key",
                "description": "A production AWS secret access key was pushed to a public GitHub repository",
            })
            .to_string(),
        )
        .send()
        .await
        .expect("post report");
    assert_eq!(resp.status(), 202);
    let accepted: Value = resp.json().await.expect("json");
    accepted["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `klaxon <args>` against `api` with `token` in KLAXON_API_TOKEN
/// (none: unset), and checks that no token leaks into its output.
fn run_at(api: &str, token: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klaxon"));
    cmd.args(args)
        .env("KLAXON_API_URL", api)
        .env_remove("KLAXON_API_TOKEN")
        .env_remove("RUST_LOG")
        .current_dir(std::env::temp_dir());
    if let Some(t) = token {
        cmd.env("KLAXON_API_TOKEN", t);
    }
    let out = cmd.output().expect("run klaxon");
    let out = Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for secret in [COMMANDER, VIEWER, ADMIN] {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "a token leaked from klaxon {args:?}"
        );
    }
    out
}

/// `klaxon <args>` as the commander; must succeed. Its stdout.
fn ok(server: &Server, args: &[&str]) -> String {
    ok_as(server, COMMANDER, args)
}

fn ok_as(server: &Server, token: &str, args: &[&str]) -> String {
    let out = run_at(&server.base, Some(token), args);
    assert!(
        out.ok,
        "klaxon {args:?} failed:\n{}\n{}",
        out.stderr, out.stdout
    );
    out.stdout
}

/// Runs `args` until its output contains `want` (background work settling),
/// for up to ten seconds; returns the last output.
async fn wait_for(server: &Server, args: &[&str], want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = ok(server, args);
        if out.contains(want) || Instant::now() >= deadline {
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn json_of(server: &Server, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let stdout = ok(server, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?} --json: {e}: {stdout}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A leaked-secret report walked from triage to closure with the CLI alone:
/// listed, shown, acknowledged, staffed, noted, evidenced, contained,
/// resolved, every open item settled, closed, and its review printed.
#[tokio::test]
async fn incident_lifecycle_through_the_cli() {
    let server = start().await;
    let r = report(&server).await;
    let r = r.as_str();

    // The report is assessed in the background; wait for its severity.
    let listed = wait_for(&server, &["incidents"], "SEV-2").await;
    let header = listed.lines().next().unwrap_or("");
    for col in ["REFERENCE", "SEVERITY", "STATUS", "CREATED", "TITLE"] {
        assert!(header.contains(col), "{listed}");
    }
    let row = listed
        .lines()
        .find(|l| l.starts_with(r))
        .unwrap_or_else(|| panic!("{r} not listed:\n{listed}"));
    assert!(
        row.contains("SEV-2") && row.contains("triaged") && row.contains("Leaked production AWS"),
        "{row}"
    );
    let page = json_of(&server, &["incidents", "--severity", "SEV-2", "--all"]);
    assert_eq!(page["incidents"][0]["reference"], r, "{page}");
    assert!(ok(&server, &["incidents", "--status", "closed"]).contains("no incidents match"));

    let shown = ok(&server, &["incident", r]);
    for want in [
        "SEV-2",
        "leaked_production_secret",
        "incident_commander",
        "(unassigned)",
        "acknowledge",
        "open",
        "open tasks",
        "#1",
        "timeline",
    ] {
        assert!(shown.contains(want), "{want} missing:\n{shown}");
    }

    // With KLAXON_API_URL set, `klaxon ack` goes through the API.
    let acked = ok(&server, &["ack", r, "--note", "on it"]);
    assert!(
        acked.contains(&format!("{r} acknowledged by alice")),
        "{acked}"
    );
    assert!(ok(&server, &["ack", r]).contains("already acknowledged"));

    assert!(
        ok(&server, &["assign", r, "incident_commander", "Alice Smith"]).contains("Alice Smith")
    );
    assert!(ok(&server, &["assign", r, "technical_lead", "bob"]).contains("technical_lead is bob"));
    assert!(ok(&server, &["unassign", r, "technical_lead"]).contains("unassigned"));
    ok(
        &server,
        &["note", r, "--fact", "the key was used from 203.0.113.7"],
    );

    // Evidence: the digest is computed locally, the name defaults to the file's.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cloudtrail-excerpt.json");
    let bytes = br#"{"eventName":"GetCallerIdentity","sourceIPAddress":"203.0.113.7"}"#;
    std::fs::write(&file, bytes).expect("write evidence");
    let digest = sha256_hex(bytes);
    let file_arg = file.to_str().expect("utf-8 temp path");
    let added = ok(
        &server,
        &[
            "evidence",
            "add",
            r,
            "--location",
            "s3://ir-evidence/KLX/cloudtrail-excerpt.json",
            "--file",
            file_arg,
        ],
    );
    assert!(added.contains(&digest), "{added}");
    assert_eq!(
        ok(&server, &["evidence", "list", r, "--sha256sum"]),
        format!("{digest}  cloudtrail-excerpt.json\n")
    );
    let manifest = json_of(&server, &["evidence", "list", r]);
    assert_eq!(manifest["items"][0]["sha256"], digest.as_str());
    assert_eq!(manifest["items"][0]["collected_by"], "alice");

    assert!(
        ok(
            &server,
            &[
                "status",
                r,
                "contained",
                "--containment",
                "revoked the key in IAM"
            ]
        )
        .contains("is now contained")
    );
    let root_cause = "the key was committed in a test fixture";
    ok(
        &server,
        &["status", r, "resolved", "--root-cause", root_cause],
    );
    ok(
        &server,
        &["obligation", r, "notify", "--reference", "SEC-42"],
    );
    let follow_up = ok(
        &server,
        &[
            "task",
            "add",
            r,
            "add a secret-scanning rule",
            "--owner",
            "bob",
            "--due",
            "2026-12-15",
        ],
    );
    assert!(follow_up.contains("added"), "{follow_up}");

    // Closing is refused while items are open: the message names them.
    let refused = run_at(&server.base, Some(COMMANDER), &["status", r, "closed"]);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("open item") && refused.stderr.contains("(conflict, HTTP 409)"),
        "{}",
        refused.stderr
    );

    // Settle every open play step and closure criterion, ids from --json.
    let detail = json_of(&server, &["incident", r]);
    let open: Vec<(String, String)> = detail["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["state"] == "open" && t["section"] != "follow_up")
        .map(|t| {
            (
                t["id"].to_string(),
                t["section"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(!open.is_empty(), "{detail}");
    for (id, section) in &open {
        if section == "closure" {
            let out = ok(
                &server,
                &["task", "waive", r, id, "--reason", "covered by the play"],
            );
            assert!(out.contains(&format!("task #{id} waived")), "{out}");
        } else {
            let out = ok(&server, &["task", "done", r, &format!("#{id}")]);
            assert!(out.contains(&format!("task #{id} done")), "{out}");
        }
    }
    assert!(ok(&server, &["status", r, "closed"]).contains("is now closed"));
    let closed = json_of(&server, &["incident", r]);
    assert_eq!(closed["incident"]["status"], "closed");
    assert_eq!(closed["incident"]["acknowledged"]["via"], "api");
    assert!(
        ok(&server, &["incident", r]).contains("add a secret-scanning rule"),
        "the follow-up stays open after closure"
    );

    let review = ok(&server, &["review", r]);
    assert!(review.contains(root_cause), "{review}");
    assert!(review.contains("Alice Smith"), "{review}");
    let out = dir.path().join("review.md");
    ok(
        &server,
        &["review", r, "-o", out.to_str().expect("utf-8 path")],
    );
    assert_eq!(
        std::fs::read_to_string(&out).expect("review written"),
        review
    );

    // Retention: an admin holds, releases, then deletes (only with --yes).
    let held = ok_as(&server, ADMIN, &["hold", r, "--reason", "LH-7"]);
    assert!(held.contains("under legal hold"), "{held}");
    let blocked = run_at(&server.base, Some(ADMIN), &["delete", r, "--yes"]);
    assert!(!blocked.ok && blocked.stderr.contains("legal hold"));
    ok_as(&server, ADMIN, &["release", r, "--reason", "LH-7 closed"]);
    let unconfirmed = run_at(&server.base, Some(ADMIN), &["delete", r]);
    assert!(!unconfirmed.ok && unconfirmed.stderr.contains("--yes"));
    assert!(ok_as(&server, ADMIN, &["delete", r, "--yes"]).contains("deleted"));
    let gone = run_at(&server.base, Some(COMMANDER), &["incident", r]);
    assert!(
        !gone.ok && gone.stderr.contains("HTTP 404"),
        "{}",
        gone.stderr
    );
}

/// `klaxon drill --class --severity` (and `drill start`) opens a drill
/// marked as such; `klaxon drill report` prints its audit evidence.
#[tokio::test]
async fn drill_start_and_report() {
    let server = start().await;
    let started = ok(
        &server,
        &[
            "drill",
            "--class",
            "leaked_production_secret",
            "--severity",
            "SEV-2",
        ],
    );
    let r = started
        .split_whitespace()
        .find(|w| w.starts_with("KLX-"))
        .unwrap_or_else(|| panic!("no reference in {started}"))
        .to_owned();
    assert!(
        started.contains(&format!("klaxon ack {r}"))
            && started.contains(&format!("klaxon drill report {r}")),
        "next steps: {started}"
    );
    let second = json_of(
        &server,
        &[
            "drill",
            "start",
            "--class",
            "leaked_production_secret",
            "--severity",
            "SEV-3",
            "--title",
            "Quarterly secret drill",
        ],
    );
    assert_eq!(second["incident"]["drill"], true);

    let drills = ok(&server, &["incidents", "--drill", "true"]);
    assert!(
        drills.contains(&r) && drills.contains("[drill]"),
        "{drills}"
    );
    assert!(drills.contains("Quarterly secret drill"), "{drills}");
    assert!(ok(&server, &["incidents", "--drill", "false"]).contains("no incidents match"));

    // Triage runs in the background; a page can be acknowledged after it.
    wait_for(&server, &["incident", &r], "triaged").await;
    ok(&server, &["ack", &r]);
    let report = ok(&server, &["drill", "report", &r]);
    assert!(report.contains(&r), "{report}");
    let raw = json_of(&server, &["drill", "report", &r]);
    assert!(
        raw["report"].is_object() && raw["markdown"].is_string(),
        "{raw}"
    );
}

/// Failures exit non-zero with a message that says what to do, and never
/// show the token: no token, a role too low, an unreachable URL.
#[tokio::test]
async fn errors_say_what_went_wrong() {
    let server = start().await;
    let r = report(&server).await;

    let missing = run_at(&server.base, None, &["incidents"]);
    assert!(!missing.ok);
    assert!(
        missing.stderr.contains("KLAXON_API_TOKEN"),
        "{}",
        missing.stderr
    );

    let viewer = run_at(&server.base, Some(VIEWER), &["status", &r, "investigating"]);
    assert!(!viewer.ok);
    assert!(
        viewer
            .stderr
            .contains("error: your role may not do this (forbidden, HTTP 403)"),
        "{}",
        viewer.stderr
    );
    // A viewer may still read.
    assert!(ok_as(&server, VIEWER, &["incident", &r]).contains(&r));

    let wrong = run_at(
        &server.base,
        Some("not-a-known-token-0123456789"),
        &["incidents"],
    );
    assert!(!wrong.ok);
    assert!(
        wrong.stderr.contains("unauthorized, HTTP 401")
            && wrong.stderr.contains("KLAXON_API_TOKEN"),
        "{}",
        wrong.stderr
    );

    let bad = run_at(
        &server.base,
        Some(COMMANDER),
        &["incidents", "--severity", "SEV-9"],
    );
    assert!(!bad.ok);
    assert!(
        bad.stderr.contains("(invalid_severity, HTTP 400)"),
        "{}",
        bad.stderr
    );

    // Nothing listens on a port that was free a moment ago.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let unreachable = run_at(&nowhere, Some(COMMANDER), &["incident", &r]);
    assert!(!unreachable.ok);
    assert!(
        unreachable.stderr.contains(&nowhere) && unreachable.stderr.contains("klaxon serve"),
        "{}",
        unreachable.stderr
    );
    // --api wins over KLAXON_API_URL.
    let flag = run_at(
        &server.base,
        Some(COMMANDER),
        &["--api", &nowhere, "incidents"],
    );
    assert!(
        !flag.ok && flag.stderr.contains(&nowhere),
        "{}",
        flag.stderr
    );

    let not_a_url = run_at("127.0.0.1:8080", Some(COMMANDER), &["incidents"]);
    assert!(!not_a_url.ok);
    assert!(
        not_a_url.stderr.contains("not an API URL"),
        "{}",
        not_a_url.stderr
    );

    // --by names someone else; through the API the token's name is recorded.
    let by = run_at(
        &server.base,
        Some(COMMANDER),
        &["ack", &r, "--by", "mallory"],
    );
    assert!(!by.ok && by.stderr.contains("--by"), "{}", by.stderr);
}
