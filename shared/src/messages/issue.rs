//! What the tracker's issue says: its title, Klaxon's labels, a short body,
//! the status comments and the closing summary. Markdown, with every text
//! from outside escaped and mentions defused, so a report cannot ping a
//! team or link an issue.

use crate::domain::{Incident, Severity, Task, TimelineKind};
use crate::escape::markdown;
use crate::ports::IssueDraft;
use chrono::{DateTime, Utc};

/// GitHub's limit on an issue title.
const TITLE_LIMIT: usize = 256;
/// The report's description is quoted up to this many characters.
const DESCRIPTION_LIMIT: usize = 600;

/// The labels Klaxon owns on an issue: `security`, `sev-n`, the class and
/// `drill` for drills. A relabel sets these.
pub fn labels(incident: &Incident) -> Vec<String> {
    let mut out = vec!["security".to_owned()];
    if let Some(sev) = incident.severity {
        out.push(sev.code().to_ascii_lowercase());
    }
    if let Some(a) = &incident.assessment {
        out.push(a.class.to_string());
    }
    if incident.drill {
        out.push("drill".to_owned());
    }
    out
}

/// `[SEV-n] KLX-… <title>`, cut to the tracker's limit.
pub fn title(incident: &Incident) -> String {
    let sev = incident.severity.map(Severity::code).unwrap_or("SEV-?");
    let drill = if incident.drill { "[DRILL] " } else { "" };
    let full = format!(
        "{drill}[{sev}] {} {}",
        incident.reference,
        one_line(&incident.title)
    );
    cut(&full, TITLE_LIMIT)
}

/// The incident's API address, when the public URL is known.
pub fn link(incident: &Incident, api_base: Option<&str>) -> Option<String> {
    api_base.map(|b| {
        format!(
            "{}/api/v1/incidents/{}",
            b.trim_end_matches('/'),
            incident.id
        )
    })
}

/// The issue opened at triage: severity, reasons, deadlines and the link.
pub fn draft(incident: &Incident, api_base: Option<&str>) -> IssueDraft {
    let mut body = Vec::new();
    if incident.drill {
        body.push("**This is a drill.**".to_owned());
        body.push(String::new());
    }
    let sev = incident
        .severity
        .map(|s| format!("{} ({})", s.code(), s.name()))
        .unwrap_or_else(|| "not yet assessed".into());
    body.push(format!("**Severity:** {sev}  "));
    if let Some(a) = &incident.assessment {
        body.push(format!("**Class:** {}  ", a.class));
    }
    body.push(format!(
        "**Reference:** {} · **Source:** {} · **Reported:** {}",
        incident.reference,
        incident.source.as_str(),
        when(incident.created_at)
    ));
    let reasons: Vec<String> = incident
        .assessment
        .iter()
        .flat_map(|a| a.reasons.iter())
        .map(|r| {
            format!(
                "- {}: {}",
                defuse(&markdown::inline(&r.rule)),
                defuse(&markdown::inline(&r.evidence))
            )
        })
        .collect();
    if !reasons.is_empty() {
        body.push(String::new());
        body.push("**Why this severity**".to_owned());
        body.push(String::new());
        body.extend(reasons);
    }
    if !incident.deadlines.is_empty() {
        body.push(String::new());
        body.push("**Deadlines**".to_owned());
        body.push(String::new());
        for d in &incident.deadlines {
            body.push(format!("- {}: due {}", d.kind.label(), when(d.due_at)));
        }
    }
    body.push(String::new());
    body.push("**Report** (redacted)".to_owned());
    body.push(String::new());
    for l in markdown::lines(&cut(&incident.description, DESCRIPTION_LIMIT)) {
        body.push(format!("> {}", defuse(&l)));
    }
    if let Some(url) = link(incident, api_base) {
        body.push(String::new());
        body.push(format!("Incident: {url}"));
    }
    body.push(String::new());
    body.push(
        "_Opened by Klaxon, which keeps this issue in step with the incident: edit the incident, not this issue's labels._"
            .to_owned(),
    );
    IssueDraft {
        title: title(incident),
        body: body.join("\n"),
        labels: labels(incident),
    }
}

/// A status comment: the team's status update, as text rendered from the
/// editable template, quoted line by line.
pub fn status_comment(update: &str) -> String {
    let mut out = vec!["**Status update**".to_owned(), String::new()];
    for l in markdown::lines(update) {
        out.push(format!("> {}", defuse(&l)));
    }
    out.join("\n")
}

