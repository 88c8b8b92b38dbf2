//! The response once someone is paged: the seeds' roles, task checklists
//! (response plays, closure criteria, follow-ups), evidence references,
//! fact/hypothesis notes, legal hold, and the fields each lifecycle step needs.
//!
//! The data the response records. The steps that record it, each editing a
//! [`Change`](super::Change), are in `steps`.

use super::{IllegalTransition, IncidentClass, Severity, Status};
use serde::{Deserialize, Serialize};
use std::fmt;

mod evidence;
mod lifecycle;
mod retention;
mod roles;
mod tasks;

pub use evidence::{Basis, Evidence, EvidenceInput, UnknownBasis};
pub use lifecycle::{Containment, RootCause, StatusFields};
pub use retention::LegalHold;
pub use roles::{IncidentRole, RoleChange, UnknownRole};
pub use tasks::{REVIEW_CRITERION, ROOT_CAUSE_CRITERION, Task, TaskSection, TaskState, play_name};

/// Free text kept on an incident: notes, reasons, actions.
pub const MAX_TEXT: usize = 2000;

/// Why a response step was refused. `Invalid` is the caller's input (400);
/// `Refused` is the incident's state (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("{message}")]
    Invalid { field: Field, message: String },
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A step the incident's state does not allow (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("incident {reference} is closed; its record can no longer change")]
    Closed { reference: String },
    #[error("incident {reference} is under legal hold; lift the hold first")]
    UnderLegalHold { reference: String },
    #[error("incident {reference} is {status}; only closed incidents can be deleted")]
    NotClosed { reference: String, status: Status },
    /// A status the lifecycle does not reach from here, with what it can reach.
    #[error("{}: {}", .0, next_steps(.0.from))]
    Transition(IllegalTransition),
    /// A move the lifecycle refused after its fields were checked.
    #[error(transparent)]
    Move(IllegalTransition),
    /// The closure items still open, each `#<id> <text>`.
    #[error(
        "cannot close with {} open item(s); complete each, or waive it with a reason: {}",
        .0.len(),
        .0.join("; ")
    )]
    OpenItems(Vec<String>),
    #[error("evidence with SHA-256 {sha256} is already recorded")]
    DuplicateEvidence { sha256: String },
}

/// A field of a responder's input, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    At,
    Class,
    CollectedAt,
    CollectedBy,
    Containment,
    Kind,
    Location,
    Name,
    Note,
    Owner,
    Person,
    Rationale,
    Reason,
    Reference,
    Role,
    RootCause,
    Severity,
    Sha256,
    State,
    Status,
    Task,
    Tenant,
    Text,
    Title,
}

impl Field {
    pub const ALL: [Field; 24] = [
        Self::At,
        Self::Class,
        Self::CollectedAt,
        Self::CollectedBy,
        Self::Containment,
        Self::Kind,
        Self::Location,
        Self::Name,
        Self::Note,
        Self::Owner,
        Self::Person,
        Self::Rationale,
        Self::Reason,
        Self::Reference,
        Self::Role,
        Self::RootCause,
        Self::Severity,
        Self::Sha256,
        Self::State,
        Self::Status,
        Self::Task,
        Self::Tenant,
        Self::Text,
        Self::Title,
    ];

