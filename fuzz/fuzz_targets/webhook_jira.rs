//! Jira: `X-Hub-Signature` over the raw body, then the issue normaliser
//! (Atlassian Document Format descriptions included), then the report
//! pipeline.
//!
//! Control byte: bits 0-1 as in `webhook_github` (0, 1: signed; 2: header in
//! field 0, body in field 1; 3: another secret).
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_core::webhook::verify::{self, sign};
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let secrets = [Secret::new(JIRA_SECRET)];
    let (header, body) = match c & 3 {
        2 => {
            let f = fields(rest, 2);
            (Some(text(f[0])), f[1])
        }
        3 => (Some(sign::hub("not-the-secret", rest)), rest),
        _ => (Some(sign::hub(JIRA_SECRET, rest)), rest),
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
    let projects = JIRA_PROJECTS.map(String::from);
    if let Ok(Normalized::Report(input, key)) = normalize::jira(&payload, &projects) {
        assert!(key.is_some_and(|k| k.key.starts_with("issue#")));
        exercise_report(*input);
    }
});
