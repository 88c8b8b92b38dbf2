//! `HeartbeatStore`: monitors in one partition (`HEARTBEAT`), and in the
//! `due` index under a partition of their own (`HEARTBEAT_DUE`), which the
//! incidents' sweep never reads.

use super::keys::{DUE_INDEX, Item, data, from_data, key, s};
use super::{DynamoIncidentStore, classify};
use crate::adapters::sortable_ts as ts;
use crate::domain::heartbeat::{Monitor, MonitorName};
use crate::ports::{HeartbeatStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

const PK: &str = "HEARTBEAT";
const DUE_PK: &str = "HEARTBEAT_DUE";

fn item(m: &Monitor) -> Result<Item, StoreError> {
    let mut item = key(PK.into(), m.spec.name.as_str());
    item.insert("kind".into(), s("monitor"));
    item.insert("version".into(), AttributeValue::N(m.version.to_string()));
    if let Some(due) = m.due_at() {
        item.insert("gsi3pk".into(), s(DUE_PK));
        item.insert("gsi3sk".into(), s(format!("{}#{}", ts(due), m.spec.name)));
    }
    item.insert("data".into(), data(m)?);
    Ok(item)
}

#[async_trait]
impl HeartbeatStore for DynamoIncidentStore {
    async fn create_monitor(&self, monitor: &Monitor) -> Result<(), StoreError> {
        self.put_monitor(monitor, "attribute_not_exists(pk)", None)
            .await
    }

    async fn save_monitor(&self, monitor: &Monitor, expected: u64) -> Result<Monitor, StoreError> {
        let mut m = monitor.clone();
        m.version = expected + 1;
        self.put_monitor(&m, "version = :v", Some(expected)).await?;
        Ok(m)
    }

    async fn monitor(&self, name: &MonitorName) -> Result<Option<Monitor>, StoreError> {
        self.get_item(PK.into(), name.as_str())
            .await?
            .map(|i| from_data(&i))
            .transpose()
    }

    async fn monitors(&self) -> Result<Vec<Monitor>, StoreError> {
        let values = HashMap::from([(":p".to_owned(), s(PK))]);
        self.query_data(None, "pk = :p", values, None).await
    }

    async fn delete_monitor(&self, name: &MonitorName) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(PK.into(), name.as_str())))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn monitors_due(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<Monitor>, u64), StoreError> {
        // '~' sorts after every name character: includes all due at `before`.
        let values = HashMap::from([
            (":d".to_owned(), s(DUE_PK)),
            (":before".to_owned(), s(format!("{}#~", ts(before)))),
        ]);
        let (items, examined) = self
            .query_items(
                Some(DUE_INDEX),
                "gsi3pk = :d AND gsi3sk <= :before",
                values,
                Some(limit),
            )
            .await?;
        let due = items.iter().map(from_data).collect::<Result<_, _>>()?;
        Ok((due, examined))
    }
}

impl DynamoIncidentStore {
    async fn put_monitor(
        &self,
        m: &Monitor,
        condition: &str,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(m)?))
            .condition_expression(condition)
            .set_expression_attribute_values(
                expected
                    .map(|v| HashMap::from([(":v".to_owned(), AttributeValue::N(v.to_string()))])),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                Err(StoreError::MonitorChanged(m.spec.name.to_string()))
            }
            Err(e) => Err(classify(&e)),
        }
    }
}
