//! `leadline compare`: products against expected products, by file type (`leadline-compare`).
//! Exit status 0 when equal, 1 on any difference, 2 on bad input, so CI can tell a regression
//! from a broken invocation.
//!
//! `--target aws` checks a deployed pipeline the same way: it uploads a golden survey's input,
//! starts the run as the trigger Lambda does (same execution name, so a duplicate is the same
//! run), waits for it, downloads the published run folder and compares it with `expected/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};
use leadline_compare::{
    Exclude, Expectation, Failure, Ignore, Options, Report, DEFAULT_IGNORED_KEYS, EXPECTED_FAILURE,
};
use leadline_core::key::{Key, Prefix};
use leadline_core::store::{DirStore, Location, ObjectStore};
use leadline_core::sync::{sync, SyncOptions};
use leadline_lambdas::buckets::{Buckets, S3Buckets};
use leadline_lambdas::executions::SfnExecutions;
use leadline_lambdas::trigger::{Trigger, DONE};
use serde_json::{json, Value};

const DIFFERENT: u8 = 1;
const BAD_INPUT: u8 = 2;

#[derive(Args)]
pub struct CompareArgs {
    /// The products to check: a folder (walked recursively) or one file
    actual: Option<PathBuf>,
    /// The expected products: a folder, or one file when ACTUAL is a file
    expected: Option<PathBuf>,
    /// Where the products come from: ACTUAL (local), or a run of the deployed pipeline on a
    /// golden survey (aws: needs --state-machine-arn, --bucket, --products-bucket, --survey)
    #[arg(long, value_enum, default_value = "local")]
    target: Target,
    #[command(flatten)]
    aws: AwsArgs,
    /// Print the report as one JSON object ({"equal", "compared", "differences": [...]})
    #[arg(long)]
    json: bool,
    /// Largest absolute difference between two valid raster cells
    #[arg(long, value_name = "TOL", default_value = "1e-3", value_parser = tolerance)]
    raster_tolerance: f64,
    /// Largest geotransform difference, as a fraction of a cell
    #[arg(long, value_name = "TOL", default_value = "1e-6", value_parser = tolerance)]
    geotransform_tolerance: f64,
    /// Largest relative difference of a vector layer's total area (0.1% or 0.001)
    #[arg(long, value_name = "TOL", default_value = "0.1%", value_parser = tolerance)]
    area_tolerance: f64,
    /// JSON numbers e (expected) and a are equal when |a - e| <= TOL * max(1, |e|)
    #[arg(long, value_name = "TOL", default_value = "1e-9", value_parser = tolerance)]
    json_tolerance: f64,
    /// Also ignore this JSON key (anywhere) or JSON pointer (starting with /); repeatable
    #[arg(long, value_name = "KEY|POINTER", long_help = ignore_help())]
    ignore: Vec<String>,
    /// Do not ignore the default keys; only --ignore entries are skipped
    #[arg(long)]
    no_default_ignores: bool,
    /// Leave out files whose relative path (or a folder above it) matches this glob, on both
    /// sides: `*` and `?` within a segment, `**` for any number of segments; repeatable
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    Local,
    Aws,
}

#[derive(Args)]
struct AwsArgs {
    /// [aws] The survey state machine (or its alias) to run
    #[arg(long, value_name = "ARN", required_if_eq("target", "aws"))]
    state_machine_arn: Option<String>,
    /// [aws] The uploads bucket: the input goes to s3://BUCKET/<survey>/, then <survey>/.done
    #[arg(long, value_name = "BUCKET", required_if_eq("target", "aws"))]
    bucket: Option<String>,
    /// [aws] The products bucket the pipeline publishes to
    #[arg(long, value_name = "BUCKET", required_if_eq("target", "aws"))]
    products_bucket: Option<String>,
    /// [aws] The golden survey folder (with input/ and expected/); its name is the survey id
    #[arg(long, value_name = "DIR", required_if_eq("target", "aws"))]
    survey: Option<PathBuf>,
    /// [aws] The expected outputs [default: <survey>/expected]
    #[arg(long = "expected", value_name = "DIR")]
    expected_dir: Option<PathBuf>,
    /// [aws] Seconds to wait for the execution to end
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    timeout: u64,
}

impl AwsArgs {
    fn given(&self) -> bool {
        self.state_machine_arn.is_some()
            || self.bucket.is_some()
            || self.products_bucket.is_some()
            || self.survey.is_some()
            || self.expected_dir.is_some()
    }
}

fn tolerance(text: &str) -> Result<f64, String> {
    leadline_compare::parse_tolerance(text).map_err(|error| error.to_string())
}

