//! The table's keys and index names, and the codecs between domain records
//! and items.

use crate::adapters::sortable_ts as ts;
use crate::domain::{DomainEvent, Incident, IncidentId, TimelineEntry};
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub const STATUS_INDEX: &str = "by_status";
pub const OUTBOX_INDEX: &str = "outbox_pending";
pub const DUE_INDEX: &str = "due";
/// Every incident, newest first: one partition, `<created>#<id>` sort keys.
pub const CREATED_INDEX: &str = "by_created";

pub(super) const OUTBOX_PK: &str = "OUTBOX";
pub(super) const DUE_PK: &str = "DUE";
pub(super) const CREATED_PK: &str = "INCIDENT";
pub(super) const IDEMREF: &str = "IDEMREF#";
/// Purges whose `META` is gone but whose children may not be yet.
pub(super) const PURGE_PK: &str = "PURGE";
/// Interrupted purges one delete finishes before its own.
pub(super) const PURGES_PER_DELETE: usize = 10;
pub(super) const NOTIFICATION: &str = "NTF#";
/// The sort key of an incident's repeat counter: next to `META`, so one
/// query reads both.
pub(super) const REPEATS: &str = "META#REPEATS";
/// A listing with filters the index cannot apply reads this many at a time.
pub(super) const FILTERED_PAGE: usize = 100;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn inc_pk(id: IncidentId) -> String {
    format!("INC#{id}")
}

pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn data<T: serde::Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| StoreError::Backend(format!("serialise: {e}")))
}

pub(super) fn from_data<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let v = item
        .get("data")
        .ok_or_else(|| StoreError::Corrupt("item has no data attribute".into()))?;
    serde_dynamo::from_attribute_value(v.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The sort key of both listing indexes: newest first when read backwards.
pub(super) fn created_sk(created_at: DateTime<Utc>, id: IncidentId) -> String {
    format!("{}#{}", ts(created_at), id)
}

pub(super) fn incident_item(inc: &Incident) -> Result<Item, StoreError> {
    let mut item = key(inc_pk(inc.id), "META");
    item.insert("kind".into(), s("incident"));
    item.insert("gsi1pk".into(), s(format!("STATUS#{}", inc.status)));
    item.insert("gsi1sk".into(), s(created_sk(inc.created_at, inc.id)));
    item.insert("gsi4pk".into(), s(CREATED_PK));
    item.insert("gsi4sk".into(), s(created_sk(inc.created_at, inc.id)));
    item.insert("version".into(), AttributeValue::N(inc.version.to_string()));
    // Sparse: only incidents the sweep has work on are in the due index.
    if let Some(due) = inc.next_action_at() {
        item.insert("gsi3pk".into(), s(DUE_PK));
        item.insert("gsi3sk".into(), s(format!("{}#{}", ts(due), inc.id)));
    }
    item.insert("data".into(), data(inc)?);
    Ok(item)
}

pub(super) fn put(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(super) fn child_puts(
    table: &str,
    timeline: &[TimelineEntry],
    events: &[DomainEvent],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut out = Vec::with_capacity(timeline.len() + events.len());
    for e in timeline {
        let mut item = key(inc_pk(e.incident_id), &format!("TL#{:010}", e.seq));
        item.insert("kind".into(), s("timeline"));
        item.insert("data".into(), data(e)?);
        // Append-only: an entry is never overwritten.
        out.push(put(table, item, Some("attribute_not_exists(pk)"))?);
    }
    for ev in events {
        let mut item = key(inc_pk(ev.incident_id), &format!("EVT#{}", ev.id));
        item.insert("kind".into(), s("event"));
        item.insert("gsi2pk".into(), s(OUTBOX_PK));
        item.insert(
            "gsi2sk".into(),
            s(format!("{}#{}", ts(ev.occurred_at), ev.id)),
        );
        item.insert("data".into(), data(ev)?);
        out.push(put(table, item, Some("attribute_not_exists(pk)"))?);
    }
    Ok(out)
}
