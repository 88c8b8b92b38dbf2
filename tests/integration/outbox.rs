//! The outbox relay: an event whose publish failed, or whose process died
//! before publishing, is re-published by the sweep, on both stores.

use crate::{Harness, dynamo_store, sqlite_store};
use chrono::Duration;
use klaxon_core::app::{Relay, Wiring, escalate, intake, outbox};
use klaxon_core::domain::{EventKind, Source};
use klaxon_core::ports::Store;
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use std::sync::Arc;

async fn failed_publish_is_retried_by_the_sweep(store: Arc<dyn Store>) {
    let h = Harness::new(
        store,
        RecordingPublisher::failing(1),
        RecordingNotifier::default(),
    );
    let created = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report("Reflected XSS in the search preview", None),
        None,
    )
    .await
    .expect("submit succeeds even though the bus is down");
    assert!(h.publisher.published().is_empty());
    let id = created.incident.id;

    // Within the grace period the sweep leaves it to the request that committed it.
    let tick = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(tick.republished, 0);

    h.clock
        .advance(Duration::seconds(outbox::SWEEP_GRACE_SECS + 1));
    let tick = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(tick.republished, 1);
    let published = h.publisher.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kind, EventKind::ReportReceived);
    assert_eq!(published[0].incident_id, id);

    // Marked: the next sweep publishes nothing more.
    h.clock.advance(Duration::minutes(1));
    assert_eq!(escalate::tick(&h.app).await.expect("tick").republished, 0);
    assert_eq!(h.publisher.published().len(), 1);
}

async fn events_of_a_dead_process_are_recovered(store: Arc<dyn Store>) {
    // The process committed and died before publishing: nothing flushed.
    let new = klaxon_tests::new_incident("died", None, klaxon_tests::t0());
    store.create(new.clone()).await.expect("create");
    let h = Harness::new(
        store,
        RecordingPublisher::default(),
        RecordingNotifier::default(),
    );
    let recovered = outbox::recover(&h.app).await.expect("recover");
    assert_eq!(recovered, 1);
    assert_eq!(h.publisher.published()[0].id, new.events[0].id);
    assert_eq!(outbox::recover(&h.app).await.expect("recover"), 0);
}

#[tokio::test]
async fn sqlite_failed_publish_is_retried_by_the_sweep() {
    failed_publish_is_retried_by_the_sweep(sqlite_store()).await;
}

#[tokio::test]
async fn dynamo_failed_publish_is_retried_by_the_sweep() {
    failed_publish_is_retried_by_the_sweep(dynamo_store().await).await;
}

#[tokio::test]
async fn sqlite_events_of_a_dead_process_are_recovered() {
    events_of_a_dead_process_are_recovered(sqlite_store()).await;
}

#[tokio::test]
async fn dynamo_events_of_a_dead_process_are_recovered() {
    events_of_a_dead_process_are_recovered(dynamo_store().await).await;
}

/// Polls `done` every 20 ms for up to ten seconds.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("not within ten seconds: {what}");
}

fn background(publisher: RecordingPublisher) -> Harness {
    Harness::with_relay(
        sqlite_store(),
        publisher,
        RecordingNotifier::default(),
        Default::default(),
        Relay::Background,
    )
}

