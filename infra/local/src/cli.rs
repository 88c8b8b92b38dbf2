//! The `klaxon` command line.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "klaxon",
    version,
    about = "Security incident response: intake, severity, paging and deadlines."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run intake, assess, notify, escalate and the API in one process.
    Serve(ServeOptions),
    /// Dry run: assess reports (JSON Lines on stdin) and print each verdict as a JSON line.
    Assess {
        /// The time deadlines count from (RFC 3339); default now.
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Policy file; default the built-in one.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Policy commands.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Acknowledge an incident: paging stops, and the ack is on its timeline.
    Ack {
        /// Incident id or reference (KLX-2026-7QX4MZ).
        id: String,
        /// Who is acknowledging; default $USER.
        #[arg(long)]
        by: Option<String>,
        #[arg(long, default_value = ".klaxon")]
        data_dir: PathBuf,
        /// The config file `klaxon serve` uses.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The policy file `klaxon serve` uses.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Print an incident's severity, reasons, deadlines and timeline.
    Show {
        /// Incident id or reference (KLX-2026-7QX4MZ).
        id: String,
        #[arg(long, default_value = ".klaxon")]
        data_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the built-in policy file, to copy and edit.
    Default,
}

#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the SQLite database and outbox.jsonl live; created if missing.
    #[arg(long, default_value = ".klaxon")]
    pub data_dir: PathBuf,
    /// Optional TOML config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Severity and deadline policy file (default: the built-in one; see `klaxon policy default`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}
