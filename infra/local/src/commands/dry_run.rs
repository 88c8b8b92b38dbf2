//! `klaxon assess` and `klaxon policy default`: the engine and the policy
//! over JSON Lines, with no store and no network.

use super::BoxError;
use klaxon_core::app::assess;
use klaxon_core::domain::{FieldError, NewIncident, Report, ReportInput, Source, SourceSignal};
use klaxon_core::escape::terminal;
use klaxon_core::policy::{DEFAULT_POLICY, Policy};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::path::Path;

/// Extra facts a dry-run line may state, beside the report fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signals {
    kind: Option<String>,
    severity: Option<String>,
    score: Option<f64>,
    customer_data: Option<bool>,
    atlassian_systems: Option<bool>,
    production: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Line {
    #[serde(flatten)]
    report: ReportInput,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    signals: Option<Signals>,
}

/// Why a line could not be assessed; printed as that line's `error`.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not a report object: {0}")]
    NotAReport(serde_json::Error),
    /// What the report form would say about each field.
    #[error("{}", messages(.0))]
    Invalid(Vec<FieldError>),
}

fn messages(errs: &[FieldError]) -> String {
    errs.iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One report in, one verdict out.
pub fn assess_line(
    line: &str,
    policy: &Policy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, LineError> {
    let Line {
        mut report,
        source,
        signals,
    } = serde_json::from_str(line).map_err(LineError::NotAReport)?;
    if let Some(s) = signals {
        if s.kind.is_some() || s.severity.is_some() || s.score.is_some() {
            report.signal = Some(SourceSignal {
                kind: s.kind.unwrap_or_else(|| {
                    source
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_else(|| "report".into())
                }),
                severity: s.severity.map(Into::into),
                score: s.score,
            });
        }
        report.customer_data_involved = report.customer_data_involved.or(s.customer_data);
        report.atlassian_systems_affected =
            report.atlassian_systems_affected.or(s.atlassian_systems);
        report.production = report.production.or(s.production);
    }
    let report = Report::parse(report).map_err(LineError::Invalid)?;
    // The same path a stored incident takes, without the store.
    let incident =
        NewIncident::from_report(report, source.unwrap_or(Source::Report), None, now).incident;
    let a = policy.assess(&assess::facts(&incident));
    let deadlines: Vec<Value> = policy
        .deadlines(&a, now, now)
        .iter()
        .map(|d| json!({"kind": d.kind, "due": d.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}))
        .collect();
    Ok(json!({
        "severity": a.severity,
        "cvss": a.cvss,
        "class": a.class,
        "play": a.play,
        "flags": a.flags,
        "reasons": a.reasons,
        "notes": a.notes,
        "needs_triage": a.needs_triage,
        "confidence": a.confidence,
        "deadlines": deadlines,
    }))
}

/// Reads JSON Lines on stdin, writes one JSON line per report. Returns how
/// many lines could not be assessed.
pub fn assess(
    now: Option<chrono::DateTime<chrono::Utc>>,
    policy: Option<&Path>,
) -> Result<usize, BoxError> {
    let policy = match policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default(),
    };
    let now = now.unwrap_or_else(chrono::Utc::now);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let verdict = assess_line(&line, &policy, now).unwrap_or_else(|e| {
            failed += 1;
            json!({"line": n + 1, "error": e.to_string()})
        });
        writeln!(out, "{}", terminal::json(&verdict.to_string()))?;
    }
    Ok(failed)
}

pub fn policy_default() -> &'static str {
    DEFAULT_POLICY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assess_line_table() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        let p = Policy::default();
        let v = assess_line(r#"{"title":"Leaked production AWS key","description":"AKIAIOSFODNN7EXAMPLE found in a public gist"}"#, &p, now).unwrap();
        assert_eq!(v["severity"], "SEV-2");
        assert_eq!(v["class"], "leaked_production_secret");
        assert_eq!(
            v["deadlines"][0],
            json!({"kind": "acknowledge", "due": "2026-11-23T17:00:00Z"})
        );
        let v = assess_line(r#"{"title":"GuardDuty finding","source":"guardduty","signals":{"kind":"guardduty","score":9.1,"customer_data":true}}"#, &p, now).unwrap();
        assert_eq!(v["severity"], "SEV-1");
        assert_eq!(v["flags"]["customer_notification_required"], true);
        let v = assess_line(r#"{"title":"x","cvss":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}"#, &p, now).unwrap();
        assert_eq!(v["cvss"], json!({"version": "4.0", "score": 9.3}));
        assert!(
            assess_line("{}", &p, now)
                .unwrap_err()
                .to_string()
                .contains("title")
        );
        assert!(
            assess_line("nope", &p, now)
                .unwrap_err()
                .to_string()
                .contains("not a report")
        );
        assert!(assess_line(r#"{"title":"x","signals":{"bogus":1}}"#, &p, now).is_err());
    }
}
