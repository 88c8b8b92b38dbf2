//! Reports rendered from incident records: the post-incident review, period
//! metrics (MTTA, MTTR, deadline compliance), the annual security report and
//! drill evidence. Pure: the caller loads the records and passes the clock,
//! so the same records always render the same document.

use crate::domain::{
    Acknowledgement, Audience, Deadline, DeadlineKind, DrillScenario, Incident, IncidentRole,
    Severity, Status, Task, TaskSection, TaskState, TimelineEntry, TimelineKind, play_name,
};
use crate::escape::{manifest, markdown};
use crate::ports::SentNotification;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Appends one line to a document; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The seeds' post-incident review prompts: the runbook's six, then
/// FirstTry's retrospective questions that the six do not already ask.
const REVIEW_PROMPTS: [&str; 8] = [
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

/// What happened to a deadline, judged at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineOutcome {
    MetOnTime,
    MetLate,
    /// The sweep declared it breached and it was never met.
    Breached,
    /// Due, unmet, and no breach recorded.
    Missed,
    /// A response clock that resolution stopped before it fell due.
    NotOwed,
    /// Not met and not yet due.
    Open,
}

impl DeadlineOutcome {
    /// Met on time, or counts against the plan; `None`: not a sample.
    fn on_time(self) -> Option<bool> {
        match self {
            Self::MetOnTime => Some(true),
            Self::MetLate | Self::Breached | Self::Missed => Some(false),
            Self::NotOwed | Self::Open => None,
        }
    }
}

/// The paperwork is owed after resolution; the response clocks stop there.
/// Mirrors `policy::clocks`, which stops alerting on the others.
fn owed_after_resolution(kind: DeadlineKind) -> bool {
    matches!(
        kind,
        DeadlineKind::AtlassianReport
            | DeadlineKind::CustomerNotice
            | DeadlineKind::PostIncidentReview
    )
}

/// Judges `d` at `as_of`; with no `as_of`, an unmet deadline is open. A
/// response clock (acknowledgement, notification, response target, status
/// update, fix) that resolution stopped before it fell due was not owed.
/// A zero-length ("immediate") deadline met at all was met on time.
pub fn deadline_outcome(
    incident: &Incident,
    d: &Deadline,
    as_of: Option<DateTime<Utc>>,
) -> DeadlineOutcome {
    if let Some(met) = d.met_at {
        // An "immediate" target (SEV-1's incident command) has no length:
        // paging enforces it, and any acknowledgement meets it.
        let immediate = d.due_at <= d.starts_at;
        return if met <= d.due_at || immediate {
            DeadlineOutcome::MetOnTime
        } else {
            DeadlineOutcome::MetLate
        };
    }
    if d.breached_at.is_some() {
        return DeadlineOutcome::Breached;
    }
    if incident.resolved_at.is_some_and(|r| r < d.due_at) && !owed_after_resolution(d.kind) {
        return DeadlineOutcome::NotOwed;
    }
    if as_of.is_some_and(|t| d.due_at <= t) {
        DeadlineOutcome::Missed
    } else {
        DeadlineOutcome::Open
    }
}

// ---------------------------------------------------------------------------
// Formatting helpers

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `45s`, `7m`, `1h 3m`, `2d 4h`: the two largest units.
fn span_secs(secs: i64) -> String {
    if secs < 0 {
        return format!("-{}", span_secs(secs.saturating_neg()));
    }
    let units = [
        (secs / 86_400, "d"),
        (secs % 86_400 / 3_600, "h"),
        (secs % 3_600 / 60, "m"),
        (secs % 60, "s"),
    ];
    let Some(k) = units.iter().position(|(n, _)| *n > 0) else {
        return "0s".into();
    };
    let mut out = format!("{}{}", units[k].0, units[k].1);
    if let Some((n, u)) = units.get(k + 1)
        && *n > 0
    {
        let _ = write!(out, " {n}{u}");
    }
    out
}

fn span(d: Duration) -> String {
    span_secs(d.num_seconds())
}

