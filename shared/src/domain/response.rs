//! The response once someone is paged: the seeds' roles, task checklists
//! (response plays, closure criteria, follow-ups), evidence references,
//! fact/hypothesis notes, legal hold, and the fields each lifecycle step needs.
//!
//! Everything here edits a [`Change`]; the store commits it or nothing.

use super::{
    Change, Deadline, IllegalTransition, Incident, IncidentClass, Play, Severity, Status,
    TimelineKind,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Free text kept on an incident: notes, reasons, actions.
pub const MAX_TEXT: usize = 2000;

/// Why a response step was refused. `Invalid` is the caller's input (400);
/// `Refused` is the incident's state (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("{message}")]
    Invalid { field: Field, message: String },
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A step the incident's state does not allow (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("incident {reference} is closed; its record can no longer change")]
    Closed { reference: String },
    #[error("incident {reference} is under legal hold; lift the hold first")]
    UnderLegalHold { reference: String },
    #[error("incident {reference} is {status}; only closed incidents can be deleted")]
    NotClosed { reference: String, status: Status },
    /// A status the lifecycle does not reach from here, with what it can reach.
    #[error("{}: {}", .0, next_steps(.0.from))]
    Transition(IllegalTransition),
    /// A move the lifecycle refused after its fields were checked.
    #[error(transparent)]
    Move(IllegalTransition),
    /// The closure items still open, each `#<id> <text>`.
    #[error(
        "cannot close with {} open item(s); complete each, or waive it with a reason: {}",
        .0.len(),
        .0.join("; ")
    )]
    OpenItems(Vec<String>),
    #[error("evidence with SHA-256 {sha256} is already recorded")]
    DuplicateEvidence { sha256: String },
}

/// A field of a responder's input, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    At,
    Class,
    CollectedAt,
    CollectedBy,
    Containment,
    Kind,
    Location,
    Name,
    Note,
    Owner,
    Person,
    Rationale,
    Reason,
    Reference,
    Role,
    RootCause,
    Severity,
    Sha256,
    State,
    Status,
    Task,
    Tenant,
    Text,
    Title,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::At => "at",
            Self::Class => "class",
            Self::CollectedAt => "collected_at",
            Self::CollectedBy => "collected_by",
            Self::Containment => "containment",
            Self::Kind => "kind",
            Self::Location => "location",
            Self::Name => "name",
            Self::Note => "note",
            Self::Owner => "owner",
            Self::Person => "person",
            Self::Rationale => "rationale",
            Self::Reason => "reason",
            Self::Reference => "reference",
            Self::Role => "role",
            Self::RootCause => "root_cause",
            Self::Severity => "severity",
            Self::Sha256 => "sha256",
            Self::State => "state",
            Self::Status => "status",
            Self::Task => "task",
            Self::Tenant => "tenant",
            Self::Text => "text",
            Self::Title => "title",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// So that a test can name a field as the API spells it.
impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

fn invalid(field: Field, message: impl Into<String>) -> ResponseError {
    ResponseError::Invalid {
        field,
        message: message.into(),
    }
}

/// Trimmed, non-empty, at most [`MAX_TEXT`] characters. Callers redact first.
pub fn required_text(field: Field, raw: &str) -> Result<String, ResponseError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(invalid(field, format!("{field} is required")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(invalid(
            field,
            format!("{field} must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// The runbook's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    IncidentCommander,
    TechnicalLead,
    CommunicationsLead,
    EvidenceOwner,
    BusinessOwner,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 5] = [
        Self::IncidentCommander,
        Self::TechnicalLead,
        Self::CommunicationsLead,
        Self::EvidenceOwner,
        Self::BusinessOwner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncidentCommander => "incident_commander",
            Self::TechnicalLead => "technical_lead",
            Self::CommunicationsLead => "communications_lead",
            Self::EvidenceOwner => "evidence_owner",
            Self::BusinessOwner => "business_owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::IncidentCommander => "Incident commander",
            Self::TechnicalLead => "Technical lead",
            Self::CommunicationsLead => "Communications lead",
            Self::EvidenceOwner => "Evidence owner",
            Self::BusinessOwner => "Business owner",
        }
    }
}

impl fmt::Display for IncidentRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().replace('-', "_").to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == want)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role {s:?}: use one of {}", names.join(", "))
            })
    }
}

