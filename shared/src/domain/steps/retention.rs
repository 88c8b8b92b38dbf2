//! Placing and lifting a legal hold.

use crate::domain::{Change, Field, LegalHold, ResponseError, TimelineKind, required_text};
use chrono::Duration;

impl Change {
    /// Places or lifts a legal hold; expiry resumes from closure when lifted.
    pub fn legal_hold(
        &mut self,
        actor: &str,
        hold: bool,
        reason: &str,
        retention: Duration,
    ) -> Result<bool, ResponseError> {
        let reason = required_text(Field::Reason, reason)?;
        let now = self.incident.updated_at;
        if hold == self.incident.legal_hold.is_some() {
            return Ok(false);
        }
        if hold {
            self.incident.legal_hold = Some(LegalHold {
                reason: reason.clone(),
                by: actor.to_owned(),
                at: now,
            });
            self.incident.expires_at = None;
            self.record(
                actor,
                TimelineKind::Retention,
                format!("legal hold placed: {reason}"),
            );
        } else {
            self.incident.legal_hold = None;
            self.incident.expires_at = self.incident.closed_at.map(|c| c + retention);
            self.record(
                actor,
                TimelineKind::Retention,
                format!("legal hold lifted: {reason}"),
            );
        }
        Ok(true)
    }
}
