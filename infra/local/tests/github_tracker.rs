//! The tracker against GitHub's own published REST API description. The
//! test command (infra/test.sh) serves that description with Prism on a
//! loopback port (`KLAXON_GITHUB_MOCK_URL`): Prism validates every request
//! Klaxon sends (path, method, headers, body) and answers 422 to one the
//! description refuses, which the tests see as a refusal and fail on; its
//! answers come from the description's examples. The rate-limit test alone
//! uses a small local stub, because the description gives no rate-limit
//! headers for Prism to send; the stub's success body is the description's
//! own example.

use async_trait::async_trait;
use klaxon_core::adapters::github::{GitHubIssues, Retry};
use klaxon_core::app::track::{self, Tracked};
use klaxon_core::app::{App, HandlerError, Relay, intake, respond};
use klaxon_core::config::{GitHubAuth, Secret, TrackerSettings};
use klaxon_core::domain::{
    Caller, DomainEvent, EventKind, Incident, Report, ReportInput, Role, Severity, Source, Status,
    StatusFields, TaskState, TimelineKind, TrackerLink,
};
use klaxon_core::ports::{IssueDraft, IssueTracker, SystemClock, TrackerError};
use klaxon_local::serve;
use klaxon_local::settings::FileConfig;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "github_pat_test_0123456789abcdef";

/// The mock's address, or `None` (the test is skipped) outside the test
/// command. In CI the mock is required.
fn mock_url() -> Option<String> {
    match std::env::var("KLAXON_GITHUB_MOCK_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("KLAXON_GITHUB_MOCK_URL is not set: infra/test.sh starts the mock")
        }
        _ => {
            eprintln!("skipped: KLAXON_GITHUB_MOCK_URL is not set (infra/test.sh starts the mock)");
            None
        }
    }
}

fn settings(api_url: &str) -> TrackerSettings {
    TrackerSettings {
        repo: "acme/security-incidents".into(),
        auth: GitHubAuth::Token(Secret::new(TOKEN)),
        api_url: api_url.trim_end_matches('/').into(),
    }
}

