//! Severity: the seeds' four-level scale, SEV-1 (Critical) to SEV-4 (Low).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "SEV-1")]
    Sev1,
    #[serde(rename = "SEV-2")]
    Sev2,
    #[serde(rename = "SEV-3")]
    Sev3,
    #[serde(rename = "SEV-4")]
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Sev1, Self::Sev2, Self::Sev3, Self::Sev4];

    pub fn code(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV-1",
            Self::Sev2 => "SEV-2",
            Self::Sev3 => "SEV-3",
            Self::Sev4 => "SEV-4",
        }
    }

    /// The name the seeds' CVSS tables use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sev1 => "Critical",
            Self::Sev2 => "High",
            Self::Sev3 => "Medium",
            Self::Sev4 => "Low",
        }
    }

    /// SEV-1 and SEV-2 page on-call; the rest only tell the security team.
    pub fn pages_oncall(self) -> bool {
        matches!(self, Self::Sev1 | Self::Sev2)
    }

    /// The seeds' CVSS bands: Critical >= 9.0, High 7.0-8.9, Medium 4.0-6.9, Low < 4.0.
    pub fn from_cvss_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Sev1
        } else if score >= 7.0 {
            Self::Sev2
        } else if score >= 4.0 {
            Self::Sev3
        } else {
            Self::Sev4
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}: use SEV-1..SEV-4 or Critical, High, Medium, Low")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "sev-1" | "sev1" | "critical" => Self::Sev1,
            "sev-2" | "sev2" | "high" => Self::Sev2,
            "sev-3" | "sev3" | "medium" => Self::Sev3,
            "sev-4" | "sev4" | "low" => Self::Sev4,
            _ => return Err(UnknownSeverity(s.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_bands_follow_the_seed_table() {
        let cases = [
            (10.0, Severity::Sev1),
            (9.0, Severity::Sev1),
            (8.9, Severity::Sev2),
            (7.0, Severity::Sev2),
            (6.9, Severity::Sev3),
            (4.0, Severity::Sev3),
            (3.9, Severity::Sev4),
            (0.0, Severity::Sev4),
        ];
        for (score, want) in cases {
            assert_eq!(Severity::from_cvss_score(score), want, "score {score}");
        }
    }

    #[test]
    fn parses_codes_and_names() {
        let cases = [
            ("SEV-1", Some(Severity::Sev1)),
            ("critical", Some(Severity::Sev1)),
            ("High", Some(Severity::Sev2)),
            ("sev3", Some(Severity::Sev3)),
            (" Low ", Some(Severity::Sev4)),
            ("P1", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<Severity>().ok(), want, "input {input:?}");
        }
    }

    #[test]
    fn serialises_as_code() {
        assert_eq!(serde_json::to_string(&Severity::Sev2).unwrap(), "\"SEV-2\"");
        assert_eq!(Severity::Sev2.name(), "High");
        assert!(Severity::Sev2.pages_oncall());
        assert!(!Severity::Sev3.pages_oncall());
    }
}
