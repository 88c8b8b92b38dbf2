//! `DynamoIncidentStore`: the single-table DynamoDB store (see `docs/data-model.md`).
//!
//! | item         | pk                | sk              | extra keys                               |
//! |--------------|-------------------|-----------------|------------------------------------------|
//! | incident     | `INC#<id>`        | `META`          | gsi1: `STATUS#<status>` / `<created>#<id>`; gsi4: `INCIDENT` / `<created>#<id>` |
//! | timeline     | `INC#<id>`        | `TL#<seq:010>`  |                                          |
//! | outbox event | `INC#<id>`        | `EVT#<event>`   | gsi2 while pending: `OUTBOX` / `<at>#<event>` |
//! | notification | `INC#<id>`        | `NTF#<key>`     |                                          |
//! | repeats      | `INC#<id>`        | `META#REPEATS`  | the natural key's repeat counter         |
//! | key pointer  | `INC#<id>`        | `IDEMREF#<key>` | finds the incident's idempotency keys    |
//! | idempotency  | `IDEM#<key>`      | `IDEM`          | `content`: the request a replay key was bound to |
//! | reference    | `REF#<reference>` | `REF`           |                                          |
//! | delivery     | `DLV#<key>`       | `DLV`           | TTL `expires_at`                         |
//! | purge marker | `PURGE`           | `<id>`          | a delete whose children may remain       |
//! | monitor      | `HEARTBEAT`       | `<name>`        | gsi3 until late: `HEARTBEAT_DUE` / `<due>#<name>` |
//! | person       | `ROSTER`          | `PERSON#<id>`   | the on-call roster (`roster.rs`)         |
//! | schedule     | `ROSTER`          | `SCHEDULE#<id>` |                                          |
//! | override     | `OVERRIDE#<schedule>` | `<end>#<id>` | read from now on, consistently           |
//! | feed         | `FEED#<digest>`   | `FEED`          | the owner; `ROSTER` / `FEEDOF#<owner>` points at it |
//!
//! Keys from outside are SHA-256 digests (`IdempotencyKey`, `LedgerKey`):
//! no item key holds a sender's raw text.
//!
//! Creates and changes are one `TransactWriteItems` each, so the incident,
//! its timeline, its outbox events and its keys land together or not at all.
//! A delete is not one transaction (an incident can outgrow one). Its one
//! decision is: `META` (conditional on the version the caller read) and the
//! reference go, and a purge marker is written, in one transaction. The
//! children follow, then the marker; a delete interrupted in between is
//! finished by the next one.

use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

mod heartbeats;
mod keys;
mod ledger;
mod outbox;
mod repeats;
mod roster;
mod sessions;
mod store;
#[cfg(any(test, feature = "test-util"))]
mod testing;

pub use keys::{CREATED_INDEX, DUE_INDEX, OUTBOX_INDEX, STATUS_INDEX};
#[cfg(any(test, feature = "test-util"))]
pub use testing::create_table;

pub struct DynamoIncidentStore {
    client: Client,
    table: String,
}

/// An SDK failure as the port's error: `Unavailable` when worth retrying.
fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, HttpResponse>,
) -> StoreError {
    match super::sdk_failure(e) {
        (true, msg) => StoreError::Unavailable(msg),
        (false, msg) => StoreError::Backend(msg),
    }
}

impl DynamoIncidentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}
