//! AWS faults injected with aws-smithy-mocks into the real adapters: DynamoDB
//! throttling, 5xx and cancelled transactions, SNS throttling, EventBridge
//! 5xx and partial failures, and poison events. Each fault is retried a
//! bounded number of times (the SDK's standard retry, then the store's own
//! conflict retries), then surfaces as a retryable error with a meaningful
//! `error_type`; nothing is lost and nothing is written twice. An SNS 5xx is
//! in `sns_fanout.rs`.
//!
//! Responses are the SDKs' typed outputs and errors, carrying the error code
//! a real response would. Every AWS call is answered by a mock: no emulator.

use crate::Harness;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::error::{
    ProvisionedThroughputExceededException, ThrottlingException, TransactionCanceledException,
};
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsInput, PutEventsOutput};
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_sdk_sns::types::error::KmsThrottlingException;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
use bytes::Bytes;
use chrono::Duration;
use klaxon_core::adapters::aws::{self, SDK_MAX_ATTEMPTS};
use klaxon_core::adapters::dynamo::DynamoIncidentStore;
use klaxon_core::adapters::eventbridge::EventBridgePublisher;
use klaxon_core::adapters::sns::SnsNotifier;
use klaxon_core::app::{App, HandlerError, Relay, Wiring, assess, intake, notify, outbox};
use klaxon_core::domain::{Audience, DomainEvent, EventKind, Severity, Source};
use klaxon_core::http::{self, Routes};
use klaxon_core::ports::{EventPublisher, ManualClock, PublishError as BusError, StoreError};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

type Item = HashMap<String, AttributeValue>;

/// Klaxon's retry config with a 1 ms first backoff: the attempts are the
/// adapters', the waiting is not worth a test's time.
pub(crate) fn retry() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    aws::retry_config().with_initial_backoff(std::time::Duration::from_millis(1))
}

/// A retry partition of its own per client, so one test's retries never
/// drain the token bucket another test's client retries from.
pub(crate) fn partition() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("klaxon-faults-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

pub(crate) fn interceptor(mode: RuleMode, rules: &[&Rule]) -> MockResponseInterceptor {
    rules
        .iter()
        .fold(MockResponseInterceptor::new().rule_mode(mode), |i, r| {
            i.with_rule(r)
        })
}

/// A client of `$sdk` as the adapters get it, answered from `$rules`.
macro_rules! mocked {
    ($sdk:ident, $mode:expr, $rules:expr) => {{
        use $sdk::config::{BehaviorVersion, Credentials, Region, retry::RetryPartition};
        let conf = $sdk::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config($crate::faults::retry())
            .retry_partition(RetryPartition::new($crate::faults::partition()))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor($crate::faults::interceptor($mode, $rules))
            .build();
        $sdk::Client::from_conf(conf)
    }};
}
pub(crate) use mocked;

/// Error metadata as the SDK reads it off a real error response.
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// A `TransactionCanceledException` with one reason code per item.
fn cancelled(reasons: &[&str]) -> TransactWriteItemsError {
    TransactWriteItemsError::TransactionCanceledException(
        TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(
                reasons
                    .iter()
                    .map(|c| CancellationReason::builder().code(*c).build())
                    .collect(),
            ))
            .message(
                "Transaction cancelled, please refer cancellation reasons for specific reasons",
            )
            .meta(meta(
                "TransactionCanceledException",
                "Transaction cancelled",
            ))
            .build(),
    )
}

/// The faults DynamoDB answers a `TransactWriteItems` with under load.
#[derive(Debug, Clone, Copy)]
enum Fault {
    ThroughputExceeded,
    Throttling,
    /// HTTP 500, DynamoDB's `InternalServerError`.
    ServerError,
    /// A transaction cancelled because an item was throttled: not a
    /// throttling error to the SDK, so it is not retried there.
    CancelledThrottled,
}

impl Fault {
    const ALL: [Fault; 4] = [
        Self::ThroughputExceeded,
        Self::Throttling,
        Self::ServerError,
        Self::CancelledThrottled,
    ];

