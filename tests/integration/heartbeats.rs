//! Heartbeat monitors driven by the sweep with a manual clock: beaten on
//! time, a monitor stays quiet; late, it opens exactly one incident, which
//! is assessed at the monitor's severity and pages; when beats resume, the
//! recovery is noted on that incident.

use crate::Harness;
use chrono::Duration;
use klaxon_core::app::{assess, escalate, heartbeat, notify};
use klaxon_core::domain::heartbeat::{MonitorName, MonitorSpec};
use klaxon_core::domain::{Audience, EventKind, Severity, Source, TimelineKind};
use klaxon_core::ports::Clock;

fn name() -> MonitorName {
    MonitorName::parse("guardduty").expect("name")
}

/// An hourly monitor with five minutes' grace, raised at `severity`.
async fn hourly(h: &Harness, severity: Severity) {
    heartbeat::configure(
        &h.app,
        MonitorSpec {
            name: name(),
            interval_secs: 3600,
            grace_secs: 300,
            severity,
            source: Some(Source::Guardduty),
        },
    )
    .await
    .expect("configure");
}

/// Advances the clock by `minutes`, sweeping every minute on the way.
async fn sweep_for(h: &Harness, minutes: i64) -> usize {
    let mut late = 0;
    for _ in 0..minutes {
        h.clock.advance(Duration::minutes(1));
        late += escalate::tick(&h.app).await.expect("tick").late_monitors;
    }
    late
}

/// Beats every 50 minutes for five hours: never late, nothing stored.
#[tokio::test]
async fn beaten_on_time_stays_quiet() {
    let h = Harness::sqlite();
    hourly(&h, Severity::Sev1).await;
    for _ in 0..6 {
        assert_eq!(sweep_for(&h, 50).await, 0);
        heartbeat::beat(&h.app, &name(), "test")
            .await
            .expect("beat")
            .expect("the monitor exists");
    }
    assert_eq!(h.stored().await, 0);
    assert!(h.publisher.published().is_empty());
    // The grace counts: 64 minutes after the last beat is still on time.
    assert_eq!(sweep_for(&h, 64).await, 0);
    assert_eq!(h.stored().await, 0);
}

/// Late: one incident, however many sweeps follow; assessed at the
/// monitor's severity, it pages the primary on-call.
#[tokio::test]
async fn late_opens_exactly_one_incident_and_pages() {
    let h = Harness::sqlite();
    hourly(&h, Severity::Sev1).await;
    assert_eq!(sweep_for(&h, 64).await, 0, "not yet: an hour and the grace");
    assert_eq!(sweep_for(&h, 1).await, 1, "late at 65 minutes");
    assert_eq!(sweep_for(&h, 120).await, 0, "still one silence");
    assert_eq!(h.stored().await, 1);

    let m = h
        .app
        .store
        .monitor(&name())
        .await
        .expect("read")
        .expect("monitor");
    let id = m.late_incident.expect("the monitor names its incident");
    let received: Vec<_> = h
        .publisher
        .published()
        .into_iter()
        .filter(|e| e.kind == EventKind::ReportReceived)
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(
        assess::on_event(&h.app, &received[0])
            .await
            .expect("assess"),
        assess::Outcome::Triaged
    );
    let incident = h.app.store.get(id).await.expect("get").expect("incident");
    assert_eq!(incident.title, "guardduty has been silent for 65 min");
    assert_eq!(
        incident.severity,
        Some(Severity::Sev1),
        "{:?}",
        incident.assessment
    );
    assert_eq!(incident.source, Source::Heartbeat);

    let page = h
        .publisher
        .published()
        .into_iter()
        .find(|e| e.kind == EventKind::EscalationTriggered && e.incident_id == id)
        .expect("a SEV-1 pages at once");
    assert_eq!(
        page.step.as_ref().map(|s| s.audience),
        Some(Audience::OncallPrimary)
    );
    assert_eq!(notify::on_event(&h.app, &page).await.expect("notify"), 1);
    let sent = h.notifier.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].subject.contains("silent"), "{}", sent[0].subject);
}

/// Beats resume: the recovery is on the late incident's timeline, the
/// monitor is watched again, and a later silence is a new incident.
#[tokio::test]
async fn resumed_beats_note_the_recovery() {
    let h = Harness::sqlite();
    hourly(&h, Severity::Sev2).await;
    assert_eq!(sweep_for(&h, 90).await, 1);
    let first = h
        .app
        .store
        .monitor(&name())
        .await
        .expect("read")
        .and_then(|m| m.late_incident)
        .expect("late");

    // Any intake from the named source beats it.
    heartbeat::beat_source(&h.app, Source::Guardduty).await;
    let m = h
        .app
        .store
        .monitor(&name())
        .await
        .expect("read")
        .expect("monitor");
    assert_eq!(m.late_incident, None);
    assert_eq!(m.last_beat_at, Some(h.clock.now()));
    let notes: Vec<_> = h
        .app
        .store
        .timeline(first)
        .await
        .expect("timeline")
        .into_iter()
        .filter(|e| e.kind == TimelineKind::Note)
        .map(|e| e.message.to_string())
        .collect();
    assert_eq!(
        notes,
        ["beats resumed: guardduty beat again (guardduty) after 90 min of silence"]
    );
    // A source no monitor names beats nothing.
    heartbeat::beat_source(&h.app, Source::Github).await;

    assert_eq!(sweep_for(&h, 64).await, 0, "on time again");
    assert_eq!(sweep_for(&h, 1).await, 1, "a new silence");
    assert_eq!(h.stored().await, 2);
    let second = h
        .app
        .store
        .monitor(&name())
        .await
        .expect("read")
        .and_then(|m| m.late_incident)
        .expect("late again");
    assert_ne!(second, first);
}
