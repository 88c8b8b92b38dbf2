//! Intake: turns a parsed report into a stored incident.

use super::{App, outbox};
use crate::domain::{NewIncident, Report, Source};
use crate::metrics::{self, Metric};
use crate::ports::{Created, StoreError};
use std::sync::Arc;

/// References are random; a collision is rare, and each retry draws afresh.
const REFERENCE_ATTEMPTS: usize = 5;

/// Stores the report as a new incident, or returns the existing one for a
/// repeated idempotency key. `Report Received` is committed with it.
pub async fn submit(
    app: &Arc<App>,
    source: Source,
    report: Report,
    idempotency_key: Option<String>,
) -> Result<Created, StoreError> {
    let mut new = NewIncident::from_report(report, source, idempotency_key, app.clock.now());
    let mut attempts = 0;
    let created = loop {
        attempts += 1;
        match app.store.create(new.clone()).await {
            Err(StoreError::ReferenceTaken(r)) if attempts < REFERENCE_ATTEMPTS => {
                tracing::info!(reference = %r, "reference collision; drawing another");
                new = new.with_new_reference();
            }
            other => break other?,
        }
    };
    if created.duplicate {
        metrics::incr(Metric::ReportsDuplicated);
    } else {
        metrics::incr(Metric::ReportsReceived);
        tracing::info!(incident_id = %created.incident.id, reference = %created.incident.reference, "report stored");
        outbox::flush(app, new.events).await;
    }
    Ok(created)
}