    /// The modeled error, or `None` for a bare HTTP 500.
    fn error(self) -> Option<fn() -> TransactWriteItemsError> {
        match self {
            Self::ThroughputExceeded => Some(|| {
                TransactWriteItemsError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder()
                        .message("The level of configured provisioned throughput for the table was exceeded")
                        .meta(meta(
                            "ProvisionedThroughputExceededException",
                            "throughput exceeded",
                        ))
                        .build(),
                )
            }),
            Self::Throttling => Some(|| {
                TransactWriteItemsError::ThrottlingException(
                    ThrottlingException::builder()
                        .message("Throughput exceeds the current capacity of your table or index")
                        .meta(meta("ThrottlingException", "throttled"))
                        .build(),
                )
            }),
            Self::ServerError => None,
            Self::CancelledThrottled => Some(|| cancelled(&["ThrottlingError", "None", "None"])),
        }
    }

    /// Attempts one store call makes against this fault.
    fn attempts(self) -> usize {
        match self {
            Self::CancelledThrottled => 1,
            _ => SDK_MAX_ATTEMPTS as usize,
        }
    }
}

/// A create's `TransactWriteItems`: the only one that claims a reference.
fn is_create(req: &TransactWriteItemsInput) -> bool {
    req.transact_items().iter().any(|i| {
        i.put()
            .and_then(|p| p.item().get("pk"))
            .and_then(|v| v.as_s().ok())
            .is_some_and(|pk| pk.starts_with("REF#"))
    })
}

fn is_commit(req: &TransactWriteItemsInput) -> bool {
    !is_create(req)
}

fn written() -> TransactWriteItemsOutput {
    TransactWriteItemsOutput::builder().build()
}

/// `TransactWriteItems` calls that `matches` selects fail with `fault`
/// `failures` times, then succeed.
fn transact(fault: Fault, failures: usize, matches: fn(&TransactWriteItemsInput) -> bool) -> Rule {
    let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(matches)
        .sequence();
    let rule = match fault.error() {
        Some(error) => rule.error(error),
        None => rule.http_status(500, None),
    };
    rule.times(failures).output(written).build()
}

/// The one thing the reads in these tests need from the table: the `META`
/// item of the incident created last, remembered from the create request.
#[derive(Clone, Default)]
struct Table(Arc<Mutex<Option<Item>>>);

impl Table {
    /// Matches a create, remembering its `META` item.
    fn created(&self, req: &TransactWriteItemsInput) -> bool {
        if !is_create(req) {
            return false;
        }
        let meta = req
            .transact_items()
            .iter()
            .filter_map(|i| i.put())
            .find(|p| p.item().get("sk") == Some(&AttributeValue::S("META".into())));
        *self.0.lock().expect("lock") = meta.map(|p| p.item().clone());
        true
    }

    /// A read of an incident: the query for its `META` (and repeat counter).
    fn get(&self, req: &QueryInput) -> QueryOutput {
        let pk = req
            .expression_attribute_values()
            .and_then(|v| v.get(":pk"))
            .cloned();
        let item = self
            .0
            .lock()
            .expect("lock")
            .clone()
            .filter(|m| m.get("pk") == pk.as_ref());
        QueryOutput::builder()
            .set_items(item.map(|i| vec![i]))
            .build()
    }
}

/// An app over the DynamoDB store whose client the mocks answer: `faults`
/// first, then creates succeed (and are remembered for reads), a `Query`
/// reads them back and `UpdateItem` (marking events published) succeeds.
struct Dynamo {
    h: Harness,
    /// Reads of an incident (`Query` on its partition's `META` items).
    get: Rule,
    /// `UpdateItem` calls: one per event marked published.
    mark: Rule,
}

