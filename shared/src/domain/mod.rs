//! The domain: pure types and rules, no I/O.

mod access;
mod assessment;
mod change;
mod event;
pub mod heartbeat;
mod incident;
mod key;
pub mod local_time;
mod message;
pub mod oncall;
pub mod plain;
pub mod redact;
mod redact_encoded;
mod repeats;
pub mod report;
mod response;
pub mod session;
mod severity;
mod status;
mod steps;
mod verdict;

pub use access::{Caller, Role};
pub use assessment::{
    Assessment, Confidence, ConfidenceLevel, CvssScore, Flags, IncidentClass, Play, Reason,
    SeverityOverride,
};
pub use change::{Change, NewIncident};
pub use event::{
    Audience, DomainEvent, EVENT_SOURCE, EventId, EventKind, Paged, Step, UnknownAudience,
};
pub use incident::{
    Acknowledgement, Deadline, DeadlineKind, Incident, IncidentId, IncidentKey, Paging, Reference,
    Renotify, StaleWatch, StepReason, TimelineEntry, TimelineKind, TrackerLink, UnknownDeadline,
};
pub use key::{IdempotencyKey, Repeat, SenderKey};
pub use message::MessageKind;
pub use repeats::{BURST_GAP, Burst, NO_SIGNAL, RepeatSeen, Repeats, rank};
pub use report::{FieldError, Report, ReportInput, SourceSignal};
pub use response::{
    Basis, Containment, DrillScenario, Evidence, EvidenceInput, Field, IncidentRole, LegalHold,
    MAX_TEXT, REVIEW_CRITERION, ROOT_CAUSE_CRITERION, Refusal, ResponseError, RoleChange,
    RootCause, StatusFields, Task, TaskSection, TaskState, UnknownBasis, UnknownRole, play_name,
    required_text,
};
pub use severity::{Severity, UnknownSeverity};
pub use status::{IllegalTransition, Status, UnknownStatus};
pub use steps::{Checklists, Lifecycle};
pub use verdict::{DeadlineOutcome, Urgency, deadline_outcome, urgency};

use serde::{Deserialize, Serialize};

/// Where an incident came from. Idempotency keys are scoped by source so two
/// senders can never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The security report form or its JSON equivalent.
    Report,
    Github,
    Jira,
    Bitbucket,
    Connect,
    Forge,
    Pagerduty,
    Guardduty,
    SecurityHub,
    Cloudwatch,
    /// An incident response drill started from the API or `klaxon drill`.
    Drill,
    /// A heartbeat monitor that went quiet (domain::heartbeat).
    Heartbeat,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Github => "github",
            Self::Jira => "jira",
            Self::Bitbucket => "bitbucket",
            Self::Connect => "connect",
            Self::Forge => "forge",
            Self::Pagerduty => "pagerduty",
            Self::Guardduty => "guardduty",
            Self::SecurityHub => "security_hub",
            Self::Cloudwatch => "cloudwatch",
            Self::Drill => "drill",
            Self::Heartbeat => "heartbeat",
        }
    }

    /// Idempotency keys are stored scoped by source, and hashed.
    pub fn scoped_key(self, key: SenderKey) -> IdempotencyKey {
        IdempotencyKey::new(self, key)
    }
}
