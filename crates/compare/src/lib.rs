//! Compares a run's products with expected ones, file by file and by file type. This crate owns
//! the rules of "equal enough" for the golden-dataset tests (issue #8):
//!
//! - two folders are walked and paired by relative path; a missing or extra file is a difference;
//! - files with the same CID are equal, whatever their type;
//! - rasters (`.tif .tiff .bag`, and any other file GDAL opens as a raster) must agree in size,
//!   band count, CRS (OSR `IsSame`), geotransform, band data types and nodata values, nodata
//!   masks cell for cell, and values within [`Options::raster_tolerance`], read block-row by
//!   block-row so memory does not grow with the grid;
//! - vectors (`.geojson .gpkg .shp .fgb .gml .kml`) must have the same layers, CRS, feature
//!   counts and total area within [`Options::area_tolerance`];
//! - JSON is compared structurally, numbers within [`Options::json_tolerance`], skipping the keys
//!   and pointers of [`Ignore`] (by default [`DEFAULT_IGNORED_KEYS`]: what legitimately varies
//!   between runs);
//! - manifests (DAG-CBOR `.cbor`, and JSON objects mapping names to CIDs) are compared entry by
//!   entry by CID. An entry whose file is compared in the same run (publish's layout: `outputs.cbor`
//!   lists `outputs/…`, `manifest.cbor` lists `inventory.cbor`, `outputs.cbor`, `provenance.json`)
//!   is judged by that file's own comparison, so a product equal within tolerance does not fail its
//!   manifest a second time;
//! - any other file is compared by CID;
//! - files matched by [`Options::exclude`] (globs over relative paths) are left out on both sides.
//!
//! Differences are data ([`Report`]), never errors: only bad input (a missing root, a file paired
//! with a folder, an unreadable tree) is a [`CompareError`].

mod exclude;
mod failure;
mod json;
mod manifest;
mod raster;
mod report;
mod tree;
mod vector;

use std::collections::BTreeSet;

pub use exclude::Exclude;
pub use failure::{Expectation, ExpectedFailure, Failure, Steps, EXPECTED_FAILURE};
pub use report::{Difference, Kind, Report};
pub use tree::compare;

/// Keys ignored anywhere in a JSON document unless the caller clears them: timestamps, execution
/// names and ARNs, state-machine versions and aliases, run locations, durations, and the commit of
/// the code that published the run. Each of these changes from run to run while the products stay
/// the same.
pub const DEFAULT_IGNORED_KEYS: &[&str] = &[
    // Timestamps.
    "timestamp",
    "created",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "startDate",
    "stopDate",
    "redriveDate",
    // Executions: their names, ARNs, and the machine version that ran them.
    "execution",
    "execution_arn",
    "executionArn",
    "execution_name",
    "state_machine_version",
    "state_machine_alias",
    "publisher_commit",
    // Where a run stored something: the run's folder is named after its execution.
    "location",
    // Durations.
    "duration",
    "duration_ms",
    "duration_seconds",
    "elapsed",
    "elapsed_ms",
];

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{side} path {path} does not exist")]
    Missing { side: Side, path: String },
    #[error("cannot compare {actual} with {expected}: one is a folder and the other is not")]
    FolderWithFile { actual: String, expected: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Read(#[from] leadline_core::cids::CidError),
    #[error("cannot walk {path}: {message}")]
    Walk { path: String, message: String },
    #[error("invalid ignore entry {entry:?}: {reason}")]
    Ignore { entry: String, reason: String },
    #[error("{path} is not an expected failure ({{\"error\", \"cause_contains\", \"step\"}}): {message}")]
    ExpectedFailure { path: String, message: String },
    #[error(
        "{path} does not exist: create it on a clean git tree with `scripts/regenerate-golden \
         {survey}`, review the products it writes and commit them (for a survey that must fail, \
         write expected/expected-failure.json by hand: {{\"error\", \"cause_contains\", \"step\"}})"
    )]
    NoExpected { path: String, survey: String },
    #[error("invalid exclude glob {glob:?}: {reason}")]
    Exclude { glob: String, reason: String },
    #[error("invalid tolerance {text:?}: {reason}")]
    Tolerance { text: String, reason: String },
    #[error("cannot configure GDAL: {0}")]
    Gdal(String),
}

/// Which of the two trees a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Actual,
    Expected,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Actual => "actual",
            Side::Expected => "expected",
        })
    }
}

/// What JSON comparison skips: key names anywhere in a document, and JSON pointers (RFC 6901)
/// with everything below them. Key names also match manifest entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    keys: BTreeSet<String>,
    pointers: BTreeSet<String>,
}

