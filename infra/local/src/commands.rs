//! `klaxon assess`, `klaxon policy default` and `klaxon show`: the engine
//! and the store from the command line, touching no network.

use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::assess;
use klaxon_core::domain::{IncidentKey, NewIncident, Report, ReportInput, Source, SourceSignal};
use klaxon_core::policy::{self, DEFAULT_POLICY, Policy};
use klaxon_core::ports::IncidentStore;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::path::Path;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

/// One report in, one verdict out.
pub fn assess_line(
    line: &str,
    policy: &Policy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, String> {
    let Line {
        mut report,
        source,
        signals,
    } = serde_json::from_str(line).map_err(|e| format!("not a report object: {e}"))?;
    if let Some(s) = signals {
        if s.kind.is_some() || s.severity.is_some() || s.score.is_some() {
            report.signal = Some(SourceSignal {
                kind: s.kind.unwrap_or_else(|| {
                    source
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_else(|| "report".into())
                }),
                severity: s.severity,
                score: s.score,
            });
        }
        report.customer_data_involved = report.customer_data_involved.or(s.customer_data);
        report.atlassian_systems_affected =
            report.atlassian_systems_affected.or(s.atlassian_systems);
        report.production = report.production.or(s.production);
    }
    let report = Report::parse(report).map_err(|errs| {
        errs.iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    // The same path a stored incident takes, without the store.
    let incident =
        NewIncident::from_report(report, source.unwrap_or(Source::Report), None, now).incident;
    let a = policy::assess(&assess::facts(&incident));
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
            json!({"line": n + 1, "error": e})
        });
        writeln!(out, "{verdict}")?;
    }
    Ok(failed)
}

pub fn policy_default() -> &'static str {
    DEFAULT_POLICY
}

/// `klaxon ack`: acknowledges through the same use case as the API, on the
/// data directory `klaxon serve` uses. The event is published (and
/// `outbox.jsonl` written) before the command exits.
pub async fn ack(
    data_dir: &Path,
    config: Option<&Path>,
    policy: Option<&Path>,
    id: &str,
    by: Option<String>,
) -> Result<String, BoxError> {
    if !data_dir.join("klaxon.db").exists() {
        return Err(format!(
            "no Klaxon data in {}: pass the --data-dir klaxon serve uses",
            data_dir.display()
        )
        .into());
    }
    let config = crate::settings::FileConfig::load(config)?;
    let app = crate::serve::build(
        data_dir,
        &config,
        policy,
        std::sync::Arc::new(klaxon_core::ports::SystemClock),
        klaxon_core::app::Relay::Inline,
        None,
    )?;
    let by = by
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cli".into());
    let acked = klaxon_core::app::escalate::acknowledge(&app, id, &by, "cli", "").await?;
    let i = &acked.incident;
    Ok(if acked.changed {
        format!("{} acknowledged by {by}; paging stopped", i.reference)
    } else {
        format!("{} was already acknowledged; nothing changed", i.reference)
    })
}

/// Prints an incident's severity, reasons, deadlines and timeline.
pub async fn show(data_dir: &Path, id: &str) -> Result<String, BoxError> {
    let store = SqliteIncidentStore::open(data_dir)?;
    let key = IncidentKey::parse(id).ok_or_else(|| {
        format!("{id:?} is neither an incident id nor a reference like KLX-2026-7QX4MZ")
    })?;
    let incident = store
        .find(&key)
        .await?
        .ok_or_else(|| format!("no incident {id} in {}", data_dir.display()))?;
    let timeline = store.timeline(incident.id).await?;
    let mut s = String::new();
    let sev = incident
        .severity
        .map(|v| format!("{v} ({})", v.name()))
        .unwrap_or_else(|| "not assessed".into());
    s.push_str(&format!(
        "{} {}\n{}\n",
        incident.reference, incident.id, incident.title
    ));
    s.push_str(&format!("status:   {}\nseverity: {sev}\n", incident.status));
    if let Some(o) = &incident.severity_override {
        s.push_str(&format!(
            "override: {} by {} at {}: {}\n",
            o.severity,
            o.by,
            o.at.to_rfc3339(),
            o.reason
        ));
    }
    if let Some(a) = &incident.assessment {
        s.push_str(&format!(
            "class:    {}\nplay:     {}\n",
            a.class,
            json!(a.play).as_str().unwrap_or("")
        ));
        if let Some(c) = &a.cvss {
            s.push_str(&format!("cvss:     {} {:.1}\n", c.version, c.score));
        }
        s.push_str(&format!(
            "flags:    customer_data_involved={} atlassian_notification_required={} customer_notification_required={}\nreasons:\n",
            a.flags.customer_data_involved, a.flags.atlassian_notification_required, a.flags.customer_notification_required
        ));
        for r in &a.reasons {
            let to = r.severity.map(|v| format!(" -> {v}")).unwrap_or_default();
            s.push_str(&format!("  - {}: {}{to}\n", r.rule, r.evidence));
        }
    }
    match (&incident.acknowledged, &incident.paging) {
        (Some(a), _) => s.push_str(&format!(
            "acked:    by {} via {} at {}\n",
            a.by,
            a.via,
            a.at.to_rfc3339()
        )),
        (None, Some(p)) => s.push_str(&format!(
            "paging:   round {}, {} level(s) fired, next {}\n",
            p.round,
            p.fired,
            p.next_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "none (exhausted)".into())
        )),
        (None, None) => {}
    }
    s.push_str("deadlines:\n");
    for d in &incident.deadlines {
        let state = match (d.met_at, d.breached_at, d.next_alert_at) {
            (Some(m), _, _) => format!("met {}", m.to_rfc3339()),
            (None, Some(b), _) => format!("BREACHED {}", b.to_rfc3339()),
            (None, None, Some(n)) => format!(
                "open, {} reminder(s) sent, next alert {}",
                d.reminders_sent,
                n.to_rfc3339()
            ),
            (None, None, None) => "open".into(),
        };
        s.push_str(&format!(
            "  - {:<22} due {}  {state}\n",
            d.kind.as_str(),
            d.due_at.to_rfc3339()
        ));
    }
    s.push_str("timeline:\n");
    for e in timeline {
        s.push_str(&format!(
            "  {} {} [{}] {}\n",
            e.at.to_rfc3339(),
            e.actor,
            json!(e.kind).as_str().unwrap_or(""),
            e.message.replace('\n', "\n      ")
        ));
    }
    Ok(s)
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
        assert!(assess_line("{}", &p, now).unwrap_err().contains("title"));
        assert!(
            assess_line("nope", &p, now)
                .unwrap_err()
                .contains("not a report")
        );
        assert!(assess_line(r#"{"title":"x","signals":{"bogus":1}}"#, &p, now).is_err());
    }
}
