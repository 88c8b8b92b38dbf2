//! Domain events: what happened to an incident, as published on the bus.
//!
//! The kind's name is the EventBridge `detail-type`; the whole event is the
//! `detail`. Each carries enough of the incident for subscribers to filter
//! without a read.

use super::incident::{DeadlineKind, Incident, IncidentId, Reference, StepReason};
use super::oncall::{Method, PersonId, ScheduleId};
use super::{Severity, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use ulid::Ulid;

/// EventBridge `source` for every Klaxon event.
pub const EVENT_SOURCE: &str = "klaxon";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub Ulid);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "Report Received")]
    ReportReceived,
    #[serde(rename = "Incident Triaged")]
    IncidentTriaged,
    #[serde(rename = "Severity Changed")]
    SeverityChanged,
    #[serde(rename = "Incident Acknowledged")]
    IncidentAcknowledged,
    /// A paging level fired: someone is being woken up.
    #[serde(rename = "Escalation Triggered")]
    EscalationTriggered,
    #[serde(rename = "SLA Reminder")]
    SlaReminder,
    #[serde(rename = "SLA Breached")]
    SlaBreached,
    /// A status update posted, a report filed, the fix released.
    #[serde(rename = "Obligation Recorded")]
    ObligationRecorded,
    /// A responder moved the lifecycle on: investigating, contained,
    /// recovering, resolved or closed.
    #[serde(rename = "Status Changed")]
    StatusChanged,
    /// A follow-up action added (`POST .../tasks`).
    #[serde(rename = "Follow-up Added")]
    FollowUpAdded,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        Self::ReportReceived,
        Self::IncidentTriaged,
        Self::SeverityChanged,
        Self::IncidentAcknowledged,
        Self::EscalationTriggered,
        Self::SlaReminder,
        Self::SlaBreached,
        Self::ObligationRecorded,
        Self::StatusChanged,
        Self::FollowUpAdded,
    ];

    /// The EventBridge `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::ReportReceived => "Report Received",
            Self::IncidentTriaged => "Incident Triaged",
            Self::SeverityChanged => "Severity Changed",
            Self::IncidentAcknowledged => "Incident Acknowledged",
            Self::EscalationTriggered => "Escalation Triggered",
            Self::SlaReminder => "SLA Reminder",
            Self::SlaBreached => "SLA Breached",
            Self::ObligationRecorded => "Obligation Recorded",
            Self::StatusChanged => "Status Changed",
            Self::FollowUpAdded => "Follow-up Added",
        }
    }

    pub fn from_detail_type(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.detail_type() == s)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail_type())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: EventId,
    pub kind: EventKind,
    pub incident_id: IncidentId,
    pub reference: Reference,
    pub occurred_at: DateTime<Utc>,
    /// The incident version this event was committed with.
    pub version: u64,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<super::redact::RedactedText>,
    #[serde(default)]
    pub drill: bool,
    /// For escalation and clock events: who is told, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// For acknowledgements and obligations: who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// For `Obligation Recorded`: which obligation, and its note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obligation: Option<DeadlineKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For `Follow-up Added`: the task's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<u32>,
    /// For `Status Changed`: the status it moved from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
}

/// One escalation or clock step: the audience it goes to, the deadline it
/// concerns and the paging level it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub audience: Audience,
    pub reason: StepReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Paging level, 1-based, and the round of the whole policy it is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u8>,
    /// Which reminder this is (1 = the first), for `SLA Reminder`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<u8>,
    /// For a page to a person (a `schedule` or `person` level): who. The
    /// page goes to `audience`, the paging topic, with their id as the
    /// `person` attribute their subscriptions filter on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Paged>,
}

/// The person a page is for: their id, display name, the schedule that
/// put them on call (if any) and the methods it reaches them by. Never
/// the contact details themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged {
    pub person: PersonId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleId>,
    #[serde(default)]
    pub methods: Vec<Method>,
}

impl Paged {
    /// `Priya Raman (on call for security-primary)`, or the name alone.
    pub fn label(&self) -> String {
        match &self.schedule {
            Some(s) => format!("{} (on call for {s})", self.name),
            None => self.name.clone(),
        }
    }

    /// `sms, email`.
    pub fn methods_label(&self) -> String {
        let v: Vec<&str> = self.methods.iter().map(|m| m.as_str()).collect();
        v.join(", ")
    }
}

impl DomainEvent {
    pub fn new(kind: EventKind, incident: &Incident, at: DateTime<Utc>) -> Self {
        Self {
            id: EventId(Ulid::new()),
            kind,
            incident_id: incident.id,
            reference: incident.reference.clone(),
            occurred_at: at,
            version: incident.version,
            status: incident.status,
            severity: incident.severity,
            tenant: incident.tenant.clone(),
            drill: incident.drill,
            step: None,
            actor: None,
            obligation: None,
            note: None,
            task: None,
            from: None,
        }
    }
}

/// Who a message is for. Each audience is one SNS topic in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    OncallPrimary,
    OncallSecondary,
    IncidentManager,
    SecurityTeam,
    Leadership,
    /// Drafts for a person to send: Klaxon never mails customers itself.
    Comms,
}

impl Audience {
    pub const ALL: [Audience; 6] = [
        Self::OncallPrimary,
        Self::OncallSecondary,
        Self::IncidentManager,
        Self::SecurityTeam,
        Self::Leadership,
        Self::Comms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OncallPrimary => "oncall-primary",
            Self::OncallSecondary => "oncall-secondary",
            Self::IncidentManager => "incident-manager",
            Self::SecurityTeam => "security-team",
            Self::Leadership => "leadership",
            Self::Comms => "comms",
        }
    }

    /// Pages wake people; other audiences are told.
    pub fn is_paged(self) -> bool {
        matches!(
            self,
            Self::OncallPrimary | Self::OncallSecondary | Self::IncidentManager
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown audience {0:?}: use oncall-primary, oncall-secondary, incident-manager, security-team, leadership or comms"
)]
pub struct UnknownAudience(pub String);

impl std::str::FromStr for Audience {
    type Err = UnknownAudience;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownAudience(s.to_owned()))
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_types_round_trip_and_match_serde() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_detail_type(k.detail_type()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.detail_type().into())
            );
        }
        assert_eq!(EventKind::from_detail_type("Scheduled Event"), None);
    }

    #[test]
    fn audiences_round_trip_through_text_and_serde() {
        for a in Audience::ALL {
            assert_eq!(a.as_str().parse::<Audience>(), Ok(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.as_str().into())
            );
        }
        assert!("oncall".parse::<Audience>().is_err());
    }
}