fn dynamo(faults: &[&Rule]) -> Dynamo {
    let table = Table::default();
    let t = table.clone();
    let create = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(move |req| t.created(req))
        .then_output(written);
    let get = mock!(aws_sdk_dynamodb::Client::query).then_compute_output(move |req| table.get(req));
    let mark = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let mut rules = faults.to_vec();
    rules.extend([&create, &get, &mark]);
    let client = mocked!(aws_sdk_dynamodb, RuleMode::MatchAny, &rules);
    let h = Harness::new(
        Arc::new(DynamoIncidentStore::new(client, "klaxon")),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
    );
    Dynamo { h, get, mark }
}

/// `POST /reports` through the intake router; the status and JSON body.
async fn post_report(h: &Harness) -> (u16, Value) {
    let body = json!({
        "title": "Auth bypass in admin API",
        "description": "Any session can call the admin endpoints.",
        "cvss": klaxon_tests::CRITICAL,
    });
    let req = ::http::Request::builder()
        .method("POST")
        .uri("/reports")
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("request");
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let json = serde_json::from_slice(resp.body()).expect("every response is JSON");
    (resp.status().as_u16(), json)
}

/// Throttling (`ProvisionedThroughputExceededException`,
/// `ThrottlingException`, a transaction cancelled for `ThrottlingError`) and
/// a 500 on the create's `TransactWriteItems` are attempted a bounded number
/// of times (the SDK's three; once for the cancellation, which the SDK does
/// not retry), then surface as `StoreError::Unavailable`: the reporter gets a
/// 503 JSON error with code `unavailable`, and a finding's Lambda fails with
/// `Retryable.Store`, so Lambda retries it (then the DLQ keeps it). Nothing
/// is stored or published.
#[tokio::test]
async fn dynamo_faults_on_create_are_retried_then_answered_503() {
    for fault in Fault::ALL {
        let rule = transact(fault, 100, is_create);
        let d = dynamo(&[&rule]);

        let (status, body) = post_report(&d.h).await;
        assert_eq!(status, 503, "{fault:?}: {body}");
        assert_eq!(body["error"]["code"], "unavailable", "{fault:?}");
        assert_eq!(rule.num_calls(), fault.attempts(), "{fault:?}");

        let err = intake::submit(
            &d.h.app,
            Source::Guardduty,
            klaxon_tests::report("finding", None),
            Some("gd-1".into()),
        )
        .await
        .expect_err("the store is throttled");
        assert!(
            matches!(err, StoreError::Unavailable(_)),
            "{fault:?}: {err}"
        );
        assert_eq!(HandlerError::Store(err).error_type(), "Retryable.Store");
        assert_eq!(rule.num_calls(), 2 * fault.attempts(), "{fault:?}");

        assert!(d.h.publisher.published().is_empty(), "{fault:?}");
        assert_eq!(d.mark.num_calls(), 0, "{fault:?}");
    }
}

/// When the throttling or 5xx clears within the SDK's attempts, the report is
/// accepted and written once: the retries re-send one request, with one
/// `ClientRequestToken`, so DynamoDB applies it at most once even if a 500'd
/// attempt had in fact landed; one `Report Received` is published and marked.
#[tokio::test]
async fn dynamo_fault_that_clears_is_written_once() {
    for fault in [
        Fault::ThroughputExceeded,
        Fault::Throttling,
        Fault::ServerError,
    ] {
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let seen = tokens.clone();
        let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items)
            .match_requests(move |req| {
                seen.lock()
                    .expect("lock")
                    .push(req.client_request_token().map(str::to_owned));
                true
            })
            .sequence();
        let rule = match fault.error() {
            Some(error) => rule.error(error),
            None => rule.http_status(500, None),
        };
        let rule = rule
            .times(SDK_MAX_ATTEMPTS as usize - 1)
            .output(written)
            .build();
        let d = dynamo(&[&rule]);

        let (status, body) = post_report(&d.h).await;
        assert_eq!(status, 202, "{fault:?}: {body}");
        assert_eq!(body["duplicate"], false);
        assert_eq!(rule.num_calls(), SDK_MAX_ATTEMPTS as usize, "{fault:?}");
        let tokens = tokens.lock().expect("lock").clone();
        assert_eq!(tokens.len(), 1, "one request, retried by the SDK");
        assert!(tokens[0].is_some(), "the SDK sets a ClientRequestToken");

        let published = d.h.publisher.published();
        assert_eq!(published.len(), 1, "{fault:?}");
        assert_eq!(published[0].kind, EventKind::ReportReceived);
        assert_eq!(
            published[0].incident_id.to_string(),
            body["incident_id"].as_str().expect("id")
        );
        assert_eq!(d.mark.num_calls(), 1, "marked published once");
    }
}

