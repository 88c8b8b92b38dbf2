//! `POST /reports` with `application/json`: the body decodes as a
//! `ReportInput` (as `http::report_form` decodes it), then `Report::parse`
//! validates and redacts it, then the report pipeline. The whole input is
//! the body.
#![no_main]

use klaxon_core::domain::ReportInput;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = serde_json::from_slice::<ReportInput>(data) {
        exercise_report(input);
    }
});
