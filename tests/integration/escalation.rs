//! Escalation: paging levels, deadline clocks and the stale watch, driven by
//! the sweep with a manual clock (days pass in milliseconds), and exactly
//! one announcement per step under racing sweeps, crashes and bad records.

use crate::{Harness, sqlite_store};
use chrono::{DateTime, Duration, Utc};
use klaxon_core::adapters::dynamo::DynamoIncidentStore;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{assess, escalate, intake, outbox};
use klaxon_core::domain::{
    Audience, DeadlineKind, DomainEvent, EventKind, IncidentId, Source, Status, StepReason,
};
use klaxon_core::ports::{Clock, Store};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use klaxon_tests::{CRITICAL, t0};
use std::collections::BTreeSet;
use std::sync::Arc;

const HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";

fn harness(store: Arc<dyn Store>) -> Harness {
    Harness::new(
        store,
        RecordingPublisher::default(),
        RecordingNotifier::default(),
    )
}

/// Reports and triages one incident at the harness's current time.
async fn open(h: &Harness, title: &str, cvss: Option<&str>) -> IncidentId {
    let created = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report(title, cvss),
        None,
    )
    .await
    .expect("submit");
    let id = created.incident.id;
    let received = h
        .publisher
        .published()
        .into_iter()
        .find(|e| e.kind == EventKind::ReportReceived && e.incident_id == id)
        .expect("Report Received");
    assert_eq!(
        assess::on_event(&h.app, &received).await.expect("assess"),
        assess::Outcome::Triaged
    );
    id
}

fn minutes(at: DateTime<Utc>) -> i64 {
    (at - t0()).num_minutes()
}

/// Sweeps once a simulated minute until `until` minutes after t0.
async fn run_until(h: &Harness, until: i64) {
    while minutes(h.clock.now()) < until {
        h.clock.advance(Duration::minutes(1));
        escalate::tick(&h.app).await.expect("tick");
    }
}

/// Moves the clock to exactly `at` minutes after t0 and sweeps.
async fn tick_at(h: &Harness, at: i64) -> escalate::Tick {
    let by = t0() + Duration::minutes(at) - h.clock.now();
    h.clock.advance(by);
    escalate::tick(&h.app).await.expect("tick")
}

fn steps(events: &[DomainEvent], id: IncidentId, kind: EventKind) -> Vec<&DomainEvent> {
    events
        .iter()
        .filter(|e| e.incident_id == id && e.kind == kind)
        .collect()
}

/// (minute, audience, level, round) of each page.
fn pages(h: &Harness, id: IncidentId) -> Vec<(i64, Audience, u8, u8)> {
    let events = h.publisher.published();
    steps(&events, id, EventKind::EscalationTriggered)
        .into_iter()
        .map(|e| {
            let s = e.step.as_ref().expect("a page names its step");
            (
                minutes(e.occurred_at),
                s.audience,
                s.level.expect("level"),
                s.round.expect("round"),
            )
        })
        .collect()
}

/// (minute, event, audience) of each reminder or breach of one deadline.
fn clock_events(
    h: &Harness,
    id: IncidentId,
    deadline: DeadlineKind,
) -> Vec<(i64, EventKind, Audience)> {
    h.publisher
        .published()
        .into_iter()
        .filter(|e| e.incident_id == id)
        .filter(|e| matches!(e.kind, EventKind::SlaReminder | EventKind::SlaBreached))
        .filter_map(|e| {
            let s = e.step.as_ref()?;
            (s.deadline == Some(deadline) && s.reason != StepReason::StaleAcknowledgement)
                .then(|| (minutes(e.occurred_at), e.kind, s.audience))
        })
        .collect()
}

async fn incident(h: &Harness, id: IncidentId) -> klaxon_core::domain::Incident {
    h.app.store.get(id).await.expect("get").expect("stored")
}