fn ignore_help() -> String {
    format!(
        "Also ignore this JSON key (matched at any depth, and against manifest entry names) or \
         JSON pointer (starting with /, with everything below it); repeatable.\n\n\
         Ignored by default, because they change from run to run: {}",
        DEFAULT_IGNORED_KEYS.join(", ")
    )
}

pub fn run(args: CompareArgs) -> Result<ExitCode> {
    route_gdal_messages();
    match compare(&args) {
        Ok(true) => Ok(ExitCode::SUCCESS),
        Ok(false) => Ok(ExitCode::from(DIFFERENT)),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(ExitCode::from(BAD_INPUT))
        }
    }
}

/// GDAL prints warnings and failed opens (of files tried as rasters) on stderr, where they would
/// read as part of the report; they go to the log instead (`LEADLINE_LOG=debug`), and the ones
/// that matter reach the report through the typed errors.
fn route_gdal_messages() {
    gdal::config::set_error_handler(|class, number, message| {
        tracing::debug!(target: "gdal", ?class, number, "{message}");
    });
}

/// Whether the products are equal; an error is bad input.
fn compare(args: &CompareArgs) -> Result<bool> {
    let options = options(args)?;
    match (args.target, &args.actual, &args.expected) {
        (Target::Local, Some(actual), Some(expected)) => {
            if args.aws.given() {
                bail!("--state-machine-arn, --bucket, --products-bucket, --survey and --expected need --target aws");
            }
            let report = leadline_compare::compare(actual, expected, &options)?;
            print_report(&report, args.json)?;
            Ok(report.equal)
        }
        (Target::Aws, None, None) => compare_on_aws(args, &options),
        (Target::Aws, _, _) => bail!(
            "with --target aws the products come from the deployed pipeline: give --survey \
             (and --expected), not ACTUAL and EXPECTED"
        ),
        (Target::Local, _, _) => bail!(
            "give the products to check and the expected ones (ACTUAL EXPECTED), or --target aws"
        ),
    }
}

fn options(args: &CompareArgs) -> Result<Options> {
    let mut ignore = if args.no_default_ignores {
        Ignore::none()
    } else {
        Ignore::default()
    };
    for entry in &args.ignore {
        ignore.add(entry)?;
    }
    let mut exclude = Exclude::none();
    for glob in &args.exclude {
        exclude.add(glob)?;
    }
    Ok(Options {
        raster_tolerance: args.raster_tolerance,
        geotransform_tolerance: args.geotransform_tolerance,
        area_tolerance: args.area_tolerance,
        json_tolerance: args.json_tolerance,
        ignore,
        exclude,
    })
}

fn print_report(report: &Report, json: bool) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report).context("cannot write the report")?;
        writeln!(out).context("cannot write the report")?;
    } else {
        write!(out, "{report}").context("cannot write the report")?;
    }
    Ok(())
}

/// How the deployed execution ended.
struct Ended {
    status: String,
    error: String,
    cause: String,
    output: Option<String>,
}

/// Settings of `--target aws`, checked before anything is uploaded.
struct AwsRun<'a> {
    state_machine: &'a str,
    uploads: &'a str,
    products: &'a str,
    survey: String,
    input: PathBuf,
    expectation: Expectation,
    timeout: Duration,
}

impl<'a> AwsRun<'a> {
    fn new(args: &'a AwsArgs) -> Result<Self> {
        // clap requires these with --target aws.
        let required = |value: Option<&'a String>, flag: &str| {
            value
                .map(String::as_str)
                .ok_or_else(|| anyhow!("--target aws needs {flag}"))
        };
        let folder = args
            .survey
            .as_deref()
            .ok_or_else(|| anyhow!("--target aws needs --survey"))?;
        let survey = folder
            .canonicalize()
            .with_context(|| format!("golden survey folder {}", folder.display()))?
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} names no survey folder", folder.display()))?;
        let input = folder.join("input");
        if !input.is_dir() {
            bail!(
                "{} is not a golden survey: it has no input/",
                folder.display()
            );
        }
        let expected = args
            .expected_dir
            .clone()
            .unwrap_or_else(|| folder.join("expected"));
        let expectation = Expectation::of(&expected)?;
        Ok(Self {
            state_machine: required(args.state_machine_arn.as_ref(), "--state-machine-arn")?,
            uploads: required(args.bucket.as_ref(), "--bucket")?,
            products: required(args.products_bucket.as_ref(), "--products-bucket")?,
            survey,
            input,
            expectation,
            timeout: Duration::from_secs(args.timeout),
        })
    }
}

