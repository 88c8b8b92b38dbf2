//! `RepeatCounter` over SQL: one `repeats` row per incident, updated in
//! place on the writer thread. The key's incident, its status and the
//! counter are read and bumped in one operation, which nothing else can
//! interleave with, so no repeat is lost or counted twice and none waits on
//! a version.

use super::{SqliteIncidentStore, backend, exec, row};
use crate::domain::{Burst, IncidentId, RepeatSeen, Repeats, Status};
use crate::ports::{RepeatCount, RepeatCounter, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Times are microseconds since the epoch: exact, and cheap to compare.
fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn time(us: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, us))
}

const COLUMNS: &str = "r.incident_id, r.reference, r.occurrences, r.first_seen, r.last_seen, r.burst_start, r.burst_base, r.rank, r.sample";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Repeats> {
    let id: String = r.get(0)?;
    let reference: String = r.get(1)?;
    let bad = |e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    };
    Ok(Repeats {
        incident_id: id
            .parse()
            .map_err(|_| bad(format!("bad incident id {id:?}")))?,
        reference: serde_json::from_value(serde_json::Value::String(reference))
            .map_err(|e| bad(e.to_string()))?,
        occurrences: r.get(2)?,
        first_seen: time(r.get(3)?)?,
        last_seen: time(r.get(4)?)?,
        burst: Burst {
            start: time(r.get(5)?)?,
            base: r.get(6)?,
        },
        rank: r.get(7)?,
        sample: r.get::<_, Option<String>>(8)?.map(Into::into),
    })
}

/// The counter and the status of the incident `key` names.
fn by_key(conn: &Connection, key: &str) -> Result<Option<(Repeats, String)>, StoreError> {
    row(
        conn,
        &format!(
            "SELECT {COLUMNS}, i.status FROM idempotency k
             JOIN repeats r ON r.incident_id = k.incident_id
             JOIN incidents i ON i.id = k.incident_id
             WHERE k.key = ?1"
        ),
        [key],
        |r| Ok((from_row(r)?, r.get::<_, String>(9)?)),
    )
    .optional()
    .map_err(backend)
}

/// The counted occurrences of an incident, if it has a counter: what a
/// single-incident read reports.
pub(super) fn occurrences(conn: &Connection, id: &str) -> Result<Option<u32>, StoreError> {
    row(
        conn,
        "SELECT occurrences FROM repeats WHERE incident_id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)
}

#[async_trait]
impl RepeatCounter for SqliteIncidentStore {
    async fn count_repeat(&self, seen: &RepeatSeen) -> Result<RepeatCount, StoreError> {
        let key = seen.key.as_str().to_owned();
        let (at, rank, sample) = (micros(seen.at), seen.rank, seen.sample.to_string());
        self.with(move |conn| {
            let Some((before, status)) = by_key(conn, &key)? else {
                return Ok(RepeatCount::Unknown);
            };
            if !status.parse::<Status>().is_ok_and(Status::is_open) {
                return Ok(RepeatCount::Unknown);
            }
            if rank < before.rank {
                return Ok(RepeatCount::NewSignal(before));
            }
            exec(
                conn,
                "UPDATE repeats SET occurrences = occurrences + 1, last_seen = ?2, sample = ?3 WHERE incident_id = ?1",
                params![before.incident_id.to_string(), at, sample],
            )
            .map_err(backend)?;
            Ok(RepeatCount::Counted(before))
        })
        .await
    }

    async fn open_repeats(&self, initial: &Repeats) -> Result<(), StoreError> {
        let r = initial.clone();
        self.with(move |conn| {
            let inserted = exec(
                conn,
                "INSERT INTO repeats (incident_id, reference, occurrences, first_seen, last_seen, burst_start, burst_base, rank, sample)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (incident_id) DO NOTHING",
                params![
                    r.incident_id.to_string(),
                    r.reference.as_str(),
                    r.occurrences,
                    micros(r.first_seen),
                    micros(r.last_seen),
                    micros(r.burst.start),
                    r.burst.base,
                    r.rank,
                    r.sample.as_deref(),
                ],
            );
            match inserted {
                Ok(_) => Ok(()),
                Err(e)
                    if e.sqlite_error().is_some_and(|c| {
                        c.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                    }) =>
                {
                    Err(StoreError::NotFound(r.incident_id))
                }
                Err(e) => Err(backend(e)),
            }
        })
        .await
    }

    async fn next_burst(
        &self,
        id: IncidentId,
        seen: &Burst,
        next: &Burst,
        rank: u8,
    ) -> Result<bool, StoreError> {
        let (seen, next) = (*seen, *next);
        self.with(move |conn| {
            let n = exec(
                conn,
                "UPDATE repeats SET burst_start = ?4, burst_base = ?5, rank = ?6
                 WHERE incident_id = ?1 AND burst_start = ?2 AND burst_base = ?3",
                params![
                    id.to_string(),
                    micros(seen.start),
                    seen.base,
                    micros(next.start),
                    next.base,
                    rank
                ],
            )
            .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn repeats(&self, id: IncidentId) -> Result<Option<Repeats>, StoreError> {
        self.with(move |conn| {
            row(
                conn,
                &format!("SELECT {COLUMNS} FROM repeats r WHERE r.incident_id = ?1"),
                [id.to_string()],
                from_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }
}