/// A critical report at 3 a.m. that nobody answers: every level fires in
/// order, with the policy's delays, three rounds over; the acknowledgement
/// deadline reminds the security team at 50% and 80% and its breach goes
/// to leadership. The late ack then stops everything.
#[tokio::test]
async fn sev1_night_pages_every_level_until_acknowledged() {
    use Audience::{IncidentManager as Im, OncallPrimary as P, OncallSecondary as S};
    let h = Harness::sqlite();
    let id = open(&h, "RCE in webhook handler", Some(CRITICAL)).await;
    run_until(&h, 300).await;
    assert_eq!(
        pages(&h, id),
        vec![
            (0, P, 1, 1),
            (10, S, 2, 1),
            (30, Im, 3, 1),
            (50, P, 1, 2),
            (60, S, 2, 2),
            (80, Im, 3, 2),
            (100, P, 1, 3),
            (110, S, 2, 3),
            (130, Im, 3, 3),
        ]
    );
    assert_eq!(
        clock_events(&h, id, DeadlineKind::Acknowledge),
        vec![
            (120, EventKind::SlaReminder, Audience::SecurityTeam),
            (192, EventKind::SlaReminder, Audience::SecurityTeam),
            (240, EventKind::SlaBreached, Audience::Leadership),
        ]
    );
    let timeline = h.app.store.timeline(id).await.expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.message.contains("paging exhausted after 3 round(s)")),
        "{timeline:#?}"
    );

    let acked = escalate::acknowledge(
        &h.app,
        &klaxon_core::domain::Caller {
            name: "alice".into(),
            role: klaxon_core::domain::Role::Responder,
            tenants: None,
        },
        &id.to_string(),
        "api",
        "",
    )
    .await
    .expect("ack");
    assert!(acked.changed);
    let published = h.publisher.published().len();
    run_until(&h, 359).await;
    assert_eq!(
        h.publisher.published().len(),
        published,
        "nothing more after the ack, until the stale-ack watch at 1 h"
    );
    let stored = incident(&h, id).await;
    assert_eq!(stored.status, Status::Acknowledged);
    let ack = stored.acknowledged.clone().expect("recorded");
    assert_eq!((ack.by.as_str(), ack.via.as_str()), ("alice", "api"));
    assert_eq!(minutes(ack.at), 300);
    let ack_deadline = stored
        .deadline(DeadlineKind::Acknowledge)
        .expect("ack deadline");
    assert_eq!(ack_deadline.met_at.map(minutes), Some(300));
    assert_eq!(ack_deadline.breached_at.map(minutes), Some(240));
    let events = h.publisher.published();
    let acks = steps(&events, id, EventKind::IncidentAcknowledged);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].actor.as_deref(), Some("alice"));
}

/// SEV-2: the primary is paged at once and acknowledges before the
/// secondary would be paged; no one else is woken and the ack deadline is met.
#[tokio::test]
async fn sev2_acknowledged_before_level_two() {
    let h = Harness::sqlite();
    let id = open(&h, "IDOR on the export API", Some(HIGH)).await;
    assert_eq!(
        incident(&h, id).await.severity.map(|s| s.code()),
        Some("SEV-2")
    );
    run_until(&h, 20).await;
    let reference = incident(&h, id).await.reference.to_string();
    let acked = escalate::acknowledge(
        &h.app,
        &klaxon_core::domain::Caller {
            name: "bob".into(),
            role: klaxon_core::domain::Role::Responder,
            tenants: None,
        },
        &reference,
        "api",
        "looking",
    )
    .await
    .expect("ack by reference");
    assert!(acked.changed);
    // Past the ack deadline's 50% point (4 h), short of the stale watch
    // (4 h after the ack).
    run_until(&h, 255).await;
    assert_eq!(pages(&h, id), vec![(0, Audience::OncallPrimary, 1, 1)]);
    assert!(
        clock_events(&h, id, DeadlineKind::Acknowledge).is_empty(),
        "a met deadline neither reminds nor breaches"
    );
    let timeline = h.app.store.timeline(id).await.expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.message == "acknowledged by bob via api; paging stopped: looking"),
        "{timeline:#?}"
    );
    // A second ack changes nothing.
    let again = escalate::acknowledge(
        &h.app,
        &klaxon_core::domain::Caller {
            name: "carol".into(),
            role: klaxon_core::domain::Role::Responder,
            tenants: None,
        },
        &reference,
        "api",
        "",
    )
    .await
    .expect("ack again");
    assert!(!again.changed);
    assert_eq!(
        again.incident.acknowledged.expect("ack").by,
        "bob",
        "the first acknowledgement stands"
    );
}