    /// The field the API names `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::At => "at",
            Self::Class => "class",
            Self::CollectedAt => "collected_at",
            Self::CollectedBy => "collected_by",
            Self::Containment => "containment",
            Self::Kind => "kind",
            Self::Location => "location",
            Self::Name => "name",
            Self::Note => "note",
            Self::Owner => "owner",
            Self::Person => "person",
            Self::Rationale => "rationale",
            Self::Reason => "reason",
            Self::Reference => "reference",
            Self::Role => "role",
            Self::RootCause => "root_cause",
            Self::Severity => "severity",
            Self::Sha256 => "sha256",
            Self::State => "state",
            Self::Status => "status",
            Self::Task => "task",
            Self::Tenant => "tenant",
            Self::Text => "text",
            Self::Title => "title",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// So that a test can name a field as the API spells it.
impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

pub(super) fn invalid(field: Field, message: impl Into<String>) -> ResponseError {
    ResponseError::Invalid {
        field,
        message: message.into(),
    }
}

/// Trimmed, non-empty, at most [`MAX_TEXT`] characters. Callers redact first.
pub fn required_text(field: Field, raw: &str) -> Result<String, ResponseError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(invalid(field, format!("{field} is required")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(invalid(
            field,
            format!("{field} must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// What a refused transition can do instead.
fn next_steps(from: Status) -> String {
    let ok: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|to| from.check_transition(*to).is_ok())
        .map(Status::as_str)
        .collect();
    if ok.is_empty() {
        format!("a {from} incident is final")
    } else {
        format!("from {from} it can move to {}", ok.join(", "))
    }
}

/// A drill's scenario: the class and severity the drill plays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillScenario {
    pub class: IncidentClass,
    pub severity: Severity,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Change, DeadlineKind, EventKind, NewIncident, Play, Report, ReportInput, TimelineKind,
    };
    use crate::policy::Policy;
    use chrono::{DateTime, Duration, Utc};

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-23T03:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time")
            + Duration::minutes(min)
    }

    /// A triaged SEV-2 leaked-secret incident with its checklists.
    fn triaged(policy: &Policy) -> crate::domain::Incident {
        let report = Report::parse(ReportInput {
            title: Some("key leaked".into()),
            description: Some("Our production access key was committed to a public repo".into()),
            ..Default::default()
        })
        .expect("report");
        let mut inc =
            NewIncident::from_report(report, crate::domain::Source::Report, None, t(0)).incident;
        inc.severity = Some(Severity::Sev2);
        inc.status = Status::Triaged;
        inc.assessment = Some(crate::domain::Assessment {
            severity: Severity::Sev2,
            class: IncidentClass::LeakedProductionSecret,
            play: Play::LeakedProductionSecret,
            reasons: Vec::new(),
            cvss: None,
            flags: Default::default(),
            notes: Vec::new(),
            needs_triage: false,
            confidence: Default::default(),
        });
        let mut ch = Change::begin(&inc, t(0));
        ch.open_checklists(policy);
        ch.incident
    }

    fn fields(containment: Option<&str>, cause: Option<&str>, why: Option<&str>) -> StatusFields {
        StatusFields {
            containment: containment.map(Into::into),
            root_cause: cause.map(Into::into),
            rationale: why.map(Into::into),
        }
    }

    #[test]
    fn checklists_open_once_per_play() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let play = inc
            .tasks
            .iter()
            .filter(|t| t.section == TaskSection::Play)
            .count();
        let closure = inc
            .tasks
            .iter()
            .filter(|t| t.section == TaskSection::Closure)
            .count();
        assert_eq!((play, closure), (6, 8));
        let ids: Vec<u32> = inc.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, (1..=14).collect::<Vec<_>>());
        // Opening again adds nothing; another play adds only its steps.
        let mut ch = Change::begin(&inc, t(1));
        ch.open_checklists(policy.as_ref());
        assert_eq!(ch.incident.tasks.len(), 14);
        if let Some(a) = ch.incident.assessment.as_mut() {
            a.play = Play::CompromisedCiToken;
        }
        ch.open_checklists(policy.as_ref());
        assert_eq!(ch.incident.tasks.len(), 19);
        // A SEV-4 owes no review: its criterion is not added.
        let mut low = inc.clone();
        low.tasks.clear();
        low.severity = Some(Severity::Sev4);
        let mut ch = Change::begin(&low, t(1));
        ch.open_checklists(policy.as_ref());
        assert!(
            !ch.incident
                .tasks
                .iter()
                .any(|t| t.criterion.as_deref() == Some(REVIEW_CRITERION))
        );
    }

