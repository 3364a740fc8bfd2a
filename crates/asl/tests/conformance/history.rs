//! Execution history: event types, ids, previousEventId and details as AWS emits them.

use leadline_asl::history::{EventDetails, EventType::*};
use serde_json::json;

use super::common::*;

#[tokio::test(start_paused = true)]
async fn pass_chain_history() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "Next": "B"},
        "B": {"Type": "Succeed"}}});
    let result = run(def, json!({"in": true})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            PassStateEntered,
            PassStateExited,
            SucceedStateEntered,
            SucceedStateExited,
            ExecutionSucceeded
        ]
    );
    let ids: Vec<(u64, u64)> = result
        .history
        .iter()
        .map(|e| (e.id, e.previous_event_id))
        .collect();
    assert_eq!(ids, vec![(1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5)]);
    let json = serde_json::to_value(&result.history).unwrap();
    assert_eq!(
        json[0]["executionStartedEventDetails"]["input"],
        json!("{\"in\":true}")
    );
    assert_eq!(
        json[1]["stateEnteredEventDetails"],
        json!({"name": "A", "input": "{\"in\":true}", "inputDetails": {"truncated": false}})
    );
    assert_eq!(json[2]["stateExitedEventDetails"]["output"], json!("1"));
    assert_eq!(
        json[5]["executionSucceededEventDetails"]["output"],
        json!("1")
    );
    assert_eq!(json[0]["timestamp"], json!(1_704_067_200.0));
}

#[tokio::test(start_paused = true)]
async fn failed_execution_history() {
    let def =
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}});
    let result = run(def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![ExecutionStarted, FailStateEntered, ExecutionFailed]
    );
    match &result.history[2].details {
        Some(EventDetails::ExecutionFailedEventDetails(d)) => {
            assert_eq!(
                (d.error.as_deref(), d.cause.as_deref()),
                (Some("E"), Some("C"))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn task_events_for_service_integrations() {
    let tasks = Tasks::new();
    tasks.on("arn:aws:states:::ecs:runTask.sync", |_| {
        Ok(json!({"Tasks": []}))
    });
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {"Cluster": "c"}, "TimeoutSeconds": 30, "End": true}),
    );
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            TaskScheduled,
            TaskStarted,
            TaskSucceeded,
            TaskStateExited,
            ExecutionSucceeded
        ]
    );
    let json = serde_json::to_value(&result.history).unwrap();
    assert_eq!(
        json[2]["taskScheduledEventDetails"],
        json!({"resourceType": "ecs", "resource": "runTask.sync",
        "region": "us-east-1", "parameters": "{\"Cluster\":\"c\"}", "timeoutInSeconds": 30})
    );
    assert_eq!(
        json[4]["taskSucceededEventDetails"]["output"],
        json!("{\"Tasks\":[]}")
    );
}

#[tokio::test(start_paused = true)]
async fn map_and_parallel_events() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "Next": "P"},
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}}});
    let result = run(def, json!([1, 2])).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            MapStateEntered,
            MapStateStarted,
            MapIterationStarted,
            PassStateEntered,
            PassStateExited,
            MapIterationSucceeded,
            MapIterationStarted,
            PassStateEntered,
            PassStateExited,
            MapIterationSucceeded,
            MapStateSucceeded,
            MapStateExited,
            ParallelStateEntered,
            ParallelStateStarted,
            PassStateEntered,
            PassStateExited,
            ParallelStateSucceeded,
            ParallelStateExited,
            ExecutionSucceeded
        ]
    );
    let json = serde_json::to_value(&result.history).unwrap();
    assert_eq!(json[2]["mapStateStartedEventDetails"], json!({"length": 2}));
    assert_eq!(
        json[7]["mapIterationStartedEventDetails"],
        json!({"name": "M", "index": 1})
    );
    // An iteration's first state follows its MapIterationStarted event.
    assert_eq!(json[4]["previousEventId"], json[3]["id"]);
}

#[tokio::test(start_paused = true)]
async fn assigned_variables_are_recorded() {
    let def = single(json!({"Type": "Pass", "Assign": {"x": 1}, "End": true}));
    let json = serde_json::to_value(&run(def, json!({})).await.history).unwrap();
    assert_eq!(
        json[2]["stateExitedEventDetails"]["assignedVariables"],
        json!({"x": "1"})
    );
}

