//! `klaxon`: the whole product in one process, for a laptop or a small VM,
//! and a command line for the responder API.

use clap::Parser;
use klaxon_core::escape::terminal;
use klaxon_local::cli::{Cli, Command, ImportCommand, PolicyCommand};
use klaxon_local::commands;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prints a command's output. Everything `klaxon` prints goes through here,
/// so text from reports and notes never drives the terminal.
fn emit(s: &str, json: bool) {
    if json {
        print!("{}", terminal::json(s));
    } else {
        print!("{}", terminal::text(s));
    }
}

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
            emit(commands::policy_default(), false);
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
        .map(|s| emit(&s, json)),
        Command::Show { id, data_dir } => commands::show(&data_dir, &id, json)
            .await
            .map(|s| emit(&s, json)),
        Command::Doctor => {
            let (out, missing) = commands::doctor(json).await;
            emit(&out, json);
            if missing {
                Err("something SMS paging needs is missing (above)".into())
            } else {
                Ok(())
            }
        }
        Command::Import {
            command: ImportCommand::Opsgenie(args),
        } => commands::import::opsgenie(api, json, args)
            .await
            .map(|s| emit(&s, json)),
        Command::Api(cmd) => commands::api(api, json, cmd).await.map(|s| emit(&s, json)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", terminal::text(&e.to_string()));
            if let Some(hint) = commands::hint(e.as_ref()) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
