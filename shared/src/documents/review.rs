//! The post-incident review of one incident, and its evidence manifest.

use super::markdown::*;
use crate::domain::{
    Deadline, DeadlineKind, DeadlineOutcome, Incident, IncidentRole, Task, TaskSection,
    TimelineEntry, TimelineKind, deadline_outcome, play_name,
};
use crate::escape::{manifest, markdown};
use crate::ports::SentNotification;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The seeds' post-incident review prompts: the runbook's six, then
/// FirstTry's retrospective questions that the six do not already ask.
pub(super) const REVIEW_PROMPTS: [&str; 8] = [
    "What signal first identified the incident?",
    "What made triage faster or slower?",
    "Which controls worked as designed?",
    "Which assumptions were wrong?",
    "What evidence was missing?",
    "What prevention or detection improvement belongs in platform defaults?",
    "Could this have been prevented?",
    "What process improvements apply?",
];

/// FirstTry's "update documentation" and "lessons learned" steps.
const AFTER_REVIEW: [&str; 5] = [
    "Update the threat model if a new threat was discovered.",
    "Update security policies if process gaps were identified.",
    "Regenerate evidence artifacts.",
    "Share the findings with the team.",
    "Update CI/CD gates if applicable.",
];

/// The post-incident review document for one incident, in Markdown: the
/// record (header, detection, timeline, root cause, impact, containment,
/// communications, deadlines, evidence, follow-ups, closure criteria), then
/// the seeds' review prompts for the team to answer. Times are shown in
/// `tz`. Deterministic: unmet deadlines are judged at closure, not "now".
pub fn review_markdown(
    incident: &Incident,
    timeline: &[TimelineEntry],
    sent: &[SentNotification],
    tz: Tz,
) -> String {
    let i = incident;
    let mut entries: Vec<&TimelineEntry> = timeline.iter().collect();
    entries.sort_by_key(|e| (e.at, e.seq));
    let mut sent: Vec<&SentNotification> = sent.iter().collect();
    sent.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
    let after = |t: DateTime<Utc>| format!("{} after detection", span(t - i.created_at));

    let mut out = String::new();
    put!(out, "# Post-incident review: {}", i.reference);
    put!(out);
    put!(out, "**{}**", prose(&i.title));
    put!(out);
    if i.drill {
        let scenario = i
            .drill_scenario
            .map(|s| format!(" (scenario: `{}` at {})", s.class.id(), s.severity.code()))
            .unwrap_or_default();
        put!(
            out,
            "> **Drill.** This incident was an exercise{scenario}; nothing here affected customers."
        );
        put!(out);
    }

    // Header table.
    put!(out, "| Field | Detail |");
    put!(out, "|---|---|");
    let mut row = |k: &str, v: String| put!(out, "| {k} | {v} |");
    row("Reference", i.reference.to_string());
    row("Title", cell(&i.title));
    let mut severity = severity_label(i.severity);
    if let Some(o) = &i.severity_override {
        let _ = write!(
            severity,
            "; set by {} on {}: {}",
            cell(&o.by),
            local(o.at, tz),
            cell(&o.reason)
        );
    }
    row("Severity", severity);
    row(
        "Class",
        match &i.assessment {
            Some(a) => format!("`{}` (play: {})", a.class.id(), play_name(a.play)),
            None => "unassessed".into(),
        },
    );
    row("Status", i.status.to_string());
    if let Some(t) = &i.tracker {
        row(
            "Tracked in",
            format!("{} issue #{} ({})", t.system, cell(&t.key), cell(&t.url)),
        );
    }
    row(
        "Tenant",
        cell(i.tenant.as_deref().unwrap_or("not recorded")),
    );
    row(
        "Product",
        cell(i.product.as_deref().unwrap_or("not recorded")),
    );
    row("Detected", local(i.created_at, tz));
    if let Some(t) = i.confirmed_at {
        row("Triaged", format!("{} ({})", local(t, tz), after(t)));
    }
    row(
        "Acknowledged",
        match &i.acknowledged {
            Some(a) => format!(
                "{} by {} via {} ({})",
                local(a.at, tz),
                cell(&a.by),
                cell(&a.via),
                after(a.at)
            ),
            None => "not acknowledged".into(),
        },
    );
    row(
        "Contained",
        match &i.containment {
            Some(c) => format!("{} by {} ({})", local(c.at, tz), cell(&c.by), after(c.at)),
            None => "no containment recorded".into(),
        },
    );
    row(
        "Resolved",
        match i.resolved_at {
            Some(t) => format!("{} ({})", local(t, tz), after(t)),
            None => "not resolved".into(),
        },
    );
    row(
        "Closed",
        match i.closed_at {
            Some(t) => format!("{} ({})", local(t, tz), after(t)),
            None => "not closed".into(),
        },
    );
    if let Some(d) = i.deadline(DeadlineKind::PostIncidentReview) {
        row("Review due", local(d.due_at, tz));
    }
    for role in IncidentRole::ALL {
        row(role.label(), roles_held(i, role, tz));
    }
    match (&i.legal_hold, i.expires_at) {
        (Some(h), _) => row(
            "Retention",
            format!(
                "legal hold since {} by {}: {}",
                local(h.at, tz),
                cell(&h.by),
                cell(&h.reason)
            ),
        ),
        (None, Some(t)) => row("Retention", format!("record kept until {}", local(t, tz))),
        (None, None) => {}
    }
    put!(out);

    // Summary.
    put!(out, "## Summary");
    put!(out);
    put!(out, "{}", summary(i, tz));
    put!(out);
    if !i.description.trim().is_empty() {
        put!(out, "As reported:");
        put!(out);
        put!(out, "{}", quote(&i.description));
        put!(out);
    }

    detection(&mut out, i, entries.first().copied(), tz);
    timeline_section(&mut out, &entries, tz);
    root_cause(&mut out, i, &entries, tz);
    affected(&mut out, i, &entries, tz);
    containment(&mut out, i, tz);
    communications(&mut out, &sent, &entries, tz);
    deadlines_section(&mut out, i, tz);
    evidence(&mut out, i, tz);
    follow_ups(&mut out, i, tz);
    closure(&mut out, i, tz);
    prompts(&mut out, i, &entries, &sent, tz);

    put!(out, "---");
    put!(out);
    put!(
        out,
        "_Generated by Klaxon from incident {} (record version {}). Times are in {}._",
        i.reference,
        i.version,
        tz.name()
    );
    out
}