/// SEV-3 pages no one. Its acknowledgement deadline (24 h) reminds the
/// security team at 12 h and 19 h 12 m, and its breach at 24 h goes to the
/// incident manager.
#[tokio::test]
async fn sev3_reminds_then_breaches() {
    let h = Harness::sqlite();
    let id = open(&h, "Verbose error page", None).await;
    assert_eq!(
        incident(&h, id).await.severity.map(|s| s.code()),
        Some("SEV-3")
    );
    for at in [719, 720, 1151, 1152, 1439, 1440, 2000] {
        tick_at(&h, at).await;
    }
    assert_eq!(
        clock_events(&h, id, DeadlineKind::Acknowledge),
        vec![
            (720, EventKind::SlaReminder, Audience::SecurityTeam),
            (1152, EventKind::SlaReminder, Audience::SecurityTeam),
            (1440, EventKind::SlaBreached, Audience::IncidentManager),
        ]
    );
    assert!(pages(&h, id).is_empty(), "SEV-3 pages no one");
    let events = h.publisher.published();
    let breach = steps(&events, id, EventKind::SlaBreached)
        .into_iter()
        .find(|e| e.step.as_ref().and_then(|s| s.deadline) == Some(DeadlineKind::Acknowledge))
        .expect("breach");
    let step = breach.step.as_ref().expect("step");
    assert_eq!(step.due_at.map(minutes), Some(1440));
    assert_eq!(step.reason, StepReason::Breach);
    let stored = incident(&h, id).await;
    let d = stored.deadline(DeadlineKind::Acknowledge).expect("ack");
    assert_eq!(
        (d.reminders_sent, d.breached_at.map(minutes)),
        (2, Some(1440))
    );
    assert_eq!(d.next_alert_at, None, "a breach is announced once");
}

/// An acknowledged SEV-1 with no status update for an hour reminds the
/// commander's pager, 15 minutes later pages again from the first level,
/// and a posted status update stops it and re-arms the watch.
#[tokio::test]
async fn stale_acknowledgement_reminds_then_pages_again() {
    let h = Harness::sqlite();
    let id = open(&h, "Leaked deploy key", Some(CRITICAL)).await;
    run_until(&h, 5).await;
    escalate::acknowledge(
        &h.app,
        &klaxon_core::domain::Caller {
            name: "alice".into(),
            role: klaxon_core::domain::Role::Responder,
            tenants: None,
        },
        &id.to_string(),
        "api",
        "",
    )
    .await
    .expect("ack");
    run_until(&h, 64).await;
    assert_eq!(pages(&h, id).len(), 1, "quiet while the ack is fresh");
    run_until(&h, 95).await;
    let events = h.publisher.published();
    let stale: Vec<(i64, Audience)> = steps(&events, id, EventKind::SlaReminder)
        .into_iter()
        .filter_map(|e| {
            let s = e.step.as_ref()?;
            (s.reason == StepReason::StaleAcknowledgement)
                .then(|| (minutes(e.occurred_at), s.audience))
        })
        .collect();
    assert_eq!(stale, vec![(65, Audience::OncallPrimary)]);
    assert_eq!(
        pages(&h, id),
        vec![
            (0, Audience::OncallPrimary, 1, 1),
            (80, Audience::OncallPrimary, 1, 1),
            (90, Audience::OncallSecondary, 2, 1),
        ]
    );
    let repage = steps(&events, id, EventKind::EscalationTriggered)[1];
    assert_eq!(
        repage.step.as_ref().map(|s| s.reason),
        Some(StepReason::StaleAcknowledgement)
    );

    escalate::meet(
        &h.app,
        &id.to_string(),
        DeadlineKind::StatusUpdate,
        "alice",
        "contained: key revoked",
    )
    .await
    .expect("status update");
    run_until(&h, 154).await;
    assert_eq!(pages(&h, id).len(), 3, "the update stopped the re-paging");
    let stored = incident(&h, id).await;
    let update = stored
        .deadline(DeadlineKind::StatusUpdate)
        .expect("cadence");
    assert_eq!(
        (minutes(update.starts_at), minutes(update.due_at)),
        (95, 95 + 24 * 60),
        "the next update is due a day after this one"
    );
    let watch = stored.stale.expect("watch re-armed");
    assert_eq!((minutes(watch.check_at), watch.reminded), (155, false));
}

