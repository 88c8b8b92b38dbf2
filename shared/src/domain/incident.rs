//! Incidents, their timelines and the changes that move them.
//!
//! Every change to an incident is built as a [`Change`]: the new state, the
//! version it was derived from, the timeline entries and the domain events it
//! causes. Stores apply a change atomically or not at all.

use super::redact::RedactedText;
use super::report::SourceSignal;
use super::{Severity, Source, Status};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use ulid::Ulid;

/// Sortable by creation time, so listings and keys order naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub Ulid);

impl IncidentId {
    pub fn new() -> Self {
        Self(Ulid::new())
    }
}

impl Default for IncidentId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for IncidentId {
    type Err = ulid::DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulid::from_string(s).map(Self)
    }
}

/// What a person quotes on the phone: `KLX-2026-7QX4MZ`. Random rather than
/// sequential so that creating one never contends on a counter; stores keep
/// it unique and the caller retries on the rare collision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reference(String);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Reference {
    pub fn generate(now: DateTime<Utc>) -> Self {
        let mut n: u32 = rand::random();
        let mut tail = [0u8; 6];
        for c in tail.iter_mut().rev() {
            *c = CROCKFORD[(n % 32) as usize];
            n /= 32;
        }
        let tail = String::from_utf8_lossy(&tail);
        Self(format!("KLX-{}-{tail}", now.year()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Accepts what [`Reference::generate`] makes, in any letter case.
    pub fn parse(s: &str) -> Option<Self> {
        let up = s.trim().to_ascii_uppercase();
        let mut parts = up.split('-');
        let ok = parts.next() == Some("KLX")
            && parts
                .next()
                .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|t| t.len() == 6 && t.bytes().all(|b| CROCKFORD.contains(&b)))
            && parts.next().is_none();
        ok.then_some(Self(up))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How people name an incident: by its id or by its reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentKey {
    Id(IncidentId),
    Reference(Reference),
}

impl IncidentKey {
    /// An id (ULID) or a reference in any letter case; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().parse() {
            Ok(id) => Some(Self::Id(id)),
            Err(_) => Reference::parse(s).map(Self::Reference),
        }
    }
}

/// A promise the plan makes, with the time it falls due and the state of
/// its clock (reminders sent, breach).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// When the clock started: reminders fall at fractions of
    /// `starts_at..due_at`.
    pub starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reminders_sent: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breached_at: Option<DateTime<Utc>>,
    /// When the sweep next has something to say about this deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_alert_at: Option<DateTime<Utc>>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Deadline {
    pub fn new(kind: DeadlineKind, starts_at: DateTime<Utc>, due_at: DateTime<Utc>) -> Self {
        Self {
            kind,
            starts_at,
            due_at,
            met_at: None,
            reminders_sent: 0,
            breached_at: None,
            next_alert_at: None,
        }
    }

    /// Still owed and not yet breached: its clock is running.
    pub fn is_running(&self) -> bool {
        self.met_at.is_none() && self.breached_at.is_none()
    }
}

/// Who acknowledged, how and when. Acknowledging stops paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    /// `api`, `cli` or `page link`.
    pub via: String,
    pub at: DateTime<Utc>,
}

/// Where the incident is in its paging policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    /// The round of the whole policy, 1-based.
    pub round: u8,
    /// Levels fired in this round.
    pub fired: u8,
    /// When the next level fires; `None` once stopped or exhausted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<DateTime<Utc>>,
    pub reason: StepReason,
    /// A paged person's notification rules still to come ("SMS again at
    /// 5 min"): each sent when due unless the incident is acknowledged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renotify: Vec<Renotify>,
}

/// One later notification to a person already paged, by one method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renotify {
    pub at: DateTime<Utc>,
    pub person: super::oncall::PersonId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<super::oncall::ScheduleId>,
    pub method: super::oncall::Method,
    /// Minutes after the page, as the rule says.
    pub after_minutes: u32,
    /// The page's level and round (it went to the paging topic).
    pub level: u8,
    pub round: u8,
}

/// Why an escalation or clock step fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepReason {
    /// Paging: nobody has acknowledged yet.
    Unacknowledged,
    /// Acknowledged, but no status update for too long.
    StaleAcknowledgement,
    /// A deadline is getting close.
    Reminder,
    /// A deadline passed unmet.
    Breach,
}