/// Who held a role, in order: `A (from t1); then B (from t2, reassigned by A)`.
fn roles_held(i: &Incident, role: IncidentRole, tz: Tz) -> String {
    let changes: Vec<_> = i.role_history.iter().filter(|c| c.role == role).collect();
    if changes.is_empty() {
        // Records written before role history was kept.
        return match i.roles.get(role.as_str()) {
            Some(p) => cell(p),
            None => "not assigned".into(),
        };
    }
    changes
        .iter()
        .map(|c| match (&c.person, &c.previous) {
            (Some(p), None) => format!("{} (from {})", cell(p), local(c.at, tz)),
            (Some(p), Some(_)) => format!(
                "{} (from {}, reassigned by {})",
                cell(p),
                local(c.at, tz),
                cell(&c.by)
            ),
            (None, _) => format!("unassigned on {} by {}", local(c.at, tz), cell(&c.by)),
        })
        .collect::<Vec<_>>()
        .join("; then ")
}

fn summary(i: &Incident, tz: Tz) -> String {
    let class = i
        .assessment
        .as_ref()
        .map(|a| format!(" {}", a.class.id().replace('_', " ")))
        .unwrap_or_default();
    let severity = match i.severity {
        Some(s) => format!("{} ({})", s.code(), s.name()),
        None => "An unassessed".into(),
    };
    let article = if i.severity.is_some() { "A " } else { "" };
    let mut where_ = String::new();
    if let Some(p) = &i.product {
        let _ = write!(where_, " in {}", prose(p));
    }
    if let Some(t) = &i.tenant {
        let _ = write!(where_, " for {}", prose(t));
    }
    let mut s = format!(
        "{article}{severity}{class} incident{where_} was detected on {} (source: `{}`).",
        local(i.created_at, tz),
        i.source.as_str()
    );
    match &i.acknowledged {
        Some(a) => {
            let _ = write!(
                s,
                " {} acknowledged it {} later.",
                prose(&a.by),
                span(a.at - i.created_at)
            );
        }
        None => s.push_str(" It was never acknowledged."),
    }
    if let Some(c) = &i.containment {
        let _ = write!(
            s,
            " {} contained it {} after detection. Containment: {}",
            prose(&c.by),
            span(c.at - i.created_at),
            sentence(&prose(&c.action))
        );
    }
    if let Some(t) = i.resolved_at {
        let cause = match &i.root_cause {
            Some(rc) if rc.is_known() => "with its root cause identified",
            Some(_) => "with its root cause unknown",
            None => "without a recorded root cause",
        };
        let _ = write!(
            s,
            " It was resolved {} after detection, {cause}.",
            span(t - i.created_at)
        );
    }
    match i.closed_at {
        Some(t) => {
            let _ = write!(s, " It closed on {}.", local(t, tz));
        }
        None => {
            let _ = write!(s, " It is {}.", i.status);
        }
    }
    s
}

