//! `leadline cid`: CIDs of files and folders, one `CID  path` line per file (like `sha256sum`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use leadline_core::cids::{cid_of_reader, CidError};
use rayon::prelude::*;

use crate::progress;

#[derive(Args)]
pub struct CidArgs {
    /// Files or folders; folders are walked recursively in name order
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print one JSON array of {"path", "cid", "size"} instead of lines
    #[arg(long)]
    json: bool,
}

struct Hashed {
    path: PathBuf,
    outcome: Result<(String, u64), CidError>,
}

pub fn run(args: CidArgs) -> Result<ExitCode> {
    let files = collect_files(&args.paths)?;
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    let bar = progress::bytes_bar(total, "hashing");
    // Files are hashed in parallel (one per core); each file streams in constant memory.
    let hashed: Vec<Hashed> = files
        .into_par_iter()
        .map(|(path, _)| {
            let outcome = hash_file(&path, &bar);
            Hashed { path, outcome }
        })
        .collect();
    bar.finish_and_clear();

    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut json = Vec::new();
    for Hashed { path, outcome } in hashed {
        match outcome {
            Ok((cid, size)) if args.json => json.push(serde_json::json!({
                "path": path.display().to_string(), "cid": cid, "size": size,
            })),
            Ok((cid, _)) => writeln!(out, "{cid}  {}", path.display())?,
            Err(error) => {
                failed = true;
                eprintln!("error: {error}");
            }
        }
    }
    if args.json {
        serde_json::to_writer(&mut out, &json)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn hash_file(path: &Path, bar: &indicatif::ProgressBar) -> Result<(String, u64), CidError> {
    let read_error = |source| CidError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let (cid, size) = cid_of_reader(bar.wrap_read(file)).map_err(read_error)?;
    Ok((cid.to_string(), size))
}

/// Expands folders into their files (not following symlinked folders, so loops cannot occur).
fn collect_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, u64)>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_dir() {
            files.push((path.clone(), meta.len()));
            continue;
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let entry = entry.with_context(|| format!("cannot walk {}", path.display()))?;
            // `metadata` follows symlinks: a link to a folder is skipped, a link to a file hashed.
            match std::fs::metadata(entry.path()) {
                Ok(meta) if meta.is_dir() => continue,
                Ok(meta) => files.push((entry.into_path(), meta.len())),
                Err(_) => files.push((entry.into_path(), 0)),
            }
        }
    }
    Ok(files)
}
