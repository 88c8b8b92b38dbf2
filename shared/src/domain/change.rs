//! The atomic steps in an incident's life: its creation and each change
//! after, with the timeline entries and events they record.

use super::Source;
use super::event::{DomainEvent, EventKind};
use super::incident::{Incident, IncidentId, Reference, TimelineEntry, TimelineKind};
use super::report::Report;
use super::status::Status;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A new incident ready to be stored, with what its creation records.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub incident: Incident,
    /// Source-scoped key digest; a second create with the same key returns
    /// the first incident (or is refused, if its content differs).
    pub idempotency_key: Option<super::IdempotencyKey>,
    /// Set when the key already names this (closed) incident and should now
    /// name the new one: a dedup key seen again after its incident closed.
    pub supersedes: Option<IncidentId>,
    pub timeline: Vec<TimelineEntry>,
    pub events: Vec<DomainEvent>,
}

impl NewIncident {
    /// Opens an incident from a parsed report.
    pub fn from_report(
        report: Report,
        source: Source,
        idempotency_key: Option<super::SenderKey>,
        now: DateTime<Utc>,
    ) -> Self {
        let id = IncidentId::new();
        let mut incident = Incident {
            id,
            reference: Reference::generate(now),
            tenant: report.tenant,
            source,
            title: report.title,
            description: report.description,
            steps_to_reproduce: report.steps_to_reproduce,
            impact: report.impact,
            reporter_name: report.reporter_name,
            reporter_email: report.reporter_email,
            contact_consent: report.contact_consent,
            product: report.product,
            site_url: report.site_url,
            cvss: report.cvss,
            signal: report.signal,
            occurrences: 1,
            customer_data_involved: report.customer_data_involved,
            atlassian_systems_affected: report.atlassian_systems_affected,
            production: report.production,
            assessment: None,
            confirmed_at: None,
            severity_override: None,
            severity: None,
            status: Status::Reported,
            roles: BTreeMap::new(),
            deadlines: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            // Only a drill started by a commander is one: never the report's say.
            drill: source == Source::Drill,
            timeline_len: 0,
            acknowledged: None,
            paging: None,
            stale: None,
            role_history: Vec::new(),
            tasks: Vec::new(),
            evidence: Vec::new(),
            containment: None,
            root_cause: None,
            resolved_at: None,
            closed_at: None,
            legal_hold: None,
            expires_at: None,
            drill_scenario: None,
            tracker: None,
        };
        let mut timeline = vec![incident.next_entry(
            now,
            "klaxon",
            TimelineKind::Created,
            format!("report received via {}", source.as_str()),
        )];
        let kinds: Vec<&str> = report.redactions.iter().map(String::as_str).collect();
        if let Some(summary) = super::redact::summary(&kinds) {
            timeline.push(incident.next_entry(now, "klaxon", TimelineKind::Redacted, summary));
        }
        let event = DomainEvent::new(EventKind::ReportReceived, &incident, now);
        Self {
            incident,
            idempotency_key: idempotency_key.map(|k| source.scoped_key(k)),
            supersedes: None,
            timeline,
            events: vec![event],
        }
    }

    /// A fresh reference after a collision; nothing else changes.
    pub fn with_new_reference(mut self) -> Self {
        self.incident.reference = Reference::generate(self.incident.created_at);
        for e in &mut self.events {
            e.reference = self.incident.reference.clone();
        }
        self
    }
}

/// One atomic step in an incident's life.
#[derive(Debug, Clone)]
pub struct Change {
    /// The state after the change; its `version` is already bumped.
    pub incident: Incident,
    /// The version the change was derived from; a store refuses the write if
    /// the stored version differs.
    pub expected_version: u64,
    pub timeline: Vec<TimelineEntry>,
    pub events: Vec<DomainEvent>,
}

impl Change {
    pub fn begin(current: &Incident, now: DateTime<Utc>) -> Self {
        let mut incident = current.clone();
        incident.version = current.version + 1;
        incident.updated_at = now;
        Self {
            expected_version: current.version,
            incident,
            timeline: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn record(&mut self, actor: &str, kind: TimelineKind, message: impl Into<String>) {
        let at = self.incident.updated_at;
        let entry = self.incident.next_entry(at, actor, kind, message.into());
        self.timeline.push(entry);
    }

    /// Records a domain event carrying the state as it is at this point.
    pub fn emit(&mut self, kind: EventKind) {
        let at = self.incident.updated_at;
        self.events.push(DomainEvent::new(kind, &self.incident, at));
    }

    /// [`Change::emit`], with the event's own details filled in by `fill`.
    pub fn emit_with(&mut self, kind: EventKind, fill: impl FnOnce(&mut DomainEvent)) {
        let at = self.incident.updated_at;
        let mut event = DomainEvent::new(kind, &self.incident, at);
        fill(&mut event);
        self.events.push(event);
    }

    /// An escalation or clock event naming its audience and deadline.
    pub fn emit_step(&mut self, kind: EventKind, step: super::Step) {
        self.emit_with(kind, |e| e.step = Some(step));
    }

    pub fn move_to(&mut self, actor: &str, to: Status) -> Result<(), super::IllegalTransition> {
        let from = self.incident.status;
        from.check_transition(to)?;
        self.incident.status = to;
        self.record(
            actor,
            TimelineKind::StatusChanged,
            format!("status {from} -> {to}"),
        );
        Ok(())
    }
}
