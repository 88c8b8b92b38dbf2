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
    let what = headline(event);
    let subject = format!(
        "{drill}{what}[{sev}] {}: {}",
        incident.reference, incident.title
    );
    let mut text = format!(
        "{drill}{what}{sev} security incident {}\n{}\nStatus: {}\n",
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
            "step": event.step,
            "actor": event.actor,
            "deadlines": incident.deadlines,
        }),
    }
}

/// What the message is about, before the incident line: a page's level, a
/// deadline reminder or breach, an acknowledgement.
fn headline(event: &DomainEvent) -> String {
    let step = event.step.as_ref();
    let deadline = step
        .and_then(|s| s.deadline)
        .map(|d| d.label())
        .unwrap_or("deadline");
    let due = step
        .and_then(|s| s.due_at)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    match event.kind {
        EventKind::EscalationTriggered => {
            let level = step.and_then(|s| s.level).unwrap_or(1);
            let round = step.and_then(|s| s.round).unwrap_or(1);
            format!("PAGE L{level} R{round}: ")
        }
        EventKind::SlaReminder => format!("Reminder: {deadline} due {due}: "),
        EventKind::SlaBreached => format!("BREACHED: {deadline} was due {due}: "),
        EventKind::IncidentAcknowledged => format!(
            "Acknowledged by {}: ",
            event.actor.as_deref().unwrap_or("someone")
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeadlineKind, NewIncident, Report, ReportInput, Source, Step, StepReason};

    #[test]
    fn headlines_say_what_the_message_is_about() {
        let at = "2026-11-23T03:00:00Z".parse().expect("time");
        let report = Report::parse(ReportInput {
            title: Some("t".into()),
            ..Default::default()
        })
        .expect("report");
        let incident = NewIncident::from_report(report, Source::Report, None, at).incident;
        let step = |reason, level| Step {
            audience: Audience::OncallSecondary,
            reason,
            deadline: Some(DeadlineKind::Acknowledge),
            due_at: Some(at),
            level,
            round: level.map(|_| 1),
            reminder: None,
        };
        let cases = [
            (
                EventKind::EscalationTriggered,
                Some(step(StepReason::Unacknowledged, Some(2))),
                None,
                "PAGE L2 R1: ",
            ),
            (
                EventKind::SlaReminder,
                Some(step(StepReason::Reminder, None)),
                None,
                "Reminder: acknowledgement due 2026-11-23 03:00 UTC: ",
            ),
            (
                EventKind::SlaBreached,
                Some(step(StepReason::Breach, None)),
                None,
                "BREACHED: acknowledgement was due 2026-11-23 03:00 UTC: ",
            ),
            (
                EventKind::IncidentAcknowledged,
                None,
                Some("alice"),
                "Acknowledged by alice: ",
            ),
            (EventKind::IncidentTriaged, None, None, ""),
        ];
        for (kind, step, actor, want) in cases {
            let mut e = DomainEvent::new(kind, &incident, at);
            e.step = step;
            e.actor = actor.map(str::to_owned);
            assert_eq!(headline(&e), want, "{kind}");
            let m = render(&e, &incident, Audience::OncallSecondary);
            assert!(m.subject.starts_with(want), "{}", m.subject);
        }
    }
}