/// The same faults on a commit (assess triaging the incident): bounded
/// attempts, then the handler fails with `Retryable.Store`, a transaction
/// cancelled for `ThrottlingError` included (it is load, not a bug). Lambda's
/// retry, once the fault clears, triages the incident exactly once.
#[tokio::test]
async fn dynamo_faults_on_commit_are_retryable_and_the_retry_commits_once() {
    for fault in Fault::ALL {
        let rule = transact(fault, fault.attempts(), is_commit);
        let d = dynamo(&[&rule]);
        intake::submit(
            &d.h.app,
            Source::Report,
            klaxon_tests::report("RCE", Some(klaxon_tests::CRITICAL)),
            None,
        )
        .await
        .expect("submit");
        let received = d.h.publisher.published()[0].clone();

        let err = assess::on_event(&d.h.app, &received)
            .await
            .expect_err("the commit is throttled");
        assert!(
            matches!(err, HandlerError::Store(StoreError::Unavailable(_))),
            "{fault:?}: {err}"
        );
        assert_eq!(err.error_type(), "Retryable.Store", "{fault:?}");
        assert_eq!(rule.num_calls(), fault.attempts(), "{fault:?}");

        // Lambda retries the event; the fault has cleared.
        let outcome = assess::on_event(&d.h.app, &received)
            .await
            .expect("the retry");
        assert_eq!(outcome, assess::Outcome::Triaged, "{fault:?}");
        assert_eq!(rule.num_calls(), fault.attempts() + 1, "{fault:?}");
        let triaged =
            d.h.publisher
                .published()
                .iter()
                .filter(|e| e.kind == EventKind::IncidentTriaged)
                .count();
        assert_eq!(triaged, 1, "{fault:?}");
    }
}

/// A `TransactionCanceledException` for `TransactionConflict` on a create
/// (a concurrent write holds one of its items) is retried by the store with
/// backoff: a conflict that clears is written once; one that persists gives
/// up after five attempts with a 503.
#[tokio::test]
async fn transaction_conflicts_on_create_are_retried_a_bounded_number_of_times() {
    let conflict = || cancelled(&["None", "TransactionConflict", "None"]);
    let clears = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .error(conflict)
        .times(2)
        .output(written)
        .build();
    let d = dynamo(&[&clears]);
    let (status, body) = post_report(&d.h).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(clears.num_calls(), 3);
    assert_eq!(d.h.publisher.published().len(), 1);

    let persists = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .error(conflict)
        .times(100)
        .build();
    let d = dynamo(&[&persists]);
    let (status, body) = post_report(&d.h).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    // The first attempt and the store's four conflict retries.
    assert_eq!(persists.num_calls(), 5);
    assert!(d.h.publisher.published().is_empty());
}

