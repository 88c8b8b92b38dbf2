//! Drill evidence: what a drill paged, met and left open.

use super::markdown::*;
use super::metrics::*;
use crate::domain::{
    Acknowledgement, Audience, DeadlineKind, DeadlineOutcome, DrillScenario, Incident, Status,
    Task, TaskSection, TaskState, deadline_outcome,
};
use crate::ports::SentNotification;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageSent {
    pub audience: Audience,
    pub at: DateTime<Utc>,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineResult {
    pub kind: DeadlineKind,
    pub due_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    pub outcome: DeadlineOutcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    pub total: usize,
    pub done: usize,
    pub waived: usize,
    pub open: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskItem {
    pub id: u32,
    pub section: TaskSection,
    pub text: String,
    /// What was done, or why it was waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
}

/// Audit evidence of one drill: who was paged, how fast they answered,
/// which deadlines held and how far the checklists got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrillReport {
    pub reference: String,
    pub title: String,
    /// False when the incident was not a drill: the report is then no
    /// evidence of one.
    pub drill: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<DrillScenario>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub started_at: DateTime<Utc>,
    pub pages: Vec<PageSent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_page_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
    /// From the start of the drill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_ack_seconds: Option<i64>,
    /// From the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_to_ack_seconds: Option<i64>,
    /// Judged at closure; unmet deadlines of an unclosed drill are open.
    pub deadlines: Vec<DeadlineResult>,
    pub tasks: TaskCounts,
    pub done: Vec<TaskItem>,
    pub waived: Vec<TaskItem>,
    pub open: Vec<TaskItem>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
}

/// The evidence of a drill from its record and the messages delivered for
/// it (pages are the messages of kind `page`).
pub fn drill_report(incident: &Incident, sent: &[SentNotification]) -> DrillReport {
    let i = incident;
    let mut pages: Vec<PageSent> = sent
        .iter()
        .filter(|n| n.kind == "page")
        .map(|n| PageSent {
            audience: n.audience,
            at: n.at,
            subject: n.subject.clone(),
        })
        .collect();
    pages.sort_by_key(|p| (p.at, p.audience));
    let first_page_at = pages.first().map(|p| p.at);
    let ack_at = i.acknowledged.as_ref().map(|a| a.at);
    let item = |t: &Task| TaskItem {
        id: t.id,
        section: t.section,
        text: t.text.clone(),
        note: t.note.clone(),
        settled_by: t.settled_by.clone(),
        settled_at: t.settled_at,
    };
    let list = |s: TaskState| -> Vec<TaskItem> {
        i.tasks.iter().filter(|t| t.state == s).map(item).collect()
    };
    let (done, waived, open) = (
        list(TaskState::Done),
        list(TaskState::Waived),
        list(TaskState::Open),
    );
    DrillReport {
        reference: i.reference.to_string(),
        title: i.title.to_string(),
        drill: i.drill,
        scenario: i.drill_scenario,
        tenant: i.tenant.as_deref().map(str::to_owned),
        started_at: i.created_at,
        first_page_at,
        acknowledged: i.acknowledged.clone(),
        time_to_ack_seconds: ack_secs(i),
        page_to_ack_seconds: ack_at
            .zip(first_page_at)
            .map(|(a, p)| (a - p).num_seconds()),
        pages,
        deadlines: i
            .deadlines
            .iter()
            .map(|d| DeadlineResult {
                kind: d.kind,
                due_at: d.due_at,
                met_at: d.met_at,
                outcome: deadline_outcome(i, d, i.closed_at),
            })
            .collect(),
        tasks: TaskCounts {
            total: i.tasks.len(),
            done: done.len(),
            waived: waived.len(),
            open: open.len(),
        },
        done,
        waived,
        open,
        status: i.status,
        closed_at: i.closed_at,
    }
}

fn outcome_label(o: DeadlineOutcome) -> &'static str {
    match o {
        DeadlineOutcome::MetOnTime => "met on time",
        DeadlineOutcome::MetLate => "met late",
        DeadlineOutcome::Breached => "breached",
        DeadlineOutcome::Missed => "missed",
        DeadlineOutcome::NotOwed => "stopped at resolution",
        DeadlineOutcome::Open => "open",
    }
}

