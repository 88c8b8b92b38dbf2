//! `RosterStore` in the one table, with no index of its own: people and
//! schedules in one partition (`ROSTER`), so listing them is a query, not a
//! scan; each schedule's overrides in a partition of their own, sorted by
//! when they end, so a read skips past ones; a feed's token digest as its
//! own key (`FEED#<digest>`), which a pointer beside its owner names.
//! Every read is strongly consistent: an override counts as soon as it is
//! written.

use super::keys::{Item, data, from_data, key, s};
use super::{DynamoIncidentStore, classify};
use crate::adapters::sortable_ts as ts;
use crate::domain::oncall::{
    FeedDigest, FeedOwner, Override, OverrideId, Person, PersonId, Schedule, ScheduleId,
};
use crate::ports::{RosterStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{Delete, DeleteRequest, TransactWriteItem, WriteRequest};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

const ROSTER: &str = "ROSTER";
const PERSON: &str = "PERSON#";
const SCHEDULE: &str = "SCHEDULE#";
const FEED_OF: &str = "FEEDOF#";

fn override_pk(schedule: &ScheduleId) -> String {
    format!("OVERRIDE#{schedule}")
}

fn override_sk(o: &Override) -> String {
    format!("{}#{}", ts(o.end), o.id)
}

fn feed_pk(digest: &str) -> String {
    format!("FEED#{digest}")
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn delete(table: &str, k: Item) -> Result<TransactWriteItem, StoreError> {
    Ok(TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(k))
                .build()
                .map_err(backend)?,
        )
        .build())
}

impl DynamoIncidentStore {
    async fn put_data<T: serde::Serialize>(
        &self,
        pk: String,
        sk: &str,
        kind: &str,
        v: &T,
    ) -> Result<(), StoreError> {
        let mut item = key(pk, sk);
        item.insert("kind".into(), s(kind));
        item.insert("data".into(), data(v)?);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }

    /// Every item of a partition, or those whose sort key meets `sk`
    /// (`begins_with(sk, :s)`, `sk > :s`), read consistently, page by page.
    async fn roster_query(
        &self,
        pk: String,
        sk: Option<(&str, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        let mut values = HashMap::from([(":p".to_owned(), s(pk))]);
        let condition = match sk {
            Some((c, v)) => {
                values.insert(":s".into(), s(v));
                format!("pk = :p AND {c}")
            }
            None => "pk = :p".to_owned(),
        };
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&condition)
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    async fn roster_list<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        self.roster_query(ROSTER.into(), Some(("begins_with(sk, :s)", prefix.into())))
            .await?
            .iter()
            .map(from_data)
            .collect()
    }

    async fn delete_key(&self, k: Item) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(k))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// The digest an owner's feed pointer names, if it has a feed.
    async fn feed_of(&self, owner: &FeedOwner) -> Result<Option<String>, StoreError> {
        let item = self
            .get_item(ROSTER.into(), &format!("{FEED_OF}{}", owner.key()))
            .await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("digest"))
            .and_then(|d| d.as_s().ok())
            .cloned())
    }

    /// Removes an owner's feed: its pointer and its digest's key.
    async fn drop_feed(&self, owner: &FeedOwner) -> Result<(), StoreError> {
        let Some(old) = self.feed_of(owner).await? else {
            return Ok(());
        };
        let items = vec![
            delete(
                &self.table,
                key(ROSTER.into(), &format!("{FEED_OF}{}", owner.key())),
            )?,
            delete(&self.table, key(feed_pk(&old), "FEED"))?,
        ];
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }
}

