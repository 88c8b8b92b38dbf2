//! The store's one writer thread: it owns the connection, takes the
//! operations queued to it and commits everything queued so far in one
//! transaction (group commit), each inside its own savepoint. A second
//! thread checkpoints the WAL on its own connection.

use super::backend;
use crate::ports::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// How often the checkpoint thread copies the WAL into the database when
/// the last copy found nothing to do.
pub(super) const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// And while writes keep coming: a checkpoint's copy and its fsync stall
/// the writer's next WAL writes for as long as they take, so many small
/// ones keep intake's tail short where a few large ones did not (p99 at
/// 3,000 reports/s: 37 ms at 250 ms, 14 ms at 20 ms; docs/PERFORMANCE.md).
pub(super) const CHECKPOINT_BUSY: std::time::Duration = std::time::Duration::from_millis(20);
/// The writer's own checkpoint threshold in pages: a backstop should the
/// checkpoint thread fall behind (SQLite's default is 1,000).
pub(super) const WRITER_CHECKPOINT_PAGES: i64 = 20_000;

/// The queue to the writer thread. Dropping it ends the thread.
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the thread that owns `conn`.
    pub(super) fn start(conn: Connection) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("klaxon-sqlite".into())
            .spawn(move || writer(conn, &queue))
            .map_err(|e| StoreError::Backend(format!("start the store thread: {e}")))?;
        Ok(Self { jobs })
    }

    /// Queues `op` for the writer thread and waits for its committed result.
    pub(super) async fn run<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Box::new(Queued { op, answer }))
            .map_err(|_| StoreError::Backend("the store thread has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Backend("the store thread dropped an operation".into()))?
    }
}

/// One queued operation and the caller waiting for it.
trait Job: Send {
    /// Runs against the open transaction: whether it succeeded, and how to
    /// answer its caller once the commit's outcome is known.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply);
    /// Answers without running: the transaction could not be used.
    fn refuse(self: Box<Self>, e: StoreError);
}

type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

struct Queued<T, F> {
    op: F,
    answer: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Queued<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let Queued { op, answer } = *self;
        let result = op(conn);
        let ok = result.is_ok();
        let reply: Reply = Box::new(move |failed_commit| {
            // A failed commit undoes the operations that succeeded too.
            let result = match (result, failed_commit) {
                (Ok(_), Some(e)) => Err(same(e)),
                (r, _) => r,
            };
            let _ = answer.send(result);
        });
        (ok, reply)
    }

    fn refuse(self: Box<Self>, e: StoreError) {
        let _ = self.answer.send(Err(e));
    }
}

/// The error of a failed commit, for each caller in its batch.
fn same(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Operations per transaction, at most: bounds how long one commit holds
/// the write lock against another process (`klaxon ack` on the same
/// directory) and how long the first caller in a batch waits.
const MAX_BATCH: usize = 512;

/// Starts the thread that checkpoints the WAL on its own connection, so
/// the writer never waits for the copy and its fsync. PASSIVE: it never
/// blocks the writer or a reader, it just copies what it can.
pub(super) fn checkpointer(path: &Path) -> Result<mpsc::Sender<()>, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(backend)?;
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("klaxon-sqlite-checkpoint".into())
        .spawn(move || {
            let mut wait = CHECKPOINT_EVERY;
            let mut last = (0, 0);
            // Runs until the store (the only sender) is dropped.
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                // Frames in the WAL and frames copied so far: unchanged since
                // the last pass means nothing was written meanwhile.
                let frames = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
                wait = match frames {
                    Ok(f) if f != last => {
                        last = f;
                        CHECKPOINT_BUSY
                    }
                    Ok(_) => CHECKPOINT_EVERY,
                    Err(e) => {
                        tracing::warn!(error = %e, "WAL checkpoint failed; the writer's own will take over");
                        CHECKPOINT_EVERY
                    }
                };
            }
        })
        .map_err(|e| StoreError::Backend(format!("start the checkpoint thread: {e}")))?;
    Ok(stop)
}

/// The store thread: waits for work, then runs everything queued so far in
/// one transaction. Ends when the store is dropped.
fn writer(mut conn: Connection, queue: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
    }
}

/// Runs one savepoint statement through the statement cache: rusqlite's
/// `Savepoint` parses its SQL text at every use, an eighth of the writer's
/// time under load (docs/PERFORMANCE.md).
fn step(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_batch(conn: &mut Connection, batch: Vec<Box<dyn Job>>) {
    // IMMEDIATE takes the write lock up front, so an idempotency check and
    // its insert cannot interleave with another process's writer.
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = backend(e);
            batch.into_iter().for_each(|job| job.refuse(same(&e)));
            return;
        }
    };
    let mut replies = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    let mut broken = None;
    for job in jobs.by_ref() {
        // Some errors (disk full, I/O) make SQLite roll the whole
        // transaction back; no later job may run outside it.
        if tx.is_autocommit() {
            let e = StoreError::Unavailable("the transaction was rolled back".into());
            job.refuse(same(&e));
            broken = Some(e);
            break;
        }
        if let Err(e) = step(&tx, "SAVEPOINT op") {
            let e = backend(e);
            job.refuse(same(&e));
            broken = Some(e);
            break;
        }
        // A panicking operation must not take the store thread with it: its
        // caller hears that the operation was dropped, and its savepoint
        // rolls back.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(&tx)));
        let (ok, reply) = ran.unwrap_or_else(|_| (false, Box::new(|_| {})));
        // A refused operation is rolled back to its savepoint: it leaves no trace.
        let kept = if ok {
            step(&tx, "RELEASE op")
        } else {
            step(&tx, "ROLLBACK TO op").and_then(|()| step(&tx, "RELEASE op"))
        }
        .map_err(backend);
        replies.push(reply);
        if let Err(e) = kept {
            broken = Some(e);
            break;
        }
    }
    let failed = match broken {
        Some(e) => Some(e), // dropping `tx` rolls back
        None => tx.commit().map_err(backend).err(),
    };
    for reply in replies {
        reply(failed.as_ref());
    }
    if let Some(e) = &failed {
        jobs.for_each(|job| job.refuse(same(e)));
    }
}
