//! Domain events: what happened to an incident, as published on the bus.
//!
//! The kind's name is the EventBridge `detail-type`; the whole event is the
//! `detail`. Each carries enough of the incident for subscribers to filter
//! without a read.

use super::{Incident, IncidentId, Reference, Severity, Status};
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
}

impl EventKind {
    /// The EventBridge `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::ReportReceived => "Report Received",
            Self::IncidentTriaged => "Incident Triaged",
            Self::SeverityChanged => "Severity Changed",
        }
    }

    pub fn from_detail_type(s: &str) -> Option<Self> {
        [
            Self::ReportReceived,
            Self::IncidentTriaged,
            Self::SeverityChanged,
        ]
        .into_iter()
        .find(|k| k.detail_type() == s)
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
    pub tenant: Option<String>,
    #[serde(default)]
    pub drill: bool,
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
        }
    }
}

/// Who a message is for. Each audience is one SNS topic in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    Oncall,
    SecurityTeam,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Self::Oncall, Self::SecurityTeam];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oncall => "oncall",
            Self::SecurityTeam => "security-team",
        }
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
        for k in [
            EventKind::ReportReceived,
            EventKind::IncidentTriaged,
            EventKind::SeverityChanged,
        ] {
            assert_eq!(EventKind::from_detail_type(k.detail_type()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.detail_type().into())
            );
        }
        assert_eq!(EventKind::from_detail_type("Scheduled Event"), None);
    }
}
