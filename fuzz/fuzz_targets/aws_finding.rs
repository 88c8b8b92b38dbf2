//! AWS findings as EventBridge delivers them (GuardDuty, Security Hub,
//! CloudWatch alarms), then the report pipeline for each finding.
//! The whole input is the event JSON.
#![no_main]

use klaxon_core::webhook::normalize;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(findings) = normalize::aws_finding(&event) {
        for (input, key) in findings {
            assert!(!key.key.is_empty(), "a finding without a key");
            exercise_report(input);
        }
    }
});
