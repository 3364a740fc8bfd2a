//! The `EvaluationFailed` history event of JSONata states.
//!
//! API reference, EvaluationFailedEventDetails
//! (https://docs.aws.amazon.com/step-functions/latest/apireference/API_EvaluationFailedEventDetails.html):
//! "Contains details about an evaluation failure that occurred while processing a state, for
//! example, when a JSONata expression throws an error. This event will only be present in state
//! machines that have QueryLanguage set to JSONata, or individual states set to JSONata."
//! Its members: `state` (required: the state's name), `location` (the state's field that
//! failed), `error` and `cause`; the HistoryEvent carries it as
//! `evaluationFailedEventDetails` with type `EvaluationFailed` (API_GetExecutionHistory).
//!
//! The guide shows no history with the event; its placement follows LocalStack's Step
//! Functions provider (`execute_state.py`, `failure_event.py`): the event is written where the
//! expression failed, as the state's latest event (so before Retry and Catch decide, and
//! before `ExecutionFailed`), with the cause `ExecutionFailed` gives ("An error occurred while
//! executing the state '…' (entered at the event id #…). …").

use leadline_asl::history::{EvaluationFailedDetails, EventDetails, EventType::*, HistoryEvent};
use leadline_asl::ExecutionResult;
use serde_json::{json, Value};

use super::common::*;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

fn jsonata(states: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": states})
}

/// The `EvaluationFailed` events, with (id, previousEventId) and details.
fn evaluation_failures(result: &ExecutionResult) -> Vec<(u64, u64, EvaluationFailedDetails)> {
    result
        .history
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::EvaluationFailedEventDetails(d)) => {
                assert_eq!(e.event_type, EvaluationFailed);
                Some((e.id, e.previous_event_id, d.clone()))
            }
            _ => None,
        })
        .collect()
}

fn details(state: &str, location: &str, cause: &str) -> EvaluationFailedDetails {
    EvaluationFailedDetails {
        error: Some("States.QueryEvaluationError".into()),
        cause: Some(cause.into()),
        location: Some(location.into()),
        state: state.into(),
    }
}

fn last(result: &ExecutionResult) -> &HistoryEvent {
    result.history.last().expect("a history")
}

#[tokio::test(start_paused = true)]
async fn a_failing_output_is_recorded_before_the_execution_fails() {
    let def = jsonata(
        json!({"S": {"Type": "Pass", "Output": {"a": "{% $states.input.missing %}"}, "End": true}}),
    );
    let result = run(def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            PassStateEntered,
            EvaluationFailed,
            ExecutionFailed
        ]
    );
    let cause = "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/a' returned nothing (undefined).";
    assert_eq!(
        evaluation_failures(&result),
        vec![(3, 2, details("S", "Output", cause))]
    );
    // ExecutionFailed follows the evaluation failure and carries the same error and cause.
    assert_eq!(last(&result).previous_event_id, 3);
    assert_eq!(
        failure(&result),
        ("States.QueryEvaluationError".into(), cause.into())
    );
    let json = serde_json::to_value(&result.history[2]).unwrap();
    assert_eq!(
        json,
        json!({"timestamp": 1_704_067_200.0, "type": "EvaluationFailed", "id": 3,
            "previousEventId": 2, "evaluationFailedEventDetails": {
                "error": "States.QueryEvaluationError", "cause": cause,
                "location": "Output", "state": "S"}})
    );
}

