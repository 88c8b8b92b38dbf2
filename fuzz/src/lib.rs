//! Shared harness for the fuzz targets: the secrets each sender signs with,
//! the input layout, and what happens to a report once a parser accepts it.
//!
//! Input layout (every target): byte 0 is a control byte whose bits pick a
//! mode (e.g. sign the body correctly, or take the signature from the input);
//! the rest is split on `0xFF` into the fields the target names. `0xFF`
//! never occurs in UTF-8, so JSON and text fields stay intact.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{App, Relay, Wiring};
use klaxon_core::config::{ConnectSettings, IntakeSettings, Secret, Settings};
use klaxon_core::domain::{
    Change, DomainEvent, EventKind, NewIncident, Report, ReportInput, Source, Status, StatusFields,
    TaskState,
};
use klaxon_core::messages::{self, Inputs};
use klaxon_core::policy::{self, Policy, clocks};
use klaxon_core::ports::{
    EventPublisher, ManualClock, Message, Notifier, NotifyError, PublishError,
};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

pub const GH_SECRET: &str = "github-secret-123";
pub const JIRA_SECRET: &str = "jira-secret-123";
pub const BB_SECRET: &str = "bitbucket-secret-123";
pub const CONNECT_SECRET: &str = "connect-shared-secret-123";
pub const CLIENT_KEY: &str = "client-1";
pub const FORGE_TOKEN: &str = "forge-token-0123456789";
/// The raw Standard Webhooks key; configured as `whsec_<base64>`.
pub const FORGE_KEY: &[u8] = b"forge-webhook-key-0123456789abcd";
pub const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";
pub const JIRA_PROJECTS: [&str; 2] = ["SEC", "SECOPS"];
pub const BITBUCKET_EVENTS: [&str; 3] = ["repo:push", "pullrequest:created", "issue:created"];
pub const PRODUCTS: [&str; 2] = ["Jira Cloud app", "Confluence macro"];

/// The fixed "now" of every target, a Monday morning.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_424_400, 0).unwrap_or_default() // 2026-11-23T09:00:00Z
}

pub fn forge_key_b64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(FORGE_KEY)
}

/// Every source enabled, as `klaxon serve` would be with all of them configured.
pub fn settings() -> Settings {
    Settings {
        intake: IntakeSettings {
            products: PRODUCTS.map(String::from).to_vec(),
            github_secrets: vec![Secret::new(GH_SECRET)],
            jira_secrets: vec![Secret::new(JIRA_SECRET)],
            bitbucket_secrets: vec![Secret::new(BB_SECRET)],
            connect: Some(ConnectSettings {
                shared_secret: Secret::new(CONNECT_SECRET),
                client_keys: vec![CLIENT_KEY.into()],
            }),
            forge_token: Some(Secret::new(FORGE_TOKEN)),
            forge_webhook_secret: Some(Secret::new(format!("whsec_{}", forge_key_b64()))),
            pagerduty_routing_keys: vec![Secret::new(PD_KEY)],
            jira_projects: JIRA_PROJECTS.map(String::from).to_vec(),
            bitbucket_events: BITBUCKET_EVENTS.map(String::from).to_vec(),
            report_rate_limit: None,
            ..IntakeSettings::default()
        },
        ..Settings::default()
    }
}

/// The control byte and the rest of the input.
pub fn control(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((c, rest)) => (*c, rest),
        None => (0, &[]),
    }
}

