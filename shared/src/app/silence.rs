//! The sweep's heartbeat check: every monitor late now opens its incident.
//!
//! A late monitor becomes a report of [`Source::Heartbeat`] whose key is the
//! silence ([`Monitor::silence_key`]), so however often the sweep retries it
//! is one incident, assessed and paged like any other at the monitor's
//! severity. Reads only the monitors' due index, so the cost follows what is
//! late, not how many monitors there are.

use super::heartbeat::{MONITOR, note_recovery};
use super::{App, intake, outbox};
use crate::domain::heartbeat::{Monitor, span};
use crate::domain::{
    IncidentId, NewIncident, Report, ReportInput, Severity, SeverityOverride, Source, SourceSignal,
};
use crate::ports::StoreError;
use crate::retry::Try;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// Late monitors read per sweep; the next sweep takes the rest.
pub const BATCH: usize = 100;

/// What the sweep's heartbeat check did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Monitors found late, each now with its incident.
    pub late: usize,
    /// Items the store examined to find them.
    pub examined: u64,
    /// Late monitors that could not be handled; the next sweep retries.
    pub failed: usize,
}

/// Opens an incident for every monitor late now.
pub async fn check(app: &Arc<App>) -> Result<Check, StoreError> {
    let now = app.clock.now();
    let (due, examined) = app.store.monitors_due(now, BATCH).await?;
    let mut c = Check {
        examined,
        ..Check::default()
    };
    for m in due {
        let name = m.spec.name.clone();
        match late(app, m, now).await {
            Ok(true) => c.late += 1,
            Ok(false) => {}
            Err(e) => {
                c.failed += 1;
                tracing::error!(monitor = %name, error = %e, "late heartbeat not handled; next sweep retries");
            }
        }
    }
    Ok(c)
}

/// The report a silence files: the monitor's severity as the source's own.
fn silence_report(m: &Monitor, now: DateTime<Utc>) -> Result<Report, StoreError> {
    let word = match m.spec.severity {
        Severity::Sev1 => "critical",
        Severity::Sev2 => "high",
        Severity::Sev3 => "medium",
        Severity::Sev4 => "low",
    };
    let beaten_by = match m.spec.source {
        Some(s) => format!(
            "a delivery from {} or POST /heartbeats/{}",
            s.as_str(),
            m.spec.name
        ),
        None => format!("POST /heartbeats/{}", m.spec.name),
    };
    let input = ReportInput {
        title: Some(m.silence_title(now)),
        description: Some(format!(
            "Heartbeat monitor {} expects {} at least every {} (grace {}), and none has come since {}. \
             A silent source is itself a signal: a detector disabled, a scan that stopped, a webhook \
             whose secret was rotated on one side only.",
            m.spec.name,
            beaten_by,
            span(chrono::Duration::seconds(m.spec.interval_secs)),
            span(chrono::Duration::seconds(m.spec.grace_secs)),
            m.quiet_since()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )),
        signal: Some(SourceSignal {
            kind: "heartbeat".into(),
            severity: Some(word.into()),
            score: None,
        }),
        ..ReportInput::default()
    };
    Report::parse(input).map_err(|errors| {
        let why: Vec<_> = errors.iter().map(|e| e.message.clone()).collect();
        StoreError::Backend(format!("the silence report is invalid: {}", why.join("; ")))
    })
}

/// Stores the silence's incident, once: a retry finds it by its key. The
/// monitor's severity was decided by whoever set it up, so it stands as an
/// override: the engine's reading of "has been silent" does not lower it.
async fn open(app: &Arc<App>, m: &Monitor, now: DateTime<Utc>) -> Result<IncidentId, StoreError> {
    let report = silence_report(m, now)?;
    let key = Some(m.silence_key().into());
    let mut new = NewIncident::from_report(report, Source::Heartbeat, key, now);
    new.incident.severity_override = Some(SeverityOverride {
        severity: m.spec.severity,
        reason: format!(
            "heartbeat monitor {} raises {} when late",
            m.spec.name, m.spec.severity
        ),
        by: format!("heartbeat:{}", m.spec.name),
        at: now,
    });
    let (created, events) = intake::create(app, new).await?;
    if !created.duplicate {
        crate::metrics::incr(crate::metrics::Metric::ReportsReceived);
        outbox::flush_new(app, &created.incident, events).await;
    }
    Ok(created.incident.id)
}

/// Opens a late monitor's incident (once: the key is the silence) and marks
/// the monitor late. Returns whether it was still late.
async fn late(app: &Arc<App>, m: Monitor, now: DateTime<Utc>) -> Result<bool, StoreError> {
    if !m.is_late(now) {
        return Ok(false);
    }
    let id = open(app, &m, now).await?;
    MONITOR
        .run(m, |mut m| async move {
            let expected = m.version;
            m.late_incident = Some(id);
            match app.store.save_monitor(&m, expected).await {
                Ok(_) => {
                    tracing::warn!(monitor = %m.spec.name, incident_id = %id, "heartbeat late; incident opened");
                    return Ok(Try::Done(true));
                }
                Err(StoreError::MonitorChanged(_)) => {}
                Err(e) => return Err(e),
            }
            match app.store.monitor(&m.spec.name).await? {
                // Deleted meanwhile: the incident stands, nothing to mark.
                None => Ok(Try::Done(true)),
                // Another sweep marked it: its incident is this one (same key).
                Some(current) if current.late_incident.is_some() => Ok(Try::Done(true)),
                Some(current) if current.is_late(now) => {
                    let e = StoreError::Unavailable(format!("monitor {} is busy", m.spec.name));
                    Ok(Try::Again(current, e))
                }
                Some(current) => {
                    // A beat came while the incident was opened: note it there.
                    let silent = current.last_beat_at.unwrap_or(now) - m.quiet_since();
                    note_recovery(app, id, &current, silent, "a beat during the check").await?;
                    Ok(Try::Done(true))
                }
            }
        })
        .await
}
