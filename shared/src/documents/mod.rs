//! The post-incident documents, rendered from incident records: the review,
//! period metrics (MTTA, MTTR, deadline compliance), the annual security
//! report and drill evidence. Pure: the caller loads the records and passes
//! the clock, so the same records always render the same document.
//! Also the on-call calendar feeds ([`ical`]).

/// Appends one line to a document; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

mod annual;
mod drill;
pub mod ical;
mod markdown;
mod metrics;
mod review;

pub use crate::domain::{DeadlineOutcome, deadline_outcome};
pub use annual::{
    AnnualDeadline, AnnualDrill, AnnualIncident, AnnualReport, AnnualSeverity, annual_markdown,
    annual_report, annual_report_markdown,
};
pub use drill::{
    DeadlineResult, DrillReport, PageSent, TaskCounts, TaskItem, drill_report,
    drill_report_markdown,
};
pub use metrics::{DeadlineShare, Mean, Metrics, SeverityMetrics, metrics, year_window};
pub use review::{evidence_manifest, review_markdown};

#[cfg(test)]
mod tests {
    use super::markdown::{cell, span_secs, tasks_in};
    use super::review::REVIEW_PROMPTS;
    use super::*;
    use crate::app::assess::{explain, facts};
    use crate::domain::{
        Acknowledgement, Audience, Basis, Change, Deadline, DeadlineKind, DrillScenario, EventKind,
        EvidenceInput, Incident, IncidentClass, IncidentId, IncidentRole, NewIncident,
        REVIEW_CRITERION, Reference, Report, ReportInput, Severity, Source, SourceSignal, Status,
        StatusFields, TaskSection, TaskState, TimelineEntry, TimelineKind,
    };
    use crate::policy::{Policy, clocks};
    use crate::ports::SentNotification;
    use chrono::{DateTime, Duration, Utc};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    /// An incident played forward through the domain API, one change at a
    /// time, keeping every timeline entry as a store would.
    struct Script {
        incident: Incident,
        timeline: Vec<TimelineEntry>,
        sent: Vec<SentNotification>,
        policy: Arc<Policy>,
    }

    impl Script {
        fn open(input: ReportInput, source: Source, reference: &str, at: &str) -> Self {
            let report = Report::parse(input).expect("report");
            let mut new = NewIncident::from_report(report, source, None, t(at));
            // Fixed, so that the golden file is the same on every run.
            new.incident.id = IncidentId("01KK8Z0M00R3PQ7B2W4C6D8E9F".parse().expect("ulid"));
            new.incident.reference = Reference::parse(reference).expect("reference");
            for e in &mut new.timeline {
                e.incident_id = new.incident.id;
            }
            Self {
                incident: new.incident,
                timeline: new.timeline,
                sent: Vec::new(),
                policy: Policy::builtin(),
            }
        }

        fn step(&mut self, at: &str, f: impl FnOnce(&mut Change, &Policy)) {
            let mut change = Change::begin(&self.incident, t(at));
            f(&mut change, &self.policy);
            self.timeline.extend(change.timeline);
            self.incident = change.incident;
        }

        /// What assess does with `Report Received`: the assessment, its
        /// deadlines and checklists, and the first paging level.
        fn triage(&mut self, at: &str) {
            self.step(at, |ch, p| {
                let now = ch.incident.updated_at;
                ch.incident.confirmed_at = Some(now);
                let mut a = p.assess(&facts(&ch.incident));
                if let Some(sc) = ch.incident.drill_scenario {
                    p.play_drill(&mut a, sc);
                }
                ch.record("klaxon:assess", TimelineKind::Assessed, explain(&a));
                ch.incident.deadlines = p.deadlines(&a, ch.incident.created_at, now);
                ch.incident.severity = Some(a.severity);
                ch.incident.assessment = Some(a);
                ch.move_to("klaxon:assess", Status::Triaged)
                    .expect("triage");
                ch.open_checklists(p);
                clocks::arm(ch, p, now);
                clocks::run_due(ch, p, now);
            });
        }

        /// One escalation sweep.
        fn sweep(&mut self, at: &str) {
            self.step(at, |ch, p| {
                let now = ch.incident.updated_at;
                clocks::run_due(ch, p, now);
            });
        }

        fn status(&mut self, at: &str, actor: &str, to: Status, fields: StatusFields) {
            self.step(at, |ch, p| {
                ch.set_status(actor, to, &fields, p).expect("status");
            });
        }

        fn note(&mut self, at: &str, actor: &str, basis: Basis, text: &str) {
            self.step(at, |ch, _| ch.add_note(actor, basis, text).expect("note"));
        }

        fn meet(&mut self, at: &str, kind: DeadlineKind, actor: &str, note: &str) {
            self.step(at, |ch, p| clocks::meet(ch, p, kind, actor, note));
        }

        fn evidence(&mut self, at: &str, actor: &str, input: EvidenceInput) {
            self.step(at, |ch, _| {
                ch.add_evidence(actor, input).expect("evidence");
            });
        }

        /// Settles tasks, each named by its closure criterion or the start
        /// of its text, in one change.
        fn settle(&mut self, at: &str, tasks: &[(&str, &str, TaskState, &str)]) {
            let ids: Vec<u32> = tasks.iter().map(|(name, ..)| self.task(name)).collect();
            self.step(at, |ch, _| {
                for (id, (_, actor, state, note)) in ids.into_iter().zip(tasks) {
                    ch.settle_task(actor, id, *state, Some(note))
                        .expect("settle");
                }
            });
        }

