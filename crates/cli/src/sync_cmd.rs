//! `leadline sync <src> <dst>`: copy a folder or S3 prefix to another, skipping same-CID objects.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use leadline_core::store::{EtagCidCache, Location};
use leadline_core::sync::{sync, SyncEvent, SyncOptions, DEFAULT_CONCURRENCY};

use crate::progress;

#[derive(Args)]
pub struct SyncArgs {
    /// Source: a local folder or s3://bucket/prefix
    src: String,
    /// Destination: a local folder or s3://bucket/prefix
    dst: String,
    /// Objects transferred at once
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Do not read or write the cache of S3 objects' CIDs by ETag (then every same-size object
    /// at the destination costs a HeadObject)
    #[arg(long)]
    no_cache: bool,
    /// Print the result as one JSON object: {"copied", "skipped", "bytes", "failed": [{"key", "error"}]}
    #[arg(long)]
    json: bool,
}

pub fn run(args: SyncArgs) -> Result<ExitCode> {
    let src = Location::parse(&args.src)?;
    let dst = Location::parse(&args.dst)?;
    if let Location::Dir(path) = &src {
        if !path.is_dir() {
            bail!(
                "source folder {} does not exist or is not a folder",
                path.display()
            );
        }
    }
    let etags = Arc::new(match args.no_cache {
        true => EtagCidCache::in_memory(),
        false => EtagCidCache::load(etag_cache_file()),
    });
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let (src_store, src_prefix) = src.open(etags.clone()).await;
        let (dst_store, dst_prefix) = dst.open(etags.clone()).await;
        let bar = progress::bytes_bar(0, "syncing");
        let observer_bar = bar.clone();
        let options = SyncOptions {
            concurrency: usize::from(args.concurrency),
            observer: Some(Arc::new(move |event: &SyncEvent| match event {
                SyncEvent::Planned { bytes, .. } => observer_bar.set_length(*bytes),
                SyncEvent::Done { bytes, .. } => observer_bar.inc(*bytes),
            })),
        };
        let report = sync(
            src_store.as_ref(),
            &src_prefix,
            dst_store.as_ref(),
            &dst_prefix,
            &options,
        )
        .await;
        bar.finish_and_clear();
        report
    })?;

    if let Err(error) = etags.save() {
        // Losing the cache costs the next run some HeadObject requests, nothing more.
        tracing::warn!(%error, "cannot save the S3 CID cache");
    }
    for failure in &report.failed {
        eprintln!("error: {}: {}", failure.key, failure.error);
    }
    if args.json {
        let failed: Vec<_> = report
            .failed
            .iter()
            .map(|f| serde_json::json!({"key": f.key, "error": f.error}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "copied": report.copied, "skipped": report.skipped,
                "bytes": report.bytes, "failed": failed,
            })
        );
    } else {
        eprintln!(
            "copied {} ({} bytes), skipped {} already present, {} failed",
            report.copied,
            report.bytes,
            report.skipped,
            report.failed.len()
        );
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `$LEADLINE_CACHE_DIR/s3-etag-cids.tsv`, by default under `$XDG_CACHE_HOME` or `~/.cache`.
fn etag_cache_file() -> PathBuf {
    let cache_dir = std::env::var_os("LEADLINE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("leadline")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/leadline")))
        .unwrap_or_else(|| PathBuf::from(".leadline"));
    cache_dir.join("s3-etag-cids.tsv")
}
