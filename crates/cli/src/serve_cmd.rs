//! `leadline serve`: the local twin kept up on 127.0.0.1. One port speaks the Step Functions
//! API (AWS CLI and SDKs with `--endpoint-url`), the run API under `/api/` and the web page at
//! `/`; a watcher starts a run whenever an upload's `.done` appears in the uploads folder.
//! Unfinished runs of a killed twin are resumed first. Ctrl-C or SIGTERM stops it; runs still
//! going then are resumed by the next `leadline serve` or `leadline run --resume`.

use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use leadline_local::http;
use serde_json::json;
use tokio::sync::watch;

use crate::run_cmd::{open_twin, runtime, TwinArgs};

#[derive(Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1; 0 picks a free one (printed on stderr). 8083 is the port of AWS's
    /// Step Functions Local, so endpoints configured for it work unchanged.
    #[arg(long, default_value_t = 8083)]
    port: u16,
    #[command(flatten)]
    twin: TwinArgs,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let twin = open_twin(&args.twin)?;
    runtime()?.block_on(async {
        for arn in twin.resume_all().context("cannot resume unfinished runs")? {
            eprintln!("resumed {arn}");
        }
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = watch::channel(false);
        let watcher = tokio::spawn(http::watch_uploads(
            twin.uploads_dir(),
            twin.environment().buckets.uploads.clone(),
            twin.trigger(),
            until_stopped(stopped),
        ));
        eprintln!(
            "leadline serve: {url} (state folder {}; uploads go to {})",
            twin.state_dir().display(),
            twin.uploads_dir().display()
        );
        if args.twin.json {
            println!("{}", json!({"url": url, "state_dir": twin.state_dir()}));
        }
        let router = http::router(twin.clone(), Arc::new(twin.run_api()));
        http::serve(listener, router, async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        })
        .await
        .context("the HTTP server failed")?;
        watcher.await.context("the uploads watcher failed")?;
        eprintln!("leadline serve: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    // A dropped sender means the server is gone: stop watching as well.
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Ctrl-C, or SIGTERM (what service managers and `kill` send).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); Ctrl-C still stops the twin");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