        fn task(&self, name: &str) -> u32 {
            self.incident
                .tasks
                .iter()
                .find(|t| t.criterion.as_deref() == Some(name) || t.text.starts_with(name))
                .map(|t| t.id)
                .unwrap_or_else(|| panic!("no task {name:?}"))
        }

        /// Records messages as notify would have delivered them.
        fn deliver(&mut self, messages: &[(&str, Audience, &str, String)]) {
            for (at, audience, kind, subject) in messages {
                let event = match *kind {
                    "page" => EventKind::EscalationTriggered,
                    "acknowledged" => EventKind::IncidentAcknowledged,
                    "clock" if subject.starts_with("BREACHED") => EventKind::SlaBreached,
                    "clock" => EventKind::SlaReminder,
                    "status_update" => EventKind::ObligationRecorded,
                    _ => EventKind::IncidentTriaged,
                };
                let key = format!("evt-{:02}#{audience}#{kind}", self.sent.len());
                self.sent.push(SentNotification {
                    incident_id: self.incident.id,
                    key,
                    at: t(at),
                    event,
                    audience: *audience,
                    kind: (*kind).into(),
                    subject: subject.clone(),
                });
            }
        }
    }

    const CLOUDTRAIL_SHA: &str = "a5cbf52bf83941ae0f3acf8154168d4436351bf2a5efc8e53108bc72673ff4aa";
    const GITHUB_SHA: &str = "c0b0109d9439de57fe3cf03abeccbc52f4c98170c732d3b69af5e6395ace574e";
    const TITLE: &str = "AWS access key for Workzone production pushed to a public repository";