/// GitHub's adapter over a client that sends `headers` too (Prism's
/// `Prefer: code=...` picks one of the description's responses).
fn github(api_url: &str, headers: &[(&'static str, &str)]) -> GitHubIssues {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, v.parse().expect("header value"));
    }
    let client = reqwest::Client::builder()
        .default_headers(map)
        .build()
        .expect("client");
    GitHubIssues::with_client(client, &settings(api_url))
        .expect("adapter")
        .with_retry(Retry {
            attempts: 3,
            backoff: Duration::from_millis(20),
            max_wait: Duration::from_secs(5),
        })
}

/// The real adapter, with each call it is asked for written down, so a
/// test can count issues opened.
struct Counting {
    inner: GitHubIssues,
    calls: Mutex<Vec<&'static str>>,
}

impl Counting {
    fn new(inner: GitHubIssues) -> Arc<Self> {
        Arc::new(Self {
            inner,
            calls: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().expect("calls").clone()
    }

    fn note(&self, call: &'static str) {
        self.calls.lock().expect("calls").push(call);
    }
}

#[async_trait]
impl IssueTracker for Counting {
    fn system(&self) -> &'static str {
        self.inner.system()
    }
    async fn open(&self, draft: &IssueDraft) -> Result<TrackerLink, TrackerError> {
        self.note("open");
        self.inner.open(draft).await
    }
    async fn relabel(&self, key: &str, title: &str, labels: &[String]) -> Result<(), TrackerError> {
        self.note("relabel");
        self.inner.relabel(key, title, labels).await
    }
    async fn comment(&self, key: &str, body: &str) -> Result<(), TrackerError> {
        self.note("comment");
        self.inner.comment(key, body).await
    }
    async fn close(&self, key: &str, summary: &str) -> Result<(), TrackerError> {
        self.note("close");
        self.inner.close(key, summary).await
    }
    async fn reopen(&self, key: &str) -> Result<(), TrackerError> {
        self.note("reopen");
        self.inner.reopen(key).await
    }
}

fn tracked(c: &Arc<Counting>) -> Option<&dyn IssueTracker> {
    Some(c.as_ref())
}

fn commander() -> Caller {
    Caller {
        name: "cora".into(),
        role: Role::Admin,
        tenants: None,
    }
}

/// `klaxon serve`'s wiring (SQLite, the in-process bus, every consumer)
/// over this tracker, publishing inline so each call returns after its
/// consumers ran.
fn app(dir: &std::path::Path, tracker: Arc<dyn IssueTracker>) -> Arc<App> {
    serve::build_tracked(
        dir,
        &FileConfig::default(),
        None,
        Arc::new(SystemClock),
        Relay::Inline,
        tracker,
    )
    .expect("app")
}

async fn report(app: &Arc<App>) -> Incident {
    let report = Report::parse(ReportInput {
        title: Some("Production AWS access key committed to a public repository".into()),
        description: Some(
            "Our production AWS access key was pushed to a public GitHub repo and used from an unknown IP."
                .into(),
        ),
        ..Default::default()
    })
    .expect("report");
    let created = intake::submit(app, Source::Report, report, None)
        .await
        .expect("stored");
    get(app, &created.incident.id.to_string()).await
}

async fn get(app: &Arc<App>, key: &str) -> Incident {
    respond::visible(app, &commander(), key)
        .await
        .expect("incident")
}

fn tracker_entries(app_timeline: &[klaxon_core::domain::TimelineEntry]) -> Vec<String> {
    app_timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Tracker)
        .map(|e| e.message.clone())
        .collect()
}

/// Triage opens exactly one issue and stores its number; a severity change
/// relabels it, each status change comments, closing closes it; a
/// redelivered event opens and comments nothing more. Every request passed
/// the description's validation (a refused one would be a 422 and a
/// refusal on the timeline).
#[tokio::test]
async fn an_incident_is_tracked_in_step() {
    let Some(url) = mock_url() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let gh = Counting::new(github(&url, &[]));
    let app = app(dir.path(), gh.clone());

    let incident = report(&app).await;
    assert_eq!(incident.status, Status::Triaged);
    let link = incident.tracker.clone().expect("an issue opened at triage");
    // The description's example issue.
    assert_eq!(link.system, "github");
    assert_eq!(link.key, "1347");
    assert!(link.url.starts_with("https://github.com/"), "{}", link.url);
    assert_eq!(gh.calls(), ["open"]);

    let key = incident.id.to_string();
    let sev = if incident.severity == Some(Severity::Sev1) {
        Severity::Sev2
    } else {
        Severity::Sev1
    };
    respond::override_severity(&app, &commander(), &key, sev, "confirmed by the team")
        .await
        .expect("override");
    assert_eq!(gh.calls(), ["open", "relabel"]);

    let fields = |c: Option<&str>, r: Option<&str>| StatusFields {
        containment: c.map(Into::into),
        root_cause: r.map(Into::into),
        ..Default::default()
    };
    for (to, f) in [
        (Status::Investigating, fields(None, None)),
        (Status::Contained, fields(Some("key revoked"), None)),
        (
            Status::Resolved,
            fields(None, Some("a CI script printed the key")),
        ),
    ] {
        respond::set_status(&app, &commander(), &key, to, &f)
            .await
            .unwrap_or_else(|e| panic!("{to}: {e}"));
    }
    assert_eq!(
        gh.calls(),
        ["open", "relabel", "comment", "comment", "comment"]
    );

    // A follow-up action: its own issue, linked from the incident's.
    let due = chrono::Utc::now() + chrono::Duration::days(14);
    respond::add_follow_up(
        &app,
        &commander(),
        &key,
        "Scan CI logs for secrets",
        Some("tom"),
        Some(due),
    )
    .await
    .expect("follow-up");
    assert_eq!(
        gh.calls(),
        [
            "open", "relabel", "comment", "comment", "comment", "open", "comment"
        ]
    );

    // Everything still open is waived, so the incident may close.
    let open: Vec<u32> = get(&app, &key)
        .await
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Open)
        .map(|t| t.id)
        .collect();
    for id in open {
        respond::settle_task(
            &app,
            &commander(),
            &key,
            (id, &id.to_string()),
            TaskState::Waived,
            Some("covered by the drill of the week"),
        )
        .await
        .expect("waive");
    }
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Closed,
        &fields(None, None),
    )
    .await
    .expect("close");
    assert_eq!(
        gh.calls(),
        [
            "open", "relabel", "comment", "comment", "comment", "open", "comment", "close"
        ]
    );

    // Redeliveries: triage again (a new event id, the same incident), and
    // one status change twice.
    let closed = get(&app, &key).await;
    let again = DomainEvent::new(EventKind::IncidentTriaged, &closed, closed.updated_at);
    let got = track::on_event(&app, tracked(&gh), &again)
        .await
        .expect("redelivery");
    assert_eq!(got, Tracked::Already);
    let mut status = DomainEvent::new(EventKind::StatusChanged, &closed, closed.updated_at);
    status.status = Status::Resolved;
    let first = track::on_event(&app, tracked(&gh), &status).await;
    let second = track::on_event(&app, tracked(&gh), &status).await;
    assert_eq!(first.expect("first"), Tracked::Done);
    assert_eq!(second.expect("second"), Tracked::Already);
    let calls = gh.calls();
    assert_eq!(
        calls.iter().filter(|c| **c == "open").count(),
        2,
        "{calls:?}"
    );
    assert_eq!(calls.len(), 9, "{calls:?}");

    let timeline = app.store.timeline(closed.id).await.expect("timeline");
    let follow_up = closed
        .tasks
        .iter()
        .find(|t| t.text == "Scan CI logs for secrets")
        .map(|t| t.id)
        .expect("the follow-up");
    assert_eq!(
        tracker_entries(&timeline),
        [
            format!("tracked as github issue #1347 ({})", link.url),
            format!(
                "follow-up #{follow_up} tracked as github issue #1347 ({})",
                link.url
            )
        ]
    );

    // It recurs: reopening reopens the issue (with the status update), and
    // the next closing closes it again.
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Investigating,
        &fields(None, None),
    )
    .await
    .expect("reopen");
    let calls = gh.calls();
    assert_eq!(calls[9..], ["reopen", "comment"], "{calls:?}");
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Resolved,
        &fields(None, Some("the same token, reissued")),
    )
    .await
    .expect("resolve again");
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Closed,
        &fields(None, None),
    )
    .await
    .expect("close again");
    let calls = gh.calls();
    assert_eq!(calls[11..], ["comment", "close"], "{calls:?}");
}