/// On a commit, `TransactionConflict` is `StoreError::Conflict`: `app::update`
/// (here a severity override) reloads the incident and rebuilds the change,
/// committing once; if the conflicts persist it gives up after its retries
/// with a retryable `Unavailable`, and assess with `Retryable.Store`.
#[tokio::test]
async fn transaction_conflicts_on_commit_reload_and_retry() {
    let conflict = || cancelled(&["TransactionConflict", "None"]);
    let clears = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(is_commit)
        .sequence()
        .error(conflict)
        .output(written)
        .build();
    let d = dynamo(&[&clears]);
    let created = intake::submit(
        &d.h.app,
        Source::Report,
        klaxon_tests::report("RCE", None),
        None,
    )
    .await
    .expect("submit");
    let reads = d.get.num_calls();
    let updated = assess::override_severity(
        &d.h.app,
        created.incident,
        Severity::Sev2,
        "customer data exposed",
        "priya",
    )
    .await
    .expect("the retry commits");
    assert_eq!(updated.severity, Some(Severity::Sev2));
    assert_eq!(clears.num_calls(), 2, "one conflict, one commit");
    assert_eq!(d.get.num_calls(), reads + 1, "reloaded once");
    let changed =
        d.h.publisher
            .published()
            .iter()
            .filter(|e| e.kind == EventKind::SeverityChanged)
            .count();
    assert_eq!(changed, 1);

    let persists = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(is_commit)
        .sequence()
        .error(conflict)
        .times(100)
        .build();
    let d = dynamo(&[&persists]);
    let created = intake::submit(
        &d.h.app,
        Source::Report,
        klaxon_tests::report("RCE", None),
        None,
    )
    .await
    .expect("submit");
    let received = d.h.publisher.published()[0].clone();
    let err = assess::override_severity(&d.h.app, created.incident, Severity::Sev2, "x", "priya")
        .await
        .expect_err("always conflicting");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    // `app::update`'s conflict retries.
    assert_eq!(persists.num_calls(), 12);

    let err = assess::on_event(&d.h.app, &received)
        .await
        .expect_err("always conflicting");
    assert_eq!(err.error_type(), "Retryable.Store", "{err}");
    // Assess commits through `app::update` too: the same retries.
    assert_eq!(persists.num_calls(), 12 + 12);
}

const TOPICS: [(Audience, &str); 3] = [
    (
        Audience::OncallPrimary,
        "arn:aws:sns:us-east-1:123456789012:primary",
    ),
    (
        Audience::SecurityTeam,
        "arn:aws:sns:us-east-1:123456789012:team",
    ),
    (Audience::Comms, "arn:aws:sns:us-east-1:123456789012:comms"),
];

/// An app over SQLite that pages through SNS with `sns` and publishes to a
/// recording bus; returns it with the page event of a critical report.
pub(crate) async fn paging(sns: aws_sdk_sns::Client) -> (Arc<App>, DomainEvent) {
    let topics = TOPICS
        .iter()
        .map(|(a, arn)| (*a, (*arn).to_owned()))
        .collect::<BTreeMap<_, _>>();
    let publisher = Arc::new(RecordingPublisher::default());
    let app = Arc::new(App::new(Wiring {
        store: crate::sqlite_store(),
        publisher: publisher.clone(),
        notifier: Arc::new(SnsNotifier::new(sns, topics)),
        clock: Arc::new(ManualClock::new(klaxon_tests::t0())),
        relay: Relay::Inline,
        settings: klaxon_core::config::Settings::default(),
    }));
    intake::submit(
        &app,
        Source::Report,
        klaxon_tests::report("RCE", Some(klaxon_tests::CRITICAL)),
        None,
    )
    .await
    .expect("submit");
    let received = publisher.published()[0].clone();
    assess::on_event(&app, &received).await.expect("assess");
    let page = publisher
        .published()
        .into_iter()
        .find(|e| e.kind == EventKind::EscalationTriggered)
        .expect("page event");
    (app, page)
}

/// SNS's own throttling: not a modeled error of `Publish`, so the SDK reads
/// it by its code.
fn sns_throttling() -> PublishError {
    PublishError::generic(meta("Throttling", "Rate exceeded"))
}

/// The topic's KMS key throttled the request.
fn kms_throttling() -> PublishError {
    PublishError::KmsThrottlingException(
        KmsThrottlingException::builder()
            .message("KMS throttled the request")
            .meta(meta("KMSThrottling", "KMS throttled the request"))
            .build(),
    )
}

