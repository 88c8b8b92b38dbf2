//! The OpenAPI description in `docs/openapi.json` stays true to the router:
//! every route is documented, every documented operation is routed, and
//! each operation documents the error statuses the router can give it.

use klaxon_core::http::ROUTES;
use serde_json::Value;
use std::collections::BTreeSet;

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .expect("docs/openapi.json");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn spec_and_router_agree() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, _)| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
}

#[test]
fn every_post_documents_its_refusals() {
    let spec = spec();
    for r in ROUTES.iter().filter(|r| r.method == "POST") {
        let op = &spec["paths"][r.path]["post"];
        let statuses: &[&str] = if r.path.starts_with("/api/") {
            &["400", "401", "403", "404", "413", "415"]
        } else if r.path.starts_with("/ack/") {
            // The page-link ack answers pages: done, bad, gone, used.
            &["200", "400", "404", "409", "410"]
        } else {
            &["202", "400", "413"]
        };
        for status in statuses {
            assert!(
                op["responses"].get(status).is_some(),
                "{} does not document {status}",
                r.path
            );
        }
        let success = ["200", "201", "202"]
            .iter()
            .any(|s| op["responses"].get(*s).is_some());
        assert!(success, "{} documents no success response", r.path);
    }
    for r in ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/webhooks/") || r.path == "/v2/enqueue")
    {
        let op = &spec["paths"][r.path]["post"];
        for status in ["401", "404"] {
            assert!(
                op["responses"].get(status).is_some(),
                "{} does not document {status}",
                r.path
            );
        }
    }
    // Every $ref resolves.
    let text = spec.to_string();
    for part in text.split("\"$ref\":\"").skip(1) {
        let target = part.split('"').next().expect("ref");
        let pointer = target.trim_start_matches('#');
        assert!(spec.pointer(pointer).is_some(), "dangling $ref {target}");
    }
}
