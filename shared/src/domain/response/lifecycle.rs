//! Moving along the lifecycle with the fields each step needs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Containment {
    pub action: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The root cause, or "unknown" with the rationale the runbook asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCause {
    /// The cause, or `unknown`.
    pub cause: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl RootCause {
    pub fn is_known(&self) -> bool {
        !self.cause.eq_ignore_ascii_case("unknown")
    }
}

/// What a status change must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StatusFields {
    /// For `contained`: the containment action taken.
    #[serde(default)]
    pub containment: Option<String>,
    /// For `resolved`: the root cause, or `unknown` with a rationale.
    #[serde(default)]
    pub root_cause: Option<String>,
    #[serde(default)]
    pub rationale: Option<String>,
}
