//! GitHub: `X-Hub-Signature-256` over the raw body, then the security-alert
//! normaliser, then the report pipeline.
//!
//! Control byte: bits 0-1 pick the signature (0, 1: correct HMAC of the
//! body; 2: the header is field 0, the body field 1; 3: HMAC with another
//! secret, which must be refused); bits 2-4 pick `X-GitHub-Event`.
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_core::webhook::verify::{self, sign};
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 6] = [
    "secret_scanning_alert",
    "dependabot_alert",
    "code_scanning_alert",
    "repository_advisory",
    "ping",
    "push",
];

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let event = EVENTS[usize::from(c >> 2) % EVENTS.len()];
    let secrets = [Secret::new("old-secret"), Secret::new(GH_SECRET)];
    let (header, body) = match c & 3 {
        2 => {
            let f = fields(rest, 2);
            (Some(text(f[0])), f[1])
        }
        3 => (Some(sign::hub("not-the-secret", rest)), rest),
        _ => (Some(sign::hub(GH_SECRET, rest)), rest),
    };
    let verdict = verify::hub_signature(&secrets, "X-Hub-Signature-256", header.as_deref(), body);
    match c & 3 {
        3 => assert!(
            verdict.is_err(),
            "a signature by another secret was accepted"
        ),
        0 | 1 => assert_eq!(verdict, Ok(()), "a correct signature was refused"),
        _ => {}
    }
    if verdict.is_err() {
        return;
    }
    let Some(payload) = json_object(body) else {
        return;
    };
    if let Ok(Normalized::Report(input, key)) = normalize::github(event, &payload) {
        assert!(key.is_some_and(|k| !k.key.is_empty()));
        exercise_report(*input);
    }
});
