//! Status changes with the fields each step needs.

use crate::domain::response::invalid;
use crate::domain::{
    Change, Containment, Deadline, EventKind, Field, Incident, ROOT_CAUSE_CRITERION, Refusal,
    ResponseError, RootCause, Severity, Status, StatusFields, TaskSection, TaskState,
    required_text,
};
use chrono::{DateTime, Duration, Utc};

/// What the lifecycle needs from the plan: the review's deadline when an
/// incident is resolved, how long a closed one is kept, and the clocks
/// re-planned once it is resolved. The policy answers it.
pub trait Lifecycle {
    fn review_deadline(&self, severity: Severity, resolved_at: DateTime<Utc>) -> Option<Deadline>;
    fn retention(&self) -> Duration;
    fn reschedule(&self, incident: &mut Incident);
}

impl Change {
    /// Moves along the lifecycle with the fields each step needs.
    pub fn set_status(
        &mut self,
        actor: &str,
        to: Status,
        fields: &StatusFields,
        policy: &dyn Lifecycle,
    ) -> Result<(), ResponseError> {
        let from = self.incident.status;
        from.check_transition(to).map_err(Refusal::Transition)?;
        let now = self.incident.updated_at;
        match to {
            Status::Contained => {
                let action = fields.containment.as_deref().unwrap_or("");
                let action = required_text(Field::Containment, action).map_err(|_| {
                    invalid(
                        Field::Containment,
                        "containment is required: the action taken to stop further harm",
                    )
                })?;
                self.incident.containment = Some(Containment {
                    action,
                    by: actor.to_owned(),
                    at: now,
                });
            }
            Status::Resolved => {
                let cause = fields.root_cause.as_deref().unwrap_or("").trim();
                if cause.is_empty() {
                    return Err(invalid(
                        Field::RootCause,
                        "root_cause is required: the cause, or \"unknown\" with a rationale",
                    ));
                }
                let cause = required_text(Field::RootCause, cause)?;
                let rationale = fields
                    .rationale
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(|r| required_text(Field::Rationale, r))
                    .transpose()?;
                let root = RootCause {
                    cause,
                    rationale,
                    by: actor.to_owned(),
                    at: now,
                };
                if !root.is_known() && root.rationale.is_none() {
                    return Err(invalid(
                        Field::Rationale,
                        "an unknown root cause needs a rationale: why it cannot be established",
                    ));
                }
                self.incident.root_cause = Some(root);
                self.incident.resolved_at = Some(now);
                // Paging and the stale watch are for open incidents.
                if let Some(p) = self.incident.paging.as_mut() {
                    p.next_at = None;
                }
                self.incident.stale = None;
                if let Some(sev) = self.incident.severity
                    && self
                        .incident
                        .deadline(crate::domain::DeadlineKind::PostIncidentReview)
                        .is_none()
                    && let Some(d) = policy.review_deadline(sev, now)
                {
                    self.incident.deadlines.push(d);
                }
                self.satisfy(
                    actor,
                    ROOT_CAUSE_CRITERION,
                    "root cause recorded at resolution",
                );
            }
            Status::Closed => {
                let open: Vec<String> = self
                    .incident
                    .tasks
                    .iter()
                    .filter(|t| t.section != TaskSection::FollowUp && t.state == TaskState::Open)
                    .map(|t| format!("#{} {}", t.id, t.text))
                    .collect();
                if !open.is_empty() {
                    return Err(Refusal::OpenItems(open).into());
                }
                self.incident.closed_at = Some(now);
                self.incident.expires_at = if self.incident.legal_hold.is_some() {
                    None
                } else {
                    Some(now + policy.retention())
                };
            }
            // Reopened: open again, so neither closed nor due for deletion;
            // the last root cause stays on record until the next resolution.
            Status::Investigating if !from.is_open() => {
                self.incident.resolved_at = None;
                self.incident.closed_at = None;
                self.incident.expires_at = None;
            }
            _ => {}
        }
        self.move_to(actor, to).map_err(Refusal::Move)?;
        if to == Status::Resolved {
            policy.reschedule(&mut self.incident);
        }
        // Acknowledged and triaged have events of their own.
        if matches!(
            to,
            Status::Investigating
                | Status::Contained
                | Status::Recovering
                | Status::Resolved
                | Status::Closed
        ) {
            let note = status_note(&self.incident, from, to);
            self.emit_with(EventKind::StatusChanged, |e| {
                e.actor = Some(actor.to_owned());
                e.note = Some(note);
                e.from = Some(from);
            });
        }
        Ok(())
    }
}

/// What a status change says in the team's status update: the move, and
/// what the step recorded (already redacted text).
fn status_note(incident: &Incident, from: Status, to: Status) -> String {
    let what = match to {
        Status::Contained => incident
            .containment
            .as_ref()
            .map(|c| format!(": {}", c.action)),
        Status::Resolved => incident
            .root_cause
            .as_ref()
            .map(|r| format!(": root cause {}", r.cause)),
        _ => None,
    };
    let reopened = if from.is_open() { "" } else { " (reopened)" };
    format!(
        "status {from} -> {to}{reopened}{}",
        what.unwrap_or_default()
    )
}
