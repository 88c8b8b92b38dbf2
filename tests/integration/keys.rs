//! Issue 16: keys from outside are stored as digests (finding 1), captured
//! deliveries cannot be replayed into new incidents (finding 8), and an
//! `Idempotency-Key` reused with another body is refused (finding 9).

use crate::Harness;
use base64::Engine;
use bytes::Bytes;
use klaxon_core::adapters::dynamo::DynamoIncidentStore;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::config::{ConnectSettings, IntakeSettings, Secret, Settings};
use klaxon_core::http::{self, Routes};
use klaxon_core::ports::Store;
use klaxon_core::webhook::verify::{connect_qsh, sign};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};
use std::sync::Arc;

const GH: &str = "github-secret-123";
const JIRA: &str = "jira-secret-123";
const BB: &str = "bitbucket-secret-123";
const CONNECT: &str = "connect-shared-secret-123";
const FORGE_TOKEN: &str = "forge-token-0123456789";
const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";
const FORGE_KEY: &[u8] = b"forge-webhook-key-0123456789abcd";

fn settings() -> Settings {
    let b64 = base64::engine::general_purpose::STANDARD.encode(FORGE_KEY);
    Settings {
        intake: IntakeSettings {
            github_secrets: vec![Secret::new(GH)],
            jira_secrets: vec![Secret::new(JIRA)],
            bitbucket_secrets: vec![Secret::new(BB)],
            connect: Some(ConnectSettings {
                shared_secret: Secret::new(CONNECT),
                client_keys: vec!["client-1".into()],
            }),
            forge_token: Some(Secret::new(FORGE_TOKEN)),
            forge_webhook_secret: Some(Secret::new(format!("whsec_{b64}"))),
            pagerduty_routing_keys: vec![Secret::new(PD_KEY)],
            jira_projects: vec!["SEC".into()],
            bitbucket_events: vec!["repo:push".into()],
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

fn post(path: &str, headers: &[(&str, String)], body: &[u8]) -> ::http::Request<Bytes> {
    let mut b = ::http::Request::builder().method("POST").uri(path);
    if !headers.iter().any(|(k, _)| *k == "content-type") {
        b = b.header("content-type", "application/json");
    }
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Bytes::copy_from_slice(body)).expect("request")
}

async fn send(h: &Harness, req: ::http::Request<Bytes>) -> (u16, Value) {
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body())
        .unwrap_or_else(|_| json!({"html": String::from_utf8_lossy(resp.body()).into_owned()}));
    (status, body)
}

fn now() -> i64 {
    klaxon_tests::t0().timestamp()
}

fn connect_auth(claims: Value) -> (&'static str, String) {
    (
        "authorization",
        format!("JWT {}", sign::connect_claims(CONNECT, &claims)),
    )
}

/// Atlassian's claims: no `jti`, three minutes to live.
fn atlassian_claims() -> Value {
    json!({"iss": "client-1", "iat": now(), "exp": now() + 180, "qsh": connect_qsh("POST", "/webhooks/connect", None)})
}

fn github_alert(n: u32) -> Vec<u8> {
    json!({"action": "created", "alert": {"number": n, "secret_type_display_name": "Slack API Token"}, "repository": {"full_name": "acme/app", "id": 1}}).to_string().into_bytes()
}

fn jira_issue(id: u32) -> Vec<u8> {
    json!({"webhookEvent": "jira:issue_created", "issue": {"id": id.to_string(), "key": format!("SEC-{id}"), "fields": {"summary": "Token in logs", "project": {"key": "SEC"}}}}).to_string().into_bytes()
}

fn bitbucket_push(commit: &str) -> Vec<u8> {
    json!({"repository": {"full_name": "acme/app"}, "actor": {"display_name": "Mallory"}, "push": {"changes": [{"new": {"target": {"hash": commit}}}]}}).to_string().into_bytes()
}

fn report(title: &str) -> Vec<u8> {
    json!({"title": title, "description": "seen by app"})
        .to_string()
        .into_bytes()
}

/// Sends one accepted delivery through every path that takes a key, each
/// key a distinct planted token. Returns the tokens.
async fn plant_keys(h: &Harness) -> Vec<String> {
    let tag = ulid::Ulid::new().to_string();
    let token = |n: &str| format!("ghp_Planted{n}Key{tag}");
    let mut planted = Vec::new();
    let mut expect = |status: u16, resp: &Value, what: &str, t: String| {
        assert_eq!(status, 202, "{what}: {resp}");
        assert_ne!(resp["status"], "ignored", "{what}: {resp}");
        planted.push(t);
    };

    let t = token("ReportJson");
    let (s, r) = send(
        h,
        post(
            "/reports",
            &[("idempotency-key", t.clone())],
            &report("json"),
        ),
    )
    .await;
    expect(s, &r, "JSON report", t);

    let t = token("ReportForm");
    let form = b"title=Form+report&description=typed+into+the+form";
    let headers = [
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("idempotency-key", t.clone()),
    ];
    let (s, r) = send(h, post("/reports", &headers, form)).await;
    expect(s, &r, "form report", t);

    let t = token("GithubDelivery");
    let body = github_alert(1);
    let headers = [
        ("x-github-event", "secret_scanning_alert".to_owned()),
        ("x-github-delivery", t.clone()),
        ("x-hub-signature-256", sign::hub(GH, &body)),
    ];
    let (s, r) = send(h, post("/webhooks/github", &headers, &body)).await;
    expect(s, &r, "GitHub", t);

    let t = token("JiraWebhookIdentifier");
    let body = jira_issue(1);
    let headers = [
        ("x-atlassian-webhook-identifier", t.clone()),
        ("x-hub-signature", sign::hub(JIRA, &body)),
    ];
    let (s, r) = send(h, post("/webhooks/jira", &headers, &body)).await;
    expect(s, &r, "Jira", t);

    let t = token("BitbucketRequestUuid");
    let body = bitbucket_push("c0ffee");
    let headers = [
        ("x-event-key", "repo:push".to_owned()),
        ("x-request-uuid", t.clone()),
        ("x-hub-signature", sign::hub(BB, &body)),
    ];
    let (s, r) = send(h, post("/webhooks/bitbucket", &headers, &body)).await;
    expect(s, &r, "Bitbucket", t);

    for (what, body) in [
        ("ConnectJtiReport", report("connect report")),
        ("ConnectJtiJira", jira_issue(2)),
    ] {
        let t = token(what);
        let mut claims = atlassian_claims();
        claims["jti"] = json!(t);
        let (s, r) = send(h, post("/webhooks/connect", &[connect_auth(claims)], &body)).await;
        expect(s, &r, what, t);
    }

    let t = token("ForgeIdempotencyKey");
    let headers = [
        ("authorization", format!("Bearer {FORGE_TOKEN}")),
        ("idempotency-key", t.clone()),
    ];
    let (s, r) = send(
        h,
        post("/webhooks/forge", &headers, &report("forge bearer")),
    )
    .await;
    expect(s, &r, "Forge bearer", t);

    let t = token("ForgeWebhookId");
    let body = report("forge signed");
    let b64 = base64::engine::general_purpose::STANDARD.encode(FORGE_KEY);
    let headers = [
        ("webhook-id", t.clone()),
        ("webhook-timestamp", now().to_string()),
        (
            "webhook-signature",
            sign::standard_webhook(&b64, &t, now(), &body),
        ),
    ];
    let (s, r) = send(h, post("/webhooks/forge", &headers, &body)).await;
    expect(s, &r, "Forge signed", t);

    let t = token("PagerdutyDedupKey");
    let body = json!({"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": t,
        "payload": {"summary": "WAF blocking SQLi burst", "source": "waf-1", "severity": "critical"}});
    let (s, r) = send(h, post("/v2/enqueue", &[], body.to_string().as_bytes())).await;
    expect(s, &r, "PagerDuty", t);
    // ...and the dedup key's lookup path.
    let ack =
        json!({"routing_key": PD_KEY, "event_action": "resolve", "dedup_key": planted.last()});
    let (s, r) = send(h, post("/v2/enqueue", &[], ack.to_string().as_bytes())).await;
    assert_eq!(s, 202, "{r}");
    assert!(r["incident_id"].is_string(), "the dedup key still finds it");

    assert_eq!(h.stored().await, 10, "one incident per delivery");
    planted
}

fn found_in(haystack: &[u8], planted: &[String]) -> Vec<String> {
    planted
        .iter()
        .filter(|t| haystack.windows(t.len()).any(|w| w == t.as_bytes()))
        .cloned()
        .collect()
}

/// Finding 1: every idempotency and delivery key in the SQLite file (and
/// its WAL) is a digest: none of the planted tokens is in any file.
#[tokio::test]
async fn sqlite_stores_no_raw_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteIncidentStore::open(dir.path()).expect("open"));
    let h = harness(store);
    let planted = plant_keys(&h).await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        bytes.extend(std::fs::read(&path).expect("read"));
    }
    assert!(bytes.len() > 4096, "the store wrote its files");
    assert_eq!(found_in(&bytes, &planted), Vec::<String>::new());
}

