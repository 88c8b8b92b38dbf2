//! Which consumers take which domain event, said once. `klaxon serve`
//! dispatches from it, each consumer's guard reads it, and
//! `shared/tests/routing.rs` checks that template.yaml's EventBridge rules
//! on the Klaxon bus say the same. An event may have more than one
//! consumer (people are told, and the tracker keeps the issue in step):
//! each has its own function, rule and dead-letter queue, so one failing
//! never holds up the other.

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
    /// The incident's issue in the team's tracker ([`super::track::on_event`]).
    Track,
}

impl Consumer {
    pub const ALL: [Consumer; 4] = [Self::Assess, Self::Notify, Self::Page, Self::Track];

    /// The template.yaml function whose rule delivers this consumer's events.
    pub fn function(self) -> &'static str {
        match self {
            Self::Assess => "AssessFunction",
            Self::Notify => "NotifyFunction",
            Self::Page => "PageFunction",
            Self::Track => "TrackFunction",
        }
    }

    /// The events this consumer takes, in [`EventKind::ALL`]'s order.
    pub fn events(self) -> Vec<EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(|k| takes(self, *k))
            .collect()
    }
}

/// The consumers of each event. Exhaustive: a new kind must be placed.
pub fn consumers(kind: EventKind) -> &'static [Consumer] {
    match kind {
        EventKind::ReportReceived => &[Consumer::Assess],
        EventKind::IncidentTriaged | EventKind::SeverityChanged | EventKind::StatusChanged => {
            &[Consumer::Notify, Consumer::Track]
        }
        EventKind::IncidentAcknowledged
        | EventKind::SlaReminder
        | EventKind::SlaBreached
        | EventKind::ObligationRecorded => &[Consumer::Notify],
        EventKind::EscalationTriggered => &[Consumer::Page],
        EventKind::FollowUpAdded => &[Consumer::Track],
    }
}

/// Whether `consumer` takes events of `kind`.
pub fn takes(consumer: Consumer, kind: EventKind) -> bool {
    consumers(kind).contains(&consumer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Consumer::*;

    /// Every event has a consumer, only a new report is assessed, and the
    /// tracker follows triage, severity, status and follow-ups.
    #[test]
    fn routing_table() {
        let cases: [(EventKind, &[Consumer]); 10] = [
            (EventKind::ReportReceived, &[Assess]),
            (EventKind::IncidentTriaged, &[Notify, Track]),
            (EventKind::SeverityChanged, &[Notify, Track]),
            (EventKind::IncidentAcknowledged, &[Notify]),
            (EventKind::EscalationTriggered, &[Page]),
            (EventKind::SlaReminder, &[Notify]),
            (EventKind::SlaBreached, &[Notify]),
            (EventKind::ObligationRecorded, &[Notify]),
            (EventKind::StatusChanged, &[Notify, Track]),
            (EventKind::FollowUpAdded, &[Track]),
        ];
        assert_eq!(cases.len(), EventKind::ALL.len());
        for (kind, want) in cases {
            assert_eq!(consumers(kind), want, "{kind}");
            for c in Consumer::ALL {
                assert_eq!(takes(c, kind), want.contains(&c), "{c:?} {kind}");
            }
        }
        let all: usize = Consumer::ALL.iter().map(|c| c.events().len()).sum();
        let routes: usize = EventKind::ALL.iter().map(|k| consumers(*k).len()).sum();
        assert_eq!(all, routes);
    }
}
