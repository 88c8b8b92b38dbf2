//! `klaxon serve` as a user runs it: the real binary on a loopback port,
//! a report posted over HTTP, the page in `outbox.jsonl`, and the incident
//! still there after the process is killed and restarted.

use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "test-viewer-token-0123456789";
const COMMANDER: &str = "test-commander-token-0123456789";
const ADMIN: &str = "test-admin-token-0123456789abc";

struct Server {
    child: Child,
    base: String,
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

async fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[]).await
}

async fn start_with(data_dir: &Path, extra: &[&std::ffi::OsStr]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .env(
            "KLAXON_API_TOKENS",
            format!("tester:viewer:{TOKEN},carol:commander:{COMMANDER},ada:admin:{ADMIN}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn klaxon serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
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

/// Waits for the file notifier to have written `n` lines.
async fn outbox_lines(data_dir: &Path, n: usize) -> Vec<Value> {
    let path = data_dir.join("outbox.jsonl");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // Only whole lines: the notifier may be half-way through the last.
        let whole = text.rfind('\n').map_or("", |i| &text[..=i]);
        let lines: Vec<Value> = whole
            .lines()
            .map(|l| serde_json::from_str(l).expect("each outbox line is JSON"))
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A curl'd report is stored, pages on-call into outbox.jsonl, and survives a kill -9 and restart.
#[tokio::test]
async fn report_pages_and_survives_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let server = start(dir.path()).await;

    let report = json!({"title": "Auth bypass", "description": "admin API open", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}).to_string();
    let resp = client
        .post(format!("{}/reports", server.base))
        .header("content-type", "application/json")
        .header("idempotency-key", "local-1")
        .body(report.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 202);
    let accepted: Value = resp.json().await.expect("json");
    let id = accepted["incident_id"].as_str().expect("id").to_owned();

    let lines = outbox_lines(dir.path(), 3).await;
    assert_eq!(lines.len(), 3, "page, team message, comms draft: {lines:?}");
    let attrs = |l: &Value, k: &str| l["message_attributes"][k].clone();
    // The page goes first: paging has priority over triage's messages and drafts.
    assert_eq!(lines[0]["audience"], "oncall-primary");
    assert_eq!(attrs(&lines[0], "event"), "Escalation Triggered");
    assert_eq!(attrs(&lines[0], "severity"), "SEV-1");
    assert_eq!(
        lines[0]["message"]["json"]["reference"],
        accepted["reference"]
    );
    assert_eq!(lines[1]["audience"], "security-team");
    assert_eq!(attrs(&lines[1], "event"), "Incident Triaged");
    assert_eq!(lines[2]["audience"], "comms");
    assert_eq!(attrs(&lines[2], "kind"), "severity_notification_draft");
    let sms = lines[0]["message"]["sms"].as_str().expect("sms");
    assert!(sms.chars().count() <= 160, "{sms}");
    assert!(
        sms.contains("/ack/"),
        "the page carries its ack link: {sms}"
    );

    // kill -9: no graceful shutdown.
    drop(server);
    let server = start(dir.path()).await;

    let got = client
        .get(format!("{}/api/v1/incidents/{id}", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(got.status(), 200);
    let body: Value = got.json().await.expect("json");
    assert_eq!(body["incident"]["status"], "triaged");
    assert_eq!(body["incident"]["severity"], "SEV-1");
    assert!(body["timeline"].as_array().expect("timeline").len() >= 3);

    // The same key after the restart is still a duplicate, and pages nobody.
    // (The same body too: a key reused with another body is refused.)
    let again: Value = client
        .post(format!("{}/reports", server.base))
        .header("content-type", "application/json")
        .header("idempotency-key", "local-1")
        .body(report)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["incident_id"], accepted["incident_id"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        outbox_lines(dir.path(), 3).await.len(),
        3,
        "no extra page after restart"
    );

    // `klaxon show` prints the severity, the reasons and every deadline.
    let reference = accepted["reference"].as_str().expect("reference");
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args(["show", reference, "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("show");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("severity: SEV-1 (Critical)"), "{text}");
    assert!(
        text.contains("reasons:") && text.contains("cvss: CVSS 3.1 base score 9.8"),
        "{text}"
    );
    for kind in [
        "acknowledge",
        "notify",
        "response_target",
        "status_update",
        "fix",
    ] {
        assert!(text.contains(kind), "{kind} missing: {text}");
    }

    // Without a token the API refuses, with a JSON error.
    let anon = client
        .get(format!("{}/api/v1/incidents/{id}", server.base))
        .send()
        .await
        .expect("get");
    assert_eq!(anon.status(), 401);
    let err: Value = anon.json().await.expect("json");
    assert_eq!(err["error"]["code"], "unauthorized");
}

/// A bad config file stops start-up with a message naming the file.
#[test]
fn bad_config_fails_fast() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("klaxon.toml");
    std::fs::write(&cfg, "escalate_interval_secs = \"soon\"").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("klaxon.toml"), "{stderr}");
}

/// `klaxon assess` reads JSON Lines and prints one verdict per line, touching no store.
#[test]
fn assess_dry_run() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args(["assess", "--now", "2026-11-23T09:00:00Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(tempfile::tempdir().expect("tempdir").path())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"title\":\"Cross-tenant data access in the export API\"}\n{\"title\":\"x\",\"cvss\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\"}\nnot json\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["severity"], "SEV-1");
    assert_eq!(lines[0]["class"], "cross_tenant_access");
    assert_eq!(
        lines[0]["deadlines"][0],
        json!({"kind": "acknowledge", "due": "2026-11-23T13:00:00Z"})
    );
    assert_eq!(lines[1]["cvss"], json!({"version": "3.1", "score": 7.5}));
    assert_eq!(lines[1]["severity"], "SEV-2");
    assert_eq!(lines[2]["line"], 3);
    assert!(
        !out.status.success(),
        "a bad line makes the exit code non-zero"
    );

    let policy = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args(["policy", "default"])
        .output()
        .expect("policy");
    let text = String::from_utf8_lossy(&policy.stdout);
    assert!(
        text.contains("[severity.SEV-1]") && text.contains("ack = \"4h\""),
        "{text}"
    );
}

/// What a newcomer sees with a policy whose delays are seconds: an
/// unacknowledged critical report walks up the paging levels in
/// `outbox.jsonl`, and `klaxon ack` stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_critical_walks_up_the_levels_until_klaxon_ack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    let fast = klaxon_core::policy::DEFAULT_POLICY
        .replace(
            "{ audience = \"oncall-secondary\", after = \"10m\" }",
            "{ audience = \"oncall-secondary\", after = \"2s\" }",
        )
        .replace(
            "{ audience = \"incident-manager\", after = \"20m\" }",
            "{ audience = \"incident-manager\", after = \"2s\" }",
        )
        .replace("repeat_after = \"20m\"", "repeat_after = \"2s\"");
    assert_ne!(
        fast,
        klaxon_core::policy::DEFAULT_POLICY,
        "the edit applied"
    );
    std::fs::write(&policy, fast).expect("write policy");
    let config = dir.path().join("klaxon.toml");
    std::fs::write(&config, "escalate_interval_secs = 1\n").expect("write config");
    let data = dir.path().join("data");
    let server = start_with(
        &data,
        &[
            "--policy".as_ref(),
            policy.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ],
    )
    .await;

    let accepted: Value = reqwest::Client::new()
        .post(format!("{}/reports", server.base))
        .header("content-type", "application/json")
        .body(json!({"title": "RCE in the webhook handler", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}).to_string())
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let reference = accepted["reference"]
        .as_str()
        .expect("reference")
        .to_owned();

    let pages = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["message_attributes"]["event"] == "Escalation Triggered")
            .map(|l| l["audience"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while Instant::now() < deadline && pages(&lines).len() < 3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        lines = outbox_lines(&data, 0).await;
    }
    assert_eq!(
        pages(&lines)[..3],
        ["oncall-primary", "oncall-secondary", "incident-manager"],
        "{lines:#?}"
    );

    // `klaxon ack` on this data directory, as `by`.
    let ack_as = |by: &str| {
        Command::new(env!("CARGO_BIN_EXE_klaxon"))
            .env_remove("KLAXON_API_URL")
            .args(["ack", &reference, "--by", by, "--data-dir"])
            .arg(&data)
            .arg("--policy")
            .arg(&policy)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("klaxon ack")
    };
    // A name that reads as a secret is refused, not echoed, not stored.
    let token = format!("ghp_{}", "Zq8rT2vLx9Kp4Nw7Yb3Hc6Jd1Mf5Gs0Ua2Ee");
    let refused = ack_as(&token);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains("--by") && !err.contains(&token), "{err}");
    for f in ["klaxon.db", "klaxon.db-wal", "outbox.jsonl"] {
        let bytes = std::fs::read(data.join(f)).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&token),
            "{f} holds the token"
        );
    }

    let out = ack_as("alice");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("acknowledged by alice"), "{stdout}");
    let after_ack = pages(&outbox_lines(&data, 0).await).len();

    // Three more sweeps' worth of time: nobody else is paged.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let lines = outbox_lines(&data, 0).await;
    assert_eq!(pages(&lines).len(), after_ack, "{lines:#?}");
    assert!(
        lines.iter().any(
            |l| l["message_attributes"]["event"] == "Incident Acknowledged"
                && l["audience"] == "security-team"
        ),
        "{lines:#?}"
    );

    // A second ack is harmless and says so.
    let again = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args(["ack", &reference, "--data-dir"])
        .arg(&data)
        .output()
        .expect("klaxon ack again");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already acknowledged"));
    drop(server);
}

/// The data directory is created owner-only (0700), and every file in it
/// (the database, its WAL and shared memory, outbox.jsonl, the ack key) is
/// 0600. Files an older version left world-readable are narrowed.
#[cfg(unix)]
#[tokio::test]
async fn data_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // An upgrade: a directory and files left 0644 by an older version.
    let old = dir.path().join("old");
    std::fs::create_dir(&old).expect("mkdir");
    for f in ["klaxon.db", "outbox.jsonl"] {
        std::fs::write(old.join(f), "").expect("write");
        std::fs::set_permissions(old.join(f), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    for data in [dir.path().join("fresh").join("data"), old.clone()] {
        let server = start(&data).await;
        let resp = reqwest::Client::new()
            .post(format!("{}/reports", server.base))
            .header("content-type", "application/json")
            .body(json!({"title": "Auth bypass", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}).to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(resp.status(), 202);
        assert_eq!(outbox_lines(&data, 3).await.len(), 3);
        if data != old {
            assert_eq!(mode(&data), 0o700, "{}", data.display());
        }
        for f in [
            "klaxon.db",
            "klaxon.db-wal",
            "klaxon.db-shm",
            "outbox.jsonl",
            "ack-secret",
        ] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f} in {}", data.display());
        }
        drop(server);
    }
}

/// `klaxon serve` under `policy` (one whose delays are seconds), with the
/// sweep every second: the server and its data directory.
async fn start_fast(dir: &Path, policy: &str) -> (Server, std::path::PathBuf) {
    let policy_file = dir.join("policy.toml");
    std::fs::write(&policy_file, policy).expect("write policy");
    let config = dir.join("klaxon.toml");
    std::fs::write(&config, "escalate_interval_secs = 1\n").expect("write config");
    let data = dir.join("data");
    let server = start_with(
        &data,
        &[
            "--policy".as_ref(),
            policy_file.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ],
    )
    .await;
    (server, data)
}

/// A server with the given `[server]` settings.
async fn start_limited(dir: &Path, server: &str) -> Server {
    let config = dir.join("klaxon.toml");
    std::fs::write(&config, format!("[server]\n{server}\n")).expect("write config");
    start_with(
        &dir.join("data"),
        &["--config".as_ref(), config.as_os_str()],
    )
    .await
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// A connection the server has admitted and answered on, kept open. The
/// start-up probe's connection may not be released yet when the test's first
/// ones arrive (its close reaches the server a moment later), so a refused
/// one is retried.
async fn admitted(server: &Server) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..200 {
        let mut stream = tokio::net::TcpStream::connect(addr(server))
            .await
            .expect("connect");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: klaxon\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
        if let Ok(Ok(n)) = read
            && buf[..n].starts_with(b"HTTP/1.1 200")
        {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no connection was admitted in 200 tries");
}

/// Reads until the server closes the connection; `Err` if it has not
/// within `bound` (generous: this checks that it closes, not how fast).
async fn closed_within(stream: &mut tokio::net::TcpStream, bound: Duration) -> Result<Vec<u8>, ()> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(bound, read).await.map_err(|_| ())?;
    Ok(got)
}

/// A client that sends half its headers and stalls is disconnected, and so
/// is a keep-alive connection left idle after its answer.
#[tokio::test]
async fn stalled_headers_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_limited(dir.path(), "header_timeout_secs = 1").await;

    let mut half = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    half.write_all(b"POST /reports HTTP/1.1\r\nHost: klaxon\r\nContent-Type: applic")
        .await
        .expect("write");
    assert!(
        closed_within(&mut half, Duration::from_secs(20))
            .await
            .is_ok(),
        "a connection stalled mid-headers stayed open"
    );

    let mut idle = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: klaxon\r\n\r\n")
        .await
        .expect("write");
    let got = closed_within(&mut idle, Duration::from_secs(20))
        .await
        .expect("an idle keep-alive connection stayed open");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "answered first: {text}");
}

