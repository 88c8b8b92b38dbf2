//! Retention: the legal hold that suspends expiry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Suspends expiry while it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}