fn detection(out: &mut String, i: &Incident, first: Option<&TimelineEntry>, tz: Tz) {
    put!(out, "## Detection signal");
    put!(out);
    put!(out, "- **Source:** `{}`", i.source.as_str());
    if let Some(e) = first {
        put!(
            out,
            "- **Arrived as:** {} ({}, recorded by {})",
            cell(&e.message),
            local(e.at, tz),
            cell(&e.actor)
        );
    }
    if let Some(sig) = &i.signal {
        let mut said = markdown::code(&sig.kind);
        if let Some(sev) = &sig.severity {
            let _ = write!(said, ", severity {}", cell(sev));
        }
        if let Some(score) = sig.score {
            let _ = write!(said, ", score {score:.1}");
        }
        put!(out, "- **Sender's signal:** {said}");
    }
    if i.reporter_name.is_some() || i.reporter_email.is_some() {
        let who = match (&i.reporter_name, &i.reporter_email) {
            (Some(n), Some(e)) => format!("{} ({})", cell(n), cell(e)),
            (Some(n), None) => cell(n),
            (None, Some(e)) => cell(e),
            (None, None) => String::new(),
        };
        let consent = if i.contact_consent {
            "agreed to be contacted"
        } else {
            "did not agree to be contacted"
        };
        put!(out, "- **Reporter:** {who}, {consent}");
    }
    if i.occurrences > 1 {
        put!(out, "- **Occurrences:** reported {} times", i.occurrences);
    }
    if let Some(v) = &i.cvss {
        let score = i
            .assessment
            .as_ref()
            .and_then(|a| a.cvss.as_ref())
            .map(|c| format!(" (CVSS {} base score {:.1})", c.version, c.score))
            .unwrap_or_default();
        put!(out, "- **CVSS vector:** {}{score}", markdown::code(v));
    }
    match &i.assessment {
        Some(a) => {
            put!(
                out,
                "- **Assessment:** {}, class `{}`, because:",
                severity_label(Some(a.severity)),
                a.class.id()
            );
            for r in &a.reasons {
                let sev = r.severity.map(|s| format!(" → {s}")).unwrap_or_default();
                put!(out, "  - `{}`: {}{sev}", r.rule, cell(&r.evidence));
            }
            for n in &a.notes {
                put!(out, "  - note: {}", cell(n));
            }
        }
        None => put!(out, "- **Assessment:** none recorded"),
    }
    if let Some(o) = &i.severity_override {
        put!(
            out,
            "- **Severity override:** {} by {} on {}: {}",
            o.severity.code(),
            cell(&o.by),
            local(o.at, tz),
            cell(&o.reason)
        );
    }
    put!(out);
}