/// One assignment, kept so the review can say who held what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    pub role: IncidentRole,
    /// `None` when the role was left empty.
    pub person: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSection {
    /// A step of the class's response play.
    Play,
    /// A "Recovery and closure" criterion: closing needs each done or waived.
    Closure,
    /// A corrective action; it may outlive the incident.
    FollowUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Open,
    Done,
    Waived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// 1-based, stable: what people type.
    pub id: u32,
    pub section: TaskSection,
    /// The closure criterion's key (`root_cause`, `review`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    pub state: TaskState,
    /// Why it was waived, or what was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
}

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

/// Suspends expiry while it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A note's standing: the runbook separates confirmed facts from hypotheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Fact,
    Hypothesis,
}

impl FromStr for Basis {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fact" => Ok(Self::Fact),
            "hypothesis" => Ok(Self::Hypothesis),
            other => Err(format!(
                "unknown note kind {other:?}: use fact (confirmed) or hypothesis"
            )),
        }
    }
}

/// The checklists a triaged incident gets: its play's steps and the
/// closure criteria (see the policy's `[plays]` and `[[closure]]`).
pub trait Checklists {
    fn play_steps(&self, play: Play) -> &[String];
    /// `(key, text)` of the closure criteria that apply at this severity.
    fn closure_for(&self, severity: Severity) -> Vec<(&str, &str)>;
}

/// What the lifecycle needs from the plan: the review's deadline when an
/// incident is resolved, how long a closed one is kept, and the clocks
/// re-planned once it is resolved. The policy answers it.
pub trait Lifecycle {
    fn review_deadline(&self, severity: Severity, resolved_at: DateTime<Utc>) -> Option<Deadline>;
    fn retention(&self) -> Duration;
    fn reschedule(&self, incident: &mut Incident);
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

/// Closure criteria settled automatically by the step that satisfies them.
pub const ROOT_CAUSE_CRITERION: &str = "root_cause";
pub const REVIEW_CRITERION: &str = "review";

impl Change {
    fn next_task_id(&self) -> u32 {
        self.incident.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }

    fn push_task(&mut self, section: TaskSection, criterion: Option<&str>, text: &str) {
        let id = self.next_task_id();
        self.incident.tasks.push(Task {
            id,
            section,
            criterion: criterion.map(str::to_owned),
            text: text.to_owned(),
            owner: None,
            due: None,
            state: TaskState::Open,
            note: None,
            settled_by: None,
            settled_at: None,
        });
    }

    /// At triage (and when re-assessment picks another play): the play's
    /// steps and the closure criteria, each once.
    pub fn open_checklists(&mut self, lists: &dyn Checklists) {
        let (Some(a), Some(sev)) = (self.incident.assessment.clone(), self.incident.severity)
        else {
            return;
        };
        let had_play = self
            .incident
            .tasks
            .iter()
            .any(|t| t.section == TaskSection::Play);
        let steps = lists.play_steps(a.play).to_vec();
        let new_play = !self
            .incident
            .tasks
            .iter()
            .any(|t| t.section == TaskSection::Play && steps.contains(&t.text));
        if new_play && !steps.is_empty() {
            for s in &steps {
                self.push_task(TaskSection::Play, None, s);
            }
            let verb = if had_play { "added" } else { "opened" };
            self.record(
                "klaxon",
                TimelineKind::Task,
                format!(
                    "{verb} the {} play: {} steps",
                    play_name(a.play),
                    steps.len()
                ),
            );
        }
        for (key, text) in lists.closure_for(sev) {
            if !self
                .incident
                .tasks
                .iter()
                .any(|t| t.criterion.as_deref() == Some(key))
            {
                self.push_task(TaskSection::Closure, Some(key), text);
            }
        }
    }

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

