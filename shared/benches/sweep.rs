//! The escalation sweep over the SQLite store (a real file, WAL) holding a
//! long closed history and 100 due incidents: the sweep reads the due index
//! only, so the items it examines equal the items due, whatever the history.
//! `cargo bench -p klaxon-core --features sqlite --bench sweep`.
//!
//! No criterion: a sweep changes what it sweeps, so every timed sweep runs on
//! a fresh copy of the database built once per size.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use klaxon_core::App;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{Relay, Wiring, assess, escalate, intake};
use klaxon_core::config::Settings;
use klaxon_core::domain::{
    Deadline, DeadlineKind, DomainEvent, EventKind, NewIncident, Reference, Report, ReportInput,
    Source, Status,
};
use klaxon_core::ports::{
    EventPublisher, IncidentStore, ManualClock, Message, Notifier, NotifyError, PublishError,
    Store, StoreError,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Closed incidents in the store, per run.
const SIZES: [usize; 2] = [10_000, 100_000];
/// Open SEV-1 incidents due at the timed sweep.
const DUE: usize = 100;
/// Timed sweeps per size, each on a fresh copy.
const ROUNDS: usize = 20;
const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

/// Records published events, so triage can find each `Report Received`.
#[derive(Default)]
struct Recorder(Mutex<Vec<DomainEvent>>);

impl Recorder {
    fn take(&self) -> Vec<DomainEvent> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

#[async_trait]
impl EventPublisher for Recorder {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        self.0.lock().expect("lock").extend_from_slice(events);
        Ok(())
    }
}

struct NoNotify;

#[async_trait]
impl Notifier for NoNotify {
    async fn send(&self, _: &Message) -> Result<(), NotifyError> {
        Ok(())
    }
}

fn t0() -> DateTime<Utc> {
    "2026-11-23T03:00:00Z".parse().expect("valid timestamp")
}

fn report(title: &str, cvss: Option<&str>) -> Report {
    Report::parse(ReportInput {
        title: Some(title.into()),
        description: Some("Steps: open the macro editor and paste the payload.".into()),
        reporter_email: Some("researcher@example.com".into()),
        cvss: cvss.map(Into::into),
        tenant: Some("acme.atlassian.net".into()),
        ..Default::default()
    })
    .expect("valid report")
}

fn app(store: Arc<dyn Store>, publisher: Arc<Recorder>, now: DateTime<Utc>) -> Arc<App> {
    Arc::new(App::new(Wiring {
        store,
        publisher,
        notifier: Arc::new(NoNotify),
        clock: Arc::new(ManualClock::new(now)),
        relay: Relay::Inline,
        settings: Settings::default(),
    }))
}

/// `size` closed incidents, each with a long-past acknowledgement deadline,
/// created one every five minutes before t0.
async fn history(store: &SqliteIncidentStore, size: usize) {
    for i in 0..size {
        let t = t0() - Duration::minutes(5 * (size - i) as i64);
        let mut n = NewIncident::from_report(
            report(&format!("Closed finding {i}"), None),
            Source::Report,
            None,
            t,
        );
        n.incident.status = Status::Closed;
        let mut d = Deadline::new(DeadlineKind::Acknowledge, t, t + Duration::hours(4));
        d.next_alert_at = Some(d.due_at);
        n.incident.deadlines = vec![d];
        n.events.clear();
        // References are 30 random bits a year: expect a few collisions.
        loop {
            match store.create(n.clone()).await {
                Ok(_) => break,
                Err(StoreError::ReferenceTaken(_)) => n.incident.reference = Reference::generate(t),
                Err(e) => panic!("create history incident {i}: {e}"),
            }
        }
    }
}

/// `DUE` critical reports submitted and triaged at t0 (level 1 pages then);
/// returns when their level-2 page is due.
async fn due(store: Arc<dyn Store>) -> DateTime<Utc> {
    let publisher = Arc::new(Recorder::default());
    let app = app(store, Arc::clone(&publisher), t0());
    for i in 0..DUE {
        let created = intake::submit(
            &app,
            Source::Report,
            report(&format!("RCE in webhook handler {i}"), Some(CRITICAL)),
            None,
        )
        .await
        .expect("submit");
        let id = created.incident.id;
        let received = publisher
            .take()
            .into_iter()
            .find(|e| e.kind == EventKind::ReportReceived && e.incident_id == id)
            .expect("Report Received");
        let outcome = assess::on_event(&app, &received).await.expect("assess");
        assert_eq!(outcome, assess::Outcome::Triaged, "incident {i}");
    }
    t0() + Duration::minutes(10)
}

/// Folds the WAL into the main file so the file alone is the database.
fn checkpoint(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open for checkpoint");
    let (busy, log, done): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    assert!(busy == 0 && log == done, "checkpoint incomplete");
}

struct Row {
    size: usize,
    db_mib: f64,
    build_s: f64,
    due: usize,
    examined: u64,
    steps: usize,
    times_ms: Vec<f64>,
}

async fn measure(size: usize) -> Row {
    let base = tempfile::tempdir().expect("tempdir");
    let built = Instant::now();
    let store = Arc::new(SqliteIncidentStore::open(base.path()).expect("open store"));
    history(&store, size).await;
    let at = due(store as Arc<dyn Store>).await;
    let build_s = built.elapsed().as_secs_f64();
    let db = base.path().join("klaxon.db");
    checkpoint(&db);
    let db_mib = std::fs::metadata(&db).expect("stat").len() as f64 / (1024.0 * 1024.0);

    let mut ticks = Vec::with_capacity(ROUNDS);
    let mut times_ms = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = dir.path().join("klaxon.db");
        std::fs::copy(&db, &copy).expect("copy database");
        // Flush the copy first, or the kernel writing it back (100 MiB at
        // the larger size) competes with the timed sweep.
        std::fs::File::open(&copy)
            .and_then(|f| f.sync_all())
            .expect("sync copy");
        let store = Arc::new(SqliteIncidentStore::open(dir.path()).expect("open copy"));
        let app = app(store, Arc::new(Recorder::default()), at);
        let start = Instant::now();
        let tick = escalate::tick(&app).await.expect("tick");
        times_ms.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(tick.failed, 0, "no due item may fail");
        ticks.push(tick);
    }
    let first = ticks[0].clone();
    assert!(
        ticks.iter().all(|t| *t == first),
        "every round must sweep the same state"
    );
    Row {
        size,
        db_mib,
        build_s,
        due: first.due,
        examined: first.examined,
        steps: first.steps,
        times_ms,
    }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut rows = Vec::new();
    for size in SIZES {
        let row = rt.block_on(measure(size));
        eprintln!(
            "built {} closed + {DUE} due in {:.1} s ({:.0} MiB database)",
            row.size, row.build_s, row.db_mib
        );
        rows.push(row);
    }
    println!("\n{ROUNDS} sweeps per size, each on a fresh copy of the database\n");
    println!("| closed incidents | database | due | examined | steps | median | p95 |");
    println!("|---|---|---|---|---|---|---|");
    for mut r in rows {
        r.times_ms.sort_by(f64::total_cmp);
        let median = (r.times_ms[(ROUNDS - 1) / 2] + r.times_ms[ROUNDS / 2]) / 2.0;
        let p95 = r.times_ms[(ROUNDS * 95).div_ceil(100) - 1];
        println!(
            "| {} | {:.0} MiB | {} | {} | {} | {median:.1} ms | {p95:.1} ms |",
            r.size, r.db_mib, r.due, r.examined, r.steps
        );
    }
}
