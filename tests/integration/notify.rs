//! Assess and notify through the ports: severity routes pages, redelivery
//! never double-pages, and a failed send is retried.

use crate::Harness;
use klaxon_core::app::{assess, intake, notify};
use klaxon_core::domain::{Audience, DeadlineKind, EventKind, Severity, Source, Status};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};

/// Runs a report through assess and returns the `Incident Triaged` event.
async fn triage(h: &Harness, cvss: Option<&str>) -> klaxon_core::domain::DomainEvent {
    intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report("t", cvss),
        None,
    )
    .await
    .expect("submit");
    let received = h.publisher.published().pop().expect("Report Received");
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("assess"),
        assess::Outcome::Triaged
    );
    let triaged = h.publisher.published().pop().expect("Incident Triaged");
    assert_eq!(triaged.kind, EventKind::IncidentTriaged);
    triaged
}

/// Severity decides who hears: SEV-1/2 page on-call, every severity tells the security team.
#[tokio::test]
async fn audiences_follow_severity() {
    let cases = [
        (
            Some(klaxon_tests::CRITICAL),
            Severity::Sev1,
            vec![Audience::Oncall, Audience::SecurityTeam],
        ),
        (
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Severity::Sev2,
            vec![Audience::Oncall, Audience::SecurityTeam],
        ),
        (None, Severity::Sev3, vec![Audience::SecurityTeam]),
        (
            Some("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"),
            Severity::Sev4,
            vec![Audience::SecurityTeam],
        ),
    ];
    for (cvss, sev, audiences) in cases {
        let h = Harness::sqlite();
        let event = triage(&h, cvss).await;
        assert_eq!(event.severity, Some(sev), "{cvss:?}");
        assert_eq!(
            notify::on_event(&h.app, &event).await.expect("notify"),
            audiences.len()
        );
        let got: Vec<Audience> = h.notifier.sent().iter().map(|m| m.audience).collect();
        assert_eq!(got, audiences, "{cvss:?}");
        let stored = h
            .app
            .store
            .get(event.incident_id)
            .await
            .expect("get")
            .expect("present");
        assert_eq!(stored.status, Status::Triaged);
        let kinds: Vec<DeadlineKind> = stored.deadlines.iter().map(|d| d.kind).collect();
        for k in [
            DeadlineKind::Acknowledge,
            DeadlineKind::Notify,
            DeadlineKind::Fix,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
        }
        assert_eq!(
            kinds.contains(&DeadlineKind::StatusUpdate),
            sev <= Severity::Sev2
        );
    }
}

/// Redelivered events neither re-triage nor re-page.
#[tokio::test]
async fn redelivery_is_idempotent() {
    let h = Harness::sqlite();
    let event = triage(&h, Some(klaxon_tests::CRITICAL)).await;
    let received = h.publisher.published()[0].clone();
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("again"),
        assess::Outcome::AlreadyTriaged
    );
    assert_eq!(notify::on_event(&h.app, &event).await.expect("first"), 2);
    assert_eq!(notify::on_event(&h.app, &event).await.expect("second"), 0);
    assert_eq!(h.notifier.sent().len(), 2);
    let timeline = h
        .app
        .store
        .timeline(event.incident_id)
        .await
        .expect("timeline");
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.message.contains("status reported -> triaged"))
            .count(),
        1
    );
}

/// A failed send releases its claim so the redelivery pages.
#[tokio::test]
async fn failed_send_is_retried() {
    let h = Harness::new(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::failing(1),
    );
    let event = triage(&h, Some(klaxon_tests::CRITICAL)).await;
    assert!(
        notify::on_event(&h.app, &event).await.is_err(),
        "first send fails"
    );
    assert!(h.notifier.sent().is_empty());
    assert_eq!(notify::on_event(&h.app, &event).await.expect("retry"), 2);
    let sent = h.notifier.sent();
    assert_eq!(sent[0].audience, Audience::Oncall);
    assert!(
        sent[0].subject.contains("SEV-1 Critical"),
        "{}",
        sent[0].subject
    );
}
