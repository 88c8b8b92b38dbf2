//! A webhook delivery, stored once. A natural key (an alert, an issue) is
//! the store's key; the delivery itself is then claimed in the ledger, so a
//! replay of it changes nothing. Without a natural key the delivery is the
//! store's key. The routes verify and normalise; this is the rest.

use super::delivery::{self, Guard, Lease};
use super::intake::Intake;
use super::repeats::Repeated;
use super::{App, intake};
use crate::domain::{Incident, Report, Source};
use crate::metrics::{self, Metric};
use crate::ports::{Created, LedgerKey, SenderKey, StoreError};
use crate::webhook::normalize::Key;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What makes a delivery itself, for telling a replay from a new delivery.
/// Only signed material counts: the delivery-id headers (`X-GitHub-Delivery`,
/// `X-Atlassian-Webhook-Identifier`, `X-Request-UUID`) are not signed, so a
/// captured delivery replayed under a fresh id would pass for a new one.
pub enum Delivery<'a> {
    /// The signed body is the identity: a replay of it is the same delivery,
    /// whatever its headers say.
    SignedBody(&'a [u8]),
    /// A Connect JWT, which signs the request but not its body: one token
    /// carries one body (another is refused), and the body is the identity,
    /// so a retry under a fresh token is the same delivery.
    Token { token: String, body: &'a [u8] },
    /// A key the sender chose for one request (a Standard Webhooks id, an
    /// `Idempotency-Key`), bound to the body it came with: the same key
    /// with another body is refused.
    Keyed { key: String, body: &'a [u8] },
}

impl Delivery<'_> {
    /// The incident store's key, for a delivery with no natural key.
    pub fn store_key(&self) -> SenderKey {
        match self {
            Self::SignedBody(body) | Self::Token { body, .. } => SenderKey::new(&body_hash(body)),
            Self::Keyed { key, body } => SenderKey::new(key).for_content(body),
        }
    }
}

/// What the ledger said about a delivery.
enum Claim<'a> {
    /// First sight: these claims are held until the delivery is stored.
    New(Guard<'a>),
    /// Seen before (or in flight): answer as a duplicate.
    Repeat,
    /// Its key was used before with another body.
    Reused,
}

/// Claims a delivery in the ledger, in order. A token or key takes two
/// claims: the key with this body (failing: a retry) and the key alone
/// (failing then: another body, refused). With a natural key as the store
/// key, the body is claimed too (failing: the same delivery again).
async fn claim<'a>(
    app: &'a App,
    source: Source,
    delivery: &Delivery<'_>,
    natural: bool,
) -> Result<Claim<'a>, StoreError> {
    let src = source.as_str();
    let body_claim =
        |body: &[u8]| LedgerKey::new("delivery", &format!("{src}#{}", body_hash(body)));
    let key_claims = |key: &str, body: &[u8]| {
        [
            LedgerKey::new(
                "delivery",
                &format!(
                    "{src}#{}#{}",
                    hex::encode(Sha256::digest(key)),
                    body_hash(body)
                ),
            ),
            LedgerKey::new("delivery-key", &format!("{src}#{key}")),
        ]
    };
    // (claim, what its failure means)
    let mut wanted: Vec<(LedgerKey, Claim)> = Vec::new();
    match delivery {
        Delivery::Token { token: key, body } | Delivery::Keyed { key, body } => {
            let [bound, used] = key_claims(key, body);
            wanted.push((bound, Claim::Repeat));
            wanted.push((used, Claim::Reused));
        }
        Delivery::SignedBody(_) => {}
    }
    match delivery {
        Delivery::SignedBody(body) | Delivery::Token { body, .. } if natural => {
            wanted.push((body_claim(body), Claim::Repeat));
        }
        _ => {}
    }
    let (keys, failures): (Vec<_>, Vec<_>) = wanted.into_iter().unzip();
    match delivery::claim(app, keys, Lease::Attempt).await? {
        delivery::Claim::Held(guard) => Ok(Claim::New(guard)),
        delivery::Claim::Taken { taken, earlier } => {
            let failure = failures.into_iter().nth(taken).unwrap_or(Claim::Repeat);
            match failure {
                // This token's one body was already seen: it stays used.
                Claim::Repeat => earlier.complete().await?,
                // Its body is another one: this attempt leaves nothing.
                _ => earlier.release().await?,
            }
            Ok(failure)
        }
    }
}

fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// What became of a delivery.
#[derive(Debug)]
pub enum Ingested {
    /// Stored, or answered by the store as a repeat of its key.
    Stored(Created),
    /// A repeat of an open incident's natural key, counted on it.
    Repeated(Repeated),
    /// The ledger has seen this delivery: the incident it made, if any.
    Replayed(Option<Incident>),
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The delivery's key (a token, a webhook id) came before with another body.
    #[error("the delivery key was used before with another body")]
    KeyReused,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::KeyReused => Self::KeyReused,
            e => Self::Store(e),
        }
    }
}

/// Stores `report` from `source` once: claims the delivery, submits it, and
/// settles the claims (completed once stored; released after a failure, to
/// let the sender's retry through).
pub async fn ingest(
    app: &Arc<App>,
    source: Source,
    delivery: Option<Delivery<'_>>,
    report: Report,
    key: Option<Key>,
) -> Result<Ingested, IngestError> {
    let (created, guard) = match (key, delivery) {
        (Some(Key { key, repeat }), Some(delivery)) => {
            let guard = match claim(app, source, &delivery, true).await? {
                Claim::New(guard) => guard,
                Claim::Reused => return Err(IngestError::KeyReused),
                Claim::Repeat => {
                    metrics::incr(Metric::ReportsDuplicated);
                    let existing = app
                        .store
                        .find_by_key(&source.scoped_key(key.into()))
                        .await?;
                    return Ok(Ingested::Replayed(existing));
                }
            };
            let result = intake::submit_keyed(app, source, report, Some(key.into()), repeat).await;
            (result, Some(guard))
        }
        (Some(Key { key, repeat }), None) => (
            intake::submit_keyed(app, source, report, Some(key.into()), repeat).await,
            None,
        ),
        (None, Some(delivery)) => {
            // A token is claimed here too: one token, one body. A repeat
            // goes on to the store, which answers with the first incident.
            let guard = match &delivery {
                Delivery::Token { .. } => match claim(app, source, &delivery, false).await? {
                    Claim::New(guard) => Some(guard),
                    Claim::Reused => return Err(IngestError::KeyReused),
                    Claim::Repeat => None,
                },
                _ => None,
            };
            let key = Some(delivery.store_key());
            (
                intake::submit(app, source, report, key)
                    .await
                    .map(Intake::Stored),
                guard,
            )
        }
        (None, None) => (
            intake::submit(app, source, report, None)
                .await
                .map(Intake::Stored),
            None,
        ),
    };
    let created = match guard {
        Some(guard) => guard.settle(created).await,
        None => created,
    };
    Ok(match created? {
        Intake::Stored(c) => Ingested::Stored(c),
        Intake::Repeated(r) => Ingested::Repeated(r),
    })
}