#[tokio::test(start_paused = true)]
async fn distributed_map_runs_child_executions() {
    // The parent records a Map Run; the items' states live in child executions.
    let def = single(
        json!({"Type": "Map", "Label": "Products", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id", "v.$": "$"}, "End": true}}}}),
    );
    let result = run(def, json!([1, 2])).await;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            MapStateEntered,
            MapRunStarted,
            MapRunSucceeded,
            MapStateExited,
            ExecutionSucceeded
        ]
    );
    let json = serde_json::to_value(&result.history).unwrap();
    let map_run = json[2]["mapRunStartedEventDetails"]["mapRunArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        map_run.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:Conformance/Products:"),
        "{map_run}"
    );
    let out = output(&result);
    assert_eq!(out[1]["v"], json!(2));
    let child = out[1]["id"].as_str().unwrap();
    assert!(
        child.starts_with("arn:aws:states:us-east-1:123456789012:execution:Conformance/Products:")
            && child.ends_with(":1"),
        "{child}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_execution_resumes_from_a_state_with_its_input_and_variables() {
    // What a redrive needs: the state to re-enter, its raw input and the variables then.
    use leadline_asl::interpreter::ResumePoint;
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "B"}], "Default": "F"},
        "F": {"Type": "Fail", "Error": "MustNotRun"},
        "B": {"Type": "Pass", "Parameters": {"in.$": "$", "x.$": "$x"}, "End": true}}});
    let engine = engine(&Tasks::new());
    let resume = ResumePoint {
        state: "B".into(),
        input: json!({"resumed": true}),
        variables: [("x".to_owned(), json!(42))].into_iter().collect(),
    };
    let result = engine
        .execute_from(
            &machine(&def),
            leadline_asl::ExecutionRequest::new("C", "e", json!({})),
            Some(resume),
        )
        .await;
    assert_eq!(output(&result), json!({"in": {"resumed": true}, "x": 42}));
    assert_eq!(event_types(&result)[1], PassStateEntered);
}

#[tokio::test(start_paused = true)]
async fn stopping_an_execution_aborts_it() {
    use std::sync::Arc;
    use tokio::sync::Notify;
    let def = single(json!({"Type": "Wait", "Seconds": 3600, "End": true}));
    let abort = Arc::new(Notify::new());
    let mut request = leadline_asl::ExecutionRequest::new("C", "e", json!({}));
    request.abort = Some(abort.clone());
    let engine = engine(&Tasks::new());
    let machine = machine(&def);
    let stopper = async {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        abort.notify_one();
    };
    let (result, ()) = tokio::join!(engine.execute(&machine, request), stopper);
    assert_eq!(result.status, leadline_asl::ExecutionStatus::Aborted);
    assert_eq!(
        event_types(&result),
        vec![ExecutionStarted, WaitStateEntered, ExecutionAborted]
    );
    assert_eq!(result.history[2].timestamp, 1_704_067_260.0);
}

#[tokio::test(start_paused = true)]
async fn task_failure_and_timeout_events() {
    use leadline_asl::dispatch::TaskFailure;
    let tasks = Tasks::new();
    tasks.on("arn:aws:states:::glue:startJobRun.sync", |_| {
        Err(TaskFailure::new("Glue.Failed", "job failed"))
    });
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": true}),
    );
    let result = run_with(&tasks, def, json!({})).await;
    let json = serde_json::to_value(&result.history).unwrap();
    assert_eq!(json[4]["type"], json!("TaskFailed"));
    assert_eq!(
        json[4]["taskFailedEventDetails"],
        json!({"resourceType": "glue", "resource": "startJobRun.sync",
        "error": "Glue.Failed", "cause": "job failed"})
    );
    assert_eq!(json[5]["type"], json!("ExecutionFailed"));
}

#[tokio::test(start_paused = true)]
async fn jsonata_assign_is_recorded_as_assigned_variables() {
    let def = single(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Assign": {"n": "{% $states.input.n + 1 %}"}, "Output": "{% $states.input %}", "End": true}));
    let result = run(def, json!({"n": 1})).await;
    assert_eq!(output(&result), json!({"n": 1}));
    let exited = result
        .history
        .iter()
        .find_map(|e| match &e.details {
            Some(EventDetails::StateExitedEventDetails(d)) => Some(d.assigned_variables.clone()),
            _ => None,
        })
        .expect("a PassStateExited event");
    assert_eq!(exited.get("n").map(String::as_str), Some("2"));
}
