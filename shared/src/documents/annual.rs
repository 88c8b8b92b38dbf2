//! The annual security report.

use super::markdown::*;
use super::metrics::*;
use crate::domain::{Incident, Severity, Task, TaskSection, TaskState};
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn share_label(s: Option<f64>) -> String {
    match s {
        Some(s) => format!("{:.0}%", s * 100.0),
        None => "n/a".into(),
    }
}

fn count_table(out: &mut String, what: &str, counts: &BTreeMap<String, usize>) {
    if counts.is_empty() {
        put!(out, "None.");
        put!(out);
        return;
    }
    let mut rows: Vec<(&String, &usize)> = counts.iter().collect();
    // Most frequent first; ties by name, so the order is stable.
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    put!(out, "| {what} | Incidents |");
    put!(out, "|---|---|");
    for (k, n) in rows {
        put!(out, "| `{k}` | {n} |");
    }
    put!(out);
}

/// The annual security report (FirstTry's plan): totals by severity, class
/// and source, MTTA and MTTR per severity, deadline compliance, every
/// incident of `year` (UTC, drills apart) and the drills run, which are the
/// evidence of the plan's annual drill. `metrics` should cover the same
/// year (see [`year_window`]). Deterministic.
pub fn annual_markdown(
    year: i32,
    incidents: &[Incident],
    metrics: &Metrics,
    org: Option<&str>,
) -> String {
    let (from, to) = year_window(year);
    let mut of_year: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.created_at >= from && i.created_at < to)
        .collect();
    of_year.sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
    let (drills, real): (Vec<&Incident>, Vec<&Incident>) =
        of_year.into_iter().partition(|i| i.drill);

    let mut out = String::new();
    match org {
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
    put!(
        out,
        "- **Mean time to acknowledge:** {}",
        metrics.mtta.label()
    );
    put!(out, "- **Mean time to resolve:** {}", metrics.mttr.label());
    let (met, missed) = metrics
        .deadlines
        .iter()
        .fold((0, 0), |(m, x), d| (m + d.met, x + d.missed));
    let all = met + missed;
    put!(
        out,
        "- **Deadlines met on time:** {met} of {all} ({})",
        share_label((all > 0).then(|| met as f64 / all as f64))
    );
    put!(out);

    put!(out, "## By severity");
    put!(out);
    put!(out, "| Severity | Incidents | MTTA | MTTR |");
    put!(out, "|---|---|---|---|");
    for s in &metrics.by_severity {
        let name = s
            .severity
            .parse::<Severity>()
            .map(|sev| format!("{} ({})", sev.code(), sev.name()))
            .unwrap_or_else(|_| s.severity.to_owned());
        put!(
            out,
            "| {name} | {} | {} | {} |",
            s.count,
            s.mtta.label(),
            s.mttr.label()
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
    count_table(&mut out, "Class", &metrics.by_class);
    put!(out, "## By source");
    put!(out);
    count_table(&mut out, "Source", &metrics.by_source);

    put!(out, "## Deadline compliance");
    put!(out);
    let judged: Vec<&DeadlineShare> = metrics
        .deadlines
        .iter()
        .filter(|d| d.met + d.missed > 0)
        .collect();
    if judged.is_empty() {
        put!(out, "No deadline fell due in the period.");
        put!(out);
    } else {
        put!(out, "| Deadline | Met on time | Missed | Share on time |");
        put!(out, "|---|---|---|---|");
    }
    for d in judged {
        put!(
            out,
            "| {} | {} | {} | {} |",
            capitalised(d.kind.label()),
            d.met,
            d.missed,
            share_label(d.share)
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
    if real.is_empty() {
        put!(out, "No security incidents were recorded in {year}.");
    } else {
        put!(
            out,
            "| Reference | Severity | Class | Status | Detected | Resolved | Root cause |"
        );
        put!(out, "|---|---|---|---|---|---|---|");
        for i in &real {
            let cause = match &i.root_cause {
                Some(rc) if rc.is_known() => "known",
                Some(_) => "unknown",
                None => "not recorded",
            };
            put!(
                out,
                "| {} | {} | `{}` | {} | {} | {} | {cause} |",
                i.reference,
                severity_key(i.severity),
                class_key(i),
                i.status,
                utc(i.created_at),
                i.resolved_at.map(utc).unwrap_or_else(|| "—".into())
            );
        }
    }
    put!(out);

    put!(out, "## Drills");
    put!(out);
    if drills.is_empty() {
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
        for i in &drills {
            let steps: Vec<&Task> = i
                .tasks
                .iter()
                .filter(|t| t.section != TaskSection::FollowUp)
                .collect();
            let done = steps.iter().filter(|t| t.state == TaskState::Done).count();
            let waived = steps
                .iter()
                .filter(|t| t.state == TaskState::Waived)
                .count();
            let waived = if waived > 0 {
                format!(" ({waived} waived)")
            } else {
                String::new()
            };
            put!(
                out,
                "| {} | {} | {} | {} | {done}/{}{waived} | {} |",
                i.reference,
                scenario_label(i),
                i.created_at.format("%Y-%m-%d"),
                ack_secs(i)
                    .map(span_secs)
                    .unwrap_or_else(|| "not acknowledged".into()),
                steps.len(),
                i.status
            );
        }
    }
    put!(out);
    out
}

/// The drill's scenario, or what assessment made of it for a drill started
/// without one.
fn scenario_label(i: &Incident) -> String {
    match i.drill_scenario {
        Some(s) => format!("`{}` at {}", s.class.id(), s.severity.code()),
        None => format!("`{}` at {}", class_key(i), severity_key(i.severity)),
    }
}
