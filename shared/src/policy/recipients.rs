//! Who is told what: for each event, the audiences to tell and the kind of
//! message each gets. The plan's communication rules, pure.

use crate::domain::{
    Audience, DeadlineKind, DomainEvent, EventKind, Incident, MessageKind, Severity,
};

/// Who is told what about an event: the audiences and the kind of message
/// each gets.
pub fn recipients(event: &DomainEvent, incident: &Incident) -> Vec<(Audience, MessageKind)> {
    let step_audience = event.step.iter().map(|s| s.audience);
    let mut out: Vec<(Audience, MessageKind)> = match event.kind {
        EventKind::EscalationTriggered => step_audience.map(|a| (a, MessageKind::Page)).collect(),
        EventKind::SlaReminder | EventKind::SlaBreached => {
            step_audience.map(|a| (a, MessageKind::Clock)).collect()
        }
        EventKind::IncidentTriaged => vec![(Audience::SecurityTeam, MessageKind::Triage)],
        EventKind::SeverityChanged => vec![(Audience::SecurityTeam, MessageKind::SeverityChanged)],
        EventKind::IncidentAcknowledged => {
            vec![(Audience::SecurityTeam, MessageKind::Acknowledged)]
        }
        EventKind::ObligationRecorded => match event.obligation {
            Some(DeadlineKind::StatusUpdate) => {
                let mut v = vec![(Audience::SecurityTeam, MessageKind::StatusUpdate)];
                if incident.severity.is_some_and(|s| s <= Severity::Sev2) {
                    v.push((Audience::Leadership, MessageKind::StatusUpdate));
                }
                v
            }
            Some(DeadlineKind::Fix) => vec![(Audience::Comms, MessageKind::PatchRelease)],
            _ => Vec::new(),
        },
        // The team hears every step of the lifecycle, in the status-update
        // form; at resolution comms gets the CHANGELOG.md notice to draft.
        EventKind::StatusChanged => {
            let mut v = vec![(Audience::SecurityTeam, MessageKind::StatusUpdate)];
            if event.status == crate::domain::Status::Resolved {
                v.push((Audience::Comms, MessageKind::ChangelogNotice));
            }
            v
        }
        // The tracker's: it opens the follow-up's own issue.
        EventKind::ReportReceived | EventKind::FollowUpAdded => Vec::new(),
    };
    if event.kind == EventKind::IncidentTriaged {
        let flags = incident
            .assessment
            .as_ref()
            .map(|a| a.flags)
            .unwrap_or_default();
        if incident.severity.is_some_and(|s| s <= Severity::Sev2) {
            out.push((Audience::Comms, MessageKind::SeverityNotification));
        }
        if flags.customer_notification_required {
            out.push((Audience::Comms, MessageKind::CustomerNotice));
        }
        if flags.atlassian_notification_required {
            out.push((Audience::Comms, MessageKind::AtlassianReport));
        }
    }
    if event.drill {
        // A drill exercises the people, never the customers.
        out.retain(|(_, k)| !k.is_draft());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Assessment, Flags, IncidentClass, NewIncident, Play, Report, ReportInput, Source, Status,
        Step, StepReason,
    };
    use chrono::{DateTime, Utc};

    fn at() -> DateTime<Utc> {
        "2026-11-23T03:00:00Z".parse().expect("time")
    }

    fn incident(sev: Severity, flags: Flags, drill: bool, title: &str) -> Incident {
        let report = Report::parse(ReportInput {
            title: Some(title.into()),
            description: Some("The admin API answers without a session.".into()),
            tenant: Some("acme.atlassian.net".into()),
            ..Default::default()
        })
        .expect("report");
        let mut i = NewIncident::from_report(report, Source::Report, None, at()).incident;
        i.drill = drill;
        i.severity = Some(sev);
        i.status = Status::Triaged;
        i.assessment = Some(Assessment {
            severity: sev,
            class: IncidentClass::Unclassified,
            play: Play::Generic,
            reasons: vec![],
            cvss: None,
            flags,
            notes: vec![],
            needs_triage: false,
            confidence: Default::default(),
        });
        i.deadlines = crate::policy::Policy::builtin().deadlines(
            i.assessment.as_ref().expect("assessment"),
            at(),
            at(),
        );
        i
    }

    fn event(kind: EventKind, i: &Incident, step: Option<Step>) -> DomainEvent {
        let mut e = DomainEvent::new(kind, i, at());
        e.step = step;
        e
    }

    fn page_step(audience: Audience) -> Step {
        Step {
            audience,
            reason: StepReason::Unacknowledged,
            deadline: Some(DeadlineKind::Acknowledge),
            due_at: Some(at()),
            level: Some(2),
            round: Some(1),
            reminder: None,
            person: None,
        }
    }

    const ALL_FLAGS: Flags = Flags {
        customer_data_involved: true,
        atlassian_notification_required: true,
        customer_notification_required: true,
    };

    #[test]
    fn plan_table() {
        use Audience::*;
        use MessageKind::*;
        let sev1 = incident(Severity::Sev1, ALL_FLAGS, false, "t");
        let sev3 = incident(Severity::Sev3, Flags::default(), false, "t");
        let drill = incident(Severity::Sev1, ALL_FLAGS, true, "t");
        let mut status = event(EventKind::ObligationRecorded, &sev1, None);
        status.obligation = Some(DeadlineKind::StatusUpdate);
        let mut fix = event(EventKind::ObligationRecorded, &sev1, None);
        fix.obligation = Some(DeadlineKind::Fix);
        let mut drill_fix = event(EventKind::ObligationRecorded, &drill, None);
        drill_fix.obligation = Some(DeadlineKind::Fix);
        let mut resolved = event(EventKind::StatusChanged, &sev1, None);
        resolved.status = Status::Resolved;
        let mut drill_resolved = event(EventKind::StatusChanged, &drill, None);
        drill_resolved.status = Status::Resolved;
        type Case<'a> = (
            &'a str,
            DomainEvent,
            &'a Incident,
            Vec<(Audience, MessageKind)>,
        );
        let cases: Vec<Case> = vec![
            (
                "SEV-1 triage with every flag: the team, and three drafts for comms",
                event(EventKind::IncidentTriaged, &sev1, None),
                &sev1,
                vec![
                    (SecurityTeam, Triage),
                    (Comms, SeverityNotification),
                    (Comms, CustomerNotice),
                    (Comms, AtlassianReport),
                ],
            ),
            (
                "SEV-3 triage: the team only",
                event(EventKind::IncidentTriaged, &sev3, None),
                &sev3,
                vec![(SecurityTeam, Triage)],
            ),
            (
                "a drill drafts nothing customer-facing",
                event(EventKind::IncidentTriaged, &drill, None),
                &drill,
                vec![(SecurityTeam, Triage)],
            ),
            (
                "a page goes to its step's audience",
                event(
                    EventKind::EscalationTriggered,
                    &sev1,
                    Some(page_step(OncallSecondary)),
                ),
                &sev1,
                vec![(OncallSecondary, Page)],
            ),
            (
                "status update: team and leadership",
                status,
                &sev1,
                vec![(SecurityTeam, StatusUpdate), (Leadership, StatusUpdate)],
            ),
            (
                "fix released: the patch notice draft",
                fix,
                &sev1,
                vec![(Comms, PatchRelease)],
            ),
            ("a drill's fix drafts nothing", drill_fix, &drill, vec![]),
            (
                "a status change: the team, with the status update",
                event(EventKind::StatusChanged, &sev1, None),
                &sev1,
                vec![(SecurityTeam, StatusUpdate)],
            ),
            (
                "resolution: the update, and the CHANGELOG.md notice for comms",
                resolved.clone(),
                &sev1,
                vec![(SecurityTeam, StatusUpdate), (Comms, ChangelogNotice)],
            ),
            (
                "a drill's resolution drafts nothing",
                drill_resolved,
                &drill,
                vec![(SecurityTeam, StatusUpdate)],
            ),
            (
                "report received: nobody yet",
                event(EventKind::ReportReceived, &sev1, None),
                &sev1,
                vec![],
            ),
        ];
        for (name, e, i, want) in cases {
            assert_eq!(recipients(&e, i), want, "{name}");
        }
    }
}