fn compare_on_aws(args: &CompareArgs, options: &Options) -> Result<bool> {
    let run = AwsRun::new(&args.aws)?;
    let runtime = crate::run_cmd::runtime()?;
    runtime.block_on(async {
        let shared = leadline_lambdas::aws_config().await;
        let buckets = Arc::new(S3Buckets::new(leadline_lambdas::s3_client(&shared)));
        let sfn = aws_sdk_sfn::Client::new(&shared);
        let prefix = Prefix::new(run.survey.as_str())
            .with_context(|| format!("survey id {:?}", run.survey))?;
        upload(&run, buckets.as_ref(), &prefix).await?;
        let trigger = Trigger {
            buckets: buckets.clone(),
            executions: Arc::new(SfnExecutions::new(sfn.clone(), run.state_machine)),
        };
        let started = trigger
            .start(run.uploads, &prefix, &run.survey, None)
            .await
            .with_context(|| format!("cannot start {} on {}", run.survey, run.state_machine))?;
        eprintln!(
            "{} {}",
            if started.new {
                "started"
            } else {
                "already started (same upload):"
            },
            started.arn
        );
        let Some(ended) = wait(&sfn, &started.arn, run.timeout).await? else {
            report_run(
                args.json,
                &started.arn,
                "TIMED_OUT_WAITING",
                &format!(
                    "still running after {} s; it was left running",
                    run.timeout.as_secs()
                ),
                &[],
            )?;
            return Ok(false);
        };
        match &run.expectation {
            Expectation::Failure(expected) => {
                if ended.status != "FAILED" {
                    let what = format!("expected the run to fail ({EXPECTED_FAILURE})");
                    report_run(args.json, &started.arn, &ended.status, &what, &[])?;
                    return Ok(false);
                }
                // A description names the error and cause, not the failing state.
                let mismatches = expected.mismatches(Failure {
                    error: &ended.error,
                    cause: &ended.cause,
                    step: None,
                });
                let what = match mismatches.is_empty() {
                    true => String::new(),
                    false => format!("failed otherwise than {EXPECTED_FAILURE} says"),
                };
                report_run(args.json, &started.arn, &ended.status, &what, &mismatches)?;
                Ok(mismatches.is_empty())
            }
            Expectation::Products(expected) => {
                if ended.status != "SUCCEEDED" {
                    let what = format!("{}: {}", ended.error, ended.cause);
                    report_run(args.json, &started.arn, &ended.status, &what, &[])?;
                    return Ok(false);
                }
                let folder = tempfile::tempdir().context("cannot make a download folder")?;
                let location = download(&run, &ended, buckets.as_ref(), folder.path()).await?;
                let mut report = leadline_compare::compare(folder.path(), expected, options)?;
                // The download folder is gone once this returns; the run folder is not.
                report.actual = location;
                print_report(&report, args.json)?;
                Ok(report.equal)
            }
        }
    })
}

/// Uploads the survey's input to `s3://<uploads>/<survey>/` and writes `.done` last. Objects
/// already there that the input does not have would become part of the run: refused, never
/// deleted.
async fn upload(run: &AwsRun<'_>, buckets: &dyn Buckets, prefix: &Prefix) -> Result<()> {
    let uploads = buckets.bucket(run.uploads);
    let input = DirStore::new(&run.input);
    let local = input
        .list_all(&Prefix::default())
        .await
        .with_context(|| format!("cannot list {}", run.input.display()))?;
    let present = uploads
        .list_all(prefix)
        .await
        .with_context(|| format!("cannot list s3://{}/{prefix}", run.uploads))?;
    let stale: Vec<String> = present
        .objects
        .iter()
        .map(|o| o.key.as_str()[prefix.as_str().len()..].to_owned())
        .filter(|rel| rel != DONE && !local.objects.iter().any(|l| l.key.as_str() == rel))
        .collect();
    if !stale.is_empty() {
        bail!(
            "s3://{}/{prefix} holds objects that are not in {}: {}; they would be part of the run \
             (remove them, or use another uploads bucket)",
            run.uploads,
            run.input.display(),
            stale.join(", ")
        );
    }
    let report = sync(
        &input,
        &Prefix::default(),
        uploads.as_ref(),
        prefix,
        &SyncOptions::default(),
    )
    .await
    .with_context(|| format!("cannot upload {}", run.input.display()))?;
    if let Some(first) = report.failed.first() {
        bail!(
            "{} of the input's objects could not be uploaded; first {}: {}",
            report.failed.len(),
            first.key,
            first.error
        );
    }
    eprintln!(
        "uploaded {} to s3://{}/{prefix}: {} copied, {} unchanged",
        run.input.display(),
        run.uploads,
        report.copied,
        report.skipped
    );
    let done = Key::new(DONE).and_then(|k| k.under(prefix))?;
    uploads
        .put_bytes(&done, Vec::new())
        .await
        .with_context(|| format!("cannot write s3://{}/{done}", run.uploads))?;
    Ok(())
}