/// `klaxon serve`'s background relay publishes every event committed by a
/// burst of concurrent reports, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_relay_publishes_every_committed_event_once() {
    let h = background(RecordingPublisher::default());
    let submits: Vec<_> = (0..300)
        .map(|i| {
            let app = Arc::clone(&h.app);
            tokio::spawn(async move {
                intake::submit(
                    &app,
                    Source::Report,
                    klaxon_tests::report(&format!("burst {i}"), None),
                    None,
                )
                .await
                .expect("submit")
                .incident
                .id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for s in submits {
        ids.push(s.await.expect("task"));
    }
    eventually("every event published", async || {
        let pending = h.pending().await;
        pending.is_empty() && h.publisher.published().len() >= 300
    })
    .await;
    let published = h.publisher.published();
    let mut seen = std::collections::HashSet::new();
    assert!(
        published.iter().all(|e| seen.insert(e.id)),
        "an event was published twice"
    );
    let received: std::collections::HashSet<_> = published
        .iter()
        .filter(|e| e.kind == EventKind::ReportReceived)
        .map(|e| e.incident_id)
        .collect();
    assert!(ids.iter().all(|id| received.contains(id)));
    assert_eq!(received.len(), 300);
}

/// A publish that fails is not retried on every wake (a down bus must not
/// spin the relay): newer events still go out, and the failed one goes out
/// when the escalation tick's sweep asks the relay to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_relay_leaves_a_failure_to_the_sweep() {
    let h = background(RecordingPublisher::failing(1));
    // Reports that page no one: a paging one takes the urgent lane instead.
    let first = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report("Verbose server banner on the docs site", None),
        None,
    )
    .await
    .expect("submit succeeds while the bus is down")
    .incident
    .id;
    // The relay tried and failed once; it does not try again on its own.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(h.publisher.published().is_empty());
    let second = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report("Missing security headers on the status page", None),
        None,
    )
    .await
    .expect("submit")
    .incident
    .id;
    eventually("the second report published", async || {
        h.publisher
            .published()
            .iter()
            .any(|e| e.incident_id == second)
    })
    .await;
    assert!(
        h.publisher
            .published()
            .iter()
            .all(|e| e.incident_id != first),
        "the failed event was retried on a wake"
    );
    let tick = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(tick.republished, 0, "the relay, not the sweep, republishes");
    eventually("the failed event republished", async || {
        h.publisher
            .published()
            .iter()
            .any(|e| e.incident_id == first)
    })
    .await;
    let pending = h.pending().await;
    assert!(pending.is_empty(), "{pending:?}");
}

/// At start-up `klaxon serve` hands what a dead process left pending to the
/// background relay, without waiting for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_relays_what_a_dead_process_left() {
    let store = sqlite_store();
    let new = klaxon_tests::new_incident("died", None, klaxon_tests::t0());
    store.create(new.clone()).await.expect("create");
    let h = Harness::with_relay(
        store,
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Default::default(),
        Relay::Background,
    );
    outbox::resume(&h.app);
    eventually("the dead process's event published", async || {
        h.publisher
            .published()
            .iter()
            .any(|e| e.id == new.events[0].id)
    })
    .await;
}

/// Panics while publishing any event of `poison`; records the rest.
struct PanicsOn {
    poison: std::sync::Mutex<Option<klaxon_core::domain::IncidentId>>,
    attempts: std::sync::atomic::AtomicUsize,
    published: std::sync::Mutex<Vec<klaxon_core::domain::DomainEvent>>,
}

#[async_trait::async_trait]
impl klaxon_core::ports::EventPublisher for PanicsOn {
    async fn publish(
        &self,
        events: &[klaxon_core::domain::DomainEvent],
    ) -> Result<(), klaxon_core::ports::PublishError> {
        let poison = *self.poison.lock().expect("lock");
        if events.iter().any(|e| Some(e.incident_id) == poison) {
            self.attempts
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            panic!("a consumer panicked");
        }
        self.published
            .lock()
            .expect("lock")
            .extend_from_slice(events);
        Ok(())
    }
}

/// A lane that panics leaves its events for the sweep, like a failed
/// publish: the relay neither spins on them nor stops relaying others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_relay_survives_a_panicking_lane() {
    let store = sqlite_store();
    let bad = klaxon_tests::new_incident("poison", None, klaxon_tests::t0());
    store.create(bad.clone()).await.expect("create");
    let publisher = Arc::new(PanicsOn {
        poison: std::sync::Mutex::new(Some(bad.incident.id)),
        attempts: Default::default(),
        published: Default::default(),
    });
    let app = Arc::new(klaxon_core::app::App::new(Wiring {
        store,
        publisher: publisher.clone(),
        notifier: Arc::new(RecordingNotifier::default()),
        clock: Arc::new(klaxon_core::ports::ManualClock::new(klaxon_tests::t0())),
        relay: Relay::Background,
        settings: Default::default(),
    }));
    outbox::resume(&app);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let good = intake::submit(
        &app,
        Source::Report,
        klaxon_tests::report("fine", None),
        None,
    )
    .await
    .expect("submit")
    .incident
    .id;
    eventually("the good report published", async || {
        publisher
            .published
            .lock()
            .expect("lock")
            .iter()
            .any(|e| e.incident_id == good)
    })
    .await;
    assert_eq!(
        publisher.attempts.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the panicking event was retried before the sweep asked"
    );
    // The sweep asks; the event goes out once it no longer panics.
    *publisher.poison.lock().expect("lock") = None;
    escalate::tick(&app).await.expect("tick");
    eventually("the once-panicking event published", async || {
        publisher
            .published
            .lock()
            .expect("lock")
            .iter()
            .any(|e| e.incident_id == bad.incident.id)
    })
    .await;
}
