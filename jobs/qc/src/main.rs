//! `leadline-qc <grid> [--output <qc.json>]`: runs the IHO S-44 check, writes the report (pretty)
//! to the output file and prints it as one JSON line, which the job runner takes as metadata.
//! Under the job runner (`LEADLINE_OUTPUTS` set) the report goes to
//! `$LEADLINE_OUTPUTS/<stem>_qc.json` unless `--output` says otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LEADLINE_GIT_COMMIT"),
    ")"
);

/// Checks a bathymetric grid (BAG, or GeoTIFF with depth and optional uncertainty and density
/// bands) against the IHO S-44 Ed. 6 TVU limits and density criterion.
///
/// Exits non-zero only when the grid cannot be read; a grid without uncertainty is reported.
#[derive(Parser)]
#[command(name = "leadline-qc", version = VERSION)]
struct Args {
    /// The grid to check
    grid: PathBuf,
    /// Where to write the report [default: $LEADLINE_OUTPUTS/<stem>_qc.json when that variable
    /// is set, else only print it]
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// The report's file: `--output`, else `<stem>_qc.json` in the job's outputs folder.
fn output_path(args: &Args) -> Option<PathBuf> {
    args.output.clone().or_else(|| {
        let outputs = std::env::var_os("LEADLINE_OUTPUTS")?;
        let stem = args.grid.file_stem()?.to_string_lossy().into_owned();
        Some(PathBuf::from(outputs).join(format!("{stem}_qc.json")))
    })
}

fn run(args: Args) -> anyhow::Result<()> {
    let report = leadline_qc::check(&args.grid)?;
    if let Some(output) = &output_path(&args) {
        let pretty = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(output, pretty)
            .with_context(|| format!("cannot write {}", output.display()))?;
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
