//! `SqliteIncidentStore`: the embedded store for `klaxon serve`.
//!
//! Same semantics as the DynamoDB store: one transaction per create or
//! change (state, timeline, outbox events, idempotency key), writes
//! conditional on the version. WAL mode so readers never block the writer.
//! Listings filter severity, tenant and drill on the JSON body: the
//! `(created_at, id)` and `(status, created_at, id)` indexes do the ordering.
//!
//! This file is the store over SQL; `schema` holds the tables and their
//! migrations, `writer` the thread that owns the connection.

use super::sortable_ts as ts;
use crate::domain::{
    Change, DomainEvent, Incident, IncidentId, NewIncident, Status, TimelineEntry,
};
use crate::ports::{
    Created, Cursor, DeliveryLedger, DueBatch, IdempotencyKey, IncidentPage, IncidentQuery,
    IncidentStore, LedgerKey, Outbox, SentNotification, StoreError,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value;
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, StatementStatus, params, params_from_iter,
};
use std::path::Path;
use std::sync::mpsc;
use writer::{WRITER_CHECKPOINT_PAGES, Writer, checkpointer};

mod heartbeats;
mod repeats;
mod roster;
mod schema;
mod sessions;
mod writer;

/// Every operation runs on one thread that owns the connection. Operations
/// that arrive while a transaction is running are committed together in
/// the next one (group commit), each inside its own savepoint, so one
/// refused change never undoes another. Callers hear back only after the
/// commit, so an answer always means durable (or refused).
pub struct SqliteIncidentStore {
    writer: Writer,
    /// Dropping it stops the checkpoint thread of a file-backed store.
    checkpoints: Option<mpsc::Sender<()>>,
}

fn backend(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(format!("serialise: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqliteIncidentStore {
    /// Opens (creating if needed) `klaxon.db` in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        super::local::create_private_dir(dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", dir.display())))?;
        let path = dir.join("klaxon.db");
        private_files(&path)?;
        let conn = Connection::open(&path).map_err(backend)?;
        let mut store = Self::init(conn)?;
        store.checkpoints = Some(checkpointer(&path)?);
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        // WAL + NORMAL: durable across process crashes, fast commits.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        // 64 MiB of page cache (SQLite's default is 2 MiB): after a flood
        // the tables outgrow the default and every write reads pages back.
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(backend)?;
        // Room for every fixed statement here, and the listings' variants.
        conn.set_prepared_statement_cache_capacity(64);
        // Checkpoints fsync; run inside a commit they stalled every request
        // queued behind it (p90 of intake jumped to ~8 ms). The checkpoint
        // thread does them instead.
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .map_err(backend)?;
        schema::migrate(&conn)?;
        // Freed cells are zeroed: a replaced phone number or a removed
        // person (personal data), a deleted incident, leave no copy in the
        // file. Set after the migration, which turns it off when done.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(backend)?;
        Ok(Self {
            writer: Writer::start(conn)?,
            checkpoints: None,
        })
    }

    /// Queues `op` for the writer thread and waits for its committed result.
    async fn with<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.run(op).await
    }
}

/// Creates the database file owner-only (0600) before SQLite opens it:
/// SQLite gives its WAL and shared-memory files the database file's mode.
/// Files an older version left world-readable are narrowed to 0600.
fn private_files(db: &Path) -> Result<(), StoreError> {
    let io = |p: &Path, e: std::io::Error| StoreError::Backend(format!("{}: {e}", p.display()));
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(db).map_err(|e| io(db, e))?;
    super::local::restrict(&file).map_err(|e| io(db, e))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        let side = Path::new(&side);
        match std::fs::OpenOptions::new().write(true).open(side) {
            Ok(f) => super::local::restrict(&f).map_err(|e| io(side, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(side, e)),
        }
    }
    Ok(())
}

/// `execute` through the statement cache: every statement here runs
/// thousands of times, and parsing it each time showed in profiles.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// `query_row` through the statement cache.
fn row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// Runs a query whose one column is a JSON body, and parses every row.
fn bodies<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| from_json(&r.map_err(backend)?)).collect()
}

