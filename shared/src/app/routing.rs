//! Which consumer takes which domain event, said once. `klaxon serve`
//! dispatches from it, each consumer's guard reads it, and
//! `shared/tests/routing.rs` checks that template.yaml's EventBridge rules
//! on the Klaxon bus say the same.

use crate::domain::EventKind;

/// A consumer of domain events: a Lambda function in AWS, a call in `klaxon serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    /// Triage: assesses a new report ([`super::assess::on_event`]).
    Assess,
    /// What people are told ([`super::notify::on_event`]).
    Notify,
    /// Pages, on their own function and dead-letter queue
    /// ([`super::notify::on_event`] too).
    Page,
}

impl Consumer {
    pub const ALL: [Consumer; 3] = [Self::Assess, Self::Notify, Self::Page];

    /// The template.yaml function whose rule delivers this consumer's events.
    pub fn function(self) -> &'static str {
        match self {
            Self::Assess => "AssessFunction",
            Self::Notify => "NotifyFunction",
            Self::Page => "PageFunction",
        }
    }

    /// The events this consumer takes, in [`EventKind::ALL`]'s order.
    pub fn events(self) -> Vec<EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(|k| consumer(*k) == self)
            .collect()
    }
}

/// The one consumer of each event. Exhaustive: a new kind must be placed.
pub fn consumer(kind: EventKind) -> Consumer {
    match kind {
        EventKind::ReportReceived => Consumer::Assess,
        EventKind::IncidentTriaged
        | EventKind::SeverityChanged
        | EventKind::IncidentAcknowledged
        | EventKind::SlaReminder
        | EventKind::SlaBreached
        | EventKind::ObligationRecorded => Consumer::Notify,
        EventKind::EscalationTriggered => Consumer::Page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event has a consumer, and only a new report is assessed.
    #[test]
    fn routing_table() {
        let cases = [
            (EventKind::ReportReceived, Consumer::Assess),
            (EventKind::IncidentTriaged, Consumer::Notify),
            (EventKind::SeverityChanged, Consumer::Notify),
            (EventKind::IncidentAcknowledged, Consumer::Notify),
            (EventKind::EscalationTriggered, Consumer::Page),
            (EventKind::SlaReminder, Consumer::Notify),
            (EventKind::SlaBreached, Consumer::Notify),
            (EventKind::ObligationRecorded, Consumer::Notify),
        ];
        assert_eq!(cases.len(), EventKind::ALL.len());
        for (kind, want) in cases {
            assert_eq!(consumer(kind), want, "{kind}");
        }
        let all: usize = Consumer::ALL.iter().map(|c| c.events().len()).sum();
        assert_eq!(all, EventKind::ALL.len());
    }
}
