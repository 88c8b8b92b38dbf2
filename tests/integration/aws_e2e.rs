//! The walking skeleton against the AWS APIs (moto): a report posted to the
//! intake handler is stored in DynamoDB, its events travel over EventBridge,
//! assess triages it, and notify pages the on-call SNS topic, whose SQS
//! subscriber receives the page with its filter attributes.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use klaxon_core::adapters::aws;
use klaxon_core::app::{assess, notify};
use klaxon_core::config::Settings;
use klaxon_core::domain::{Audience, DomainEvent, EventKind, Status};
use klaxon_core::http::{self, Routes};
use klaxon_core::lambda;
use klaxon_tests::emulator::Stack;
use serde_json::{Value, json};

/// Reads the EventBridge events delivered to the observing queue, parsed as
/// the assess and notify Lambdas receive them.
async fn next_events(stack: &Stack, want: usize) -> Vec<DomainEvent> {
    stack
        .receive(&stack.events_queue, want)
        .await
        .into_iter()
        .map(|body| {
            let envelope: EventBridgeEvent =
                serde_json::from_str(&body).expect("EventBridge envelope");
            assert_eq!(envelope.source, "klaxon");
            let event = lambda::domain_event(envelope.clone()).expect("domain event");
            assert_eq!(envelope.detail_type, event.kind.detail_type());
            event
        })
        .collect()
}

