//! The twin's control plane: the Step Functions operations as one trait, so the HTTP layer
//! (AWS JSON 1.0, the run API, the web page) is plain handlers over typed calls and the
//! [`crate::twin::Twin`] behind it is testable without HTTP.
//!
//! Errors carry Step Functions' error codes ([`ControlError::code`]), which the HTTP layer
//! returns as `__type` so the AWS CLI and SDKs raise their usual exceptions.

use async_trait::async_trait;
use leadline_asl::history::HistoryEvent;
pub use leadline_lambdas::executions::Status;
use serde::Serialize;

/// Seconds since the Unix epoch with milliseconds: the wire format of the API's dates.
pub type EpochSeconds = f64;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineInfo {
    pub arn: String,
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    pub created: EpochSeconds,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionInfo {
    pub arn: String,
    pub name: String,
    pub machine_arn: String,
    pub status: Status,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub started: EpochSeconds,
    pub stopped: Option<EpochSeconds>,
    pub redrive_count: u32,
    pub redrived: Option<EpochSeconds>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityInfo {
    pub arn: String,
    pub name: String,
    pub created: EpochSeconds,
}

/// A task handed to an activity worker by `GetActivityTask`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityTask {
    pub token: String,
    /// The task's input, JSON text.
    pub input: String,
}

/// The log of one job a step ran (a Map runs a step once per item).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLog {
    pub state: String,
    /// Which run of the state this was, e.g. `QC #2` for the third Map item.
    pub label: String,
    /// What the job wrote to stderr (its log), bounded.
    pub text: String,
    /// The job's result: `leadline-runner`'s task result (outputs with CIDs, `cached`) or
    /// the worker's, or `{"Error", "Cause"}` when it failed.
    pub result: Option<serde_json::Value>,
    /// When the job's process (or the worker's command) started and ended.
    pub started: EpochSeconds,
    pub stopped: EpochSeconds,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    ExecutionDoesNotExist(String),
    #[error("{0}")]
    StateMachineDoesNotExist(String),
    #[error("{0}")]
    ActivityDoesNotExist(String),
    #[error("{0}")]
    ExecutionAlreadyExists(String),
    #[error("{0}")]
    StateMachineAlreadyExists(String),
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    #[error("{0}")]
    InvalidOutput(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    TaskDoesNotExist(String),
    #[error("{0}")]
    TaskTimedOut(String),
    /// The twin itself failed (its database, its state folder).
    #[error("{0}")]
    Internal(String),
}

impl ControlError {
    /// The Step Functions error code (`__type` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            Self::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Self::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Self::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            Self::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Self::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            Self::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            Self::InvalidArn(_) => "InvalidArn",
            Self::InvalidName(_) => "InvalidName",
            Self::InvalidDefinition(_) => "InvalidDefinition",
            Self::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Self::InvalidOutput(_) => "InvalidOutput",
            Self::InvalidToken(_) => "InvalidToken",
            Self::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Self::TaskTimedOut(_) => "TaskTimedOut",
            Self::Internal(_) => "InternalError",
        }
    }

    /// Whether the caller is at fault (HTTP 400) rather than the twin (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Internal(_))
    }
}

pub type ControlResult<T> = Result<T, ControlError>;

/// The Step Functions operations the twin serves. Listings are newest first.
#[async_trait]
pub trait ControlPlane: Send + Sync {
    /// Creates a machine; the same name with the same definition and role returns the
    /// existing one (AWS's idempotent create), a different one fails.
    async fn create_state_machine(
        &self,
        name: &str,
        definition: &str,
        role_arn: &str,
    ) -> ControlResult<MachineInfo>;
    async fn describe_state_machine(&self, arn: &str) -> ControlResult<MachineInfo>;
    async fn list_state_machines(&self) -> ControlResult<Vec<MachineInfo>>;
    async fn delete_state_machine(&self, arn: &str) -> ControlResult<()>;

    /// Starts an execution (a generated name when `name` is `None`). A running execution of
    /// the same name and input is returned as is; otherwise a taken name fails.
    async fn start_execution(
        &self,
        machine_arn: &str,
        name: Option<&str>,
        input: &str,
    ) -> ControlResult<ExecutionInfo>;
    async fn describe_execution(&self, arn: &str) -> ControlResult<ExecutionInfo>;
    async fn list_executions(
        &self,
        machine_arn: &str,
        status: Option<Status>,
    ) -> ControlResult<Vec<ExecutionInfo>>;
    /// Every event, oldest first.
    async fn execution_history(&self, arn: &str) -> ControlResult<Vec<HistoryEvent>>;
    /// The logs of the jobs the execution ran, in the order they started.
    async fn step_logs(&self, arn: &str) -> ControlResult<Vec<StepLog>>;
    async fn stop_execution(
        &self,
        arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> ControlResult<EpochSeconds>;
    async fn redrive_execution(&self, arn: &str) -> ControlResult<EpochSeconds>;

    async fn send_task_success(&self, token: &str, output: &str) -> ControlResult<()>;
    async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> ControlResult<()>;
    async fn send_task_heartbeat(&self, token: &str) -> ControlResult<()>;

    async fn create_activity(&self, name: &str) -> ControlResult<ActivityInfo>;
    async fn list_activities(&self) -> ControlResult<Vec<ActivityInfo>>;
    /// Waits up to 60 s for a task of the activity (AWS's long poll); `None` when none came.
    async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
    ) -> ControlResult<Option<ActivityTask>>;
}
