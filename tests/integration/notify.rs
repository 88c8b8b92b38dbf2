//! Assess and notify through the ports: severity routes pages, redelivery
//! never double-pages, and a failed send is retried.

use crate::Harness;
use klaxon_core::app::{assess, intake, notify};
use klaxon_core::domain::{Audience, DeadlineKind, EventKind, Severity, Source, Status};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};

/// Runs a report through assess and returns what the triage committed:
/// `Incident Triaged`, then (for a paging severity) the first level's
/// `Escalation Triggered`.
async fn triage(h: &Harness, cvss: Option<&str>) -> Vec<klaxon_core::domain::DomainEvent> {
    // Words that say nothing, so the CVSS score (or, with none, the
    // default) decides the severity this test is about.
    let report = klaxon_core::domain::Report::parse(klaxon_core::domain::ReportInput {
        title: Some("t".into()),
        description: Some("Details to follow.".into()),
        cvss: cvss.map(Into::into),
        tenant: Some("acme.atlassian.net".into()),
        ..Default::default()
    })
    .expect("valid report");
    intake::submit(&h.app, Source::Report, report, None)
        .await
        .expect("submit");
    let received = h.publisher.published().pop().expect("Report Received");
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("assess"),
        assess::Outcome::Triaged
    );
    let events: Vec<_> = h.publisher.published().into_iter().skip(1).collect();
    assert_eq!(events[0].kind, EventKind::IncidentTriaged);
    events
}

async fn notify_all(h: &Harness, events: &[klaxon_core::domain::DomainEvent]) -> usize {
    let mut n = 0;
    for e in events {
        n += notify::on_event(&h.app, e).await.expect("notify");
    }
    n
}

/// Severity decides who hears: SEV-1/2 page the primary on-call at once
/// (the escalation policy's first level) and get a Critical/High notice
/// drafted for comms; every severity tells the security team. A report
/// nothing places (no class, score or source severity) is SEV-3 but needs
/// triage: it pages the primary too.
#[tokio::test]
async fn audiences_follow_severity() {
    let cases = [
        (
            Some(klaxon_tests::CRITICAL),
            Severity::Sev1,
            vec![
                Audience::SecurityTeam,
                Audience::Comms,
                Audience::OncallPrimary,
            ],
        ),
        (
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Severity::Sev2,
            vec![
                Audience::SecurityTeam,
                Audience::Comms,
                Audience::OncallPrimary,
            ],
        ),
        (
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
            Severity::Sev3,
            vec![Audience::SecurityTeam],
        ),
        (
            None,
            Severity::Sev3,
            vec![Audience::SecurityTeam, Audience::OncallPrimary],
        ),
        (
            Some("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"),
            Severity::Sev4,
            vec![Audience::SecurityTeam],
        ),
    ];
    for (cvss, sev, audiences) in cases {
        let h = Harness::sqlite();
        let events = triage(&h, cvss).await;
        let event = events[0].clone();
        assert_eq!(event.severity, Some(sev), "{cvss:?}");
        assert_eq!(notify_all(&h, &events).await, audiences.len());
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
    let events = triage(&h, Some(klaxon_tests::CRITICAL)).await;
    let received = h.publisher.published()[0].clone();
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("again"),
        assess::Outcome::AlreadyTriaged
    );
    assert_eq!(notify_all(&h, &events).await, 3);
    assert_eq!(notify_all(&h, &events).await, 0);
    assert_eq!(h.notifier.sent().len(), 3);
    let timeline = h
        .app
        .store
        .timeline(events[0].incident_id)
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
    let events = triage(&h, Some(klaxon_tests::CRITICAL)).await;
    let page = events
        .iter()
        .find(|e| e.kind == EventKind::EscalationTriggered)
        .expect("first level pages at triage");
    assert!(
        notify::on_event(&h.app, page).await.is_err(),
        "first send fails"
    );
    assert!(h.notifier.sent().is_empty());
    assert_eq!(notify::on_event(&h.app, page).await.expect("retry"), 1);
    let sent = h.notifier.sent();
    assert_eq!(sent[0].audience, Audience::OncallPrimary);
    assert!(
        sent[0].subject.contains("SEV-1 Critical"),
        "{}",
        sent[0].subject
    );
}

