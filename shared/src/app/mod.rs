//! Use cases: the steps of Klaxon's flow as functions over the ports.
//!
//! Every Lambda and the local runner call these; none of them knows which
//! adapters sit behind the ports.

pub mod assess;
pub mod escalate;
pub mod intake;
pub mod notify;
pub mod outbox;

use crate::ports::{Clock, EventPublisher, Notifier, NotifyError, PublishError, Store, StoreError};
use std::sync::Arc;

/// How committed events reach the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Publish before returning: Lambda freezes the process after the response.
    Inline,
    /// Publish on a spawned task: the local runner answers first. A crash
    /// leaves the events pending and the sweep re-publishes them.
    Background,
}

/// The ports a running Klaxon is wired to, built once at start-up.
pub struct App {
    pub store: Arc<dyn Store>,
    pub publisher: Arc<dyn EventPublisher>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    pub relay: Relay,
    pub settings: crate::config::Settings,
    /// Per-client limit on report posts; built from the settings.
    pub report_limiter: Option<crate::http::reports::ReportLimiter>,
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        publisher: Arc<dyn EventPublisher>,
        notifier: Arc<dyn Notifier>,
        clock: Arc<dyn Clock>,
        relay: Relay,
        settings: crate::config::Settings,
    ) -> Self {
        let report_limiter = settings
            .intake
            .report_rate_limit
            .map(crate::http::reports::ReportLimiter::new);
        Self {
            store,
            publisher,
            notifier,
            clock,
            relay,
            settings,
            report_limiter,
        }
    }
}

/// Why an event handler or sweep failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("event for incident {0} arrived but the incident does not exist")]
    MissingIncident(crate::domain::IncidentId),
}

impl HandlerError {
    /// Lambda's `errorType`: lets alarms tell retryable failures from bugs.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Store(e) if e.is_retryable() => "Retryable.Store",
            Self::Store(_) => "Store",
            Self::Notify(NotifyError::Unavailable(_)) => "Retryable.Notify",
            Self::Notify(_) => "Notify",
            Self::Publish(_) => "Retryable.Publish",
            Self::MissingIncident(_) => "MissingIncident",
        }
    }
}