/// A 404 (wrong repository) and a 403 (no permission), as the description
/// gives them: a clear entry on the timeline, nothing retried, and later
/// events do not try again.
#[tokio::test]
async fn refusals_are_on_the_timeline_and_not_retried() {
    let Some(url) = mock_url() else { return };
    for (code, words) in [
        (
            "404",
            "refused to open the issue (404): the repository does not exist",
        ),
        (
            "403",
            "refused to open the issue (403): the token lacks Issues",
        ),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let gh = Counting::new(github(&url, &[("prefer", &format!("code={code}"))]));
        let app = app(dir.path(), gh.clone());
        let incident = report(&app).await;
        assert_eq!(incident.tracker, None);
        let timeline = app.store.timeline(incident.id).await.expect("timeline");
        let entries = tracker_entries(&timeline);
        assert_eq!(entries.len(), 1, "{code}: {entries:?}");
        assert!(entries[0].contains(words), "{code}: {}", entries[0]);
        assert!(!entries[0].contains(TOKEN));
        respond::set_status(
            &app,
            &commander(),
            &incident.id.to_string(),
            Status::Investigating,
            &StatusFields::default(),
        )
        .await
        .expect("investigating");
        assert_eq!(gh.calls(), ["open"], "{code}");
    }
}

/// A 503 from the description is retried, then left to the event's retry
/// (`Retryable.Track`), with the claim given back so the retry can open
/// the issue.
#[tokio::test]
async fn server_errors_are_retried_then_left_to_the_event_retry() {
    let Some(url) = mock_url() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let down = Counting::new(github(&url, &[("prefer", "code=503")]));
    let up = Counting::new(github(&url, &[]));
    // No tracker while the report is triaged; then the triage event is
    // delivered to a GitHub that is down, then to one that is up.
    let app = app(dir.path(), down.clone());
    let report = Report::parse(ReportInput {
        title: Some("Admin API answers without a session".into()),
        description: Some("Any caller can list every tenant's users.".into()),
        ..Default::default()
    })
    .expect("report");
    let created = intake::submit(&app, Source::Report, report, None).await;
    // The in-process bus ran the tracker, which failed: the event stays
    // pending (the relay retries it); intake itself succeeded.
    let incident = get(&app, &created.expect("stored").incident.id.to_string()).await;
    assert_eq!(incident.tracker, None);
    assert_eq!(down.calls(), ["open"]);
    let triaged = DomainEvent::new(EventKind::IncidentTriaged, &incident, incident.updated_at);
    let err = track::on_event(&app, tracked(&down), &triaged)
        .await
        .expect_err("GitHub is down");
    assert!(
        matches!(err, HandlerError::Track(TrackerError::Unavailable(_))),
        "{err:?}"
    );
    assert_eq!(err.error_type(), "Retryable.Track");
    let got = track::on_event(&app, tracked(&up), &triaged)
        .await
        .expect("GitHub is back");
    assert_eq!(got, Tracked::Done);
    assert_eq!(up.calls(), ["open"]);
    assert_eq!(
        get(&app, &incident.id.to_string())
            .await
            .tracker
            .map(|l| l.key),
        Some("1347".to_owned())
    );
}

