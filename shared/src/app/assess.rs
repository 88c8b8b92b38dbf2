//! Assess: gives a reported incident its provisional severity and deadlines.

use super::{App, HandlerError, outbox};
use crate::domain::{Change, DomainEvent, EventKind, Status, TimelineKind};
use crate::policy;
use crate::ports::StoreError;
use std::sync::Arc;

const ACTOR: &str = "klaxon:assess";
const CONFLICT_RETRIES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Triaged,
    /// Already past `reported`: a redelivered event, nothing to do.
    AlreadyTriaged,
    /// Not an event assess consumes.
    Ignored,
}

/// Handles `Report Received`. Safe to call more than once per event.
pub async fn on_event(app: &Arc<App>, event: &DomainEvent) -> Result<Outcome, HandlerError> {
    if event.kind != EventKind::ReportReceived {
        return Ok(Outcome::Ignored);
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let incident = app
            .store
            .get(event.incident_id)
            .await?
            .ok_or(HandlerError::MissingIncident(event.incident_id))?;
        if incident.status != Status::Reported {
            return Ok(Outcome::AlreadyTriaged);
        }
        let now = app.clock.now();
        let assessment = policy::provisional_assessment(incident.cvss.as_deref());
        let mut change = Change::begin(&incident, now);
        change.incident.severity = Some(assessment.severity);
        change.incident.deadlines = policy::deadlines(assessment.severity, incident.created_at);
        for reason in &assessment.reasons {
            change.record(ACTOR, TimelineKind::Assessed, reason.clone());
        }
        change
            .move_to(ACTOR, Status::Triaged)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        change.emit(EventKind::IncidentTriaged);
        let events = change.events.clone();
        match app.store.commit(change).await {
            Ok(stored) => {
                tracing::info!(incident_id = %stored.id, event_id = %event.id, severity = ?stored.severity, "incident triaged");
                outbox::flush(app, events).await;
                return Ok(Outcome::Triaged);
            }
            // Someone else moved it; reload and look again.
            Err(StoreError::Conflict { .. }) if attempt < CONFLICT_RETRIES => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
