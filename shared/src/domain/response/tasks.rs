//! Task checklists: the play's steps, the closure criteria and follow-ups.

use crate::domain::Play;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// Closure criteria settled automatically by the step that satisfies them.
pub const ROOT_CAUSE_CRITERION: &str = "root_cause";
pub const REVIEW_CRITERION: &str = "review";

pub fn play_name(p: Play) -> &'static str {
    match p {
        Play::LeakedProductionSecret => "leaked production secret",
        Play::CompromisedCiToken => "compromised CI/CD token",
        Play::SuspiciousCloudAdminActivity => "suspicious cloud administrator activity",
        Play::Generic => "generic",
    }
}
