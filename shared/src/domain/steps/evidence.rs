//! Evidence references and fact/hypothesis notes.

use crate::domain::response::invalid;
use crate::domain::{
    Basis, Change, Evidence, EvidenceInput, Field, Refusal, ResponseError, TimelineKind,
    required_text,
};
use chrono::Duration;

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
