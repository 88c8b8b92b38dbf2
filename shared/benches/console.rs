//! The console's heaviest pages, rendered on the server over the SQLite
//! store: the incident list with 10,000 incidents stored (a page of 50, open
//! first), an incident with 500 timeline entries, and the metrics page over
//! the 10,000 (a year by month and by week: every incident read, the
//! figures and three SVG charts drawn). Each timed request is
//! the whole of `http::serve` for a signed-in commander: the session read,
//! the store's reads, the use case and the template.
//! `cargo bench -p klaxon-core --features sqlite --bench console`.
//!
//! No criterion: each page is requested `ROUNDS` times and the median,
//! 95th percentile and worst are printed, against the 50 ms budget.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use klaxon_core::App;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{Relay, Wiring, respond, session};
use klaxon_core::config::Settings;
use klaxon_core::domain::{
    Acknowledgement, Basis, Caller, Deadline, DeadlineKind, DomainEvent, NewIncident, Reference,
    Report, ReportInput, Role, Severity, Source, Status,
};
use klaxon_core::http::{self, ApiRoutes};
use klaxon_core::ports::{
    EventPublisher, IncidentStore, ManualClock, Message, Notifier, NotifyError, PublishError,
    Store, StoreError,
};
use std::sync::Arc;
use std::time::Instant;

const INCIDENTS: usize = 10_000;
const TIMELINE: usize = 500;
const ROUNDS: usize = 50;
const BUDGET_MS: f64 = 50.0;

struct Quiet;

#[async_trait]
impl EventPublisher for Quiet {
    async fn publish(&self, _: &[DomainEvent]) -> Result<(), PublishError> {
        Ok(())
    }
}

#[async_trait]
impl Notifier for Quiet {
    async fn send(&self, _: &Message) -> Result<(), NotifyError> {
        Ok(())
    }
}

fn t0() -> DateTime<Utc> {
    "2026-11-23T03:00:00Z".parse().expect("valid timestamp")
}

fn report(title: &str) -> Report {
    Report::parse(ReportInput {
        title: Some(title.into()),
        description: Some(
            "Steps: open the macro editor and paste <img src=x onerror=alert(1)>.".into(),
        ),
        reporter_email: Some("researcher@example.com".into()),
        tenant: Some("acme.atlassian.net".into()),
        ..Default::default()
    })
    .expect("valid report")
}

/// `INCIDENTS` incidents, one every 50 minutes over the year before t0: a
/// tenth still open, each with two deadlines, the rest acknowledged within
/// hours and closed within days.
async fn history(store: &SqliteIncidentStore) {
    for i in 0..INCIDENTS {
        let t = t0() - Duration::minutes(50 * (INCIDENTS - i) as i64);
        let mut n =
            NewIncident::from_report(report(&format!("Finding {i}")), Source::Report, None, t);
        n.incident.status = if i % 10 == 0 {
            Status::Investigating
        } else {
            Status::Closed
        };
        n.incident.severity = Some(Severity::ALL[i % 4]);
        if i % 10 != 0 {
            let ack = t + Duration::minutes(10 + (i % 7) as i64 * 40);
            n.incident.acknowledged = Some(Acknowledgement {
                by: "carol".into(),
                via: "api".into(),
                at: ack,
            });
            n.incident.resolved_at = Some(t + Duration::hours(6 + (i % 13) as i64 * 9));
        }
        n.incident.deadlines = vec![
            Deadline {
                met_at: (i % 10 != 0).then(|| t + Duration::minutes(10 + (i % 7) as i64 * 40)),
                ..Deadline::new(DeadlineKind::Acknowledge, t, t + Duration::hours(4))
            },
            Deadline::new(DeadlineKind::Fix, t, t + Duration::days(30)),
        ];
        n.events.clear();
        loop {
            match store.create(n.clone()).await {
                Ok(_) => break,
                Err(StoreError::ReferenceTaken(_)) => n.incident.reference = Reference::generate(t),
                Err(e) => panic!("create incident {i}: {e}"),
            }
        }
    }
}

fn get(path: &str, cookie: &str) -> ::http::Request<Bytes> {
    ::http::Request::builder()
        .method("GET")
        .uri(path)
        .header("cookie", cookie)
        .body(Bytes::new())
        .expect("request")
}

async fn time(app: &Arc<App>, path: &str, cookie: &str) -> (Vec<f64>, usize) {
    let mut ms = Vec::with_capacity(ROUNDS);
    let mut size = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let resp = http::serve::<ApiRoutes>(app, get(path, cookie)).await;
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(resp.status(), 200, "{path}");
        size = resp.body().len();
    }
    ms.sort_by(f64::total_cmp);
    (ms, size)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteIncidentStore::open(dir.path()).expect("open store"));
        let built = Instant::now();
        history(&store).await;
        let app = Arc::new(App::new(Wiring {
            store: store.clone() as Arc<dyn Store>,
            publisher: Arc::new(Quiet),
            notifier: Arc::new(Quiet),
            clock: Arc::new(ManualClock::new(t0())),
            relay: Relay::Inline,
            settings: Settings::default(),
        }));
        let commander = Caller {
            name: "carol".into(),
            role: Role::Commander,
            tenants: None,
        };
        let busy = store
            .create(NewIncident::from_report(
                report("The busy one"),
                Source::Report,
                None,
                t0(),
            ))
            .await
            .expect("create")
            .incident;
        for i in 0..TIMELINE {
            let basis = if i % 2 == 0 {
                Basis::Fact
            } else {
                Basis::Hypothesis
            };
            respond::add_note(
                &app,
                &commander,
                busy.reference.as_str(),
                basis,
                &format!(
                    "note {i}: the token <b>was</b> used from 203.0.113.{}",
                    i % 250
                ),
            )
            .await
            .expect("note");
        }
        let build_s = built.elapsed().as_secs_f64();
        let (id, _) = session::open(&app, commander.clone())
            .await
            .expect("session");
        let cookie = format!("klaxon_session={}", id.as_str());
        let pages = [
            (format!("list, {INCIDENTS} stored"), "/console".to_owned()),
            (
                format!("incident, {} timeline entries", TIMELINE + 1),
                format!("/console/incidents/{}", busy.reference.as_str()),
            ),
            (
                format!("metrics, {INCIDENTS} over a year, by month"),
                "/console/metrics".to_owned(),
            ),
            (
                format!("metrics, {INCIDENTS} over a year, by week"),
                "/console/metrics?by=week".to_owned(),
            ),
        ];
        println!("built in {build_s:.1} s; {ROUNDS} requests each");
        // What the metrics page spends reading: every incident of the year.
        let read = Instant::now();
        let all = respond::all_between(&app, &commander, t0() - Duration::days(365), t0())
            .await
            .expect("read");
        println!(
            "reading the {} incidents the metrics page covers: {:.0} ms",
            all.len(),
            read.elapsed().as_secs_f64() * 1e3
        );
        println!("| page | median | p95 | worst | HTML | within {BUDGET_MS} ms |");
        println!("|---|---|---|---|---|---|");
        for (name, path) in pages {
            let (ms, size) = time(&app, &path, &cookie).await;
            let p = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
            println!(
                "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {} KiB | {} |",
                p(0.5),
                p(0.95),
                p(1.0),
                size / 1024,
                if p(0.95) <= BUDGET_MS { "yes" } else { "NO" }
            );
        }
    });
}
