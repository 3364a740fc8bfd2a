//! A golden survey that must fail: `expected/expected-failure.json` says how, and a run's failure
//! is checked against it instead of products.

use std::path::Path;

use serde::Deserialize;

use crate::CompareError;

/// The name of the file, inside a survey's `expected/`.
pub const EXPECTED_FAILURE: &str = "expected-failure.json";

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
    fn unknown_or_missing_fields_are_refused() {
        assert!(parse(r#"{"error": "E", "cause_contains": "x", "step": "QC", "why": 1}"#).is_err());
        assert!(parse(r#"{"error": "E", "step": "QC"}"#).is_err());
    }
}
