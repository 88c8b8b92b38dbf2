//! GitHub: `X-Hub-Signature-256` over the raw body, then the security-alert
//! normaliser, then the report pipeline.
//!
//! Control byte: bits 0-1 pick the signature (0, 1: correct HMAC of the
//! body; 2: the header is field 0, the body field 1; 3: HMAC with another
//! secret, which must be refused); bits 2-4 pick `X-GitHub-Event`.
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
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
    let Some(payload) = hub_delivery(c, rest, &secrets, GH_SECRET, "X-Hub-Signature-256") else {
        return;
    };
    if let Ok(Normalized::Report(input, key)) = normalize::github(event, &payload) {
        assert!(key.is_some_and(|k| !k.key.is_empty()));
        exercise_report(*input);
    }
});
