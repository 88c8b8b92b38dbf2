//! Issue 16 through the router: secrets kept out by construction, and
//! intake the public cannot steer. A token is planted where an attacker
//! would put it, and every record, event and message is searched for it.

use crate::Harness;
use bytes::Bytes;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{assess, notify};
use klaxon_core::config::{ConnectSettings, IntakeSettings, Secret, Settings};
use klaxon_core::http::{self, Routes};
use klaxon_core::ports::Store;
use klaxon_core::webhook::verify::{connect_qsh, sign};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};
use std::sync::Arc;

/// The part of the planted token that must never be seen again.
const NEEDLE: &str = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
const TOKEN: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
const CONNECT: &str = "connect-shared-secret-123";
const FORGE_TOKEN: &str = "forge-token-0123456789";

fn settings() -> Settings {
    Settings {
        intake: IntakeSettings {
            connect: Some(ConnectSettings {
                shared_secret: Secret::new(CONNECT),
                client_keys: vec!["client-1".into()],
            }),
            forge_token: Some(Secret::new(FORGE_TOKEN)),
            ..IntakeSettings::default()
        },
        ..Settings::default()
    }
}

fn harness(store: Arc<dyn Store>) -> Harness {
    Harness::with_settings(
        store,
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(),
    )
}

async fn send(h: &Harness, req: ::http::Request<Bytes>) -> (u16, String) {
    let resp = http::handle(&h.app, Routes::All, req).await;
    let status = resp.status().as_u16();
    (status, String::from_utf8_lossy(resp.body()).into_owned())
}

fn post(path: &str, content_type: &str) -> ::http::request::Builder {
    ::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", content_type)
}

fn json_report(fields: Value) -> ::http::Request<Bytes> {
    post("/reports", "application/json")
        .body(Bytes::from(fields.to_string()))
        .expect("request")
}

fn forge(body: &Value) -> ::http::Request<Bytes> {
    post("/webhooks/forge", "application/json")
        .header("authorization", format!("Bearer {FORGE_TOKEN}"))
        .header("idempotency-key", "forge-delivery-1")
        .body(Bytes::from(body.to_string()))
        .expect("request")
}

fn connect(body: &Value) -> ::http::Request<Bytes> {
    let now = klaxon_tests::t0().timestamp();
    let qsh = connect_qsh("POST", "/webhooks/connect", None);
    let jwt = sign::connect_jwt(CONNECT, "client-1", &qsh, now, now + 180, "jti-1");
    post("/webhooks/connect", "application/json")
        .header("authorization", format!("JWT {jwt}"))
        .body(Bytes::from(body.to_string()))
        .expect("request")
}

/// Every file under `dir`, as bytes, for a search.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_file() {
            out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
        }
    }
    out
}

/// Finding 1: a token in every text field of a JSON report, a Forge report
/// object (its `severity` too) and a Connect report object reaches neither
/// the database files nor an event nor a message. Product and tenant, which
/// messages carry, included.
#[tokio::test]
async fn a_token_in_every_field_reaches_no_record_event_or_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(Arc::new(
        SqliteIncidentStore::open(dir.path()).expect("open"),
    ));
    let fields = json!({
        "title": format!("XSS, and {TOKEN}"),
        "description": format!("description {TOKEN}"),
        "steps_to_reproduce": format!("steps {TOKEN}"),
        "impact": format!("impact {TOKEN}"),
        "reporter_name": format!("name {TOKEN}"),
        "reporter_email": format!("{TOKEN}@example.com"),
        "product": format!("product {TOKEN}"),
        "cvss": TOKEN,
        "site_url": format!("https://acme.atlassian.net/{TOKEN}"),
        "tenant": TOKEN,
    });
    let (status, body) = send(&h, json_report(fields.clone())).await;
    assert_eq!(status, 202, "{body}");
    let mut app_object = fields.clone();
    app_object["severity"] = json!(TOKEN);
    let (status, body) = send(&h, forge(&app_object)).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = send(&h, connect(&app_object)).await;
    assert_eq!(status, 202, "{body}");

    // Triage each and send what it asks for: SMS, email and chat carry
    // product and tenant.
    for received in h.publisher.published() {
        assess::on_event(&h.app, &received).await.expect("assess");
    }
    for e in h.publisher.published() {
        notify::on_event(&h.app, &e).await.expect("notify");
    }
    let sent = h.notifier.sent();
    assert!(!sent.is_empty(), "messages were sent");
    let mut seen = vec![
        (
            "events".to_owned(),
            serde_json::to_vec(&h.publisher.published()).expect("json"),
        ),
        ("messages".to_owned(), format!("{sent:?}").into_bytes()),
    ];
    seen.extend(files(dir.path()));
    for (name, bytes) in seen {
        assert!(
            !bytes.windows(NEEDLE.len()).any(|w| w == NEEDLE.as_bytes()),
            "the token reached {name}"
        );
    }
    assert!(
        format!("{sent:?}").contains("[REDACTED:github-token:"),
        "{sent:?}"
    );
}

