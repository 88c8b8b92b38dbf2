//! `klaxon serve`: wiring, the HTTP server and the escalation timer.

use crate::cli::ServeOptions;
use crate::health::SweepWatch;
use crate::settings::{FileConfig, ServerSettings};
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use klaxon_core::adapters::github::GitHubIssues;
use klaxon_core::adapters::local::{ConsumerError, EventHandler, FileNotifier, InProcessBus};
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::routing::{self, Consumer};
use klaxon_core::app::{App, HandlerError, Relay, Wiring, assess, escalate, notify, outbox, track};
use klaxon_core::domain::DomainEvent;
use klaxon_core::http::{self, ClientIp, MAX_ANY_BODY, Routes};
use klaxon_core::ports::{Clock, IssueTracker, SystemClock, TrackerError};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long one event's tracking may hold a relay lane (see `Consumers`).
const TRACK_INLINE: Duration = Duration::from_secs(2);

/// The local bus's one subscriber: each event goes to every consumer the
/// routing table names, as the EventBridge rules route it in AWS.
struct Consumers {
    app: Weak<App>,
    tracker: Option<Arc<dyn IssueTracker>>,
}

#[async_trait]
impl EventHandler for Consumers {
    async fn handle(&self, event: &DomainEvent) -> Result<(), ConsumerError> {
        let Some(app) = self.app.upgrade() else {
            return Err(ConsumerError::ShuttingDown);
        };
        // In order; a failure leaves the event pending, and the consumers
        // that ran already skip it on the retry (each claims its effects).
        for consumer in routing::consumers(event.kind) {
            match consumer {
                Consumer::Assess => drop(assess::on_event(&app, event).await?),
                Consumer::Notify | Consumer::Page => drop(notify::on_event(&app, event).await?),
                Consumer::Track => {
                    // The tracker shares the relay's lanes with the pages: a
                    // slow or rate-limiting GitHub may hold one only this
                    // long. Past it the event stays pending, and the retry
                    // finds the other consumers' work already claimed.
                    let tracked = track::on_event(&app, self.tracker.as_deref(), event);
                    match tokio::time::timeout(TRACK_INLINE, tracked).await {
                        Ok(result) => drop(result?),
                        Err(_) => {
                            return Err(ConsumerError::Failed(HandlerError::Track(
                                TrackerError::Unavailable(format!(
                                    "the tracker did not answer within {} s; retried later",
                                    TRACK_INLINE.as_secs()
                                )),
                            )));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Builds the app over `data_dir`, with the consumers subscribed. The
/// server answers first and publishes in the background; a one-shot command
/// (`klaxon ack`) publishes before it exits. The tracker is GitHub's when
/// `KLAXON_GITHUB_REPO` names a repository.
pub fn build(
    data_dir: &Path,
    config: &FileConfig,
    policy: Option<&Path>,
    clock: Arc<dyn Clock>,
    relay: Relay,
    listen: Option<SocketAddr>,
) -> Result<Arc<App>, BoxError> {
    assemble(data_dir, config, policy, clock, relay, listen, None)
}

/// [`build`], with this tracker in place of the configured one.
pub fn build_tracked(
    data_dir: &Path,
    config: &FileConfig,
    policy: Option<&Path>,
    clock: Arc<dyn Clock>,
    relay: Relay,
    tracker: Arc<dyn IssueTracker>,
) -> Result<Arc<App>, BoxError> {
    assemble(data_dir, config, policy, clock, relay, None, Some(tracker))
}

fn assemble(
    data_dir: &Path,
    config: &FileConfig,
    policy: Option<&Path>,
    clock: Arc<dyn Clock>,
    relay: Relay,
    listen: Option<SocketAddr>,
    tracker: Option<Arc<dyn IssueTracker>>,
) -> Result<Arc<App>, BoxError> {
    let store = SqliteIncidentStore::open(data_dir)?;
    let mut settings = config.settings(policy)?;
    // Ack links work out of the box: a key kept in the data directory, and
    // links to where this process listens, unless configured otherwise.
    if settings.notify.ack_secret.is_none() {
        settings.notify.ack_secret = Some(local_ack_secret(data_dir)?);
    }
    if settings.intake.public_url.is_none()
        && let Some(addr) = listen
    {
        settings.intake.public_url = Some(format!("http://{addr}"));
    }
    let tracker: Option<Arc<dyn IssueTracker>> = match (tracker, &settings.tracker) {
        (Some(t), _) => Some(t),
        (None, Some(github)) => Some(Arc::new(GitHubIssues::new(github)?)),
        (None, None) => None,
    };
    let bus = Arc::new(InProcessBus::new());
    let openid = settings.oidc.is_some();
    let app = App::new(Wiring {
        store: Arc::new(store),
        publisher: bus.clone(),
        notifier: Arc::new(FileNotifier::new(data_dir.join("outbox.jsonl"))),
        clock,
        relay,
        settings,
    });
    let app = Arc::new(if openid {
        app.with_identity_provider(Arc::new(
            klaxon_core::adapters::openid::HttpIdentityProvider::new(),
        ))
    } else {
        app
    });
    bus.subscribe(Arc::new(Consumers {
        app: Arc::downgrade(&app),
        tracker,
    }));
    Ok(app)
}

/// The key that signs ack links, created on first use (owner-only) in the
/// data directory so links survive restarts.
fn local_ack_secret(data_dir: &Path) -> Result<klaxon_core::config::Secret, BoxError> {
    let path = data_dir.join("ack-secret");
    if let Ok(s) = std::fs::read_to_string(&path)
        && s.trim().len() >= klaxon_core::ack::MIN_SECRET_BYTES
    {
        return Ok(klaxon_core::config::Secret::new(s.trim()));
    }
    let bytes: [u8; 32] = rand::random();
    let secret = hex::encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(&path)
        .and_then(|mut f| f.write_all(secret.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(klaxon_core::config::Secret::new(secret))
}

/// The HTTP routes: every request goes to the core router.
pub fn router(app: Arc<App>) -> Router {
    let watch = Arc::new(SweepWatch::new(Duration::from_secs(60), app.clock.now()));
    router_with(app, watch)
}

/// The router, with `/healthz` answered from the sweep's watch.
pub fn router_with(app: Arc<App>, watch: Arc<SweepWatch>) -> Router {
    Router::new().fallback(handle).with_state((app, watch))
}

async fn handle(
    State((app, watch)): State<(Arc<App>, Arc<SweepWatch>)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    if req.method() == axum::http::Method::GET && req.uri().path() == "/healthz" {
        let (ok, body) = watch.report(&app).await;
        let status = if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        return (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let (mut parts, body) = req.into_parts();
    // A body said to be larger than any route takes is refused before it
    // is waited for.
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_ANY_BODY as u64) {
        return into_axum(http::payload_too_large(MAX_ANY_BODY));
    }
    // Read one byte past the largest limit so an oversized body is told
    // apart; each route applies its own limit.
    let bytes = match axum::body::to_bytes(body, MAX_ANY_BODY + 1).await {
        Ok(b) => b,
        Err(_) => return into_axum(http::payload_too_large(MAX_ANY_BODY)),
    };
    parts.extensions.insert(ClientIp(peer.ip()));
    // On its own task: a client that hangs up must not cancel a request
    // between its commit and the publish that follows it.
    let req = axum::http::Request::from_parts(parts, bytes);
    let work = tokio::spawn(async move { http::handle(&app, Routes::All, req).await });
    match work.await {
        Ok(resp) => into_axum(resp),
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            into_axum(http::ApiError::Internal.into_response())
        }
    }
}

fn into_axum(resp: axum::http::Response<Bytes>) -> Response {
    let (parts, body) = resp.into_parts();
    (parts, body).into_response()
}

/// Runs until Ctrl-C.
pub async fn run(opts: ServeOptions) -> Result<(), BoxError> {
    let config = FileConfig::load(opts.config.as_deref())?;
    let app = build(
        &opts.data_dir,
        &config,
        opts.policy.as_deref(),
        Arc::new(SystemClock),
        Relay::Background,
        Some(opts.listen),
    )?;
    // Anything a previous run committed but did not publish goes out
    // first: the relay reads the outbox oldest first.
    outbox::resume(&app);
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    tracing::info!(
        listen = %opts.listen,
        data_dir = %opts.data_dir.display(),
        "klaxon serving: report form at /report"
    );
    let every = Duration::from_secs(config.escalate_interval_secs);
    let watch = Arc::new(SweepWatch::new(every, app.clock.now()));
    let ticker = tokio::spawn(escalate_timer(Arc::clone(&app), every, Arc::clone(&watch)));
    let watchdog = tokio::spawn(Arc::clone(&watch).watchdog(Arc::clone(&app.clock)));
    serve_http(listener, router_with(app, watch), &config.server, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    ticker.abort();
    watchdog.abort();
    Ok(())
}

/// The connection loop, bounded against hostile clients: at most
/// `max_connections` at once (the rest wait in the listen backlog), at most
/// `max_connections_per_client` of them from one address, a
/// request head within `header_timeout` (hyper's timer, which also closes
/// idle keep-alive connections), and a whole request within
/// `request_timeout`, or 408. axum::serve sets no timer, so none of these
/// held there; this is the same hyper connection it builds, configured.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    limits: &ServerSettings,
    shutdown: impl std::future::Future<Output = ()>,
) {
    // The deadline runs from the head until the answer: a slow body is cut
    // off with 408. The request's work runs on its own task (see `handle`),
    // so a late answer never undoes what was committed.
    let router = router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout(),
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Connections per client address: one client cannot hold every slot.
    let per_client: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>> =
        Arc::default();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Not accepting while full: the kernel holds further connections
        // in the backlog until a slot frees.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off
                    // rather than spin on accept.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip();
        let admitted = per_client.lock().is_ok_and(|mut held| {
            let n = held.entry(ip).or_insert(0);
            if *n
                >= limits
                    .max_connections_per_client
                    .min(limits.max_connections)
            {
                false
            } else {
                *n += 1;
                true
            }
        });
        if !admitted {
            // Closed at once; the slot goes back to everyone else.
            tracing::debug!(%peer, "too many connections from one client; closed");
            drop(stream);
            continue;
        }
        let held = Arc::clone(&per_client);
        let service = router
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts and clients that hang up: theirs, not ours.
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            if let Ok(mut held) = held.lock()
                && let Some(n) = held.get_mut(&ip)
            {
                *n -= 1;
                if *n == 0 {
                    held.remove(&ip);
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    // In-flight requests finish; idle connections close at once.
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.request_timeout()) => {
            tracing::warn!("connections still open at shutdown; closing them");
        }
    }
}

/// What the EventBridge schedule does in AWS.
async fn escalate_timer(app: Arc<App>, every: Duration, watch: Arc<SweepWatch>) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        watch.started(app.clock.now());
        let began = std::time::Instant::now();
        let result = escalate::tick(&app).await;
        let took = began.elapsed();
        if let Err(e) = &result {
            tracing::warn!(error = %e, "escalation sweep failed; retrying next tick");
        }
        if took > every {
            tracing::error!(
                took_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                interval_secs = every.as_secs(),
                "ESCALATION SWEEP IS FALLING BEHIND: one sweep took longer than its interval"
            );
        }
        watch.finished(app.clock.now(), took, result.is_err());
    }
}