fn attr(envelope: &Value, name: &str) -> String {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap_or_else(|| panic!("attribute {name} missing in {envelope}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_to_page_over_aws_apis() {
    let stack = Stack::create().await;
    let app = aws::app(&stack.sdk, &stack.resources, Settings::default());

    // Intake: the same handler the Lambda runs.
    let body = json!({"title": "RCE via webhook", "description": "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 in logs", "cvss": klaxon_tests::CRITICAL});
    let req = ::http::Request::builder()
        .method("POST")
        .uri("/reports")
        .header("content-type", "application/json")
        .header("idempotency-key", "e2e-1")
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let resp = http::handle(&app, Routes::Intake, req).await;
    assert_eq!(
        resp.status(),
        202,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    let accepted: Value = serde_json::from_slice(resp.body()).expect("json");
    let id = accepted["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let stored = app
        .store
        .get(id)
        .await
        .expect("get")
        .expect("stored in DynamoDB");
    assert!(
        !stored.description.contains("ghp_"),
        "secret reached the store: {}",
        stored.description
    );

    // EventBridge carried Report Received; assess consumes it.
    let received = next_events(&stack, 1).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].kind, EventKind::ReportReceived);
    assert_eq!(
        assess::on_event(&app, &received[0]).await.expect("assess"),
        assess::Outcome::Triaged
    );

    // Then Incident Triaged and the first paging level; notify consumes both.
    let mut triaged = next_events(&stack, 2).await;
    triaged.sort_by_key(|e| e.kind != EventKind::IncidentTriaged);
    let kinds: Vec<EventKind> = triaged.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![EventKind::IncidentTriaged, EventKind::EscalationTriggered]
    );
    // Triage tells the security team and drafts the Critical/High notice
    // for comms; the escalation step pages the primary.
    assert_eq!(
        notify::on_event(&app, &triaged[0]).await.expect("notify"),
        2
    );
    assert_eq!(
        notify::on_event(&app, &triaged[1]).await.expect("notify"),
        1
    );

    // The primary on-call subscriber got the page, with attributes to filter on.
    let pages = stack
        .receive(&stack.topic_queues[&Audience::OncallPrimary], 1)
        .await;
    assert_eq!(pages.len(), 1, "exactly one page");
    let envelope: Value = serde_json::from_str(&pages[0]).expect("SNS envelope");
    assert_eq!(attr(&envelope, "severity"), "SEV-1");
    assert_eq!(attr(&envelope, "audience"), "oncall-primary");
    assert_eq!(attr(&envelope, "event"), "Escalation Triggered");
    assert_eq!(attr(&envelope, "drill"), "false");
    let doc: Value = serde_json::from_str(envelope["Message"].as_str().expect("message"))
        .expect("SQS gets the JSON document");
    assert_eq!(doc["reference"], accepted["reference"]);
    assert_eq!(doc["severity"], "SEV-1");
    assert_eq!(doc["status"], "triaged");

    // The security team was told too.
    let told = stack
        .receive(&stack.topic_queues[&Audience::SecurityTeam], 1)
        .await;
    assert_eq!(told.len(), 1);

    // The outbox is drained: both events were marked published.
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert!(
        app.store
            .pending_events(later, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    let stored = app.store.get(id).await.expect("get").expect("stored");
    assert_eq!(stored.status, Status::Triaged);

    // A redelivered page does not page again.
    assert_eq!(
        notify::on_event(&app, &triaged[1])
            .await
            .expect("notify again"),
        0
    );
    assert!(
        stack
            .receive(&stack.topic_queues[&Audience::OncallPrimary], 1)
            .await
            .is_empty()
    );
}

/// A drill over the AWS APIs: started through the responder API, stored in
/// DynamoDB, triaged as its scenario from the EventBridge event, paged on
/// SNS marked as a drill (filterable with `drill=true`), acknowledged, and
/// its report records the page and the time to ack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_end_to_end_over_aws_apis() {
    let stack = Stack::create().await;
    let token = "drill-commander-token-0123456789";
    let settings = Settings {
        api_tokens: klaxon_core::config::ApiTokens::parse(&format!("dana:commander:{token}"))
            .expect("tokens"),
        ..Settings::default()
    };
    let app = aws::app(&stack.sdk, &stack.resources, settings);
    let call = |method: &str, path: &str, body: Option<Value>| {
        let mut b = ::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        b.body(Bytes::from(body.map(|v| v.to_string()).unwrap_or_default()))
            .expect("request")
    };
    let resp = http::handle(
        &app,
        Routes::Api,
        call(
            "POST",
            "/api/v1/drills",
            Some(json!({"class": "cloud_admin_compromise", "severity": "SEV-1"})),
        ),
    )
    .await;
    assert_eq!(
        resp.status(),
        201,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    let started: Value = serde_json::from_slice(resp.body()).expect("json");
    let reference = started["incident"]["reference"]
        .as_str()
        .expect("ref")
        .to_owned();

    let received = next_events(&stack, 1).await;
    assert_eq!(received[0].kind, EventKind::ReportReceived);
    assert!(received[0].drill, "the event says it is a drill");
    assert_eq!(
        assess::on_event(&app, &received[0]).await.expect("assess"),
        assess::Outcome::Triaged
    );
    for e in next_events(&stack, 2).await {
        notify::on_event(&app, &e).await.expect("notify");
    }
    let pages = stack
        .receive(&stack.topic_queues[&Audience::OncallPrimary], 1)
        .await;
    assert_eq!(pages.len(), 1, "the drill pages the primary");
    let envelope: Value = serde_json::from_str(&pages[0]).expect("SNS envelope");
    assert_eq!(attr(&envelope, "drill"), "true");
    assert_eq!(attr(&envelope, "severity"), "SEV-1");
    assert!(
        envelope["Subject"]
            .as_str()
            .unwrap_or("")
            .contains("[DRILL]"),
        "{envelope}"
    );

    let ack = http::handle(
        &app,
        Routes::Api,
        call("POST", &format!("/api/v1/incidents/{reference}/ack"), None),
    )
    .await;
    assert_eq!(ack.status(), 200, "{}", String::from_utf8_lossy(ack.body()));
    let view = http::handle(
        &app,
        Routes::Api,
        call("GET", &format!("/api/v1/incidents/{reference}"), None),
    )
    .await;
    let view: Value = serde_json::from_slice(view.body()).expect("json");
    assert_eq!(
        view["incident"]["assessment"]["class"],
        "cloud_admin_compromise"
    );
    assert!(
        view["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("Disable or restrict the identity")),
        "the suspicious cloud admin play"
    );
    let report = http::handle(
        &app,
        Routes::Api,
        call(
            "GET",
            &format!("/api/v1/incidents/{reference}/drill-report"),
            None,
        ),
    )
    .await;
    assert_eq!(report.status(), 200);
    let report: Value = serde_json::from_slice(report.body()).expect("json");
    assert_eq!(report["report"]["pages"][0]["audience"], "oncall-primary");
    assert_eq!(report["report"]["acknowledged"]["by"], "dana");
    assert!(
        report["report"]["time_to_ack_seconds"]
            .as_i64()
            .is_some_and(|s| s >= 0)
    );
}

/// A report the engine cannot place, over the AWS APIs: assess flags it for
/// triage and pages the primary on-call's SNS topic at once, though SEV-3
/// pages no one on its own, with triage's 1 h acknowledgement deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplaceable_report_pages_oncall_primary_to_triage_over_aws_apis() {
    let stack = Stack::create().await;
    let app = aws::app(&stack.sdk, &stack.resources, Settings::default());
    let body = json!({
        "title": "Please take a look",
        "description": "Something is going on, please take a look",
    });
    let req = ::http::Request::builder()
        .method("POST")
        .uri("/reports")
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let resp = http::handle(&app, Routes::Intake, req).await;
    assert_eq!(resp.status(), 202);
    let accepted: Value = serde_json::from_slice(resp.body()).expect("json");
    let id = accepted["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");

    let received = next_events(&stack, 1).await;
    assert_eq!(received[0].kind, EventKind::ReportReceived);
    assert_eq!(
        assess::on_event(&app, &received[0]).await.expect("assess"),
        assess::Outcome::Triaged
    );
    let stored = app.store.get(id).await.expect("get").expect("stored");
    assert!(stored.needs_triage(), "{:?}", stored.assessment);
    assert_eq!(stored.severity, Some(klaxon_core::domain::Severity::Sev3));
    let ack = stored
        .deadline(klaxon_core::domain::DeadlineKind::Acknowledge)
        .expect("ack deadline");
    assert_eq!(
        ack.due_at - stored.created_at,
        chrono::Duration::hours(1),
        "triage's ack, not SEV-3's 24 h"
    );

    // Incident Triaged and triage's first level; notify consumes both.
    let events = next_events(&stack, 2).await;
    let mut kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    kinds.sort_by_key(|k| *k != EventKind::IncidentTriaged);
    assert_eq!(
        kinds,
        [EventKind::IncidentTriaged, EventKind::EscalationTriggered],
        "triage pages its first level, the primary, at once"
    );
    for e in &events {
        notify::on_event(&app, e).await.expect("notify");
    }
    let pages = stack
        .receive(&stack.topic_queues[&Audience::OncallPrimary], 1)
        .await;
    assert_eq!(pages.len(), 1, "exactly one page to the primary");
    let envelope: Value = serde_json::from_str(&pages[0]).expect("SNS envelope");
    assert_eq!(attr(&envelope, "audience"), "oncall-primary");
    assert_eq!(attr(&envelope, "event"), "Escalation Triggered");
    assert_eq!(attr(&envelope, "severity"), "SEV-3");
    let doc: Value = serde_json::from_str(envelope["Message"].as_str().expect("message"))
        .expect("SQS gets the JSON document");
    assert_eq!(doc["reference"], accepted["reference"]);
    assert_eq!(doc["severity"], "SEV-3");
}
