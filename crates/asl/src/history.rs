//! Execution history events, shaped as `GetExecutionHistory` returns them: `timestamp`
//! (epoch seconds), `type`, `id`, `previousEventId` and one `…EventDetails` object whose
//! field names are AWS's. Inputs and outputs are JSON text, as in AWS.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionAborted,
    ExecutionTimedOut,
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    TaskStateAborted,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskSubmitted,
    TaskSubmitFailed,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionScheduleFailed,
    LambdaFunctionStarted,
    LambdaFunctionStartFailed,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityFailed,
    ActivityTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    WaitStateAborted,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    MapRunAborted,
    /// A JSONata expression failed (JSONata states only); precedes the Retry/Catch outcome.
    EvaluationFailed,
}

impl EventType {
    /// `<Type>StateEntered` / `<Type>StateExited` for a state type name.
    pub fn entered(state_type: &str) -> Self {
        match state_type {
            "Pass" => Self::PassStateEntered,
            "Task" => Self::TaskStateEntered,
            "Choice" => Self::ChoiceStateEntered,
            "Wait" => Self::WaitStateEntered,
            "Succeed" => Self::SucceedStateEntered,
            "Fail" => Self::FailStateEntered,
            "Parallel" => Self::ParallelStateEntered,
            _ => Self::MapStateEntered,
        }
    }

    pub fn exited(state_type: &str) -> Option<Self> {
        Some(match state_type {
            "Pass" => Self::PassStateExited,
            "Task" => Self::TaskStateExited,
            "Choice" => Self::ChoiceStateExited,
            "Wait" => Self::WaitStateExited,
            "Succeed" => Self::SucceedStateExited,
            "Parallel" => Self::ParallelStateExited,
            "Map" => Self::MapStateExited,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadDetails {
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStartedDetails {
    pub input: String,
    pub input_details: PayloadDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDetails {
    pub output: String,
    pub output_details: PayloadDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateEnteredDetails {
    pub name: String,
    pub input: String,
    pub input_details: PayloadDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateExitedDetails {
    pub name: String,
    pub output: String,
    pub output_details: PayloadDetails,
    /// Variables assigned by the state (`Assign`), each as JSON text.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub assigned_variables: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskScheduledDetails {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    pub parameters: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStartedDetails {
    pub resource_type: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResultDetails {
    pub resource_type: String,
    pub resource: String,
    pub output: String,
    pub output_details: PayloadDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskErrorDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaScheduledDetails {
    pub resource: String,
    pub input: String,
    pub input_details: PayloadDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityScheduledDetails {
    pub resource: String,
    pub input: String,
    pub input_details: PayloadDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityStartedDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
}

/// `EvaluationFailedEventDetails`: which state and which of its fields failed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationFailedDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapStateStartedDetails {
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapIterationDetails {
    pub name: String,
    pub index: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunStartedDetails {
    pub map_run_arn: String,
}

/// The details object; its variant name is the JSON key AWS uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventDetails {
    ExecutionStartedEventDetails(ExecutionStartedDetails),
    ExecutionSucceededEventDetails(OutputDetails),
    ExecutionFailedEventDetails(ErrorDetails),
    ExecutionAbortedEventDetails(ErrorDetails),
    ExecutionTimedOutEventDetails(ErrorDetails),
    StateEnteredEventDetails(StateEnteredDetails),
    StateExitedEventDetails(StateExitedDetails),
    TaskScheduledEventDetails(TaskScheduledDetails),
    TaskStartedEventDetails(TaskStartedDetails),
    TaskSubmittedEventDetails(TaskResultDetails),
    TaskSucceededEventDetails(TaskResultDetails),
    TaskFailedEventDetails(TaskErrorDetails),
    TaskTimedOutEventDetails(TaskErrorDetails),
    LambdaFunctionScheduledEventDetails(LambdaScheduledDetails),
    LambdaFunctionSucceededEventDetails(OutputDetails),
    LambdaFunctionFailedEventDetails(ErrorDetails),
    LambdaFunctionTimedOutEventDetails(ErrorDetails),
    ActivityScheduledEventDetails(ActivityScheduledDetails),
    ActivityStartedEventDetails(ActivityStartedDetails),
    ActivitySucceededEventDetails(OutputDetails),
    ActivityFailedEventDetails(ErrorDetails),
    ActivityTimedOutEventDetails(ErrorDetails),
    MapStateStartedEventDetails(MapStateStartedDetails),
    MapIterationStartedEventDetails(MapIterationDetails),
    MapIterationSucceededEventDetails(MapIterationDetails),
    MapIterationFailedEventDetails(MapIterationDetails),
    MapIterationAbortedEventDetails(MapIterationDetails),
    MapRunStartedEventDetails(MapRunStartedDetails),
    MapRunFailedEventDetails(ErrorDetails),
    EvaluationFailedEventDetails(EvaluationFailedDetails),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// Seconds since the Unix epoch, with milliseconds (the API's wire format).
    pub timestamp: f64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub id: u64,
    pub previous_event_id: u64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<EventDetails>,
}

/// Receives events as they happen (the local twin persists them; see issue #7).
pub trait HistorySink: Send + Sync {
    fn record(&self, event: &HistoryEvent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_aws_field_names() {
        let event = HistoryEvent {
            timestamp: 1.5,
            event_type: EventType::PassStateEntered,
            id: 2,
            previous_event_id: 0,
            details: Some(EventDetails::StateEnteredEventDetails(
                StateEnteredDetails {
                    name: "A".into(),
                    input: "{}".into(),
                    input_details: PayloadDetails::default(),
                },
            )),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "timestamp": 1.5, "type": "PassStateEntered", "id": 2, "previousEventId": 0,
                "stateEnteredEventDetails": {"name": "A", "input": "{}", "inputDetails": {"truncated": false}}
            })
        );
        let back: HistoryEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn evaluation_failed_serializes_like_aws() {
        let event = HistoryEvent {
            timestamp: 2.0,
            event_type: EventType::EvaluationFailed,
            id: 3,
            previous_event_id: 2,
            details: Some(EventDetails::EvaluationFailedEventDetails(
                EvaluationFailedDetails {
                    error: Some("States.QueryEvaluationError".into()),
                    cause: Some("why".into()),
                    location: Some("Output".into()),
                    state: "A".into(),
                },
            )),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "timestamp": 2.0, "type": "EvaluationFailed", "id": 3, "previousEventId": 2,
                "evaluationFailedEventDetails": {
                    "error": "States.QueryEvaluationError", "cause": "why",
                    "location": "Output", "state": "A"
                }
            })
        );
        let back: HistoryEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
