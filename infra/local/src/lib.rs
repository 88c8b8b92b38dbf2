//! The local runner: the same core as the Lambdas, wired to an embedded
//! SQLite store, an in-process event bus and a file notifier.
//!
//! - [`cli`]: the command line.
//! - [`commands`]: what each subcommand does and prints.
//! - [`client`]: the responder API over HTTP, for the API subcommands.
//! - [`settings`]: the optional TOML config file.
//! - [`serve`]: wiring, the HTTP server and the escalation timer.
//! - [`health`]: the sweep's last run and the outbox backlog on `/healthz`.

pub mod cli;
pub mod client;
pub mod commands;
pub mod health;
pub mod serve;
pub mod settings;

/// Human-readable logs on stderr; `RUST_LOG` overrides the level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