impl Default for Ignore {
    fn default() -> Self {
        Self {
            keys: DEFAULT_IGNORED_KEYS.iter().map(|k| k.to_string()).collect(),
            pointers: BTreeSet::new(),
        }
    }
}

impl Ignore {
    /// Nothing ignored.
    pub fn none() -> Self {
        Self {
            keys: BTreeSet::new(),
            pointers: BTreeSet::new(),
        }
    }

    /// Adds a key name, or a JSON pointer when `entry` starts with `/`.
    pub fn add(&mut self, entry: &str) -> Result<(), CompareError> {
        let invalid = |reason: &str| CompareError::Ignore {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        if entry.is_empty() {
            return Err(invalid("it is empty; give a key name or a JSON pointer"));
        }
        if entry.starts_with('/') {
            if entry.split('/').skip(1).any(bad_pointer_segment) {
                return Err(invalid(
                    "a JSON pointer escapes `~` only as `~0` (for `~`) or `~1` (for `/`)",
                ));
            }
            self.pointers.insert(entry.to_owned());
        } else {
            self.keys.insert(entry.to_owned());
        }
        Ok(())
    }

    /// Whether the value at `pointer`, reached by `key`, is skipped.
    fn skips(&self, pointer: &str, key: Option<&str>) -> bool {
        key.is_some_and(|k| self.keys.contains(k))
            || self.pointers.iter().any(|p| {
                pointer == p
                    || pointer
                        .strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

fn bad_pointer_segment(segment: &str) -> bool {
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return true;
        }
    }
    false
}

/// The tolerances of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Largest absolute difference between two valid raster cells, in the band's units.
    pub raster_tolerance: f64,
    /// Largest difference of a geotransform coefficient, as a fraction of the expected cell size
    /// (so the same value works for metres and degrees).
    pub geotransform_tolerance: f64,
    /// Largest relative difference of a vector layer's total area (0.001 = 0.1 %).
    pub area_tolerance: f64,
    /// JSON numbers `a` (actual) and `e` (expected) are equal when
    /// `|a − e| ≤ json_tolerance × max(1, |e|)`: absolute near zero, relative for large values.
    pub json_tolerance: f64,
    pub ignore: Ignore,
    /// Files left out on both sides when two folders are compared.
    pub exclude: Exclude,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            raster_tolerance: 1e-3,
            geotransform_tolerance: 1e-6,
            area_tolerance: 1e-3,
            json_tolerance: 1e-9,
            ignore: Ignore::default(),
            exclude: Exclude::none(),
        }
    }
}

/// Parses a tolerance: a non-negative number (`1e-3`) or a percentage (`0.1%` = 0.001).
pub fn parse_tolerance(text: &str) -> Result<f64, CompareError> {
    let invalid = |reason: &str| CompareError::Tolerance {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim_end(), 0.01),
        None => (trimmed, 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| invalid("expected a number such as 1e-3 or a percentage such as 0.1%"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("a tolerance must be finite and not negative"));
    }
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_are_numbers_or_percentages() {
        assert_eq!(parse_tolerance("1e-3").unwrap(), 1e-3);
        assert!((parse_tolerance("0.1%").unwrap() - 1e-3).abs() < 1e-15);
        assert_eq!(parse_tolerance(" 0 ").unwrap(), 0.0);
        for bad in ["", "-1", "abc", "inf", "NaN", "%"] {
            let error = parse_tolerance(bad).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[test]
    fn pointers_skip_their_subtree_and_keys_match_anywhere() {
        let mut ignore = Ignore::none();
        ignore.add("/a/b").unwrap();
        ignore.add("elapsed").unwrap();
        assert!(ignore.skips("/a/b", Some("b")));
        assert!(ignore.skips("/a/b/0", None));
        assert!(!ignore.skips("/a/bc", Some("bc")));
        assert!(!ignore.skips("/a", Some("a")));
        assert!(ignore.skips("/x/3/elapsed", Some("elapsed")));
    }

    #[test]
    fn bad_ignore_entries_are_named() {
        let mut ignore = Ignore::none();
        for bad in ["", "/a~2b", "/trailing~"] {
            let error = ignore.add(bad).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
        ignore.add("/a~0b/c~1d").unwrap();
    }

    #[test]
    fn defaults_ignore_what_varies_between_runs() {
        let ignore = Ignore::default();
        for key in [
            "execution",
            "timestamp",
            "duration",
            "state_machine_version",
        ] {
            assert!(ignore.skips(&format!("/{key}"), Some(key)), "{key}");
        }
        assert!(!ignore.skips("/area_km2", Some("area_km2")));
    }
}
