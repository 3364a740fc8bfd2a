//! `leadline compare`: products against expected products, by file type (`leadline-compare`).
//! Exit status 0 when equal, 1 on any difference, 2 on bad input, so CI can tell a regression
//! from a broken invocation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use leadline_compare::{Exclude, Ignore, Options, DEFAULT_IGNORED_KEYS};

const DIFFERENT: u8 = 1;
const BAD_INPUT: u8 = 2;

#[derive(Args)]
pub struct CompareArgs {
    /// The products to check: a folder (walked recursively) or one file
    actual: PathBuf,
    /// The expected products: a folder, or one file when ACTUAL is a file
    expected: PathBuf,
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

/// Whether the trees are equal; an error is bad input.
fn compare(args: &CompareArgs) -> Result<bool> {
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
    let options = Options {
        raster_tolerance: args.raster_tolerance,
        geotransform_tolerance: args.geotransform_tolerance,
        area_tolerance: args.area_tolerance,
        json_tolerance: args.json_tolerance,
        ignore,
        exclude,
    };
    let report = leadline_compare::compare(&args.actual, &args.expected, &options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report).context("cannot write the report")?;
        writeln!(out).context("cannot write the report")?;
    } else {
        write!(out, "{report}").context("cannot write the report")?;
    }
    Ok(report.equal)
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
        let defaults = Options::default();
        assert_eq!(args.raster_tolerance, defaults.raster_tolerance);
        assert_eq!(args.geotransform_tolerance, defaults.geotransform_tolerance);
        assert_eq!(args.area_tolerance, defaults.area_tolerance);
        assert_eq!(args.json_tolerance, defaults.json_tolerance);
    }
}
