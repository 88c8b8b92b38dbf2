//! Bitbucket: `X-Hub-Signature` over the raw body, then the event
//! normaliser for the configured `X-Event-Key`s, then the report pipeline.
//!
//! Control byte: bits 0-1 as in `webhook_github`; bits 2-3 pick the event
//! key (3: field 0 is the event key, the body is field 1).
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_core::webhook::verify::{self, sign};
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
    let (header, body) = match c & 3 {
        2 => {
            let f = fields(rest, 2);
            (Some(text(f[0])), f[1])
        }
        3 => (Some(sign::hub("not-the-secret", rest)), rest),
        _ => (Some(sign::hub(BB_SECRET, rest)), rest),
    };
    let verdict = verify::hub_signature(&secrets, "X-Hub-Signature", header.as_deref(), body);
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
    let events = BITBUCKET_EVENTS.map(String::from);
    if let Ok(Normalized::Report(input, _)) = normalize::bitbucket(&event, &payload, &events) {
        exercise_report(*input);
    }
});
