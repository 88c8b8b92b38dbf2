//! Rendering: one message for one audience, with a body per SNS protocol
//! (email and the default, SMS in one segment, the JSON document, the
//! Chatbot body for Slack and Teams).

use super::{TemplateError, Templates};
use crate::domain::{Audience, DeadlineKind, DomainEvent, Incident, MessageKind};
use crate::escape::chat;
use crate::ports::{Bodies, Message};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One SMS segment.
pub const SMS_LIMIT: usize = 160;

/// What rendering needs beyond the event and the incident.
pub struct Inputs<'a> {
    pub templates: &'a Templates,
    /// Where reporters and customers reach the team.
    pub contact: &'a str,
    /// The product name for customer-facing drafts.
    pub product: &'a str,
    /// The signed acknowledgement link, for pages.
    pub ack_url: Option<&'a str>,
    /// For a page to a person: the links their SMS and email carry, so
    /// the acknowledgement says which they answered. `ack_url` otherwise.
    pub sms_ack_url: Option<&'a str>,
    pub email_ack_url: Option<&'a str>,
    /// The API base, for links in machine documents.
    pub api_base: Option<&'a str>,
    /// The note recorded with an obligation (a status update's text).
    pub note: Option<&'a str>,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn flags(incident: &Incident) -> Vec<&'static str> {
    let Some(a) = &incident.assessment else {
        return Vec::new();
    };
    let mut v = Vec::new();
    if a.flags.customer_data_involved {
        v.push("customer data involved");
    }
    if a.flags.atlassian_notification_required {
        v.push("Atlassian must be notified");
    }
    if a.flags.customer_notification_required {
        v.push("customers must be notified");
    }
    v
}

