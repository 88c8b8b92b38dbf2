//! Local adapters for `klaxon serve`: an in-process event bus and a notifier
//! that appends to `<data-dir>/outbox.jsonl`.

use crate::domain::DomainEvent;
use crate::ports::{EventPublisher, Message, Notifier, NotifyError, PublishError};
use async_trait::async_trait;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// The data directory holds incidents, the messages sent and the ack key:
/// nobody but its owner may read it. Creates `dir` (and any missing parent)
/// owner-only, 0700. An existing directory keeps its mode, since it may be
/// one the user chose (`--data-dir .`), but a group- or world-readable one
/// is logged.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(dir = %dir.display(), mode = format!("{:o}", mode & 0o777), "the data directory is readable by others; its files are owner-only, but consider chmod 700");
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Opens `path` for appending, creating it owner-only (0600); a file an
/// older version created world-readable is narrowed to 0600.
pub fn open_private_append(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    restrict(&file)?;
    Ok(file)
}

/// Narrows an open file to owner-only (0600) if it is not already.
#[cfg(unix)]
pub fn restrict(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn restrict(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Something that consumes events from the local bus.
#[async_trait]
pub trait EventHandler: Send + Sync {
    async fn handle(&self, event: &DomainEvent) -> Result<(), ConsumerError>;
}

/// Why a local consumer did not take an event; the event stays pending.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Failed(#[from] crate::app::HandlerError),
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
                    reason = e.to_string();
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
    /// Ids of the messages already in the file, and the file, opened on
    /// first use. One lock guards both, so the check and the append are one
    /// step.
    state: Arc<Mutex<Appender>>,
}

struct Appender {
    written: HashSet<String>,
    file: Option<std::fs::File>,
}

impl FileNotifier {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        // A crash after the append but before the ledger heard of it makes
        // notify send again: the ids on file turn that into a no-op, so a
        // page is in the file exactly once.
        let written = std::fs::read_to_string(&path)
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .filter_map(|v| v.get("id")?.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            path,
            state: Arc::new(Mutex::new(Appender {
                written,
                file: None,
            })),
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
        let (path, state, id) = (self.path.clone(), Arc::clone(&self.state), m.id.clone());
        let fresh = tokio::task::spawn_blocking(move || {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            if id.as_ref().is_some_and(|id| state.written.contains(id)) {
                return Ok(false);
            }
            let failed =
                |e: std::io::Error| NotifyError::Unavailable(format!("{}: {e}", path.display()));
            let file = match &mut state.file {
                Some(f) => f,
                // Owner-only: the messages carry incident details.
                slot => slot.insert(open_private_append(&path).map_err(failed)?),
            };
            // One write per line keeps lines whole even if two processes append.
            // No fsync: like the store (SQLite WAL, synchronous=NORMAL), the
            // file survives a process crash but not a power cut; an fsync per
            // message capped intake at ~360 reports/s (docs/PERFORMANCE.md).
            if let Err(e) = file.write_all(format!("{line}\n").as_bytes()) {
                // Reopen next time: the file may have been moved or removed.
                state.file = None;
                return Err(failed(e));
            }
            state.written.extend(id);
            Ok(true)
        })
        .await
        .map_err(|e| NotifyError::Unavailable(format!("outbox writer failed: {e}")))??;
        if !fresh {
            return Ok(());
        }
        let verb = if m.attr("kind") == "page" {
            "PAGE"
        } else {
            "TELL"
        };
        println!("{verb} {}{}: {}", m.audience, recipient(m), m.subject);
        Ok(())
    }
}

/// ` to priya (Priya Raman, on call for security-primary) by sms, email`
/// for a message to a person: the methods, never the numbers.
fn recipient(m: &Message) -> String {
    m.to.as_ref()
        .map(|p| {
            let on_call = p
                .schedule
                .as_ref()
                .map(|s| format!(", on call for {s}"))
                .unwrap_or_default();
            format!(
                " to {} ({}{on_call}) by {}",
                p.person,
                p.name,
                p.methods_label()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Bodies;

    fn message(id: Option<&str>) -> Message {
        Message {
            id: id.map(str::to_owned),
            audience: crate::domain::Audience::OncallPrimary,
            to: None,
            subject: "PAGE".into(),
            message_attributes: Default::default(),
            message: Bodies::default(),
        }
    }

    /// A message sent again with the same id, even by a new process after
    /// a crash, is in the file once; messages without an id always append.
    #[tokio::test]
    async fn file_notifier_writes_each_id_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("outbox.jsonl");
        let n = FileNotifier::new(&path);
        for m in [
            message(Some("a")),
            message(Some("a")),
            message(None),
            message(None),
        ] {
            n.send(&m).await.expect("send");
        }
        // A restarted process reads the ids already on file.
        let again = FileNotifier::new(&path);
        again.send(&message(Some("a"))).await.expect("send");
        again.send(&message(Some("b"))).await.expect("send");
        let text = std::fs::read_to_string(&path).expect("read");
        let ids: Vec<Option<String>> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .map(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
            .collect();
        assert_eq!(
            ids,
            vec![Some("a".into()), None, None, Some("b".into())],
            "{text}"
        );
    }
}
