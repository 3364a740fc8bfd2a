//! The outcome of a comparison: every difference, for people (`Display`) and machines (serde).

use std::fmt;

use serde::Serialize;

/// What kind of difference was found; serialised in snake_case for `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// In the expected tree, not in the actual one.
    Missing,
    /// In the actual tree, not in the expected one.
    Extra,
    /// One side cannot be read as its type (the other can).
    Unreadable,
    /// Compared by CID and the CIDs differ.
    Bytes,
    Size,
    BandCount,
    Crs,
    GeoTransform,
    DataType,
    Nodata,
    Mask,
    Values,
    Layers,
    FeatureCount,
    Area,
    Json,
    ManifestEntry,
    /// The rest of a file's differences, left out to keep the report readable.
    More,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The file's path relative to the compared folders (its name when two files are compared).
    pub path: String,
    pub kind: Kind,
    /// What differs, for people: which band, key or entry, and how much.
    pub what: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl Difference {
    pub(crate) fn new(path: &str, kind: Kind, what: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            kind,
            what: what.into(),
            expected: None,
            actual: None,
        }
    }

    pub(crate) fn values(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub actual: String,
    pub expected: String,
    /// Files present on both sides and compared.
    pub compared: u64,
    /// Files left out by [`crate::Options::exclude`], counted on both sides.
    pub excluded: u64,
    pub equal: bool,
    pub differences: Vec<Difference>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for difference in &self.differences {
            writeln!(f, "{}: {}", difference.path, difference.what)?;
            if let Some(expected) = &difference.expected {
                writeln!(f, "    expected: {expected}")?;
            }
            if let Some(actual) = &difference.actual {
                writeln!(f, "    actual:   {actual}")?;
            }
        }
        let files = if self.compared == 1 { "file" } else { "files" };
        let excluded = match self.excluded {
            0 => String::new(),
            n => format!(", {n} excluded"),
        };
        if self.equal {
            writeln!(
                f,
                "equal: {} {files} compared{excluded} ({} against {})",
                self.compared, self.actual, self.expected
            )
        } else {
            let noun = if self.differences.len() == 1 {
                "difference"
            } else {
                "differences"
            };
            writeln!(
                f,
                "{} {noun}, {} {files} compared{excluded} ({} against {})",
                self.differences.len(),
                self.compared,
                self.actual,
                self.expected
            )
        }
    }
}