fn mark(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Fact => "[fact] ",
        TimelineKind::Hypothesis => "[hypothesis] ",
        _ => "",
    }
}

fn timeline_section(out: &mut String, entries: &[&TimelineEntry], tz: Tz) {
    put!(out, "## Timeline");
    put!(out);
    if entries.is_empty() {
        put!(out, "No timeline entries were supplied.");
        put!(out);
        return;
    }
    put!(
        out,
        "Every entry of the record. Notes marked [fact] were confirmed; [hypothesis] marks what the team believed at the time."
    );
    put!(out);
    put!(out, "| Time | Actor | Entry |");
    put!(out, "|---|---|---|");
    for e in entries {
        put!(
            out,
            "| {} | {} | {}{} |",
            local(e.at, tz),
            cell(&e.actor),
            mark(e.kind),
            cell(&e.message)
        );
    }
    put!(out);
}

fn notes_of<'a>(entries: &[&'a TimelineEntry], kind: TimelineKind) -> Vec<&'a TimelineEntry> {
    entries.iter().copied().filter(|e| e.kind == kind).collect()
}

fn note_list(out: &mut String, notes: &[&TimelineEntry], tz: Tz) {
    for e in notes {
        put!(
            out,
            "- {} ({}, {})",
            cell(&e.message),
            cell(&e.actor),
            local(e.at, tz)
        );
    }
}

fn root_cause(out: &mut String, i: &Incident, entries: &[&TimelineEntry], tz: Tz) {
    put!(out, "## Root cause");
    put!(out);
    match &i.root_cause {
        Some(rc) if rc.is_known() => {
            put!(out, "{}", prose(&rc.cause));
            put!(out);
            if let Some(r) = &rc.rationale {
                put!(out, "Rationale: {}", prose(r));
                put!(out);
            }
            put!(
                out,
                "_Recorded by {} on {}._",
                prose(&rc.by),
                local(rc.at, tz)
            );
        }
        Some(rc) => {
            put!(out, "**Unknown.**");
            put!(out);
            put!(
                out,
                "Rationale: {}",
                prose(rc.rationale.as_deref().unwrap_or("none given"))
            );
            put!(out);
            put!(
                out,
                "_Recorded by {} on {}._",
                prose(&rc.by),
                local(rc.at, tz)
            );
        }
        None => put!(
            out,
            "Not yet recorded. Closing needs the root cause identified, or documented as unknown with a rationale."
        ),
    }
    put!(out);
    let hypotheses = notes_of(entries, TimelineKind::Hypothesis);
    if !hypotheses.is_empty() {
        put!(out, "Hypotheses recorded during the investigation:");
        put!(out);
        note_list(out, &hypotheses, tz);
        put!(out);
    }
}

fn affected(out: &mut String, i: &Incident, entries: &[&TimelineEntry], tz: Tz) {
    let flags = i.assessment.as_ref().map(|a| a.flags);
    let customer_data = match (i.customer_data_involved, flags) {
        (Some(b), _) => format!("{} (stated in the report)", yes_no(b)),
        (None, Some(f)) if f.customer_data_involved => "yes (found by assessment)".into(),
        (None, _) => "not established".into(),
    };
    put!(out, "## Systems and data affected");
    put!(out);
    put!(out, "| Item | Detail |");
    put!(out, "|---|---|");
    let mut row = |k: &str, v: String| put!(out, "| {k} | {v} |");
    row(
        "Product",
        cell(i.product.as_deref().unwrap_or("not recorded")),
    );
    row(
        "Site",
        cell(i.site_url.as_deref().unwrap_or("not recorded")),
    );
    row(
        "Tenant",
        cell(i.tenant.as_deref().unwrap_or("not recorded")),
    );
    row("Production", stated(i.production).into());
    row("Customer data involved", customer_data);
    row(
        "Atlassian systems affected",
        stated(i.atlassian_systems_affected).into(),
    );
    if let Some(f) = flags {
        row(
            "Atlassian notification required",
            yes_no(f.atlassian_notification_required).into(),
        );
        row(
            "Customer notification required",
            yes_no(f.customer_notification_required).into(),
        );
    }
    put!(out);
    match &i.impact {
        Some(t) => {
            put!(out, "Impact, as reported:");
            put!(out);
            put!(out, "{}", quote(t));
        }
        None => put!(out, "No impact statement was recorded."),
    }
    put!(out);
    let facts = notes_of(entries, TimelineKind::Fact);
    if facts.is_empty() {
        put!(out, "No notes were marked as confirmed facts.");
    } else {
        put!(out, "Confirmed facts:");
        put!(out);
        note_list(out, &facts, tz);
    }
    put!(out);
}

