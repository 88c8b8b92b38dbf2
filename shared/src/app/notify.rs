//! Notify: tells each audience about an event, once.

use super::{App, HandlerError};
use crate::domain::{Audience, DomainEvent, EventKind, Incident};
use crate::metrics::{self, Metric};
use crate::ports::Message;
use chrono::Duration;
use serde_json::json;

/// How long a claimed-but-unfinished delivery blocks a retry. Longer than any
/// single send takes; short enough that a crashed send is retried promptly.
const DELIVERY_LEASE_SECS: i64 = 120;

/// The audiences an event goes to. Paging is the escalation policy's job:
/// its steps name their audience. Everything else tells the security team.
pub fn audiences(event: &DomainEvent) -> Vec<Audience> {
    match event.kind {
        EventKind::EscalationTriggered | EventKind::SlaReminder | EventKind::SlaBreached => {
            event.step.iter().map(|s| s.audience).collect()
        }
        EventKind::IncidentTriaged
        | EventKind::SeverityChanged
        | EventKind::IncidentAcknowledged => vec![Audience::SecurityTeam],
        EventKind::ReportReceived => Vec::new(),
    }
}

/// Handles one event. Each (event, audience) pair is delivered at most once
/// per lease, so a redelivered event does not page twice.
pub async fn on_event(app: &App, event: &DomainEvent) -> Result<usize, HandlerError> {
    let targets = audiences(event);
    if targets.is_empty() {
        return Ok(0);
    }
    let incident = app
        .store
        .get(event.incident_id)
        .await?
        .ok_or(HandlerError::MissingIncident(event.incident_id))?;
    let mut sent = 0;
    for audience in targets {
        let key = format!("notify#{}#{}", event.id, audience.as_str());
        let now = app.clock.now();
        if !app
            .store
            .try_claim(&key, now, Duration::seconds(DELIVERY_LEASE_SECS))
            .await?
        {
            tracing::info!(incident_id = %incident.id, event_id = %event.id, %audience, "already delivered; skipping");
            continue;
        }
        let message = render(event, &incident, audience);
        if let Err(e) = app.notifier.send(&message).await {
            metrics::incr(Metric::Errors);
            // Give the claim back so the retry can deliver.
            if let Err(release) = app.store.release(&key).await {
                tracing::warn!(error = %release, "could not release delivery claim");
            }
            return Err(e.into());
        }
        app.store.complete(&key, app.clock.now()).await?;
        if audience.is_paged() {
            metrics::incr(Metric::PagesSent);
        }
        tracing::info!(incident_id = %incident.id, event_id = %event.id, %audience, "notified");
        sent += 1;
    }
    Ok(sent)
}

/// The message for one audience. Plain text for people, a document for machines.
pub fn render(event: &DomainEvent, incident: &Incident, audience: Audience) -> Message {
    let sev = incident
        .severity
        .map(|s| format!("{} {}", s.code(), s.name()))
        .unwrap_or_else(|| "unassessed".into());
    let drill = if incident.drill { "[DRILL] " } else { "" };
    let subject = format!("{drill}[{sev}] {}: {}", incident.reference, incident.title);
    let mut text = format!(
        "{drill}{sev} security incident {}\n{}\nStatus: {}\n",
        incident.reference, incident.title, incident.status
    );
    if let Some(t) = &incident.tenant {
        text.push_str(&format!("Tenant: {t}\n"));
    }
    if let Some(d) = incident.deadlines.first() {
        text.push_str(&format!("Acknowledge by: {}\n", d.due_at.to_rfc3339()));
    }
    Message {
        audience,
        event: event.kind,
        incident_id: incident.id,
        reference: incident.reference.to_string(),
        severity: incident.severity,
        drill: incident.drill,
        subject,
        text,
        document: json!({
            "event": event.kind.detail_type(),
            "event_id": event.id,
            "incident_id": incident.id,
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "tenant": incident.tenant,
            "drill": incident.drill,
            "deadlines": incident.deadlines,
        }),
    }
}
