//! The outbox relay: an event whose publish failed, or whose process died
//! before publishing, is re-published by the sweep, on both stores.

use crate::{Harness, dynamo_store, sqlite_store};
use chrono::Duration;
use klaxon_core::app::{escalate, intake, outbox};
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
        klaxon_tests::report("bus down", None),
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