/// Finding 4: the public cannot start a drill. `"drill": true` on JSON,
/// `drill=on` on the form, and a drill flag in a Forge or Connect report
/// object are refused with a 400 naming `drill`, and nothing is stored.
/// `"drill": false` is the default and is accepted.
#[tokio::test]
async fn public_intake_cannot_start_a_drill() {
    let report =
        json!({"title": "SEV-1 drill, said the public", "description": "x", "drill": true});
    let form = post("/reports", "application/x-www-form-urlencoded")
        .body(Bytes::from("summary=SEV-1+drill&description=x&drill=on"))
        .expect("request");
    let cases: Vec<(&str, ::http::Request<Bytes>)> = vec![
        ("json", json_report(report.clone())),
        (
            "json, as text",
            json_report(json!({"title": "t", "drill": "true"})),
        ),
        ("form", form),
        ("forge", forge(&report)),
        ("connect", connect(&report)),
    ];
    for (name, req) in cases {
        let h = harness(crate::sqlite_store());
        let (status, body) = send(&h, req).await;
        assert_eq!(status, 400, "{name}: {body}");
        if name == "form" {
            assert!(
                body.contains("drill cannot be set on a report"),
                "{name}: {body}"
            );
        } else {
            let v: Value = serde_json::from_str(&body).expect("json");
            assert_eq!(v["error"]["fields"][0]["field"], "drill", "{name}: {body}");
        }
        assert_eq!(h.stored().await, 0, "{name}: stored");
        assert!(h.publisher.published().is_empty(), "{name}: published");
    }
    let h = harness(crate::sqlite_store());
    let (status, body) = send(
        &h,
        json_report(json!({"title": "t", "description": "x", "drill": false})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let only = h.publisher.published();
    assert!(!only[0].drill, "not a drill");
}

/// Log lines, captured for a search.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const ADMIN: &str = "admin-token-0123456789abc";

fn api(method: &str, uri: &str, body: Option<Value>) -> ::http::Request<Bytes> {
    ::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .expect("request")
}

/// Finding 3: a token planted in each kind of refused parameter (a JSON
/// or form field the parser rejects, an enum value, a path segment, a query
/// name and value, an unknown route) is in neither the JSON error nor the
/// log. Parser and enum errors quoted it ("unknown variant `ghp_…`") and the
/// router logged that message.
#[tokio::test]
async fn refused_requests_echo_no_value_into_the_response_or_the_log() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut s = settings();
    s.api_tokens =
        klaxon_core::config::ApiTokens::parse(&format!("ada:admin:{ADMIN}")).expect("tokens");
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        s,
    );
    let (status, drill) = send(
        &h,
        api(
            "POST",
            "/api/v1/drills",
            Some(json!({"class": "data_breach", "severity": "SEV-2"})),
        ),
    )
    .await;
    assert_eq!(status, 201, "{drill}");
    let drill: Value = serde_json::from_str(&drill).expect("json");
    let id = drill["incident"]["id"].as_str().expect("id").to_owned();
    let on = |rest: &str| format!("/api/v1/incidents/{id}{rest}");
    let t = TOKEN;
    let form = post("/reports", "application/x-www-form-urlencoded")
        .body(Bytes::from(format!(
            "summary=t&description=x&production={t}"
        )))
        .expect("request");
    let probes: Vec<(&str, ::http::Request<Bytes>)> = vec![
        (
            "report: a boolean",
            json_report(json!({"title": "t", "customer_data_involved": t})),
        ),
        (
            "report: a text field's type",
            json_report(json!({"title": {t: 1}})),
        ),
        ("report form: a boolean", form),
        (
            "forge: a boolean",
            forge(&json!({"title": "t", "production": t})),
        ),
        (
            "connect: a boolean",
            connect(&json!({"title": "t", "production": t})),
        ),
        (
            "status",
            api("POST", &on("/status"), Some(json!({"status": t}))),
        ),
        (
            "severity",
            api(
                "POST",
                &on("/severity"),
                Some(json!({"severity": t, "reason": "r"})),
            ),
        ),
        (
            "note kind",
            api("POST", &on("/notes"), Some(json!({"kind": t, "text": "x"}))),
        ),
        (
            "obligation",
            api("POST", &on("/obligations"), Some(json!({"kind": t}))),
        ),
        (
            "task state",
            api("POST", &on("/tasks/1"), Some(json!({"state": t}))),
        ),
        (
            "task path",
            api(
                "POST",
                &on(&format!("/tasks/{t}")),
                Some(json!({"state": "done"})),
            ),
        ),
        (
            "legal hold type",
            api(
                "POST",
                &on("/legal-hold"),
                Some(json!({"hold": t, "reason": "r"})),
            ),
        ),
        (
            "incident path",
            api("GET", &format!("/api/v1/incidents/{t}"), None),
        ),
        (
            "list filter",
            api("GET", &format!("/api/v1/incidents?status={t}"), None),
        ),
        (
            "list parameter",
            api("GET", &format!("/api/v1/incidents?{t}=1"), None),
        ),
        (
            "metrics time",
            api("GET", &format!("/api/v1/metrics?from={t}"), None),
        ),
        (
            "drill class",
            api(
                "POST",
                "/api/v1/drills",
                Some(json!({"class": t, "severity": "SEV-2"})),
            ),
        ),
        ("unknown route", api("GET", &format!("/{t}"), None)),
    ];
    let mut refused = 0;
    for (name, req) in probes {
        let (status, body) = send(&h, req).await;
        assert!((400..500).contains(&status), "{name}: {status} {body}");
        assert!(
            !body.contains(NEEDLE),
            "{name}: the response echoes the token: {body}"
        );
        refused += 1;
    }
    let log = String::from_utf8_lossy(&log.0.lock().expect("lock")).into_owned();
    assert!(
        log.matches("request refused").count() >= refused - 1,
        "{log}"
    );
    assert!(!log.contains(NEEDLE), "the log echoes the token: {log}");
}