fn load(conn: &Connection, id: &str) -> Result<Option<Incident>, StoreError> {
    let body: Option<String> = row(
        conn,
        "SELECT body FROM incidents WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)?;
    body.map(|b| counted(conn, from_json(&b)?)).transpose()
}

/// The incident with the occurrences its repeat counter holds, if any.
fn counted(conn: &Connection, mut incident: Incident) -> Result<Incident, StoreError> {
    if let Some(n) = repeats::occurrences(conn, &incident.id.to_string())? {
        incident.occurrences = n;
    }
    Ok(incident)
}

/// The WHERE clause and its arguments for a listing, `?1`.. in order.
fn list_filter(q: &IncidentQuery) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |v: Value| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(s) = q.status {
        clauses.push(format!("status = {}", arg(s.as_str().to_owned().into())));
    }
    if let Some(open) = q.open {
        let slots: Vec<String> = Status::ALL
            .iter()
            .filter(|s| s.is_open() == open)
            .map(|s| arg(s.as_str().to_owned().into()))
            .collect();
        clauses.push(format!("status IN ({})", slots.join(", ")));
    }
    if let Some(s) = q.severity {
        clauses.push(format!(
            "json_extract(body, '$.severity') = {}",
            arg(s.code().to_owned().into())
        ));
    }
    if let Some(d) = q.drill {
        // Bodies written before `drill` existed read as not a drill.
        clauses.push(format!(
            "coalesce(json_extract(body, '$.drill'), 0) = {}",
            arg(i64::from(d).into())
        ));
    }
    if let Some(list) = &q.tenants {
        // SQLite's lower() folds ASCII only, like eq_ignore_ascii_case;
        // a missing tenant is NULL and matches no list.
        let slots: Vec<String> = list
            .iter()
            .map(|t| arg(t.to_ascii_lowercase().into()))
            .collect();
        clauses.push(format!(
            "lower(json_extract(body, '$.tenant')) IN ({})",
            slots.join(", ")
        ));
    }
    if let Some(f) = q.from {
        clauses.push(format!("created_at >= {}", arg(ts(f).into())));
    }
    if let Some(t) = q.to {
        clauses.push(format!("created_at < {}", arg(ts(t).into())));
    }
    if let Some(c) = q.after {
        let at = arg(ts(c.created_at).into());
        let id = arg(c.id.to_string().into());
        clauses.push(format!("(created_at, id) < ({at}, {id})"));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, args)
}

