//! What assessment concludes about an incident, and why.

use super::Severity;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The incident classes of the seeds' definitions and examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentClass {
    ActiveExploitation,
    DataBreach,
    CrossTenantAccess,
    AttackerInProduction,
    CloudAdminCompromise,
    CompromisedCiToken,
    LeakedProductionSecret,
    ExploitedInternetService,
    PrivilegeEscalation,
    AtlassianDegradation,
    ThirdPartyIncident,
    CriticalVulnerability,
    SuspiciousAccess,
    FailedControl,
    MinorVulnerability,
    NonProductionSecret,
    StaleAccess,
    Informational,
    /// Nothing matched: the default severity stands.
    Unclassified,
}

/// The response plays of the runbook; each becomes a task checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Play {
    LeakedProductionSecret,
    CompromisedCiToken,
    SuspiciousCloudAdminActivity,
    Generic,
}

impl IncidentClass {
    pub const ALL: [IncidentClass; 19] = [
        Self::ActiveExploitation,
        Self::DataBreach,
        Self::CrossTenantAccess,
        Self::AttackerInProduction,
        Self::CloudAdminCompromise,
        Self::CompromisedCiToken,
        Self::LeakedProductionSecret,
        Self::ExploitedInternetService,
        Self::PrivilegeEscalation,
        Self::AtlassianDegradation,
        Self::ThirdPartyIncident,
        Self::CriticalVulnerability,
        Self::SuspiciousAccess,
        Self::FailedControl,
        Self::MinorVulnerability,
        Self::NonProductionSecret,
        Self::StaleAccess,
        Self::Informational,
        Self::Unclassified,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::ActiveExploitation => "active_exploitation",
            Self::DataBreach => "data_breach",
            Self::CrossTenantAccess => "cross_tenant_access",
            Self::AttackerInProduction => "attacker_in_production",
            Self::CloudAdminCompromise => "cloud_admin_compromise",
            Self::CompromisedCiToken => "compromised_ci_token",
            Self::LeakedProductionSecret => "leaked_production_secret",
            Self::ExploitedInternetService => "exploited_internet_service",
            Self::PrivilegeEscalation => "privilege_escalation",
            Self::AtlassianDegradation => "atlassian_degradation",
            Self::ThirdPartyIncident => "third_party_incident",
            Self::CriticalVulnerability => "critical_vulnerability",
            Self::SuspiciousAccess => "suspicious_access",
            Self::FailedControl => "failed_control",
            Self::MinorVulnerability => "minor_vulnerability",
            Self::NonProductionSecret => "non_production_secret",
            Self::StaleAccess => "stale_access",
            Self::Informational => "informational",
            Self::Unclassified => "unclassified",
        }
    }

    /// The seeds' severity for the class: SEV-1 runbook rows and the
    /// Critical table row, SEV-2 and High, and so on.
    pub fn default_severity(self) -> Option<Severity> {
        use Severity::*;
        Some(match self {
            Self::ActiveExploitation
            | Self::DataBreach
            | Self::CrossTenantAccess
            | Self::AttackerInProduction
            | Self::CloudAdminCompromise => Sev1,
            Self::CompromisedCiToken
            | Self::LeakedProductionSecret
            | Self::ExploitedInternetService
            | Self::PrivilegeEscalation
            | Self::AtlassianDegradation => Sev2,
            Self::ThirdPartyIncident
            | Self::CriticalVulnerability
            | Self::SuspiciousAccess
            | Self::FailedControl
            | Self::MinorVulnerability => Sev3,
            Self::NonProductionSecret | Self::StaleAccess | Self::Informational => Sev4,
            Self::Unclassified => return None,
        })
    }

    pub fn play(self) -> Play {
        match self {
            Self::LeakedProductionSecret | Self::NonProductionSecret => {
                Play::LeakedProductionSecret
            }
            Self::CompromisedCiToken => Play::CompromisedCiToken,
            Self::CloudAdminCompromise => Play::SuspiciousCloudAdminActivity,
            _ => Play::Generic,
        }
    }
}

impl fmt::Display for IncidentClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One rule that fired, the evidence it fired on, and the severity it proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: String,
    pub evidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    pub version: String,
    pub score: f64,
}

impl Eq for CvssScore {}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub customer_data_involved: bool,
    pub atlassian_notification_required: bool,
    pub customer_notification_required: bool,
}

/// The assessment as recorded on the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub severity: Severity,
    pub class: IncidentClass,
    pub play: Play,
    pub reasons: Vec<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<CvssScore>,
    pub flags: Flags,
    /// Problems with the input that did not stop the assessment (an invalid vector).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A responder's severity decision; later re-assessments do not undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityOverride {
    pub severity: Severity,
    pub reason: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}