/// Two sweeps over the same due incidents, each with its own connection or
/// client: every step is committed, and so announced, exactly once.
async fn racing_sweeps_page_once(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let ha = harness(a);
    let hb = harness(b);
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(open(&ha, &format!("critical {i}"), Some(CRITICAL)).await);
    }
    for h in [&ha, &hb] {
        h.clock.advance(Duration::minutes(10));
    }
    for _ in 0..3 {
        let (app_a, app_b) = (Arc::clone(&ha.app), Arc::clone(&hb.app));
        let ta = tokio::spawn(async move { escalate::tick(&app_a).await });
        let tb = tokio::spawn(async move { escalate::tick(&app_b).await });
        let (ta, tb) = (ta.await.expect("join"), tb.await.expect("join"));
        let (ta, tb) = (ta.expect("sweep a"), tb.expect("sweep b"));
        assert_eq!(ta.failed + tb.failed, 0);
    }
    let mut seen = BTreeSet::new();
    for e in ha
        .publisher
        .published()
        .into_iter()
        .chain(hb.publisher.published())
    {
        if e.kind == EventKind::EscalationTriggered {
            let s = e.step.expect("step");
            assert!(
                seen.insert((e.incident_id, s.level, s.round)),
                "{} level {:?} announced twice",
                e.incident_id,
                s.level
            );
        }
    }
    let level_two: Vec<_> = seen.iter().filter(|(_, l, _)| *l == Some(2)).collect();
    assert_eq!(
        level_two.len(),
        ids.len(),
        "every incident paged its secondary"
    );
    assert_eq!(seen.len(), ids.len() * 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sweeps_page_once_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = SqliteIncidentStore::open(dir.path()).expect("open a");
    let b = SqliteIncidentStore::open(dir.path()).expect("open b");
    racing_sweeps_page_once(Arc::new(a), Arc::new(b)).await;
}

async fn two_dynamo_clients() -> (Arc<dyn Store>, Arc<dyn Store>, String) {
    let sdk = klaxon_tests::emulator::sdk().await;
    let table = klaxon_tests::emulator::table(&sdk).await;
    let mk = || -> Arc<dyn Store> {
        Arc::new(DynamoIncidentStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            &table,
        ))
    };
    (mk(), mk(), table)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sweeps_page_once_dynamo() {
    let (a, b, _) = two_dynamo_clients().await;
    racing_sweeps_page_once(a, b).await;
}

