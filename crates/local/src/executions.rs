//! The Lambdas' [`Executions`] over the twin, so the trigger, publish and the run API run
//! in-process unchanged.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use leadline_asl::history::{EventDetails, HistoryEvent};
use leadline_lambdas::executions::{
    Event, Execution, Executions, ExecutionsError, Page, Started, Status, Summary,
};

use crate::control::{ControlError, ControlPlane, ExecutionInfo};
use crate::twin::Twin;

pub struct TwinExecutions {
    twin: Weak<Twin>,
    machine: String,
}

impl TwinExecutions {
    pub fn new(twin: Weak<Twin>, machine: String) -> Self {
        Self { twin, machine }
    }

    fn twin(&self) -> Result<Arc<Twin>, ExecutionsError> {
        self.twin.upgrade().ok_or_else(|| ExecutionsError::Service {
            operation: "twin",
            message: "the local twin has shut down".into(),
        })
    }
}

fn rfc3339(seconds: f64) -> String {
    let nanos = (seconds * 1e9) as i128;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn from_control(error: ControlError) -> ExecutionsError {
    match error {
        ControlError::ExecutionDoesNotExist(m) | ControlError::StateMachineDoesNotExist(m) => {
            ExecutionsError::NotFound(m)
        }
        ControlError::ExecutionAlreadyExists(m) | ControlError::ExecutionNotRedrivable(m) => {
            ExecutionsError::Conflict(m)
        }
        ControlError::InvalidArn(m)
        | ControlError::InvalidName(m)
        | ControlError::InvalidExecutionInput(m) => ExecutionsError::Invalid(m),
        other => ExecutionsError::Service {
            operation: other.code(),
            message: other.to_string(),
        },
    }
}

fn summary(info: &ExecutionInfo) -> Summary {
    Summary {
        arn: info.arn.clone(),
        name: info.name.clone(),
        status: info.status,
        started: rfc3339(info.started),
        stopped: info.stopped.map(rfc3339),
    }
}

/// The reduced event the run API and publish read.
pub fn reduce(event: &HistoryEvent) -> Event {
    let mut out = Event {
        id: event.id as i64,
        previous_id: event.previous_event_id as i64,
        kind: format!("{:?}", event.event_type),
        ..Event::default()
    };
    match &event.details {
        Some(
            EventDetails::ExecutionFailedEventDetails(d)
            | EventDetails::ExecutionAbortedEventDetails(d)
            | EventDetails::ExecutionTimedOutEventDetails(d)
            | EventDetails::LambdaFunctionFailedEventDetails(d)
            | EventDetails::LambdaFunctionTimedOutEventDetails(d)
            | EventDetails::ActivityFailedEventDetails(d)
            | EventDetails::ActivityTimedOutEventDetails(d),
        ) => {
            out.error = d.error.clone();
            out.cause = d.cause.clone();
        }
        Some(
            EventDetails::TaskFailedEventDetails(d) | EventDetails::TaskTimedOutEventDetails(d),
        ) => {
            out.error = d.error.clone();
            out.cause = d.cause.clone();
            out.resource_type = Some(d.resource_type.clone());
        }
        Some(EventDetails::EvaluationFailedEventDetails(d)) => {
            out.error = d.error.clone();
            out.cause = d.cause.clone();
        }
        Some(EventDetails::StateEnteredEventDetails(d)) => out.state = Some(d.name.clone()),
        Some(EventDetails::StateExitedEventDetails(d)) => {
            out.state = Some(d.name.clone());
            out.output = Some(d.output.clone());
        }
        Some(EventDetails::TaskSucceededEventDetails(d)) => {
            out.resource_type = Some(d.resource_type.clone());
            out.output = Some(d.output.clone());
        }
        _ => {}
    }
    out
}

#[async_trait]
impl Executions for TwinExecutions {
    fn state_machine(&self) -> &str {
        &self.machine
    }

    async fn start(&self, name: &str, input: &str) -> Result<Started, ExecutionsError> {
        let twin = self.twin()?;
        match twin.start_execution(&self.machine, Some(name), input).await {
            Ok(info) => Ok(Started::New { arn: info.arn }),
            Err(ControlError::ExecutionAlreadyExists(_)) => Ok(Started::Existing {
                arn: self.execution_arn(name),
            }),
            Err(e) => Err(from_control(e)),
        }
    }

    async fn list(
        &self,
        status: Option<Status>,
        max: i32,
        next: Option<String>,
    ) -> Result<Page, ExecutionsError> {
        let all = self
            .twin()?
            .list_executions(&self.machine, status)
            .await
            .map_err(from_control)?;
        let skip: usize = match next {
            Some(token) => token
                .parse()
                .map_err(|_| ExecutionsError::Invalid(format!("Invalid Token: '{token}'")))?,
            None => 0,
        };
        let max = usize::try_from(max).unwrap_or(0).clamp(1, 1000);
        let executions: Vec<Summary> = all.iter().skip(skip).take(max).map(summary).collect();
        let next = (skip + max < all.len()).then(|| (skip + max).to_string());
        Ok(Page { executions, next })
    }

    async fn describe(&self, arn: &str) -> Result<Execution, ExecutionsError> {
        let info = self
            .twin()?
            .describe_execution(arn)
            .await
            .map_err(from_control)?;
        Ok(Execution {
            summary: summary(&info),
            input: Some(info.input.clone()),
            error: info.error.clone(),
            cause: info.cause.clone(),
            version_arn: None,
            alias_arn: None,
        })
    }

    async fn history(&self, arn: &str) -> Result<Vec<Event>, ExecutionsError> {
        let events = self
            .twin()?
            .execution_history(arn)
            .await
            .map_err(from_control)?;
        Ok(events.iter().map(reduce).collect())
    }

    async fn stop(&self, arn: &str, cause: &str) -> Result<(), ExecutionsError> {
        self.twin()?
            .stop_execution(arn, None, Some(cause))
            .await
            .map(|_| ())
            .map_err(from_control)
    }

    async fn redrive(&self, arn: &str) -> Result<(), ExecutionsError> {
        self.twin()?
            .redrive_execution(arn)
            .await
            .map(|_| ())
            .map_err(from_control)
    }
}

#[cfg(test)]
mod tests {
    use leadline_asl::history::{EvaluationFailedDetails, EventType};

    use super::*;

    #[test]
    fn an_evaluation_failure_keeps_its_error_and_cause() {
        let event = HistoryEvent {
            timestamp: 1.0,
            event_type: EventType::EvaluationFailed,
            id: 3,
            previous_event_id: 2,
            details: Some(EventDetails::EvaluationFailedEventDetails(
                EvaluationFailedDetails {
                    error: Some("States.QueryEvaluationError".into()),
                    cause: Some("undefined".into()),
                    location: Some("Output".into()),
                    state: "A".into(),
                },
            )),
        };
        let reduced = reduce(&event);
        assert_eq!(reduced.kind, "EvaluationFailed");
        assert_eq!(
            (reduced.id, reduced.previous_id),
            (3, 2),
            "the run API follows previousEventId to the state"
        );
        assert_eq!(
            reduced.error.as_deref(),
            Some("States.QueryEvaluationError")
        );
        assert_eq!(reduced.cause.as_deref(), Some("undefined"));
    }
}
