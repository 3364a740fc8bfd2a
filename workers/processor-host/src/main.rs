//! `leadline-worker`: parses arguments, fetches the licence, wires the Step Functions client and
//! the checkpoint store, and serves the activity until SIGTERM or SIGINT.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use leadline_runner::job::Place;
use leadline_runner::process::{parse_seconds, RunOptions};
use leadline_runner::task_api::Sfn;
use leadline_worker::{AllowList, Licence, Worker, WorkerConfig};
use tokio::signal::unix::{signal, SignalKind};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LEADLINE_GIT_COMMIT"),
    ")"
);

/// Serves a Step Functions activity on the processor host: runs each task's allow-listed command
/// in the survey's work folder, heartbeats, checkpoints the folder, reports the result.
///
/// SIGTERM or SIGINT: stop polling; a task in hand fails with the retryable `Job.Interrupted`.
#[derive(Parser)]
#[command(name = "leadline-worker", version = VERSION)]
struct Args {
    /// The activity to poll
    #[arg(long, env = "LEADLINE_ACTIVITY_ARN")]
    activity_arn: String,
    /// Folder holding one work folder per survey
    #[arg(long, env = "LEADLINE_WORK_ROOT")]
    work_root: PathBuf,
    /// s3://bucket/prefix (or folder) where `<survey>/` work folders are checkpointed
    #[arg(long, env = "LEADLINE_CHECKPOINT")]
    checkpoint: Option<String>,
    /// Program a task may run (repeatable; default: carisbatch)
    #[arg(long = "allow", value_name = "PROGRAM")]
    allow: Vec<String>,
    /// Secrets Manager secret id whose JSON object becomes the commands' licence environment
    #[arg(long, env = "LEADLINE_LICENCE_SECRET")]
    licence_secret: Option<String>,
    /// Name reported to GetActivityTask (default: the host name)
    #[arg(long)]
    worker_name: Option<String>,
    /// Seconds between heartbeats
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    heartbeat: Duration,
    /// Stop a command after this many seconds
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = aws_config::load_from_env().await;
    let licence = match &args.licence_secret {
        Some(id) => Licence::fetch(&aws_sdk_secretsmanager::Client::new(&config), id).await?,
        None => Licence::default(),
    };
    let checkpoint = match &args.checkpoint {
        Some(text) => Some(
            Place::open(text)
                .await
                .with_context(|| format!("bad checkpoint location {text}"))?,
        ),
        None => None,
    };
    let worker = Worker::new(WorkerConfig {
        work_root: args.work_root,
        allow: if args.allow.is_empty() {
            AllowList::default()
        } else {
            AllowList::new(args.allow)
        },
        checkpoint,
        licence,
        run: RunOptions {
            timeout: args.timeout,
            heartbeat_every: args.heartbeat,
            ..RunOptions::default()
        },
        poll_retry: Duration::from_secs(5),
    });
    let worker_name = args
        .worker_name
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "leadline-worker".into());

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("stop requested");
        let _ = stop.send(true);
    });
    tracing::info!(activity = %args.activity_arn, %worker_name, "serving");
    worker
        .serve(
            &Sfn::from_env().await,
            &args.activity_arn,
            &worker_name,
            shutdown,
        )
        .await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
