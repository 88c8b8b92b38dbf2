//! The annual security report.

use super::markdown::*;
use super::metrics::*;
use crate::domain::{Incident, Severity, Task, TaskSection, TaskState};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn share_label(s: Option<f64>) -> String {
    match s {
        Some(s) => format!("{:.0}%", s * 100.0),
        None => "n/a".into(),
    }
}

fn count_table(out: &mut String, what: &str, rows: &[(String, usize)]) {
    if rows.is_empty() {
        put!(out, "None.");
        put!(out);
        return;
    }
    put!(out, "| {what} | Incidents |");
    put!(out, "|---|---|");
    for (k, n) in rows {
        put!(out, "| `{k}` | {n} |");
    }
    put!(out);
}

/// One severity's line of the annual report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualSeverity {
    /// `SEV-1 (Critical)`, or `unassessed`.
    pub name: String,
    pub count: usize,
    pub mtta: String,
    pub mttr: String,
}

/// One kind of deadline that fell due in the year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualDeadline {
    pub label: String,
    pub met: usize,
    pub missed: usize,
    pub share: String,
}

/// One security incident of the year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualIncident {
    pub reference: String,
    pub severity: &'static str,
    pub class: &'static str,
    pub status: String,
    pub detected: String,
    pub resolved: Option<String>,
    /// `known`, `unknown` or `not recorded`.
    pub cause: &'static str,
}

/// One drill of the year: the evidence of the plan's annual drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualDrill {
    pub reference: String,
    /// The class id and severity code played.
    pub class: &'static str,
    pub severity: &'static str,
    pub date: String,
    /// `None`: not acknowledged.
    pub time_to_ack: Option<String>,
    pub done: usize,
    pub steps: usize,
    pub waived: usize,
    pub status: String,
}

/// The annual security report's content, which the Markdown report and the
/// console's HTML page both render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    pub org: Option<String>,
    pub metrics: Metrics,
    /// Deadlines met on time, of all judged, and the share as text.
    pub met: usize,
    pub judged: usize,
    pub met_share: String,
    pub mtta: String,
    pub mttr: String,
    pub by_severity: Vec<AnnualSeverity>,
    /// Most frequent first; ties by name.
    pub by_class: Vec<(String, usize)>,
    pub by_source: Vec<(String, usize)>,
    /// Only the kinds with a deadline judged.
    pub deadlines: Vec<AnnualDeadline>,
    pub incidents: Vec<AnnualIncident>,
    pub drills: Vec<AnnualDrill>,
}

/// Most frequent first; ties by name, so the order is stable.
fn ranked(counts: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut rows: Vec<(String, usize)> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

/// The annual security report (FirstTry's plan): totals by severity, class
/// and source, MTTA and MTTR per severity, deadline compliance, every
/// incident of `year` (UTC, drills apart) and the drills run, which are the
/// evidence of the plan's annual drill. `metrics` should cover the same
/// year (see [`year_window`]). Deterministic.
pub fn annual_report(
    year: i32,
    incidents: &[Incident],
    metrics: &Metrics,
    org: Option<&str>,
) -> AnnualReport {
    let (from, to) = year_window(year);
    let mut of_year: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.created_at >= from && i.created_at < to)
        .collect();
    of_year.sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
    let (drills, real): (Vec<&Incident>, Vec<&Incident>) =
        of_year.into_iter().partition(|i| i.drill);
    let (met, judged, met_share) = metrics.deadlines_met();
    let by_severity = metrics
        .by_severity
        .iter()
        .map(|s| AnnualSeverity {
            name: s
                .severity
                .parse::<Severity>()
                .map(|sev| format!("{} ({})", sev.code(), sev.name()))
                .unwrap_or_else(|_| s.severity.to_owned()),
            count: s.count,
            mtta: s.mtta.label(),
            mttr: s.mttr.label(),
        })
        .collect();
    let deadlines = metrics
        .deadlines
        .iter()
        .filter(|d| d.met + d.missed > 0)
        .map(|d| AnnualDeadline {
            label: capitalised(d.kind.label()),
            met: d.met,
            missed: d.missed,
            share: share_label(d.share),
        })
        .collect();
    let incidents = real
        .iter()
        .map(|i| AnnualIncident {
            reference: i.reference.to_string(),
            severity: severity_key(i.severity),
            class: class_key(i),
            status: i.status.to_string(),
            detected: utc(i.created_at),
            resolved: i.resolved_at.map(utc),
            cause: match &i.root_cause {
                Some(rc) if rc.is_known() => "known",
                Some(_) => "unknown",
                None => "not recorded",
            },
        })
        .collect();
    let drills = drills
        .iter()
        .map(|i| {
            let steps: Vec<&Task> = i
                .tasks
                .iter()
                .filter(|t| t.section != TaskSection::FollowUp)
                .collect();
            let (class, severity) = scenario(i);
            AnnualDrill {
                reference: i.reference.to_string(),
                class,
                severity,
                date: i.created_at.format("%Y-%m-%d").to_string(),
                time_to_ack: ack_secs(i).map(span_secs),
                done: steps.iter().filter(|t| t.state == TaskState::Done).count(),
                steps: steps.len(),
                waived: steps
                    .iter()
                    .filter(|t| t.state == TaskState::Waived)
                    .count(),
                status: i.status.to_string(),
            }
        })
        .collect();
    AnnualReport {
        year,
        org: org.map(str::to_owned),
        metrics: metrics.clone(),
        met,
        judged,
        met_share: share_label(met_share),
        mtta: metrics.mtta.label(),
        mttr: metrics.mttr.label(),
        by_severity,
        by_class: ranked(&metrics.by_class),
        by_source: ranked(&metrics.by_source),
        deadlines,
        incidents,
        drills,
    }
}

