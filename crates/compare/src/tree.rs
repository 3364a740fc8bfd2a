//! Pairing: two folders walked by relative path (or two files), each pair sent to the comparison
//! of its type once the CIDs differ.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use leadline_core::cids::cid_of_file;

use crate::report::{Difference, Kind, Report};
use crate::{json, manifest, raster, vector, CompareError, Options, Side};

/// Differences listed per file before the rest are summed up in one `More` entry: a shifted
/// array or a broken raster must not bury the other files' differences.
const MAX_PER_FILE: usize = 50;

const RASTER_EXTENSIONS: &[&str] = &["tif", "tiff", "bag"];
const VECTOR_EXTENSIONS: &[&str] = &["geojson", "gpkg", "shp", "fgb", "gml", "kml"];

/// One file on both sides.
pub(crate) struct Pair<'a> {
    /// Relative path, `/`-separated: how the report names the file.
    pub rel: &'a str,
    pub actual: &'a Path,
    pub expected: &'a Path,
}

impl Pair<'_> {
    pub(crate) fn path(&self, side: Side) -> &Path {
        match side {
            Side::Actual => self.actual,
            Side::Expected => self.expected,
        }
    }

    /// "`side` cannot be read as `what`": the file is broken on that side only.
    pub(crate) fn unreadable(
        &self,
        side: Side,
        what: &str,
        message: impl std::fmt::Display,
    ) -> Difference {
        Difference::new(
            self.rel,
            Kind::Unreadable,
            format!(
                "the {side} file cannot be read as {what} ({}): {message}",
                self.path(side).display()
            ),
        )
    }
}

/// What every file comparison may consult.
pub(crate) struct Context<'a> {
    pub options: &'a Options,
    /// Relative paths present on both sides.
    pub common: &'a BTreeSet<String>,
}

impl Context<'_> {
    /// Whether entry `name` of the manifest at `manifest` (in its map `map`, if the manifest is a
    /// JSON document with several) names a file compared on its own. Publish lays a run out as
    /// `outputs.cbor` + `outputs/<name>` and `manifest.cbor` + `<part>.cbor`/`<part>.json`, so
    /// the candidates are `<dir>/<stem>/<name>`, `<dir>/<map>/<name>`, `<dir>/<name>` and
    /// `<dir>/<name>.<ext>`.
    pub(crate) fn covers(&self, manifest: &str, map: Option<&str>, name: &str) -> bool {
        let (dir, file) = match manifest.rfind('/') {
            Some(i) => manifest.split_at(i + 1),
            None => ("", manifest),
        };
        let stem = file.split_once('.').map_or(file, |(stem, _)| stem);
        let mut candidates = vec![format!("{dir}{stem}/{name}"), format!("{dir}{name}")];
        if let Some(map) = map {
            candidates.push(format!("{dir}{map}/{name}"));
        }
        let present = |path: &String| path != manifest && self.common.contains(path);
        if candidates.iter().any(present) {
            return true;
        }
        let prefix = format!("{dir}{name}.");
        self.common
            .range(prefix.clone()..)
            .take_while(|path| path.starts_with(&prefix))
            .any(|path| path != manifest && !path[prefix.len()..].contains('/'))
    }
}

