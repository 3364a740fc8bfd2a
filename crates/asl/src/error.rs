//! Errors: runtime errors carry AWS's error names (what `Retry`/`Catch` match on) and
//! cause texts; definition problems are [`Diagnostic`]s.

use std::fmt;

/// The error names the States Language reserves (`States.` prefix).
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const RUNTIME: &str = "States.Runtime";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const PERMISSIONS: &str = "States.Permissions";
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    pub const ABORTED: &str = "States.Aborted";
}

/// A failure while running a state machine, as AWS reports it: an error name and a cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct StatesError {
    pub error: String,
    pub cause: String,
    /// Set while an `EvaluationFailed` event is still owed for this error: AWS records one
    /// for a failing JSONata evaluation, in the state where it failed, before Retry/Catch.
    evaluation: Option<Evaluation>,
}

/// Where a JSONata evaluation failed: the state's field (`Output`, `Arguments`, `Assign`,
/// `Condition`, ...), when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub location: Option<String>,
}

impl StatesError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
            evaluation: None,
        }
    }

    /// A `States.QueryEvaluationError` that owes an `EvaluationFailed` event.
    pub fn query_evaluation(cause: impl Into<String>, location: Option<String>) -> Self {
        Self {
            evaluation: Some(Evaluation { location }),
            ..Self::new(names::QUERY_EVALUATION_ERROR, cause)
        }
    }

    /// The pending evaluation failure, handed over once: whoever records the
    /// `EvaluationFailed` event takes it, so outer states do not record it again.
    pub fn take_evaluation(&mut self) -> Option<Evaluation> {
        self.evaluation.take()
    }

    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// `States.ALL` never matches these: AWS treats them as terminal for the execution.
    pub fn is_terminal(&self) -> bool {
        self.error == names::RUNTIME || self.error == names::DATA_LIMIT_EXCEEDED
    }

    /// Whether a `Retry`/`Catch` `ErrorEquals` list matches this error.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        // States.Runtime is never caught, not even when named explicitly (AWS error-handling guide).
        if self.error == names::RUNTIME {
            return false;
        }
        let timeout = self.error == names::TIMEOUT || self.error == names::HEARTBEAT_TIMEOUT;
        error_equals.iter().any(|name| {
            name == &self.error
                || (name == names::ALL && !self.is_terminal())
                // ASL spec: in Retry/Catch, States.TaskFailed matches any error but a timeout.
                || (name == names::TASK_FAILED && !timeout && !self.is_terminal())
                // The guide defines States.Timeout as covering missed heartbeats too.
                || (name == names::TIMEOUT && self.error == names::HEARTBEAT_TIMEOUT)
        })
    }

    /// The JSON a `Catch` hands on (`{"Error", "Cause"}`).
    /// The guide's catch example shows `{"Error": ...}` alone when there is no cause.
    pub fn to_error_output(&self) -> serde_json::Value {
        if self.cause.is_empty() {
            serde_json::json!({ "Error": self.error })
        } else {
            serde_json::json!({ "Error": self.error, "Cause": self.cause })
        }
    }
}

/// What kind of definition problem a [`Diagnostic`] reports; named as AWS's
/// `ValidateStateMachineDefinition` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagnosticCode {
    InvalidJson,
    SchemaValidationFailed,
    MissingTransitionTarget,
    UnreachableState,
    InvalidResource,
    InvalidJsonataExpression,
    UnsupportedJsonataExpression,
}

impl DiagnosticCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "INVALID_JSON_DESCRIPTION",
            Self::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            Self::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            Self::UnreachableState => "UNREACHABLE_STATE",
            Self::InvalidResource => "INVALID_RESOURCE",
            Self::InvalidJsonataExpression => "INVALID_JSONATA_EXPRESSION",
            Self::UnsupportedJsonataExpression => "UNSUPPORTED_JSONATA_EXPRESSION",
        }
    }
}

/// One problem in a definition, located by a JSON pointer (RFC 6901) into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub message: String,
    pub pointer: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} at {}",
            self.code.as_str(),
            self.message,
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            }
        )
    }
}

/// A definition that failed validation: every problem found, not just the first.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid state machine definition ({} problem(s)): {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
pub struct InvalidDefinition(pub Vec<Diagnostic>);