/// SNS throttling on `Publish`: `Throttling` is retried by the SDK (three
/// attempts); `KMSThrottling` (the topic's key is throttled) is not. Either
/// way notify fails with `Retryable.Notify` and gives its claim back, so
/// Lambda's retry pages once. (SNS 5xx: `sns_fanout.rs`.)
#[tokio::test]
async fn sns_throttling_is_retryable_notify_and_the_retry_pages_once() {
    let cases = [
        (
            "Throttling",
            sns_throttling as fn() -> PublishError,
            SDK_MAX_ATTEMPTS as usize,
        ),
        ("KMSThrottling", kms_throttling, 1),
    ];
    for (code, error, attempts) in cases {
        let rule = mock!(aws_sdk_sns::Client::publish)
            .sequence()
            .error(error)
            .times(attempts)
            .output(|| PublishOutput::builder().message_id("m-1").build())
            .build();
        let (app, page) = paging(mocked!(aws_sdk_sns, RuleMode::Sequential, &[&rule])).await;

        let err = notify::on_event(&app, &page)
            .await
            .expect_err("SNS is throttling");
        assert_eq!(err.error_type(), "Retryable.Notify", "{code}: {err}");
        assert!(err.to_string().contains(code), "{err}");
        assert_eq!(rule.num_calls(), attempts, "{code}");

        assert_eq!(notify::on_event(&app, &page).await.expect("retry"), 1);
        assert_eq!(rule.num_calls(), attempts + 1, "{code}");
    }
}

/// The events in a `PutEvents` request, read back from their detail.
fn sent(req: &PutEventsInput) -> Vec<DomainEvent> {
    req.entries()
        .iter()
        .map(|e| serde_json::from_str(e.detail().expect("detail")).expect("a domain event"))
        .collect()
}

/// EventBridge's answer to `req`: the entries at `refused` fail with
/// `ThrottlingException`, the rest are accepted.
fn answer(req: &PutEventsInput, refused: &[usize]) -> PutEventsOutput {
    let entries = (0..req.entries().len())
        .map(|i| {
            if refused.contains(&i) {
                PutEventsResultEntry::builder()
                    .error_code("ThrottlingException")
                    .error_message("Rate exceeded")
                    .build()
            } else {
                PutEventsResultEntry::builder()
                    .event_id(format!("eb-{i}"))
                    .build()
            }
        })
        .collect();
    PutEventsOutput::builder()
        .failed_entry_count(refused.len() as i32)
        .set_entries(Some(entries))
        .build()
}

fn bus(client: aws_sdk_eventbridge::Client) -> EventBridgePublisher {
    EventBridgePublisher::new(client, "klaxon")
}

/// `PutEvents` with `FailedEntryCount > 0` is `PublishError::Partial` naming
/// exactly the refused events; a 5xx on a later chunk (after the SDK's three
/// attempts) adds that chunk's events; and a failure count the entries do not
/// account for counts the whole chunk failed rather than none of it.
#[tokio::test]
async fn eventbridge_partial_failure_names_the_failed_events() {
    let n = klaxon_tests::new_incident("bus", None, klaxon_tests::t0());
    let events: Vec<DomainEvent> = (0..12)
        .map(|_| DomainEvent::new(EventKind::ReportReceived, &n.incident, klaxon_tests::t0()))
        .collect();
    let first = mock!(aws_sdk_eventbridge::Client::put_events)
        .then_compute_output(|req| answer(req, &[3, 7]));
    let second = mock!(aws_sdk_eventbridge::Client::put_events)
        .sequence()
        .http_status(500, None)
        .times(SDK_MAX_ATTEMPTS as usize)
        .build();
    let publisher = bus(mocked!(
        aws_sdk_eventbridge,
        RuleMode::Sequential,
        &[&first, &second]
    ));
    match publisher.publish(&events).await {
        Err(BusError::Partial { failed, .. }) => {
            let expected: Vec<_> = [3, 7, 10, 11].iter().map(|&i| events[i].id).collect();
            assert_eq!(failed, expected);
        }
        other => panic!("expected a partial failure, got {other:?}"),
    }
    assert_eq!(first.num_calls(), 1, "ten entries per call");
    assert_eq!(second.num_calls(), SDK_MAX_ATTEMPTS as usize);

    // A count with no entry saying which.
    let unnamed = mock!(aws_sdk_eventbridge::Client::put_events)
        .then_output(|| PutEventsOutput::builder().failed_entry_count(1).build());
    let publisher = bus(mocked!(
        aws_sdk_eventbridge,
        RuleMode::Sequential,
        &[&unnamed]
    ));
    match publisher.publish(&events[..2]).await {
        Err(BusError::Partial { failed, .. }) => {
            assert_eq!(failed, vec![events[0].id, events[1].id]);
        }
        other => panic!("expected a partial failure, got {other:?}"),
    }
}

