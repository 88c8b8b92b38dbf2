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
}