/// The stale-acknowledgement watch: an acknowledged incident must keep
/// posting updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleWatch {
    pub check_at: DateTime<Utc>,
    /// The commander has been reminded; the next check pages again.
    #[serde(default)]
    pub reminded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Acknowledge,
    Notify,
    ResponseTarget,
    StatusUpdate,
    AtlassianReport,
    CustomerNotice,
    Fix,
    PostIncidentReview,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 8] = [
        Self::Acknowledge,
        Self::Notify,
        Self::ResponseTarget,
        Self::StatusUpdate,
        Self::AtlassianReport,
        Self::CustomerNotice,
        Self::Fix,
        Self::PostIncidentReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Notify => "notify",
            Self::ResponseTarget => "response_target",
            Self::StatusUpdate => "status_update",
            Self::AtlassianReport => "atlassian_report",
            Self::CustomerNotice => "customer_notice",
            Self::Fix => "fix",
            Self::PostIncidentReview => "post_incident_review",
        }
    }

    /// For messages to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledgement",
            Self::Notify => "notification",
            Self::ResponseTarget => "response target",
            Self::StatusUpdate => "status update",
            Self::AtlassianReport => "Atlassian report",
            Self::CustomerNotice => "customer notice",
            Self::Fix => "fix",
            Self::PostIncidentReview => "post-incident review",
        }
    }
}

