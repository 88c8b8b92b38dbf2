//! Regressions from the schemathesis run against `klaxon serve`
//! (`bench/schemathesis.sh`): what the fuzzer found, pinned here so it
//! stays fixed without running the fuzzer.

use crate::Harness;
use bytes::Bytes;
use klaxon_core::config::{ApiTokens, IntakeSettings, Secret, Settings};
use klaxon_core::http::{self, ROUTES, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};

const ADMIN: &str = "admin-token-0123456789abc";
const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";

fn harness() -> Harness {
    Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Settings {
            api_tokens: ApiTokens::parse(&format!("ada:admin:{ADMIN}")).expect("tokens"),
            intake: IntakeSettings {
                pagerduty_routing_keys: vec![Secret::new(PD_KEY)],
                ..IntakeSettings::default()
            },
            ..Settings::default()
        },
    )
}

async fn post_json(h: &Harness, uri: &str, body: &Value) -> (u16, Value) {
    let req = ::http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let resp = http::handle(&h.app, Routes::All, req).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body()).expect("JSON");
    (status, body)
}

/// Starts a drill through the API: an incident to aim requests at. Returns its id.
async fn drill(h: &Harness) -> String {
    let (status, drill) = post_json(
        h,
        "/api/v1/drills",
        &json!({"class": "data_breach", "severity": "SEV-2"}),
    )
    .await;
    assert_eq!(status, 201, "{drill}");
    drill["incident"]["id"].as_str().expect("id").to_owned()
}

async fn call(h: &Harness, method: &str, uri: &str) -> ::http::Response<Bytes> {
    let req = ::http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Bytes::new())
        .expect("request");
    http::handle(&h.app, Routes::All, req).await
}

/// A method a path does not take is answered 405 with the JSON error and an
/// `Allow` header naming the methods it does take (RFC 9110, 15.5.6).
#[tokio::test]
async fn method_not_allowed_lists_the_allowed_methods() {
    let h = Harness::sqlite();
    let cases = [
        ("TRACE", "/healthz", "GET"),
        ("DELETE", "/reports", "POST"),
        ("PUT", "/ack/2026-ABCDEF.p.0.x", "GET, POST"),
        (
            "PATCH",
            "/api/v1/incidents/01K0000000000000000000000",
            "GET, DELETE",
        ),
        ("GET", "/api/v1/incidents/KLX-2026-ABCDEF/status", "POST"),
        ("POST", "/api/v1/incidents/x/evidence/", "POST"),
    ];
    for (method, uri, allow) in cases {
        let resp = call(&h, method, uri).await;
        if method == "POST" {
            // The control: an allowed method is not refused with 405.
            assert_ne!(resp.status(), 405, "{method} {uri}");
            continue;
        }
        assert_eq!(resp.status(), 405, "{method} {uri}");
        assert_eq!(resp.headers()["allow"], allow, "{method} {uri}");
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: Value = serde_json::from_slice(resp.body()).expect("JSON");
        assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    }
}

/// Every route's path refuses an undeclared method the same way, and the
/// `Allow` header it gives lists exactly the route table's methods for it.
#[tokio::test]
async fn every_path_gives_allow_from_the_route_table() {
    let h = Harness::sqlite();
    for r in ROUTES {
        let uri = r
            .path
            .replace("{id}", "x")
            .replace("{task}", "1")
            .replace("{token}", "t");
        let want: Vec<&str> = ROUTES
            .iter()
            .filter(|o| o.path == r.path)
            .map(|o| o.method.as_str())
            .collect();
        let resp = call(&h, "TRACE", &uri).await;
        assert_eq!(resp.status(), 405, "TRACE {uri}");
        let allow = resp.headers()["allow"].to_str().expect("ASCII");
        let got: Vec<&str> = allow.split(", ").collect();
        assert_eq!(got, want, "TRACE {uri}");
    }
}