    #[test]
    fn status_guards_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        type Case = (Status, StatusFields, Result<(), &'static str>);
        let cases: Vec<Case> = vec![
            (Status::Investigating, fields(None, None, None), Ok(())),
            (
                Status::Contained,
                fields(None, None, None),
                Err("containment"),
            ),
            (
                Status::Contained,
                fields(Some(" "), None, None),
                Err("containment"),
            ),
            (
                Status::Contained,
                fields(Some("revoked"), None, None),
                Ok(()),
            ),
            (
                Status::Resolved,
                fields(None, None, None),
                Err("root_cause"),
            ),
            (
                Status::Resolved,
                fields(None, Some("unknown"), None),
                Err("rationale"),
            ),
            (
                Status::Resolved,
                fields(None, Some("UNKNOWN"), Some("no logs")),
                Ok(()),
            ),
            (
                Status::Resolved,
                fields(None, Some("a leaky script"), None),
                Ok(()),
            ),
            (
                Status::Closed,
                fields(None, None, None),
                Err("from triaged to closed"),
            ),
            (
                Status::Reported,
                fields(None, None, None),
                Err("cannot move"),
            ),
        ];
        for (to, f, want) in cases {
            let mut ch = Change::begin(&inc, t(5));
            let got = ch.set_status("cora", to, &f, &*policy);
            match (got, want) {
                (Ok(()), Ok(())) => assert_eq!(ch.incident.status, to),
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => assert_eq!(field, w, "{to}"),
                (Err(ResponseError::Refused(m)), Err(w)) => {
                    assert!(m.to_string().contains(w), "{to}: {m}")
                }
                (got, want) => panic!("{to}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn resolving_records_the_cause_and_owes_the_review() {
        let policy = Policy::builtin();
        let mut inc = triaged(&policy);
        inc.paging = Some(crate::domain::Paging {
            round: 1,
            fired: 1,
            next_at: Some(t(30)),
            reason: crate::domain::StepReason::Unacknowledged,
            renotify: Vec::new(),
        });
        let mut ch = Change::begin(&inc, t(60));
        ch.set_status(
            "cora",
            Status::Resolved,
            &fields(None, Some("leaky script"), None),
            &*policy,
        )
        .expect("resolve");
        let i = &ch.incident;
        assert_eq!(i.resolved_at, Some(t(60)));
        assert_eq!(
            i.paging.as_ref().and_then(|p| p.next_at),
            None,
            "paging stops"
        );
        assert!(i.deadline(DeadlineKind::PostIncidentReview).is_some());
        let root = i
            .tasks
            .iter()
            .find(|t| t.criterion.as_deref() == Some(ROOT_CAUSE_CRITERION));
        assert_eq!(root.map(|t| t.state), Some(TaskState::Done));
    }

    /// Each move a responder makes along the lifecycle is announced as
    /// `Status Changed`, naming the move and what the step recorded.
    #[test]
    fn status_changes_emit_status_changed() {
        use crate::domain::EventKind;
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(5));
        ch.set_status(
            "cora",
            Status::Contained,
            &fields(Some("revoked the key"), None, None),
            &*policy,
        )
        .expect("contain");
        let e = ch
            .events
            .iter()
            .find(|e| e.kind == EventKind::StatusChanged)
            .expect("a Status Changed event");
        assert_eq!(e.status, Status::Contained);
        assert_eq!(e.actor.as_deref(), Some("cora"));
        assert_eq!(
            e.note.as_deref(),
            Some("status triaged -> contained: revoked the key")
        );
        // A refused move announces nothing.
        let mut ch = Change::begin(&inc, t(5));
        assert!(
            ch.set_status(
                "cora",
                Status::Resolved,
                &fields(None, None, None),
                &*policy
            )
            .is_err()
        );
        assert!(ch.events.is_empty());
    }

    #[test]
    fn closing_needs_every_item_settled_then_sets_retention() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(60));
        ch.set_status(
            "cora",
            Status::Resolved,
            &fields(None, Some("x"), None),
            &*policy,
        )
        .expect("resolve");
        let ids: Vec<u32> = ch.incident.tasks.iter().map(|t| t.id).collect();
        for id in &ids[1..] {
            ch.settle_task("rita", *id, TaskState::Done, None)
                .expect("done");
        }
        // One open play step still blocks, and is named.
        let err = ch.set_status("cora", Status::Closed, &StatusFields::default(), &*policy);
        assert!(
            matches!(&err, Err(ResponseError::Refused(m)) if m.to_string().contains("#1 ")),
            "{err:?}"
        );
        ch.settle_task(
            "cora",
            ids[0],
            TaskState::Waived,
            Some("found by the alert itself"),
        )
        .expect("waive");
        ch.add_follow_up("cora", "add a scanner", Some("tom"), None)
            .expect("follow-up");
        ch.set_status("cora", Status::Closed, &StatusFields::default(), &*policy)
            .expect("open follow-ups do not block");
        assert_eq!(ch.incident.expires_at, Some(t(60) + policy.retention));

        // It recurs: reopened, it is open again, kept, and says where it was.
        ch.events.clear();
        ch.set_status(
            "cora",
            Status::Investigating,
            &StatusFields::default(),
            &*policy,
        )
        .expect("reopen");
        assert!(ch.incident.status.is_open());
        assert_eq!(
            (
                ch.incident.closed_at,
                ch.incident.resolved_at,
                ch.incident.expires_at
            ),
            (None, None, None)
        );
        assert!(
            ch.incident.root_cause.is_some(),
            "the last cause stays on record"
        );
        let e = ch.events.last().expect("an event");
        assert_eq!(
            (e.kind, e.from, e.status),
            (
                EventKind::StatusChanged,
                Some(Status::Closed),
                Status::Investigating
            )
        );
        assert!(
            e.note.as_deref().is_some_and(|n| n.contains("(reopened)")),
            "{:?}",
            e.note
        );
        // Back only to investigating.
        for to in [Status::Contained, Status::Resolved, Status::Triaged] {
            let mut again = Change::begin(&inc, t(60));
            again
                .set_status(
                    "cora",
                    Status::Resolved,
                    &fields(None, Some("x"), None),
                    &*policy,
                )
                .expect("resolve");
            if to == Status::Resolved {
                continue;
            }
            assert!(
                again
                    .set_status("cora", to, &fields(Some("c"), None, None), &*policy)
                    .is_err(),
                "resolved -> {to}"
            );
        }
    }