/// The description's example of a created issue, as GitHub documents it.
fn created_issue_example() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../github-mock/node_modules/@octokit/openapi/generated/api.github.com.json"
    );
    let text =
        std::fs::read_to_string(path).expect("the description (npm ci in infra/github-mock)");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let named = &doc["paths"]["/repos/{owner}/{repo}/issues"]["post"]["responses"]["201"]["content"]
        ["application/json"]["examples"]["default"]["$ref"];
    // `#/components/examples/issue`, as a JSON pointer into the description.
    let pointer = named
        .as_str()
        .expect("the example's $ref")
        .trim_start_matches('#');
    let example = doc
        .pointer(pointer)
        .map(|e| &e["value"])
        .expect("the example");
    assert!(example.is_object(), "no example for a created issue");
    example.to_string()
}

/// Rate limits, which the description gives no headers for, from a stub:
/// a primary limit (403, `x-ratelimit-remaining: 0`, the reset a second
/// away) and a secondary one (429, `Retry-After: 1`) are waited out, then
/// the issue opens; a wait longer than the adapter takes is left to the
/// event's retry at once.
#[tokio::test]
async fn rate_limits_are_waited_out_as_github_says() {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let example = created_issue_example();
    let seen = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let script = Arc::new(Mutex::new(vec!["primary", "secondary", "created"]));
    let stub = {
        let seen = seen.clone();
        let script = script.clone();
        axum::Router::new().fallback(move |headers: HeaderMap| {
            let seen = seen.clone();
            let script = script.clone();
            let example = example.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == format!("Bearer {TOKEN}"));
                let step = {
                    let mut s = script.lock().expect("script");
                    if s.is_empty() { "long" } else { s.remove(0) }
                };
                seen.lock().expect("seen").push((step.to_owned(), auth));
                let reset = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() + 1)
                    .unwrap_or(0);
                match step {
                    "primary" => (
                        StatusCode::FORBIDDEN,
                        [
                            ("x-ratelimit-remaining", "0".to_owned()),
                            ("x-ratelimit-reset", reset.to_string()),
                        ],
                        "{\"message\":\"API rate limit exceeded\"}".to_owned(),
                    )
                        .into_response(),
                    "secondary" => (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "{\"message\":\"secondary rate limit\"}".to_owned(),
                    )
                        .into_response(),
                    "created" => (
                        StatusCode::CREATED,
                        [("content-type", "application/json")],
                        example,
                    )
                        .into_response(),
                    _ => (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "3600")],
                        "{\"message\":\"secondary rate limit\"}".to_owned(),
                    )
                        .into_response(),
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, stub).await });
    let gh = github(&format!("http://{addr}"), &[]);
    let draft = IssueDraft {
        title: "[SEV-2] KLX-TEST rate limits".into(),
        body: "b".into(),
        labels: vec!["security".into()],
    };
    let start = Instant::now();
    let link = gh.open(&draft).await.expect("opened after the waits");
    assert_eq!(link.key, "1347");
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    let long = Instant::now();
    let err = gh
        .open(&draft)
        .await
        .expect_err("an hour's wait is not taken here");
    assert!(
        matches!(err, TrackerError::Unavailable(ref m) if m.contains("retry in 3600 s")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(TOKEN));
    assert!(long.elapsed() < Duration::from_secs(1));
    let seen = seen.lock().expect("seen").clone();
    let steps: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(steps, ["primary", "secondary", "created", "long"]);
    assert!(
        seen.iter().all(|(_, auth)| *auth),
        "every request carries the token"
    );
}