fn settled(t: &Task, tz: Tz) -> (String, String) {
    (
        t.settled_by.as_deref().map(cell).unwrap_or_default(),
        t.settled_at.map(|at| local(at, tz)).unwrap_or_default(),
    )
}

fn containment(out: &mut String, i: &Incident, tz: Tz) {
    put!(out, "## Containment and remediation");
    put!(out);
    match &i.containment {
        Some(c) => put!(
            out,
            "**Containment:** {} ({}, {}, {} after detection)",
            sentence(&prose(&c.action)),
            prose(&c.by),
            local(c.at, tz),
            span(c.at - i.created_at)
        ),
        None => put!(out, "No containment action was recorded."),
    }
    put!(out);
    let play = tasks_in(i, TaskSection::Play);
    if play.is_empty() {
        put!(out, "No response play was opened.");
        put!(out);
        return;
    }
    let name = i
        .assessment
        .as_ref()
        .map(|a| play_name(a.play))
        .unwrap_or("response");
    put!(out, "**Response play ({name}):** {}.", task_tally(&play));
    put!(out);
    settled_table(out, "Step", &play, tz);
}

/// Tasks with who settled each, when, and the note or waiver reason.
fn settled_table(out: &mut String, what: &str, tasks: &[&Task], tz: Tz) {
    put!(
        out,
        "| # | {what} | State | By | When | Note or waiver reason |"
    );
    put!(out, "|---|---|---|---|---|---|");
    for t in tasks {
        let (by, when) = settled(t, tz);
        put!(
            out,
            "| {} | {} | {} | {by} | {when} | {} |",
            t.id,
            cell(&t.text),
            state_label(t.state),
            t.note.as_deref().map(cell).unwrap_or_default()
        );
    }
    put!(out);
}

fn communications(
    out: &mut String,
    sent: &[&SentNotification],
    entries: &[&TimelineEntry],
    tz: Tz,
) {
    put!(out, "## Communications sent");
    put!(out);
    if sent.is_empty() {
        put!(out, "No messages were recorded as sent.");
    } else {
        put!(out, "| Time | Audience | Kind | Subject |");
        put!(out, "|---|---|---|---|");
        for n in sent {
            put!(
                out,
                "| {} | {} | {} | {} |",
                local(n.at, tz),
                n.audience.as_str(),
                cell(&n.kind),
                cell(&n.subject)
            );
        }
        if sent.iter().any(|n| n.kind.ends_with("_draft")) {
            put!(out);
            put!(
                out,
                "Kinds ending in `_draft` were prepared for a person to send; the obligations below record what was sent."
            );
        }
    }
    put!(out);
    let obligations = notes_of(entries, TimelineKind::Obligation);
    if obligations.is_empty() {
        put!(
            out,
            "No obligations (status updates, reports, notices) were recorded."
        );
    } else {
        put!(out, "Obligations recorded:");
        put!(out);
        note_list(out, &obligations, tz);
    }
    put!(out);
}

