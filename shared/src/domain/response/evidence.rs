//! What the record keeps as proof: evidence references and fact or
//! hypothesis notes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a piece of evidence is kept and its digest: the record holds the
/// reference, never the evidence itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: u32,
    pub name: String,
    pub location: String,
    /// Lower-case hex SHA-256 of the evidence as collected.
    pub sha256: String,
    pub collected_by: String,
    pub collected_at: DateTime<Utc>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// An evidence reference as a caller gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    pub name: String,
    pub location: String,
    pub sha256: String,
    #[serde(default)]
    pub collected_by: Option<String>,
    #[serde(default)]
    pub collected_at: Option<DateTime<Utc>>,
}

/// A note's standing: the runbook separates confirmed facts from hypotheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Fact,
    Hypothesis,
}

/// A note kind that is neither `fact` nor `hypothesis`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown note kind {0:?}: use fact (confirmed) or hypothesis")]
pub struct UnknownBasis(pub String);

impl FromStr for Basis {
    type Err = UnknownBasis;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fact" => Ok(Self::Fact),
            "hypothesis" => Ok(Self::Hypothesis),
            other => Err(UnknownBasis(other.to_owned())),
        }
    }
}
