//! `POST /reports`: the walking skeleton's HTTP contract, through the same
//! router the Lambda and `klaxon serve` use.

use crate::Harness;
use bytes::Bytes;
use klaxon_core::http::{self, MAX_BODY, Routes};
use serde_json::{Value, json};

fn post(
    content_type: Option<&str>,
    key: Option<&str>,
    body: impl Into<Bytes>,
) -> ::http::Request<Bytes> {
    let mut b = ::http::Request::builder().method("POST").uri("/reports");
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    b.body(body.into()).expect("request")
}

async fn call(h: &Harness, req: ::http::Request<Bytes>) -> (u16, Value) {
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_slice(resp.body()).expect("every response is JSON");
    (status, body)
}

async fn nothing_stored(h: &Harness) {
    assert_eq!(h.stored().await, 0, "an incident was stored");
    let pending = h.pending().await;
    assert!(pending.is_empty(), "an event was stored");
    assert!(h.publisher.published().is_empty(), "an event was published");
}

/// A valid report is accepted with 202 and its id and reference, and stored.
#[tokio::test]
async fn valid_report_is_accepted_and_stored() {
    let h = Harness::sqlite();
    let body = json!({"title": "Stored XSS", "description": "in the macro", "cvss": klaxon_tests::CRITICAL, "tenant": "acme.atlassian.net"});
    let (status, resp) = call(
        &h,
        post(
            Some("application/json; charset=utf-8"),
            None,
            body.to_string(),
        ),
    )
    .await;
    assert_eq!(status, 202, "{resp}");
    assert_eq!(resp["duplicate"], false);
    let id = resp["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let stored = h.app.store.get(id).await.expect("get").expect("stored");
    assert_eq!(
        stored.reference.as_str(),
        resp["reference"].as_str().expect("reference")
    );
    assert_eq!(stored.title, "Stored XSS");
    assert_eq!(stored.tenant.as_deref(), Some("acme.atlassian.net"));
    assert_eq!(
        h.publisher.published().len(),
        1,
        "Report Received published"
    );
}

/// The Idempotency-Key header makes a retried post return the first incident.
#[tokio::test]
async fn idempotency_key_dedupes() {
    let h = Harness::sqlite();
    let body = json!({"title": "dup", "description": "x"}).to_string();
    let (s1, r1) = call(
        &h,
        post(Some("application/json"), Some("retry-1"), body.clone()),
    )
    .await;
    let (s2, r2) = call(
        &h,
        post(Some("application/json"), Some("retry-1"), body.clone()),
    )
    .await;
    let (_, r3) = call(&h, post(Some("application/json"), Some("retry-2"), body)).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(r1["incident_id"], r2["incident_id"]);
    assert_eq!(r2["duplicate"], true);
    assert_ne!(r1["incident_id"], r3["incident_id"]);
    assert_eq!(
        h.publisher.published().len(),
        2,
        "a duplicate publishes nothing"
    );
}

/// Bad input gets the right status and a JSON error naming the problem, and stores nothing.
#[tokio::test]
async fn bad_input_table() {
    let json_ct = Some("application/json");
    let too_big = format!(
        "{{\"title\":\"x\",\"description\":\"{}\"}}",
        "a".repeat(MAX_BODY)
    );
    let cases: Vec<(&str, ::http::Request<Bytes>, u16, &str, &str)> = vec![
        (
            "malformed json",
            post(json_ct, None, "{\"title\":"),
            400,
            "malformed_json",
            "not a valid report",
        ),
        (
            "not an object",
            post(json_ct, None, "[1,2]"),
            400,
            "malformed_json",
            "not a valid report",
        ),
        (
            "missing title",
            post(json_ct, None, "{\"description\":\"d\"}"),
            400,
            "invalid_fields",
            "title (summary) is required",
        ),
        (
            "empty title",
            post(json_ct, None, "{\"title\":\"  \"}"),
            400,
            "invalid_fields",
            "title (summary) is required",
        ),
        (
            "wrong type",
            post(json_ct, None, "{\"title\":42}"),
            400,
            "malformed_json",
            "invalid type",
        ),
        (
            "bad email",
            post(
                json_ct,
                None,
                "{\"title\":\"t\",\"reporter_email\":\"nope\"}",
            ),
            400,
            "invalid_fields",
            "reporter_email",
        ),
        (
            "text/plain",
            post(Some("text/plain"), None, "{\"title\":\"t\"}"),
            415,
            "unsupported_media_type",
            "application/json",
        ),
        (
            "no content type",
            post(None, None, "{\"title\":\"t\"}"),
            415,
            "unsupported_media_type",
            "application/json",
        ),
        (
            "too large",
            post(json_ct, None, too_big),
            413,
            "payload_too_large",
            "65536",
        ),
        (
            "bad idempotency key",
            post(json_ct, Some(" "), "{\"title\":\"t\"}"),
            400,
            "invalid_idempotency_key",
            "Idempotency-Key",
        ),
    ];
    for (name, req, want_status, want_code, want_msg) in cases {
        let h = Harness::sqlite();
        let (status, body) = call(&h, req).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{name}: {body}");
        let msg = body["error"]["message"].as_str().expect("message");
        assert!(msg.contains(want_msg), "{name}: {msg}");
        nothing_stored(&h).await;
    }
}

/// Wrong method and unknown routes are JSON errors too.
#[tokio::test]
async fn unknown_routes_and_methods() {
    let h = Harness::sqlite();
    let get = ::http::Request::builder()
        .method("GET")
        .uri("/reports")
        .body(Bytes::new())
        .expect("req");
    let (status, body) = call(&h, get).await;
    assert_eq!(status, 405, "{body}");
    let nowhere = ::http::Request::builder()
        .uri("/nowhere")
        .body(Bytes::new())
        .expect("req");
    let (status, body) = call(&h, nowhere).await;
    assert_eq!(status, 404, "{body}");
    // The intake function does not serve the responder API.
    let api = ::http::Request::builder()
        .uri("/api/v1/incidents")
        .body(Bytes::new())
        .expect("req");
    assert_eq!(call(&h, api).await.0, 404);
}
