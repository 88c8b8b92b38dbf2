//! Assigning and clearing the seeds' roles.

use crate::domain::response::invalid;
use crate::domain::{Change, Field, IncidentRole, ResponseError, RoleChange, TimelineKind};

impl Change {
    /// Assigns (or, with `None`, clears) a role. `Ok(false)`: no change.
    pub fn assign_role(
        &mut self,
        actor: &str,
        role: IncidentRole,
        person: Option<&str>,
    ) -> Result<bool, ResponseError> {
        let person = match person.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if p.chars().count() > 200 => {
                return Err(invalid(
                    Field::Person,
                    "person must be at most 200 characters",
                ));
            }
            other => other.map(str::to_owned),
        };
        let previous = self.incident.roles.get(role.as_str()).cloned();
        if previous == person {
            return Ok(false);
        }
        match &person {
            Some(p) => self
                .incident
                .roles
                .insert(role.as_str().to_owned(), p.clone()),
            None => self.incident.roles.remove(role.as_str()),
        };
        let message = match (&previous, &person) {
            (None, Some(p)) => format!("{} assigned to {p}", role.label()),
            (Some(old), Some(p)) => format!("{} reassigned from {old} to {p}", role.label()),
            (Some(old), None) => format!("{} unassigned (was {old})", role.label()),
            (None, None) => unreachable!("equal values returned above"),
        };
        self.record(actor, TimelineKind::RoleAssigned, message);
        self.incident.role_history.push(RoleChange {
            role,
            person,
            previous,
            by: actor.to_owned(),
            at: self.incident.updated_at,
        });
        Ok(true)
    }
}
