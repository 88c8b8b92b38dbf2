//! `SessionStore` over the `sessions` table: a JSON body keyed by the
//! digest of the session's id. Each new session first clears the expired.

use super::{SqliteIncidentStore, backend, exec, from_json, row, to_json, ts};
use crate::domain::session::{Session, SessionDigest};
use crate::ports::{SessionStore, StoreError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl SessionStore for SqliteIncidentStore {
    async fn put_session(
        &self,
        digest: &SessionDigest,
        session: &Session,
    ) -> Result<(), StoreError> {
        let digest = digest.as_str().to_owned();
        let body = to_json(session)?;
        let (expires, now) = (ts(session.expires_at), ts(session.created_at));
        self.with(move |conn| {
            exec(conn, "DELETE FROM sessions WHERE expires_at <= ?1", [now]).map_err(backend)?;
            exec(
                conn,
                "INSERT INTO sessions (digest, expires_at, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at, body = excluded.body",
                params![digest, expires, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, digest: &SessionDigest) -> Result<Option<Session>, StoreError> {
        let digest = digest.as_str().to_owned();
        self.with(move |conn| {
            let body: Option<String> = row(
                conn,
                "SELECT body FROM sessions WHERE digest = ?1",
                [digest],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
            body.map(|b| from_json(&b)).transpose()
        })
        .await
    }

    async fn delete_session(&self, digest: &SessionDigest) -> Result<(), StoreError> {
        let digest = digest.as_str().to_owned();
        self.with(move |conn| {
            exec(conn, "DELETE FROM sessions WHERE digest = ?1", [digest]).map_err(backend)?;
            Ok(())
        })
        .await
    }
}
