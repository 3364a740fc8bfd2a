//! Inventory throughput (issue #5): the inventory handler over one survey of N objects (10,000 by
//! default), timed end to end (list, CID per object, classify, write `inventory.json`), in
//! five settings that show where its time goes:
//!
//! - S3 (moto on 127.0.0.1), objects written by Leadline: the CID is in `x-amz-meta-cid`, one
//!   HEAD per object;
//! - S3, objects written without it: HEAD, then GET and hash per object (the streaming path);
//! - S3 again from a warm Lambda container: the ETag → CID cache answers from the listing;
//! - a folder whose files carry the `user.leadline.cid` xattr, and one of plain files (hashed).
//!
//! Every cold run gets fresh buckets (an empty ETag cache), as a new Lambda container would.
//! `scripts/bench-inventory` runs it; arguments: `--objects N`, `--size BYTES`, `--runs R`.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use leadline_core::key::{Key, KeyError};
use leadline_core::store::ObjectStore;
use leadline_lambdas::buckets::{Buckets, DirBuckets, S3Buckets};
use leadline_lambdas::inventory::{self, InventoryInput};
use leadline_testkit::Moto;

type BoxError = Box<dyn Error + Send + Sync>;

/// Uploads in flight while the data is set up (not measured).
const SETUP_CONCURRENCY: usize = 64;

struct Options {
    objects: usize,
    size: usize,
    runs: usize,
}

impl Options {
    fn parse() -> Result<Self, BoxError> {
        let mut options = Self {
            objects: 10_000,
            size: 4096,
            runs: 3,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let field = match arg.as_str() {
                "--objects" => &mut options.objects,
                "--size" => &mut options.size,
                "--runs" => &mut options.runs,
                // `cargo bench` passes this to every benchmark binary.
                "--bench" => continue,
                other => return Err(format!("unknown argument {other:?}").into()),
            };
            let value = args.next().ok_or(format!("{arg} needs a value"))?;
            *field = value.parse().map_err(|e| format!("{arg} {value:?}: {e}"))?;
        }
        if options.objects == 0 || options.runs == 0 {
            return Err("--objects and --runs must be at least 1".into());
        }
        Ok(options)
    }
}

/// A survey's worth of keys across the classes inventory tells apart, with distinct contents.
fn objects(survey: &str, options: &Options) -> Result<Vec<(Key, Vec<u8>)>, KeyError> {
    (0..options.objects)
        .map(|i| {
            let name = match i % 4 {
                0 => format!("raw/line_{i:05}.all"),
                1 => format!("pos/DN{i:05}.000"),
                2 => format!("grids/tile_{i:05}.bag"),
                _ => format!("notes/n{i:05}.txt"),
            };
            let mut body = format!("{survey}/{name}\n").into_bytes();
            body.resize(options.size.max(body.len()), b'.');
            Ok((Key::new(format!("{survey}/{name}"))?, body))
        })
        .collect()
}

/// Writes through core's store, which records each object's CID (metadata or xattr).
async fn put_with_cids(
    store: Arc<dyn ObjectStore>,
    objects: Vec<(Key, Vec<u8>)>,
) -> Result<(), BoxError> {
    stream::iter(objects)
        .map(|(key, body)| {
            let store = store.clone();
            async move { store.put_bytes(&key, body).await.map(drop) }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    Ok(())
}

/// Plain `PutObject`s, as a survey uploaded with any other client: no CID recorded.
async fn put_plain_s3(moto: &Moto, objects: Vec<(Key, Vec<u8>)>) -> Result<(), BoxError> {
    let client = moto.s3_client();
    stream::iter(objects)
        .map(|(key, body)| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket("uploads")
                    .key(key.as_str())
                    .body(body.into())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| {
                        format!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e))
                    })
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    Ok(())
}

fn put_plain_files(root: &std::path::Path, objects: Vec<(Key, Vec<u8>)>) -> Result<(), BoxError> {
    for (key, body) in objects {
        let path = root.join("uploads").join(key.as_str());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, body)?;
    }
    Ok(())
}

/// One timed inventory of `survey`, checked to have seen every object.
async fn inventory_once(
    buckets: &dyn Buckets,
    survey: &str,
    expected: usize,
) -> Result<Duration, BoxError> {
    let input = InventoryInput {
        survey: survey.into(),
        upload: format!("s3://uploads/{survey}/"),
        work: format!("s3://work/{survey}/bench/"),
    };
    let started = Instant::now();
    let summary = inventory::handle(buckets, &input).await?;
    let elapsed = started.elapsed();
    if summary.objects != expected as u64 {
        return Err(format!(
            "{survey}: inventoried {} objects, expected {expected}",
            summary.objects
        )
        .into());
    }
    Ok(elapsed)
}

fn report(setting: &str, options: &Options, mut times: Vec<Duration>) {
    times.sort();
    let median = times[times.len() / 2];
    let rate = options.objects as f64 / median.as_secs_f64();
    let all: Vec<String> = times
        .iter()
        .map(|t| format!("{:.3}", t.as_secs_f64()))
        .collect();
    println!(
        "| {setting} | {} | {:.3} s | {rate:.0} | {} |",
        options.objects,
        median.as_secs_f64(),
        all.join(", ")
    );
}

async fn measure(
    options: &Options,
    survey: &str,
    fresh: impl Fn() -> Arc<dyn Buckets>,
) -> Result<Vec<Duration>, BoxError> {
    let mut times = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        times.push(inventory_once(fresh().as_ref(), survey, options.objects).await?);
    }
    Ok(times)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse()?;
    eprintln!(
        "inventory over {} objects of {} bytes, {} runs per setting; setting up…",
        options.objects, options.size, options.runs
    );
    println!("| upload | objects | median wall | objects/s | runs (s) |");
    println!("|---|---|---|---|---|");

    let moto = Moto::start();
    for bucket in ["uploads", "work"] {
        moto.create_bucket(bucket).await;
    }
    let s3 = || -> Arc<dyn Buckets> { Arc::new(S3Buckets::new(moto.s3_client())) };
    put_with_cids(s3().bucket("uploads"), objects("WITHCID", &options)?).await?;
    put_plain_s3(&moto, objects("PLAIN", &options)?).await?;

    report(
        "S3 (moto), CIDs in x-amz-meta-cid",
        &options,
        measure(&options, "WITHCID", s3).await?,
    );
    report(
        "S3 (moto), no CID metadata: streamed",
        &options,
        measure(&options, "PLAIN", s3).await?,
    );
    let warm = s3();
    inventory_once(warm.as_ref(), "PLAIN", options.objects).await?;
    report(
        "S3 (moto), no CID metadata, warm container (ETag cache)",
        &options,
        measure(&options, "PLAIN", || warm.clone()).await?,
    );
    drop(moto);

    let dir = tempfile::tempdir()?;
    let folders = || -> Arc<dyn Buckets> { Arc::new(DirBuckets::new(dir.path())) };
    put_with_cids(folders().bucket("uploads"), objects("WITHCID", &options)?).await?;
    put_plain_files(dir.path(), objects("PLAIN", &options)?)?;
    report(
        "folder, CIDs in xattrs",
        &options,
        measure(&options, "WITHCID", folders).await?,
    );
    report(
        "folder, plain files: hashed",
        &options,
        measure(&options, "PLAIN", folders).await?,
    );
    Ok(())
}
