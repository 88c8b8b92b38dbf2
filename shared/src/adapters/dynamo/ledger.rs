//! `DeliveryLedger` over the table: claims with a TTL.

use super::keys::*;
use super::*;
use crate::adapters::sortable_ts as ts;
use crate::ports::{DeliveryLedger, LedgerKey, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

/// Delivery records only need to outlive any redelivery window.
const DELIVERY_TTL_DAYS: i64 = 30;

#[async_trait]
impl DeliveryLedger for DynamoIncidentStore {
    async fn try_claim(
        &self,
        k: &LedgerKey,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let mut item = key(format!("DLV#{}", k.as_str()), "DLV");
        item.insert("state".into(), s("pending"));
        item.insert("claimed_at".into(), s(ts(now)));
        item.insert(
            "expires_at".into(),
            AttributeValue::N(
                (now + Duration::days(DELIVERY_TTL_DAYS))
                    .timestamp()
                    .to_string(),
            ),
        );
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :pending AND claimed_at <= :stale)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":stale", s(ts(now - lease)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn delivered(&self, k: &LedgerKey) -> Result<bool, StoreError> {
        let item = self.get_item(format!("DLV#{}", k.as_str()), "DLV").await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("state"))
            .and_then(|v| v.as_s().ok())
            .is_some_and(|v| v == "done"))
    }

    async fn complete(&self, k: &LedgerKey, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("DLV#{}", k.as_str()), "DLV")))
            .update_expression("SET #state = :done, completed_at = :at")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s("done"))
            .expression_attribute_values(":at", s(ts(now)))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }

    async fn release(&self, k: &LedgerKey) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("DLV#{}", k.as_str()), "DLV")))
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("pending"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }
}
