//! `klaxon`: the whole product in one process, for a laptop or a small VM.

use clap::Parser;
use klaxon_local::cli::{Cli, Command, PolicyCommand};
use klaxon_local::commands;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    klaxon_local::init_tracing();
    let result = match cli.command {
        Command::Serve(opts) => klaxon_local::serve::run(opts).await,
        Command::Assess { now, policy } => match commands::assess(now, policy.as_deref()) {
            Ok(0) => Ok(()),
            Ok(n) => Err(format!("{n} line(s) could not be assessed").into()),
            Err(e) => Err(e),
        },
        Command::Policy {
            command: PolicyCommand::Default,
        } => {
            print!("{}", commands::policy_default());
            Ok(())
        }
        Command::Ack {
            id,
            by,
            data_dir,
            config,
            policy,
        } => commands::ack(&data_dir, config.as_deref(), policy.as_deref(), &id, by)
            .await
            .map(|s| println!("{s}")),
        Command::Show { id, data_dir } => {
            commands::show(&data_dir, &id).await.map(|s| print!("{s}"))
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("klaxon: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