/// Free text in prose: shown as the text it is, never as Markdown or HTML
/// (an XSS report's title must show its payload, not run it; a link or an
/// image from an anonymous report must not become one). See
/// [`markdown`].
fn prose(s: &str) -> String {
    markdown::block(s)
}

/// Free text made safe for a table cell: one line, escaped. A multi-line
/// entry (an assessment and its reasons) becomes `a; b; c`.
fn cell(s: &str) -> String {
    let lines: Vec<&str> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .collect();
    markdown::inline(&lines.join("; "))
}

/// A block quote of free text, line by line.
fn quote(s: &str) -> String {
    markdown::lines(s)
        .into_iter()
        .map(|l| {
            if l.is_empty() {
                ">".to_owned()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ends a sentence taken from free text.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

/// `1 page`, `2 pages`.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn stated(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not stated",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn severity_label(s: Option<Severity>) -> String {
    match s {
        Some(s) => format!("{} ({})", s.code(), s.name()),
        None => "unassessed".into(),
    }
}

fn severity_key(s: Option<Severity>) -> &'static str {
    s.map(Severity::code).unwrap_or("unassessed")
}

fn class_key(i: &Incident) -> &'static str {
    i.assessment
        .as_ref()
        .map(|a| a.class.id())
        .unwrap_or("unassessed")
}

fn state_label(s: TaskState) -> &'static str {
    match s {
        TaskState::Open => "open",
        TaskState::Done => "done",
        TaskState::Waived => "waived",
    }
}

fn tasks_in(i: &Incident, section: TaskSection) -> Vec<&Task> {
    i.tasks.iter().filter(|t| t.section == section).collect()
}