    #[test]
    fn task_settling_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        type Case = (
            u32,
            TaskState,
            Option<&'static str>,
            Result<bool, &'static str>,
        );
        let cases: Vec<Case> = vec![
            (1, TaskState::Done, None, Ok(true)),
            (1, TaskState::Waived, None, Err("reason")),
            (1, TaskState::Waived, Some("  "), Err("reason")),
            (1, TaskState::Waived, Some("not needed"), Ok(true)),
            (1, TaskState::Open, None, Ok(false)),
            (99, TaskState::Done, None, Err("task")),
        ];
        for (id, state, note, want) in cases {
            let mut ch = Change::begin(&inc, t(1));
            let got = ch.settle_task("rita", id, state, note);
            match (got, want) {
                (Ok(changed), Ok(w)) => {
                    assert_eq!(changed, w, "#{id} {state:?}");
                    assert_eq!(
                        ch.timeline.len(),
                        usize::from(w),
                        "a change is on the timeline"
                    );
                }
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => assert_eq!(field, w),
                (got, want) => panic!("#{id} {state:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn roles_keep_their_history() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(1));
        let steps: [(&str, Option<&str>, bool); 5] = [
            ("ann", Some("ann"), true),
            ("ann", Some("ann"), false),
            ("ann", Some(" bob "), true),
            ("bob", None, true),
            ("bob", Some(""), false),
        ];
        for (actor, person, changed) in steps {
            let got = ch.assign_role(actor, IncidentRole::IncidentCommander, person);
            assert_eq!(got, Ok(changed), "{person:?}");
        }
        let h: Vec<(Option<&str>, Option<&str>)> = ch
            .incident
            .role_history
            .iter()
            .map(|c| (c.person.as_deref(), c.previous.as_deref()))
            .collect();
        assert_eq!(
            h,
            vec![
                (Some("ann"), None),
                (Some("bob"), Some("ann")),
                (None, Some("bob"))
            ]
        );
        assert!(ch.incident.roles.is_empty());
        let msgs: Vec<&str> = ch.timeline.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "Incident commander assigned to ann",
                "Incident commander reassigned from ann to bob",
                "Incident commander unassigned (was bob)"
            ]
        );
        assert_eq!("Technical-Lead".parse(), Ok(IncidentRole::TechnicalLead));
        assert!("scribe".parse::<IncidentRole>().is_err());
    }