/// The team hears every step: each status change reaches the security team
/// as a status update naming the move, and resolution drafts the
/// CHANGELOG.md notice for comms. (No tracker: this needs no mock.)
#[tokio::test]
async fn status_changes_tell_the_team() {
    let dir = tempfile::tempdir().expect("dir");
    let app = serve::build(
        dir.path(),
        &FileConfig::default(),
        None,
        Arc::new(SystemClock),
        Relay::Inline,
        None,
    )
    .expect("app");
    let incident = report(&app).await;
    let key = incident.id.to_string();
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Contained,
        &StatusFields {
            containment: Some("key revoked".into()),
            ..Default::default()
        },
    )
    .await
    .expect("contain");
    respond::set_status(
        &app,
        &commander(),
        &key,
        Status::Resolved,
        &StatusFields {
            root_cause: Some("a CI script printed the key".into()),
            ..Default::default()
        },
    )
    .await
    .expect("resolve");
    let text = std::fs::read_to_string(dir.path().join("outbox.jsonl")).expect("outbox");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let of = |event: &str, kind: &str| -> Vec<serde_json::Value> {
        lines
            .iter()
            .filter(|m| {
                m["message_attributes"]["event"] == event && m["message_attributes"]["kind"] == kind
            })
            .cloned()
            .collect()
    };
    let updates = of("Status Changed", "status_update");
    assert_eq!(updates.len(), 2, "{text}");
    assert!(updates.iter().all(|m| m["audience"] == "security-team"));
    let email = updates[0]["message"]["email"].as_str().expect("email");
    assert!(
        email.contains("Current actions: status triaged -> contained: key revoked"),
        "{email}"
    );
    let notice = of("Status Changed", "changelog_notice_draft");
    assert_eq!(notice.len(), 1, "{text}");
    assert_eq!(notice[0]["audience"], "comms");
    let body = notice[0]["message"]["email"].as_str().expect("email");
    assert!(body.contains("### Security"), "{body}");
}