fn task_lines(out: &mut String, heading: &str, items: &[TaskItem]) {
    if items.is_empty() {
        return;
    }
    put!(out, "### {heading}");
    put!(out);
    for t in items {
        let mut line = format!("- #{} {}", t.id, prose(&t.text));
        if let (Some(by), Some(at)) = (&t.settled_by, t.settled_at) {
            let _ = write!(line, " ({}, {})", prose(by), utc(at));
        }
        if let Some(n) = &t.note {
            let _ = write!(line, ": {}", prose(n));
        }
        put!(out, "{line}");
    }
    put!(out);
}

/// The drill evidence as a Markdown page for the auditor. Times in UTC.
pub fn drill_report_markdown(r: &DrillReport) -> String {
    let mut out = String::new();
    put!(out, "# Incident response drill: {}", r.reference);
    put!(out);
    put!(out, "**{}**", prose(&r.title));
    put!(out);
    if !r.drill {
        put!(
            out,
            "> **Not a drill.** This incident is not marked as a drill, so this page is no evidence of one."
        );
        put!(out);
    }
    put!(
        out,
        "Evidence of the plan's incident response drill: a simulated incident walked through the workflow, with the contacts paged and the notification systems tested."
    );
    put!(out);
    put!(out, "| Item | Result |");
    put!(out, "|---|---|");
    let mut row = |k: &str, v: String| put!(out, "| {k} | {v} |");
    row(
        "Scenario",
        match r.scenario {
            Some(s) => format!(
                "`{}` at {} ({})",
                s.class.id(),
                s.severity.code(),
                s.severity.name()
            ),
            None => "not recorded".into(),
        },
    );
    if let Some(t) = &r.tenant {
        row("Tenant", cell(t));
    }
    row("Started", utc(r.started_at));
    row(
        "First page",
        match r.first_page_at {
            Some(t) => format!(
                "{} ({} sent)",
                utc(t),
                count(r.pages.len(), "page", "pages")
            ),
            None => "no page was sent".into(),
        },
    );
    row(
        "Acknowledged",
        match &r.acknowledged {
            Some(a) => format!("{} by {} via {}", utc(a.at), cell(&a.by), cell(&a.via)),
            None => "not acknowledged".into(),
        },
    );
    row(
        "Time to acknowledge",
        match (r.time_to_ack_seconds, r.page_to_ack_seconds) {
            (Some(s), Some(p)) => format!(
                "{} from the start, {} from the first page",
                span_secs(s),
                span_secs(p)
            ),
            (Some(s), None) => format!("{} from the start", span_secs(s)),
            (None, _) => "n/a".into(),
        },
    );
    row(
        "Tasks",
        format!(
            "{} done, {} waived, {} open, of {}",
            r.tasks.done, r.tasks.waived, r.tasks.open, r.tasks.total
        ),
    );
    row("Final status", r.status.to_string());
    row(
        "Closed",
        r.closed_at.map(utc).unwrap_or_else(|| "not closed".into()),
    );
    put!(out);

    put!(out, "## Pages sent");
    put!(out);
    if r.pages.is_empty() {
        put!(
            out,
            "No page was sent: the notification systems were not exercised."
        );
    } else {
        put!(out, "| Time | Audience | Subject |");
        put!(out, "|---|---|---|");
        for p in &r.pages {
            put!(
                out,
                "| {} | {} | {} |",
                utc(p.at),
                p.audience.as_str(),
                cell(&p.subject)
            );
        }
    }
    put!(out);

    put!(out, "## Deadlines");
    put!(out);
    if r.deadlines.is_empty() {
        put!(out, "No deadlines were set.");
    } else {
        put!(out, "| Deadline | Due | Met | Outcome |");
        put!(out, "|---|---|---|---|");
        for d in &r.deadlines {
            put!(
                out,
                "| {} | {} | {} | {} |",
                capitalised(d.kind.label()),
                utc(d.due_at),
                d.met_at.map(utc).unwrap_or_else(|| "—".into()),
                outcome_label(d.outcome)
            );
        }
    }
    put!(out);

    put!(out, "## Tasks");
    put!(out);
    put!(
        out,
        "{} done, {} waived, {} open, of {}.",
        r.tasks.done,
        r.tasks.waived,
        r.tasks.open,
        r.tasks.total
    );
    put!(out);
    task_lines(&mut out, "Done", &r.done);
    task_lines(&mut out, "Waived", &r.waived);
    task_lines(&mut out, "Open", &r.open);
    out
}