    /// A leaked production deploy key, from GitHub secret scanning to closure
    /// three days later: assessment, paging, acknowledgement, roles with a
    /// handover, a hypothesis proved wrong, facts, evidence, containment,
    /// obligations (one late, after a breach), resolution, follow-ups and
    /// closure criteria (one waived), and the review.
    fn leaked_key() -> Script {
        let mut s = Script::open(
            ReportInput {
                title: Some(TITLE.into()),
                description: Some(
                    "GitHub secret scanning alert #42: an AWS access key of the workzone-prod-deployer \
                     IAM user was pushed to izymes/workzone-deploy in commit 3f2c9e1.\n\
                     The repository was made public at 07:31 UTC for an open-source release."
                        .into(),
                ),
                impact: Some(
                    "The key can read and write the Workzone production DynamoDB tables, which hold \
                     tenant data (pull-request workflow settings) for 1,240 tenants."
                        .into(),
                ),
                product: Some("Workzone for Bitbucket Cloud".into()),
                production: Some(true),
                // The key reads tenant data: the reporter says customer
                // data is involved (the words alone say only that it could be).
                customer_data_involved: Some(true),
                signal: Some(SourceSignal {
                    kind: "github:secret_scanning_alert".into(),
                    severity: Some("high".into()),
                    score: None,
                }),
                ..Default::default()
            },
            Source::Github,
            "KLX-2026-7QX4MZ",
            "2026-03-10T08:12:00Z",
        );
        s.triage("2026-03-10T08:13:00Z");
        s.step("2026-03-10T08:19:00Z", |ch, p| {
            clocks::acknowledge(ch, p, "Priya Raman", "page link", "").expect("ack");
        });
        s.step("2026-03-10T08:21:00Z", |ch, _| {
            for (role, who) in [
                (IncidentRole::IncidentCommander, "Priya Raman"),
                (IncidentRole::TechnicalLead, "Tom Becker"),
                (IncidentRole::EvidenceOwner, "Mia Chen"),
                (IncidentRole::CommunicationsLead, "Sam Ortiz"),
            ] {
                ch.assign_role("Priya Raman", role, Some(who))
                    .expect("role");
            }
        });
        let investigating = StatusFields::default();
        s.status(
            "2026-03-10T08:24:00Z",
            "Priya Raman",
            Status::Investigating,
            investigating,
        );
        s.note(
            "2026-03-10T08:26:00Z",
            "Tom Becker",
            Basis::Hypothesis,
            "The key was copied into the repository from a developer's local .env file during \
             the deploy-script refactor.",
        );
        s.evidence(
            "2026-03-10T08:31:00Z",
            "Mia Chen",
            EvidenceInput {
                name: "CloudTrail events of workzone-prod-deployer, 9-10 March".into(),
                location:
                    "s3://izymes-ir-evidence/KLX-2026-7QX4MZ/cloudtrail-prod-deployer.json.gz"
                        .into(),
                sha256: CLOUDTRAIL_SHA.into(),
                collected_by: None,
                collected_at: Some(t("2026-03-10T08:28:00Z")),
            },
        );
        #[rustfmt::skip]
        s.settle("2026-03-10T08:40:00Z", &[
            ("Identify the exact secret", "Tom Becker", TaskState::Done,
             "Access key of IAM user workzone-prod-deployer; last legitimate use by the deploy pipeline on 9 March at 17:02 UTC."),
        ]);
        let contained = StatusFields {
            containment: Some(
                "Deactivated and deleted the access key, made izymes/workzone-deploy private again \
                 and purged commit 3f2c9e1 from its history"
                    .into(),
            ),
            ..Default::default()
        };
        s.status(
            "2026-03-10T08:52:00Z",
            "Tom Becker",
            Status::Contained,
            contained,
        );
        #[rustfmt::skip]
        s.settle("2026-03-10T08:53:00Z", &[
            ("Rotate or revoke", "Tom Becker", TaskState::Done,
             "Key deleted; the pipeline uses a new key from Secrets Manager until it moves to OIDC."),
        ]);
        s.meet(
            "2026-03-10T09:05:00Z",
            DeadlineKind::Notify,
            "Sam Ortiz",
            "severity notification emailed to the registered security contacts",
        );
        s.meet(
            "2026-03-10T09:10:00Z",
            DeadlineKind::AtlassianReport,
            "Sam Ortiz",
            "P1 ticket raised in the Marketplace Partner Portal",
        );
        s.note(
            "2026-03-10T09:30:00Z",
            "Tom Becker",
            Basis::Fact,
            "CloudTrail shows no use of the key outside the deploy pipeline's address range \
             between the push at 07:31 UTC and the deletion at 08:50 UTC.",
        );
        s.note(
            "2026-03-10T09:35:00Z",
            "Tom Becker",
            Basis::Fact,
            "A contractor pasted the key into deploy/README.md while documenting a manual \
             deploy; it was never in a .env file.",
        );
        s.evidence(
            "2026-03-10T09:40:00Z",
            "Mia Chen",
            EvidenceInput {
                name: "GitHub audit log of the izymes organisation, 10 March".into(),
                location: "s3://izymes-ir-evidence/KLX-2026-7QX4MZ/github-audit-2026-03-10.json"
                    .into(),
                sha256: GITHUB_SHA.to_uppercase(),
                collected_by: Some("Tom Becker".into()),
                collected_at: Some(t("2026-03-10T09:36:00Z")),
            },
        );
        s.meet(
            "2026-03-10T10:05:00Z",
            DeadlineKind::StatusUpdate,
            "Priya Raman",
            "contained; no use of the key outside the pipeline found",
        );
        s.step("2026-03-10T11:02:00Z", |ch, _| {
            let handover = Some("Jonas Weber");
            ch.assign_role("Priya Raman", IncidentRole::IncidentCommander, handover)
                .expect("handover");
        });
        #[rustfmt::skip]
        s.settle("2026-03-10T11:30:00Z", &[
            ("Search source control", "Tom Becker", TaskState::Done,
             "Found only in commit 3f2c9e1; not in CI logs, artifacts, chat or tickets."),
            ("Check audit logs", "Mia Chen", TaskState::Done,
             "CloudTrail reviewed from 07:31 to 08:50 UTC: only pipeline use."),
            ("Update dependent workloads", "Tom Becker", TaskState::Waived,
             "No running workload used the key; the deploy pipeline was switched at containment."),
            ("Add a prevention action", "Tom Becker", TaskState::Done,
             "GitHub push protection enabled for the izymes organisation."),
        ]);
        let recovering = StatusFields::default();
        s.status(
            "2026-03-10T13:10:00Z",
            "Jonas Weber",
            Status::Recovering,
            recovering,
        );
        s.meet(
            "2026-03-10T14:45:00Z",
            DeadlineKind::Fix,
            "Jonas Weber",
            "key deleted and pipeline credentials rotated",
        );
        let resolved = StatusFields {
            root_cause: Some(
                "A contractor pasted the deploy user's long-lived access key into deploy/README.md \
                 while documenting a manual deploy. The repository was made public the same \
                 morning, and GitHub push protection was not enabled for the organisation, so \
                 nothing blocked the push."
                    .into(),
            ),
            ..Default::default()
        };
        s.status(
            "2026-03-10T14:45:00Z",
            "Jonas Weber",
            Status::Resolved,
            resolved,
        );
        s.step("2026-03-10T14:50:00Z", |ch, _| {
            #[rustfmt::skip]
            let actions = [
                ("Move the deploy pipeline from the workzone-prod-deployer access key to OIDC role assumption",
                 "Tom Becker", "2026-03-24T17:00:00Z"),
                ("Alarm on any API call made with a deleted or deactivated access key",
                 "Mia Chen", "2026-03-17T17:00:00Z"),
                ("Add a secret scan of the full history to the checklist for making a repository public",
                 "Priya Raman", "2026-03-31T17:00:00Z"),
            ];
            for (text, owner, due) in actions {
                let due = Some(t(due));
                ch.add_follow_up("Jonas Weber", text, Some(owner), due).expect("follow-up");
            }
        });
        // The customer notice's clock runs on after resolution: two
        // reminders, then a breach.
        s.sweep("2026-03-11T20:15:00Z");
        #[rustfmt::skip]
        s.settle("2026-03-12T16:00:00Z", &[
            ("Alarm on any API call", "Mia Chen", TaskState::Done, "CloudWatch alarm klx-deleted-key-use deployed."),
        ]);
        s.sweep("2026-03-12T17:50:00Z");
        s.sweep("2026-03-13T08:15:00Z");
        s.meet(
            "2026-03-13T10:30:00Z",
            DeadlineKind::CustomerNotice,
            "Sam Ortiz",
            "notice emailed to the admins of the 1,240 tenants",
        );
        let follow_ups: Vec<String> = tasks_in(&s.incident, TaskSection::FollowUp)
            .iter()
            .map(|t| format!("#{}", t.id))
            .collect();
        let corrective = format!(
            "Follow-ups {} have owners and dates.",
            follow_ups.join(", ")
        );
        #[rustfmt::skip]
        s.settle("2026-03-13T11:00:00Z", &[
            ("attack_path", "Tom Becker", TaskState::Done,
             "Repository private, commit purged, key deleted; STS rejects the key."),
            ("credentials", "Tom Becker", TaskState::Done, "Key deleted; pipeline credentials rotated."),
            ("artifacts", "Tom Becker", TaskState::Waived,
             "No artifact was built or published with the key; the pipeline's builds did not change."),
            ("monitoring", "Mia Chen", TaskState::Done, "Alarm on use of deleted keys (follow-up done)."),
            ("notifications", "Sam Ortiz", TaskState::Done,
             "Atlassian P1 ticket raised; customer notice sent on 13 March."),
            ("corrective_actions", "Jonas Weber", TaskState::Done, &corrective),
        ]);
        s.step("2026-03-13T14:00:00Z", |ch, p| {
            let (kind, actor) = (DeadlineKind::PostIncidentReview, "Jonas Weber");
            clocks::meet(
                ch,
                p,
                kind,
                actor,
                "review meeting held with engineering and support",
            );
            ch.satisfy(actor, REVIEW_CRITERION, "post-incident review recorded");
        });
        s.status(
            "2026-03-13T15:00:00Z",
            "Jonas Weber",
            Status::Closed,
            StatusFields::default(),
        );

        let h = format!("[SEV-2 High] KLX-2026-7QX4MZ: {TITLE}");
        let notice = "customer notice due 2026-03-13 08:13 UTC: [SEV-2] KLX-2026-7QX4MZ";
        #[rustfmt::skip]
        s.deliver(&[
            ("2026-03-10T08:13:05Z", Audience::OncallPrimary, "page", format!("PAGE L1 R1: {h}")),
            ("2026-03-10T08:13:05Z", Audience::SecurityTeam, "triage", format!("New {h}")),
            ("2026-03-10T08:13:06Z", Audience::Comms, "atlassian_report_draft", format!("Draft: Atlassian P1 report: {h}")),
            ("2026-03-10T08:13:06Z", Audience::Comms, "customer_notice_draft", format!("Draft: customer notice: {h}")),
            ("2026-03-10T08:19:04Z", Audience::SecurityTeam, "acknowledged", format!("Acknowledged by Priya Raman: {h}")),
            ("2026-03-10T10:05:03Z", Audience::SecurityTeam, "status_update", format!("Status update: {h}")),
            ("2026-03-11T20:15:02Z", Audience::SecurityTeam, "clock", format!("Reminder: {notice}")),
            ("2026-03-12T17:50:02Z", Audience::SecurityTeam, "clock", format!("Reminder: {notice}")),
            ("2026-03-13T08:15:02Z", Audience::IncidentManager, "clock", format!("BREACHED: {notice}")),
        ]);
        s
    }