/// The closing comment: the review's summary of what happened.
pub fn close_summary(incident: &Incident, api_base: Option<&str>) -> String {
    let mut out = vec!["**Closed.** Summary from the post-incident record:".to_owned()];
    out.push(String::new());
    let sev = incident
        .severity
        .map(Severity::code)
        .unwrap_or("unassessed");
    out.push(format!("- Severity: {sev}"));
    if let Some(c) = &incident.containment {
        out.push(format!(
            "- Contained {}: {}",
            when(c.at),
            defuse(&markdown::inline(&c.action))
        ));
    }
    if let Some(r) = &incident.root_cause {
        let why = r
            .rationale
            .as_deref()
            .map(|w| format!(" ({})", defuse(&markdown::inline(w))))
            .unwrap_or_default();
        out.push(format!(
            "- Root cause: {}{why}",
            defuse(&markdown::inline(&r.cause))
        ));
    }
    if let Some(at) = incident.resolved_at {
        out.push(format!(
            "- Resolved {} ({} after the report)",
            when(at),
            span(at - incident.created_at)
        ));
    }
    let follow_ups = incident
        .tasks
        .iter()
        .filter(|t| t.section == crate::domain::TaskSection::FollowUp)
        .count();
    if follow_ups > 0 {
        out.push(format!("- Follow-up actions: {follow_ups}"));
    }
    if let Some(url) = link(incident, api_base) {
        out.push(format!("- Review: {url}/review.md"));
    }
    out.join("\n")
}

/// A follow-up action's own issue, linked from the incident's (GitHub
/// shows the `#n` reference on both).
pub fn follow_up(
    incident: &Incident,
    task: &Task,
    parent: &str,
    api_base: Option<&str>,
) -> IssueDraft {
    let drill = if incident.drill { "[DRILL] " } else { "" };
    let title = cut(
        &format!(
            "{drill}Follow-up {}: {}",
            incident.reference,
            one_line(&task.text)
        ),
        TITLE_LIMIT,
    );
    let mut body = vec![
        format!(
            "Follow-up action {} from incident {} (#{parent}).",
            task.id, incident.reference
        ),
        String::new(),
        format!("> {}", defuse(&markdown::inline(&task.text))),
        String::new(),
        format!(
            "**Owner:** {}  ",
            task.owner
                .as_deref()
                .map(|o| defuse(&markdown::inline(o)))
                .unwrap_or_else(|| "unassigned".into())
        ),
        format!(
            "**Due:** {}",
            task.due.map(when).unwrap_or_else(|| "not set".into())
        ),
    ];
    if let Some(url) = link(incident, api_base) {
        body.push(String::new());
        body.push(format!("Incident: {url}"));
    }
    let mut labels = vec!["security".to_owned(), "follow-up".to_owned()];
    if incident.drill {
        labels.push("drill".to_owned());
    }
    IssueDraft {
        title,
        body: body.join("\n"),
        labels,
    }
}

/// The incident's issue's comment that links a follow-up's issue.
pub fn follow_up_comment(task: u32, key: &str) -> String {
    format!("Follow-up action {task}: #{key}")
}

/// The timeline's words for an issue opened.
pub fn opened_note(system: &str, key: &str, url: &str) -> (TimelineKind, String) {
    (
        TimelineKind::Tracker,
        format!("tracked as {system} issue #{key} ({url})"),
    )
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn span(d: chrono::Duration) -> String {
    let mins = d.num_minutes().max(0);
    match mins {
        m if m < 120 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A zero-width space after `@` and `#`: no mention, no issue link.
fn defuse(s: &str) -> String {
    s.replace('@', "@\u{200b}").replace('#', "#\u{200b}")
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Assessment, IncidentClass, NewIncident, Play, Report, ReportInput, Source, Status,
    };

    fn incident(drill: bool) -> Incident {
        let report = Report::parse(ReportInput {
            title: Some("Admin API @security-team answers without a session".into()),
            description: Some("See #12 and [this](http://x) **now**".into()),
            ..Default::default()
        })
        .expect("report");
        let at = "2026-11-23T03:00:00Z".parse().expect("time");
        let mut i = NewIncident::from_report(report, Source::Report, None, at).incident;
        i.drill = drill;
        i.severity = Some(Severity::Sev1);
        i.status = Status::Triaged;
        i.assessment = Some(Assessment {
            severity: Severity::Sev1,
            class: IncidentClass::Unclassified,
            play: Play::Generic,
            reasons: vec![],
            cvss: None,
            flags: Default::default(),
            notes: vec![],
            needs_triage: false,
            confidence: Default::default(),
        });
        i
    }

    /// The title and labels follow the plan's form; a drill says so.
    #[test]
    fn title_and_labels() {
        let i = incident(false);
        assert_eq!(
            title(&i),
            format!(
                "[SEV-1] {} Admin API @security-team answers without a session",
                i.reference
            )
        );
        assert_eq!(labels(&i), ["security", "sev-1", "unclassified"]);
        let d = incident(true);
        assert!(title(&d).starts_with("[DRILL] [SEV-1] "));
        assert_eq!(labels(&d).last().map(String::as_str), Some("drill"));
    }

    /// Report text cannot mention, link an issue or add markup.
    #[test]
    fn body_defuses_report_text() {
        let d = draft(&incident(false), Some("https://klaxon.example"));
        assert!(d.body.contains("#\u{200b}12"), "{}", d.body);
        assert!(!d.body.contains("[this](http://x)"), "{}", d.body);
        assert!(d.body.contains("https://klaxon.example/api/v1/incidents/"));
        let c = status_comment("Status: contained\nby @alice");
        assert!(c.contains("> by @\u{200b}alice"), "{c}");
    }
}
