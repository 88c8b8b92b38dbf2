//! The Markdown pieces every document shares: times, spans, quoted and
//! tabled text, counts and labels.

use crate::domain::{Incident, Severity, Task, TaskSection, TaskState};
use crate::escape::markdown;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::fmt::Write as _;

pub(super) fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

pub(super) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `45s`, `7m`, `1h 3m`, `2d 4h`: the two largest units.
pub(super) fn span_secs(secs: i64) -> String {
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

pub(super) fn span(d: Duration) -> String {
    span_secs(d.num_seconds())
}

/// Free text in prose: shown as the text it is, never as Markdown or HTML
/// (an XSS report's title must show its payload, not run it; a link or an
/// image from an anonymous report must not become one). See
/// [`markdown`].
pub(super) fn prose(s: &str) -> String {
    markdown::block(s)
}

/// Free text made safe for a table cell: one line, escaped. A multi-line
/// entry (an assessment and its reasons) becomes `a; b; c`.
pub(super) fn cell(s: &str) -> String {
    let lines: Vec<&str> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .collect();
    markdown::inline(&lines.join("; "))
}

/// A block quote of free text, line by line.
pub(super) fn quote(s: &str) -> String {
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
pub(super) fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

/// `1 page`, `2 pages`.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub(super) fn stated(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not stated",
    }
}

pub(super) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn severity_label(s: Option<Severity>) -> String {
    match s {
        Some(s) => format!("{} ({})", s.code(), s.name()),
        None => "unassessed".into(),
    }
}

pub(super) fn severity_key(s: Option<Severity>) -> &'static str {
    s.map(Severity::code).unwrap_or("unassessed")
}

pub(super) fn class_key(i: &Incident) -> &'static str {
    i.assessment
        .as_ref()
        .map(|a| a.class.id())
        .unwrap_or("unassessed")
}

pub(super) fn state_label(s: TaskState) -> &'static str {
    match s {
        TaskState::Open => "open",
        TaskState::Done => "done",
        TaskState::Waived => "waived",
    }
}

pub(super) fn tasks_in(i: &Incident, section: TaskSection) -> Vec<&Task> {
    i.tasks.iter().filter(|t| t.section == section).collect()
}

/// `3 of 6 done, 1 waived, 2 open`.
pub(super) fn task_tally(tasks: &[&Task]) -> String {
    let n = |s| tasks.iter().filter(|t| t.state == s).count();
    let mut out = format!("{} of {} done", n(TaskState::Done), tasks.len());
    for s in [TaskState::Waived, TaskState::Open] {
        if n(s) > 0 {
            let _ = write!(out, ", {} {}", n(s), state_label(s));
        }
    }
    out
}