/// Finding 1, DynamoDB (moto): no item, key or attribute holds a planted token.
#[tokio::test]
async fn dynamo_stores_no_raw_key() {
    let sdk = klaxon_tests::emulator::sdk().await;
    let table = klaxon_tests::emulator::table(&sdk).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let h = harness(Arc::new(DynamoIncidentStore::new(
        client.clone(),
        table.clone(),
    )));
    let planted = plant_keys(&h).await;
    let mut dump = String::new();
    let mut start = None;
    loop {
        let out = client
            .scan()
            .table_name(&table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for item in out.items() {
            dump.push_str(&format!("{item:?}\n"));
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    assert!(dump.contains("IDEM#"), "the scan saw the key items");
    assert_eq!(found_in(dump.as_bytes(), &planted), Vec::<String>::new());
}

/// Finding 8: Bitbucket's `X-Request-UUID` is not signed. The same signed
/// body under a fresh UUID is the same delivery, not a new incident.
#[tokio::test]
async fn bitbucket_replay_under_a_fresh_request_uuid_is_a_duplicate() {
    let h = harness(crate::sqlite_store());
    let body = bitbucket_push("c0ffee");
    let deliver = |uuid: &str| {
        post(
            "/webhooks/bitbucket",
            &[
                ("x-event-key", "repo:push".to_owned()),
                ("x-request-uuid", uuid.to_owned()),
                ("x-hub-signature", sign::hub(BB, &body)),
            ],
            &body,
        )
    };
    let (_, first) = send(&h, deliver("uuid-1")).await;
    let (status, again) = send(&h, deliver("uuid-2")).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["incident_id"], first["incident_id"]);
    // A different push is a different delivery.
    let other = bitbucket_push("beef");
    let req = post(
        "/webhooks/bitbucket",
        &[
            ("x-event-key", "repo:push".to_owned()),
            ("x-request-uuid", "uuid-3".to_owned()),
            ("x-hub-signature", sign::hub(BB, &other)),
        ],
        &other,
    );
    let (_, third) = send(&h, req).await;
    assert_eq!(third["duplicate"], false, "{third}");
    assert_eq!(h.stored().await, 2);
}

/// Finding 8, for the senders with a natural key: a captured GitHub or Jira
/// delivery replayed under a fresh delivery id counts no occurrence.
#[tokio::test]
async fn github_and_jira_replays_under_fresh_ids_count_nothing() {
    let h = harness(crate::sqlite_store());
    let gh = github_alert(7);
    let jira = jira_issue(7);
    for id in ["d-1", "d-2", "d-3"] {
        let (s, r) = send(
            &h,
            post(
                "/webhooks/github",
                &[
                    ("x-github-event", "secret_scanning_alert".to_owned()),
                    ("x-github-delivery", id.to_owned()),
                    ("x-hub-signature-256", sign::hub(GH, &gh)),
                ],
                &gh,
            ),
        )
        .await;
        assert_eq!(s, 202, "{r}");
        let (s, r) = send(
            &h,
            post(
                "/webhooks/jira",
                &[
                    ("x-atlassian-webhook-identifier", id.to_owned()),
                    ("x-hub-signature", sign::hub(JIRA, &jira)),
                ],
                &jira,
            ),
        )
        .await;
        assert_eq!(s, 202, "{r}");
    }
    assert_eq!(h.stored().await, 2);
    for s in klaxon_core::domain::Status::ALL {
        for i in h.app.store.list_by_status(s, 10).await.expect("list") {
            assert_eq!(i.occurrences, 1, "{}: a replay counted", i.title);
        }
    }
}

/// Finding 8: a Connect JWT does not sign the body, so one without `jti`
/// (as Atlassian sends them) was accepted again with another body. Now one
/// token makes one request: the same body is a duplicate, another is 409,
/// which tells nothing of the first incident.
#[tokio::test]
async fn connect_token_reused_with_another_body_is_refused() {
    for (first_body, second_body) in [
        (report("first"), report("forged")),
        (jira_issue(1), jira_issue(2)),
    ] {
        let h = harness(crate::sqlite_store());
        let auth = connect_auth(atlassian_claims());
        let (s, first) = send(
            &h,
            post(
                "/webhooks/connect",
                std::slice::from_ref(&auth),
                &first_body,
            ),
        )
        .await;
        assert_eq!(s, 202, "{first}");
        let (s, refused) = send(
            &h,
            post(
                "/webhooks/connect",
                std::slice::from_ref(&auth),
                &second_body,
            ),
        )
        .await;
        assert_eq!(s, 409, "{refused}");
        assert_eq!(refused["error"]["code"], "conflict");
        let text = refused.to_string();
        for leak in [&first["incident_id"], &first["reference"]] {
            assert!(!text.contains(leak.as_str().expect("str")), "{text}");
        }
        assert_eq!(h.stored().await, 1);
        let (s, again) = send(
            &h,
            post(
                "/webhooks/connect",
                std::slice::from_ref(&auth),
                &first_body,
            ),
        )
        .await;
        assert_eq!(s, 202, "{again}");
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["incident_id"], first["incident_id"]);
        // A fresh token (a second later) carries the second body.
        let mut claims = atlassian_claims();
        claims["iat"] = json!(now() + 1);
        let (s, fresh) = send(
            &h,
            post("/webhooks/connect", &[connect_auth(claims)], &second_body),
        )
        .await;
        assert_eq!(s, 202, "{fresh}");
        assert_eq!(fresh["duplicate"], false);
        assert_eq!(h.stored().await, 2);
        // A retry of the first body under a fresh token (as Jira retries)
        // is the same delivery: no incident and no occurrence.
        let mut claims = atlassian_claims();
        claims["iat"] = json!(now() + 2);
        let (s, retry) = send(
            &h,
            post("/webhooks/connect", &[connect_auth(claims)], &first_body),
        )
        .await;
        assert_eq!(s, 202, "{retry}");
        assert_eq!(retry["duplicate"], true, "{retry}");
        assert_eq!(retry["incident_id"], first["incident_id"]);
        assert_eq!(h.stored().await, 2);
        let id = first["incident_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("ulid");
        let incident = h.app.store.get(id).await.expect("get").expect("stored");
        assert_eq!(incident.occurrences, 1, "a retry counted an occurrence");
    }
}

/// Finding 8: a 100-year Connect token was accepted.
#[tokio::test]
async fn connect_token_with_a_long_life_is_refused() {
    let h = harness(crate::sqlite_store());
    let mut claims = atlassian_claims();
    claims["exp"] = json!(now() + 100 * 365 * 24 * 3600);
    let (s, r) = send(
        &h,
        post("/webhooks/connect", &[connect_auth(claims)], &report("x")),
    )
    .await;
    assert_eq!(s, 401, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .expect("message")
            .contains("expire within 60 minutes"),
        "{r}"
    );
    assert_eq!(h.stored().await, 0);
}

/// Finding 9: a second poster who reuses an `Idempotency-Key` with another
/// body is refused with 422 and learns nothing of the first incident; the
/// same body gets the same answer as before. Both stores.
async fn idempotency_key_is_bound_to_the_body(h: Harness) {
    let json_post =
        |key: &str, body: &[u8]| post("/reports", &[("idempotency-key", key.to_owned())], body);
    let (s, first) = send(&h, json_post("shared-key", &report("mine"))).await;
    assert_eq!(s, 202, "{first}");
    let (s, refused) = send(&h, json_post("shared-key", &report("someone else's"))).await;
    assert_eq!(s, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    assert!(refused.get("incident_id").is_none() && refused.get("reference").is_none());
    let text = refused.to_string();
    for leak in [&first["incident_id"], &first["reference"]] {
        assert!(!text.contains(leak.as_str().expect("str")), "{text}");
    }
    let (s, again) = send(&h, json_post("shared-key", &report("mine"))).await;
    assert_eq!(s, 202, "{again}");
    assert_eq!(
        (
            &again["incident_id"],
            &again["reference"],
            &again["duplicate"]
        ),
        (&first["incident_id"], &first["reference"], &json!(true))
    );

    // The form, and Forge's bearer deliveries, bind their keys the same way.
    let form = |title: &str| format!("title={title}&description=typed").into_bytes();
    let form_post = |body: &[u8]| {
        post(
            "/reports",
            &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("idempotency-key", "form-key".to_owned()),
            ],
            body,
        )
    };
    assert_eq!(send(&h, form_post(&form("one"))).await.0, 202);
    assert_eq!(send(&h, form_post(&form("one"))).await.0, 202);
    assert_eq!(send(&h, form_post(&form("two"))).await.0, 422);
    let forge = |body: &[u8]| {
        post(
            "/webhooks/forge",
            &[
                ("authorization", format!("Bearer {FORGE_TOKEN}")),
                ("idempotency-key", "forge-key".to_owned()),
            ],
            body,
        )
    };
    assert_eq!(send(&h, forge(&report("app one"))).await.0, 202);
    let (s, r) = send(&h, forge(&report("app two"))).await;
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(h.stored().await, 3);
    assert_eq!(
        h.publisher.published().len(),
        3,
        "a refusal publishes nothing"
    );
}

#[tokio::test]
async fn idempotency_key_is_bound_to_the_body_sqlite() {
    idempotency_key_is_bound_to_the_body(harness(crate::sqlite_store())).await;
}

#[tokio::test]
async fn idempotency_key_is_bound_to_the_body_dynamo() {
    idempotency_key_is_bound_to_the_body(harness(crate::dynamo_store().await)).await;
}