    /// A follow-up (corrective) action with an owner and a due date.
    pub fn add_follow_up(
        &mut self,
        actor: &str,
        text: &str,
        owner: Option<&str>,
        due: Option<DateTime<Utc>>,
    ) -> Result<u32, ResponseError> {
        let text = required_text(Field::Text, text)?;
        let owner = owner.map(|o| required_text(Field::Owner, o)).transpose()?;
        self.push_task(TaskSection::FollowUp, None, &text);
        let id = self.next_task_id() - 1;
        if let Some(t) = self.incident.tasks.iter_mut().find(|t| t.id == id) {
            t.owner = owner.clone();
            t.due = due;
        }
        let whom = owner.map(|o| format!(", owner {o}")).unwrap_or_default();
        self.record(
            actor,
            TimelineKind::Task,
            format!("follow-up #{id} added: {text}{whom}"),
        );
        Ok(id)
    }

    /// Completes or waives a task; waiving needs a reason. Settling a task
    /// the same way twice changes nothing (`Ok(false)`).
    pub fn settle_task(
        &mut self,
        actor: &str,
        id: u32,
        state: TaskState,
        note: Option<&str>,
    ) -> Result<bool, ResponseError> {
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| required_text(Field::Note, n))
            .transpose()?;
        if state == TaskState::Waived && note.is_none() {
            return Err(invalid(Field::Reason, "waiving a task needs a reason"));
        }
        let now = self.incident.updated_at;
        let task = self
            .incident
            .tasks
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| invalid(Field::Task, format!("task #{id} does not exist")))?;
        if task.state == state {
            return Ok(false);
        }
        task.state = state;
        task.note = note.clone();
        task.settled_by = (state != TaskState::Open).then(|| actor.to_owned());
        task.settled_at = (state != TaskState::Open).then_some(now);
        let what = match state {
            TaskState::Done => "done",
            TaskState::Waived => "waived",
            TaskState::Open => "reopened",
        };
        let text = task.text.clone();
        let why = note.map(|n| format!(": {n}")).unwrap_or_default();
        self.record(
            actor,
            TimelineKind::Task,
            format!("task #{id} {what} ({text}){why}"),
        );
        Ok(true)
    }

    /// Marks the closure criterion `key` done, if open, on behalf of the step
    /// that satisfied it.
    pub fn satisfy(&mut self, actor: &str, key: &str, note: &str) {
        let id = self
            .incident
            .tasks
            .iter()
            .find(|t| t.criterion.as_deref() == Some(key) && t.state == TaskState::Open)
            .map(|t| t.id);
        if let Some(id) = id {
            let _ = self.settle_task(actor, id, TaskState::Done, Some(note));
        }
    }

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
                        .deadline(super::DeadlineKind::PostIncidentReview)
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
            _ => {}
        }
        self.move_to(actor, to).map_err(Refusal::Move)?;
        if to == Status::Resolved {
            policy.reschedule(&mut self.incident);
        }
        Ok(())
    }

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

/// What a refused transition can do instead.
fn next_steps(from: Status) -> String {
    let ok: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|to| from.check_transition(*to).is_ok())
        .map(Status::as_str)
        .collect();
    if ok.is_empty() {
        format!("a {from} incident is final")
    } else {
        format!("from {from} it can move to {}", ok.join(", "))
    }
}

pub fn play_name(p: Play) -> &'static str {
    match p {
        Play::LeakedProductionSecret => "leaked production secret",
        Play::CompromisedCiToken => "compromised CI/CD token",
        Play::SuspiciousCloudAdminActivity => "suspicious cloud administrator activity",
        Play::Generic => "generic",
    }
}

