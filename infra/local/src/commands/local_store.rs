//! `klaxon show` and local `klaxon ack`: the data directory `klaxon serve`
//! uses, read and written through the same store and use cases.

use super::BoxError;
use chrono::{DateTime, Utc};
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::domain::{Deadline, DeadlineOutcome, Incident, IncidentKey, deadline_outcome};
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
    // A name is stored on the timeline and sent in messages: one that
    // reads as a secret is refused, never echoed.
    let secretish = |s: &str| !klaxon_core::domain::redact::redact(s).kinds.is_empty();
    if by.as_deref().is_some_and(secretish) {
        return Err(
            "--by looks like a secret, not a name: give the name of the person acknowledging"
                .into(),
        );
    }
    let by = by
        .or_else(|| std::env::var("USER").ok().filter(|u| !secretish(u)))
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
    let now = Utc::now();
    for d in &incident.deadlines {
        let state = deadline_state(&incident, d, now);
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

/// A deadline's state as `show` prints it, judged at `now` by the domain's
/// verdict (the rule the API's view and the review use).
fn deadline_state(incident: &Incident, d: &Deadline, now: DateTime<Utc>) -> String {
    let at = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    match deadline_outcome(incident, d, Some(now)) {
        DeadlineOutcome::MetOnTime => format!("met {}", at(d.met_at)),
        DeadlineOutcome::MetLate => format!("met late {}", at(d.met_at)),
        DeadlineOutcome::Breached => format!("BREACHED {}", at(d.breached_at)),
        DeadlineOutcome::Missed => "MISSED: due and unmet".into(),
        DeadlineOutcome::NotOwed => "not owed: resolved before it fell due".into(),
        DeadlineOutcome::Open => match d.next_alert_at {
            Some(n) => format!(
                "open, {} reminder(s) sent, next alert {}",
                d.reminders_sent,
                n.to_rfc3339()
            ),
            None => "open".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klaxon_core::domain::{DeadlineKind, NewIncident, Report, ReportInput, Source};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    /// Each verdict as printed; the verdict itself is the domain's.
    #[test]
    fn deadline_state_table() {
        let report = Report::parse(ReportInput {
            title: Some("t".into()),
            ..Default::default()
        })
        .expect("report");
        let start = t("2026-02-01T00:00:00Z");
        let base = NewIncident::from_report(report, Source::Report, None, start).incident;
        let due = t("2026-02-02T00:00:00Z");
        let (before, after) = (t("2026-02-01T12:00:00Z"), t("2026-02-03T00:00:00Z"));
        let deadline = |kind, met_at, breached_at, next_alert_at| Deadline {
            kind,
            starts_at: start,
            due_at: due,
            met_at,
            reminders_sent: 1,
            breached_at,
            next_alert_at,
        };
        use DeadlineKind::{CustomerNotice, Notify, StatusUpdate};
        // (deadline, resolved at, judged at, printed)
        let cases = [
            (
                deadline(Notify, Some(before), None, None),
                None,
                after,
                "met 2026-02-01T12:00:00+00:00",
            ),
            (
                deadline(Notify, Some(after), Some(due), None),
                None,
                after,
                "met late 2026-02-03T00:00:00+00:00",
            ),
            (
                deadline(Notify, None, Some(due), None),
                None,
                after,
                "BREACHED 2026-02-02T00:00:00+00:00",
            ),
            (
                deadline(Notify, None, None, None),
                None,
                after,
                "MISSED: due and unmet",
            ),
            (
                deadline(StatusUpdate, None, None, None),
                Some(before),
                after,
                "not owed: resolved before it fell due",
            ),
            (
                deadline(CustomerNotice, None, None, None),
                Some(before),
                after,
                "MISSED: due and unmet",
            ),
            (
                deadline(Notify, None, None, Some(due)),
                None,
                before,
                "open, 1 reminder(s) sent, next alert 2026-02-02T00:00:00+00:00",
            ),
            (deadline(Notify, None, None, None), None, before, "open"),
        ];
        for (d, resolved_at, now, want) in cases {
            let mut i = base.clone();
            i.resolved_at = resolved_at;
            assert_eq!(deadline_state(&i, &d, now), want, "{d:?}");
        }
    }
}