fn insert_children(
    conn: &Connection,
    timeline: &[TimelineEntry],
    events: &[DomainEvent],
) -> Result<(), StoreError> {
    for e in timeline {
        exec(
            conn,
            "INSERT INTO timeline (incident_id, seq, body) VALUES (?1, ?2, ?3)",
            params![e.incident_id.to_string(), e.seq, to_json(e)?],
        )
        .map_err(backend)?;
    }
    for ev in events {
        exec(
            conn,
            "INSERT INTO events (id, incident_id, occurred_at, body) VALUES (?1, ?2, ?3, ?4)",
            params![
                ev.id.to_string(),
                ev.incident_id.to_string(),
                ts(ev.occurred_at),
                to_json(ev)?
            ],
        )
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl IncidentStore for SqliteIncidentStore {
    async fn create(&self, new: NewIncident) -> Result<Created, StoreError> {
        self.with(move |conn| {
            // The batch's IMMEDIATE transaction already holds the write lock.
            if let Some(key) = &new.idempotency_key {
                let existing: Option<(String, Option<String>)> = row(conn, "SELECT incident_id, content FROM idempotency WHERE key = ?1", [key.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(backend)?;
                let superseded = new.supersedes.map(|id| id.to_string());
                if let Some((id, content)) = existing.filter(|(id, _)| Some(id) != superseded.as_ref()) {
                    if !key.same_content(content.as_deref()) {
                        return Err(StoreError::KeyReused);
                    }
                    let incident = load(conn, &id)?.ok_or_else(|| {
                        StoreError::Corrupt(format!("idempotency key names missing incident {id}"))
                    })?;
                    return Ok(Created { incident, duplicate: true });
                }
            }
            let inc = &new.incident;
            let inserted = exec(conn,
                "INSERT INTO incidents (id, reference, status, created_at, version, body, next_due_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    inc.id.to_string(),
                    inc.reference.as_str(),
                    inc.status.as_str(),
                    ts(inc.created_at),
                    inc.version,
                    to_json(inc)?,
                    inc.next_action_at().map(ts)
                ],
            );
            if let Err(e) = inserted {
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
                    && e.to_string().contains("incidents.reference")
                {
                    return Err(StoreError::ReferenceTaken(inc.reference.to_string()));
                }
                return Err(backend(e));
            }
            insert_children(conn, &new.timeline, &new.events)?;
            if let Some(key) = &new.idempotency_key {
                exec(conn,
                    "INSERT INTO idempotency (key, incident_id, content) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key) DO UPDATE SET incident_id = excluded.incident_id, content = excluded.content",
                    params![key.as_str(), inc.id.to_string(), key.content()],
                )
                .map_err(backend)?;
            }
            Ok(Created { incident: new.incident, duplicate: false })
        })
        .await
    }

    async fn get(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        self.with(move |conn| load(conn, &id.to_string())).await
    }

    async fn find_by_reference(&self, reference: &str) -> Result<Option<Incident>, StoreError> {
        let reference = reference.to_owned();
        self.with(move |conn| {
            let body: Option<String> = row(
                conn,
                "SELECT body FROM incidents WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            body.map(|b| counted(conn, from_json(&b)?)).transpose()
        })
        .await
    }

    async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<Incident>, StoreError> {
        let key = key.as_str().to_owned();
        self.with(move |conn| {
            let id: Option<String> = row(
                conn,
                "SELECT incident_id FROM idempotency WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            match id {
                Some(id) => load(conn, &id),
                None => Ok(None),
            }
        })
        .await
    }

    async fn commit(&self, change: Change) -> Result<Incident, StoreError> {
        self.with(move |conn| {
            let inc = &change.incident;
            let id = inc.id.to_string();
            let updated = exec(conn,
                    "UPDATE incidents SET status = ?1, version = ?2, body = ?3, next_due_at = ?6 WHERE id = ?4 AND version = ?5",
                    params![inc.status.as_str(), inc.version, to_json(inc)?, id, change.expected_version, inc.next_action_at().map(ts)],
                )
                .map_err(backend)?;
            if updated == 0 {
                return Err(if load(conn, &id)?.is_some() {
                    StoreError::Conflict { id: inc.id, expected: change.expected_version }
                } else {
                    StoreError::NotFound(inc.id)
                });
            }
            insert_children(conn, &change.timeline, &change.events)?;
            Ok(change.incident)
        })
        .await
    }

    async fn timeline(&self, id: IncidentId) -> Result<Vec<TimelineEntry>, StoreError> {
        self.with(move |conn| {
            bodies(
                conn,
                "SELECT body FROM timeline WHERE incident_id = ?1 ORDER BY seq",
                [id.to_string()],
            )
        })
        .await
    }

    async fn due_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<DueBatch, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, body FROM incidents WHERE next_due_at IS NOT NULL AND next_due_at <= ?1 ORDER BY next_due_at, id LIMIT ?2")
                .map_err(backend)?;
            // Counters are per statement and the statement is cached: reset them.
            stmt.reset_status(StatementStatus::FullscanStep);
            let rows = stmt
                .query_map(params![ts(before), limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            let fullscan = stmt.get_status(StatementStatus::FullscanStep);
            let examined = rows.len() as u64 + u64::try_from(fullscan).unwrap_or(0);
            let items = rows
                .iter()
                .map(|(id, body)| {
                    from_json(body).map_err(|e| StoreError::Corrupt(format!("incident {id}: {e}")))
                })
                .collect();
            Ok(DueBatch { items, examined })
        })
        .await
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        self.with(move |conn| {
            bodies(
                conn,
                "SELECT body FROM incidents WHERE status = ?1 ORDER BY created_at, id LIMIT ?2",
                params![status.as_str(), limit as i64],
            )
        })
        .await
    }

    async fn list(&self, query: &IncidentQuery) -> Result<IncidentPage, StoreError> {
        if query.limit == 0 || query.tenants.as_ref().is_some_and(Vec::is_empty) {
            return Ok(IncidentPage::default());
        }
        let (filter, args) = list_filter(query);
        let limit = query.limit;
        self.with(move |conn| {
            // One more than asked says whether another page follows.
            let sql = format!(
                "SELECT body FROM incidents {filter} ORDER BY created_at DESC, id DESC LIMIT {}",
                i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
            );
            let mut items: Vec<Incident> = bodies(conn, &sql, params_from_iter(args))?;
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(Cursor::of)
            } else {
                None
            };
            Ok(IncidentPage { items, next })
        })
        .await
    }

    async fn record_notification(&self, sent: &SentNotification) -> Result<(), StoreError> {
        let body = to_json(sent)?;
        let (id, key, at) = (sent.incident_id, sent.key.clone(), ts(sent.at));
        self.with(move |conn| {
            // The first record of a key stands; the foreign key refuses an
            // incident that does not exist.
            let inserted = exec(
                conn,
                "INSERT INTO notifications (incident_id, key, at, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (incident_id, key) DO NOTHING",
                params![id.to_string(), key, at, body],
            );
            match inserted {
                Ok(_) => Ok(()),
                Err(e)
                    if e.sqlite_error().is_some_and(|c| {
                        c.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                    }) =>
                {
                    Err(StoreError::NotFound(id))
                }
                Err(e) => Err(backend(e)),
            }
        })
        .await
    }

    async fn notifications(&self, id: IncidentId) -> Result<Vec<SentNotification>, StoreError> {
        self.with(move |conn| {
            bodies(
                conn,
                "SELECT body FROM notifications WHERE incident_id = ?1 ORDER BY at, key",
                [id.to_string()],
            )
        })
        .await
    }

    async fn delete(&self, id: IncidentId, expected_version: u64) -> Result<bool, StoreError> {
        self.with(move |conn| {
            let incident = id;
            let id = id.to_string();
            // The check and the deletes share the writer's transaction, so
            // nothing can commit in between: a hold placed after the
            // caller's read moved the version, and nothing goes.
            let version: Option<u64> = row(
                conn,
                "SELECT version FROM incidents WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            match version {
                None => return Ok(false),
                Some(v) if v != expected_version => {
                    return Err(StoreError::Conflict {
                        id: incident,
                        expected: expected_version,
                    });
                }
                Some(_) => {}
            }
            // Children first: their foreign keys point at the incident. The
            // reference is a column of the incident row.
            for table in [
                "notifications",
                "timeline",
                "events",
                "idempotency",
                "repeats",
            ] {
                exec(
                    conn,
                    &format!("DELETE FROM {table} WHERE incident_id = ?1"),
                    [&id],
                )
                .map_err(backend)?;
            }
            let deleted =
                exec(conn, "DELETE FROM incidents WHERE id = ?1", [&id]).map_err(backend)?;
            Ok(deleted == 1)
        })
        .await
    }
}

#[async_trait]
impl Outbox for SqliteIncidentStore {
    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        self.with(move |conn| {
            bodies(conn, "SELECT body FROM events WHERE published_at IS NULL AND occurred_at < ?1 ORDER BY occurred_at, rowid LIMIT ?2", params![ts(before), limit as i64])
        })
        .await
    }

    async fn mark_published(
        &self,
        event: &DomainEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id = event.id.to_string();
        self.with(move |conn| {
            exec(
                conn,
                "UPDATE events SET published_at = ?1 WHERE id = ?2 AND published_at IS NULL",
                params![ts(at), id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl DeliveryLedger for SqliteIncidentStore {
    async fn try_claim(
        &self,
        key: &LedgerKey,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let key = key.as_str().to_owned();
        self.with(move |conn| {
            let n = exec(
                conn,
                "INSERT INTO deliveries (key, state, claimed_at) VALUES (?1, 'pending', ?2)
                     ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at
                     WHERE deliveries.state = 'pending' AND deliveries.claimed_at <= ?3",
                params![key, ts(now), ts(now - lease)],
            )
            .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn delivered(&self, key: &LedgerKey) -> Result<bool, StoreError> {
        let key = key.as_str().to_owned();
        self.with(move |conn| {
            let state: Option<String> = row(
                conn,
                "SELECT state FROM deliveries WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            Ok(state.as_deref() == Some("done"))
        })
        .await
    }

    async fn complete(&self, key: &LedgerKey, now: DateTime<Utc>) -> Result<(), StoreError> {
        let key = key.as_str().to_owned();
        self.with(move |conn| {
            exec(
                conn,
                "UPDATE deliveries SET state = 'done', completed_at = ?1 WHERE key = ?2",
                params![ts(now), key],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn release(&self, key: &LedgerKey) -> Result<(), StoreError> {
        let key = key.as_str().to_owned();
        self.with(move |conn| {
            exec(
                conn,
                "DELETE FROM deliveries WHERE key = ?1 AND state = 'pending'",
                [key],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::schema::is_digest;
    use super::writer::CHECKPOINT_EVERY;
    use super::*;

    /// Operations queued together share a transaction, but an operation that
    /// fails after writing leaves nothing, and one that panics neither stops
    /// the store nor undoes its neighbours.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_keeps_each_operation_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = std::sync::Arc::new(SqliteIncidentStore::open(dir.path()).expect("open"));
        let ops: Vec<_> = (0..60).map(|i| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .with(move |conn| {
                        conn.execute(
                            "INSERT INTO deliveries (key, state, claimed_at) VALUES (?1, 'done', 'now')",
                            [format!("k{i}")],
                        )
                        .map_err(backend)?;
                        match i % 3 {
                            0 => Ok(i),
                            1 => Err(StoreError::Backend(format!("refused {i}"))),
                            _ => panic!("operation {i} panics after writing"),
                        }
                    })
                    .await
            })
        }).collect();
        for (i, op) in ops.into_iter().enumerate() {
            let r = op.await.expect("task");
            match i % 3 {
                0 => assert_eq!(r.expect("kept"), i),
                1 => {
                    assert!(matches!(r, Err(StoreError::Backend(m)) if m == format!("refused {i}")))
                }
                _ => assert!(matches!(r, Err(StoreError::Backend(m)) if m.contains("dropped"))),
            }
        }
        let keys: Vec<String> = store
            .with(|conn| {
                let mut stmt = conn
                    .prepare("SELECT key FROM deliveries ORDER BY CAST(substr(key, 2) AS INTEGER)")
                    .map_err(backend)?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
                rows.map(|r| r.map_err(backend)).collect()
            })
            .await
            .expect("read");
        let expected: Vec<String> = (0..60)
            .filter(|i| i % 3 == 0)
            .map(|i| format!("k{i}"))
            .collect();
        assert_eq!(keys, expected);
        // Still serving, and what it answered is on disk for a new process.
        drop(store);
        let conn = Connection::open(dir.path().join("klaxon.db")).expect("reopen");
        let stored: i64 = conn
            .query_row("SELECT COUNT(*) FROM deliveries", [], |r| r.get(0))
            .expect("count");
        assert_eq!(stored, 20);
    }

    /// A database written before keys were hashed holds them raw: the
    /// first open rewrites each as the digest the code looks up, so a
    /// retried key still finds its incident and a delivered page stays
    /// delivered, and no raw key is left (issue 16, finding 1).
    #[tokio::test]
    async fn raw_keys_of_an_older_database_are_hashed_on_open() {
        use crate::domain::{SenderKey, Source};
        let dir = tempfile::tempdir().expect("tempdir");
        let new = crate::domain::NewIncident::from_report(
            crate::domain::Report::parse(crate::domain::ReportInput {
                title: Some("older".into()),
                ..Default::default()
            })
            .expect("report"),
            Source::Github,
            None,
            "2026-11-23T03:00:00Z".parse().expect("time"),
        );
        let id = new.incident.id;
        {
            let store = SqliteIncidentStore::open(dir.path()).expect("open");
            store.create(new).await.expect("create");
            // What the older code wrote.
            store
                .with(move |conn| {
                    conn.execute_batch(&format!(
                        "INSERT INTO idempotency (key, incident_id) VALUES ('github#ghp_RawDeliveryToken', '{id}');
                         INSERT INTO deliveries (key, state, claimed_at) VALUES ('notify#01EVENT#oncall-primary#page', 'done', 'x');
                         INSERT INTO deliveries (key, state, claimed_at) VALUES ('ack-link#RawAckTag', 'done', 'x');
                         PRAGMA user_version = 0;"
                    ))
                    .map_err(backend)
                })
                .await
                .expect("write raw keys");
        }
        let store = SqliteIncidentStore::open(dir.path()).expect("reopen");
        let found = store
            .find_by_key(&Source::Github.scoped_key(SenderKey::new("ghp_RawDeliveryToken")))
            .await
            .expect("find");
        assert_eq!(found.map(|i| i.id), Some(id));
        for (purpose, raw) in [
            ("notify", "notify#01EVENT#oncall-primary#page"),
            ("ack-link", "ack-link#RawAckTag"),
        ] {
            assert!(
                store
                    .delivered(&LedgerKey::new(purpose, raw))
                    .await
                    .expect("delivered"),
                "{raw}"
            );
        }
        let keys: Vec<String> = store
            .with(|conn| {
                let mut stmt = conn
                    .prepare("SELECT key FROM idempotency UNION ALL SELECT key FROM deliveries")
                    .map_err(backend)?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
                rows.map(|r| r.map_err(backend)).collect()
            })
            .await
            .expect("keys");
        assert_eq!(keys.len(), 3);
        assert!(keys.iter().all(|k| is_digest(k)), "{keys:?}");
        drop(store);
        let raw = ["RawDeliveryToken", "RawAckTag", "01EVENT"];
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            // The closing store removes its WAL and SHM meanwhile: a file
            // that is gone holds nothing.
            let Ok(bytes) = std::fs::read(entry.expect("entry").path()) else {
                continue;
            };
            for r in raw {
                assert!(
                    !bytes.windows(r.len()).any(|w| w == r.as_bytes()),
                    "{r} is still in the files"
                );
            }
        }
    }

    /// The checkpoint thread, not the writer, copies the WAL into the
    /// database: with the writer's own threshold far away, the database
    /// file still grows soon after a commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpoint_thread_copies_the_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("klaxon.db");
        let store = SqliteIncidentStore::open(dir.path()).expect("open");
        tokio::time::sleep(CHECKPOINT_EVERY * 2).await;
        let before = std::fs::metadata(&db).expect("db").len();
        // About 1 MiB: some 250 pages, far under the writer's threshold.
        store
            .with(|conn| {
                for i in 0..1000 {
                    exec(
                        conn,
                        "INSERT INTO deliveries (key, state, claimed_at) VALUES (?1, 'done', 'now')",
                        [format!("{i:04}{}", "x".repeat(1000))],
                    )
                    .map_err(backend)?;
                }
                Ok(())
            })
            .await
            .expect("write");
        let mut grown = false;
        for _ in 0..100 {
            tokio::time::sleep(CHECKPOINT_EVERY / 5).await;
            if std::fs::metadata(&db).expect("db").len() > before + 512 * 1024 {
                grown = true;
                break;
            }
        }
        assert!(grown, "the database file never received the WAL's pages");
    }
}
