//! Intake: turns a parsed report into a stored incident.

use super::repeats::{self, Repeated};
use super::{App, outbox};
use crate::domain::{NewIncident, Repeat, RepeatSeen, Repeats, Report, Source};
use crate::metrics::{self, Metric};
use crate::ports::{Created, SenderKey, StoreError};
use crate::retry::{Backoff, Try};
use std::sync::Arc;

/// References are random; a collision is rare, and each retry draws afresh
/// at once (a uniqueness retry: no one holds anything to wait out).
const REFERENCE_ATTEMPTS: Backoff = Backoff::immediate(5);

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
    let (created, events) = create(
        app,
        NewIncident::from_report(report, source, key, app.clock.now()),
    )
    .await?;
    Ok(stored(app, source, created, events).await)
}

/// What intake did with a report.
// Made once per request and matched at once: boxing the incident would
// allocate for every new one to save a move.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Intake {
    /// Stored as a new incident, or answered with the one its key names.
    Stored(Created),
    /// A repeat of an open incident's natural key, counted.
    Repeated(Repeated),
}

/// [`submit`], with what a repeated key means. A natural key
/// ([`Repeat::Occurrence`]) on an open incident counts a repeat on its
/// counter (see [`super::repeats`]); on a resolved one it opens a new
/// incident that the key names from then on.
pub async fn submit_keyed(
    app: &Arc<App>,
    source: Source,
    report: Report,
    key: Option<SenderKey>,
    repeat: Repeat,
) -> Result<Intake, StoreError> {
    let now = app.clock.now();
    let new = NewIncident::from_report(report, source, key, now);
    match (&new.idempotency_key, repeat) {
        (Some(key), Repeat::Occurrence) => {
            let seen = RepeatSeen {
                key: key.clone(),
                incident: app.repeat_targets.get(key),
                at: now,
                rank: repeats::signal_rank(new.incident.signal.as_ref()),
                sample: new.incident.title.clone(),
            };
            occurrence(app, source, new, seen).await
        }
        _ => {
            let (created, events) = create(app, new).await?;
            Ok(Intake::Stored(stored(app, source, created, events).await))
        }
    }
}

/// A report under a natural key: counted on the open incident the key
/// names, or stored as a new incident. A key this process has seen goes to
/// the counter first (a storm is one write per repeat); another is created
/// first, since most keys are new.
async fn occurrence(
    app: &Arc<App>,
    source: Source,
    new: NewIncident,
    mut seen: RepeatSeen,
) -> Result<Intake, StoreError> {
    let signal = new.incident.signal.clone();
    let counted = |r: Repeated| {
        metrics::incr(Metric::ReportsDuplicated);
        tracing::debug!(incident_id = %r.incident_id, source = source.as_str(), occurrences = r.occurrences, "repeat counted");
        Intake::Repeated(r)
    };
    if seen.incident.is_some() {
        if let Some(r) = repeats::count(app, &seen, signal.as_ref()).await? {
            return Ok(counted(r));
        }
        app.repeat_targets.forget(&seen.key);
        seen.incident = None;
    }
    let (counted, signal) = (&counted, &signal);
    OCCURRENCE_ATTEMPTS
        .run((new, seen), |(mut new, mut seen)| async move {
            type Step = Result<Try<Intake, (NewIncident, RepeatSeen), StoreError>, StoreError>;
            let again = |new, seen| -> Step {
                let e = StoreError::Unavailable(
                    "the alert's incident is changing; retry shortly".into(),
                );
                Ok(Try::Again((new, seen), e))
            };
            let (created, events) = create(app, new.clone()).await?;
            let incident = &created.incident;
            if !created.duplicate {
                app.repeat_targets.remember(&seen.key, incident.id);
                return Ok(Try::Done(Intake::Stored(
                    stored(app, source, created, events).await,
                )));
            }
            if !incident.status.is_open() {
                // Resolved: the alert firing again is a new incident.
                new.supersedes = Some(incident.id);
                return again(new, seen);
            }
            let rank = repeats::signal_rank(incident.signal.as_ref());
            app.store
                .open_repeats(&Repeats::open(incident, rank, seen.at))
                .await?;
            seen.incident = Some(incident.id);
            if let Some(r) = repeats::count(app, &seen, signal.as_ref()).await? {
                app.repeat_targets.remember(&seen.key, r.incident_id);
                return Ok(Try::Done(counted(r)));
            }
            // Resolved meanwhile: create again, superseding it.
            seen.incident = None;
            again(new, seen)
        })
        .await
}

/// A resolved incident, superseded, or a repeat found closed meanwhile:
/// each retry reads afresh, at once.
const OCCURRENCE_ATTEMPTS: Backoff = Backoff::immediate(4);

/// Logs and counts what `create` did, and relays a new incident's events.
async fn stored(
    app: &Arc<App>,
    source: Source,
    created: Created,
    events: Vec<crate::domain::DomainEvent>,
) -> Created {
    if created.duplicate {
        metrics::incr(Metric::ReportsDuplicated);
        tracing::info!(incident_id = %created.incident.id, source = source.as_str(), "repeated delivery");
    } else {
        metrics::incr(Metric::ReportsReceived);
        tracing::info!(incident_id = %created.incident.id, reference = %created.incident.reference, source = source.as_str(), "report stored");
        outbox::flush_new(app, &created.incident, events).await;
    }
    created
}

/// Stores `new`, drawing a fresh reference after a collision. Returns the
/// events as committed: a redraw changes the reference they carry.
pub(crate) async fn create(
    app: &App,
    new: NewIncident,
) -> Result<(Created, Vec<crate::domain::DomainEvent>), StoreError> {
    REFERENCE_ATTEMPTS
        .run((new, false), |(mut new, collided)| async move {
            if collided {
                new = new.with_new_reference();
            }
            match app.store.create(new.clone()).await {
                Err(StoreError::ReferenceTaken(r)) => {
                    tracing::info!(reference = %r, "reference collision; drawing another");
                    Ok(Try::Again((new, true), StoreError::ReferenceTaken(r)))
                }
                other => other.map(|c| Try::Done((c, new.events))),
            }
        })
        .await
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
                match submit_keyed(app, source, report, Some(key.key.into()), key.repeat).await? {
                    Intake::Stored(c) if !c.duplicate => out.stored += 1,
                    _ => out.duplicates += 1,
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
