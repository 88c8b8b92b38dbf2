//! Intake: turns a parsed report into a stored incident.

use super::{App, Write, outbox};
use crate::domain::{Change, Incident, NewIncident, Repeat, Report, Source, TimelineKind};
use crate::metrics::{self, Metric};
use crate::ports::{Created, SenderKey, StoreError};
use std::sync::Arc;

/// References are random; a collision is rare, and each retry draws afresh.
const REFERENCE_ATTEMPTS: usize = 5;

/// Stores the report as a new incident, or returns the existing one for a
/// repeated key. `Report Received` is committed with a new incident. A key
/// bound to other content ([`SenderKey::for_content`]) is refused with
/// `KeyReused`. Keys are hashed: the store never sees the sender's text.
pub async fn submit(
    app: &Arc<App>,
    source: Source,
    report: Report,
    key: Option<SenderKey>,
) -> Result<Created, StoreError> {
    submit_keyed(app, source, report, key, Repeat::Replay).await
}

pub async fn submit_keyed(
    app: &Arc<App>,
    source: Source,
    report: Report,
    key: Option<SenderKey>,
    repeat: Repeat,
) -> Result<Created, StoreError> {
    let mut new = NewIncident::from_report(report, source, key, app.clock.now());
    let (mut created, mut events) = create(app, new.clone()).await?;
    if created.duplicate && repeat == Repeat::Occurrence {
        if created.incident.status.is_open() {
            let incident =
                count_occurrence(app, created.incident, new.incident.signal.clone()).await?;
            created = Created {
                incident,
                duplicate: true,
            };
        } else {
            new.supersedes = Some(created.incident.id);
            (created, events) = create(app, new.clone()).await?;
        }
    }
    if created.duplicate {
        metrics::incr(Metric::ReportsDuplicated);
        tracing::info!(incident_id = %created.incident.id, source = source.as_str(), "repeated delivery");
    } else {
        metrics::incr(Metric::ReportsReceived);
        tracing::info!(incident_id = %created.incident.id, reference = %created.incident.reference, source = source.as_str(), "report stored");
        outbox::flush_new(app, &created.incident, events).await;
    }
    Ok(created)
}

/// Stores `new`, drawing a fresh reference after a collision. Returns the
/// events as committed: a redraw changes the reference they carry.
pub(crate) async fn create(
    app: &App,
    mut new: NewIncident,
) -> Result<(Created, Vec<crate::domain::DomainEvent>), StoreError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match app.store.create(new.clone()).await {
            Err(StoreError::ReferenceTaken(r)) if attempts < REFERENCE_ATTEMPTS => {
                tracing::info!(reference = %r, "reference collision; drawing another");
                new = new.with_new_reference();
            }
            other => return other.map(|c| (c, new.events)),
        }
    }
}

/// Adds one to the incident's occurrence count, with a timeline entry, and
/// re-assesses it: a repeat is a new fact, and may carry a more severe
/// source signal.
async fn count_occurrence(
    app: &Arc<App>,
    incident: Incident,
    signal: Option<crate::domain::SourceSignal>,
) -> Result<Incident, StoreError> {
    let (incident, ()) = super::update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        change.incident.occurrences += 1;
        let n = change.incident.occurrences;
        change.record(
            "klaxon",
            TimelineKind::Occurrence,
            format!("the source reported it again (occurrence {n})"),
        );
        if let Some(new) = &signal
            && more_severe(new, change.incident.signal.as_ref())
        {
            change.incident.signal = Some(new.clone());
        }
        // Recorded on the timeline only if it changes anything.
        super::assess::reassess(
            &mut change,
            &app.settings.policy,
            "the source reported it again",
        );
        Ok::<_, StoreError>(Write::Commit(change, ()))
    })
    .await?;
    Ok(incident)
}

fn more_severe(
    new: &crate::domain::SourceSignal,
    old: Option<&crate::domain::SourceSignal>,
) -> bool {
    let sev = crate::policy::classify::source_severity;
    match (sev(new), old.and_then(sev)) {
        (Some(n), Some(o)) => n < o,
        (Some(_), None) => true,
        _ => false,
    }
}

/// What became of an AWS security finding event.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FindingsOutcome {
    pub stored: usize,
    pub duplicates: usize,
    /// Why nothing was stored, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// An EventBridge event from GuardDuty, Security Hub or CloudWatch, as the
/// intake Lambda receives it: each finding becomes (or repeats) an incident.
/// A shape Klaxon does not know is ignored, not retried.
pub async fn findings(
    app: &Arc<App>,
    event: &serde_json::Value,
) -> Result<FindingsOutcome, StoreError> {
    let source = match event.get("source").and_then(serde_json::Value::as_str) {
        Some("aws.guardduty") => Source::Guardduty,
        Some("aws.securityhub") => Source::SecurityHub,
        Some("aws.cloudwatch") => Source::Cloudwatch,
        other => {
            let reason = format!("events from {other:?} are not findings Klaxon takes");
            tracing::warn!(%reason, "event ignored");
            return Ok(FindingsOutcome {
                ignored: Some(reason),
                ..Default::default()
            });
        }
    };
    let reports = match crate::webhook::normalize::aws_finding(event) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(reason = %e, "finding ignored");
            return Ok(FindingsOutcome {
                ignored: Some(e.to_string()),
                ..Default::default()
            });
        }
    };
    // A finding is a beat of the monitors that watch this source.
    super::heartbeat::beat_source(app, source).await;
    let mut out = FindingsOutcome::default();
    for (input, key) in reports {
        match Report::parse(input) {
            Ok(report) => {
                let created =
                    submit_keyed(app, source, report, Some(key.key.into()), key.repeat).await?;
                if created.duplicate {
                    out.duplicates += 1;
                } else {
                    out.stored += 1;
                }
            }
            Err(errors) => {
                let reason = errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                tracing::warn!(%reason, "finding could not be read as a report");
                out.ignored = Some(reason);
            }
        }
    }
    if out.stored + out.duplicates == 0 && out.ignored.is_none() {
        out.ignored = Some("no finding in the event opens an incident".into());
    }
    Ok(out)
}
