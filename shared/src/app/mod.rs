//! Use cases: the steps of Klaxon's flow as functions over the ports.
//!
//! Every Lambda and the local runner call these; none of them knows which
//! adapters sit behind the ports.

pub mod ack_link;
pub mod assess;
pub mod delivery;
pub mod escalate;
pub mod heartbeat;
pub mod ingest;
pub mod intake;
pub mod limiter;
pub mod listing;
pub mod notify;
pub mod oidc;
pub mod oncall;
pub mod oncall_notices;
pub mod opsgenie_import;
pub mod outbox;
pub mod people_sync;
pub mod repeats;
pub mod reports;
pub mod respond;
pub mod routing;
pub mod session;
pub mod silence;
pub mod sources;
pub mod track;

use crate::ports::{Clock, EventPublisher, Notifier, NotifyError, PublishError, Store, StoreError};
use crate::retry::{Backoff, Growth, Try};
use std::sync::Arc;
use std::time::Duration;

/// How committed events reach the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Publish before returning: Lambda freezes the process after the response.
    Inline,
    /// Publish from the outbox on a background task: the local runner
    /// answers first. A crash leaves the events pending, and the next start
    /// re-publishes them.
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
    pub report_limiter: Option<limiter::ClientLimiter>,
    /// Token sign-ins at the console, per client.
    pub sign_in_limiter: limiter::ClientLimiter,
    /// The relay task of [`Relay::Background`], started on first use.
    background: outbox::BackgroundRelay,
    /// Which incident each natural key named when last seen here.
    repeat_targets: repeats::Targets,
    /// When each source last beat its monitors from here.
    source_beats: heartbeat::SourceBeats,
    /// What intake's paging check assessed, for triage in this process.
    assessments: assess::Made,
    /// The console's OpenID provider (none: no OIDC sign-in) and its cache.
    openid: oidc::Provider,
}

/// What an [`App`] is built from, by name: the adapters behind each port,
/// how events reach the bus, and the settings.
pub struct Wiring {
    pub store: Arc<dyn Store>,
    pub publisher: Arc<dyn EventPublisher>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    pub relay: Relay,
    pub settings: crate::config::Settings,
}

impl App {
    pub fn new(wiring: Wiring) -> Self {
        let Wiring {
            store,
            publisher,
            notifier,
            clock,
            relay,
            settings,
        } = wiring;
        let report_limiter = settings
            .intake
            .report_rate_limit
            .map(limiter::ClientLimiter::new);
        Self {
            store,
            publisher,
            notifier,
            clock,
            relay,
            settings,
            report_limiter,
            sign_in_limiter: limiter::ClientLimiter::sign_in(),
            background: outbox::BackgroundRelay::default(),
            repeat_targets: repeats::Targets::default(),
            source_beats: heartbeat::SourceBeats::default(),
            assessments: assess::Made::default(),
            openid: oidc::Provider::default(),
        }
    }

    /// The OpenID provider the console's sign-in talks to.
    pub fn with_identity_provider(mut self, port: Arc<dyn crate::ports::IdentityProvider>) -> Self {
        self.openid = oidc::Provider::new(port);
        self
    }
}

/// Version conflicts on one hot incident clear quickly: 12 tries, waiting
/// 2 ms more each time, plus up to 8 ms of jitter.
pub const CONFLICT: Backoff = Backoff {
    attempts: 12,
    base: Duration::from_millis(2),
    growth: Growth::Linear,
    cap: Duration::from_millis(24),
    jitter: Duration::from_millis(8),
};

/// What [`update`]'s builder decided, with what the caller learns from it.
// Built, then moved straight into the commit, once per attempt: as large as
// the `Option<Change>` it replaces, and boxing would allocate for every write.
#[allow(clippy::large_enum_variant)]
pub enum Write<T> {
    /// Commit this change.
    Commit(crate::domain::Change, T),
    /// Nothing to write.
    Keep(T),
}

/// Commits a change built from the current incident, rebuilding it from a
/// fresh read after a version conflict (with jittered backoff), then
/// publishes its events. `build` decides from what it reads: commit a
/// change, keep the incident as it is, or refuse with its own error, which
/// is returned as it is and writes nothing. Returns the stored incident and
/// the builder's value. After the retries it is `Unavailable`, so the
/// caller's sender retries. Every conditional write goes through here.
pub async fn update<T, E, F>(
    app: &Arc<App>,
    incident: crate::domain::Incident,
    build: F,
) -> Result<(crate::domain::Incident, T), E>
where
    F: Fn(&crate::domain::Incident, chrono::DateTime<chrono::Utc>) -> Result<Write<T>, E>,
    E: From<StoreError>,
{
    let build = &build;
    CONFLICT
        .run(Latest::Read(incident), |latest| async move {
            let incident = match latest {
                Latest::Read(i) => i,
                Latest::Stale(id) => app.store.get(id).await?.ok_or(StoreError::NotFound(id))?,
            };
            let (change, value) = match build(&incident, app.clock.now())? {
                Write::Commit(change, value) => (change, value),
                Write::Keep(value) => return Ok(Try::Done((incident, value))),
            };
            let events = change.events.clone();
            match app.store.commit(change).await {
                Ok(stored) => {
                    outbox::flush(app, events).await;
                    Ok(Try::Done((stored, value)))
                }
                Err(StoreError::Conflict { id, .. }) => Ok(Try::Again(
                    Latest::Stale(id),
                    StoreError::Unavailable("the incident is busy; retry shortly".into()).into(),
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// The incident [`update`] builds from: as read, or to be read again after
/// a conflict (once the backoff has waited).
// Moved into each try and out again: boxing would allocate for every write.
#[allow(clippy::large_enum_variant)]
enum Latest {
    Read(crate::domain::Incident),
    Stale(crate::domain::IncidentId),
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
    /// A step the lifecycle refuses (a bug: the handler checks the status first).
    #[error(transparent)]
    Transition(#[from] crate::domain::IllegalTransition),
    /// An edited template that fails at render time.
    #[error("message could not be rendered: {0}")]
    Render(crate::messages::TemplateError),
    #[error(transparent)]
    Track(#[from] crate::ports::TrackerError),
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
            Self::Transition(_) => "IllegalTransition",
            Self::Render(_) => "Render",
            Self::Track(crate::ports::TrackerError::Unavailable(_)) => "Retryable.Track",
            Self::Track(_) => "Track",
        }
    }
}
