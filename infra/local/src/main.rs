//! `klaxon`: the whole product in one process, for a laptop or a small VM.

use clap::Parser;
use klaxon_local::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    klaxon_local::init_tracing();
    let result = match cli.command {
        Command::Serve(opts) => klaxon_local::serve::run(opts).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("klaxon: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
