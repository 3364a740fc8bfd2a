//! The Step Functions operations the trigger, the api and publish need, as a trait: the Lambdas
//! use [`SfnExecutions`] (the AWS SDK), the local twin implements it over its own engine.

use async_trait::async_trait;
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    PendingRedrive,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::TimedOut,
        Status::Aborted,
        Status::PendingRedrive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
            Self::PendingRedrive => "PENDING_REDRIVE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// One execution in a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub arn: String,
    pub name: String,
    pub status: Status,
    /// RFC 3339.
    pub started: String,
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Page {
    pub executions: Vec<Summary>,
    pub next: Option<String>,
}

/// One execution, described.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    #[serde(flatten)]
    pub summary: Summary,
    pub input: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

/// A history event, reduced to what progress and provenance read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    /// The event this one follows in its branch (`previousEventId`): Parallel branches and Map
    /// items interleave in the history, so this, not the order, says which state an event
    /// belongs to.
    pub previous_id: i64,
    /// The Step Functions event type (`TaskStateEntered`, `TaskFailed`, …).
    pub kind: String,
    /// The state's name, on state entered/exited events.
    pub state: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The state's or task's output (JSON text), on exited and succeeded events.
    pub output: Option<String>,
    /// The task's resource type (`lambda`, `ecs`, …), on task events.
    pub resource_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    New {
        arn: String,
    },
    /// An execution of that name exists already: a duplicate request, not an error.
    Existing {
        arn: String,
    },
}

