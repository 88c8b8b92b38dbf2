//! `HeartbeatStore` over the `monitors` table: the JSON body, its version,
//! and `due_at` for the partial index the sweep reads.

use super::{SqliteIncidentStore, backend, bodies, exec, from_json, row, to_json, ts};
use crate::domain::heartbeat::{Monitor, MonitorName};
use crate::ports::{HeartbeatStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

fn due(m: &Monitor) -> Option<String> {
    m.due_at().map(ts)
}

#[async_trait]
impl HeartbeatStore for SqliteIncidentStore {
    async fn create_monitor(&self, monitor: &Monitor) -> Result<(), StoreError> {
        let m = monitor.clone();
        self.with(move |conn| {
            let n = exec(
                conn,
                "INSERT INTO monitors (name, due_at, version, body) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (name) DO NOTHING",
                params![m.spec.name.as_str(), due(&m), m.version, to_json(&m)?],
            )
            .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::MonitorChanged(m.spec.name.to_string()));
            }
            Ok(())
        })
        .await
    }

    async fn save_monitor(&self, monitor: &Monitor, expected: u64) -> Result<Monitor, StoreError> {
        let mut m = monitor.clone();
        m.version = expected + 1;
        self.with(move |conn| {
            let n = exec(
                conn,
                "UPDATE monitors SET due_at = ?2, version = ?3, body = ?4 \
                 WHERE name = ?1 AND version = ?5",
                params![
                    m.spec.name.as_str(),
                    due(&m),
                    m.version,
                    to_json(&m)?,
                    expected
                ],
            )
            .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::MonitorChanged(m.spec.name.to_string()));
            }
            Ok(m)
        })
        .await
    }

    async fn monitor(&self, name: &MonitorName) -> Result<Option<Monitor>, StoreError> {
        let name = name.to_string();
        self.with(move |conn| {
            let body: Option<String> = row(
                conn,
                "SELECT body FROM monitors WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            body.map(|b| from_json(&b)).transpose()
        })
        .await
    }

    async fn monitors(&self) -> Result<Vec<Monitor>, StoreError> {
        self.with(|conn| bodies(conn, "SELECT body FROM monitors ORDER BY name", []))
            .await
    }

    async fn delete_monitor(&self, name: &MonitorName) -> Result<bool, StoreError> {
        let name = name.to_string();
        self.with(move |conn| {
            Ok(exec(conn, "DELETE FROM monitors WHERE name = ?1", [name]).map_err(backend)? > 0)
        })
        .await
    }

    async fn monitors_due(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<Monitor>, u64), StoreError> {
        self.with(move |conn| {
            let due: Vec<Monitor> = bodies(
                conn,
                "SELECT body FROM monitors WHERE due_at IS NOT NULL AND due_at <= ?1 \
                 ORDER BY due_at LIMIT ?2",
                params![ts(before), limit as i64],
            )?;
            let examined = due.len() as u64;
            Ok((due, examined))
        })
        .await
    }
}