#[tokio::test(start_paused = true)]
async fn failing_arguments_are_recorded_before_the_catch_takes_over() {
    // The task is never scheduled; the catcher's exit follows the evaluation failure.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |call| Ok(call.input.clone()));
    let def = jsonata(json!({
        "S": {"Type": "Task", "Resource": LAMBDA, "Arguments": {"n": "{% $states.input.n * 2 %}"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true},
        "Handled": {"Type": "Pass", "End": true}}));
    let result = run_with(&tasks, def, json!({"n": "two"})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            EvaluationFailed,
            TaskStateExited,
            PassStateEntered,
            PassStateExited,
            ExecutionSucceeded
        ]
    );
    assert!(tasks.call_inputs().is_empty());
    let failures = evaluation_failures(&result);
    assert_eq!(failures.len(), 1);
    let (id, previous, d) = &failures[0];
    assert_eq!((*id, *previous), (3, 2));
    assert_eq!(
        (d.state.as_str(), d.location.as_deref(), d.error.as_deref()),
        ("S", Some("Arguments"), Some("States.QueryEvaluationError"))
    );
    let cause = d.cause.as_deref().unwrap_or_default();
    assert!(
        cause.starts_with("An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.input.n * 2' specified for the field 'Arguments/n' threw an error during evaluation. T2001:"),
        "{cause}"
    );
    assert_eq!(result.history[3].previous_event_id, 3);
    // The catcher hands on the same error and cause.
    assert_eq!(
        output(&result),
        json!({"Error": "States.QueryEvaluationError", "Cause": cause})
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_task_output_follows_the_task_succeeded_event() {
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| Ok(json!({"n": 1})));
    let def = jsonata(json!({"S": {"Type": "Task", "Resource": LAMBDA,
        "Output": "{% $states.result.missing %}", "End": true}}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            LambdaFunctionScheduled,
            LambdaFunctionStarted,
            LambdaFunctionSucceeded,
            EvaluationFailed,
            ExecutionFailed
        ]
    );
    let cause = "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.result.missing' specified for the field 'Output' returned nothing (undefined).";
    assert_eq!(
        evaluation_failures(&result),
        vec![(6, 5, details("S", "Output", cause))]
    );
    assert_eq!(last(&result).previous_event_id, 6);
}

#[tokio::test(start_paused = true)]
async fn a_failing_assign_is_recorded_caught_or_not() {
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| Ok(json!({"n": "text"})));
    let state = json!({"Type": "Task", "Resource": LAMBDA,
        "Assign": {"next": "{% $states.result.n + 1 %}"}, "End": true});
    // Uncaught.
    let result = run_with(&tasks, jsonata(json!({"S": state})), json!({})).await;
    let failures = evaluation_failures(&result);
    assert_eq!(failures.len(), 1);
    let (id, previous, d) = &failures[0];
    assert_eq!((*id, *previous), (6, 5));
    assert_eq!(
        (d.state.as_str(), d.location.as_deref()),
        ("S", Some("Assign"))
    );
    assert!(
        d.cause.as_deref().unwrap_or_default().contains(
            "specified for the field 'Assign/next' threw an error during evaluation. T2001:"
        ),
        "{d:?}"
    );
    assert_eq!(
        event_types(&result)[5..],
        [EvaluationFailed, ExecutionFailed]
    );
    // Caught: the variable is not set, the catcher's Assign is.
    let mut caught = state.clone();
    caught["Catch"] = json!([{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Handled",
        "Assign": {"handled": "{% $states.errorOutput.Error %}"}}]);
    let def = jsonata(json!({"S": caught,
        "Handled": {"Type": "Pass", "Output": {"handled": "{% $handled %}",
            "next": "{% $exists($next) %}"}, "End": true}}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(
        event_types(&result)[5..],
        [
            EvaluationFailed,
            TaskStateExited,
            PassStateEntered,
            PassStateExited,
            ExecutionSucceeded
        ]
    );
    assert_eq!(
        evaluation_failures(&result)[0].2.location.as_deref(),
        Some("Assign")
    );
    assert_eq!(
        output(&result),
        json!({"handled": "States.QueryEvaluationError", "next": false})
    );
}

#[tokio::test(start_paused = true)]
async fn a_condition_that_is_not_boolean_is_recorded_at_the_choice() {
    let def = jsonata(json!({"S": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n > 5 %}", "Next": "Done"},
        {"Condition": "{% $states.input.n %}", "Next": "Done"}],
        "Default": "Done"}, "Done": {"Type": "Succeed"}}));
    let result = run(def, json!({"n": 1})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            ChoiceStateEntered,
            EvaluationFailed,
            ExecutionFailed
        ]
    );
    let cause = "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.input.n' specified for the field 'Choices[1]/Condition' must evaluate to a boolean, but returned 1.";
    assert_eq!(
        evaluation_failures(&result),
        vec![(3, 2, details("S", "Condition", cause))]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_catcher_output_is_recorded_too() {
    // The task fails; the catcher's own Output then fails to evaluate.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| {
        Err(leadline_asl::dispatch::TaskFailure::new("Boom", "bang"))
    });
    let def = jsonata(json!({
        "S": {"Type": "Task", "Resource": LAMBDA,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled",
                "Output": "{% $states.errorOutput.Missing %}"}], "End": true},
        "Handled": {"Type": "Pass", "End": true}}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            LambdaFunctionScheduled,
            LambdaFunctionStarted,
            LambdaFunctionFailed,
            EvaluationFailed,
            ExecutionFailed
        ]
    );
    let (_, previous, d) = &evaluation_failures(&result)[0];
    assert_eq!(*previous, 5);
    assert_eq!(
        (d.state.as_str(), d.location.as_deref()),
        ("S", Some("Output"))
    );
}

