//! The tables and indexes, and the migrations a database written by an
//! older version needs, run once at open.

use super::backend;
use crate::ports::StoreError;
use rusqlite::{Connection, params};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_status ON incidents (status, created_at, id);
CREATE INDEX IF NOT EXISTS incidents_by_created ON incidents (created_at, id);
CREATE TABLE IF NOT EXISTS timeline (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
-- Keys are SHA-256 digests (`IdempotencyKey`); `content` is the digest of
-- the request a replay key was first used with.
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    content TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    occurred_at TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT
);
-- Pending events in commit order: the index's entries are (occurred_at,
-- rowid), and rowid follows insertion, so one change's events keep the
-- order they were emitted in.
DROP INDEX IF EXISTS events_pending;
CREATE INDEX IF NOT EXISTS events_pending_in_order ON events (occurred_at) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS notifications (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (incident_id, key)
);
-- Repeats of an incident's natural key, counted in place (times in
-- microseconds since the epoch); `occurrences` includes the first report.
CREATE TABLE IF NOT EXISTS repeats (
    incident_id TEXT PRIMARY KEY REFERENCES incidents (id),
    reference TEXT NOT NULL,
    occurrences INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    burst_start INTEGER NOT NULL,
    burst_base INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    sample TEXT
);
-- Heartbeat monitors; `due_at` is NULL once late, and the partial index
-- is the monitors' due index.
CREATE TABLE IF NOT EXISTS monitors (
    name TEXT PRIMARY KEY,
    due_at TEXT,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS monitors_due ON monitors (due_at) WHERE due_at IS NOT NULL;
-- The on-call roster. Overrides are read by schedule, ending after now.
-- A feed's token is kept only as its SHA-256 (`digest`), one per owner.
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    id TEXT PRIMARY KEY,
    schedule TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS overrides_by_schedule ON overrides (schedule, end_at);
CREATE TABLE IF NOT EXISTS feeds (
    owner TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
-- Console sessions by the SHA-256 of their id; the id is never stored.
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    completed_at TEXT
);
"#;

/// Creates what is missing and migrates what an older version wrote.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA).map_err(backend)?;
    // Added after the first schema: the escalation sweep's due index.
    let has_due: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('incidents') WHERE name = 'next_due_at'",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if has_due == 0 {
        conn.execute_batch("ALTER TABLE incidents ADD COLUMN next_due_at TEXT")
            .map_err(backend)?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS incidents_due ON incidents (next_due_at, id) WHERE next_due_at IS NOT NULL",
    )
    .map_err(backend)?;
    add_key_content(conn)?;
    hash_raw_keys(conn)
}

/// Added after the first schema: the content a replay key is bound to.
fn add_key_content(conn: &Connection) -> Result<(), StoreError> {
    let has: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('idempotency') WHERE name = 'content'",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if has == 0 {
        conn.execute_batch("ALTER TABLE idempotency ADD COLUMN content TEXT")
            .map_err(backend)?;
    }
    Ok(())
}

/// `PRAGMA user_version` once every stored key is a digest.
const KEYS_HASHED: i64 = 1;

/// Is this stored key `<prefix>#<64 hex>`, the shape every key is now
/// written in?
pub(super) fn is_digest(key: &str) -> bool {
    key.split_once('#').is_some_and(|(_, d)| {
        d.len() == 64
            && d.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Once, for a database written before keys were hashed: rewrites raw
/// keys as the digests the code now looks up. An idempotency key
/// `<source>#<raw>` becomes `<source>#<sha256(raw)>`, as `IdempotencyKey`
/// writes it; a ledger key `<purpose>#...` becomes
/// `<purpose>#<sha256(whole key)>`, as `LedgerKey` writes the notify
/// claims, so a delivered page stays delivered. (An ack link's claim is now
/// keyed on a digest of its tag, so an old one matches nothing: a link used
/// before the upgrade may acknowledge once more.) One transaction.
fn hash_raw_keys(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
    if version >= KEYS_HASHED {
        return Ok(());
    }
    // Freed cells are zeroed, so the raw text does not linger in the file.
    conn.pragma_update(None, "secure_delete", true)
        .map_err(backend)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    let run = || -> Result<(), StoreError> {
        for (table, whole) in [("idempotency", false), ("deliveries", true)] {
            let keys: Vec<String> = {
                let mut stmt = conn
                    .prepare(&format!("SELECT key FROM {table}"))
                    .map_err(backend)?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            let mut update = conn
                .prepare(&format!(
                    "UPDATE OR REPLACE {table} SET key = ?1 WHERE key = ?2"
                ))
                .map_err(backend)?;
            for old in keys.iter().filter(|k| !is_digest(k)) {
                let (prefix, rest) = old.split_once('#').unwrap_or(("key", old));
                let digest = sha256_hex(if whole { old } else { rest });
                update
                    .execute(params![format!("{prefix}#{digest}"), old])
                    .map_err(backend)?;
            }
        }
        conn.pragma_update(None, "user_version", KEYS_HASHED)
            .map_err(backend)
    };
    let done = match run() {
        Ok(()) => conn.execute_batch("COMMIT").map_err(backend),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    };
    conn.pragma_update(None, "secure_delete", false)
        .map_err(backend)?;
    done?;
    // And the WAL's copies of the old pages go too.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(backend)
}
