//! Bitbucket: `X-Hub-Signature` over the raw body, then the event
//! normaliser for the configured `X-Event-Key`s, then the report pipeline.
//!
//! Control byte: bits 0-1 as in `webhook_github`; bits 2-3 pick the event
//! key (3: field 0 is the event key, the body is field 1).
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let pick = usize::from((c >> 2) & 3);
    let (event, rest) = if pick == 3 {
        let f = fields(rest, 2);
        (text(f[0]), f[1])
    } else {
        (BITBUCKET_EVENTS[pick].to_owned(), rest)
    };
    let secrets = [Secret::new(BB_SECRET)];
    let Some(payload) = hub_delivery(c, rest, &secrets, BB_SECRET, "X-Hub-Signature") else {
        return;
    };
    let events = BITBUCKET_EVENTS.map(String::from);
    if let Ok(Normalized::Report(input, _)) = normalize::bitbucket(&event, &payload, &events) {
        exercise_report(*input);
    }
});
