//! Local adapters for `klaxon serve`: an in-process event bus and a notifier
//! that appends to `<data-dir>/outbox.jsonl`.

use crate::domain::DomainEvent;
use crate::ports::{EventPublisher, Message, Notifier, NotifyError, PublishError};
use async_trait::async_trait;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Something that consumes events from the local bus.
#[async_trait]
pub trait EventHandler: Send + Sync {
    async fn handle(&self, event: &DomainEvent) -> Result<(), String>;
}

/// Delivers each event to every subscriber before `publish` returns, so an
/// event is only marked published once its consumers have run. A crash in
/// between leaves it pending for the sweep.
#[derive(Default)]
pub struct InProcessBus {
    subscribers: RwLock<Vec<Arc<dyn EventHandler>>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe(&self, handler: Arc<dyn EventHandler>) {
        self.subscribers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(handler);
    }
}

#[async_trait]
impl EventPublisher for InProcessBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        let subscribers = self
            .subscribers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut failed = Vec::new();
        let mut reason = String::new();
        for event in events {
            for s in &subscribers {
                if let Err(e) = s.handle(event).await {
                    tracing::warn!(event_id = %event.id, error = %e, "local consumer failed");
                    if !failed.contains(&event.id) {
                        failed.push(event.id);
                    }
                    reason = e;
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PublishError::Partial { failed, reason })
        }
    }
}

/// Appends one JSON object per message to a file and prints a summary line.
pub struct FileNotifier {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl FileNotifier {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Arc::new(Mutex::new(())),
        }
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn send(&self, m: &Message) -> Result<(), NotifyError> {
        // Exactly what SNS is given: audience (the topic), subject,
        // attributes and the per-protocol bodies.
        let line = serde_json::to_string(m)
            .map_err(|e| NotifyError::Unavailable(format!("serialise: {e}")))?;
        // Appending and fsyncing block: off the async workers, or every
        // HTTP request waits behind the disk.
        let (path, lock) = (self.path.clone(), Arc::clone(&self.lock));
        tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| NotifyError::Unavailable(format!("{}: {e}", path.display())))?;
            // One write per line keeps lines whole even if two processes append.
            f.write_all(format!("{line}\n").as_bytes())
                .and_then(|()| f.sync_data())
                .map_err(|e| NotifyError::Unavailable(format!("{}: {e}", path.display())))
        })
        .await
        .map_err(|e| NotifyError::Unavailable(format!("outbox writer failed: {e}")))??;
        let verb = if m.attr("kind") == "page" {
            "PAGE"
        } else {
            "TELL"
        };
        println!("{verb} {}: {}", m.audience, m.subject);
        Ok(())
    }
}