/// An app over SQLite publishing to EventBridge through `client`.
fn on_bus(client: aws_sdk_eventbridge::Client) -> (Arc<App>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(klaxon_tests::t0()));
    let app = Arc::new(App::new(Wiring {
        store: crate::sqlite_store(),
        publisher: Arc::new(bus(client)),
        notifier: Arc::new(RecordingNotifier::default()),
        clock: clock.clone(),
        relay: Relay::Inline,
        settings: klaxon_core::config::Settings::default(),
    }));
    (app, clock)
}

async fn pending(app: &App) -> Vec<DomainEvent> {
    app.store
        .pending_events(klaxon_tests::t0() + Duration::days(1), 100)
        .await
        .expect("pending")
}

/// After a partial failure the accepted events are marked published and the
/// refused one stays pending; the outbox sweep (past its grace period)
/// re-publishes exactly that one, and nothing is pending after.
#[tokio::test]
async fn partially_published_events_stay_pending_and_the_sweep_sends_only_those() {
    let calls: Arc<Mutex<Vec<Vec<DomainEvent>>>> = Arc::default();
    // Intake's publish, assess's (the last entry refused), the sweep's.
    let rules: Vec<Rule> = [false, true, false]
        .into_iter()
        .map(|refuse_last| {
            let calls = calls.clone();
            mock!(aws_sdk_eventbridge::Client::put_events).then_compute_output(move |req| {
                calls.lock().expect("lock").push(sent(req));
                let last = req.entries().len() - 1;
                let refused = if refuse_last { vec![last] } else { vec![] };
                answer(req, &refused)
            })
        })
        .collect();
    let rules: Vec<&Rule> = rules.iter().collect();
    let (app, clock) = on_bus(mocked!(aws_sdk_eventbridge, RuleMode::Sequential, &rules));

    intake::submit(
        &app,
        Source::Report,
        klaxon_tests::report("RCE", Some(klaxon_tests::CRITICAL)),
        None,
    )
    .await
    .expect("submit");
    let received = calls.lock().expect("lock")[0][0].clone();
    assert_eq!(received.kind, EventKind::ReportReceived);
    assess::on_event(&app, &received).await.expect("assess");
    let assessed = calls.lock().expect("lock")[1].clone();
    assert!(
        assessed.len() >= 2,
        "assess publishes several events: {assessed:?}"
    );
    let refused = assessed.last().expect("an event").id;

    let left: Vec<_> = pending(&app).await.iter().map(|e| e.id).collect();
    assert_eq!(left, vec![refused], "only the refused event is pending");

    // Within the grace period the sweep leaves it alone.
    let grace = Duration::seconds(outbox::SWEEP_GRACE_SECS);
    assert_eq!(outbox::sweep(&app, grace).await.expect("sweep"), 0);
    assert_eq!(calls.lock().expect("lock").len(), 2);

    clock.advance(grace + Duration::seconds(1));
    assert_eq!(outbox::sweep(&app, grace).await.expect("sweep"), 1);
    let swept: Vec<_> = calls.lock().expect("lock")[2]
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        swept,
        vec![refused],
        "only the refused event is re-published"
    );
    assert!(pending(&app).await.is_empty());
    assert_eq!(outbox::sweep(&app, grace).await.expect("sweep"), 0);
    assert_eq!(calls.lock().expect("lock").len(), 3);
}

