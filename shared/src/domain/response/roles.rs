//! The runbook's roles and who held each, and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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

/// A role name that is not one of [`IncidentRole::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {:?}: use one of {}", .0, role_names())]
pub struct UnknownRole(pub String);

fn role_names() -> String {
    let names: Vec<&str> = IncidentRole::ALL.iter().map(|r| r.as_str()).collect();
    names.join(", ")
}

impl FromStr for IncidentRole {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().replace('-', "_").to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == want)
            .ok_or_else(|| UnknownRole(s.to_owned()))
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
