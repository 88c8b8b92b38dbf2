//! On-call feeds as iCalendar (RFC 5545): one VEVENT per shift, times in
//! UTC, text escaped, lines folded at 75 octets and ended with CRLF. Small
//! enough to write here rather than link a calendar crate into the Lambda.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across fetches: a calendar replaces the event it already has.
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub description: Option<String>,
}

/// A UID from the parts that identify an event: `<hex>@klaxon`.
pub fn uid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    format!("{}@klaxon", &hex::encode(h.finalize())[..32])
}

/// The media type a feed is served as.
pub const MEDIA_TYPE: &str = "text/calendar; charset=utf-8";

/// The feed: a VCALENDAR named `name` holding `events`, stamped `now`.
pub fn calendar(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let stamp = utc(now);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Klaxon//On-call//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        line(&mut out, &format!("DTEND:{}", utc(e.end)));
        line(&mut out, &format!("SUMMARY:{}", text(&e.summary)));
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", text(d)));
        }
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// A DATE-TIME in UTC form: `20261202T093000Z`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (§3.3.11): backslash, semicolon and comma escaped, line
/// breaks as `\n`, other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded (§3.1): no line longer than 75
/// octets, a continuation starting with a space, never splitting a UTF-8
/// character.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    let _ = out.write_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Unfolds and splits a feed as a parser would.
    fn unfold(feed: &str) -> Vec<String> {
        feed.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn renders_events_in_utc_with_crlf() {
        let feed = calendar(
            "security-primary",
            &[Event {
                uid: uid(&["security-primary", "priya", "2026-03-30T07:00:00Z"]),
                start: t("2026-03-30T07:00:00Z"),
                end: t("2026-04-06T07:00:00Z"),
                summary: "On call: Priya Raman (security-primary)".into(),
                description: Some("Layer 1, Mon 09:00 Europe/Berlin".into()),
            }],
            t("2026-03-28T12:00:00Z"),
        );
        assert!(
            feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
            "{feed}"
        );
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
        // No bare line feed.
        assert_eq!(feed.matches('\n').count(), feed.matches("\r\n").count());
        let lines = unfold(&feed);
        for want in [
            "DTSTART:20260330T070000Z",
            "DTEND:20260406T070000Z",
            "DTSTAMP:20260328T120000Z",
            "SUMMARY:On call: Priya Raman (security-primary)",
            "DESCRIPTION:Layer 1\\, Mon 09:00 Europe/Berlin",
        ] {
            assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
        }
        let uid_line = lines.iter().find(|l| l.starts_with("UID:")).unwrap();
        assert!(uid_line.ends_with("@klaxon"));
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let name = "Ünïcödé on-call rota; with, commas \\ and a very long name that goes on and on ☎☎☎☎☎☎☎☎";
        let feed = calendar(name, &[], t("2026-01-01T00:00:00Z"));
        for l in feed.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let lines = unfold(&feed);
        let cal = lines
            .iter()
            .find(|l| l.starts_with("X-WR-CALNAME:"))
            .unwrap();
        assert_eq!(
            cal.trim_start_matches("X-WR-CALNAME:"),
            "Ünïcödé on-call rota\\; with\\, commas \\\\ and a very long name that goes on and on ☎☎☎☎☎☎☎☎"
        );
    }

    #[test]
    fn text_drops_control_characters_and_escapes_breaks() {
        assert_eq!(text("a\nb\u{7}c"), "a\\nbc");
    }
}
