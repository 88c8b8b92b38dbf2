//! The outbox relay: publishes committed events and marks them published.
//!
//! Publication is at-least-once. An event whose publish failed, or whose
//! process died before publishing, stays pending and is picked up by
//! [`sweep`]; consumers are idempotent, so a repeat is harmless.

use super::{App, Relay};
use crate::domain::DomainEvent;
use crate::ports::PublishError;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

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
        Relay::Background => {
            let app = Arc::clone(app);
            tokio::spawn(async move {
                publish_and_mark(&app, &events).await;
            });
        }
    }
}

/// Returns how many of `events` were published and marked.
pub async fn publish_and_mark(app: &App, events: &[DomainEvent]) -> usize {
    let failed = match app.publisher.publish(events).await {
        Ok(()) => Vec::new(),
        Err(PublishError::Partial { failed, reason }) => {
            tracing::warn!(failed = failed.len(), %reason, "some events were not published; the sweep will retry them");
            failed
        }
        Err(e) => {
            tracing::warn!(error = %e, "publish failed; the sweep will retry");
            return 0;
        }
    };
    let now = app.clock.now();
    let mut marked = 0;
    for event in events.iter().filter(|e| !failed.contains(&e.id)) {
        match app.store.mark_published(event, now).await {
            Ok(()) => marked += 1,
            // Published but not marked: it will be published again, which
            // consumers tolerate.
            Err(e) => {
                tracing::warn!(event_id = %event.id, error = %e, "could not mark event published")
            }
        }
    }
    marked
}

/// Re-publishes events left pending longer than `grace`. Returns how many were published.
pub async fn sweep(app: &App, grace: Duration) -> Result<usize, super::HandlerError> {
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
        let done = publish_and_mark(app, &pending).await;
        total += done;
        if done < n {
            // The bus is refusing: stop and let the next sweep try.
            return Ok(total);
        }
    }
}

/// At start-up: re-publishes everything pending, however young, since no
/// request of this process can still be publishing it.
pub async fn recover(app: &App) -> Result<usize, super::HandlerError> {
    // A margin past now covers events stamped by a clock slightly ahead.
    sweep_before(app, app.clock.now() + Duration::minutes(5)).await
}
