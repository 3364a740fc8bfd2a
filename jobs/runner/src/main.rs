//! `leadline-runner`: parses the job's arguments, wires the stores and the Step Functions client,
//! and runs the job (see the library for the contract).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use leadline_runner::contract::{errors, TaskFailure};
use leadline_runner::job::{run_job, JobOutcome, JobSpec, Place};
use leadline_runner::process::{parse_seconds, CommandSpec, Heartbeat, RunOptions};
use leadline_runner::task_api::{Sfn, TaskReporter};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LEADLINE_GIT_COMMIT"),
    ")"
);

/// Runs one job under Leadline's job contract: stage inputs, run the command, publish outputs
/// with CIDs, print the task result as one JSON line.
///
/// Exit status: 0 on success (or a cache hit); the command's own status n when it failed
/// (error `Job.ExitCode.<n>`); 124 on timeout; 143 when interrupted (SIGTERM); 125 when the
/// runner itself failed or rejected the outputs. On failure stdout holds {"Error", "Cause"}.
#[derive(Parser)]
#[command(name = "leadline-runner", version = VERSION)]
struct Args {
    /// Folder, file, s3://bucket/prefix/ or s3://bucket/key to stage into the inputs folder
    /// (repeatable)
    #[arg(long = "input", value_name = "LOCATION")]
    inputs: Vec<String>,
    /// Folder or s3://bucket/prefix that receives the outputs
    #[arg(long, value_name = "LOCATION")]
    publish: Option<String>,
    /// Folder or s3://bucket/prefix holding memoization records (`<key>.json`)
    #[arg(long, value_name = "LOCATION", requires = "publish")]
    cache: Option<String>,
    /// The step's definition for the cache key (its name and anything that changes its meaning)
    #[arg(long, default_value = "")]
    step: String,
    /// Image or tool version for the cache key
    #[arg(long, env = "LEADLINE_TOOL_VERSION", default_value = VERSION)]
    tool_version: String,
    /// Stop the command after this many seconds
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Step Functions task token: heartbeats while the command runs, then SendTaskSuccess or
    /// SendTaskFailure
    #[arg(long, env = "LEADLINE_TASK_TOKEN", hide_env_values = true)]
    task_token: Option<String>,
    /// Seconds between heartbeats
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    heartbeat: Duration,
    #[arg(long, env = "LEADLINE_INPUTS", default_value = "/inputs")]
    inputs_dir: PathBuf,
    #[arg(long, env = "LEADLINE_OUTPUTS", default_value = "/outputs")]
    outputs_dir: PathBuf,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

async fn place(text: &str) -> anyhow::Result<Place> {
    Place::open(text)
        .await
        .with_context(|| format!("bad location {text}"))
}

fn exit_status(failure: &TaskFailure) -> u8 {
    match failure.error.as_str() {
        errors::TIMEOUT => 124,
        errors::INTERRUPTED => 143,
        error => error
            .strip_prefix(errors::EXIT_CODE_PREFIX)
            .and_then(|code| code.parse::<u8>().ok())
            .filter(|code| *code != 0)
            .unwrap_or(125),
    }
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let command = CommandSpec::from_argv(&args.command).context("no command given")?;
    let publish = match &args.publish {
        Some(text) => Some(place(text).await?),
        None => None,
    };
    let cache = match &args.cache {
        Some(text) => Some(place(text).await?),
        None => None,
    };
    let spec = JobSpec {
        command,
        inputs_dir: args.inputs_dir,
        outputs_dir: args.outputs_dir,
        sources: args.inputs,
        publish,
        cache,
        step: args.step,
        tool: args.tool_version,
        run: RunOptions {
            timeout: args.timeout,
            heartbeat_every: args.heartbeat,
            ..RunOptions::default()
        },
    };
    let reporter = match &args.task_token {
        Some(_) => Some(Sfn::from_env().await),
        None => None,
    };
    let heartbeat = reporter
        .as_ref()
        .zip(args.task_token.as_deref())
        .map(|(reporter, token)| Heartbeat {
            reporter: reporter as &dyn TaskReporter,
            token,
        });
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    let outcome = run_job(&spec, heartbeat, async move {
        sigterm.recv().await;
    })
    .await;

    let (printed, status) = match &outcome {
        JobOutcome::Succeeded(result) => (serde_json::to_value(result)?, 0),
        JobOutcome::Failed(failure) => (serde_json::to_value(failure)?, exit_status(failure)),
    };
    println!("{printed}");
    if let (Some(reporter), Some(token)) = (&reporter, &args.task_token) {
        match &outcome {
            JobOutcome::Succeeded(_) => reporter.succeed(token, &printed).await,
            JobOutcome::Failed(failure) => reporter.fail(token, failure).await,
        }
        .context("cannot report the task to Step Functions")?;
    }
    Ok(ExitCode::from(status))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(125)
        }
    }
}