/// Splits on `0xFF` into exactly `n` fields (missing ones are empty; the
/// last one keeps any further `0xFF`).
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0xFF).collect();
    out.resize(n, &[]);
    out
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What the webhook routes accept as a body: a JSON object.
pub fn json_object(body: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

/// A hub-signed delivery (GitHub, Jira, Bitbucket), picked by the control
/// byte's low two bits: 0, 1: `rest` signed by `signer`; 2: the header is
/// field 0 and the body field 1; 3: `rest` signed by another secret, which
/// must be refused. Checks the verdict where it is known; returns the body
/// as a JSON object if the signature was accepted.
pub fn hub_delivery(
    c: u8,
    rest: &[u8],
    secrets: &[Secret],
    signer: &str,
    header_name: &'static str,
) -> Option<Value> {
    use klaxon_core::webhook::verify::{self, sign};
    let (header, body) = match c & 3 {
        2 => {
            let f = fields(rest, 2);
            (Some(text(f[0])), f[1])
        }
        3 => (Some(sign::hub("not-the-secret", rest)), rest),
        _ => (Some(sign::hub(signer, rest)), rest),
    };
    let verdict = verify::hub_signature(secrets, header_name, header.as_deref(), body);
    match c & 3 {
        3 => assert!(
            verdict.is_err(),
            "a signature by another secret was accepted"
        ),
        0 | 1 => assert_eq!(verdict, Ok(()), "a correct signature was refused"),
        _ => {}
    }
    verdict.ok().and_then(|()| json_object(body))
}

/// A report a parser accepted, taken as far as the core takes it without
/// I/O: validated and redacted, opened as an incident, assessed, deadlines
/// and paging armed under the built-in policy, the clocks run a month on,
/// and every message the triage sends rendered.
pub fn exercise_report(input: ReportInput) {
    let Ok(report) = Report::parse(input) else {
        return;
    };
    check_report(&report);
    exercise_incident(report, &Policy::builtin());
}

fn check_report(r: &Report) {
    assert!(!r.title.trim().is_empty(), "empty title accepted");
    assert!(
        !r.title.chars().any(char::is_control),
        "control character in title {:?}",
        r.title
    );
}

/// Opens, assesses and triages an incident under `policy`, then runs its
/// clocks forward and renders every message it causes.
pub fn exercise_incident(report: Report, policy: &Policy) {
    let now = t0();
    let new = NewIncident::from_report(report, Source::Report, None, now);
    let mut change = Change::begin(&new.incident, now);
    let assessment = policy.assess(&klaxon_core::app::assess::facts(&change.incident));
    let _ = klaxon_core::app::assess::explain(&assessment);
    change.incident.confirmed_at = Some(now);
    change.incident.deadlines = policy.deadlines(&assessment, now, now);
    change.incident.severity = Some(assessment.severity);
    change.incident.assessment = Some(assessment);
    change.open_checklists(policy);
    change
        .move_to("fuzz", Status::Triaged)
        .unwrap_or_else(|e| panic!("triage refused: {e}"));
    change.emit(EventKind::IncidentTriaged);
    clocks::arm(&mut change, policy, now);
    for hours in [0, 1, 5, 26, 24 * 9, 24 * 40] {
        clocks::run_due(&mut change, policy, now + chrono::Duration::hours(hours));
    }
    let templates = messages::Templates::builtin();
    let inputs = Inputs {
        templates: &templates,
        contact: "security@example.com",
        product: "Example app",
        ack_url: Some("https://klaxon.example.com/ack/x"),
        sms_ack_url: None,
        email_ack_url: None,
        api_base: Some("https://klaxon.example.com"),
        note: None,
    };
    let events: Vec<DomainEvent> = change.events.clone();
    for event in &events {
        for (audience, kind) in policy::recipients(event, &change.incident) {
            let m = messages::render(event, &change.incident, audience, kind, &inputs)
                .unwrap_or_else(|e| panic!("built-in template failed: {e}"));
            check_message(&m);
        }
    }
    close(change, policy);
}

/// Resolves the incident a day on, waives what is open, closes it (its
/// retention starts) and lifts a legal hold, running the clocks between.
fn close(triaged: Change, policy: &Policy) {
    let day = chrono::Duration::days(1);
    let at = triaged.incident.updated_at + day;
    let mut change = Change::begin(&triaged.incident, at);
    let fields = StatusFields {
        root_cause: Some("a deploy script printed the key".into()),
        ..StatusFields::default()
    };
    change
        .set_status("fuzz", Status::Resolved, &fields, policy)
        .unwrap_or_else(|e| panic!("resolve refused: {e}"));
    clocks::run_due(&mut change, policy, at + day * 5);
    let open: Vec<u32> = change
        .incident
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Open)
        .map(|t| t.id)
        .collect();
    for id in open {
        let _ = change.settle_task("fuzz", id, TaskState::Waived, Some("fuzzing"));
    }
    change
        .set_status("fuzz", Status::Closed, &StatusFields::default(), policy)
        .unwrap_or_else(|e| panic!("close refused: {e}"));
    let _ = change.legal_hold("fuzz", true, "litigation", policy.retention);
    let _ = change.legal_hold("fuzz", false, "settled", policy.retention);
    assert!(
        change.incident.expires_at.is_some(),
        "a closed incident never expires"
    );
}

fn check_message(m: &Message) {
    assert!(
        m.message.sms.chars().count() <= messages::SMS_LIMIT,
        "SMS body over the limit: {}",
        m.message.sms.chars().count()
    );
    assert!(
        !m.subject.contains('\n'),
        "subject spans lines: {:?}",
        m.subject
    );
    // Slack reads `<...>` as mentions and links: none may reach chat raw.
    for text in [
        &m.message.https["content"]["title"],
        &m.message.https["content"]["description"],
        &m.message.https["metadata"]["summary"],
    ] {
        let text = text.as_str().unwrap_or("");
        assert!(!text.contains(['<', '>']), "raw markup in chat: {text:?}");
    }
}

struct NullBus;

#[async_trait]
impl EventPublisher for NullBus {
    async fn publish(&self, _: &[DomainEvent]) -> Result<(), PublishError> {
        Ok(())
    }
}

struct NullNotifier;

#[async_trait]
impl Notifier for NullNotifier {
    async fn send(&self, _: &Message) -> Result<(), NotifyError> {
        Ok(())
    }
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
});

/// A fresh app per input (an in-memory SQLite store), so a crash replays
/// from its input alone.
pub fn app() -> Arc<App> {
    let store = SqliteIncidentStore::in_memory().unwrap_or_else(|e| panic!("sqlite: {e}"));
    Arc::new(App::new(Wiring {
            store: Arc::new(store),
            publisher: Arc::new(NullBus),
            notifier: Arc::new(NullNotifier),
            clock: Arc::new(ManualClock::new(t0())),
            relay: Relay::Inline,
            settings: settings(),
    }))
}

/// Serves one request through the real router, as `klaxon serve` does.
/// Input never causes a 5xx: that would be a bug the sender cannot fix.
pub fn send(app: &Arc<App>, req: http::Request<Bytes>) -> http::Response<Bytes> {
    let resp = RUNTIME.block_on(klaxon_core::http::handle(
        app,
        klaxon_core::http::Routes::Intake,
        req,
    ));
    assert!(
        !resp.status().is_server_error(),
        "{} for input: {}",
        resp.status(),
        String::from_utf8_lossy(resp.body())
    );
    resp
}
