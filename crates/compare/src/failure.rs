//! What a golden survey's `expected/` asks for: products, or (with `expected-failure.json`) a
//! failure, which a run's failure is checked against instead of products.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::CompareError;

/// The name of the file, inside a survey's `expected/`.
pub const EXPECTED_FAILURE: &str = "expected-failure.json";

/// What a golden survey must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Products like the ones in this folder.
    Products(PathBuf),
    Failure(ExpectedFailure),
}

impl Expectation {
    /// Reads a golden survey's `expected/` folder. A missing one is an error that says how to
    /// make it.
    pub fn of(expected: &Path) -> Result<Self, CompareError> {
        if !expected.is_dir() {
            let survey = std::path::absolute(expected)
                .ok()
                .and_then(|path| path.parent()?.file_name().map(|n| n.to_owned()))
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "<survey>".into());
            return Err(CompareError::NoExpected {
                path: expected.display().to_string(),
                survey,
            });
        }
        let failure = expected.join(EXPECTED_FAILURE);
        match failure.is_file() {
            true => ExpectedFailure::load(&failure).map(Self::Failure),
            false => Ok(Self::Products(expected.to_path_buf())),
        }
    }
}

/// `{"error": "Job.ExitCode.1", "cause_contains": "fake_00.bag", "step": "QC"}`. `step` may list
/// several states when any of them can be the first to fail (the jobs of one grid run in
/// `Parallel`, so which broken job reports first is a race).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    pub error: String,
    pub cause_contains: String,
    pub step: Steps,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Steps {
    One(String),
    AnyOf(Vec<String>),
}

impl Steps {
    fn allows(&self, step: &str) -> bool {
        match self {
            Self::One(one) => one == step,
            Self::AnyOf(any) => any.iter().any(|s| s == step),
        }
    }
}

impl std::fmt::Display for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::One(one) => write!(f, "{one:?}"),
            Self::AnyOf(any) => write!(f, "one of {any:?}"),
        }
    }
}

/// How a run failed, as far as it is known: `step` is `None` where the failing state cannot be
/// told (a deployed execution's description names only error and cause).
#[derive(Debug, Clone, Copy)]
pub struct Failure<'a> {
    pub error: &'a str,
    pub cause: &'a str,
    pub step: Option<&'a str>,
}

impl ExpectedFailure {
    pub fn load(path: &Path) -> Result<Self, CompareError> {
        let bytes = std::fs::read(path).map_err(|source| CompareError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|error| CompareError::ExpectedFailure {
            path: path.display().to_string(),
            message: error.to_string(),
        })
    }

    /// What differs between this expectation and `failure`; empty when it failed as expected.
    pub fn mismatches(&self, failure: Failure<'_>) -> Vec<String> {
        let mut found = Vec::new();
        if failure.error != self.error {
            found.push(format!(
                "error: expected {:?}, got {:?}",
                self.error, failure.error
            ));
        }
        if !failure.cause.contains(&self.cause_contains) {
            found.push(format!(
                "cause: expected it to contain {:?}, got {:?}",
                self.cause_contains, failure.cause
            ));
        }
        if let Some(step) = failure.step {
            if !self.step.allows(step) {
                found.push(format!("step: expected {}, got {step:?}", self.step));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ExpectedFailure, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn a_failure_is_checked_by_error_cause_and_step() {
        let expected =
            parse(r#"{"error": "E", "cause_contains": "a.bag", "step": ["QC", "COG"]}"#).unwrap();
        let failure = |error, cause, step| Failure { error, cause, step };
        assert!(expected
            .mismatches(failure("E", "cannot read a.bag", Some("COG")))
            .is_empty());
        assert!(expected
            .mismatches(failure("E", "cannot read a.bag", None))
            .is_empty());
        let found = expected.mismatches(failure("F", "cannot read b.bag", Some("Plan")));
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[2].contains(r#"one of ["QC", "COG"]"#), "{found:?}");
        let one = parse(r#"{"error": "E", "cause_contains": "", "step": "QC"}"#).unwrap();
        assert_eq!(one.mismatches(failure("E", "", Some("COG"))).len(), 1);
    }

    #[test]
    fn expected_folders_ask_for_products_or_a_failure_and_a_missing_one_says_how_to_make_it() {
        let golden = tempfile::tempdir().unwrap();
        let expected = golden.path().join("NEW01/expected");
        let error = Expectation::of(&expected).unwrap_err().to_string();
        assert!(
            error.contains("scripts/regenerate-golden NEW01") && error.contains(EXPECTED_FAILURE),
            "{error}"
        );
        std::fs::create_dir_all(&expected).unwrap();
        assert_eq!(
            Expectation::of(&expected).unwrap(),
            Expectation::Products(expected.clone())
        );
        std::fs::write(expected.join(EXPECTED_FAILURE), "[]").unwrap();
        let error = Expectation::of(&expected).unwrap_err().to_string();
        assert!(error.contains("is not an expected failure"), "{error}");
    }

    #[test]
    fn unknown_or_missing_fields_are_refused() {
        assert!(parse(r#"{"error": "E", "cause_contains": "x", "step": "QC", "why": 1}"#).is_err());
        assert!(parse(r#"{"error": "E", "step": "QC"}"#).is_err());
    }
}
