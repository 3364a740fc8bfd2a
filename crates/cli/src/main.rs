//! The `leadline` command: one subcommand per module, each a thin layer over the library crates.

mod cid_cmd;
mod compare_cmd;
mod progress;
mod render_cmd;
mod run_cmd;
mod serve_cmd;
mod states;
mod sync_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LEADLINE_GIT_COMMIT"),
    ")"
);

/// Leadline turns hydrographic survey uploads into quality-checked, content-addressed products.
#[derive(Parser)]
#[command(name = "leadline", version = VERSION, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the content identifier (CIDv1, raw, sha2-256) of files and folders
    Cid(cid_cmd::CidArgs),
    /// Copy a folder or S3 prefix to another, skipping objects whose CID already matches
    Sync(sync_cmd::SyncArgs),
    /// Validate and run Amazon States Language definitions with the local engine
    States(states::StatesArgs),
    /// Render the state machines of every (or one) environment from templates/; --check for drift
    Render(render_cmd::RenderArgs),
    /// Compare products with expected ones by file type; exit 1 on any difference
    Compare(compare_cmd::CompareArgs),
    /// Process a survey folder on this machine with the local twin (the same state machine)
    Run(run_cmd::RunArgs),
    /// Run a failed or stopped execution of the local twin again from the step that failed
    Redrive(run_cmd::RedriveArgs),
    /// Keep the local twin up on 127.0.0.1: the Step Functions API, the run API and a web page
    Serve(serve_cmd::ServeArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Cid(args) => cid_cmd::run(args),
        Command::Sync(args) => sync_cmd::run(args),
        Command::States(args) => states::run(args),
        Command::Render(args) => render_cmd::run(args),
        Command::Compare(args) => compare_cmd::run(args),
        Command::Run(args) => run_cmd::run(args),
        Command::Redrive(args) => run_cmd::redrive(args),
        Command::Serve(args) => serve_cmd::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
