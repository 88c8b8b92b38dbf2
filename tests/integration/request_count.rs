//! The AWS requests one report costs on the intake path, counted by an SDK
//! interceptor on the real DynamoDB and EventBridge clients (against moto).
//! `docs/PERFORMANCE.md` records the figures and the target.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use bytes::Bytes;
use klaxon_core::adapters::dynamo::DynamoIncidentStore;
use klaxon_core::adapters::eventbridge::EventBridgePublisher;
use klaxon_core::adapters::sns::SnsNotifier;
use klaxon_core::app::{App, Relay, Wiring};
use klaxon_core::config::Settings;
use klaxon_core::http::{self, Routes};
use klaxon_core::ports::SystemClock;
use klaxon_tests::emulator::Stack;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Counts every request sent (retries included), by operation.
#[derive(Debug, Clone, Default)]
struct Counter(Arc<Mutex<BTreeMap<String, u32>>>);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "Counter"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            *map.entry(format!("{}.{}", m.service(), m.name()))
                .or_default() += 1;
        }
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> BTreeMap<String, u32> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// An App over moto whose DynamoDB and EventBridge clients count requests.
async fn counted_app(stack: &Stack, counter: &Counter, settings: Settings) -> Arc<App> {
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let events = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&stack.sdk)
            .interceptor(counter.clone())
            .build(),
    );
    Arc::new(App::new(Wiring {
        store: Arc::new(DynamoIncidentStore::new(dynamo, &stack.resources.table)),
        publisher: Arc::new(EventBridgePublisher::new(
            events,
            &stack.resources.event_bus,
        )),
        notifier: Arc::new(SnsNotifier::new(
            aws_sdk_sns::Client::new(&stack.sdk),
            stack.resources.topics.clone(),
        )),
        clock: Arc::new(SystemClock),
        relay: Relay::Inline,
        settings,
    }))
}

/// One report through the intake handler costs one DynamoDB transaction and
/// one PutEvents, plus the write that marks its event published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_requests_per_report() {
    let stack = Stack::create().await;
    let counter = Counter::default();
    let app = counted_app(&stack, &counter, Settings::default()).await;
    let mut per_report = Vec::new();
    for n in 0..3 {
        let body = serde_json::json!({"title": format!("XSS in macro {n}"), "description": "Stored XSS in the macro editor."});
        let req = ::http::Request::post("/reports")
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .expect("request");
        let resp = http::handle(&app, Routes::Intake, req).await;
        assert_eq!(resp.status(), 202);
        per_report.push(counter.take());
    }
    for counts in per_report {
        let want = BTreeMap::from([
            ("DynamoDB.TransactWriteItems".to_owned(), 1),
            ("DynamoDB.UpdateItem".to_owned(), 1),
            ("EventBridge.PutEvents".to_owned(), 1),
        ]);
        assert_eq!(counts, want, "requests for one report");
    }
}

/// A storm: the same PagerDuty alert again and again. The first trigger
/// opens the incident; the first repeat finds it and opens its counter;
/// from then on each repeat costs one `UpdateItem` and no `PutEvents`, and
/// every 202 is one more occurrence on the incident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_costs_one_update() {
    const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";
    let stack = Stack::create().await;
    let counter = Counter::default();
    let mut settings = Settings::default();
    settings.intake.pagerduty_routing_keys = vec![klaxon_core::config::Secret::new(PD_KEY)];
    let app = counted_app(&stack, &counter, settings).await;
    let trigger = |severity: &str| {
        let body = serde_json::json!({
            "routing_key": PD_KEY, "event_action": "trigger", "dedup_key": "disk-full-web-1",
            "payload": {"summary": "disk 97% on web-1", "source": "web-1", "severity": severity}
        });
        ::http::Request::post("/v2/enqueue")
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .expect("request")
    };
    let mut ids = Vec::new();
    let mut costs = Vec::new();
    for _ in 0..6 {
        let resp = http::handle(&app, Routes::Intake, trigger("warning")).await;
        assert_eq!(resp.status(), 202);
        let body: serde_json::Value = serde_json::from_slice(resp.body()).expect("json");
        ids.push(body["incident_id"].as_str().expect("id").to_owned());
        costs.push(counter.take());
    }
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    assert!(
        costs[0].contains_key("EventBridge.PutEvents"),
        "the first trigger opens it: {:?}",
        costs[0]
    );
    for (n, counts) in costs.iter().enumerate().skip(2) {
        let want = BTreeMap::from([("DynamoDB.UpdateItem".to_owned(), 1)]);
        assert_eq!(counts, &want, "requests for repeat {n}");
    }
    // A repeat with a more severe signal than any assessed is re-assessed;
    // one with nothing new again costs one write.
    let resp = http::handle(&app, Routes::Intake, trigger("critical")).await;
    assert_eq!(resp.status(), 202);
    let escalated = counter.take();
    assert!(
        escalated.contains_key("DynamoDB.TransactWriteItems"),
        "{escalated:?}"
    );
    let resp = http::handle(&app, Routes::Intake, trigger("critical")).await;
    assert_eq!(resp.status(), 202);
    assert_eq!(
        counter.take(),
        BTreeMap::from([("DynamoDB.UpdateItem".to_owned(), 1)])
    );
    let id = ids[0].parse().expect("ulid");
    let incident = app.store.get(id).await.expect("get").expect("present");
    assert_eq!(incident.occurrences, 8, "every 202 is an occurrence");
}
