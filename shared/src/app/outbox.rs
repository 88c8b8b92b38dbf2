//! The outbox relay: publishes committed events and marks them published.
//!
//! Publication is at-least-once. An event whose publish failed, or whose
//! process died before publishing, stays pending and is picked up by
//! [`sweep`]; consumers are idempotent, so a repeat is harmless.

use super::{App, Relay};
use crate::domain::{DomainEvent, EventId, EventKind, Incident};
use crate::ports::PublishError;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{Notify, watch};

/// Events younger than this are left to the request that committed them.
pub const SWEEP_GRACE_SECS: i64 = 60;
const SWEEP_BATCH: usize = 100;

/// Publishes events just committed, inline or in the background per the app's relay mode.
pub async fn flush(app: &Arc<App>, events: Vec<DomainEvent>) {
    if events.is_empty() {
        return;
    }
    match app.relay {
        Relay::Inline => {
            publish_and_mark(app, &events).await;
        }
        Relay::Background if events.iter().any(pages) => app.background.urgent(app, events),
        // The events are committed, so the relay finds them in the outbox.
        Relay::Background => app.background.wake(app),
    }
}

/// [`flush`] for a new incident's events. In the background relay a report
/// that will page (by the same engine and policy triage runs) is triaged
/// ahead of the backlog, so its page does not wait behind a flood.
pub async fn flush_new(app: &Arc<App>, incident: &Incident, events: Vec<DomainEvent>) {
    if app.relay == Relay::Background && !events.is_empty() && will_page(app, incident) {
        app.background.urgent(app, events);
        return;
    }
    flush(app, events).await;
}

/// Whether an event wakes someone up: its page goes before all else.
pub fn pages(event: &DomainEvent) -> bool {
    event.kind == EventKind::EscalationTriggered
}

/// Whether triage will page for this incident: the severity its assessment
/// will give (a drill's is its scenario's) has a paging policy. Pure, and
/// cheap next to the triage it moves up.
fn will_page(app: &App, incident: &Incident) -> bool {
    let policy = &app.settings.policy;
    match incident.drill_scenario {
        Some(scenario) => policy.escalation(scenario.severity).is_some(),
        None => {
            // A report that needs triage pages too. Its triage here reuses
            // this answer rather than reading the report again.
            let a = policy.assess(&super::assess::facts(incident));
            let pages = a.needs_triage || policy.escalation(a.severity).is_some();
            app.assessments.keep(incident, a);
            pages
        }
    }
}

/// Concurrent publishes of the background relay. The relay's share of the
/// process is bounded, so a flood of reports is still answered quickly
/// while triage and paging work through the outbox behind it. Four, not
/// eight: with eight the pipeline's writes took enough of the store to
/// hold intake's p99 at 15 ms (docs/PERFORMANCE.md).
const RELAY_LANES: usize = 4;
/// Events read from the outbox per relay pass.
const RELAY_BATCH: usize = 256;
/// Failed events the relay remembers, until the sweep asks for a retry;
/// past this it forgets them and tries them once more.
const RELAY_SKIP_CAP: usize = 4096;
/// Paging events held in memory for the urgent lanes; past this they wait
/// in the outbox like any other, so memory stays flat under a flood of
/// critical reports too.
const URGENT_CAP: usize = 1024;

/// The background relay of `klaxon serve`. Two tasks, started by the first
/// flush:
/// - the urgent lanes publish what pages (a report that will page, and the
///   events of its page) as soon as it is committed, from memory;
/// - the bulk lanes publish whatever else is pending in the outbox, oldest
///   first, and stand aside before each event while paging work waits.
///
/// Each runs [`RELAY_LANES`] concurrent lanes. Reading the outbox rather
/// than a queue of its own keeps memory flat under a flood and means
/// nothing committed can be missed, in this process or after a crash: an
/// urgent event is in the outbox too, and goes out oldest first there if
/// the urgent lanes are full or fail.
#[derive(Default)]
pub struct BackgroundRelay {
    wake: Arc<Notify>,
    started: AtomicBool,
    /// Set by the sweep: retry the events whose publish failed.
    retry: Arc<AtomicBool>,
    urgent: Arc<Urgent>,
}

/// Paging work for the urgent lanes.
struct Urgent {
    /// Committed events waiting for an urgent lane.
    queue: Mutex<VecDeque<DomainEvent>>,
    /// Queued or being published: the bulk lanes leave these alone.
    held: Mutex<HashSet<EventId>>,
    wake: Notify,
    /// True while paging work waits or runs; the bulk lanes wait on it.
    busy: watch::Sender<bool>,
}

impl Default for Urgent {
    fn default() -> Self {
        Self {
            queue: Mutex::default(),
            held: Mutex::default(),
            wake: Notify::new(),
            busy: watch::Sender::new(false),
        }
    }
}

