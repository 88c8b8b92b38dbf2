//! `IncidentStore` over the table: transactions, reads, listings, deletes.

use super::keys::*;
use super::*;
use crate::adapters::sortable_ts as ts;
use crate::domain::{Change, Incident, IncidentId, NewIncident, Status, TimelineEntry};
use crate::ports::{
    Created, Cursor, DueBatch, IdempotencyKey, IncidentPage, IncidentQuery, IncidentStore,
    SentNotification, StoreError,
};
use crate::retry::{Backoff, Growth, Try};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, TransactWriteItem, Update,
    WriteRequest,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// Transaction conflicts clear quickly: 5 tries, waiting 40 ms doubling,
/// plus up to 20 ms of jitter.
const TRANSACTION: Backoff = Backoff {
    attempts: 5,
    base: Duration::from_millis(40),
    growth: Growth::Doubling,
    cap: Duration::from_millis(320),
    jitter: Duration::from_millis(20),
};
/// Unprocessed batch items (throttling) are resent 8 times, waiting
/// 20 ms doubling.
const BATCH: Backoff = Backoff {
    attempts: 9,
    base: Duration::from_millis(20),
    growth: Growth::Doubling,
    cap: Duration::from_millis(2560),
    jitter: Duration::ZERO,
};
/// Cancellation reasons of a transaction that was throttled.
const THROTTLED: &[&str] = &["ThrottlingError", "ProvisionedThroughputExceeded"];

