//! `RosterStore` over the `people`, `schedules`, `overrides` and `feeds`
//! tables: JSON bodies keyed by id; overrides also by schedule and end.

use super::{SqliteIncidentStore, backend, bodies, exec, from_json, row, to_json, ts};
use crate::domain::oncall::{
    FeedDigest, FeedOwner, Override, OverrideId, Person, PersonId, Schedule, ScheduleId,
};
use crate::ports::{RosterStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl RosterStore for SqliteIncidentStore {
    async fn put_person(&self, person: &Person) -> Result<(), StoreError> {
        let id = person.id.to_string();
        let body = to_json(person)?;
        self.with(move |conn| {
            exec(
                conn,
                "INSERT INTO people (id, body) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![id, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
        let id = id.to_string();
        self.with(move |conn| one(conn, "SELECT body FROM people WHERE id = ?1", id))
            .await
    }

    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        self.with(|conn| bodies(conn, "SELECT body FROM people ORDER BY id", []))
            .await
    }

    async fn delete_person(&self, id: &PersonId) -> Result<bool, StoreError> {
        let owner = FeedOwner::Person(id.clone()).key();
        let id = id.to_string();
        self.with(move |conn| {
            exec(conn, "DELETE FROM feeds WHERE owner = ?1", [owner]).map_err(backend)?;
            Ok(exec(conn, "DELETE FROM people WHERE id = ?1", [id]).map_err(backend)? > 0)
        })
        .await
    }

    async fn put_schedule(&self, schedule: &Schedule) -> Result<(), StoreError> {
        let id = schedule.id.to_string();
        let body = to_json(schedule)?;
        self.with(move |conn| {
            exec(
                conn,
                "INSERT INTO schedules (id, body) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![id, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn schedule(&self, id: &ScheduleId) -> Result<Option<Schedule>, StoreError> {
        let id = id.to_string();
        self.with(move |conn| one(conn, "SELECT body FROM schedules WHERE id = ?1", id))
            .await
    }

    async fn schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        self.with(|conn| bodies(conn, "SELECT body FROM schedules ORDER BY id", []))
            .await
    }

    async fn delete_schedule(&self, id: &ScheduleId) -> Result<bool, StoreError> {
        let owner = FeedOwner::Schedule(id.clone()).key();
        let id = id.to_string();
        self.with(move |conn| {
            exec(conn, "DELETE FROM feeds WHERE owner = ?1", [owner]).map_err(backend)?;
            exec(conn, "DELETE FROM overrides WHERE schedule = ?1", [&id]).map_err(backend)?;
            Ok(exec(conn, "DELETE FROM schedules WHERE id = ?1", [&id]).map_err(backend)? > 0)
        })
        .await
    }

    async fn add_override(&self, o: &Override) -> Result<(), StoreError> {
        let body = to_json(o)?;
        let (id, schedule, start, end) = (
            o.id.to_string(),
            o.schedule.to_string(),
            ts(o.start),
            ts(o.end),
        );
        self.with(move |conn| {
            exec(
                conn,
                "INSERT INTO overrides (id, schedule, start_at, end_at, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, schedule, start, end, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn overrides(
        &self,
        schedule: &ScheduleId,
        after: DateTime<Utc>,
    ) -> Result<Vec<Override>, StoreError> {
        let schedule = schedule.to_string();
        self.with(move |conn| {
            bodies(
                conn,
                "SELECT body FROM overrides WHERE schedule = ?1 AND end_at > ?2 \
                 ORDER BY start_at, id",
                params![schedule, ts(after)],
            )
        })
        .await
    }

    async fn delete_override(
        &self,
        schedule: &ScheduleId,
        id: OverrideId,
    ) -> Result<bool, StoreError> {
        let (schedule, id) = (schedule.to_string(), id.to_string());
        self.with(move |conn| {
            Ok(exec(
                conn,
                "DELETE FROM overrides WHERE schedule = ?1 AND id = ?2",
                params![schedule, id],
            )
            .map_err(backend)?
                > 0)
        })
        .await
    }

    async fn set_feed(&self, owner: &FeedOwner, digest: &FeedDigest) -> Result<(), StoreError> {
        let key = owner.key();
        let body = to_json(owner)?;
        let digest = digest.as_str().to_owned();
        self.with(move |conn| {
            exec(
                conn,
                "INSERT INTO feeds (owner, digest, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (owner) DO UPDATE SET digest = excluded.digest, body = excluded.body",
                params![key, digest, body],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn feed(&self, digest: &FeedDigest) -> Result<Option<FeedOwner>, StoreError> {
        let digest = digest.as_str().to_owned();
        self.with(move |conn| one(conn, "SELECT body FROM feeds WHERE digest = ?1", digest))
            .await
    }
}

/// The one body a keyed query finds, if any.
fn one<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    key: String,
) -> Result<Option<T>, StoreError> {
    let body: Option<String> = row(conn, sql, [key], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    body.map(|b| from_json(&b)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oncall::{ContactsInput, PersonInput};

    fn person(sms: &str) -> Person {
        Person::parse(
            "zed",
            &PersonInput {
                name: "Zed".into(),
                time_zone: "UTC".into(),
                contacts: ContactsInput {
                    sms: Some(sms.into()),
                    ..ContactsInput::default()
                },
                rules: Vec::new(),
            },
        )
        .expect("person")
    }

    /// A number replaced, then its person removed, is gone from the files,
    /// not left in a freed cell: contact details are personal data, and
    /// removal is what someone asks for when they leave.
    #[tokio::test]
    async fn replaced_and_removed_contacts_leave_no_copy_on_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = SqliteIncidentStore::open(dir.path()).expect("open");
            store
                .put_person(&person("+4915112349991"))
                .await
                .expect("put");
            store
                .put_person(&person("+4915112349992"))
                .await
                .expect("replace");
            store
                .delete_person(&PersonId::parse("id", "zed").expect("id"))
                .await
                .expect("delete");
        }
        // Whatever the WAL held is copied into the database file.
        let conn = rusqlite::Connection::open(dir.path().join("klaxon.db")).expect("reopen");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
        drop(conn);
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            let Ok(bytes) = std::fs::read(entry.expect("entry").path()) else {
                continue;
            };
            for n in ["4915112349991", "4915112349992"] {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                    "{n} is still in the files"
                );
            }
        }
    }
}