impl fmt::Display for DeadlineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deadline name that is not one of [`DeadlineKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown deadline {:?}: use one of {}", .0, deadline_names())]
pub struct UnknownDeadline(pub String);

fn deadline_names() -> String {
    let names: Vec<&str> = DeadlineKind::ALL.iter().map(|k| k.as_str()).collect();
    names.join(", ")
}

impl FromStr for DeadlineKind {
    type Err = UnknownDeadline;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| UnknownDeadline(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub reference: Reference,
    // Free text from outside is `RedactedText` only: the report redacted it
    // at the edge, and a raw `String` here would not compile from a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<RedactedText>,
    pub source: Source,
    pub title: RedactedText,
    pub description: RedactedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_to_reproduce: Option<RedactedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<RedactedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_name: Option<RedactedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_email: Option<RedactedText>,
    /// The reporter agreed to be contacted about this report.
    #[serde(default)]
    pub contact_consent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<RedactedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<RedactedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<RedactedText>,
    /// What the sending system said about severity, for assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SourceSignal>,
    /// How many times the source reported this (repeated dedup keys).
    #[serde(default = "one")]
    pub occurrences: u32,
    /// Facts stated by the sender, for assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_data_involved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlassian_systems_affected: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
    /// The latest assessment: class, play, reasons, CVSS and flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<super::Assessment>,
    /// When triage confirmed it: obligations (the Atlassian report, the
    /// customer notice) count from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// A responder's decision, which re-assessment does not undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_override: Option<super::SeverityOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub status: Status,
    /// Role name (e.g. `incident_commander`) to the person holding it.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every committed change; writes are conditional on it.
    pub version: u64,
    #[serde(default)]
    pub drill: bool,
    /// Number of timeline entries, so the next entry's sequence is known
    /// without reading the timeline.
    #[serde(default)]
    pub timeline_len: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<StaleWatch>,
    /// Who held which role, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_history: Vec<super::RoleChange>,
    /// The play's steps, the closure criteria and follow-up actions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<super::Task>,
    /// References to evidence kept elsewhere, with digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<super::Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containment: Option<super::Containment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<super::RootCause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<super::LegalHold>,
    /// When the record is purged: the retention period after closure,
    /// unless a legal hold stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// For drills: the scenario assessment plays out instead of classifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_scenario: Option<super::DrillScenario>,
    /// The incident's issue in the team's tracker, once opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracker: Option<TrackerLink>,
}

/// Where an incident is tracked: the tracker, its key for the issue (a
/// GitHub issue number, a Jira key) and the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerLink {
    /// `github`, or the next tracker's name.
    pub system: String,
    pub key: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub incident_id: IncidentId,
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: TimelineKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Created,
    Assessed,
    StatusChanged,
    Note,
    Notified,
    Redacted,
    Occurrence,
    Acknowledged,
    Escalated,
    Reminder,
    Breach,
    /// An obligation met: a status update posted, a report filed.
    Obligation,
    RoleAssigned,
    /// A note marked as a confirmed fact.
    Fact,
    /// A note marked as an investigation hypothesis.
    Hypothesis,
    Task,
    Evidence,
    /// Legal hold placed or lifted.
    Retention,
    /// The tracker's issue opened, or the tracker's refusal.
    Tracker,
}

fn one() -> u32 {
    1
}

impl Incident {
    /// The engine could not place it and no person has set its severity yet.
    pub fn needs_triage(&self) -> bool {
        self.severity_override.is_none() && self.assessment.as_ref().is_some_and(|a| a.needs_triage)
    }

    pub(super) fn next_entry(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        kind: TimelineKind,
        message: String,
    ) -> TimelineEntry {
        let seq = self.timeline_len;
        self.timeline_len += 1;
        TimelineEntry {
            incident_id: self.id,
            seq,
            at,
            actor: actor.to_owned(),
            kind,
            message,
        }
    }

    /// Whether the incident may be deleted: only once closed, and never
    /// under legal hold (the hold is said first).
    pub fn deletable(&self) -> Result<(), super::Refusal> {
        if self.legal_hold.is_some() {
            return Err(super::Refusal::UnderLegalHold {
                reference: self.reference.to_string(),
            });
        }
        if self.status != Status::Closed {
            return Err(super::Refusal::NotClosed {
                reference: self.reference.to_string(),
                status: self.status,
            });
        }
        Ok(())
    }

    /// When the escalation sweep next has work on this incident: the next
    /// paging level, the stale-acknowledgement check, or the next reminder or
    /// breach of a running deadline. The due index is keyed on it. A closed
    /// incident's only action is its purge when retention runs out.
    pub fn next_action_at(&self) -> Option<DateTime<Utc>> {
        if self.status == Status::Closed {
            return self.expires_at.filter(|_| self.deletable().is_ok());
        }
        let paging = self.paging.as_ref().and_then(|p| p.next_at);
        let renotify = self
            .paging
            .iter()
            .flat_map(|p| p.renotify.iter().map(|r| r.at));
        let stale = self.stale.as_ref().map(|s| s.check_at);
        self.deadlines
            .iter()
            .filter(|d| d.is_running())
            .filter_map(|d| d.next_alert_at)
            .chain(paging)
            .chain(renotify)
            .chain(stale)
            .min()
    }

    pub fn deadline(&self, kind: DeadlineKind) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.kind == kind)
    }

    pub fn deadline_mut(&mut self, kind: DeadlineKind) -> Option<&mut Deadline> {
        self.deadlines.iter_mut().find(|d| d.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, EventKind, NewIncident, Report};

    fn report() -> Report {
        Report::parse(crate::domain::ReportInput {
            title: Some("XSS in macro".into()),
            description: Some("details; password=hunter2hunter2".into()),
            tenant: Some("acme.atlassian.net".into()),
            ..Default::default()
        })
        .unwrap()
    }

    /// The one delete rule: closed, and not under legal hold.
    #[test]
    fn only_a_closed_incident_without_a_hold_is_deletable() {
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let mut i = NewIncident::from_report(report(), Source::Report, None, now).incident;
        assert!(matches!(
            i.deletable(),
            Err(crate::domain::Refusal::NotClosed { .. })
        ));
        i.status = Status::Closed;
        assert_eq!(i.deletable(), Ok(()));
        i.legal_hold = Some(crate::domain::LegalHold {
            reason: "litigation".into(),
            by: "ann".into(),
            at: now,
        });
        assert!(matches!(
            i.deletable(),
            Err(crate::domain::Refusal::UnderLegalHold { .. })
        ));
        i.status = Status::Resolved;
        assert!(matches!(
            i.deletable(),
            Err(crate::domain::Refusal::UnderLegalHold { .. })
        ));
    }

    #[test]
    fn reference_round_trips_and_rejects_garbage() {
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let r = Reference::generate(now);
        assert!(r.as_str().starts_with("KLX-2026-"), "{r}");
        assert_eq!(Reference::parse(&r.as_str().to_lowercase()), Some(r));
        for bad in [
            "",
            "KLX-2026",
            "KLX-26-ABCDEF",
            "KLX-2026-ABCDE",
            "KLX-2026-ABCDEU",
            "XYZ-2026-ABCDEF",
            "KLX-2026-ABCDEF-1",
        ] {
            assert_eq!(Reference::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn incident_keys_are_ids_or_references() {
        let id = IncidentId::new();
        let cases = [
            (id.to_string(), Some(IncidentKey::Id(id))),
            (
                " klx-2026-7qx4mz ".into(),
                Reference::parse("KLX-2026-7QX4MZ").map(IncidentKey::Reference),
            ),
            ("KLX-2026".into(), None),
            ("".into(), None),
        ];
        for (input, want) in cases {
            assert_eq!(IncidentKey::parse(&input), want, "{input:?}");
        }
    }

    #[test]
    fn new_incident_records_creation_and_report_received() {
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let n = NewIncident::from_report(report(), Source::Report, Some("k1".into()), now);
        assert_eq!(n.incident.status, Status::Reported);
        assert_eq!(n.incident.version, 1);
        assert_eq!(n.incident.timeline_len, 2);
        assert_eq!(n.timeline[0].seq, 0);
        assert_eq!(
            n.timeline[1].message,
            "1 secret redacted: credential-assignment"
        );
        assert_eq!(n.events.len(), 1);
        assert_eq!(n.events[0].kind, EventKind::ReportReceived);
        assert_eq!(
            n.idempotency_key,
            Some(Source::Report.scoped_key("k1".into()))
        );
    }

    /// Issue 16, finding 1: a token planted in every text field of a report
    /// (and in the sender's severity word) reaches neither the stored
    /// incident nor its event, and each removal is counted.
    #[test]
    fn no_text_field_of_a_report_is_stored_raw() {
        let token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let input = crate::domain::ReportInput {
            title: Some(format!("title {token}")),
            description: Some(format!("description {token}")),
            steps_to_reproduce: Some(format!("steps {token}")),
            impact: Some(format!("impact {token}")),
            reporter_name: Some(format!("name {token}")),
            reporter_email: Some(format!("{token}@example.com")),
            product: Some(format!("product {token}")),
            cvss: Some(format!("CVSS:3.1/{token}")),
            site_url: Some(format!("https://acme.atlassian.net/{token}")),
            tenant: Some(token.into()),
            signal: Some(SourceSignal {
                kind: "app".into(),
                severity: Some(token.into()),
                score: None,
            }),
            ..Default::default()
        };
        let report = Report::parse(input).expect("valid");
        assert_eq!(report.redactions.len(), 10, "{:?}", report.redactions);
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let n = NewIncident::from_report(report, Source::Report, None, now);
        let stored = serde_json::to_string(&n.incident).unwrap();
        let event = serde_json::to_string(&n.events).unwrap();
        for text in [&stored, &event] {
            assert!(!text.contains("aBcDeFgHiJ"), "{text}");
        }
        assert!(
            stored.contains("\"tenant\":\"[REDACTED:github-token:"),
            "{stored}"
        );
        // A stored record is redacted again as it is read.
        let raw = stored.replace("\"impact\":\"impact ", &format!("\"impact\":\"{token} "));
        let read: Incident = serde_json::from_str(&raw).unwrap();
        assert!(!read.impact.unwrap().contains("aBcDeFgHiJ"));
    }

    #[test]
    fn change_bumps_version_and_numbers_entries() {
        let now = "2026-11-23T00:00:00Z".parse().unwrap();
        let n = NewIncident::from_report(report(), Source::Report, None, now);
        let mut ch = Change::begin(&n.incident, now);
        ch.move_to("assess", Status::Triaged).unwrap();
        ch.record("assess", TimelineKind::Note, "second");
        assert_eq!(ch.expected_version, 1);
        assert_eq!(ch.incident.version, 2);
        let seqs: Vec<u32> = ch.timeline.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2, 3]);
        assert!(ch.move_to("x", Status::Reported).is_err());
        assert_eq!(
            ch.incident.status,
            Status::Triaged,
            "a refused move changes nothing"
        );
    }
}