/// The step is committed, then the process "dies" before publishing (the
/// bus refuses). The next sweep does not take the step again; once the
/// event is a minute old the sweep re-publishes it, once.
async fn crash_between_commit_and_publish(store: Arc<dyn Store>) {
    let h = harness(store);
    let id = open(&h, "critical", Some(CRITICAL)).await;
    h.clock.advance(Duration::minutes(10));
    h.publisher.fail_next(1);
    let t = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(t.steps, 1, "the step is committed");
    assert_eq!(pages(&h, id).len(), 1, "but its page is not yet published");

    h.clock.advance(Duration::seconds(30));
    let t = escalate::tick(&h.app).await.expect("tick");
    assert_eq!((t.steps, t.republished), (0, 0));

    h.clock
        .advance(Duration::seconds(outbox::SWEEP_GRACE_SECS - 29));
    let t = escalate::tick(&h.app).await.expect("tick");
    assert_eq!((t.steps, t.republished), (0, 1));
    assert_eq!(
        pages(&h, id),
        vec![
            (0, Audience::OncallPrimary, 1, 1),
            (10, Audience::OncallSecondary, 2, 1)
        ]
    );
    h.clock.advance(Duration::minutes(2));
    escalate::tick(&h.app).await.expect("tick");
    assert_eq!(pages(&h, id).len(), 2, "published once");
}

#[tokio::test]
async fn crash_between_commit_and_publish_sqlite() {
    crash_between_commit_and_publish(sqlite_store()).await;
}

#[tokio::test]
async fn crash_between_commit_and_publish_dynamo() {
    crash_between_commit_and_publish(crate::dynamo_store().await).await;
}

/// A corrupt record in the due index is logged, counted and skipped; the
/// other due incidents are still paged.
#[tokio::test]
async fn corrupt_due_item_is_skipped_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(Arc::new(
        SqliteIncidentStore::open(dir.path()).expect("open"),
    ));
    let bad = open(&h, "will be corrupted", Some(CRITICAL)).await;
    let good = open(&h, "fine", Some(CRITICAL)).await;
    let conn = rusqlite::Connection::open(dir.path().join("klaxon.db")).expect("open db");
    conn.execute(
        "UPDATE incidents SET body = '{\"not\": \"an incident\"}' WHERE id = ?1",
        [bad.to_string()],
    )
    .expect("corrupt");
    h.clock.advance(Duration::minutes(10));
    let t = escalate::tick(&h.app).await.expect("the sweep carries on");
    assert_eq!((t.failed, t.steps), (1, 1));
    assert_eq!(pages(&h, good).len(), 2);
}

#[tokio::test]
async fn corrupt_due_item_is_skipped_dynamo() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let (store, _, table) = two_dynamo_clients().await;
    let h = harness(store);
    let good = open(&h, "fine", Some(CRITICAL)).await;
    let sdk = klaxon_tests::emulator::sdk().await;
    let bad = ulid::Ulid::new();
    aws_sdk_dynamodb::Client::new(&sdk)
        .put_item()
        .table_name(&table)
        .item("pk", A::S(format!("INC#{bad}")))
        .item("sk", A::S("META".into()))
        .item("gsi3pk", A::S("DUE".into()))
        .item("gsi3sk", A::S(format!("2026-11-23T03:00:00.000000Z#{bad}")))
        .item("data", A::S("not an incident".into()))
        .send()
        .await
        .expect("put corrupt item");
    h.clock.advance(Duration::minutes(10));
    let t = escalate::tick(&h.app).await.expect("the sweep carries on");
    assert_eq!((t.failed, t.steps), (1, 1));
    assert_eq!(pages(&h, good).len(), 2);
}

/// 5,000 closed incidents whose deadlines all passed long ago: they would
/// be due, were closed incidents in the index.
fn history() -> Vec<klaxon_core::domain::Incident> {
    let long_ago = t0() - Duration::days(400);
    (0..5000)
        .map(|i| {
            let mut n = klaxon_tests::new_incident(&format!("old {i}"), None, long_ago);
            n.incident.status = Status::Closed;
            let mut d = klaxon_core::domain::Deadline::new(
                DeadlineKind::Acknowledge,
                long_ago,
                long_ago + Duration::hours(4),
            );
            d.next_alert_at = Some(d.due_at);
            n.incident.deadlines = vec![d];
            n.incident
        })
        .collect()
}