/// Renders one message. Errors name the template; they only happen with an
/// edited template that references something missing at render time.
pub fn render(
    event: &DomainEvent,
    incident: &Incident,
    audience: Audience,
    kind: MessageKind,
    inputs: &Inputs<'_>,
) -> Result<Message, TemplateError> {
    let sev = incident.severity;
    let class = incident
        .assessment
        .as_ref()
        .map(|a| a.class.to_string())
        .unwrap_or_else(|| "unclassified".into());
    let play = incident
        .assessment
        .as_ref()
        .and_then(|a| serde_json::to_value(a.play).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let i = json!({
        "id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "description": incident.description,
        "severity": sev.map(|s| s.code()).unwrap_or("unassessed"),
        "severity_name": sev.map(|s| s.name()).unwrap_or("not yet assessed"),
        "status": incident.status,
        "class": class,
        "play": play,
        "tenant": incident.tenant,
        "product": incident.product,
        "impact": incident.impact,
        "source": incident.source.as_str(),
        "started": when(incident.created_at),
        "commander": incident.roles.get("incident_commander").map(String::as_str).unwrap_or("unassigned"),
        "needs_triage": incident.needs_triage(),
    });
    let person = event.step.as_ref().and_then(|s| s.person.as_ref());
    let step = event.step.as_ref().map(|s| {
        json!({
            "audience": s.audience,
            "person": s.person.as_ref().map(|p| p.label()),
            "reason": s.reason,
            "deadline": s.deadline.map(|d| d.label()),
            "due": s.due_at.map(when),
            "level": s.level,
            "round": s.round,
            "reminder": s.reminder,
        })
    });
    let reasons: Vec<Value> = incident
        .assessment
        .iter()
        .flat_map(|a| a.reasons.iter())
        .map(|r| json!({"rule": r.rule, "evidence": r.evidence}))
        .collect();
    let deadlines: Vec<Value> = incident
        .deadlines
        .iter()
        .map(|d| json!({"label": d.kind.label(), "due": when(d.due_at), "met": d.met_at.map(when)}))
        .collect();
    let due = |k: DeadlineKind| incident.deadline(k).map(|d| when(d.due_at));
    let drill = if incident.drill { "[DRILL] " } else { "" };
    let base = json!({
        "i": i,
        "step": step,
        "reasons": reasons,
        "deadlines": deadlines,
        "flags": flags(incident),
        "drill": drill,
        "ack_url": inputs.email_ack_url.or(inputs.ack_url),
        "person": person.map(|p| p.label()),
        "actor": event.actor.as_deref().unwrap_or("someone"),
        "contact": inputs.contact,
        "product": incident.product.as_deref().unwrap_or(inputs.product),
        "note": inputs.note,
        "next_update": due(DeadlineKind::StatusUpdate),
        "fix_due": due(DeadlineKind::Fix),
        "notice_due": due(DeadlineKind::CustomerNotice),
        "report_due": due(DeadlineKind::AtlassianReport),
        "customer_data": incident.assessment.as_ref().is_some_and(|a| a.flags.customer_data_involved),
        "title": incident.title,
        "resolved": incident.resolved_at.map(when),
    });
    let ctx = minijinja::Value::from_serialize(&base);
    let t = inputs.templates;
    let sev_code = sev.map(|s| s.code()).unwrap_or("unassessed");
    let headline = |what: &str| {
        format!(
            "{drill}{what}: [{sev_code}] {}: {}",
            incident.reference, incident.title
        )
    };
    let (subject, text) = match kind {
        MessageKind::Page => (
            t.render("page.subject.txt", &ctx)?,
            t.render("page.email.txt", &ctx)?,
        ),
        MessageKind::Triage => (
            t.render("triage.subject.txt", &ctx)?,
            t.render("triage.email.txt", &ctx)?,
        ),
        MessageKind::SeverityChanged => (
            headline(&format!("Severity now {sev_code}")),
            t.render("triage.email.txt", &ctx)?,
        ),
        MessageKind::Clock => (
            t.render("clock.subject.txt", &ctx)?,
            t.render("clock.email.txt", &ctx)?,
        ),
        MessageKind::Acknowledged => (
            t.render("ack.subject.txt", &ctx)?,
            t.render("ack.email.txt", &ctx)?,
        ),
        MessageKind::StatusUpdate => (
            headline("Status update"),
            t.render("status_update.txt", &ctx)?,
        ),
        MessageKind::SeverityNotification => (
            headline(&format!("DRAFT {}", draft_label(kind))),
            t.render("severity_notification.txt", &ctx)?,
        ),
        MessageKind::CustomerNotice => (
            headline(&format!("DRAFT {}", draft_label(kind))),
            t.render("customer_notice.txt", &ctx)?,
        ),
        MessageKind::AtlassianReport => (
            headline(&format!("DRAFT {}", draft_label(kind))),
            t.render("atlassian_report.txt", &ctx)?,
        ),
        MessageKind::PatchRelease => (
            headline(&format!("DRAFT {}", draft_label(kind))),
            t.render("patch_release.txt", &ctx)?,
        ),
        MessageKind::ChangelogNotice => (
            headline(&format!("DRAFT {}", draft_label(kind))),
            t.render("changelog_notice.txt", &ctx)?,
        ),
    };
    let sms = match kind {
        MessageKind::Page => fit_sms(&incident.title, |title| {
            let mut v = base.clone();
            v["title"] = Value::String(title.to_owned());
            v["ack_url"] = json!(inputs.sms_ack_url.or(inputs.ack_url));
            t.render("page.sms.txt", &minijinja::Value::from_serialize(&v))
        })?,
        _ => truncate(&subject, SMS_LIMIT),
    };
    let links = json!({
        "ack": inputs.ack_url,
        "incident": inputs.api_base.map(|b| format!("{}/api/v1/incidents/{}", b.trim_end_matches('/'), incident.id)),
    });
    let document = json!({
        "kind": kind.as_str(),
        "event": event.kind.detail_type(),
        "event_id": event.id,
        "audience": audience,
        "incident_id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "class": class,
        "tenant": incident.tenant,
        "drill": incident.drill,
        "step": event.step,
        "actor": event.actor,
        "deadlines": incident.deadlines,
        "links": links,
        "text": text,
    });
    let mut next_steps = Vec::new();
    if let Some(url) = inputs.ack_url {
        next_steps.push(format!("Acknowledge: {url}"));
    }
    if matches!(kind, MessageKind::Page | MessageKind::Clock) {
        next_steps.push(format!("Or run: klaxon ack {}", incident.reference));
    }
    // Slack and Teams render this body as markup: everything in it that
    // carries free text goes through the one chat escaper.
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "id": format!("{}-{}", event.id, audience),
        "content": {
            "textType": "client-markdown",
            "title": chat::fit(&subject, 250),
            "description": chat::fit(&text, 3500),
            "nextSteps": next_steps,
            "keywords": [sev_code, class, audience.as_str()],
        },
        "metadata": {
            "threadId": incident.reference,
            "summary": chat::fit(&subject, 250),
            "eventType": event.kind.detail_type(),
            "additionalContext": {
                "incident_id": incident.id.to_string(),
                "reference": incident.reference.to_string(),
                "severity": sev_code,
                "status": incident.status.as_str(),
                "drill": incident.drill.to_string(),
            },
        },
    });
    let mut attrs = BTreeMap::new();
    attrs.insert("severity".into(), sev_code.to_owned());
    attrs.insert("audience".into(), audience.as_str().to_owned());
    attrs.insert("event".into(), event.kind.detail_type().to_owned());
    attrs.insert("kind".into(), kind.as_str().to_owned());
    attrs.insert("incident_class".into(), class.clone());
    // SNS refuses empty attribute values.
    attrs.insert(
        "tenant".into(),
        incident
            .tenant
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("none")
            .to_owned(),
    );
    attrs.insert("drill".into(), incident.drill.to_string());
    // What each person's subscriptions filter on (docs/oncall.md).
    if let Some(p) = person {
        attrs.insert("person".into(), p.person.to_string());
    }
    Ok(Message {
        id: None,
        to: person.cloned(),
        audience,
        subject,
        message_attributes: attrs,
        message: Bodies {
            default: text.clone(),
            sms,
            email: text,
            json: document,
            https: chat,
        },
    })
}