/// `maxLength` in the OpenAPI description counts the characters sent:
/// whitespace around the text counts, and so does a field this request
/// does not use. (The server used to measure only trimmed text it used.)
#[tokio::test]
async fn text_limits_count_what_is_sent() {
    let h = harness();
    let id = drill(&h).await;
    let padded = format!(" {}", "x".repeat(2000));
    let cases = [
        (
            "notes",
            json!({"kind": "fact", "text": padded}),
            "invalid_text",
        ),
        ("ack", json!({"note": padded}), "invalid_note"),
        (
            "status",
            json!({"status": "investigating", "containment": "x".repeat(2001)}),
            "invalid_containment",
        ),
        (
            "tasks",
            json!({"text": "rotate the key", "owner": padded}),
            "invalid_owner",
        ),
        (
            "obligations",
            json!({"kind": "fix", "reference": format!(" {}", "r".repeat(200))}),
            "invalid_reference",
        ),
    ];
    for (route, body, code) in cases {
        let (status, resp) = post_json(&h, &format!("/api/v1/incidents/{id}/{route}"), &body).await;
        assert_eq!(
            (status, resp["error"]["code"].as_str()),
            (400, Some(code)),
            "{route}: {resp}"
        );
    }
    // At the limit, surrounding whitespace and all, it is accepted.
    let at_limit = format!(" {}", "x".repeat(1999));
    let (status, resp) = post_json(
        &h,
        &format!("/api/v1/incidents/{id}/notes"),
        &json!({"kind": "fact", "text": at_limit}),
    )
    .await;
    assert_eq!(status, 201, "{resp}");
}

/// PagerDuty's optional text fields must be text when given: a numeric
/// `dedup_key` used to be dropped silently, so every retry of the alert
/// opened a new incident. `null` still means absent.
#[tokio::test]
async fn pagerduty_optional_fields_must_be_strings() {
    let h = harness();
    let event = |dedup: Value, component: Value| {
        json!({
            "routing_key": PD_KEY,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {"summary": "disk full", "source": "db-1", "severity": "warning", "component": component},
        })
    };
    for (body, field) in [
        (event(json!(42), json!("disk")), "dedup_key"),
        (event(json!("disk-1"), json!(5)), "payload.component"),
    ] {
        let (status, resp) = post_json(&h, "/v2/enqueue", &body).await;
        assert_eq!(status, 400, "{resp}");
        assert_eq!(resp["status"], "invalid event");
        assert_eq!(resp["error"]["code"], "invalid_payload");
        let message = resp["error"]["message"].as_str().expect("message");
        assert_eq!(message, format!("{field} must be a string"));
    }
    assert_eq!(h.stored().await, 0, "a refused event was stored");
    let (status, resp) = post_json(&h, "/v2/enqueue", &event(Value::Null, Value::Null)).await;
    assert_eq!(status, 202, "{resp}");
    assert_eq!(h.stored().await, 1);
}

/// An alert summary with a control character in it (here U+0014, as log
/// lines carry) becomes a one-line title instead of a refused event.
#[tokio::test]
async fn pagerduty_summary_control_characters_become_spaces() {
    let h = harness();
    let event = json!({
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "payload": {"summary": "disk\u{14}full\non db-1", "source": "db-1", "severity": "warning"},
    });
    let (status, resp) = post_json(&h, "/v2/enqueue", &event).await;
    assert_eq!(status, 202, "{resp}");
    let id = resp["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let incident = h.app.store.get(id).await.expect("get").expect("stored");
    assert_eq!(incident.title, "disk full on db-1");
}

/// JSON bodies are objects. serde reads a struct from an array too, so
/// `["Stored XSS"]` used to be a report titled "Stored XSS" and `[]` an
/// acknowledgement; both are malformed now.
#[tokio::test]
async fn json_bodies_must_be_objects() {
    let h = harness();
    let id = drill(&h).await;
    let cases = [
        (format!("/api/v1/incidents/{id}/ack"), json!([])),
        (
            format!("/api/v1/incidents/{id}/severity"),
            json!(["SEV-4", "an array"]),
        ),
        ("/reports".to_owned(), json!(["Stored XSS", "in the macro"])),
    ];
    for (uri, body) in cases {
        let (status, resp) = post_json(&h, &uri, &body).await;
        assert_eq!(status, 400, "{uri}: {resp}");
        assert_eq!(resp["error"]["code"], "malformed_json", "{uri}: {resp}");
    }
    assert_eq!(h.stored().await, 1, "only the drill is stored");
    let incident = h
        .app
        .store
        .get(id.parse().expect("ulid"))
        .await
        .expect("get")
        .expect("stored");
    assert!(incident.acknowledged.is_none(), "[] acknowledged it");
}