/// The sweep reads the due index only: with 5,000 closed incidents and 3
/// due ones, it examines 3 items.
async fn sweep_reads_only_due_items<F: std::future::Future<Output = ()>>(h: Harness, load: F) {
    for i in 0..3 {
        open(&h, &format!("due {i}"), Some(CRITICAL)).await;
    }
    load.await;
    h.clock.advance(Duration::minutes(10));
    let t = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(t.due, 3);
    assert_eq!(t.steps, 3);
    assert_eq!(t.examined, 3, "reads grow with due items, not with history");
}

#[tokio::test]
async fn sweep_reads_only_due_items_sqlite() {
    let store = sqlite_store();
    let load = {
        let store = Arc::clone(&store);
        async move {
            for inc in history() {
                let mut n = klaxon_core::domain::NewIncident {
                    incident: inc,
                    idempotency_key: None,
                    supersedes: None,
                    timeline: Vec::new(),
                    events: Vec::new(),
                };
                // 5,000 random references collide now and then; intake redraws too.
                loop {
                    match store.create(n.clone()).await {
                        Ok(_) => break,
                        Err(klaxon_core::ports::StoreError::ReferenceTaken(_)) => {
                            n = n.with_new_reference();
                        }
                        Err(e) => panic!("create closed: {e}"),
                    }
                }
            }
        }
    };
    sweep_reads_only_due_items(harness(store), load).await;
}

#[tokio::test]
async fn sweep_reads_only_due_items_dynamo() {
    let sdk = klaxon_tests::emulator::sdk_in("eu-west-1").await;
    let table = klaxon_tests::emulator::table(&sdk).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let store = Arc::new(DynamoIncidentStore::new(client.clone(), &table));
    // moto copies the region's tables on every transaction: the bulk loader
    // writes the same records without one, after the due incidents exist.
    let load = {
        let store = Arc::clone(&store);
        async move { store.seed_incidents(&history()).await.expect("seed") }
    };
    sweep_reads_only_due_items(harness(store), load).await;
    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("drop the big table");
}

mod api {
    use super::*;
    use bytes::Bytes;
    use klaxon_core::config::{ApiTokens, Settings};
    use klaxon_core::http::{self, Routes};
    use serde_json::{Value, json};

    const RESPONDER: &str = "responder-token-0123456789";
    const VIEWER: &str = "viewer-token-0123456789abc";

    fn harness() -> Harness {
        Harness::with_settings(
            sqlite_store(),
            RecordingPublisher::default(),
            RecordingNotifier::default(),
            Settings {
                api_tokens: ApiTokens::parse(&format!(
                    "rita:responder:{RESPONDER},vic:viewer:{VIEWER}"
                ))
                .expect("tokens"),
                ..Settings::default()
            },
        )
    }