/// A sender that died between claiming a page and sending it leaves a
/// claim that is not a delivery: a redelivery in the meantime fails
/// retryably (the event stays pending) instead of counting the page as
/// sent, and once the claim's lease runs out the page goes out once.
#[tokio::test]
async fn a_dead_senders_claim_delays_the_page_but_never_drops_it() {
    let h = Harness::sqlite();
    let events = triage(&h, Some(klaxon_tests::CRITICAL)).await;
    let page = events
        .iter()
        .find(|e| e.kind == EventKind::EscalationTriggered)
        .expect("page event");
    let key = format!("notify#{}#oncall-primary#page", page.id);
    // The crashed sender: claimed, never sent, never completed.
    assert!(
        h.app
            .store
            .try_claim(
                &klaxon_core::ports::LedgerKey::new("notify", &key),
                h.app.clock.now(),
                chrono::Duration::seconds(120)
            )
            .await
            .expect("claim")
    );
    let err = notify::on_event(&h.app, page)
        .await
        .expect_err("not delivered yet");
    assert_eq!(err.error_type(), "Retryable.Notify", "{err}");
    assert!(
        h.notifier.sent().is_empty(),
        "nothing was sent twice or early"
    );
    h.clock.advance(chrono::Duration::seconds(121));
    assert_eq!(
        notify::on_event(&h.app, page)
            .await
            .expect("after the lease"),
        1
    );
    assert_eq!(
        notify::on_event(&h.app, page).await.expect("redelivered"),
        0
    );
    let pages: Vec<_> = h
        .notifier
        .sent()
        .into_iter()
        .filter(|m| m.audience == Audience::OncallPrimary)
        .collect();
    assert_eq!(pages.len(), 1, "paged exactly once");
}

/// The delivery guard: a held claim blocks a second one; a failed act gives
/// it back for the retry; a done act stays done; keys are claimed in order
/// and the first taken one is named.
#[tokio::test]
async fn the_delivery_guard_claims_acts_and_settles() {
    use klaxon_core::app::delivery::{self, Claim, Lease};
    use klaxon_core::ports::{LedgerKey, StoreError};
    let h = Harness::sqlite();
    let app = &h.app;
    let key = || LedgerKey::new("test", "effect-1");

    let guard = delivery::claim_one(app, key(), Lease::Attempt)
        .await
        .expect("claim")
        .expect("first claim is held");
    assert!(
        delivery::claim_one(app, key(), Lease::Attempt)
            .await
            .expect("claim")
            .is_none(),
        "held elsewhere"
    );
    let failed: Result<(), StoreError> = Err(StoreError::Unavailable("down".into()));
    assert!(guard.settle(failed).await.is_err());
    assert!(!delivery::delivered(app, &key()).await.expect("read"));

    let guard = delivery::claim_one(app, key(), Lease::Attempt)
        .await
        .expect("claim")
        .expect("released, so the retry holds it");
    assert_eq!(guard.settle(Ok::<_, StoreError>(7)).await.expect("done"), 7);
    assert!(delivery::delivered(app, &key()).await.expect("read"));
    assert!(
        delivery::claim_one(app, key(), Lease::Attempt)
            .await
            .expect("claim")
            .is_none()
    );

    let keys = vec![
        LedgerKey::new("test", "a"),
        key(),
        LedgerKey::new("test", "b"),
    ];
    match delivery::claim(app, keys, Lease::Attempt)
        .await
        .expect("claim")
    {
        Claim::Taken { taken, earlier } => {
            assert_eq!(taken, 1);
            earlier.release().await.expect("release");
        }
        Claim::Held(_) => panic!("effect-1 is done"),
    }
    let a = delivery::claim_one(app, LedgerKey::new("test", "a"), Lease::Attempt)
        .await
        .expect("claim");
    assert!(a.is_some(), "the earlier claim was given back");
    let b = delivery::claim_one(app, LedgerKey::new("test", "b"), Lease::Attempt)
        .await
        .expect("claim");
    assert!(b.is_some(), "keys after the taken one were never claimed");
    for g in [a, b].into_iter().flatten() {
        g.release().await.expect("release");
    }
}
