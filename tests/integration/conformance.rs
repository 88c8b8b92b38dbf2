//! Regressions from the schemathesis run against `klaxon serve`
//! (`bench/schemathesis.sh`): what the fuzzer found, pinned here so it
//! stays fixed without running the fuzzer.

use crate::Harness;
use bytes::Bytes;
use klaxon_core::http::{self, ROUTES, Routes};
use serde_json::Value;

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