    async fn post(
        h: &Harness,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let mut b = ::http::Request::post(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if let Some(c) = content_type {
            b = b.header("content-type", c);
        }
        let req = b.body(Bytes::from(body.to_owned())).expect("request");
        let resp = http::handle(&h.app, Routes::Api, req).await;
        let status = resp.status().as_u16();
        let body: Value = serde_json::from_slice(resp.body()).expect("every response is JSON");
        (status, body)
    }

    /// Each refusal has its status and an actionable code; nothing changes.
    #[tokio::test]
    async fn ack_and_obligation_routes_refuse_bad_requests() {
        let h = harness();
        let id = open(&h, "critical", Some(CRITICAL)).await;
        let ack = format!("/api/v1/incidents/{id}/ack");
        let ob = format!("/api/v1/incidents/{id}/obligations");
        let json = Some("application/json");
        let big = format!("{{\"note\": \"{}\"}}", "x".repeat(70_000));
        // (name, path, token, content type, body, status, error code)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            String,
            u16,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            (
                "no token",
                &ack,
                None,
                None,
                String::new(),
                401,
                "unauthorized",
            ),
            (
                "viewer may not ack",
                &ack,
                Some(VIEWER),
                None,
                String::new(),
                403,
                "forbidden",
            ),
            (
                "unknown incident",
                "/api/v1/incidents/KLX-2026-ZZZZZZ/ack",
                Some(RESPONDER),
                None,
                String::new(),
                404,
                "not_found",
            ),
            (
                "note not JSON",
                &ack,
                Some(RESPONDER),
                Some("text/plain"),
                "hi".into(),
                415,
                "unsupported_media_type",
            ),
            (
                "malformed note",
                &ack,
                Some(RESPONDER),
                json,
                "{\"nope\": 1}".into(),
                400,
                "malformed_json",
            ),
            (
                "note too big",
                &ack,
                Some(RESPONDER),
                json,
                big,
                413,
                "payload_too_large",
            ),
            (
                "unknown kind",
                &ob,
                Some(RESPONDER),
                json,
                "{\"kind\": \"lunch\"}".into(),
                400,
                "invalid_kind",
            ),
            (
                "ack is its own route",
                &ob,
                Some(RESPONDER),
                json,
                "{\"kind\": \"acknowledge\"}".into(),
                400,
                "invalid_kind",
            ),
            (
                "viewer may not record",
                &ob,
                Some(VIEWER),
                json,
                "{\"kind\": \"fix\"}".into(),
                403,
                "forbidden",
            ),
        ];
        for (name, path, token, ct, body, status, code) in cases {
            let (got, v) = post(&h, path, token, ct, &body).await;
            assert_eq!(got, status, "{name}: {v}");
            assert_eq!(v["error"]["code"], code, "{name}: {v}");
            assert!(
                !v["error"]["message"].as_str().unwrap_or("").is_empty(),
                "{name}"
            );
        }
        let stored = incident(&h, id).await;
        assert!(stored.acknowledged.is_none(), "nothing changed");
        assert_eq!(stored.status, Status::Triaged);
    }

    /// A responder acknowledges with a note (by reference), records the
    /// Atlassian report, and a resolved incident cannot be acknowledged.
    #[tokio::test]
    async fn responder_acknowledges_and_records_obligations() {
        let h = harness();
        let id = open(&h, "critical", Some(CRITICAL)).await;
        let reference = incident(&h, id).await.reference.to_string();
        let (status, v) = post(
            &h,
            &format!("/api/v1/incidents/{reference}/ack"),
            Some(RESPONDER),
            Some("application/json"),
            &json!({"note": "on it; token=ghp_abcdefghijklmnopqrstuvwxyz0123456789"}).to_string(),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["acknowledged"], true);
        assert_eq!(v["incident"]["status"], "acknowledged");
        assert_eq!(v["incident"]["acknowledged"]["by"], "rita");
        let timeline = h.app.store.timeline(id).await.expect("timeline");
        let entry = timeline
            .iter()
            .find(|e| e.kind == klaxon_core::domain::TimelineKind::Acknowledged)
            .expect("ack on the timeline");
        assert_eq!(entry.actor, "rita");
        assert!(
            !entry.message.contains("ghp_"),
            "secrets are redacted: {}",
            entry.message
        );

        let (status, v) = post(
            &h,
            &format!("/api/v1/incidents/{id}/obligations"),
            Some(RESPONDER),
            Some("application/json"),
            &json!({"kind": "notify", "note": "status page post 14:05"}).to_string(),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let stored = incident(&h, id).await;
        let notify = stored
            .deadline(DeadlineKind::Notify)
            .expect("notify deadline");
        assert_eq!(notify.met_at, Some(h.clock.now()));
        assert_eq!(notify.next_alert_at, None, "its clock stopped");

        // Resolve it; an ack is then refused with 409 and changes nothing.
        let mut ch = klaxon_core::domain::Change::begin(&stored, h.clock.now());
        ch.move_to("rita", Status::Resolved).expect("legal");
        h.app.store.commit(ch).await.expect("resolve");
        let (status, v) = post(
            &h,
            &format!("/api/v1/incidents/{id}/ack"),
            Some(RESPONDER),
            None,
            "",
        )
        .await;
        assert_eq!(status, 409, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("resolved"),
            "{v}"
        );
    }
}