fn deadlines_section(out: &mut String, i: &Incident, tz: Tz) {
    put!(out, "## Deadlines");
    put!(out);
    if i.deadlines.is_empty() {
        put!(out, "No deadlines were set.");
        put!(out);
        return;
    }
    let as_of = i.closed_at;
    put!(
        out,
        "| Deadline | Clock started | Due | Outcome | On time |"
    );
    put!(out, "|---|---|---|---|---|");
    for d in &i.deadlines {
        let o = deadline_outcome(i, d, as_of);
        let outcome = match o {
            DeadlineOutcome::MetOnTime | DeadlineOutcome::MetLate => {
                let met = d.met_at.unwrap_or(d.due_at);
                let mut s = format!("met {}", local(met, tz));
                if o == DeadlineOutcome::MetLate {
                    let _ = write!(s, ", {} late", span(met - d.due_at));
                }
                if let Some(b) = d.breached_at {
                    let _ = write!(s, " (breached {})", local(b, tz));
                }
                s
            }
            DeadlineOutcome::Breached => format!(
                "breached {}, never met",
                local(d.breached_at.unwrap_or(d.due_at), tz)
            ),
            DeadlineOutcome::Missed => "not met by closure".into(),
            DeadlineOutcome::NotOwed => "stopped at resolution, before it fell due".into(),
            DeadlineOutcome::Open => "open".into(),
        };
        let on_time = match o.on_time() {
            Some(b) => yes_no(b),
            None => "n/a",
        };
        put!(
            out,
            "| {} | {} | {} | {outcome} | {on_time} |",
            capitalised(d.kind.label()),
            local(d.starts_at, tz),
            local(d.due_at, tz)
        );
    }
    put!(out);
}

fn evidence(out: &mut String, i: &Incident, tz: Tz) {
    put!(out, "## Evidence");
    put!(out);
    if i.evidence.is_empty() {
        put!(out, "No evidence was recorded.");
        put!(out);
        return;
    }
    put!(
        out,
        "| # | Name | Location | SHA-256 | Collected by | Collected at |"
    );
    put!(out, "|---|---|---|---|---|---|");
    for e in &i.evidence {
        put!(
            out,
            "| {} | {} | {} | `{}` | {} | {} |",
            e.id,
            cell(&e.name),
            cell(&e.location),
            e.sha256,
            cell(&e.collected_by),
            local(e.collected_at, tz)
        );
    }
    put!(out);
}

/// The evidence as `sha256sum -c` input: one line per item, whatever its
/// name holds (see [`manifest`]).
pub fn evidence_manifest(i: &Incident) -> String {
    i.evidence
        .iter()
        .map(|e| manifest::line(&e.sha256, &e.name))
        .collect()
}

fn follow_ups(out: &mut String, i: &Incident, tz: Tz) {
    put!(out, "## Follow-up actions");
    put!(out);
    let tasks = tasks_in(i, TaskSection::FollowUp);
    if tasks.is_empty() {
        put!(
            out,
            "No follow-up actions were recorded. Corrective actions need owners and dates."
        );
        put!(out);
        return;
    }
    put!(out, "| # | Action | Owner | Due | State |");
    put!(out, "|---|---|---|---|---|");
    for t in tasks {
        let due = t
            .due
            .map(|d| d.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "no date".into());
        let mut state = state_label(t.state).to_owned();
        if let Some(at) = t.settled_at {
            let _ = write!(state, " {}", local(at, tz));
        }
        if let Some(n) = &t.note {
            let _ = write!(state, ": {}", cell(n));
        }
        put!(
            out,
            "| {} | {} | {} | {due} | {state} |",
            t.id,
            cell(&t.text),
            cell(t.owner.as_deref().unwrap_or("unassigned"))
        );
    }
    put!(out);
}

fn closure(out: &mut String, i: &Incident, tz: Tz) {
    put!(out, "## Closure criteria");
    put!(out);
    let tasks = tasks_in(i, TaskSection::Closure);
    if tasks.is_empty() {
        put!(out, "No closure criteria were opened.");
        put!(out);
        return;
    }
    put!(out, "{}.", capitalised(&task_tally(&tasks)));
    put!(out);
    settled_table(out, "Criterion", &tasks, tz);
}