    #[test]
    fn evidence_validation_table() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let good = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        let input = |name: &str, sha: &str, at: Option<DateTime<Utc>>| EvidenceInput {
            name: name.into(),
            location: "s3://bucket/key".into(),
            sha256: sha.into(),
            collected_by: None,
            collected_at: at,
        };
        let cases: Vec<(EvidenceInput, Result<(), &str>)> = vec![
            (input("log", good, None), Ok(())),
            (input("log", &good[1..], None), Err("sha256")),
            (
                input("log", &format!("{}g", &good[1..]), None),
                Err("sha256"),
            ),
            (input(" ", good, None), Err("name")),
            (input("log", good, Some(t(60))), Err("collected_at")),
            (input("log", good, Some(t(-60))), Ok(())),
        ];
        for (i, want) in cases {
            let mut ch = Change::begin(&inc, t(1));
            match (ch.add_evidence("mia", i.clone()), want) {
                (Ok(id), Ok(())) => {
                    let e = &ch.incident.evidence[0];
                    assert_eq!((id, e.sha256.as_str()), (1, good.to_lowercase().as_str()));
                    assert_eq!(e.collected_by, "mia");
                }
                (Err(ResponseError::Invalid { field, .. }), Err(w)) => {
                    assert_eq!(field, w, "{i:?}")
                }
                (got, want) => panic!("{i:?}: got {got:?}, want {want:?}"),
            }
        }
        let mut ch = Change::begin(&inc, t(1));
        ch.add_evidence("mia", input("a", good, None))
            .expect("first");
        let dup = ch.add_evidence("mia", input("b", &good.to_lowercase(), None));
        assert!(matches!(dup, Err(ResponseError::Refused(_))), "{dup:?}");
    }

    #[test]
    fn legal_hold_suspends_and_resumes_expiry() {
        let policy = Policy::builtin();
        let mut inc = triaged(&policy);
        inc.status = Status::Closed;
        inc.closed_at = Some(t(0));
        inc.expires_at = Some(t(0) + policy.retention);
        assert_eq!(
            inc.next_action_at(),
            inc.expires_at,
            "a closed incident waits for its purge"
        );
        let mut ch = Change::begin(&inc, t(10));
        assert_eq!(
            ch.legal_hold("ada", true, "LH-7", policy.retention),
            Ok(true)
        );
        assert_eq!(
            ch.legal_hold("ada", true, "LH-7", policy.retention),
            Ok(false)
        );
        assert_eq!(
            (ch.incident.expires_at, ch.incident.next_action_at()),
            (None, None)
        );
        assert!(
            ch.legal_hold("ada", false, "", policy.retention).is_err(),
            "a reason is needed"
        );
        assert_eq!(
            ch.legal_hold("ada", false, "settled", policy.retention),
            Ok(true)
        );
        assert_eq!(ch.incident.expires_at, Some(t(0) + policy.retention));
    }

    #[test]
    fn notes_are_marked_and_bounded() {
        let policy = Policy::builtin();
        let inc = triaged(&policy);
        let mut ch = Change::begin(&inc, t(1));
        ch.add_note("rita", Basis::Fact, " seen in logs ")
            .expect("fact");
        ch.add_note("rita", "HYPOTHESIS".parse().expect("basis"), "insider")
            .expect("hypothesis");
        assert!(ch.add_note("rita", Basis::Fact, "").is_err());
        assert!(
            ch.add_note("rita", Basis::Fact, &"x".repeat(MAX_TEXT + 1))
                .is_err()
        );
        assert!("rumour".parse::<Basis>().is_err());
        let kinds: Vec<(TimelineKind, &str)> = ch
            .timeline
            .iter()
            .map(|e| (e.kind, e.message.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (TimelineKind::Fact, "seen in logs"),
                (TimelineKind::Hypothesis, "insider")
            ]
        );
    }
}