/// Polls DescribeExecution until the execution ends; `None` when `timeout` passes first.
async fn wait(sfn: &aws_sdk_sfn::Client, arn: &str, timeout: Duration) -> Result<Option<Ended>> {
    let started = Instant::now();
    // Short first polls for quick runs, then at most one request every 10 s.
    let mut interval = Duration::from_millis(500);
    let mut last_status = String::new();
    let mut last_report = Instant::now();
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_sfn::error::DisplayErrorContext(e)))
            .with_context(|| format!("cannot describe {arn}"))?;
        let status = described.status().as_str().to_owned();
        let elapsed = started.elapsed();
        if status != last_status || last_report.elapsed() >= Duration::from_secs(60) {
            eprintln!("{status} after {} s", elapsed.as_secs());
            last_status.clone_from(&status);
            last_report = Instant::now();
        }
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            return Ok(Some(Ended {
                status,
                error: described.error().unwrap_or_default().to_owned(),
                cause: described.cause().unwrap_or_default().to_owned(),
                output: described.output().map(str::to_owned),
            }));
        }
        if elapsed >= timeout {
            return Ok(None);
        }
        tokio::time::sleep(interval.min(timeout.saturating_sub(elapsed))).await;
        interval = (interval * 2).min(Duration::from_secs(10));
    }
}

/// Downloads the run folder the execution published (`$.publish.Payload.location`) into `to`
/// and returns that location.
async fn download(
    run: &AwsRun<'_>,
    ended: &Ended,
    buckets: &dyn Buckets,
    to: &Path,
) -> Result<String> {
    let output: Value = serde_json::from_str(ended.output.as_deref().unwrap_or("null"))
        .context("the execution's output is not JSON")?;
    let location = output
        .pointer("/publish/Payload/location")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            anyhow!("the execution's output has no publish.Payload.location: {output}")
        })?;
    let (bucket, prefix) = match Location::parse(location)? {
        Location::S3 { bucket, prefix } => (bucket, prefix),
        Location::Dir(_) => bail!("publish.Payload.location {location:?} is not an s3:// location"),
    };
    if bucket != run.products {
        bail!(
            "the run published to {location}, not to the products bucket {} (--products-bucket)",
            run.products
        );
    }
    let products = buckets.bucket(&bucket);
    let report = sync(
        products.as_ref(),
        &prefix,
        &DirStore::new(to),
        &Prefix::default(),
        &SyncOptions::default(),
    )
    .await
    .with_context(|| format!("cannot download {location}"))?;
    if let Some(first) = report.failed.first() {
        bail!(
            "{} objects of {location} could not be downloaded; first {}: {}",
            report.failed.len(),
            first.key,
            first.error
        );
    }
    if report.copied == 0 {
        bail!("{location} holds no objects");
    }
    eprintln!("downloaded {location}: {} objects", report.copied);
    Ok(location.to_owned())
}

/// The outcome of a run that is judged without products, on stdout like a report: `what` went
/// wrong (empty when the run failed as expected), and how a failure differs from the expected one.
fn report_run(
    json: bool,
    arn: &str,
    status: &str,
    what: &str,
    mismatches: &[String],
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        let equal = what.is_empty() && mismatches.is_empty();
        let report = json!({
            "execution_arn": arn, "status": status, "what": what,
            "equal": equal, "differences": mismatches,
        });
        writeln!(out, "{report}").context("cannot write the report")?;
    } else {
        let what = match what {
            "" => "failed as expected",
            what => what,
        };
        writeln!(out, "{arn}: {status}: {what}").context("cannot write the report")?;
        for mismatch in mismatches {
            writeln!(out, "  {mismatch}").context("cannot write the report")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: CompareArgs,
    }

    /// The flags' defaults are written for people (`0.1%`); they must mean the library's.
    #[test]
    fn flag_defaults_are_the_library_defaults() {
        let args = Command::parse_from(["compare", "a", "b"]).args;
        assert!(args.target == Target::Local);
        let defaults = Options::default();
        assert_eq!(args.raster_tolerance, defaults.raster_tolerance);
        assert_eq!(args.geotransform_tolerance, defaults.geotransform_tolerance);
        assert_eq!(args.area_tolerance, defaults.area_tolerance);
        assert_eq!(args.json_tolerance, defaults.json_tolerance);
    }
}