#[tokio::test(start_paused = true)]
async fn every_retried_attempt_records_its_failure() {
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| Ok(json!({})));
    let def = jsonata(json!({"S": {"Type": "Task", "Resource": LAMBDA,
        "Output": "{% $states.result.missing %}",
        "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 1}],
        "End": true}}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            LambdaFunctionScheduled,
            LambdaFunctionStarted,
            LambdaFunctionSucceeded,
            EvaluationFailed,
            LambdaFunctionScheduled,
            LambdaFunctionStarted,
            LambdaFunctionSucceeded,
            EvaluationFailed,
            ExecutionFailed
        ]
    );
    let ids: Vec<(u64, u64)> = evaluation_failures(&result)
        .iter()
        .map(|(id, previous, _)| (*id, *previous))
        .collect();
    assert_eq!(ids, vec![(6, 5), (10, 9)]);
    assert_eq!(result.history[6].previous_event_id, 6);
}

#[tokio::test(start_paused = true)]
async fn a_failure_inside_a_branch_is_recorded_once_by_the_inner_state() {
    let def = jsonata(json!({"S": {"Type": "Parallel", "Branches": [
        {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass",
            "Output": "{% $states.input.missing %}", "End": true}}}], "End": true}}));
    let result = run(def, json!({})).await;
    let failures = evaluation_failures(&result);
    assert_eq!(failures.len(), 1, "{:?}", event_types(&result));
    let (id, previous, d) = &failures[0];
    assert_eq!(
        (d.state.as_str(), d.location.as_deref()),
        ("Inner", Some("Output"))
    );
    // It follows the inner state's entry, not the Parallel state's.
    let inner_entered = result
        .history
        .iter()
        .find(|e| e.event_type == PassStateEntered)
        .map(|e| e.id);
    assert_eq!(Some(*previous), inner_entered);
    assert!(*id < last(&result).id);
    assert_eq!(
        event_types(&result)[1..],
        [
            ParallelStateEntered,
            ParallelStateStarted,
            PassStateEntered,
            EvaluationFailed,
            ParallelStateFailed,
            ExecutionFailed
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn jsonpath_states_and_fail_states_record_none() {
    // "This event will only be present in state machines that have QueryLanguage set to
    // JSONata, or individual states set to JSONata." A Fail state naming the error is not an
    // evaluation failure either.
    let def = json!({"StartAt": "S", "States": {"S": {"Type": "Pass",
        "Parameters": {"a.$": "$.missing"}, "End": true}}});
    let result = run(def, json!({})).await;
    assert_eq!(failure(&result).0, "States.Runtime");
    assert!(evaluation_failures(&result).is_empty());
    let def = json!({"StartAt": "F", "States": {"F": {"Type": "Fail",
        "Error": "States.QueryEvaluationError", "Cause": "by hand"}}});
    let result = run(def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![ExecutionStarted, FailStateEntered, ExecutionFailed]
    );
}
