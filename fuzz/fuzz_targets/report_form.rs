//! `POST /reports` with `application/x-www-form-urlencoded`, through the
//! real router: the form decoder (with its honeypot), validation,
//! redaction, the store, and the form page re-rendered with the errors.
//!
//! Control byte: bit 0: field 0 is an `Idempotency-Key` header and the body
//! is field 1 (otherwise the rest is the body); bit 1: the content type
//! carries `; charset=UTF-8`.
#![no_main]

use bytes::Bytes;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let (key, body) = if c & 1 != 0 {
        let f = fields(rest, 2);
        (Some(f[0]), f[1])
    } else {
        (None, rest)
    };
    let ct = if c & 2 != 0 {
        "application/x-www-form-urlencoded; charset=UTF-8"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut req = http::Request::builder()
        .method("POST")
        .uri("/reports")
        .header("content-type", ct);
    if let Some(k) = key {
        let Ok(v) = http::HeaderValue::from_bytes(k) else {
            return;
        };
        req = req.header("idempotency-key", v);
    }
    let Ok(req) = req.body(Bytes::copy_from_slice(body)) else {
        return;
    };
    let app = app();
    let resp = send(&app, req);
    let status = resp.status().as_u16();
    assert!(
        matches!(status, 202 | 400 | 413),
        "unexpected {status}: {}",
        String::from_utf8_lossy(resp.body())
    );
    let page = String::from_utf8_lossy(resp.body()).to_ascii_lowercase();
    // Whatever was typed is echoed escaped: the page never gains a script.
    assert!(!page.contains("<script"), "script in the page: {page}");
    assert!(!page.contains("javascript:"), "javascript: URL in the page");
});