impl Started {
    pub fn arn(&self) -> &str {
        match self {
            Self::New { arn } | Self::Existing { arn } => arn,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecutionsError {
    #[error("no execution {0}")]
    NotFound(String),
    #[error("the account's limit of open executions is reached: {0}")]
    LimitExceeded(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Step Functions {operation} failed: {message}")]
    Service {
        operation: &'static str,
        message: String,
    },
}

#[async_trait]
pub trait Executions: Send + Sync {
    /// The state machine (or alias) this talks about.
    fn state_machine(&self) -> &str;

    /// The ARN an execution named `name` of this state machine has.
    fn execution_arn(&self, name: &str) -> String {
        let machine = self.state_machine();
        // An alias or version qualifier is not part of an execution's ARN.
        let unqualified = match machine.match_indices(':').nth(6) {
            Some((at, _)) => &machine[..at],
            None => machine,
        };
        format!(
            "{}:{name}",
            unqualified.replacen(":stateMachine:", ":execution:", 1)
        )
    }

    /// Starts `name`; an existing execution of that name is [`Started::Existing`].
    async fn start(&self, name: &str, input: &str) -> Result<Started, ExecutionsError>;
    async fn list(
        &self,
        status: Option<Status>,
        max: i32,
        next: Option<String>,
    ) -> Result<Page, ExecutionsError>;
    async fn describe(&self, arn: &str) -> Result<Execution, ExecutionsError>;
    /// Every event, oldest first.
    async fn history(&self, arn: &str) -> Result<Vec<Event>, ExecutionsError>;
    async fn stop(&self, arn: &str, cause: &str) -> Result<(), ExecutionsError>;
    async fn redrive(&self, arn: &str) -> Result<(), ExecutionsError>;
}

/// [`Executions`] over the Step Functions API.
pub struct SfnExecutions {
    client: aws_sdk_sfn::Client,
    state_machine: String,
}

impl SfnExecutions {
    pub fn new(client: aws_sdk_sfn::Client, state_machine: impl Into<String>) -> Self {
        Self {
            client,
            state_machine: state_machine.into(),
        }
    }
}

fn map_error<E>(operation: &'static str, error: aws_sdk_sfn::error::SdkError<E>) -> ExecutionsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = error.code().unwrap_or_default().to_owned();
    let message = error
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| aws_sdk_sfn::error::DisplayErrorContext(&error).to_string());
    match code.as_str() {
        "ExecutionDoesNotExist" | "StateMachineDoesNotExist" | "ResourceNotFound" => {
            ExecutionsError::NotFound(message)
        }
        "ExecutionLimitExceeded" | "ThrottlingException" => ExecutionsError::LimitExceeded(message),
        "ExecutionNotRedrivable" | "ExecutionAlreadyExists" => ExecutionsError::Conflict(message),
        "InvalidArn" | "InvalidName" | "InvalidExecutionInput" | "ValidationException" => {
            ExecutionsError::Invalid(message)
        }
        _ => ExecutionsError::Service {
            operation,
            message: if code.is_empty() {
                message
            } else {
                format!("{code}: {message}")
            },
        },
    }
}

fn status(status: &ExecutionStatus) -> Status {
    match status {
        ExecutionStatus::Succeeded => Status::Succeeded,
        ExecutionStatus::Failed => Status::Failed,
        ExecutionStatus::TimedOut => Status::TimedOut,
        ExecutionStatus::Aborted => Status::Aborted,
        ExecutionStatus::PendingRedrive => Status::PendingRedrive,
        _ => Status::Running,
    }
}

fn date(date: &aws_sdk_sfn::primitives::DateTime) -> String {
    date.fmt(aws_sdk_sfn::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

fn event(event: &HistoryEvent) -> Event {
    let mut out = Event {
        id: event.id(),
        previous_id: event.previous_event_id(),
        kind: event.r#type().as_str().to_owned(),
        ..Event::default()
    };
    let mut failed = |error: Option<&str>, cause: Option<&str>| {
        out.error = error.map(str::to_owned);
        out.cause = cause.map(str::to_owned);
    };
    if let Some(d) = event.task_failed_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.task_timed_out_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.activity_failed_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.lambda_function_failed_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.execution_failed_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.execution_aborted_event_details() {
        failed(d.error(), d.cause());
    } else if let Some(d) = event.execution_timed_out_event_details() {
        failed(d.error(), d.cause());
    }
    if let Some(d) = event.state_entered_event_details() {
        out.state = Some(d.name().to_owned());
    }
    if let Some(d) = event.state_exited_event_details() {
        out.state = Some(d.name().to_owned());
        out.output = d.output().map(str::to_owned);
    }
    if let Some(d) = event.task_succeeded_event_details() {
        out.resource_type = Some(d.resource_type().to_owned());
        out.output = d.output().map(str::to_owned);
    }
    if let Some(d) = event.task_failed_event_details() {
        out.resource_type = Some(d.resource_type().to_owned());
    }
    out
}

#[async_trait]
impl Executions for SfnExecutions {
    fn state_machine(&self) -> &str {
        &self.state_machine
    }

    async fn start(&self, name: &str, input: &str) -> Result<Started, ExecutionsError> {
        match self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine)
            .name(name)
            .input(input)
            .send()
            .await
        {
            // Same name and input while running: Step Functions answers with that execution.
            Ok(output) => Ok(Started::New {
                arn: output.execution_arn().to_owned(),
            }),
            Err(e) if e.code() == Some("ExecutionAlreadyExists") => Ok(Started::Existing {
                arn: self.execution_arn(name),
            }),
            Err(e) => Err(map_error("StartExecution", e)),
        }
    }

    async fn list(
        &self,
        status_filter: Option<Status>,
        max: i32,
        next: Option<String>,
    ) -> Result<Page, ExecutionsError> {
        let output = self
            .client
            .list_executions()
            .state_machine_arn(&self.state_machine)
            .set_status_filter(status_filter.map(|s| ExecutionStatus::from(s.as_str())))
            .max_results(max)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| map_error("ListExecutions", e))?;
        Ok(Page {
            executions: output
                .executions()
                .iter()
                .map(|e| Summary {
                    arn: e.execution_arn().to_owned(),
                    name: e.name().to_owned(),
                    status: status(e.status()),
                    started: date(e.start_date()),
                    stopped: e.stop_date().map(date),
                })
                .collect(),
            next: output.next_token().map(str::to_owned),
        })
    }

    async fn describe(&self, arn: &str) -> Result<Execution, ExecutionsError> {
        let e = self
            .client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .map_err(|e| map_error("DescribeExecution", e))?;
        Ok(Execution {
            summary: Summary {
                arn: e.execution_arn().to_owned(),
                name: e.name().unwrap_or_default().to_owned(),
                status: status(e.status()),
                started: date(e.start_date()),
                stopped: e.stop_date().map(date),
            },
            input: e.input().map(str::to_owned),
            error: e.error().map(str::to_owned),
            cause: e.cause().map(str::to_owned),
            version_arn: e.state_machine_version_arn().map(str::to_owned),
            alias_arn: e.state_machine_alias_arn().map(str::to_owned),
        })
    }

    async fn history(&self, arn: &str) -> Result<Vec<Event>, ExecutionsError> {
        let mut events = Vec::new();
        let mut next = None;
        loop {
            let output = self
                .client
                .get_execution_history()
                .execution_arn(arn)
                .max_results(1000)
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| map_error("GetExecutionHistory", e))?;
            events.extend(output.events().iter().map(event));
            match output.next_token() {
                Some(token) => next = Some(token.to_owned()),
                None => return Ok(events),
            }
        }
    }

    async fn stop(&self, arn: &str, cause: &str) -> Result<(), ExecutionsError> {
        self.client
            .stop_execution()
            .execution_arn(arn)
            .error("Leadline.Stopped")
            .cause(cause)
            .send()
            .await
            .map_err(|e| map_error("StopExecution", e))?;
        Ok(())
    }

    async fn redrive(&self, arn: &str) -> Result<(), ExecutionsError> {
        self.client
            .redrive_execution()
            .execution_arn(arn)
            .send()
            .await
            .map_err(|e| map_error("RedriveExecution", e))?;
        Ok(())
    }
}
