//! Escalate: the scheduled sweep. For now it re-publishes stranded outbox
//! events; deadline clocks and paging policies build on it.

use super::{App, HandlerError, outbox};
use chrono::Duration;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tick {
    pub republished: usize,
}

pub async fn tick(app: &App) -> Result<Tick, HandlerError> {
    let republished = outbox::sweep(app, Duration::seconds(outbox::SWEEP_GRACE_SECS)).await?;
    if republished > 0 {
        tracing::info!(republished, "re-published stranded events");
    }
    Ok(Tick { republished })
}
