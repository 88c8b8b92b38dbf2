//! `POST /v2/enqueue` (PagerDuty Events API v2), through the real router:
//! the routing key check, event validation, dedup keys and the store.
//!
//! Control byte: bit 0: if the body is a JSON object, its `routing_key` is
//! set to the configured key (so validation past the key is reached);
//! bit 1: the event is sent twice (a repeat is an occurrence); bits 2-3:
//! then an `acknowledge` (bit 2) and/or a `resolve` (bit 3) for the same
//! `dedup_key`. The rest is the body.
#![no_main]

use bytes::Bytes;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn enqueue(body: Vec<u8>) -> http::Request<Bytes> {
    http::Request::builder()
        .method("POST")
        .uri("/v2/enqueue")
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .unwrap_or_else(|e| panic!("request: {e}"))
}

fn check(resp: &http::Response<Bytes>) -> Value {
    let status = resp.status().as_u16();
    assert!(
        matches!(status, 202 | 400 | 401 | 413),
        "unexpected {status}"
    );
    let body: Value = serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("response is not JSON ({e}): {:?}", resp.body()));
    if status == 202 {
        assert!(
            body.get("status").is_some() || body.get("duplicate").is_some(),
            "{body}"
        );
    }
    body
}

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let mut body = rest.to_vec();
    let mut event = serde_json::from_slice::<Value>(rest).ok();
    if c & 1 != 0
        && let Some(Value::Object(o)) = &mut event
    {
        o.insert("routing_key".into(), json!(PD_KEY));
        body = Value::Object(o.clone()).to_string().into_bytes();
    }
    let app = app();
    let first = check(&send(&app, enqueue(body.clone())));
    if c & 2 != 0 {
        let again = check(&send(&app, enqueue(body)));
        // Without a dedup key each trigger is a new alert (PagerDuty's rule).
        if first.get("incident_id").is_some()
            && again.get("incident_id").is_some()
            && first.get("dedup_key") == again.get("dedup_key")
        {
            assert_eq!(
                first["incident_id"], again["incident_id"],
                "a repeat opened a second incident"
            );
        }
    }
    let dedup = first.get("dedup_key").cloned();
    for (bit, action) in [(4, "acknowledge"), (8, "resolve")] {
        if c & bit != 0 {
            let follow = json!({"routing_key": PD_KEY, "event_action": action, "dedup_key": dedup});
            check(&send(&app, enqueue(follow.to_string().into_bytes())));
        }
    }
});