/// A 5xx or throttling on `PutEvents` is retried by the SDK (three attempts);
/// the report is still accepted, its event stays pending, and the sweep
/// publishes it once the bus is back.
#[tokio::test]
async fn eventbridge_outage_is_retried_then_left_for_the_sweep() {
    for fault in ["500", "ThrottlingException"] {
        let rule = mock!(aws_sdk_eventbridge::Client::put_events).sequence();
        let rule = if fault == "500" {
            rule.http_status(500, None)
        } else {
            rule.error(|| PutEventsError::generic(meta("ThrottlingException", "Rate exceeded")))
        };
        let rule = rule
            .times(SDK_MAX_ATTEMPTS as usize)
            .output(|| PutEventsOutput::builder().failed_entry_count(0).build())
            .build();
        let (app, clock) = on_bus(mocked!(aws_sdk_eventbridge, RuleMode::Sequential, &[&rule]));

        let created = intake::submit(
            &app,
            Source::Report,
            klaxon_tests::report("bus down", None),
            None,
        )
        .await
        .expect("accepted while the bus is down");
        assert_eq!(rule.num_calls(), SDK_MAX_ATTEMPTS as usize, "{fault}");
        let left = pending(&app).await;
        assert_eq!(left.len(), 1, "{fault}");
        assert_eq!(left[0].incident_id, created.incident.id);

        clock.advance(Duration::seconds(outbox::SWEEP_GRACE_SECS + 1));
        let grace = Duration::seconds(outbox::SWEEP_GRACE_SECS);
        assert_eq!(
            outbox::sweep(&app, grace).await.expect("sweep"),
            1,
            "{fault}"
        );
        assert_eq!(rule.num_calls(), SDK_MAX_ATTEMPTS as usize + 1, "{fault}");
        assert!(pending(&app).await.is_empty(), "{fault}");
    }
}

/// Poison input is refused, not retried forever: an EventBridge event whose
/// detail is not a domain event is `InvalidEvent`, an event for an incident
/// that does not exist is `MissingIncident`, and an unreadable stored
/// incident is `Store`. None is `Retryable.*`; each is a single read, and
/// Lambda's bounded retries (two) then the dead-letter queue keep it.
#[tokio::test]
async fn poison_events_fail_with_non_retryable_error_types() {
    let mut envelope = aws_lambda_events::eventbridge::EventBridgeEvent::default();
    envelope.detail_type = "Report Received".into();
    envelope.source = "klaxon".into();
    envelope.detail = json!({"incident": "not a domain event"});
    let refused = klaxon_core::lambda::domain_event(envelope).expect_err("poison");
    assert_eq!(refused.error_type, "InvalidEvent");

    // Missing: the table has no such item.
    let d = dynamo(&[]);
    let n = klaxon_tests::new_incident("gone", None, klaxon_tests::t0());
    let received = DomainEvent::new(EventKind::ReportReceived, &n.incident, klaxon_tests::t0());
    let err = assess::on_event(&d.h.app, &received)
        .await
        .expect_err("missing");
    assert!(matches!(err, HandlerError::MissingIncident(_)), "{err}");
    assert_eq!(err.error_type(), "MissingIncident");
    let page = DomainEvent::new(
        EventKind::EscalationTriggered,
        &n.incident,
        klaxon_tests::t0(),
    );
    let err = notify::on_event(&d.h.app, &page)
        .await
        .expect_err("missing");
    assert_eq!(err.error_type(), "MissingIncident");
    assert_eq!(d.get.num_calls(), 2, "one read each, no retry loop");

    // Unreadable: the item has no data.
    let corrupt = mock!(aws_sdk_dynamodb::Client::query).then_output(|| {
        QueryOutput::builder()
            .items(HashMap::from([
                ("pk".to_owned(), AttributeValue::S("INC#x".into())),
                ("sk".to_owned(), AttributeValue::S("META".into())),
            ]))
            .build()
    });
    let d = dynamo(&[&corrupt]);
    let err = assess::on_event(&d.h.app, &received)
        .await
        .expect_err("corrupt");
    assert_eq!(err.error_type(), "Store", "{err}");
    assert_eq!(corrupt.num_calls(), 1);
}
