//! `EventBridgePublisher`: domain events onto the Klaxon bus, `source` `klaxon`,
//! `detail-type` the event's name, `detail` the event.

use crate::domain::{DomainEvent, EVENT_SOURCE};
use crate::ports::{EventPublisher, PublishError};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

/// PutEvents takes at most 10 entries per call.
const BATCH: usize = 10;

pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        let mut failed = Vec::new();
        let mut reason = String::new();
        for (i, chunk) in events.chunks(BATCH).enumerate() {
            let mut req = self.client.put_events();
            for ev in chunk {
                let detail = serde_json::to_string(ev)
                    .map_err(|e| PublishError::Unavailable(format!("serialise event: {e}")))?;
                req = req.entries(
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(EVENT_SOURCE)
                        .detail_type(ev.kind.detail_type())
                        .detail(detail)
                        .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                            ev.occurred_at.timestamp_millis(),
                        ))
                        .build(),
                );
            }
            match req.send().await {
                Ok(out) if out.failed_entry_count() > 0 => {
                    // Entries come back in request order; failed ones carry an error code.
                    let before = failed.len();
                    for (ev, entry) in chunk.iter().zip(out.entries()) {
                        if let Some(code) = entry.error_code() {
                            failed.push(ev.id);
                            reason = format!("{code}: {}", entry.error_message().unwrap_or(""));
                        }
                    }
                    // A count the entries do not account for: count the whole
                    // chunk failed. A repeat is harmless; a loss is not.
                    let count = usize::try_from(out.failed_entry_count()).unwrap_or(0);
                    if failed.len() - before < count {
                        failed.truncate(before);
                        failed.extend(chunk.iter().map(|e| e.id));
                        reason = format!(
                            "{} of {} entries failed, not all named",
                            out.failed_entry_count(),
                            chunk.len()
                        );
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let (_, msg) = super::sdk_failure(&e);
                    // Nothing from this chunk on was sent.
                    failed.extend(events[i * BATCH..].iter().map(|e| e.id));
                    if failed.len() == events.len() {
                        return Err(PublishError::Unavailable(msg));
                    }
                    return Err(PublishError::Partial {
                        failed,
                        reason: msg,
                    });
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PublishError::Partial { failed, reason })
        }
    }
}