/// A drill's scenario: the class and severity the drill plays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillScenario {
    pub class: IncidentClass,
    pub severity: Severity,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeadlineKind, NewIncident, Report, ReportInput};
    use crate::policy::Policy;

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-23T03:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time")
            + Duration::minutes(min)
    }

    /// A triaged SEV-2 leaked-secret incident with its checklists.
    fn triaged(policy: &Policy) -> crate::domain::Incident {
        let report = Report::parse(ReportInput {
            title: Some("key leaked".into()),
            description: Some("Our production access key was committed to a public repo".into()),
            ..Default::default()
        })
        .expect("report");
        let mut inc =
            NewIncident::from_report(report, crate::domain::Source::Report, None, t(0)).incident;
        inc.severity = Some(Severity::Sev2);
        inc.status = Status::Triaged;
        inc.assessment = Some(crate::domain::Assessment {
            severity: Severity::Sev2,
            class: IncidentClass::LeakedProductionSecret,
            play: Play::LeakedProductionSecret,
            reasons: Vec::new(),
            cvss: None,
            flags: Default::default(),
            notes: Vec::new(),
            needs_triage: false,
            confidence: Default::default(),
        });
        let mut ch = Change::begin(&inc, t(0));
        ch.open_checklists(policy);
        ch.incident
    }

    fn fields(containment: Option<&str>, cause: Option<&str>, why: Option<&str>) -> StatusFields {
        StatusFields {
            containment: containment.map(Into::into),
            root_cause: cause.map(Into::into),
            rationale: why.map(Into::into),
        }
    }

    #[test]
    fn checklists_open_once_per_play() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let play = inc
            .tasks
            .iter()
            .filter(|t| t.section == TaskSection::Play)
            .count();
        let closure = inc
            .tasks
            .iter()
            .filter(|t| t.section == TaskSection::Closure)
            .count();
        assert_eq!((play, closure), (6, 8));
        let ids: Vec<u32> = inc.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, (1..=14).collect::<Vec<_>>());
        // Opening again adds nothing; another play adds only its steps.
        let mut ch = Change::begin(&inc, t(1));
        ch.open_checklists(policy.as_ref());
        assert_eq!(ch.incident.tasks.len(), 14);
        if let Some(a) = ch.incident.assessment.as_mut() {
            a.play = Play::CompromisedCiToken;
        }
        ch.open_checklists(policy.as_ref());
        assert_eq!(ch.incident.tasks.len(), 19);
        // A SEV-4 owes no review: its criterion is not added.
        let mut low = inc.clone();
        low.tasks.clear();
        low.severity = Some(Severity::Sev4);
        let mut ch = Change::begin(&low, t(1));
        ch.open_checklists(policy.as_ref());
        assert!(
            !ch.incident
                .tasks
                .iter()
                .any(|t| t.criterion.as_deref() == Some(REVIEW_CRITERION))
        );
    }

    #[test]
    fn status_guards_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        type Case = (Status, StatusFields, Result<(), &'static str>);
        let cases: Vec<Case> = vec![
            (Status::Investigating, fields(None, None, None), Ok(())),
            (
                Status::Contained,
                fields(None, None, None),
                Err("containment"),
            ),
            (
                Status::Contained,
                fields(Some(" "), None, None),
                Err("containment"),
            ),
            (
                Status::Contained,
                fields(Some("revoked"), None, None),
                Ok(()),
            ),
            (
                Status::Resolved,
                fields(None, None, None),
                Err("root_cause"),
            ),
            (
                Status::Resolved,
                fields(None, Some("unknown"), None),
                Err("rationale"),
            ),
            (
                Status::Resolved,
                fields(None, Some("UNKNOWN"), Some("no logs")),
                Ok(()),
            ),
            (
                Status::Resolved,
                fields(None, Some("a leaky script"), None),
                Ok(()),
            ),
            (
                Status::Closed,
                fields(None, None, None),
                Err("from triaged to closed"),
            ),
            (
                Status::Reported,
                fields(None, None, None),
                Err("cannot move"),
            ),
        ];
        for (to, f, want) in cases {
            let mut ch = Change::begin(&inc, t(5));
            let got = ch.set_status("cora", to, &f, &*policy);
            match (got, want) {
                (Ok(()), Ok(())) => assert_eq!(ch.incident.status, to),
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => assert_eq!(field, w, "{to}"),
                (Err(ResponseError::Refused(m)), Err(w)) => {
                    assert!(m.to_string().contains(w), "{to}: {m}")
                }
                (got, want) => panic!("{to}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn resolving_records_the_cause_and_owes_the_review() {
        let policy = Policy::builtin();
        let mut inc = triaged(&policy);
        inc.paging = Some(crate::domain::Paging {
            round: 1,
            fired: 1,
            next_at: Some(t(30)),
            reason: crate::domain::StepReason::Unacknowledged,
        });
        let mut ch = Change::begin(&inc, t(60));
        ch.set_status(
            "cora",
            Status::Resolved,
            &fields(None, Some("leaky script"), None),
            &*policy,
        )
        .expect("resolve");
        let i = &ch.incident;
        assert_eq!(i.resolved_at, Some(t(60)));
        assert_eq!(
            i.paging.as_ref().and_then(|p| p.next_at),
            None,
            "paging stops"
        );
        assert!(i.deadline(DeadlineKind::PostIncidentReview).is_some());
        let root = i
            .tasks
            .iter()
            .find(|t| t.criterion.as_deref() == Some(ROOT_CAUSE_CRITERION));
        assert_eq!(root.map(|t| t.state), Some(TaskState::Done));
    }

    #[test]
    fn closing_needs_every_item_settled_then_sets_retention() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(60));
        ch.set_status(
            "cora",
            Status::Resolved,
            &fields(None, Some("x"), None),
            &*policy,
        )
        .expect("resolve");
        let ids: Vec<u32> = ch.incident.tasks.iter().map(|t| t.id).collect();
        for id in &ids[1..] {
            ch.settle_task("rita", *id, TaskState::Done, None)
                .expect("done");
        }
        // One open play step still blocks, and is named.
        let err = ch.set_status("cora", Status::Closed, &StatusFields::default(), &*policy);
        assert!(
            matches!(&err, Err(ResponseError::Refused(m)) if m.to_string().contains("#1 ")),
            "{err:?}"
        );
        ch.settle_task(
            "cora",
            ids[0],
            TaskState::Waived,
            Some("found by the alert itself"),
        )
        .expect("waive");
        ch.add_follow_up("cora", "add a scanner", Some("tom"), None)
            .expect("follow-up");
        ch.set_status("cora", Status::Closed, &StatusFields::default(), &*policy)
            .expect("open follow-ups do not block");
        assert_eq!(ch.incident.expires_at, Some(t(60) + policy.retention));
    }

    #[test]
    fn task_settling_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        type Case = (
            u32,
            TaskState,
            Option<&'static str>,
            Result<bool, &'static str>,
        );
        let cases: Vec<Case> = vec![
            (1, TaskState::Done, None, Ok(true)),
            (1, TaskState::Waived, None, Err("reason")),
            (1, TaskState::Waived, Some("  "), Err("reason")),
            (1, TaskState::Waived, Some("not needed"), Ok(true)),
            (1, TaskState::Open, None, Ok(false)),
            (99, TaskState::Done, None, Err("task")),
        ];
        for (id, state, note, want) in cases {
            let mut ch = Change::begin(&inc, t(1));
            let got = ch.settle_task("rita", id, state, note);
            match (got, want) {
                (Ok(changed), Ok(w)) => {
                    assert_eq!(changed, w, "#{id} {state:?}");
                    assert_eq!(
                        ch.timeline.len(),
                        usize::from(w),
                        "a change is on the timeline"
                    );
                }
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => assert_eq!(field, w),
                (got, want) => panic!("#{id} {state:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn roles_keep_their_history() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(1));
        let steps: [(&str, Option<&str>, bool); 5] = [
            ("ann", Some("ann"), true),
            ("ann", Some("ann"), false),
            ("ann", Some(" bob "), true),
            ("bob", None, true),
            ("bob", Some(""), false),
        ];
        for (actor, person, changed) in steps {
            let got = ch.assign_role(actor, IncidentRole::IncidentCommander, person);
            assert_eq!(got, Ok(changed), "{person:?}");
        }
        let h: Vec<(Option<&str>, Option<&str>)> = ch
            .incident
            .role_history
            .iter()
            .map(|c| (c.person.as_deref(), c.previous.as_deref()))
            .collect();
        assert_eq!(
            h,
            vec![
                (Some("ann"), None),
                (Some("bob"), Some("ann")),
                (None, Some("bob"))
            ]
        );
        assert!(ch.incident.roles.is_empty());
        let msgs: Vec<&str> = ch.timeline.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "Incident commander assigned to ann",
                "Incident commander reassigned from ann to bob",
                "Incident commander unassigned (was bob)"
            ]
        );
        assert_eq!("Technical-Lead".parse(), Ok(IncidentRole::TechnicalLead));
        assert!("scribe".parse::<IncidentRole>().is_err());
    }

    #[test]
    fn evidence_validation_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let good = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        let input = |name: &str, sha: &str, at: Option<DateTime<Utc>>| EvidenceInput {
            name: name.into(),
            location: "s3://bucket/key".into(),
            sha256: sha.into(),
            collected_by: None,
            collected_at: at,
        };
        let cases: Vec<(EvidenceInput, Result<(), &str>)> = vec![
            (input("log", good, None), Ok(())),
            (input("log", &good[1..], None), Err("sha256")),
            (
                input("log", &format!("{}g", &good[1..]), None),
                Err("sha256"),
            ),
            (input(" ", good, None), Err("name")),
            (input("log", good, Some(t(60))), Err("collected_at")),
            (input("log", good, Some(t(-60))), Ok(())),
        ];
        for (i, want) in cases {
            let mut ch = Change::begin(&inc, t(1));
            match (ch.add_evidence("mia", i.clone()), want) {
                (Ok(id), Ok(())) => {
                    let e = &ch.incident.evidence[0];
                    assert_eq!((id, e.sha256.as_str()), (1, good.to_lowercase().as_str()));
                    assert_eq!(e.collected_by, "mia");
                }
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => {
                    assert_eq!(field, w, "{i:?}")
                }
                (got, want) => panic!("{i:?}: got {got:?}, want {want:?}"),
            }
        }
        let mut ch = Change::begin(&inc, t(1));
        ch.add_evidence("mia", input("a", good, None))
            .expect("first");
        let dup = ch.add_evidence("mia", input("b", &good.to_lowercase(), None));
        assert!(matches!(dup, Err(ResponseError::Refused(_))), "{dup:?}");
    }

    #[test]
    fn legal_hold_suspends_and_resumes_expiry() {
        let policy = Policy::builtin();
        let mut inc = triaged(&policy);
        inc.status = Status::Closed;
        inc.closed_at = Some(t(0));
        inc.expires_at = Some(t(0) + policy.retention);
        assert_eq!(
            inc.next_action_at(),
            inc.expires_at,
            "a closed incident waits for its purge"
        );
        let mut ch = Change::begin(&inc, t(10));
        assert_eq!(
            ch.legal_hold("ada", true, "LH-7", policy.retention),
            Ok(true)
        );
        assert_eq!(
            ch.legal_hold("ada", true, "LH-7", policy.retention),
            Ok(false)
        );
        assert_eq!(
            (ch.incident.expires_at, ch.incident.next_action_at()),
            (None, None)
        );
        assert!(
            ch.legal_hold("ada", false, "", policy.retention).is_err(),
            "a reason is needed"
        );
        assert_eq!(
            ch.legal_hold("ada", false, "settled", policy.retention),
            Ok(true)
        );
        assert_eq!(ch.incident.expires_at, Some(t(0) + policy.retention));
    }

    #[test]
    fn notes_are_marked_and_bounded() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(1));
        ch.add_note("rita", Basis::Fact, " seen in logs ")
            .expect("fact");
        ch.add_note("rita", "HYPOTHESIS".parse().expect("basis"), "insider")
            .expect("hypothesis");
        assert!(ch.add_note("rita", Basis::Fact, "").is_err());
        assert!(
            ch.add_note("rita", Basis::Fact, &"x".repeat(MAX_TEXT + 1))
                .is_err()
        );
        assert!("rumour".parse::<Basis>().is_err());
        let kinds: Vec<(TimelineKind, &str)> = ch
            .timeline
            .iter()
            .map(|e| (e.kind, e.message.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (TimelineKind::Fact, "seen in logs"),
                (TimelineKind::Hypothesis, "insider")
            ]
        );
    }
}