/// The cancellation reason codes, by item position, of a cancelled transaction.
fn cancellation_codes(e: &SdkError<TransactWriteItemsError, HttpResponse>) -> Option<Vec<String>> {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => Some(
                tc.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_owned())
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

/// What a transaction's caller does once it has read the cancellation
/// (`codes`, by item position) and found nothing of its own: a conflicting
/// transaction in flight is waited out ([`TRANSACTION`]); any other reason
/// is `Unavailable`.
fn cancelled<T>(codes: &[String]) -> Result<Try<T, (), StoreError>, StoreError> {
    let e = StoreError::Unavailable(format!("transaction cancelled: {}", codes.join(", ")));
    if codes.iter().any(|c| c == "TransactionConflict") {
        Ok(Try::Again((), e))
    } else {
        Err(e)
    }
}

impl DynamoIncidentStore {
    /// Sends one transaction: `Ok(Err(codes))` when DynamoDB cancelled it,
    /// with the reason codes by item position; any other failure is the error.
    async fn transact(
        &self,
        items: &[TransactWriteItem],
    ) -> Result<Result<(), Vec<String>>, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items.to_vec()))
            .send()
            .await;
        let Err(err) = result else {
            return Ok(Ok(()));
        };
        cancellation_codes(&err)
            .map(Err)
            .ok_or_else(|| classify(&err))
    }

    /// BatchWriteItem in chunks of 25 (its limit), retrying unprocessed items.
    pub(super) async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(25) {
            BATCH
                .run(chunk.to_vec(), |pending| async move {
                    let out = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, pending)
                        .send()
                        .await
                        .map_err(|e| classify(&e))?;
                    let left = out
                        .unprocessed_items
                        .and_then(|mut m| m.remove(&self.table))
                        .unwrap_or_default();
                    if left.is_empty() {
                        return Ok(Try::Done(()));
                    }
                    let e = StoreError::Unavailable(format!(
                        "{} items still unprocessed after retries",
                        left.len()
                    ));
                    Ok(Try::Again(left, e))
                })
                .await?;
        }
        Ok(())
    }

    pub(super) async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(out.item)
    }

    /// Deletes an item that names an incident, if it still names this one:
    /// a key may have moved on to a newer incident.
    async fn delete_if_names(&self, item: Item, id: IncidentId) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(item))
            .condition_expression("incident_id = :id")
            .expression_attribute_values(":id", s(id.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }

    /// Deletes everything in the incident's partition but `META`, and the
    /// idempotency keys its pointers name (before the pointers, so an
    /// interrupted delete can still find them).
    async fn delete_children(&self, id: IncidentId) -> Result<(), StoreError> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(inc_pk(id)))
                .projection_expression("pk, sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            keys.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        let sk_of = |item: &Item| {
            item.get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        keys.retain(|item| sk_of(item) != "META");
        for item in &keys {
            if let Some(idem) = sk_of(item).strip_prefix(IDEMREF) {
                self.delete_if_names(key(format!("IDEM#{idem}"), "IDEM"), id)
                    .await?;
            }
        }
        let requests = keys
            .into_iter()
            .map(|k| {
                let del = DeleteRequest::builder()
                    .set_key(Some(k))
                    .build()
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                Ok(WriteRequest::builder().delete_request(del).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(requests).await
    }

    /// Removes a purged incident's children, then its purge marker.
    async fn finish_purge(&self, id: IncidentId) -> Result<(), StoreError> {
        self.delete_children(id).await?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(PURGE_PK.to_owned(), &id.to_string())))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }

    /// Finishes the purges an interrupted delete left, a few at a time.
    async fn finish_purges(&self) -> Result<(), StoreError> {
        let values = HashMap::from([(":pk".to_owned(), s(PURGE_PK))]);
        let (left, _) = self
            .query_items(None, "pk = :pk", values, Some(PURGES_PER_DELETE))
            .await?;
        for item in left {
            let id = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .and_then(|v| v.parse::<IncidentId>().ok());
            if let Some(id) = id {
                self.finish_purge(id).await?;
            }
        }
        Ok(())
    }

    /// The incident a key names. With `check_content`, a key bound to other
    /// content is `KeyReused`.
    async fn idempotent_hit(
        &self,
        idem_key: &IdempotencyKey,
        check_content: bool,
    ) -> Result<Option<Incident>, StoreError> {
        let Some(item) = self
            .get_item(format!("IDEM#{}", idem_key.as_str()), "IDEM")
            .await?
        else {
            return Ok(None);
        };
        let stored = item.get("content").and_then(|v| v.as_s().ok());
        if check_content && !idem_key.same_content(stored.map(String::as_str)) {
            return Err(StoreError::KeyReused);
        }
        let id: IncidentId = match item.get("incident_id") {
            Some(AttributeValue::S(id)) => id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("bad incident id {id:?}")))?,
            _ => {
                return Err(StoreError::Corrupt(
                    "idempotency item has no incident_id".into(),
                ));
            }
        };
        self.get(id).await?.map(Some).ok_or_else(|| {
            StoreError::Corrupt(format!("idempotency key names missing incident {id}"))
        })
    }

    /// Reads every page of a query and parses each item's data.
    pub(super) async fn query_data<T: serde::de::DeserializeOwned>(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Item,
        limit: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let (items, _) = self.query_items(index, condition, values, limit).await?;
        items.iter().map(from_data).collect()
    }

    /// Reads every page of a query; also returns DynamoDB's `ScannedCount`.
    pub(super) async fn query_items(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Item,
        limit: Option<usize>,
    ) -> Result<(Vec<Item>, u64), StoreError> {
        let mut scanned = 0u64;
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let remaining = limit.map(|l| l.saturating_sub(items.len()));
            if remaining == Some(0) {
                break;
            }
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .set_limit(remaining.map(|r| r.min(1000) as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            scanned += u64::try_from(out.scanned_count).unwrap_or(0);
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok((items, scanned))
    }
}

impl DynamoIncidentStore {
    /// Up to `want` incidents of one index partition that fit `query`,
    /// newest first.
    async fn list_partition(
        &self,
        query: &IncidentQuery,
        index: &str,
        pk_attr: &str,
        sk_attr: &str,
        pk: &str,
        want: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        // Bounds on `<created>#<id>`. No key equals a bare timestamp, so
        // `to` is exclusive either way; the cursor's own item is dropped below.
        let lower = query.from.map(ts);
        let to = query.to.map(ts);
        let after = query.after.map(|c| created_sk(c.created_at, c.id));
        let upper = match (&to, &after) {
            (Some(t), Some(a)) => Some(t.min(a).clone()),
            (t, a) => t.clone().or_else(|| a.clone()),
        };
        let mut condition = format!("{pk_attr} = :pk");
        let mut values = HashMap::from([(":pk".to_owned(), s(pk))]);
        match (&lower, &upper) {
            (Some(l), Some(u)) if l > u => return Ok(Vec::new()),
            (Some(l), Some(u)) => {
                condition.push_str(&format!(" AND {sk_attr} BETWEEN :lo AND :hi"));
                values.insert(":lo".into(), s(l.clone()));
                values.insert(":hi".into(), s(u.clone()));
            }
            (Some(l), None) => {
                condition.push_str(&format!(" AND {sk_attr} >= :lo"));
                values.insert(":lo".into(), s(l.clone()));
            }
            (None, Some(u)) => {
                condition.push_str(&format!(" AND {sk_attr} < :hi"));
                values.insert(":hi".into(), s(u.clone()));
            }
            (None, None) => {}
        }
        // Time and cursor compare on the key string, as the index orders
        // them; the rest (and the status, which the index may lag) on the data.
        let rest = IncidentQuery {
            from: None,
            to: None,
            after: None,
            ..query.clone()
        };
        let fits = |i: &Incident| {
            let sk = created_sk(i.created_at, i.id);
            rest.matches(i)
                && lower.as_ref().is_none_or(|l| &sk >= l)
                && to.as_ref().is_none_or(|t| &sk < t)
                && after.as_ref().is_none_or(|a| &sk < a)
        };
        let filtered = query.severity.is_some()
            || query.tenants.is_some()
            || query.drill.is_some()
            || query.open.is_some();
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        while items.len() < want {
            let remaining = want - items.len();
            let page = if filtered {
                remaining.max(FILTERED_PAGE)
            } else {
                remaining
            };
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&condition)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(page.min(1000) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            for item in out.items.unwrap_or_default() {
                let inc: Incident = from_data(&item).map_err(|e| {
                    let pk = item.get("pk").and_then(|v| v.as_s().ok());
                    StoreError::Corrupt(format!("{}: {e}", pk.map_or("?", |v| v)))
                })?;
                if fits(&inc) {
                    items.push(inc);
                    if items.len() == want {
                        break;
                    }
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        Ok(items)
    }
}

#[async_trait]
impl IncidentStore for DynamoIncidentStore {
    async fn create(&self, new: NewIncident) -> Result<Created, StoreError> {
        let inc = &new.incident;
        let mut items = vec![put(
            &self.table,
            incident_item(inc)?,
            Some("attribute_not_exists(pk)"),
        )?];
        let mut ref_item = key(format!("REF#{}", inc.reference), "REF");
        ref_item.insert("incident_id".into(), s(inc.id.to_string()));
        items.push(put(
            &self.table,
            ref_item,
            Some("attribute_not_exists(pk)"),
        )?);
        const IDEM_POS: usize = 2;
        if let Some(k) = &new.idempotency_key {
            let mut idem = key(format!("IDEM#{}", k.as_str()), "IDEM");
            idem.insert("incident_id".into(), s(inc.id.to_string()));
            if let Some(content) = k.content() {
                idem.insert("content".into(), s(content));
            }
            let item = match new.supersedes {
                None => put(&self.table, idem, Some("attribute_not_exists(pk)"))?,
                // Re-point a key from a closed incident, unless someone already did.
                Some(prev) => {
                    let p = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(idem))
                        .condition_expression("attribute_not_exists(pk) OR incident_id = :prev")
                        .expression_attribute_values(":prev", s(prev.to_string()))
                        .build()
                        .map_err(|e| StoreError::Backend(e.to_string()))?;
                    TransactWriteItem::builder().put(p).build()
                }
            };
            items.push(item);
            // So a delete can find the key, which lives in its own partition.
            let mut pointer = key(inc_pk(inc.id), &format!("{IDEMREF}{}", k.as_str()));
            pointer.insert("kind".into(), s("key_pointer"));
            items.push(put(&self.table, pointer, None)?);
        }
        items.extend(child_puts(&self.table, &new.timeline, &new.events)?);

        let (items, key, reference) = (&items, &new.idempotency_key, &inc.reference);
        let stored = TRANSACTION
            .run((), |()| async move {
                let Err(codes) = self.transact(items).await? else {
                    return Ok(Try::Done(None));
                };
                let code = |i: usize| codes.get(i).map(String::as_str).unwrap_or("None");
                if let Some(k) = key
                    && code(IDEM_POS) == "ConditionalCheckFailed"
                    && let Some(incident) = self.idempotent_hit(k, true).await?
                {
                    return Ok(Try::Done(Some(incident)));
                }
                if code(1) == "ConditionalCheckFailed" {
                    return Err(StoreError::ReferenceTaken(reference.to_string()));
                }
                // A concurrent create with the same key holds the item: wait,
                // then the retry either succeeds or finds the winner's incident.
                cancelled(&codes)
            })
            .await?;
        Ok(match stored {
            Some(incident) => Created {
                incident,
                duplicate: true,
            },
            None => Created {
                incident: new.incident,
                duplicate: false,
            },
        })
    }

    async fn get(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        // `META` and its repeat counter `META#REPEATS`, in one query.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :meta)")
            .expression_attribute_values(":pk", s(inc_pk(id)))
            .expression_attribute_values(":meta", s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let items = out.items.unwrap_or_default();
        let sk = |item: &Item| item.get("sk").and_then(|v| v.as_s().ok()).cloned();
        let Some(meta) = items.iter().find(|i| sk(i).as_deref() == Some("META")) else {
            return Ok(None);
        };
        let mut incident: Incident = from_data(meta)?;
        if let Some(n) = items
            .iter()
            .find(|i| sk(i).as_deref() == Some(REPEATS))
            .and_then(super::repeats::occurrences)
        {
            incident.occurrences = n;
        }
        Ok(Some(incident))
    }

    async fn find_by_reference(&self, reference: &str) -> Result<Option<Incident>, StoreError> {
        let Some(item) = self.get_item(format!("REF#{reference}"), "REF").await? else {
            return Ok(None);
        };
        match item.get("incident_id") {
            Some(AttributeValue::S(id)) => {
                let id: IncidentId = id
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("bad incident id {id:?}")))?;
                self.get(id).await
            }
            _ => Err(StoreError::Corrupt(
                "reference item has no incident_id".into(),
            )),
        }
    }

    async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<Incident>, StoreError> {
        self.idempotent_hit(key, false).await
    }

    async fn commit(&self, change: Change) -> Result<Incident, StoreError> {
        let inc = &change.incident;
        let mut items = Vec::with_capacity(1 + change.timeline.len() + change.events.len());
        let update = Put::builder()
            .table_name(&self.table)
            .set_item(Some(incident_item(inc)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(change.expected_version.to_string()),
            )
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        items.push(TransactWriteItem::builder().put(update).build());
        if !inc.status.is_open() {
            // No repeat counts on it from now on (see `repeats`).
            let closed = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(inc_pk(inc.id), REPEATS)))
                .update_expression("SET #closed = :t")
                .expression_attribute_names("#closed", "closed")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .build()
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            items.push(TransactWriteItem::builder().update(closed).build());
        }
        items.extend(child_puts(&self.table, &change.timeline, &change.events)?);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(change.incident),
            Err(err) => match cancellation_codes(&err) {
                Some(codes)
                    if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
                {
                    if self.get(inc.id).await?.is_some() {
                        Err(StoreError::Conflict {
                            id: inc.id,
                            expected: change.expected_version,
                        })
                    } else {
                        Err(StoreError::NotFound(inc.id))
                    }
                }
                // Someone else is writing the same incident right now.
                Some(codes) if codes.iter().any(|c| c == "TransactionConflict") => {
                    Err(StoreError::Conflict {
                        id: inc.id,
                        expected: change.expected_version,
                    })
                }
                // A throttled transaction is cancelled with these reasons
                // rather than failing with a throttling error.
                Some(codes) if codes.iter().any(|c| THROTTLED.contains(&c.as_str())) => Err(
                    StoreError::Unavailable(format!("transaction cancelled: {}", codes.join(", "))),
                ),
                Some(codes) => Err(StoreError::Backend(format!(
                    "transaction cancelled: {}",
                    codes.join(", ")
                ))),
                None => Err(classify(&err)),
            },
        }
    }

    async fn timeline(&self, id: IncidentId) -> Result<Vec<TimelineEntry>, StoreError> {
        let values = HashMap::from([
            (":pk".to_owned(), s(inc_pk(id))),
            (":tl".to_owned(), s("TL#")),
        ]);
        self.query_data(None, "pk = :pk AND begins_with(sk, :tl)", values, None)
            .await
    }

    async fn due_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<DueBatch, StoreError> {
        // '~' sorts after every id character: includes everything due at `before`.
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
        let items = items
            .iter()
            .map(|item| {
                from_data(item).map_err(|e| {
                    let pk = item
                        .get("pk")
                        .and_then(|v| v.as_s().ok())
                        .map_or("?", |v| v);
                    StoreError::Corrupt(format!("{pk}: {e}"))
                })
            })
            .collect();
        Ok(DueBatch { items, examined })
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let values = HashMap::from([(":s".to_owned(), s(format!("STATUS#{status}")))]);
        self.query_data(Some(STATUS_INDEX), "gsi1pk = :s", values, Some(limit))
            .await
    }

    async fn list(&self, query: &IncidentQuery) -> Result<IncidentPage, StoreError> {
        if query.limit == 0 || query.tenants.as_ref().is_some_and(Vec::is_empty) {
            return Ok(IncidentPage::default());
        }
        // The statuses asked for: one status index partition each, read in
        // the same order and merged; none narrowed, the creation index.
        let statuses: Option<Vec<Status>> = match (query.status, query.open) {
            (Some(st), Some(open)) if st.is_open() != open => {
                return Ok(IncidentPage::default());
            }
            (Some(st), _) => Some(vec![st]),
            (None, Some(open)) => Some(
                Status::ALL
                    .into_iter()
                    .filter(|st| st.is_open() == open)
                    .collect(),
            ),
            (None, None) => None,
        };
        let want = query.limit.saturating_add(1);
        let mut items = match statuses {
            None => {
                self.list_partition(query, CREATED_INDEX, "gsi4pk", "gsi4sk", CREATED_PK, want)
                    .await?
            }
            Some(list) => {
                let mut all = Vec::new();
                for st in list {
                    let pk = format!("STATUS#{st}");
                    all.extend(
                        self.list_partition(query, STATUS_INDEX, "gsi1pk", "gsi1sk", &pk, want)
                            .await?,
                    );
                }
                all.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
                all.dedup_by_key(|i| i.id);
                all.truncate(want);
                all
            }
        };
        let next = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(Cursor::of)
        } else {
            None
        };
        Ok(IncidentPage { items, next })
    }

    async fn record_notification(&self, sent: &SentNotification) -> Result<(), StoreError> {
        let id = sent.incident_id;
        // Only with an incident that exists, so a delete leaves nothing behind.
        let exists = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(inc_pk(id), "META")))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut item = key(inc_pk(id), &format!("{NOTIFICATION}{}", sent.key));
        item.insert("kind".into(), s("notification"));
        item.insert("data".into(), data(sent)?);
        // The first record of a key stands.
        let items = vec![
            TransactWriteItem::builder().condition_check(exists).build(),
            put(&self.table, item, Some("attribute_not_exists(pk)"))?,
        ];
        let items = &items;
        TRANSACTION
            .run((), |()| async move {
                let Err(codes) = self.transact(items).await? else {
                    return Ok(Try::Done(()));
                };
                let code = |i: usize| codes.get(i).map(String::as_str).unwrap_or("None");
                if code(0) == "ConditionalCheckFailed" {
                    return Err(StoreError::NotFound(id));
                }
                if code(1) == "ConditionalCheckFailed" {
                    return Ok(Try::Done(()));
                }
                cancelled(&codes)
            })
            .await
    }

    async fn notifications(&self, id: IncidentId) -> Result<Vec<SentNotification>, StoreError> {
        let values = HashMap::from([
            (":pk".to_owned(), s(inc_pk(id))),
            (":n".to_owned(), s(NOTIFICATION)),
        ]);
        let mut sent: Vec<SentNotification> = self
            .query_data(None, "pk = :pk AND begins_with(sk, :n)", values, None)
            .await?;
        sent.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
        Ok(sent)
    }

    async fn delete(&self, id: IncidentId, expected_version: u64) -> Result<bool, StoreError> {
        // Finish what an interrupted delete left: its children stay until then.
        self.finish_purges().await?;
        let Some(meta) = self.get_item(inc_pk(id), "META").await? else {
            // Gone, or a delete was interrupted after META: finish it.
            self.delete_children(id).await?;
            return Ok(false);
        };
        let conflict = || StoreError::Conflict {
            id,
            expected: expected_version,
        };
        let version = meta
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        if version != Some(expected_version) {
            return Err(conflict());
        }
        // One transaction decides: META goes only at the version the caller
        // read, with its reference, and a marker records the purge. A hold
        // committed since fails the condition and nothing is touched. Once
        // META is gone no commit can add a child (commits are conditional
        // on META), so the children below are all there is; the marker lets
        // the next delete finish them if this one is interrupted.
        let mut items = vec![
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(inc_pk(id), "META")))
                        .condition_expression("version = :v")
                        .expression_attribute_values(
                            ":v",
                            AttributeValue::N(expected_version.to_string()),
                        )
                        .build()
                        .map_err(|e| StoreError::Backend(e.to_string()))?,
                )
                .build(),
        ];
        let mut marker = key(PURGE_PK.to_owned(), &id.to_string());
        marker.insert("kind".into(), s("purge"));
        items.push(put(&self.table, marker, None)?);
        // Read from the raw item, so even an unreadable incident can go.
        let reference = meta
            .get("data")
            .and_then(|d| d.as_m().ok())
            .and_then(|d| d.get("reference"))
            .and_then(|r| r.as_s().ok());
        if let Some(r) = reference {
            items.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(format!("REF#{r}"), "REF")))
                            .condition_expression("attribute_not_exists(pk) OR incident_id = :id")
                            .expression_attribute_values(":id", s(id.to_string()))
                            .build()
                            .map_err(|e| StoreError::Backend(e.to_string()))?,
                    )
                    .build(),
            );
        }
        let (items, conflict) = (&items, &conflict);
        TRANSACTION
            .run((), |()| async move {
                let Err(codes) = self.transact(items).await? else {
                    self.finish_purge(id).await?;
                    return Ok(Try::Done(true));
                };
                if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                    // Changed since the read, or deleted by someone else.
                    return match self.get_item(inc_pk(id), "META").await? {
                        Some(_) => Err(conflict()),
                        None => Ok(Try::Done(false)),
                    };
                }
                cancelled(&codes)
            })
            .await
    }
}
