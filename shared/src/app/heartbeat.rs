//! Heartbeats: monitors set up and beaten. A beat after a monitor went late
//! notes the recovery on the incident its silence opened (see
//! [`super::silence`], the sweep's check).

use super::{App, Write, update};
use crate::domain::heartbeat::{Monitor, MonitorName, MonitorSpec, span};
use crate::domain::{Change, IncidentId, Source, TimelineKind};
use crate::ports::StoreError;
use crate::retry::{Backoff, Try};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A monitor beaten and checked at once settles within a few tries, each
/// reading it afresh, at once.
pub(crate) const MONITOR: Backoff = Backoff::immediate(5);

/// The answer when [`MONITOR`]'s tries are spent.
fn busy(name: &MonitorName) -> StoreError {
    StoreError::Unavailable(format!("monitor {name} is busy; retry shortly"))
}

/// Creates a monitor, or changes one's spec keeping its beats.
pub async fn configure(app: &Arc<App>, spec: MonitorSpec) -> Result<Monitor, StoreError> {
    let spec = &spec;
    MONITOR
        .run((), |()| async move {
            let saved = match app.store.monitor(&spec.name).await? {
                None => {
                    let m = Monitor::new(spec.clone(), app.clock.now());
                    app.store.create_monitor(&m).await.map(|()| m)
                }
                Some(mut m) => {
                    let expected = m.version;
                    m.spec = spec.clone();
                    app.store.save_monitor(&m, expected).await
                }
            };
            match saved {
                Err(StoreError::MonitorChanged(_)) => Ok(Try::Again((), busy(&spec.name))),
                other => other.map(Try::Done),
            }
        })
        .await
}

/// A beat. `None` when there is no such monitor.
pub async fn beat(
    app: &Arc<App>,
    name: &MonitorName,
    via: &str,
) -> Result<Option<Monitor>, StoreError> {
    MONITOR
        .run((), |()| async move {
            let Some(mut m) = app.store.monitor(name).await? else {
                return Ok(Try::Done(None));
            };
            let now = app.clock.now();
            let silent = now - m.quiet_since();
            let expected = m.version;
            let recovered = m.beat(now);
            match app.store.save_monitor(&m, expected).await {
                Ok(stored) => {
                    if let Some(id) = recovered {
                        note_recovery(app, id, &stored, silent, via).await?;
                    }
                    Ok(Try::Done(Some(stored)))
                }
                Err(StoreError::MonitorChanged(_)) => Ok(Try::Again((), busy(name))),
                Err(e) => Err(e),
            }
        })
        .await
}

/// A source that beat its monitors this recently (by the app's clock) from
/// this process does not read them again: in a storm of deliveries the
/// monitors are read once a window, not once a delivery, and a repeat stays
/// one write. (A monitor that watches a source should expect it far less
/// often than this.)
const SOURCE_BEAT_WINDOW: chrono::Duration = chrono::Duration::seconds(5);

/// When each source last beat its monitors, per process.
#[derive(Debug, Default)]
pub(crate) struct SourceBeats(std::sync::Mutex<std::collections::HashMap<Source, DateTime<Utc>>>);

impl SourceBeats {
    /// Whether `source` should beat now; records it if so.
    fn due(&self, source: Source, now: DateTime<Utc>) -> bool {
        let Ok(mut last) = self.0.lock() else {
            return true;
        };
        match last.get(&source) {
            Some(&t) if now >= t && now - t < SOURCE_BEAT_WINDOW => false,
            _ => {
                last.insert(source, now);
                true
            }
        }
    }
}

/// Beats every monitor that names `source`: called for each delivery a
/// sender's signature vouched for, stored or ignored. A failure is logged,
/// never the sender's problem.
pub async fn beat_source(app: &Arc<App>, source: Source) {
    if !app.source_beats.due(source, app.clock.now()) {
        return;
    }
    let monitors = match app.store.monitors().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(source = source.as_str(), error = %e, "could not read heartbeat monitors");
            return;
        }
    };
    for m in monitors
        .into_iter()
        .filter(|m| m.spec.source == Some(source))
    {
        if let Err(e) = beat(app, &m.spec.name, source.as_str()).await {
            tracing::warn!(monitor = %m.spec.name, error = %e, "heartbeat not recorded");
        }
    }
}

pub(crate) async fn note_recovery(
    app: &Arc<App>,
    id: IncidentId,
    m: &Monitor,
    silent: chrono::Duration,
    via: &str,
) -> Result<(), StoreError> {
    let Some(incident) = app.store.get(id).await? else {
        // Purged or deleted since: nothing left to note it on.
        return Ok(());
    };
    let message = format!(
        "beats resumed: {} beat again ({via}) after {} of silence",
        m.spec.name,
        span(silent)
    );
    update(app, incident, |current, now| {
        let mut change = Change::begin(current, now);
        change.record("klaxon", TimelineKind::Note, message.clone());
        Ok::<_, StoreError>(Write::Commit(change, ()))
    })
    .await?;
    tracing::info!(monitor = %m.spec.name, incident_id = %id, "heartbeat recovered");
    Ok(())
}
