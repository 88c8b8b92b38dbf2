//! Integration tests, in one binary so the AWS SDK is linked once.
//!
//! AWS adapters run against moto (started by `make test`); the SQLite store
//! runs in a temp dir. See `tests/support` for the shared pieces.

mod ack_links;
mod assessment;
mod aws_e2e;
mod conformance;
mod contract;
mod escalation;
mod faults;
mod heartbeats;
mod http_intake;
mod keys;
mod lambda_runtime;
mod notify;
mod oncall;
mod openapi;
mod outbox;
mod paging_people;
mod report_form;
mod request_count;
mod respond;
mod secrets;
mod sms_doctor;
mod sns_fanout;
mod webhooks;

use klaxon_core::App;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{Relay, Wiring};
use klaxon_core::config::Settings;
use klaxon_core::ports::{ManualClock, Store};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use std::sync::Arc;

/// An app over the given store with recording publish and notify ports.
pub struct Harness {
    pub app: Arc<App>,
    pub publisher: Arc<RecordingPublisher>,
    pub notifier: Arc<RecordingNotifier>,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub fn new(
        store: Arc<dyn Store>,
        publisher: RecordingPublisher,
        notifier: RecordingNotifier,
    ) -> Self {
        Self::with_settings(store, publisher, notifier, Settings::default())
    }

    pub fn with_settings(
        store: Arc<dyn Store>,
        publisher: RecordingPublisher,
        notifier: RecordingNotifier,
        settings: Settings,
    ) -> Self {
        Self::with_relay(store, publisher, notifier, settings, Relay::Inline)
    }

    pub fn with_relay(
        store: Arc<dyn Store>,
        publisher: RecordingPublisher,
        notifier: RecordingNotifier,
        settings: Settings,
        relay: Relay,
    ) -> Self {
        let publisher = Arc::new(publisher);
        let notifier = Arc::new(notifier);
        let clock = Arc::new(ManualClock::new(klaxon_tests::t0()));
        let app = Arc::new(App::new(Wiring {
            store,
            publisher: publisher.clone(),
            notifier: notifier.clone(),
            clock: clock.clone(),
            relay,
            settings,
        }));
        Self {
            app,
            publisher,
            notifier,
            clock,
        }
    }

    /// Every event still pending in the outbox (up to 1,000).
    pub async fn pending(&self) -> Vec<klaxon_core::domain::DomainEvent> {
        self.app
            .store
            .pending_events(klaxon_tests::t0() + chrono::Duration::days(1), 1000)
            .await
            .expect("pending")
    }

    /// How many incidents the store holds, in any status.
    pub async fn stored(&self) -> usize {
        let mut n = 0;
        for s in klaxon_core::domain::Status::ALL {
            n += self
                .app
                .store
                .list_by_status(s, 1000)
                .await
                .expect("list")
                .len();
        }
        n
    }

    pub fn sqlite() -> Self {
        Self::new(
            sqlite_store(),
            RecordingPublisher::default(),
            RecordingNotifier::default(),
        )
    }
}

pub fn sqlite_store() -> Arc<dyn Store> {
    Arc::new(SqliteIncidentStore::in_memory().expect("open sqlite"))
}

pub async fn dynamo_store() -> Arc<dyn Store> {
    let sdk = klaxon_tests::emulator::sdk().await;
    let table = klaxon_tests::emulator::table(&sdk).await;
    Arc::new(klaxon_core::adapters::dynamo::DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        table,
    ))
}