/// The review prompts, each with what the record already says (where it
/// says something) and a line for the team's answer.
fn prompts(
    out: &mut String,
    i: &Incident,
    entries: &[&TimelineEntry],
    sent: &[&SentNotification],
    tz: Tz,
) {
    let mut hints: BTreeMap<usize, String> = BTreeMap::new();
    if let Some(first) = entries.first() {
        let signal = i
            .signal
            .as_ref()
            .map(|s| format!(" ({})", markdown::code(&s.kind)))
            .unwrap_or_default();
        hints.insert(
            0,
            format!(
                "{}{signal} at {}.",
                capitalised(&cell(&first.message)),
                local(first.at, tz)
            ),
        );
    }
    let mut pace = Vec::new();
    if let Some(t) = i.confirmed_at {
        pace.push(format!("triaged after {}", span(t - i.created_at)));
    }
    if let Some(a) = &i.acknowledged {
        let pages = sent
            .iter()
            .filter(|n| n.kind == "page" && n.at <= a.at)
            .count();
        pace.push(format!(
            "acknowledged after {} ({} before it)",
            span(a.at - i.created_at),
            count(pages, "page", "pages")
        ));
    }
    if let Some(c) = &i.containment {
        pace.push(format!("contained after {}", span(c.at - i.created_at)));
    }
    if !pace.is_empty() {
        hints.insert(1, format!("{}.", capitalised(&pace.join(", "))));
    }
    let judged: Vec<(&Deadline, bool)> = i
        .deadlines
        .iter()
        .filter_map(|d| Some((d, deadline_outcome(i, d, i.closed_at).on_time()?)))
        .collect();
    if !judged.is_empty() {
        let met = judged.iter().filter(|(_, on_time)| *on_time).count();
        let mut h = format!("{met} of {} deadlines were met on time", judged.len());
        let late: Vec<&str> = judged
            .iter()
            .filter(|(_, on_time)| !on_time)
            .map(|(d, _)| d.kind.label())
            .collect();
        if !late.is_empty() {
            let _ = write!(h, "; not on time: {}", late.join(", "));
        }
        h.push('.');
        hints.insert(2, h);
    }
    let hypotheses = entries
        .iter()
        .filter(|e| e.kind == TimelineKind::Hypothesis)
        .count();
    if hypotheses > 0 {
        hints.insert(
            3,
            format!(
                "{} recorded; see Root cause.",
                count(hypotheses, "hypothesis was", "hypotheses were")
            ),
        );
    }
    hints.insert(
        4,
        format!(
            "{} recorded; see Evidence.",
            count(i.evidence.len(), "evidence item was", "evidence items were")
        ),
    );
    let follow_ups = tasks_in(i, TaskSection::FollowUp).len();
    if follow_ups > 0 {
        hints.insert(
            5,
            format!(
                "{} recorded; see Follow-up actions.",
                count(follow_ups, "follow-up action was", "follow-up actions were")
            ),
        );
    }

    put!(out, "## Review");
    put!(out);
    put!(
        out,
        "For the team to answer in the review meeting. Lines in italics are what the record already shows."
    );
    put!(out);
    for (n, prompt) in REVIEW_PROMPTS.iter().enumerate() {
        put!(out, "### {prompt}");
        put!(out);
        if let Some(h) = hints.get(&n) {
            put!(out, "_Record: {h}_");
            put!(out);
        }
        put!(out, "Answer: _to be completed by the review team._");
        put!(out);
    }
    put!(out, "## After the review");
    put!(out);
    for step in AFTER_REVIEW {
        put!(out, "- [ ] {step}");
    }
    let review_met = i
        .deadline(DeadlineKind::PostIncidentReview)
        .is_some_and(|d| d.met_at.is_some());
    if !review_met {
        put!(
            out,
            "- [ ] Record the review in Klaxon: it meets the post-incident review deadline."
        );
    }
    put!(out);
}