impl Urgent {
    /// Queues `events`, or none of them if there is no room: one incident's
    /// events go together or wait in the outbox together.
    fn push(&self, events: Vec<DomainEvent>) -> bool {
        let mut queue = lock(&self.queue);
        if queue.len() + events.len() > URGENT_CAP {
            return false;
        }
        lock(&self.held).extend(events.iter().map(|e| e.id));
        queue.extend(events);
        self.busy.send_replace(true);
        true
    }

    /// Everything queued, or none: then the lanes are idle.
    fn take(&self) -> Vec<DomainEvent> {
        let mut queue = lock(&self.queue);
        if queue.is_empty() {
            self.busy.send_replace(false);
        }
        queue.drain(..).collect()
    }

    fn release(&self, ids: &[EventId]) {
        let mut held = lock(&self.held);
        for id in ids {
            held.remove(id);
        }
    }

    fn holds(&self, id: &EventId) -> bool {
        lock(&self.held).contains(id)
    }

    /// Returns once no paging work waits.
    async fn idle(&self) {
        let mut busy = self.busy.subscribe();
        let _ = busy.wait_for(|b| !*b).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BackgroundRelay {
    fn running(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    fn start(&self, app: &Arc<App>) {
        if !self.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(relay(
                Arc::downgrade(app),
                Arc::clone(&self.wake),
                Arc::clone(&self.retry),
                Arc::clone(&self.urgent),
            ));
            tokio::spawn(urgent_relay(Arc::downgrade(app), Arc::clone(&self.urgent)));
        }
    }

    fn wake(&self, app: &Arc<App>) {
        self.start(app);
        self.wake.notify_one();
    }

    /// Hands paging work to the urgent lanes; with no room, to the outbox.
    fn urgent(&self, app: &Arc<App>, events: Vec<DomainEvent>) {
        self.start(app);
        if self.urgent.push(events) {
            self.urgent.wake.notify_one();
        } else {
            tracing::debug!("urgent lanes full; paging events wait in the outbox");
            self.wake.notify_one();
        }
    }
}

async fn relay(app: Weak<App>, wake: Arc<Notify>, retry: Arc<AtomicBool>, urgent: Arc<Urgent>) {
    let grace = std::time::Duration::from_secs(SWEEP_GRACE_SECS.unsigned_abs());
    // Events whose publish failed are retried when the sweep asks (each
    // escalation tick) or after the sweep's grace period, not on every
    // wake: a bus that is down must not turn the relay into a hot loop.
    let mut skip: HashSet<EventId> = HashSet::new();
    let mut skip_since = tokio::time::Instant::now();
    loop {
        {
            // Holding the app only during a pass lets it drop at shutdown.
            let Some(app) = app.upgrade() else { return };
            if retry.swap(false, Ordering::AcqRel)
                || skip.len() > RELAY_SKIP_CAP
                || skip_since.elapsed() >= grace
            {
                skip.clear();
                skip_since = tokio::time::Instant::now();
            }
            while relay_pass(&app, &mut skip, &urgent).await {}
        }
        let _ = tokio::time::timeout(grace, wake.notified()).await;
    }
}

/// The urgent lanes: each time paging work is queued, publish all of it.
async fn urgent_relay(app: Weak<App>, urgent: Arc<Urgent>) {
    loop {
        loop {
            let events = urgent.take();
            if events.is_empty() {
                break;
            }
            let Some(app) = app.upgrade() else { return };
            let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
            let mut events = events;
            // Within an incident a page goes before the messages of its
            // triage and the comms drafts. Consumers do not rely on the
            // order (EventBridge keeps none); the stable sort keeps the rest.
            events.sort_by_key(|e| !pages(e));
            // Failures stay pending in the outbox: the bulk lanes and the
            // sweep retry them.
            let _ = run_lanes(&app, events, None).await;
            urgent.release(&ids);
        }
        urgent.wake.notified().await;
    }
}

/// One batch from the outbox; false when there was nothing left to do.
async fn relay_pass(app: &Arc<App>, skip: &mut HashSet<EventId>, urgent: &Arc<Urgent>) -> bool {
    // A margin past now covers events stamped by a clock slightly ahead.
    let before = app.clock.now() + Duration::minutes(5);
    let pending = match app
        .store
        .pending_events(before, RELAY_BATCH + skip.len())
        .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "relay could not read the outbox; the sweep will retry");
            return false;
        }
    };
    let fresh: Vec<DomainEvent> = pending
        .into_iter()
        .filter(|e| !skip.contains(&e.id) && !urgent.holds(&e.id))
        .collect();
    if fresh.is_empty() {
        return false;
    }
    skip.extend(run_lanes(app, fresh, Some(urgent)).await);
    true
}