    fn golden_path(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name)
    }

    /// Compares `got` with the checked-in file `tests/golden/<name>`. Run
    /// with `UPDATE_GOLDEN=1` to rewrite the file instead, then read the
    /// diff before committing it.
    fn assert_golden(name: &str, got: &str) {
        let path = golden_path(name);
        if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("golden dir");
            std::fs::write(&path, got).expect("write golden file");
            return;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        });
        if want != got {
            let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
            let n = (0..w.len().max(g.len()))
                .find(|&n| w.get(n) != g.get(n))
                .unwrap_or(0);
            panic!(
                "{} differs at line {}:\n  want: {:?}\n  got:  {:?}\n\
                 If the change is intended, rerun with UPDATE_GOLDEN=1 and read the diff.",
                path.display(),
                n + 1,
                w.get(n),
                g.get(n),
            );
        }
    }

    /// The review of a scripted incident matches the checked-in document.
    #[test]
    fn review_matches_the_golden_file() {
        let s = leaked_key();
        assert_eq!(
            s.incident.status,
            Status::Closed,
            "the script runs to closure"
        );
        let md = review_markdown(&s.incident, &s.timeline, &s.sent, chrono_tz::Europe::Berlin);
        assert_golden("review.md", &md);
    }

    /// The review carries every section, mark and prompt the plans ask for,
    /// whatever the golden file says.
    #[test]
    fn review_has_every_section_and_prompt() {
        let s = leaked_key();
        let md = review_markdown(&s.incident, &s.timeline, &s.sent, chrono_tz::Europe::Berlin);
        for heading in [
            "## Summary",
            "## Detection signal",
            "## Timeline",
            "## Root cause",
            "## Systems and data affected",
            "## Containment and remediation",
            "## Communications sent",
            "## Deadlines",
            "## Evidence",
            "## Follow-up actions",
            "## Closure criteria",
        ] {
            assert!(md.contains(&format!("\n{heading}\n")), "{heading}");
        }
        for prompt in REVIEW_PROMPTS {
            assert!(md.contains(&format!("\n### {prompt}\n")), "{prompt}");
        }
        for want in [
            "| [hypothesis] The key was copied",
            "| [fact] CloudTrail shows no use",
            "Jonas Weber (from 2026-03-10 12:02 CET, reassigned by Priya Raman)",
            "| Acknowledged | 2026-03-10 09:19 CET by Priya Raman via page link (7m after detection) |",
            "| 5 | Update dependent workloads and verify successful restart or reload. | waived | Tom Becker |",
            "| Customer notice | 2026-03-10 09:13 CET | 2026-03-13 09:13 CET | met 2026-03-13 11:30 CET, 2h 17m late",
            "| Status update | 2026-03-10 11:05 CET | 2026-03-11 11:05 CET | stopped at resolution",
            CLOUDTRAIL_SHA,
            GITHUB_SHA,
        ] {
            assert!(md.contains(want), "{want}");
        }
        let timeline = md
            .split("\n## Timeline\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("timeline");
        let rows = timeline
            .lines()
            .filter(|l| l.starts_with("| 2026-"))
            .count();
        assert_eq!(rows, s.timeline.len(), "every timeline entry has a row");
    }

    /// Table cells stay on one line, pipes cannot break a table, and markup
    /// in free text is shown rather than run.
    #[test]
    fn cells_are_escaped() {
        let cases = [
            ("plain", "plain"),
            ("a | b", "a \\| b"),
            ("first\n- second\n\n  third  ", "first; second; third"),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)>",
            ),
            ("[x](https://evil.example)", "\\[x\\](https://evil.example)"),
        ];
        for (raw, want) in cases {
            assert_eq!(cell(raw), want, "{raw:?}");
        }
        let mut s = leaked_key();
        s.incident.title = "XSS | <script> in\nmacro".into();
        let md = review_markdown(&s.incident, &s.timeline, &[], chrono_tz::UTC);
        assert!(
            md.contains("| Title | XSS \\| &lt;script> in; macro |"),
            "{md}"
        );
        assert!(md.contains("No messages were recorded as sent."));
    }

    /// An anonymous report's links, images and block markup reach
    /// `review.md` as text: every field a reporter, sender or responder
    /// fills is escaped. (Only `<` was: `[here](…)` and `![](…)` rendered.)
    #[test]
    fn free_text_cannot_add_markup_to_the_review() {
        const LINK: &str = "[Verify your account](https://evil.example/login)";
        const IMAGE: &str = "![](https://evil.example/pixel.png)";
        let mut s = leaked_key();
        let hostile = format!("{LINK} {IMAGE} <b>x</b>");
        s.incident.title = hostile.as_str().into();
        s.incident.description =
            format!("{LINK}\n# Heading\n- item\n1. item\n{IMAGE}\n[ref]: https://evil.example")
                .into();
        s.incident.impact = Some(format!("{IMAGE}\n> quoted").into());
        s.incident.product = Some(hostile.as_str().into());
        s.incident.tenant = Some(hostile.as_str().into());
        s.incident.reporter_name = Some(hostile.as_str().into());
        if let Some(c) = s.incident.containment.as_mut() {
            c.action = hostile.clone();
        }
        if let Some(rc) = s.incident.root_cause.as_mut() {
            rc.cause = format!("{LINK}\n## Injected section\n{IMAGE}");
            rc.rationale = Some(hostile.clone());
        }
        for e in &mut s.incident.evidence {
            e.name = hostile.clone();
            e.location = hostile.clone();
        }
        for t in &mut s.incident.tasks {
            t.text = hostile.clone();
            t.note = Some(hostile.clone());
        }
        for e in &mut s.timeline {
            e.message = format!("{LINK}\n{IMAGE}");
        }
        let md = review_markdown(&s.incident, &s.timeline, &s.sent, chrono_tz::UTC);
        for bad in [
            "](",
            "<b>",
            "\n# Heading",
            "\n## Injected",
            "\n- item",
            "\n1. item",
            "\n[ref]:",
        ] {
            let raw_markup = md
                .match_indices(bad)
                .any(|(at, _)| bad != "](" || !md[..at].ends_with('\\'));
            assert!(!raw_markup, "{bad:?} reached the review:\n{md}");
        }
        assert!(md.contains("\\[Verify your account\\](https://evil.example/login)"));
        assert!(md.contains("!\\[\\](https://evil.example/pixel.png)"));
        assert!(md.contains("> \\# Heading"), "{md}");
    }

    /// A report nobody has triaged yet still renders, saying what is missing.
    #[test]
    fn review_of_a_fresh_report_says_what_is_missing() {
        let s = Script::open(
            ReportInput {
                title: Some("Suspicious sign-ins".into()),
                ..Default::default()
            },
            Source::Report,
            "KLX-2026-000002",
            "2026-04-01T10:00:00Z",
        );
        let md = review_markdown(&s.incident, &s.timeline, &[], chrono_tz::UTC);
        for want in [
            "| Severity | unassessed |",
            "| Acknowledged | not acknowledged |",
            "An unassessed incident was detected on 2026-04-01 10:00 UTC (source: `report`). \
             It was never acknowledged. It is reported.",
            "- **Assessment:** none recorded",
            "Not yet recorded. Closing needs the root cause",
            "No response play was opened.",
            "No deadlines were set.",
            "No evidence was recorded.",
            "No follow-up actions were recorded.",
            "- [ ] Record the review in Klaxon",
        ] {
            assert!(md.contains(want), "{want}\n{md}");
        }
    }

    #[test]
    fn spans_read_as_their_two_largest_units() {
        let cases = [
            (0, "0s"),
            (45, "45s"),
            (420, "7m"),
            (450, "7m 30s"),
            (3_600, "1h"),
            (3_780, "1h 3m"),
            (187_200, "2d 4h"),
            (-90, "-1m 30s"),
        ];
        for (secs, want) in cases {
            assert_eq!(span_secs(secs), want, "{secs}");
        }
    }

    // Metrics.

    fn fixture(reference: &str, created: &str, severity: Option<Severity>) -> Incident {
        let report = Report::parse(ReportInput {
            title: Some("fixture".into()),
            description: Some("d".into()),
            ..Default::default()
        })
        .expect("report");
        let mut i = NewIncident::from_report(report, Source::Report, None, t(created)).incident;
        i.reference = Reference::parse(reference).expect("reference");
        i.severity = severity;
        if let Some(sev) = severity {
            let mut a = Policy::builtin().assess(&facts(&i));
            (a.severity, a.class) = (sev, IncidentClass::LeakedProductionSecret);
            i.assessment = Some(a);
            i.status = Status::Triaged;
        }
        i
    }

    fn acked(mut i: Incident, minutes: i64) -> Incident {
        let at = i.created_at + Duration::minutes(minutes);
        let (by, via) = ("oncall".into(), "api".into());
        i.acknowledged = Some(Acknowledgement { by, via, at });
        i.status = Status::Acknowledged;
        i
    }

    fn resolved(mut i: Incident, minutes: i64) -> Incident {
        i.resolved_at = Some(i.created_at + Duration::minutes(minutes));
        i.status = Status::Resolved;
        i
    }

    /// Adds a deadline due at `due`, met and breached as given.
    fn owing(
        mut i: Incident,
        kind: DeadlineKind,
        due: &str,
        met: Option<&str>,
        breached: Option<&str>,
    ) -> Incident {
        let mut d = Deadline::new(kind, i.created_at, t(due));
        (d.met_at, d.breached_at) = (met.map(t), breached.map(t));
        i.deadlines.push(d);
        i
    }

    /// Each way a deadline can end, judged at a fixed time.
    #[test]
    fn deadline_outcomes_table() {
        use DeadlineKind::{Acknowledge, CustomerNotice, Notify, StatusUpdate};
        use DeadlineOutcome::*;
        let base = fixture(
            "KLX-2026-000001",
            "2026-02-01T00:00:00Z",
            Some(Severity::Sev2),
        );
        let due = "2026-02-02T00:00:00Z";
        let (late, early) = ("2026-02-10T00:00:00Z", "2026-02-01T12:00:00Z");
        let (d1, d3) = (Some("2026-02-01T01:00:00Z"), Some("2026-02-03T00:00:00Z"));
        let resolved = Some("2026-02-01T06:00:00Z");
        // (case, kind, met, breached, resolved, judged at, outcome)
        #[rustfmt::skip]
        let cases = [
            ("met before due", Acknowledge, d1, None, None, late, MetOnTime),
            ("met exactly at due", Acknowledge, Some(due), None, None, late, MetOnTime),
            ("met a second late", Acknowledge, Some("2026-02-02T00:00:01Z"), None, None, late, MetLate),
            ("met after a breach", Notify, d3, Some(due), None, late, MetLate),
            ("breached, never met", Notify, None, Some(due), None, late, Breached),
            ("due and unmet, no sweep yet", Notify, None, None, None, late, Missed),
            ("not yet due", Notify, None, None, None, early, Open),
            ("response clock stopped by resolution", StatusUpdate, None, None, resolved, late, NotOwed),
            ("paperwork owed after resolution", CustomerNotice, None, None, resolved, late, Missed),
        ];
        for (case, kind, met, breached, resolved_at, as_of, want) in cases {
            let mut i = owing(base.clone(), kind, due, met, breached);
            i.resolved_at = resolved_at.map(t);
            let got = deadline_outcome(&i, &i.deadlines[0], Some(t(as_of)));
            assert_eq!(got, want, "{case}");
        }
    }

    /// Five incidents in the first half of 2026, a drill, and one incident
    /// either side of the window.
    fn fixture_set() -> Vec<Incident> {
        use DeadlineKind::{Acknowledge, Fix, Notify};
        let sev1 = |n: u32, created: &str| {
            fixture(&format!("KLX-2026-00010{n}"), created, Some(Severity::Sev1))
        };
        let sev2 = fixture(
            "KLX-2026-000201",
            "2026-04-01T00:00:00Z",
            Some(Severity::Sev2),
        );
        let mut unassessed = fixture("KLX-2026-000301", "2026-06-30T23:59:59Z", None);
        unassessed.source = Source::Guardduty;
        let sev1_drill = fixture(
            "KLX-2026-000900",
            "2026-03-01T00:00:00Z",
            Some(Severity::Sev1),
        );
        let mut drill = acked(sev1_drill, 1);
        drill.drill = true;
        let before = fixture(
            "KLX-2025-000001",
            "2025-12-31T23:59:59Z",
            Some(Severity::Sev1),
        );
        let after = fixture(
            "KLX-2026-000999",
            "2026-07-01T00:00:00Z",
            Some(Severity::Sev1),
        );
        #[rustfmt::skip]
        let set = vec![
            // Three SEV-1s acknowledged after 5, 10 and 15 minutes, two resolved
            // (after 1 h and 3 h); the third was acknowledged late.
            owing(resolved(acked(sev1(1, "2026-01-01T00:00:00Z"), 5), 60),
                  Acknowledge, "2026-01-01T04:00:00Z", Some("2026-01-01T00:05:00Z"), None),
            owing(resolved(acked(sev1(2, "2026-02-01T00:00:00Z"), 10), 180),
                  Acknowledge, "2026-02-01T04:00:00Z", Some("2026-02-01T00:10:00Z"), None),
            owing(owing(acked(sev1(3, "2026-03-01T00:00:00Z"), 15),
                        Acknowledge, "2026-03-01T00:10:00Z", Some("2026-03-01T00:15:00Z"), None),
                  // Not yet due at `now`: not a sample.
                  Fix, "2026-12-01T00:00:00Z", None, None),
            // A SEV-2 nobody acknowledged; its notification was breached.
            owing(sev2, Notify, "2026-04-03T00:00:00Z", None, Some("2026-04-03T00:00:00Z")),
            // Unassessed, in the window's last second.
            unassessed,
            drill,
            acked(before, 100),
            acked(after, 100),
        ];
        set
    }

    /// Known answers: the window is [from, to), drills count apart, MTTA,
    /// MTTR and deadline shares per kind.
    #[test]
    fn metrics_over_a_fixture_set() {
        let (from, to) = (t("2026-01-01T00:00:00Z"), t("2026-07-01T00:00:00Z"));
        let m = metrics(&fixture_set(), from, to, t("2026-08-01T00:00:00Z"));
        assert_eq!((m.total, m.drills), (5, 1));
        assert_eq!((m.open, m.resolved, m.closed), (3, 2, 0));
        let mean = |seconds, samples| Mean { seconds, samples };
        // (severity, count, MTTA, MTTR)
        #[rustfmt::skip]
        let cases = [
            ("SEV-1", 3, mean(Some(600), 3), mean(Some(7_200), 2)),
            ("SEV-2", 1, mean(None, 0), mean(None, 0)),
            ("SEV-3", 0, mean(None, 0), mean(None, 0)),
            ("SEV-4", 0, mean(None, 0), mean(None, 0)),
            ("unassessed", 1, mean(None, 0), mean(None, 0)),
        ];
        assert_eq!(m.by_severity.len(), cases.len());
        for ((code, count, mtta, mttr), got) in cases.into_iter().zip(&m.by_severity) {
            let want = SeverityMetrics {
                severity: code,
                count,
                mtta,
                mttr,
            };
            assert_eq!(got, &want, "{code}");
        }
        assert_eq!(
            m.mtta,
            mean(Some(600), 3),
            "the drill's 1-minute ack is left out"
        );
        assert_eq!(m.mttr, mean(Some(7_200), 2));
        // (kind, met, missed, share)
        #[rustfmt::skip]
        let shares = [
            (DeadlineKind::Acknowledge, 2, 1, Some(2.0 / 3.0)),
            (DeadlineKind::Notify, 0, 1, Some(0.0)),
            (DeadlineKind::Fix, 0, 0, None),
            (DeadlineKind::CustomerNotice, 0, 0, None),
        ];
        for (kind, met, missed, share) in shares {
            let d = m.deadlines.iter().find(|d| d.kind == kind).expect("kind");
            assert_eq!((d.met, d.missed), (met, missed), "{kind}");
            match (d.share, share) {
                (Some(got), Some(want)) => assert!((got - want).abs() < 1e-9, "{kind}"),
                (got, want) => assert_eq!(got, want, "{kind}"),
            }
        }
        assert_eq!(m.deadlines.len(), DeadlineKind::ALL.len());
        let count = |map: &BTreeMap<String, usize>, k: &str| map.get(k).copied();
        assert_eq!(count(&m.by_class, "leaked_production_secret"), Some(4));
        assert_eq!(count(&m.by_class, "unassessed"), Some(1));
        assert_eq!(count(&m.by_source, "report"), Some(4));
        assert_eq!(count(&m.by_source, "guardduty"), Some(1));
        let json = serde_json::to_value(&m).expect("json");
        assert_eq!(
            json["mtta"],
            serde_json::json!({"seconds": 600, "samples": 3})
        );
        assert_eq!(json["deadlines"][0]["kind"], "acknowledge");
        assert_eq!(json["by_severity"][4]["severity"], "unassessed");
    }

    // The annual report.

    /// The report lists every incident of its year and no other, and its
    /// drills; a year without a drill says the plan requires one.
    #[test]
    fn annual_report_covers_its_year_and_its_drills() {
        let mut all = fixture_set();
        let mut closed = fixture(
            "KLX-2026-000401",
            "2026-09-15T10:00:00Z",
            Some(Severity::Sev3),
        );
        closed.status = Status::Closed;
        all.push(closed);
        let (from, to) = year_window(2026);
        assert_eq!(
            (from, to),
            (t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
        );
        let m = metrics(&all, from, to, t("2027-01-05T00:00:00Z"));
        let md = annual_markdown(2026, &all, &m, Some("Izymes"));
        assert_golden("annual.md", &md);
        assert!(md.starts_with("# Izymes: annual security report 2026\n"));
        let (_, rest) = md.split_once("\n## Incidents\n").expect("incidents");
        let (incidents, drills) = rest.split_once("\n## Drills\n").expect("drills");
        for r in [
            "KLX-2026-000101",
            "KLX-2026-000102",
            "KLX-2026-000103",
            "KLX-2026-000201",
            "KLX-2026-000301",
            "KLX-2026-000401",
            "KLX-2026-000999",
        ] {
            assert!(
                incidents.contains(&format!("\n| {r} | ")),
                "{r} is a 2026 incident"
            );
        }
        assert!(!md.contains("KLX-2025-000001"), "a 2025 incident");
        assert!(
            !incidents.contains("KLX-2026-000900"),
            "the drill is listed apart"
        );
        let drill_row =
            "| KLX-2026-000900 | `leaked_production_secret` at SEV-1 | 2026-03-01 | 1m |";
        assert!(drills.contains(drill_row), "{drills}");
        assert!(!md.contains("No incident response drill"));
        for want in [
            "- **Incidents:** 7 (4 open, 2 resolved, 1 closed)",
            "| SEV-1 (Critical) | 4 | 32m 30s (n=4) | 2h (n=2) |",
            "| `leaked_production_secret` | 6 |",
            "| Acknowledgement | 2 | 1 | 67% |",
        ] {
            assert!(md.contains(want), "{want}\n{md}");
        }

        let (from, to) = year_window(2025);
        let m = metrics(&all, from, to, t("2026-01-05T00:00:00Z"));
        let md = annual_markdown(2025, &all, &m, None);
        assert!(md.starts_with("# Annual security report 2025\n"));
        assert!(md.contains("\n| KLX-2025-000001 | SEV-1 |"));
        assert!(!md.contains("KLX-2026-"));
        assert!(md.contains(
            "**No incident response drill was run in 2025.** The plan requires an annual drill"
        ));
    }

    // Drills.

    fn drill() -> Script {
        let mut s = Script::open(
            ReportInput {
                title: Some("Drill: compromised CI token".into()),
                description: Some("Annual incident response drill.".into()),
                tenant: Some("acme.atlassian.net".into()),
                ..Default::default()
            },
            Source::Report,
            "KLX-2026-DR0001",
            "2026-05-12T09:00:00Z",
        );
        s.incident.drill = true;
        s.incident.drill_scenario = Some(DrillScenario {
            class: IncidentClass::CompromisedCiToken,
            severity: Severity::Sev1,
        });
        s.triage("2026-05-12T09:00:30Z");
        s.step("2026-05-12T09:12:00Z", |ch, p| {
            clocks::acknowledge(ch, p, "Tom Becker", "page link", "drill").expect("ack");
        });
        #[rustfmt::skip]
        s.settle("2026-05-12T09:40:00Z", &[
            ("Disable the token", "Tom Becker", TaskState::Done, "Token disabled in the drill sandbox."),
            ("Review recent workflow runs", "Tom Becker", TaskState::Done, "Walked through the runbook."),
            ("Revoke derived credentials", "Tom Becker", TaskState::Done, "Walked through the runbook."),
            ("Rebuild affected artifacts", "Tom Becker", TaskState::Waived, "Drill: no artifacts to rebuild."),
        ]);
        #[rustfmt::skip]
        s.deliver(&[
            ("2026-05-12T09:01:00Z", Audience::OncallPrimary, "page", "[DRILL] PAGE L1 R1".into()),
            ("2026-05-12T09:01:00Z", Audience::SecurityTeam, "triage", "[DRILL] New SEV-1".into()),
            ("2026-05-12T09:11:00Z", Audience::OncallSecondary, "page", "[DRILL] PAGE L2 R1".into()),
        ]);
        s
    }

    /// Time to acknowledge counts from the start and from the first page;
    /// tasks are counted and listed by state.
    #[test]
    fn drill_report_times_the_ack_and_counts_tasks() {
        let s = drill();
        let r = drill_report(&s.incident, &s.sent);
        assert!(r.drill);
        let scenario = r.scenario.map(|sc| (sc.class, sc.severity));
        assert_eq!(
            scenario,
            Some((IncidentClass::CompromisedCiToken, Severity::Sev1))
        );
        assert_eq!(r.time_to_ack_seconds, Some(720));
        assert_eq!(r.page_to_ack_seconds, Some(660));
        assert_eq!(r.first_page_at, Some(t("2026-05-12T09:01:00Z")));
        let paged: Vec<Audience> = r.pages.iter().map(|p| p.audience).collect();
        assert_eq!(
            paged,
            vec![Audience::OncallPrimary, Audience::OncallSecondary]
        );
        // The five steps of the CI token play and the eight SEV-1 closure criteria.
        let counts = TaskCounts {
            total: 13,
            done: 3,
            waived: 1,
            open: 9,
        };
        assert_eq!(r.tasks, counts);
        let waived: Vec<Option<&str>> = r.waived.iter().map(|t| t.note.as_deref()).collect();
        assert_eq!(waived, vec![Some("Drill: no artifacts to rebuild.")]);
        let ack = r
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::Acknowledge);
        assert_eq!(ack.map(|d| d.outcome), Some(DeadlineOutcome::MetOnTime));
        assert_eq!((r.status, r.closed_at), (Status::Acknowledged, None));

        let md = drill_report_markdown(&r);
        assert_golden("drill.md", &md);
        for want in [
            "# Incident response drill: KLX-2026-DR0001",
            "| Scenario | `compromised_ci_token` at SEV-1 (Critical) |",
            "| First page | 2026-05-12 09:01 UTC (2 pages sent) |",
            "| Time to acknowledge | 12m from the start, 11m from the first page |",
            "| Tasks | 3 done, 1 waived, 9 open, of 13 |",
            "| 2026-05-12 09:11 UTC | oncall-secondary | \\[DRILL\\] PAGE L2 R1 |",
            "| Acknowledgement | 2026-05-12 13:00 UTC | 2026-05-12 09:12 UTC | met on time |",
            "### Waived\n\n- #5 Rebuild affected artifacts",
        ] {
            assert!(md.contains(want), "{want}\n{md}");
        }
        assert!(!md.contains("Not a drill"));
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["time_to_ack_seconds"], 720);
        assert_eq!(json["scenario"]["class"], "compromised_ci_token");
        assert_eq!(json["deadlines"][0]["outcome"], "met_on_time");
    }

    /// An incident that is not a drill still reports, but says it is no evidence.
    #[test]
    fn drill_report_of_a_real_incident_says_so() {
        let s = leaked_key();
        let r = drill_report(&s.incident, &s.sent);
        assert!(!r.drill);
        assert_eq!(r.time_to_ack_seconds, Some(420));
        assert!(drill_report_markdown(&r).contains("> **Not a drill.**"));
    }
}
