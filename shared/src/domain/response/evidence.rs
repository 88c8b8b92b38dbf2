//! What the record keeps as proof: evidence references and fact or
//! hypothesis notes.

use super::*;
use crate::domain::{Change, TimelineKind};
use chrono::{DateTime, Duration, Utc};
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

impl Change {
    /// A timeline note marked as confirmed fact or hypothesis.
    pub fn add_note(&mut self, actor: &str, basis: Basis, text: &str) -> Result<(), ResponseError> {
        let text = required_text(Field::Text, text)?;
        let kind = match basis {
            Basis::Fact => TimelineKind::Fact,
            Basis::Hypothesis => TimelineKind::Hypothesis,
        };
        self.record(actor, kind, text);
        Ok(())
    }

    pub fn add_evidence(
        &mut self,
        actor: &str,
        input: EvidenceInput,
    ) -> Result<u32, ResponseError> {
        let name = required_text(Field::Name, &input.name)?;
        let location = required_text(Field::Location, &input.location)?;
        let sha256 = input.sha256.trim().to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(
                Field::Sha256,
                "sha256 must be the 64 hex digits of the evidence's SHA-256 (sha256sum prints it)",
            ));
        }
        let now = self.incident.updated_at;
        let collected_at = input.collected_at.unwrap_or(now);
        if collected_at > now + Duration::minutes(5) {
            return Err(invalid(Field::CollectedAt, "collected_at is in the future"));
        }
        let collected_by = match input.collected_by.as_deref() {
            Some(b) => required_text(Field::CollectedBy, b)?,
            None => actor.to_owned(),
        };
        if self.incident.evidence.iter().any(|e| e.sha256 == sha256) {
            return Err(Refusal::DuplicateEvidence { sha256 }.into());
        }
        let id = self
            .incident
            .evidence
            .iter()
            .map(|e| e.id)
            .max()
            .unwrap_or(0)
            + 1;
        self.record(
            actor,
            TimelineKind::Evidence,
            format!("evidence #{id} recorded: {name} at {location} (sha256 {sha256})"),
        );
        self.incident.evidence.push(Evidence {
            id,
            name,
            location,
            sha256,
            collected_by,
            collected_at,
            recorded_by: actor.to_owned(),
            recorded_at: now,
        });
        Ok(id)
    }
}