/// What a draft's subject calls it.
fn draft_label(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::SeverityNotification => "Critical/High severity notification",
        MessageKind::CustomerNotice => "customer notice",
        MessageKind::AtlassianReport => "Atlassian security incident report",
        MessageKind::PatchRelease => "patch release notification",
        MessageKind::ChangelogNotice => "CHANGELOG.md security notice",
        _ => "",
    }
}

pub(crate) fn truncate(s: &str, limit: usize) -> String {
    if s.chars().count() <= limit {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Renders the SMS with the title shortened until the whole fits one segment;
/// the link is never cut, since a cut link is useless.
fn fit_sms<F>(title: &str, render: F) -> Result<String, TemplateError>
where
    F: Fn(&str) -> Result<String, TemplateError>,
{
    let full = render(title)?;
    if full.chars().count() <= SMS_LIMIT {
        return Ok(full);
    }
    let overhead = render("")?.chars().count();
    let room = SMS_LIMIT.saturating_sub(overhead);
    let shortened = if room >= 2 {
        truncate(title, room)
    } else {
        String::new()
    };
    let out = render(&shortened)?;
    Ok(if out.chars().count() <= SMS_LIMIT {
        out
    } else {
        truncate(&out, SMS_LIMIT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Assessment, EventKind, Flags, IncidentClass, NewIncident, Play, Report, ReportInput,
        Severity, Source, Status, Step, StepReason,
    };

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

    fn render_page(i: &Incident, t: &Templates, ack: Option<&str>) -> Message {
        let e = event(
            EventKind::EscalationTriggered,
            i,
            Some(page_step(Audience::OncallPrimary)),
        );
        render(
            &e,
            i,
            Audience::OncallPrimary,
            MessageKind::Page,
            &inputs(t, ack),
        )
        .expect("render")
    }

    fn inputs<'a>(t: &'a Templates, ack: Option<&'a str>) -> Inputs<'a> {
        Inputs {
            templates: t,
            contact: "security@example.com",
            product: "Acme Macros",
            ack_url: ack,
            sms_ack_url: None,
            email_ack_url: None,
            api_base: Some("https://klaxon.example.com"),
            note: Some("containment: key revoked"),
        }
    }

    /// Every kind renders from the built-in templates, every body is filled,
    /// and the attributes name what subscriptions filter on.
    #[test]
    fn every_kind_renders() {
        let t = Templates::builtin();
        let i = incident(Severity::Sev1, ALL_FLAGS, false, "Auth bypass in admin API");
        let kinds = [
            MessageKind::Page,
            MessageKind::Triage,
            MessageKind::SeverityChanged,
            MessageKind::Clock,
            MessageKind::Acknowledged,
            MessageKind::StatusUpdate,
            MessageKind::SeverityNotification,
            MessageKind::CustomerNotice,
            MessageKind::AtlassianReport,
            MessageKind::PatchRelease,
            MessageKind::ChangelogNotice,
        ];
        for kind in kinds {
            let e = event(
                EventKind::EscalationTriggered,
                &i,
                Some(page_step(Audience::OncallPrimary)),
            );
            let m = render(
                &e,
                &i,
                Audience::OncallPrimary,
                kind,
                &inputs(&t, Some("https://k.example/ack/x")),
            )
            .unwrap_or_else(|err| panic!("{kind:?}: {err}"));
            assert!(
                !m.subject.is_empty() && !m.message.email.is_empty(),
                "{kind:?}"
            );
            assert!(m.message.sms.chars().count() <= SMS_LIMIT, "{kind:?}");
            assert!(
                m.subject.contains(i.reference.as_str()),
                "{kind:?}: {}",
                m.subject
            );
            for a in [
                "severity",
                "audience",
                "event",
                "kind",
                "incident_class",
                "tenant",
                "drill",
            ] {
                assert!(!m.attr(a).is_empty(), "{kind:?} lacks {a}");
            }
            assert_eq!(m.attr("kind"), kind.as_str());
            assert_eq!(m.message.json["reference"], i.reference.as_str());
            assert_eq!(m.message.https["version"], "1.0");
            assert_eq!(m.message.https["source"], "custom");
            assert_eq!(
                m.message.https["metadata"]["threadId"],
                i.reference.as_str()
            );
            if kind.is_draft() {
                assert!(
                    m.message.email.starts_with("DRAFT"),
                    "{kind:?}: {}",
                    m.message.email
                );
                assert!(m.message.email.contains("security@example.com"), "{kind:?}");
            }
        }
    }

    #[test]
    fn the_seeds_fields_are_in_their_templates() {
        let t = Templates::builtin();
        let i = incident(Severity::Sev2, ALL_FLAGS, false, "Leaked key");
        let e = event(EventKind::IncidentTriaged, &i, None);
        let text = |k| {
            render(&e, &i, Audience::Comms, k, &inputs(&t, None))
                .expect("render")
                .message
                .email
        };
        let cases: [(MessageKind, &[&str]); 6] = [
            (
                MessageKind::SeverityNotification,
                &[
                    "SEVERITY: High",
                    "IMPACT:",
                    "TIMELINE:",
                    "ACTION:",
                    "updates every 24 hours",
                ],
            ),
            (
                MessageKind::StatusUpdate,
                &[
                    "Incident:",
                    "Severity: SEV-2",
                    "Status: triaged",
                    "Started:",
                    "Commander:",
                    "Known impact:",
                    "Current actions: containment: key revoked",
                    "Next update:",
                ],
            ),
            (
                MessageKind::CustomerNotice,
                &[
                    "What happened",
                    "When",
                    "What information was involved",
                    "What we have done",
                    "What you should do",
                    "How to contact us",
                    "Confirmed facts:",
                    "Hypotheses",
                ],
            ),
            (
                MessageKind::AtlassianReport,
                &[
                    "Category and scope",
                    "How it happened",
                    "end-user data compromised",
                    "How long the issue existed",
                    "Who was affected",
                    "Contact:",
                ],
            ),
            (
                MessageKind::PatchRelease,
                &[
                    "[SECURITY PATCH]",
                    "ISSUE:",
                    "SEVERITY: High",
                    "PATCH NOTES:",
                ],
            ),
            (
                MessageKind::ChangelogNotice,
                &["CHANGELOG.md", "### Security", "SEV-", "What to do: update"],
            ),
        ];
        for (kind, needles) in cases {
            let body = text(kind);
            for n in needles {
                assert!(body.contains(n), "{kind:?} lacks {n:?}:\n{body}");
            }
        }
    }

    /// A report's text reaches chat as text: no `<!channel>`, mention,
    /// Slack link or Markdown link/image survives into the Chatbot body.
    /// (The description went in raw.) Email and the JSON document keep
    /// the text as typed: they are not markup.
    #[test]
    fn the_chat_body_escapes_free_text() {
        let t = Templates::builtin();
        let hostile = "<!channel> <@U024BE7LH> <https://evil.example|Klaxon SSO> [Log in](https://evil.example) ![](https://evil.example/p.png) @here";
        let mut i = incident(
            Severity::Sev1,
            ALL_FLAGS,
            false,
            "Auth <!here> [bypass](https://evil.example)",
        );
        i.description = hostile.into();
        let e = event(EventKind::IncidentTriaged, &i, None);
        let m = render(
            &e,
            &i,
            Audience::SecurityTeam,
            MessageKind::Triage,
            &inputs(&t, None),
        )
        .expect("render");
        let content = &m.message.https["content"];
        let chat_text = [
            content["title"].as_str().expect("title"),
            content["description"].as_str().expect("description"),
            m.message.https["metadata"]["summary"]
                .as_str()
                .expect("summary"),
        ];
        for text in chat_text {
            for bad in ["<!", "<@", "<http", "](", "@here"] {
                let raw = text
                    .match_indices(bad)
                    .any(|(at, _)| bad != "](" || !text[..at].ends_with('\\'));
                assert!(!raw, "{bad:?} in the chat body: {text}");
            }
        }
        let description = chat_text[1];
        assert!(description.contains("&lt;!channel&gt;"), "{description}");
        assert!(
            description.contains("\\[Log in\\](https://evil.example)"),
            "{description}"
        );
        assert!(m.message.email.contains(hostile), "email is plain text");
        assert!(
            m.message.json["text"]
                .as_str()
                .is_some_and(|t| t.contains(hostile)),
            "the JSON document carries the text as typed"
        );
    }

    /// A page to triage says so in every form, until a person sets the
    /// severity.
    #[test]
    fn a_triage_page_says_it_needs_triage() {
        let t = Templates::builtin();
        let mut i = incident(
            Severity::Sev3,
            Flags::default(),
            false,
            "Please take a look",
        );
        if let Some(a) = i.assessment.as_mut() {
            a.needs_triage = true;
        }
        let m = render_page(&i, &t, Some("https://k.example.com/ack/x"));
        assert!(m.subject.starts_with("TRIAGE PAGE L"), "{}", m.subject);
        assert!(
            m.message.sms.starts_with("TRIAGE SEV-3 "),
            "{}",
            m.message.sms
        );
        assert!(
            m.message.sms.chars().count() <= SMS_LIMIT,
            "{}",
            m.message.sms
        );
        let text = m.message.json["text"].as_str().unwrap_or("");
        assert!(text.contains("Needs triage: "), "{text}");
        i.severity_override = Some(crate::domain::SeverityOverride {
            severity: Severity::Sev2,
            reason: "seen".into(),
            by: "carol".into(),
            at: at(),
        });
        let m = render_page(&i, &t, None);
        assert!(m.subject.starts_with("PAGE L"), "{}", m.subject);
        assert!(
            !m.message.json["text"]
                .as_str()
                .unwrap_or("")
                .contains("Needs triage")
        );
    }

    #[test]
    fn sms_fits_one_segment_and_keeps_the_link_whole() {
        let t = Templates::builtin();
        let long = "A".repeat(200);
        let i = incident(Severity::Sev1, Flags::default(), false, &long);
        let link = "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/ack/2026-7QX4MZ.p.t4kx2b.AAAAAAAAAAAAAAAAAAAAAA";
        let m = render_page(&i, &t, Some(link));
        assert!(
            m.message.sms.chars().count() <= SMS_LIMIT,
            "{}",
            m.message.sms.chars().count()
        );
        assert!(m.message.sms.ends_with(link), "{}", m.message.sms);
        assert!(
            m.message.sms.starts_with(&format!("SEV-1 {}", i.reference)),
            "{}",
            m.message.sms
        );
        let short = incident(Severity::Sev1, Flags::default(), false, "XSS");
        let m = render_page(&short, &t, Some(link));
        assert!(m.message.sms.contains(" XSS Ack: "), "{}", m.message.sms);
    }

    #[test]
    fn drills_are_marked_everywhere() {
        let t = Templates::builtin();
        let i = incident(Severity::Sev1, Flags::default(), true, "Drill: leaked key");
        for kind in [
            MessageKind::Page,
            MessageKind::Triage,
            MessageKind::Clock,
            MessageKind::Acknowledged,
            MessageKind::StatusUpdate,
        ] {
            let e = event(
                EventKind::EscalationTriggered,
                &i,
                Some(page_step(Audience::OncallPrimary)),
            );
            let m =
                render(&e, &i, Audience::OncallPrimary, kind, &inputs(&t, None)).expect("render");
            assert!(m.subject.starts_with("[DRILL] "), "{kind:?}: {}", m.subject);
            assert!(
                m.message.sms.starts_with("[DRILL] "),
                "{kind:?}: {}",
                m.message.sms
            );
            assert!(
                m.message.email.starts_with("[DRILL] "),
                "{kind:?}: {}",
                m.message.email
            );
            assert_eq!(m.attr("drill"), "true");
        }
    }

    #[test]
    fn a_team_can_override_a_template() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("page.sms.txt"), "WAKE UP {{ i.reference }}")
            .expect("write");
        let t = Templates::load(dir.path()).expect("load");
        let i = incident(Severity::Sev1, Flags::default(), false, "t");
        let m = render_page(&i, &t, None);
        assert_eq!(m.message.sms, format!("WAKE UP {}", i.reference));
        std::fs::write(dir.path().join("triage.email.txt"), "{% if %}").expect("write");
        let e = Templates::load(dir.path()).expect_err("a broken template stops start-up");
        assert!(e.to_string().contains("triage.email.txt"), "{e}");
    }
}
