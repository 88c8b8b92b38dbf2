//! The assess engine through the app: what a stored incident records,
//! re-assessment on new facts, and responder overrides over the API.

use crate::Harness;
use bytes::Bytes;
use klaxon_core::app::{assess, intake};
use klaxon_core::config::{ApiTokens, IntakeSettings, Secret, Settings};
use klaxon_core::domain::{DeadlineKind, EventKind, IncidentClass, Severity, Source, TimelineKind};
use klaxon_core::http::{self, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};

const COMMANDER: &str = "commander-token-0123456789";
const VIEWER: &str = "viewer-token-0123456789abc";
const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";

fn harness() -> Harness {
    Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Settings {
            api_tokens: ApiTokens::parse(&format!(
                "cmd:commander:{COMMANDER},view:viewer:{VIEWER}"
            ))
            .expect("tokens"),
            intake: IntakeSettings {
                pagerduty_routing_keys: vec![Secret::new(PD_KEY)],
                ..IntakeSettings::default()
            },
            ..Settings::default()
        },
    )
}

/// A triaged incident carries its class, play, reasons with evidence, flags and every deadline.
#[tokio::test]
async fn stored_incident_explains_itself() {
    let h = harness();
    let report = klaxon_core::domain::Report::parse(klaxon_core::domain::ReportInput {
        title: Some("Leaked production Stripe key in a public repo".into()),
        description: Some("The key gives access to customer data (payment records).".into()),
        ..Default::default()
    })
    .expect("report");
    let created = intake::submit(&h.app, Source::Report, report, None)
        .await
        .expect("submit");
    let received = h.publisher.published()[0].clone();
    assess::on_event(&h.app, &received).await.expect("assess");
    let i = h
        .app
        .store
        .get(created.incident.id)
        .await
        .expect("get")
        .expect("present");
    let a = i.assessment.clone().expect("assessment recorded");
    assert_eq!(a.class, IncidentClass::LeakedProductionSecret);
    assert_eq!(i.severity, Some(Severity::Sev2));
    assert!(
        a.flags.customer_data_involved
            && a.flags.customer_notification_required
            && a.flags.atlassian_notification_required
    );
    assert!(
        a.reasons.iter().any(
            |r| r.rule == "class:leaked_production_secret" && r.evidence.starts_with("title: ")
        ),
        "{:?}",
        a.reasons
    );
    assert!(
        a.reasons
            .iter()
            .any(|r| r.rule == "escalator:customer-data"),
        "{:?}",
        a.reasons
    );
    let kinds: Vec<DeadlineKind> = i.deadlines.iter().map(|d| d.kind).collect();
    for k in [
        DeadlineKind::Acknowledge,
        DeadlineKind::Notify,
        DeadlineKind::ResponseTarget,
        DeadlineKind::StatusUpdate,
        DeadlineKind::AtlassianReport,
        DeadlineKind::CustomerNotice,
        DeadlineKind::Fix,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing: {kinds:?}");
    }
    let timeline = h.app.store.timeline(i.id).await.expect("timeline");
    let assessed = timeline
        .iter()
        .find(|e| e.kind == TimelineKind::Assessed)
        .expect("assessment on the timeline");
    assert!(
        assessed.message.contains("class leaked_production_secret"),
        "{}",
        assessed.message
    );
    assert!(
        assessed.message.contains("escalator:customer-data"),
        "{}",
        assessed.message
    );
}

/// An invalid CVSS vector leaves a timeline note and does not fail the assessment.
#[tokio::test]
async fn invalid_vector_is_noted() {
    let h = harness();
    let report = klaxon_tests::report("XSS in preview", Some("CVSS:3.1/AV:Q"));
    let created = intake::submit(&h.app, Source::Report, report, None)
        .await
        .expect("submit");
    let received = h.publisher.published()[0].clone();
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("assess"),
        assess::Outcome::Triaged
    );
    let timeline = h
        .app
        .store
        .timeline(created.incident.id)
        .await
        .expect("timeline");
    assert!(timeline.iter().any(|e| e.kind == TimelineKind::Note
        && e.message.contains("CVSS vector")
        && e.message.contains("invalid")));
}