/// A body that trickles in (a byte at a time, never stalling long enough
/// for a per-read timeout) is cut off with 408 at the request deadline.
#[tokio::test]
async fn slow_body_is_cut_off_with_408() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_limited(dir.path(), "request_timeout_secs = 2").await;
    let stream = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(b"POST /reports HTTP/1.1\r\nHost: klaxon\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"title\": \"")
        .await
        .expect("write");
    // At most 100 bytes over 20 s: far from the 4,000 promised.
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    let text = String::from_utf8_lossy(&got);
    assert!(answered.is_ok(), "no answer to a trickling body: {text}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

/// Connections beyond `max_connections` wait to be accepted: a third
/// client's request is answered only once one of the first two leaves.
#[tokio::test]
async fn connections_beyond_the_cap_wait() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_limited(dir.path(), "max_connections = 2\nheader_timeout_secs = 60").await;
    let first = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    let second = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    let mut third = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: klaxon\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    assert!(
        closed_within(&mut third, Duration::from_secs(2))
            .await
            .is_err(),
        "the third connection was served while two held every slot"
    );
    drop(first);
    drop(second);
    let got = closed_within(&mut third, Duration::from_secs(20))
        .await
        .expect("the waiting connection was never served");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// One client address holds at most `max_connections_per_client`: its next
/// connection is closed at once, while the other slots stay free; and a
/// body declared larger than any route takes is refused before it is sent.
#[tokio::test]
async fn one_client_cannot_hold_every_slot_or_a_huge_body() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_limited(
        dir.path(),
        "max_connections = 8\nmax_connections_per_client = 2\nheader_timeout_secs = 60",
    )
    .await;
    let first = admitted(&server).await;
    let second = admitted(&server).await;
    let mut third = tokio::net::TcpStream::connect(addr(&server))
        .await
        .expect("connect");
    let got = closed_within(&mut third, Duration::from_secs(10))
        .await
        .expect("a third connection from the same client was held open");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    drop(first);
    drop(second);
    // Retried while refused: the two just dropped are released a moment
    // after their close reaches the server.
    let mut got = Vec::new();
    for _ in 0..200 {
        let mut huge = tokio::net::TcpStream::connect(addr(&server))
            .await
            .expect("connect");
        huge.write_all(
            b"POST /reports HTTP/1.1\r\nHost: klaxon\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n",
        )
        .await
        .expect("write");
        got = closed_within(&mut huge, Duration::from_secs(10))
            .await
            .expect("the server waited for a body it would refuse");
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
}

/// Under a backlog, a critical report's page does not wait its turn: it
/// is in outbox.jsonl while low-severity reports committed before it are
/// still waiting for triage. (Oldest first, it would come after all of
/// them.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_page_overtakes_the_backlog() {
    use klaxon_core::app::{Relay, intake};
    use klaxon_core::domain::{Report, ReportInput, Source, Status};
    let dir = tempfile::tempdir().expect("tempdir");
    let app = klaxon_local::serve::build(
        dir.path(),
        &klaxon_local::settings::FileConfig::default(),
        None,
        std::sync::Arc::new(klaxon_core::ports::SystemClock),
        Relay::Background,
        None,
    )
    .expect("build");
    let report = |title: &str, description: &str, cvss: Option<&str>| {
        Report::parse(ReportInput {
            title: Some(title.into()),
            description: Some(description.into()),
            cvss: cvss.map(Into::into),
            ..Default::default()
        })
        .expect("valid report")
    };
    for i in 0..2000 {
        let low = report(
            &format!("Typo in the footer of the help centre #{i}"),
            "The footer says 'Copyrigth'. Cosmetic only; nothing is exposed.",
            None,
        );
        intake::submit(&app, Source::Report, low, None)
            .await
            .expect("submit");
    }
    let critical = report(
        "RCE in the webhook handler",
        "Unauthenticated remote code execution through the webhook endpoint.",
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
    );
    let reference = intake::submit(&app, Source::Report, critical, None)
        .await
        .expect("submit")
        .incident
        .reference
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let paged = loop {
        let lines = outbox_lines(dir.path(), 0).await;
        let paged = lines.iter().any(|l| {
            l["audience"] == "oncall-primary"
                && l["message"]["json"]["reference"] == reference.as_str()
        });
        if paged || Instant::now() > deadline {
            break paged;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(paged, "the critical report was never paged");
    // Order, not timing: reports committed before the critical one are
    // still being handled after its page is written. (Each low report's
    // triage tells the security team, one outbox line each.)
    let deadline = Instant::now() + Duration::from_secs(120);
    let after_page = loop {
        let lines = outbox_lines(dir.path(), 0).await;
        let page = lines.iter().position(|l| {
            l["audience"] == "oncall-primary"
                && l["message"]["json"]["reference"] == reference.as_str()
        });
        let after = page.map_or(0, |p| {
            lines[p + 1..]
                .iter()
                .filter(|l| l["message"]["json"]["reference"] != reference.as_str())
                .count()
        });
        let drained = app
            .store
            .list_by_status(Status::Reported, 1)
            .await
            .expect("list")
            .is_empty();
        if after > 0 || (drained && lines.len() >= 2000) || Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        after_page > 0,
        "the page waited until the whole backlog was handled"
    );
}

/// The escalation pages in the outbox: (audience, severity), in order.
fn pages_of(lines: &[Value], reference: &str) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l["message_attributes"]["event"] == "Escalation Triggered")
        .filter(|l| l["message"]["json"]["reference"] == reference)
        .map(|l| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
            (s(&l["audience"]), s(&l["message_attributes"]["severity"]))
        })
        .collect()
}

