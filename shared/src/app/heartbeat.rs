//! Heartbeats: monitors set up, beaten, and checked by the escalate sweep.
//!
//! A late monitor becomes a report of [`Source::Heartbeat`] whose key is the
//! silence ([`Monitor::silence_key`]), so however often the sweep retries it
//! is one incident, assessed and paged like any other at the monitor's
//! severity. A beat after that notes the recovery on that incident.

use super::{App, Write, intake, outbox, update};
use crate::domain::heartbeat::{Monitor, MonitorName, MonitorSpec, span};
use crate::domain::{
    Change, IncidentId, NewIncident, Report, ReportInput, Severity, SeverityOverride, Source,
    SourceSignal, TimelineKind,
};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// Late monitors read per sweep; the next sweep takes the rest.
pub const BATCH: usize = 100;
/// A monitor beaten and checked at once settles within a few tries.
const RETRIES: usize = 5;

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

/// Creates a monitor, or changes one's spec keeping its beats.
pub async fn configure(app: &Arc<App>, spec: MonitorSpec) -> Result<Monitor, StoreError> {
    for _ in 0..RETRIES {
        match app.store.monitor(&spec.name).await? {
            None => {
                let m = Monitor::new(spec.clone(), app.clock.now());
                match app.store.create_monitor(&m).await {
                    Err(StoreError::MonitorChanged(_)) => continue,
                    other => return other.map(|()| m),
                }
            }
            Some(mut m) => {
                let expected = m.version;
                m.spec = spec.clone();
                match app.store.save_monitor(&m, expected).await {
                    Err(StoreError::MonitorChanged(_)) => continue,
                    other => return other,
                }
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "monitor {} is busy; retry shortly",
        spec.name
    )))
}

/// A beat. `None` when there is no such monitor.
pub async fn beat(
    app: &Arc<App>,
    name: &MonitorName,
    via: &str,
) -> Result<Option<Monitor>, StoreError> {
    for _ in 0..RETRIES {
        let Some(mut m) = app.store.monitor(name).await? else {
            return Ok(None);
        };
        let now = app.clock.now();
        let silent = now - m.quiet_since();
        let expected = m.version;
        let recovered = m.beat(now);
        match app.store.save_monitor(&m, expected).await {
            Ok(stored) => {
                if let Some(id) = recovered {
                    note_recovery(app, id, &stored, silent, via).await?;
                }
                return Ok(Some(stored));
            }
            Err(StoreError::MonitorChanged(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable(format!(
        "monitor {name} is busy; retry shortly"
    )))
}

/// Beats every monitor that names `source`: called for each delivery a
/// sender's signature vouched for, stored or ignored. A failure is logged,
/// never the sender's problem.
pub async fn beat_source(app: &Arc<App>, source: Source) {
    let monitors = match app.store.monitors().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(source = source.as_str(), error = %e, "could not read heartbeat monitors");
            return;
        }
    };
    for m in monitors
        .into_iter()
        .filter(|m| m.spec.source == Some(source))
    {
        if let Err(e) = beat(app, &m.spec.name, source.as_str()).await {
            tracing::warn!(monitor = %m.spec.name, error = %e, "heartbeat not recorded");
        }
    }
}

async fn note_recovery(
    app: &Arc<App>,
    id: IncidentId,
    m: &Monitor,
    silent: chrono::Duration,
    via: &str,
) -> Result<(), StoreError> {
    let Some(incident) = app.store.get(id).await? else {
        // Purged or deleted since: nothing left to note it on.
        return Ok(());
    };
    let message = format!(
        "beats resumed: {} beat again ({via}) after {} of silence",
        m.spec.name,
        span(silent)
    );
    update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        change.record("klaxon", TimelineKind::Note, message.clone());
        Ok::<_, StoreError>(Write::Commit(change, ()))
    })
    .await?;
    tracing::info!(monitor = %m.spec.name, incident_id = %id, "heartbeat recovered");
    Ok(())
}

/// The sweep's part: every monitor late now opens its incident. Reads only
/// the monitors' due index, so the cost follows what is late, not how many
/// monitors there are.
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
async fn late(app: &Arc<App>, mut m: Monitor, now: DateTime<Utc>) -> Result<bool, StoreError> {
    if !m.is_late(now) {
        return Ok(false);
    }
    let id = open(app, &m, now).await?;
    for _ in 0..RETRIES {
        let expected = m.version;
        m.late_incident = Some(id);
        match app.store.save_monitor(&m, expected).await {
            Ok(_) => {
                tracing::warn!(monitor = %m.spec.name, incident_id = %id, "heartbeat late; incident opened");
                return Ok(true);
            }
            Err(StoreError::MonitorChanged(_)) => {}
            Err(e) => return Err(e),
        }
        match app.store.monitor(&m.spec.name).await? {
            // Deleted meanwhile: the incident stands, nothing to mark.
            None => return Ok(true),
            // Another sweep marked it: its incident is this one (same key).
            Some(current) if current.late_incident.is_some() => return Ok(true),
            Some(current) if current.is_late(now) => m = current,
            Some(current) => {
                // A beat came while the incident was opened: note it there.
                let silent = current.last_beat_at.unwrap_or(now) - m.quiet_since();
                note_recovery(app, id, &current, silent, "a beat during the check").await?;
                return Ok(true);
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "monitor {} is busy",
        m.spec.name
    )))
}