/// Compares `actual` with `expected`: two folders, or two files.
pub fn compare(actual: &Path, expected: &Path, options: &Options) -> Result<Report, CompareError> {
    raster::configure_gdal()?;
    let actual_is_dir = is_dir(actual, Side::Actual)?;
    let expected_is_dir = is_dir(expected, Side::Expected)?;
    let mut excluded = 0;
    let (actual_files, expected_files) = match (actual_is_dir, expected_is_dir) {
        (true, true) => {
            let mut keep = |mut files: BTreeMap<String, PathBuf>| {
                let before = files.len();
                files.retain(|rel, _| !options.exclude.excludes(rel));
                excluded += (before - files.len()) as u64;
                files
            };
            (keep(files(actual)?), keep(files(expected)?))
        }
        (false, false) => {
            // Two files are paired under the expected file's name.
            let name = expected
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| expected.display().to_string());
            (
                BTreeMap::from([(name.clone(), actual.to_path_buf())]),
                BTreeMap::from([(name, expected.to_path_buf())]),
            )
        }
        _ => {
            return Err(CompareError::FolderWithFile {
                actual: actual.display().to_string(),
                expected: expected.display().to_string(),
            })
        }
    };

    let common: BTreeSet<String> = expected_files
        .keys()
        .filter(|rel| actual_files.contains_key(*rel))
        .cloned()
        .collect();
    let context = Context {
        options,
        common: &common,
    };
    let mut differences = Vec::new();
    let all: BTreeSet<&String> = expected_files.keys().chain(actual_files.keys()).collect();
    for rel in all {
        match (actual_files.get(rel), expected_files.get(rel)) {
            (Some(actual), Some(expected)) => {
                let pair = Pair {
                    rel,
                    actual,
                    expected,
                };
                let mut found = compare_file(&context, &pair)?;
                if found.len() > MAX_PER_FILE {
                    let rest = found.len() - MAX_PER_FILE;
                    found.truncate(MAX_PER_FILE);
                    found.push(Difference::new(
                        rel,
                        Kind::More,
                        format!("{rest} more differences in this file not shown"),
                    ));
                }
                differences.extend(found);
            }
            (None, Some(expected)) => differences.push(Difference::new(
                rel,
                Kind::Missing,
                format!("missing: expected {}", expected.display()),
            )),
            (Some(actual), None) => differences.push(Difference::new(
                rel,
                Kind::Extra,
                format!("not expected: {}", actual.display()),
            )),
            (None, None) => {}
        }
    }
    Ok(Report {
        actual: actual.display().to_string(),
        expected: expected.display().to_string(),
        compared: common.len() as u64,
        excluded,
        equal: differences.is_empty(),
        differences,
    })
}

fn is_dir(path: &Path, side: Side) -> Result<bool, CompareError> {
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(metadata.is_dir()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(CompareError::Missing {
            side,
            path: path.display().to_string(),
        }),
        Err(source) => Err(CompareError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Every regular file under `root` (links followed), by `/`-separated relative path.
fn files(root: &Path) -> Result<BTreeMap<String, PathBuf>, CompareError> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = entry.map_err(|error| CompareError::Walk {
            path: error.path().unwrap_or(root).display().to_string(),
            message: error.to_string(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        // Entries come from walking `root`, so the prefix is always there.
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.insert(rel, entry.into_path());
    }
    Ok(files)
}

fn extension(rel: &str) -> String {
    Path::new(rel)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn compare_file(context: &Context<'_>, pair: &Pair<'_>) -> Result<Vec<Difference>, CompareError> {
    let (actual_cid, _) = cid_of_file(pair.actual)?;
    let (expected_cid, _) = cid_of_file(pair.expected)?;
    if actual_cid == expected_cid {
        return Ok(Vec::new());
    }
    let by_cid = || {
        vec![
            Difference::new(pair.rel, Kind::Bytes, "content differs (compared by CID)")
                .values(expected_cid.to_string(), actual_cid.to_string()),
        ]
    };
    let extension = extension(pair.rel);
    let differences = match extension.as_str() {
        "cbor" => manifest::compare_cbor(context, pair)?.unwrap_or_else(by_cid),
        "json" => json::compare(context, pair)?,
        e if RASTER_EXTENSIONS.contains(&e) => raster::compare(context.options, pair),
        e if VECTOR_EXTENSIONS.contains(&e) => vector::compare(context.options, pair),
        _ if raster::opens(pair.expected) => raster::compare(context.options, pair),
        _ => by_cid(),
    };
    Ok(differences)
}
