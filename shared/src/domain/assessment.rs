//! What assessment concludes about an incident, and why.

use super::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

/// An incident class: one of the seeds' (the constants below) or one a
/// team added in its policy file. Interned, so it stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentClass(&'static str);

/// The response plays of the runbook; each becomes a task checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Play {
    LeakedProductionSecret,
    CompromisedCiToken,
    SuspiciousCloudAdminActivity,
    Generic,
}

#[allow(non_upper_case_globals)]
impl IncidentClass {
    pub const ActiveExploitation: IncidentClass = IncidentClass("active_exploitation");
    pub const DataBreach: IncidentClass = IncidentClass("data_breach");
    pub const CrossTenantAccess: IncidentClass = IncidentClass("cross_tenant_access");
    pub const AttackerInProduction: IncidentClass = IncidentClass("attacker_in_production");
    pub const CloudAdminCompromise: IncidentClass = IncidentClass("cloud_admin_compromise");
    pub const CriticalVulnerability: IncidentClass = IncidentClass("critical_vulnerability");
    pub const CompromisedCiToken: IncidentClass = IncidentClass("compromised_ci_token");
    pub const LeakedProductionSecret: IncidentClass = IncidentClass("leaked_production_secret");
    pub const ExploitedInternetService: IncidentClass = IncidentClass("exploited_internet_service");
    pub const PrivilegeEscalation: IncidentClass = IncidentClass("privilege_escalation");
    pub const HighVulnerability: IncidentClass = IncidentClass("high_vulnerability");
    pub const AtlassianDegradation: IncidentClass = IncidentClass("atlassian_degradation");
    pub const ThirdPartyIncident: IncidentClass = IncidentClass("third_party_incident");
    pub const SuspiciousAccess: IncidentClass = IncidentClass("suspicious_access");
    pub const FailedControl: IncidentClass = IncidentClass("failed_control");
    pub const MinorVulnerability: IncidentClass = IncidentClass("minor_vulnerability");
    pub const NonProductionSecret: IncidentClass = IncidentClass("non_production_secret");
    pub const StaleAccess: IncidentClass = IncidentClass("stale_access");
    pub const Informational: IncidentClass = IncidentClass("informational");
    pub const Unclassified: IncidentClass = IncidentClass("unclassified");

    /// The seeds' classes (the built-in policy's), then `unclassified`.
    pub const ALL: [IncidentClass; 20] = [
        Self::ActiveExploitation,
        Self::DataBreach,
        Self::CrossTenantAccess,
        Self::AttackerInProduction,
        Self::CloudAdminCompromise,
        Self::CriticalVulnerability,
        Self::CompromisedCiToken,
        Self::LeakedProductionSecret,
        Self::ExploitedInternetService,
        Self::PrivilegeEscalation,
        Self::HighVulnerability,
        Self::AtlassianDegradation,
        Self::ThirdPartyIncident,
        Self::SuspiciousAccess,
        Self::FailedControl,
        Self::MinorVulnerability,
        Self::NonProductionSecret,
        Self::StaleAccess,
        Self::Informational,
        Self::Unclassified,
    ];

    pub fn id(self) -> &'static str {
        self.0
    }

    /// The class named `id`: a built-in one, or one a policy file added
    /// (kept for the life of the process; there are only as many as the
    /// policy and stored incidents name).
    pub fn intern(id: &str) -> Self {
        if let Some(c) = Self::ALL.iter().find(|c| c.0 == id) {
            return *c;
        }
        static EXTRA: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
        let mut extra = EXTRA.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = extra.get(id) {
            return Self(s);
        }
        let s: &'static str = Box::leak(id.to_owned().into_boxed_str());
        extra.insert(s);
        Self(s)
    }
}

impl Serialize for IncidentClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for IncidentClass {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        let ok =
            !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !ok {
            return Err(serde::de::Error::custom(
                "a class is 1-64 lower-case letters and underscores",
            ));
        }
        Ok(Self::intern(&s))
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
    /// The engine could not place the report with confidence: a person
    /// triages it (see the policy's `[triage]`).
    #[serde(default)]
    pub needs_triage: bool,
    #[serde(default)]
    pub confidence: Confidence,
}

/// How sure the engine is: the facts it found and what conflicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confidence {
    pub level: ConfidenceLevel,
    /// Concepts found, "not x" where negated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceLevel {
    /// A class (or a score) placed it and nothing alarming was left over.
    #[default]
    High,
    /// Placed, but with an alarming fact or a conflict beside it.
    Low,
    /// Nothing placed it.
    None,
}

/// A responder's severity decision; later re-assessments do not undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityOverride {
    pub severity: Severity,
    pub reason: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}