async fn pd(h: &Harness, severity: &str) -> Value {
    let body = json!({"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": "db-1", "payload": {"summary": "Database CPU at 100%", "source": "db-1", "severity": severity}});
    let req = ::http::Request::builder()
        .method("POST")
        .uri("/v2/enqueue")
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("req");
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    assert_eq!(resp.status(), 202);
    serde_json::from_slice(resp.body()).expect("json")
}

async fn api(h: &Harness, token: &str, path: &str, body: Value) -> (u16, Value) {
    let req = ::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::from(body.to_string()))
        .expect("req");
    let resp = http::handle(&h.app, Routes::Api, req).await;
    (
        resp.status().as_u16(),
        serde_json::from_slice(resp.body()).expect("json"),
    )
}

/// A repeat with a more severe source signal re-assesses: Severity Changed,
/// deadlines recomputed. An override then holds against later repeats.
#[tokio::test]
async fn reassessment_and_override() {
    let h = harness();
    let first = pd(&h, "warning").await;
    let id: klaxon_core::domain::IncidentId = first["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let received = h.publisher.published()[0].clone();
    assess::on_event(&h.app, &received).await.expect("assess");
    let i = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(i.severity, Some(Severity::Sev3));
    let ack_before = i
        .deadlines
        .iter()
        .find(|d| d.kind == DeadlineKind::Acknowledge)
        .expect("ack")
        .due_at;

    pd(&h, "critical").await;
    let i = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(
        i.severity,
        Some(Severity::Sev1),
        "a critical repeat raises it"
    );
    let ack_after = i
        .deadlines
        .iter()
        .find(|d| d.kind == DeadlineKind::Acknowledge)
        .expect("ack")
        .due_at;
    // Recomputed for SEV-1: the SEV-3 deadline was the plain SLA's or,
    // where the engine flagged it for triage, the triage one.
    let a = i.assessment.as_ref().expect("assessed");
    let sev1_ack = h
        .app
        .settings
        .policy
        .deadlines(a, i.created_at, i.confirmed_at.expect("confirmed"))
        .into_iter()
        .find(|d| d.kind == DeadlineKind::Acknowledge)
        .expect("SEV-1 ack")
        .due_at;
    assert_ne!(ack_after, ack_before, "the ack deadline is recomputed");
    assert_eq!(ack_after, sev1_ack, "and is SEV-1's: {a:?}");
    assert!(
        h.publisher
            .published()
            .iter()
            .any(|e| e.kind == EventKind::SeverityChanged && e.severity == Some(Severity::Sev1))
    );

    // Override: viewers may not, commanders may, with a reason.
    let path = format!("/api/v1/incidents/{id}/severity");
    let (status, _) = api(
        &h,
        VIEWER,
        &path,
        json!({"severity": "SEV-4", "reason": "load test"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = api(
        &h,
        COMMANDER,
        &path,
        json!({"severity": "SEV-9", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_severity"))
    );
    let (status, body) = api(
        &h,
        COMMANDER,
        &path,
        json!({"severity": "low", "reason": "a load test, not an attack"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["incident"]["severity"], "SEV-4");
    assert_eq!(body["incident"]["severity_override"]["by"], "cmd");

    // A later critical repeat is recorded but does not undo the decision.
    pd(&h, "critical").await;
    let i = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(i.severity, Some(Severity::Sev4));
    assert_eq!(i.occurrences, 3);
    let timeline = h.app.store.timeline(id).await.expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.actor == "cmd"
                && e.message.contains("overridden SEV-1 -> SEV-4: a load test"))
    );
    // A re-assessment on new facts keeps the override too.
    let mut change = klaxon_core::domain::Change::begin(&i, klaxon_tests::t0());
    assess::reassess(&mut change, &h.app.settings.policy, "edited report");
    assert_eq!(change.incident.severity, Some(Severity::Sev4));
    assert!(
        change.events.is_empty(),
        "no Severity Changed while the override holds"
    );
}
