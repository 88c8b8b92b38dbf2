//! `klaxon show` and local `klaxon ack`: the data directory `klaxon serve`
//! uses, read and written through the same store and use cases.

use super::BoxError;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::domain::IncidentKey;
use klaxon_core::ports::{IncidentStore, RepeatCounter};
use serde_json::json;
use std::path::Path;

/// `klaxon ack`: acknowledges through the same use case as the API, on the
/// data directory `klaxon serve` uses. The event is published (and
/// `outbox.jsonl` written) before the command exits.
pub async fn ack(
    data_dir: &Path,
    config: Option<&Path>,
    policy: Option<&Path>,
    id: &str,
    by: Option<String>,
    note: Option<&str>,
    json: bool,
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
    let note = klaxon_core::domain::redact::redact(note.unwrap_or("").trim())
        .text
        .into_owned();
    // The operator at the terminal sees every tenant.
    let caller = klaxon_core::domain::Caller {
        name: by.clone(),
        role: klaxon_core::domain::Role::Admin,
        tenants: None,
    };
    let acked = klaxon_core::app::escalate::acknowledge(&app, &caller, id, "cli", &note).await?;
    let i = &acked.incident;
    if json {
        return Ok(format!(
            "{}\n",
            json!({"incident": i, "acknowledged": acked.changed})
        ));
    }
    Ok(if acked.changed {
        format!("{} acknowledged by {by}; paging stopped", i.reference)
    } else {
        format!("{} was already acknowledged; nothing changed", i.reference)
    } + "\n")
}

/// Prints an incident's severity, reasons, deadlines and timeline.
pub async fn show(data_dir: &Path, id: &str, json: bool) -> Result<String, BoxError> {
    let store = SqliteIncidentStore::open(data_dir)?;
    let key = IncidentKey::parse(id).ok_or_else(|| {
        format!("{id:?} is neither an incident id nor a reference like KLX-2026-7QX4MZ")
    })?;
    let incident = store
        .find(&key)
        .await?
        .ok_or_else(|| format!("no incident {id} in {}", data_dir.display()))?;
    let mut timeline = store.timeline(incident.id).await?;
    // The burst in progress, which the repeat counter holds (app::repeats::timeline).
    if let Some(repeats) = store.repeats(incident.id).await? {
        let seq = timeline.last().map_or(0, |e| e.seq + 1);
        timeline.extend(repeats.burst_entry(seq));
    }
    if json {
        return Ok(format!(
            "{}\n",
            json!({"incident": incident, "timeline": timeline})
        ));
    }
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