/// Waits until the outbox holds `n` pages for `reference`.
async fn wait_for_pages(data_dir: &Path, reference: &str, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pages = pages_of(&outbox_lines(data_dir, 0).await, reference);
        if pages.len() >= n || Instant::now() > deadline {
            return pages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_incident(server: &Server, id: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/incidents/{id}", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}

fn ack_due(view: &Value) -> chrono::DateTime<chrono::Utc> {
    view["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .find(|d| d["kind"] == "acknowledge")
        .and_then(|d| d["due_at"].as_str())
        .expect("an acknowledge deadline")
        .parse()
        .expect("time")
}

fn created(view: &Value) -> chrono::DateTime<chrono::Utc> {
    view["incident"]["created_at"]
        .as_str()
        .expect("created_at")
        .parse()
        .expect("time")
}

/// Posts a report and waits for the engine's verdict; (id, reference).
async fn post_report(server: &Server, body: Value) -> (String, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}/reports", server.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 202);
    let accepted: Value = resp.json().await.expect("json");
    let s = |k: &str| accepted[k].as_str().expect(k).to_owned();
    (s("incident_id"), s("reference"))
}

/// `klaxon <args>` against the server's API as the commander.
fn cli(server: &Server, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .args(args)
        .env("KLAXON_API_URL", &server.base)
        .env("KLAXON_API_TOKEN", COMMANDER)
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

/// A report the engine cannot place pages the primary on-call to triage it
/// (SEV-3 pages no one on its own), with triage's 1 h acknowledgement
/// instead of SEV-3's 24 h. It stays flagged until a person sets the
/// severity; then paging follows that severity: SEV-4 stops it, SEV-1
/// carries on up SEV-1's levels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplaceable_report_pages_for_triage_until_a_person_sets_the_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Seconds instead of minutes after the first page. The triage
    // secondary waits long enough for the override to come first.
    let default = klaxon_core::policy::DEFAULT_POLICY;
    let triage_at = default.find("\n[triage]\n").expect("a [triage] table");
    let (head, tail) = default.split_at(triage_at);
    let fast =
        head.replace(
            "{ audience = \"oncall-secondary\", after = \"10m\" }",
            "{ audience = \"oncall-secondary\", after = \"1s\" }",
        )
        .replace(
            "{ audience = \"incident-manager\", after = \"20m\" }",
            "{ audience = \"incident-manager\", after = \"1s\" }",
        ) + &tail.replacen(
            "{ audience = \"oncall-secondary\", after = \"30m\" }",
            "{ audience = \"oncall-secondary\", after = \"8s\" }",
            1,
        );
    assert!(fast.contains("after = \"8s\"") && fast.contains("after = \"1s\""));
    let (server, data) = start_fast(dir.path(), &fast).await;
    let vague = json!({
        "title": "Please take a look",
        "description": "Something is going on, please take a look",
    });

    // 1. Paged to triage, flagged, with triage's acknowledgement deadline.
    let (id, reference) = post_report(&server, vague.clone()).await;
    let pages = wait_for_pages(&data, &reference, 1).await;
    assert_eq!(
        pages,
        [("oncall-primary".to_owned(), "SEV-3".to_owned())],
        "triage pages the primary"
    );
    let view = get_incident(&server, &id).await;
    assert_eq!(view["needs_triage"], true, "{view:#}");
    assert_eq!(view["incident"]["severity"], "SEV-3");
    assert_eq!(view["incident"]["assessment"]["class"], "unclassified");
    assert!(
        view["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["rule"] == "needs-triage"),
        "{view:#}"
    );
    assert_eq!(
        ack_due(&view) - created(&view),
        chrono::Duration::hours(1),
        "triage's ack, not SEV-3's 24 h"
    );
    let summary = cli(&server, &["incident", &reference]);
    assert!(summary.contains("needs triage"), "{summary}");

    // 2. A person says SEV-1: the flag clears, and the next page is SEV-1's
    // second level, then its third (triage has only two).
    let out = cli(
        &server,
        &[
            "severity",
            &reference,
            "SEV-1",
            "--reason",
            "the payments API is down",
        ],
    );
    assert!(out.contains("severity is now SEV-1"), "{out}");
    let view = get_incident(&server, &id).await;
    assert_eq!(view["needs_triage"], false, "{view:#}");
    assert_eq!(view["incident"]["severity"], "SEV-1");
    assert_eq!(
        ack_due(&view) - created(&view),
        chrono::Duration::hours(4),
        "SEV-1's ack"
    );
    let summary = cli(&server, &["incident", &reference]);
    assert!(!summary.contains("needs triage"), "{summary}");
    let pages = wait_for_pages(&data, &reference, 3).await;
    let want = [
        ("oncall-primary", "SEV-3"),
        ("oncall-secondary", "SEV-1"),
        ("incident-manager", "SEV-1"),
    ]
    .map(|(a, s)| (a.to_owned(), s.to_owned()));
    assert_eq!(pages[..], want[..], "{pages:?}");

    // 3. Another one; a person says SEV-4: paging stops and the deadlines
    // are SEV-4's.
    let (id, reference) = post_report(&server, vague).await;
    assert_eq!(wait_for_pages(&data, &reference, 1).await.len(), 1);
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/incidents/{id}/severity", server.base))
        .bearer_auth(COMMANDER)
        .header("content-type", "application/json")
        .body(json!({"severity": "SEV-4", "reason": "a typo report"}).to_string())
        .send()
        .await
        .expect("override");
    assert_eq!(resp.status(), 200);
    let view = get_incident(&server, &id).await;
    assert_eq!(view["needs_triage"], false, "{view:#}");
    assert_eq!(view["incident"]["severity"], "SEV-4");
    assert!(
        view["incident"]["paging"]["next_at"].is_null(),
        "nothing more is scheduled: {:#}",
        view["incident"]["paging"]
    );
    assert_eq!(
        ack_due(&view) - created(&view),
        chrono::Duration::days(5),
        "SEV-4's ack"
    );
    assert!(
        view["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["message"]
                .as_str()
                .unwrap_or("")
                .contains("paging stopped")),
        "{:#}",
        view["timeline"]
    );
    drop(server);
}

/// `klaxon <args>` against the server's API as an admin.
fn admin_cli(server: &Server, args: &[&str]) -> String {
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

/// The pages of `reference` in the outbox, whole.
fn page_lines(lines: &[Value], reference: &str) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["message_attributes"]["event"] == "Escalation Triggered")
        .filter(|l| l["message"]["json"]["reference"] == reference)
        .cloned()
        .collect()
}

/// Levels that page people, with delays of seconds: an unacknowledged
/// SEV-1 pages whoever is on call for the schedule (the outbox line names
/// them and their methods), then the next level; an override added with
/// one command changes who the schedule pages next; and the SMS ack link
/// from that page stops paging and names the person on the timeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sev1_pages_the_person_on_call_until_their_link_acknowledges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = "levels = [\n  { audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"10m\" },\n  { audience = \"incident-manager\", after = \"20m\" },\n]";
    let to = "levels = [\n  { schedule = \"security-primary\" },\n  { audience = \"oncall-secondary\", after = \"2s\" },\n  { schedule = \"security-primary\", after = \"5s\" },\n]";
    let fast = klaxon_core::policy::DEFAULT_POLICY
        .replacen(from, to, 1)
        .replacen("repeat_after = \"20m\"", "repeat_after = \"2s\"", 1);
    assert!(
        fast.contains("schedule = \"security-primary\""),
        "the edit applied"
    );
    let (server, data) = start_fast(dir.path(), &fast).await;
    admin_cli(
        &server,
        &[
            "people",
            "add",
            "priya",
            "--name",
            "Priya Raman",
            "--tz",
            "Europe/Berlin",
            "--sms",
            "+4915112345678",
            "--email",
            "priya@example.com",
        ],
    );
    admin_cli(
        &server,
        &[
            "people",
            "add",
            "sam",
            "--name",
            "Sam Okafor",
            "--tz",
            "Europe/Berlin",
            "--sms",
            "+4915112345679",
        ],
    );
    admin_cli(
        &server,
        &[
            "schedule",
            "set",
            "security-primary",
            "--name",
            "Security primary",
            "--tz",
            "Europe/Berlin",
            "--layer",
            "priya/1w/Mon 09:00/2026-01-05",
        ],
    );

    let (id, reference) = post_report(
        &server,
        json!({"title": "RCE in the webhook handler", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
    )
    .await;
    // 1. Priya, on call, is paged at once through the paging topic, once
    // per method (the `method` attribute her subscriptions filter on), and
    // each outbox line names her and how (never the number).
    wait_for_pages(&data, &reference, 2).await;
    let lines = outbox_lines(&data, 0).await;
    let first = page_lines(&lines, &reference);
    for (line, method) in first.iter().zip(["sms", "email"]) {
        assert_eq!(line["audience"], "oncall-primary", "{first:#?}");
        assert_eq!(line["message_attributes"]["person"], "priya");
        assert_eq!(line["message_attributes"]["method"], method);
        assert_eq!(line["to"]["name"], "Priya Raman");
        assert_eq!(line["to"]["schedule"], "security-primary");
        assert_eq!(line["to"]["methods"], json!([method]));
    }
    let text = std::fs::read_to_string(data.join("outbox.jsonl")).expect("outbox");
    assert!(!text.contains("+4915112345678"), "no number in the outbox");

    // 2. Unanswered: the next level.
    let pages = wait_for_pages(&data, &reference, 3).await;
    assert_eq!(pages[2].0, "oncall-secondary", "{pages:?}");

    // 3. Sam covers from now: the schedule's next page is his.
    let out = admin_cli(
        &server,
        &[
            "override",
            "add",
            "--schedule",
            "security-primary",
            "--person",
            "sam",
            "--until",
            "+2h",
        ],
    );
    assert!(out.contains("sam"), "{out}");
    wait_for_pages(&data, &reference, 4).await;
    let lines = outbox_lines(&data, 0).await;
    let third = page_lines(&lines, &reference)[3].clone();
    assert_eq!(third["message_attributes"]["person"], "sam", "{third:#}");
    assert_eq!(third["to"]["methods"], json!(["sms"]));

    // 4. Sam's SMS link: a GET confirms as him, the POST acknowledges.
    let sms = third["message"]["sms"].as_str().expect("sms").to_owned();
    let link = sms
        .split_whitespace()
        .find(|w| w.contains("/ack/"))
        .expect("an ack link in the SMS")
        .to_owned();
    let confirm = reqwest::get(&link)
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(confirm.contains("Acknowledge as sam"), "{confirm}");
    let resp = reqwest::Client::new()
        .post(&link)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 200);
    let view = get_incident(&server, &id).await;
    let timeline: Vec<String> = view["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect();
    assert!(
        timeline.iter().any(|m| m
            == "acknowledged by Sam Okafor (on call for security-primary) via SMS link; paging stopped"),
        "{timeline:#?}"
    );
    assert!(
        timeline.iter().any(
            |m| m.starts_with("paged Priya Raman (on call for security-primary): level 1 of 3")
        ),
        "{timeline:#?}"
    );
    let after_ack = page_lines(&outbox_lines(&data, 0).await, &reference).len();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        page_lines(&outbox_lines(&data, 0).await, &reference).len(),
        after_ack,
        "the link stopped paging"
    );
    drop(server);
}
