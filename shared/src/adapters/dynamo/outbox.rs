//! `Outbox` over the table: the pending-events index.

use super::keys::*;
use super::*;
use crate::adapters::sortable_ts as ts;
use crate::domain::DomainEvent;
use crate::ports::{Outbox, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[async_trait]
impl Outbox for DynamoIncidentStore {
    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        let values = HashMap::from([
            (":o".to_owned(), s(OUTBOX_PK)),
            (":before".to_owned(), s(ts(before))),
        ]);
        self.query_data(
            Some(OUTBOX_INDEX),
            "gsi2pk = :o AND gsi2sk < :before",
            values,
            Some(limit),
        )
        .await
    }

    async fn mark_published(
        &self,
        event: &DomainEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Removing the GSI keys takes the event out of the sparse index.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                inc_pk(event.incident_id),
                &format!("EVT#{}", event.id),
            )))
            .update_expression("REMOVE gsi2pk, gsi2sk SET published_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(ts(at)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Err(
                StoreError::Corrupt(format!("event {} is not in the outbox", event.id)),
            ),
            Err(e) => Err(classify(&e)),
        }
    }
}