/// The annual security report as Markdown: [`annual_report`], rendered.
pub fn annual_markdown(
    year: i32,
    incidents: &[Incident],
    metrics: &Metrics,
    org: Option<&str>,
) -> String {
    annual_report_markdown(&annual_report(year, incidents, metrics, org))
}

/// An [`AnnualReport`] as Markdown.
pub fn annual_report_markdown(r: &AnnualReport) -> String {
    let year = r.year;
    let metrics = &r.metrics;
    let mut out = String::new();
    match &r.org {
        Some(o) => put!(out, "# {}: annual security report {year}", prose(o)),
        None => put!(out, "# Annual security report {year}"),
    }
    put!(out);
    put!(
        out,
        "Security incidents created from {} to {} (end exclusive), as of {}. Drills are reported separately and left out of every figure.",
        utc(metrics.from),
        utc(metrics.to),
        utc(metrics.as_of)
    );
    put!(out);

    put!(out, "## Summary");
    put!(out);
    put!(
        out,
        "- **Incidents:** {} ({} open, {} resolved, {} closed)",
        metrics.total,
        metrics.open,
        metrics.resolved,
        metrics.closed
    );
    put!(out, "- **Drills:** {}", metrics.drills);
    put!(out, "- **Mean time to acknowledge:** {}", r.mtta);
    put!(out, "- **Mean time to resolve:** {}", r.mttr);
    put!(
        out,
        "- **Deadlines met on time:** {} of {} ({})",
        r.met,
        r.judged,
        r.met_share
    );
    put!(out);

    put!(out, "## By severity");
    put!(out);
    put!(out, "| Severity | Incidents | MTTA | MTTR |");
    put!(out, "|---|---|---|---|");
    for s in &r.by_severity {
        put!(
            out,
            "| {} | {} | {} | {} |",
            s.name,
            s.count,
            s.mtta,
            s.mttr
        );
    }
    put!(out);
    put!(
        out,
        "MTTA and MTTR count from detection; n is the number of incidents acknowledged or resolved."
    );
    put!(out);

    put!(out, "## By class");
    put!(out);
    count_table(&mut out, "Class", &r.by_class);
    put!(out, "## By source");
    put!(out);
    count_table(&mut out, "Source", &r.by_source);

    put!(out, "## Deadline compliance");
    put!(out);
    if r.deadlines.is_empty() {
        put!(out, "No deadline fell due in the period.");
        put!(out);
    } else {
        put!(out, "| Deadline | Met on time | Missed | Share on time |");
        put!(out, "|---|---|---|---|");
    }
    for d in &r.deadlines {
        put!(
            out,
            "| {} | {} | {} | {} |",
            d.label,
            d.met,
            d.missed,
            d.share
        );
    }
    put!(out);
    put!(
        out,
        "Missed means met late, breached, or due and unmet. Deadlines not yet due, and response clocks stopped by resolution, are left out."
    );
    put!(out);

    put!(out, "## Incidents");
    put!(out);
    if r.incidents.is_empty() {
        put!(out, "No security incidents were recorded in {year}.");
    } else {
        put!(
            out,
            "| Reference | Severity | Class | Status | Detected | Resolved | Root cause |"
        );
        put!(out, "|---|---|---|---|---|---|---|");
        for i in &r.incidents {
            put!(
                out,
                "| {} | {} | `{}` | {} | {} | {} | {} |",
                i.reference,
                i.severity,
                i.class,
                i.status,
                i.detected,
                i.resolved.as_deref().unwrap_or("—"),
                i.cause
            );
        }
    }
    put!(out);

    put!(out, "## Drills");
    put!(out);
    if r.drills.is_empty() {
        put!(
            out,
            "**No incident response drill was run in {year}.** The plan requires an annual drill: simulate a security incident, walk through the workflow, validate contact information and test the notification systems."
        );
    } else {
        put!(
            out,
            "The plan's annual drill: simulate a security incident, walk through the workflow, validate contact information and test the notification systems."
        );
        put!(out);
        put!(
            out,
            "| Reference | Scenario | Date | Time to acknowledge | Steps done | Status |"
        );
        put!(out, "|---|---|---|---|---|---|");
        for d in &r.drills {
            let waived = if d.waived > 0 {
                format!(" ({} waived)", d.waived)
            } else {
                String::new()
            };
            put!(
                out,
                "| {} | `{}` at {} | {} | {} | {}/{}{waived} | {} |",
                d.reference,
                d.class,
                d.severity,
                d.date,
                d.time_to_ack.as_deref().unwrap_or("not acknowledged"),
                d.done,
                d.steps,
                d.status
            );
        }
    }
    put!(out);
    out
}

/// The drill's scenario (class id, severity code), or what assessment
/// made of it for a drill started without one.
fn scenario(i: &Incident) -> (&'static str, &'static str) {
    match i.drill_scenario {
        Some(s) => (s.class.id(), s.severity.code()),
        None => (class_key(i), severity_key(i.severity)),
    }
}
