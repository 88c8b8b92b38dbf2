//! Shared test support: the moto emulator, the store contract suite, and
//! recording or failing stand-ins for the publish and notify ports.

pub mod contract;
pub mod emulator;
pub mod fakes;

use chrono::{DateTime, Utc};
use klaxon_core::domain::{NewIncident, Report, ReportInput, Source};

/// A valid report; `cvss` decides the provisional severity.
pub fn report(title: &str, cvss: Option<&str>) -> Report {
    Report::parse(ReportInput {
        title: Some(title.into()),
        description: Some("Steps: open the macro editor and paste the payload.".into()),
        reporter_email: Some("researcher@example.com".into()),
        cvss: cvss.map(Into::into),
        tenant: Some("acme.atlassian.net".into()),
        ..Default::default()
    })
    .expect("valid report")
}

pub const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

pub fn new_incident(title: &str, key: Option<&str>, now: DateTime<Utc>) -> NewIncident {
    NewIncident::from_report(
        report(title, None),
        Source::Report,
        key.map(Into::into),
        now,
    )
}

pub fn t0() -> DateTime<Utc> {
    "2026-11-23T03:00:00Z".parse().expect("valid timestamp")
}