/// The `klaxon` binary as a user runs it, connected by its environment
/// (`KLAXON_GITHUB_REPO`, `KLAXON_GITHUB_TOKEN`, `KLAXON_GITHUB_API_URL`)
/// to the mock: a report posted over HTTP gets its issue, whose number the
/// API shows; a status change through the API comments on it (the
/// timeline has no refusal). The token appears nowhere in the log.
#[tokio::test]
async fn klaxon_serve_tracks_what_it_is_told() {
    let Some(url) = mock_url() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("serve.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_klaxon"))
        .env_remove("KLAXON_API_URL")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env(
            "KLAXON_API_TOKENS",
            "cora:commander:test-commander-token-0123456789",
        )
        .env("KLAXON_GITHUB_REPO", "acme/security-incidents")
        .env("KLAXON_GITHUB_TOKEN", TOKEN)
        .env("KLAXON_GITHUB_API_URL", &url)
        .env("RUST_LOG", "debug")
        .stdout(std::fs::File::create(&log).expect("log"))
        .stderr(std::fs::File::create(logs.path().join("serve.err")).expect("log"))
        .spawn()
        .expect("spawn klaxon serve");
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Killed(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "klaxon serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resp = client
        .post(format!("{base}/reports"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "title": "Auth bypass in the admin API",
                "description": "Any caller can list every tenant's users.",
                "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
            })
            .to_string(),
        )
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 202);
    let id = resp.json::<serde_json::Value>().await.expect("json")["incident_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let incident = |client: reqwest::Client, base: String, id: String| async move {
        client
            .get(format!("{base}/api/v1/incidents/{id}"))
            .bearer_auth("test-commander-token-0123456789")
            .send()
            .await
            .expect("get")
            .json::<serde_json::Value>()
            .await
            .expect("json")
    };
    // Triage and the tracker run in the background: wait for the issue.
    let deadline = Instant::now() + Duration::from_secs(20);
    let got = loop {
        let got = incident(client.clone(), base.clone(), id.clone()).await;
        if got["incident"]["tracker"].is_object() || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(got["incident"]["tracker"]["key"], "1347", "{got}");
    assert_eq!(got["incident"]["tracker"]["system"], "github");

    let resp = client
        .post(format!("{base}/api/v1/incidents/{id}/status"))
        .bearer_auth("test-commander-token-0123456789")
        .header("content-type", "application/json")
        .body(r#"{"status":"investigating"}"#)
        .send()
        .await
        .expect("status");
    assert!(resp.status().is_success(), "{:?}", resp.text().await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = incident(client.clone(), base.clone(), id.clone()).await;
    let tracker_lines: Vec<&str> = got["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "tracker")
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert_eq!(
        tracker_lines.len(),
        1,
        "only the issue opened: {tracker_lines:?}"
    );
    drop(_server);
    let out = std::fs::read_to_string(&log).unwrap_or_default()
        + &std::fs::read_to_string(logs.path().join("serve.err")).unwrap_or_default();
    assert!(!out.is_empty(), "klaxon serve logged nothing");
    assert!(!out.contains(TOKEN), "the token reached the log");
}

/// A GitHub App instead of a token: a JWT signed with the App's key (made
/// here by openssl, as GitHub's download is) buys the installation token
/// (the description's `POST /app/installations/{id}/access_tokens`), which
/// then opens the issue and comments; every request validates.
#[tokio::test]
async fn a_github_app_installation_opens_the_issue() {
    let Some(url) = mock_url() else { return };
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .expect("openssl");
    assert!(out.status.success(), "openssl genrsa failed");
    let pem = String::from_utf8(out.stdout).expect("pem");
    let settings = TrackerSettings {
        repo: "acme/security-incidents".into(),
        auth: GitHubAuth::App {
            app_id: "12345".into(),
            private_key: Secret::new(pem),
            installation_id: 42,
        },
        api_url: url.trim_end_matches('/').into(),
    };
    let gh = GitHubIssues::with_client(reqwest::Client::new(), &settings).expect("adapter");
    let draft = IssueDraft {
        title: "[SEV-2] KLX-TEST an App's issue".into(),
        body: "b".into(),
        labels: vec!["security".into()],
    };
    let link = gh.open(&draft).await.expect("opened as the App");
    assert_eq!(link.key, "1347");
    gh.comment(&link.key, "and a comment")
        .await
        .expect("commented as the App");
}
