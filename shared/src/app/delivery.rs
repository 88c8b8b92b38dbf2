//! The delivery guard: a side effect that must happen once (a message, a
//! webhook delivery's ingest, an ack link's use) is claimed in the ledger,
//! acted on, then completed, or released when the act failed so that a
//! retry can take it. Every consumer goes through here rather than calling
//! the ledger itself.

use super::App;
use crate::ports::{LedgerKey, StoreError};
use chrono::{DateTime, Duration, Utc};

/// How long a claimed-but-unfinished delivery blocks a retry. Longer than any
/// single attempt takes; short enough that a crashed attempt is retried
/// promptly.
pub const DELIVERY_LEASE_SECS: i64 = 120;

/// How long a claim holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// One attempt's worth ([`DELIVERY_LEASE_SECS`]). Completing is what
    /// keeps the effect from being done again once the lease runs out, so a
    /// failed completion is the act's failure too.
    Attempt,
    /// Held until this time whatever happens (a single-use link stays used
    /// past its expiry). The lease itself keeps the effect from recurring,
    /// so completing is a record only, and a failed one is logged.
    Until(DateTime<Utc>),
}

impl Lease {
    fn length(self, now: DateTime<Utc>) -> Duration {
        match self {
            Self::Attempt => Duration::seconds(DELIVERY_LEASE_SECS),
            Self::Until(t) => t - now,
        }
    }
}

/// Claims this caller holds: act, then [`Guard::settle`].
#[must_use = "a held claim must be settled, completed or released"]
pub struct Guard<'a> {
    app: &'a App,
    keys: Vec<LedgerKey>,
    lease: Lease,
}

/// What the ledger said.
pub enum Claim<'a> {
    /// Every key was claimed: this caller does the effect.
    Held(Guard<'a>),
    /// `keys[taken]` was already claimed (done, or in flight elsewhere).
    /// `earlier` holds the keys before it; the caller completes or releases
    /// them, depending on what the taken key means.
    Taken { taken: usize, earlier: Guard<'a> },
}

/// Claims `keys` in order, stopping at the first one already claimed.
pub async fn claim(app: &App, keys: Vec<LedgerKey>, lease: Lease) -> Result<Claim<'_>, StoreError> {
    let now = app.clock.now();
    let length = lease.length(now);
    let mut held = Vec::with_capacity(keys.len());
    for (i, key) in keys.into_iter().enumerate() {
        if !app.store.try_claim(&key, now, length).await? {
            return Ok(Claim::Taken {
                taken: i,
                earlier: Guard {
                    app,
                    keys: held,
                    lease,
                },
            });
        }
        held.push(key);
    }
    Ok(Claim::Held(Guard {
        app,
        keys: held,
        lease,
    }))
}

/// Claims one key: `None` when it was already claimed.
pub async fn claim_one(
    app: &App,
    key: LedgerKey,
    lease: Lease,
) -> Result<Option<Guard<'_>>, StoreError> {
    Ok(match claim(app, vec![key], lease).await? {
        Claim::Held(guard) => Some(guard),
        Claim::Taken { .. } => None,
    })
}

/// Whether the effect behind `key` was completed. A claim that is not (its
/// holder is still working, or died) must be retried after its lease, not
/// counted done.
pub async fn delivered(app: &App, key: &LedgerKey) -> Result<bool, StoreError> {
    app.store.delivered(key).await
}

impl Guard<'_> {
    /// Records the effect as done.
    pub async fn complete(self) -> Result<(), StoreError> {
        let now = self.app.clock.now();
        for key in &self.keys {
            self.app.store.complete(key, now).await?;
        }
        Ok(())
    }

    /// Gives the claims back, so a retry can take them.
    pub async fn release(self) -> Result<(), StoreError> {
        for key in &self.keys {
            self.app.store.release(key).await?;
        }
        Ok(())
    }

    /// Completes after the act succeeded; releases after it failed and
    /// returns its error. A failed release is logged: the lease frees the
    /// claim in time.
    pub async fn settle<T, E: From<StoreError>>(self, outcome: Result<T, E>) -> Result<T, E> {
        match outcome {
            Ok(value) => {
                let lease = self.lease;
                match self.complete().await {
                    Ok(()) => Ok(value),
                    Err(e) if lease == Lease::Attempt => Err(e.into()),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not complete a delivery claim; its lease keeps it claimed");
                        Ok(value)
                    }
                }
            }
            Err(e) => {
                if let Err(release) = self.release().await {
                    tracing::warn!(error = %release, "could not release a delivery claim");
                }
                Err(e)
            }
        }
    }
}
