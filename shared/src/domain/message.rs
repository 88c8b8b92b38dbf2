//! What kind of message an audience is sent: pages, updates, and the drafts
//! a person sends outside the team.

use serde::Serialize;

/// What a message is; also the `kind` attribute subscriptions can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Page,
    Triage,
    SeverityChanged,
    Clock,
    Acknowledged,
    StatusUpdate,
    SeverityNotification,
    CustomerNotice,
    AtlassianReport,
    PatchRelease,
    /// The security notice for `CHANGELOG.md`, drafted at resolution.
    ChangelogNotice,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Triage => "triage",
            Self::SeverityChanged => "severity_changed",
            Self::Clock => "clock",
            Self::Acknowledged => "acknowledged",
            Self::StatusUpdate => "status_update",
            Self::SeverityNotification => "severity_notification_draft",
            Self::CustomerNotice => "customer_notice_draft",
            Self::AtlassianReport => "atlassian_report_draft",
            Self::PatchRelease => "patch_release_draft",
            Self::ChangelogNotice => "changelog_notice_draft",
        }
    }

    /// Drafts are for a person to send to people outside the team.
    pub fn is_draft(self) -> bool {
        matches!(
            self,
            Self::SeverityNotification
                | Self::CustomerNotice
                | Self::AtlassianReport
                | Self::PatchRelease
                | Self::ChangelogNotice
        )
    }
}
