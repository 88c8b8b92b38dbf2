//! `klaxon`: the whole product in one process, for a laptop or a small VM,
//! and a command line for the responder API.

use clap::Parser;
use klaxon_local::cli::{Cli, Command, PolicyCommand};
use klaxon_local::commands;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    klaxon_local::init_tracing();
    // An empty KLAXON_API_URL counts as unset.
    let api = cli.api.as_deref().filter(|u| !u.trim().is_empty());
    let json = cli.json;
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
            note,
            data_dir,
            config,
            policy,
        } => match api {
            Some(_) if by.is_some() => Err(format!(
                "--by is for the local store; the API records the name behind KLAXON_API_TOKEN. Drop --by to acknowledge {id} through the API"
            )
            .into()),
            Some(url) => commands::api_ack(url, json, &id, note.as_deref()).await,
            None => {
                commands::ack(
                    &data_dir,
                    config.as_deref(),
                    policy.as_deref(),
                    &id,
                    by,
                    note.as_deref(),
                    json,
                )
                .await
            }
        }
        .map(|s| print!("{s}")),
        Command::Show { id, data_dir } => commands::show(&data_dir, &id, json)
            .await
            .map(|s| print!("{s}")),
        Command::Api(cmd) => commands::api(api, json, cmd).await.map(|s| print!("{s}")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = commands::hint(e.as_ref()) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