/// `3 of 6 done, 1 waived, 2 open`.
fn task_tally(tasks: &[&Task]) -> String {
    let n = |s| tasks.iter().filter(|t| t.state == s).count();
    let mut out = format!("{} of {} done", n(TaskState::Done), tasks.len());
    for s in [TaskState::Waived, TaskState::Open] {
        if n(s) > 0 {
            let _ = write!(out, ", {} {}", n(s), state_label(s));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The post-incident review

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

// ---------------------------------------------------------------------------
// Metrics

/// A mean duration and how many incidents it is over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Mean {
    /// Rounded to the second; `None` with no samples.
    pub seconds: Option<i64>,
    pub samples: usize,
}

impl Mean {
    fn of(values: impl IntoIterator<Item = i64>) -> Self {
        let (mut sum, mut n) = (0i128, 0usize);
        for v in values {
            sum += i128::from(v);
            n += 1;
        }
        let seconds = (n > 0).then(|| {
            let mean = sum as f64 / n as f64;
            mean.round() as i64
        });
        Self {
            seconds,
            samples: n,
        }
    }

    fn label(self) -> String {
        match self.seconds {
            Some(s) => format!("{} (n={})", span_secs(s), self.samples),
            None => "n/a".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityMetrics {
    /// `SEV-1`..`SEV-4`, or `unassessed`.
    pub severity: &'static str,
    pub count: usize,
    /// Mean time to acknowledge, from detection.
    pub mtta: Mean,
    /// Mean time to resolve, from detection.
    pub mttr: Mean,
}

/// How often one kind of deadline was met on time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadlineShare {
    pub kind: DeadlineKind,
    pub met: usize,
    /// Met late, breached, or due and unmet.
    pub missed: usize,
    /// `met / (met + missed)`; `None` with no samples.
    pub share: Option<f64>,
}

/// Figures over the incidents created in `[from, to)`. Drills are counted
/// apart and left out of everything else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Deadlines not yet due at this time, and unmet, are left out.
    pub as_of: DateTime<Utc>,
    pub total: usize,
    pub open: usize,
    pub resolved: usize,
    pub closed: usize,
    pub drills: usize,
    pub mtta: Mean,
    pub mttr: Mean,
    /// SEV-1..SEV-4, then `unassessed`.
    pub by_severity: Vec<SeverityMetrics>,
    /// One per [`DeadlineKind`], in [`DeadlineKind::ALL`] order.
    pub deadlines: Vec<DeadlineShare>,
    /// Class id (or `unassessed`) to count.
    pub by_class: BTreeMap<String, usize>,
    /// Source (`Source::as_str`) to count.
    pub by_source: BTreeMap<String, usize>,
}

fn ack_secs(i: &Incident) -> Option<i64> {
    i.acknowledged
        .as_ref()
        .map(|a| (a.at - i.created_at).num_seconds())
}

fn resolve_secs(i: &Incident) -> Option<i64> {
    i.resolved_at.map(|t| (t - i.created_at).num_seconds())
}

/// Counts, MTTA, MTTR and deadline compliance over the incidents created in
/// `[from, to)`. A deadline counts as met when `met_at <= due_at`, as
/// missed when met late, breached, or unmet and due by `now`; one not yet
/// due, or a response clock that resolution stopped before it fell due, is
/// not a sample.
pub fn metrics(
    incidents: &[Incident],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Metrics {
    let window: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.created_at >= from && i.created_at < to)
        .collect();
    let drills = window.iter().filter(|i| i.drill).count();
    let real: Vec<&Incident> = window.into_iter().filter(|i| !i.drill).collect();

    let severities = Severity::ALL.map(Some).into_iter().chain([None]);
    let by_severity = severities
        .map(|sev| {
            let of: Vec<&&Incident> = real.iter().filter(|i| i.severity == sev).collect();
            SeverityMetrics {
                severity: severity_key(sev),
                count: of.len(),
                mtta: Mean::of(of.iter().filter_map(|i| ack_secs(i))),
                mttr: Mean::of(of.iter().filter_map(|i| resolve_secs(i))),
            }
        })
        .collect();

    let deadlines = DeadlineKind::ALL
        .into_iter()
        .map(|kind| {
            let (mut met, mut missed) = (0, 0);
            for i in &real {
                for d in i.deadlines.iter().filter(|d| d.kind == kind) {
                    match deadline_outcome(i, d, Some(now)).on_time() {
                        Some(true) => met += 1,
                        Some(false) => missed += 1,
                        None => {}
                    }
                }
            }
            let n = met + missed;
            DeadlineShare {
                kind,
                met,
                missed,
                share: (n > 0).then(|| met as f64 / n as f64),
            }
        })
        .collect();

    let mut by_class = BTreeMap::new();
    let mut by_source = BTreeMap::new();
    for i in &real {
        *by_class.entry(class_key(i).to_owned()).or_insert(0) += 1;
        *by_source.entry(i.source.as_str().to_owned()).or_insert(0) += 1;
    }

    Metrics {
        from,
        to,
        as_of: now,
        total: real.len(),
        open: real.iter().filter(|i| i.status.is_open()).count(),
        resolved: real.iter().filter(|i| i.status == Status::Resolved).count(),
        closed: real.iter().filter(|i| i.status == Status::Closed).count(),
        drills,
        mtta: Mean::of(real.iter().filter_map(|i| ack_secs(i))),
        mttr: Mean::of(real.iter().filter_map(|i| resolve_secs(i))),
        by_severity,
        deadlines,
        by_class,
        by_source,
    }
}

/// `[1 January year, 1 January year+1)` in UTC: the window of
/// [`annual_markdown`], for computing its [`Metrics`].
pub fn year_window(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start =
        |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).map(|d| d.and_time(NaiveTime::MIN).and_utc());
    (
        start(year).unwrap_or(DateTime::<Utc>::MIN_UTC),
        start(year.saturating_add(1)).unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

// ---------------------------------------------------------------------------
// The annual security report

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

// ---------------------------------------------------------------------------
// Drill evidence

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::assess::{explain, facts};
    use crate::domain::{
        Basis, Change, EventKind, EvidenceInput, IncidentClass, IncidentId, NewIncident,
        REVIEW_CRITERION, Reference, Report, ReportInput, Source, SourceSignal, StatusFields,
    };
    use crate::policy::{Policy, clocks};
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
                    (a.class, a.play, a.severity) =
                        (sc.class, p.judgement.play(sc.class), sc.severity);
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
