//! Jira: `X-Hub-Signature` over the raw body, then the issue normaliser
//! (Atlassian Document Format descriptions included), then the report
//! pipeline.
//!
//! Control byte: bits 0-1 as in `webhook_github` (0, 1: signed; 2: header in
//! field 0, body in field 1; 3: another secret).
#![no_main]

use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let secrets = [Secret::new(JIRA_SECRET)];
    let Some(payload) = hub_delivery(c, rest, &secrets, JIRA_SECRET, "X-Hub-Signature") else {
        return;
    };
    let projects = JIRA_PROJECTS.map(String::from);
    if let Ok(Normalized::Report(input, key)) = normalize::jira(&payload, &projects) {
        assert!(key.is_some_and(|k| k.key.starts_with("issue#")));
        exercise_report(*input);
    }
});