#[async_trait]
impl RosterStore for DynamoIncidentStore {
    async fn put_person(&self, person: &Person) -> Result<(), StoreError> {
        self.put_data(
            ROSTER.into(),
            &format!("{PERSON}{}", person.id),
            "person",
            person,
        )
        .await
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
        self.get_item(ROSTER.into(), &format!("{PERSON}{id}"))
            .await?
            .map(|i| from_data(&i))
            .transpose()
    }

    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        self.roster_list(PERSON).await
    }

    async fn delete_person(&self, id: &PersonId) -> Result<bool, StoreError> {
        self.drop_feed(&FeedOwner::Person(id.clone())).await?;
        self.delete_key(key(ROSTER.into(), &format!("{PERSON}{id}")))
            .await
    }

    async fn put_schedule(&self, schedule: &Schedule) -> Result<(), StoreError> {
        self.put_data(
            ROSTER.into(),
            &format!("{SCHEDULE}{}", schedule.id),
            "schedule",
            schedule,
        )
        .await
    }

    async fn schedule(&self, id: &ScheduleId) -> Result<Option<Schedule>, StoreError> {
        self.get_item(ROSTER.into(), &format!("{SCHEDULE}{id}"))
            .await?
            .map(|i| from_data(&i))
            .transpose()
    }

    async fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        self.roster_list(SCHEDULE).await
    }

    async fn delete_schedule(&self, id: &ScheduleId) -> Result<bool, StoreError> {
        self.drop_feed(&FeedOwner::Schedule(id.clone())).await?;
        let overrides = self.roster_query(override_pk(id), None).await?;
        let requests = overrides
            .into_iter()
            .filter_map(|i| {
                let k: Item = ["pk", "sk"]
                    .iter()
                    .filter_map(|n| i.get(*n).map(|v| ((*n).to_owned(), v.clone())))
                    .collect();
                DeleteRequest::builder()
                    .set_key(Some(k))
                    .build()
                    .ok()
                    .map(|d| WriteRequest::builder().delete_request(d).build())
            })
            .collect();
        self.batch_write(requests).await?;
        self.delete_key(key(ROSTER.into(), &format!("{SCHEDULE}{id}")))
            .await
    }

    async fn add_override(&self, o: &Override) -> Result<(), StoreError> {
        self.put_data(override_pk(&o.schedule), &override_sk(o), "override", o)
            .await
    }

    async fn overrides(
        &self,
        schedule: &ScheduleId,
        after: DateTime<Utc>,
    ) -> Result<Vec<Override>, StoreError> {
        // Sort keys are `<end>#<id>`; '~' sorts after every id character.
        let mut all: Vec<Override> = self
            .roster_query(
                override_pk(schedule),
                Some(("sk > :s", format!("{}#~", ts(after)))),
            )
            .await?
            .iter()
            .map(from_data)
            .collect::<Result<_, _>>()?;
        all.retain(|o| o.end > after);
        all.sort_by_key(|o| (o.start, o.id));
        Ok(all)
    }

    async fn delete_override(
        &self,
        schedule: &ScheduleId,
        id: OverrideId,
    ) -> Result<bool, StoreError> {
        // The key holds the end, which the caller does not know: find it.
        let items = self.roster_query(override_pk(schedule), None).await?;
        let suffix = format!("#{id}");
        let Some(sk) = items
            .iter()
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()))
            .find(|sk| sk.ends_with(&suffix))
        else {
            return Ok(false);
        };
        self.delete_key(key(override_pk(schedule), sk)).await
    }

    async fn set_feed(&self, owner: &FeedOwner, digest: &FeedDigest) -> Result<(), StoreError> {
        let old = self.feed_of(owner).await?;
        let mut pointer = key(ROSTER.into(), &format!("{FEED_OF}{}", owner.key()));
        pointer.insert("kind".into(), s("feed pointer"));
        pointer.insert("digest".into(), s(digest.as_str()));
        let mut feed = key(feed_pk(digest.as_str()), "FEED");
        feed.insert("kind".into(), s("feed"));
        feed.insert("data".into(), data(owner)?);
        // The pointer only moves from the digest read, so two rotations at
        // once cannot both leave their token working.
        let (condition, values) = match &old {
            Some(d) => (
                "digest = :old",
                Some(HashMap::from([(":old".to_owned(), s(d.clone()))])),
            ),
            None => ("attribute_not_exists(pk)", None),
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .put(
                    aws_sdk_dynamodb::types::Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(pointer))
                        .condition_expression(condition)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(backend)?,
                )
                .build(),
            super::keys::put(&self.table, feed, None)?,
        ];
        if let Some(d) = old.filter(|d| d != digest.as_str()) {
            items.push(delete(&self.table, key(feed_pk(&d), "FEED"))?);
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| {
                if e.code() == Some("TransactionCanceledException") {
                    StoreError::Unavailable("the feed changed at the same time; retry".into())
                } else {
                    classify(&e)
                }
            })?;
        Ok(())
    }

    async fn feed(&self, digest: &FeedDigest) -> Result<Option<FeedOwner>, StoreError> {
        self.get_item(feed_pk(digest.as_str()), "FEED")
            .await?
            .map(|i| from_data(&i))
            .transpose()
    }
}
