//! `klaxon serve`: wiring, the HTTP server and the escalation timer.

use crate::cli::ServeOptions;
use crate::settings::FileConfig;
use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use klaxon_core::adapters::local::{EventHandler, FileNotifier, InProcessBus};
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::{App, Relay, assess, escalate, notify, outbox};
use klaxon_core::domain::DomainEvent;
use klaxon_core::http::{self, ClientIp, MAX_ANY_BODY, Routes};
use klaxon_core::ports::{Clock, SystemClock};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The local bus's one subscriber: the assess and notify consumers, as the
/// EventBridge rules route them in AWS.
struct Consumers(Weak<App>);

#[async_trait]
impl EventHandler for Consumers {
    async fn handle(&self, event: &DomainEvent) -> Result<(), String> {
        let Some(app) = self.0.upgrade() else {
            return Err("shutting down".into());
        };
        assess::on_event(&app, event)
            .await
            .map_err(|e| e.to_string())?;
        notify::on_event(&app, event)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Builds the app over `data_dir`, with the consumers subscribed. The
/// server answers first and publishes in the background; a one-shot command
/// (`klaxon ack`) publishes before it exits.
pub fn build(
    data_dir: &Path,
    config: &FileConfig,
    policy: Option<&Path>,
    clock: Arc<dyn Clock>,
    relay: Relay,
    listen: Option<SocketAddr>,
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
    let bus = Arc::new(InProcessBus::new());
    let app = Arc::new(App::new(
        Arc::new(store),
        bus.clone(),
        Arc::new(FileNotifier::new(data_dir.join("outbox.jsonl"))),
        clock,
        relay,
        settings,
    ));
    bus.subscribe(Arc::new(Consumers(Arc::downgrade(&app))));
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
    Router::new().fallback(handle).with_state(app)
}

async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
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
    let ticker = tokio::spawn(escalate_timer(
        Arc::clone(&app),
        Duration::from_secs(config.escalate_interval_secs),
    ));
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    ticker.abort();
    Ok(())
}

/// What the EventBridge schedule does in AWS.
async fn escalate_timer(app: Arc<App>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = escalate::tick(&app).await {
            tracing::warn!(error = %e, "escalation sweep failed; retrying next tick");
        }
    }
}
