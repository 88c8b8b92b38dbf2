//! `RepeatCounter` over the table: one counter item per incident,
//! `INC#<id>` / `META#REPEATS`, bumped by one `UpdateItem` (`ADD`) per
//! repeat. DynamoDB applies concurrent `ADD`s one after another, so none
//! conflicts and none is lost, and the incident's own item (and version) is
//! never touched. A commit that leaves the incident not open sets `closed`
//! on the counter in the same transaction, so no repeat counts after it.
//!
//! Which incident a key names comes from the caller (intake remembers the
//! keys it has seen), else from the `IDEM#` item. A stale hint can only name
//! an incident that is no longer open, whose counter refuses the write.

use super::keys::*;
use super::{DynamoIncidentStore, classify};
use crate::domain::{Burst, IncidentId, RepeatSeen, Repeats};
use crate::ports::{RepeatCount, RepeatCounter, StoreError};
use crate::retry::{Backoff, Growth, Try};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A repeat that meets a commit in flight on its counter waits and retries:
/// 6 tries, waiting 5 ms doubling.
const COUNTER: Backoff = Backoff {
    attempts: 6,
    base: Duration::from_millis(5),
    growth: Growth::Doubling,
    cap: Duration::from_millis(80),
    jitter: Duration::ZERO,
};

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn num<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("repeat counter has no {name}")))
}

fn time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(num(item, name)?)
        .ok_or_else(|| StoreError::Corrupt(format!("repeat counter's {name} is out of range")))
}

/// A counter item as [`Repeats`]; `None` for the `closed` marker a commit
/// leaves on an incident that never had a counter.
fn from_item(item: &Item) -> Result<Option<Repeats>, StoreError> {
    if !item.contains_key("occurrences") {
        return Ok(None);
    }
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("repeat counter has no {name}")))
    };
    let id = text("incident_id")?;
    Ok(Some(Repeats {
        incident_id: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("bad incident id {id:?}")))?,
        reference: serde_json::from_value(serde_json::Value::String(text("reference")?.clone()))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        occurrences: num(item, "occurrences")?,
        first_seen: time(item, "first_seen")?,
        last_seen: time(item, "last_seen")?,
        burst: Burst {
            start: time(item, "burst_start")?,
            base: num(item, "burst_base")?,
        },
        rank: num(item, "rank")?,
        sample: item
            .get("sample")
            .and_then(|v| v.as_s().ok())
            .map(|s| s.as_str().into()),
    }))
}

/// The counted occurrences a `META#REPEATS` item holds, for reads of the incident.
pub(super) fn occurrences(item: &Item) -> Option<u32> {
    item.get("occurrences")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

impl DynamoIncidentStore {
    /// The incident a key names: the caller's hint, else its `IDEM#` item.
    async fn key_target(&self, seen: &RepeatSeen) -> Result<Option<IncidentId>, StoreError> {
        if let Some(id) = seen.incident {
            return Ok(Some(id));
        }
        let Some(item) = self
            .get_item(format!("IDEM#{}", seen.key.as_str()), "IDEM")
            .await?
        else {
            return Ok(None);
        };
        item.get("incident_id")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| v.parse::<IncidentId>().ok())
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("idempotency item has no incident_id".into()))
    }
}

#[async_trait]
impl RepeatCounter for DynamoIncidentStore {
    async fn count_repeat(&self, seen: &RepeatSeen) -> Result<RepeatCount, StoreError> {
        let busy = || {
            StoreError::Unavailable("the incident's repeat counter is busy; retry shortly".into())
        };
        COUNTER
            .run((), |()| async move {
                let Some(id) = self.key_target(seen).await? else {
                    return Ok(Try::Done(RepeatCount::Unknown));
                };
                let result = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(inc_pk(id), REPEATS)))
                    .update_expression("ADD #occ :one SET #last = :at, #sample = :sample")
                    .condition_expression(
                        "attribute_exists(#occ) AND attribute_not_exists(#closed) AND #rank <= :rank",
                    )
                    .expression_attribute_names("#occ", "occurrences")
                    .expression_attribute_names("#last", "last_seen")
                    .expression_attribute_names("#sample", "sample")
                    .expression_attribute_names("#closed", "closed")
                    .expression_attribute_names("#rank", "rank")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":at", n(seen.at.timestamp_micros()))
                    .expression_attribute_values(":sample", s(seen.sample.to_string()))
                    .expression_attribute_values(":rank", n(seen.rank))
                    .return_values(ReturnValue::AllOld)
                    .send()
                    .await;
                let err = match result {
                    Ok(out) => {
                        let before = out.attributes.unwrap_or_default();
                        return from_item(&before)?
                            .map(|r| Try::Done(RepeatCount::Counted(r)))
                            .ok_or_else(|| {
                                StoreError::Corrupt("counted a repeat on no counter".into())
                            });
                    }
                    Err(e) => e,
                };
                match err.code() {
                    Some("ConditionalCheckFailedException") => {
                        // Rare: find out which part of the condition failed.
                        let item = self.get_item(inc_pk(id), REPEATS).await?;
                        let open = item
                            .as_ref()
                            .filter(|i| !i.contains_key("closed"))
                            .map(from_item)
                            .transpose()?
                            .flatten();
                        Ok(match open {
                            Some(r) if seen.rank < r.rank => Try::Done(RepeatCount::NewSignal(r)),
                            // The rank was lowered meanwhile: count again.
                            Some(_) => Try::Again((), busy()),
                            None => Try::Done(RepeatCount::Unknown),
                        })
                    }
                    // A commit closing the incident holds the counter right now.
                    Some("TransactionConflictException") => Ok(Try::Again((), busy())),
                    _ => Err(classify(&err)),
                }
            })
            .await
    }

    async fn open_repeats(&self, initial: &Repeats) -> Result<(), StoreError> {
        let r = initial;
        let mut item = key(inc_pk(r.incident_id), REPEATS);
        item.insert("kind".into(), s("repeats"));
        item.insert("incident_id".into(), s(r.incident_id.to_string()));
        item.insert("reference".into(), s(r.reference.as_str()));
        item.insert("occurrences".into(), n(r.occurrences));
        item.insert("first_seen".into(), n(r.first_seen.timestamp_micros()));
        item.insert("last_seen".into(), n(r.last_seen.timestamp_micros()));
        item.insert("burst_start".into(), n(r.burst.start.timestamp_micros()));
        item.insert("burst_base".into(), n(r.burst.base));
        item.insert("rank".into(), n(r.rank));
        if let Some(sample) = &r.sample {
            item.insert("sample".into(), s(sample.to_string()));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Opened already (or closed): that one stands.
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn next_burst(
        &self,
        id: IncidentId,
        seen: &Burst,
        next: &Burst,
        rank: u8,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(inc_pk(id), REPEATS)))
            .update_expression("SET #start = :ns, #base = :nb, #rank = :rank")
            .condition_expression("#start = :ss AND #base = :sb")
            .expression_attribute_names("#start", "burst_start")
            .expression_attribute_names("#base", "burst_base")
            .expression_attribute_names("#rank", "rank")
            .expression_attribute_values(":ns", n(next.start.timestamp_micros()))
            .expression_attribute_values(":nb", n(next.base))
            .expression_attribute_values(":ss", n(seen.start.timestamp_micros()))
            .expression_attribute_values(":sb", n(seen.base))
            .expression_attribute_values(":rank", n(rank))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn repeats(&self, id: IncidentId) -> Result<Option<Repeats>, StoreError> {
        match self.get_item(inc_pk(id), REPEATS).await? {
            Some(item) => from_item(&item),
            None => Ok(None),
        }
    }
}