/// Publishes `events` in [`RELAY_LANES`] concurrent lanes, one lane per
/// incident so each incident's events keep their order. Bulk lanes
/// (`yield_to` set) wait before each event while paging work is queued,
/// and leave alone what the urgent lanes took meanwhile. Returns the ids
/// left pending.
async fn run_lanes(
    app: &Arc<App>,
    events: Vec<DomainEvent>,
    yield_to: Option<&Arc<Urgent>>,
) -> Vec<EventId> {
    let mut lanes: Vec<Vec<DomainEvent>> = vec![Vec::new(); RELAY_LANES];
    for event in events {
        // The id's random bits spread incidents evenly.
        let lane = event.incident_id.0.random() % RELAY_LANES as u128;
        lanes[usize::try_from(lane).unwrap_or(0)].push(event);
    }
    let mut running = tokio::task::JoinSet::new();
    // Each lane's events by task, so a lane that panics has its events
    // skipped like failed ones; otherwise the next pass would read them
    // again at once, and the relay would spin.
    let mut lane_events = std::collections::HashMap::new();
    for lane in lanes.into_iter().filter(|l| !l.is_empty()) {
        let ids: Vec<EventId> = lane.iter().map(|e| e.id).collect();
        let app = Arc::clone(app);
        let yield_to = yield_to.cloned();
        let task = running.spawn(async move {
            let Some(urgent) = yield_to else {
                return publish_and_mark(&app, &lane).await;
            };
            let mut left = Vec::new();
            for event in lane {
                urgent.idle().await;
                if !urgent.holds(&event.id) {
                    left.extend(publish_and_mark(&app, std::slice::from_ref(&event)).await);
                }
            }
            left
        });
        lane_events.insert(task.id(), ids);
    }
    let mut left = Vec::new();
    while let Some(done) = running.join_next().await {
        match done {
            Ok(failed) => left.extend(failed),
            Err(e) => {
                tracing::error!(error = %e, "relay lane failed; its events wait for the sweep");
                left.extend(lane_events.remove(&e.id()).unwrap_or_default());
            }
        }
    }
    left
}

/// Publishes `events` and marks them published; returns the ids of those
/// left pending (refused by the bus, or published but not marked).
pub async fn publish_and_mark(app: &App, events: &[DomainEvent]) -> Vec<EventId> {
    let failed = match app.publisher.publish(events).await {
        Ok(()) => Vec::new(),
        Err(PublishError::Partial { failed, reason }) => {
            tracing::warn!(failed = failed.len(), %reason, "some events were not published; the sweep will retry them");
            failed
        }
        Err(e) => {
            tracing::warn!(error = %e, "publish failed; the sweep will retry");
            return events.iter().map(|e| e.id).collect();
        }
    };
    let now = app.clock.now();
    let mut left = failed.clone();
    for event in events.iter().filter(|e| !failed.contains(&e.id)) {
        if let Err(e) = app.store.mark_published(event, now).await {
            // Published but not marked: it will be published again, which
            // consumers tolerate.
            tracing::warn!(event_id = %event.id, error = %e, "could not mark event published");
            left.push(event.id);
        }
    }
    left
}

/// Re-publishes events left pending longer than `grace`. Returns how many were published.
pub async fn sweep(app: &App, grace: Duration) -> Result<usize, super::HandlerError> {
    if app.relay == Relay::Background && app.background.running() {
        // The background relay owns the outbox: it retries the failures;
        // sweeping here too would publish its backlog twice.
        app.background.retry.store(true, Ordering::Release);
        app.background.wake.notify_one();
        return Ok(0);
    }
    sweep_before(app, app.clock.now() - grace).await
}

async fn sweep_before(app: &App, before: DateTime<Utc>) -> Result<usize, super::HandlerError> {
    let mut total = 0;
    loop {
        let pending = app.store.pending_events(before, SWEEP_BATCH).await?;
        if pending.is_empty() {
            return Ok(total);
        }
        let n = pending.len();
        let left = publish_and_mark(app, &pending).await.len();
        total += n - left;
        if left > 0 {
            // The bus is refusing: stop and let the next sweep try.
            return Ok(total);
        }
    }
}

/// At start-up of a background relay (`klaxon serve`): starts the relay,
/// which publishes everything pending, however young, in its lanes while
/// the server already answers. After a crash mid-flood that can be
/// hundreds of thousands of events; recovering them inline first kept the
/// port closed for minutes.
pub fn resume(app: &Arc<App>) {
    if app.relay == Relay::Background {
        app.background.wake(app);
    }
}

/// At start-up: re-publishes everything pending, however young, since no
/// request of this process can still be publishing it.
pub async fn recover(app: &App) -> Result<usize, super::HandlerError> {
    // A margin past now covers events stamped by a clock slightly ahead.
    sweep_before(app, app.clock.now() + Duration::minutes(5)).await
}
