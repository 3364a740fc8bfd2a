//! Errors, Retry and Catch (Developer Guide: "Error handling"; ASL spec: "Errors").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leadline_asl::dispatch::{Completion, TaskFailure};
use serde_json::json;

use super::common::*;

const X: &str = "arn:aws:states:us-east-1:123456789012:task:X";
const FAIL: &str = "arn:aws:lambda:us-east-1:123456789012:function:FailFunction";
const SLEEP10: &str = "arn:aws:lambda:us-east-1:123456789012:function:sleep10";

/// A task failing with each error in turn, then succeeding.
fn failing_with(errors: &'static [&'static str]) -> Tasks {
    let tasks = Tasks::new();
    let n = Arc::new(AtomicUsize::new(0));
    tasks.on(X, move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        match errors.get(i) {
            Some(e) => Err(TaskFailure::new(*e, format!("attempt {i}"))),
            None => Ok(json!("ok")),
        }
    });
    tasks
}

fn sleeper() -> Tasks {
    let tasks = Tasks::new();
    tasks.on_async(SLEEP10, |_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(Completion::Result(json!("slept")))
        })
    });
    tasks
}

#[tokio::test(start_paused = true)]
async fn complex_retry_scenario() {
    // Guide, "Complex retry scenarios": ErrorA, ErrorB, ErrorC, ErrorB, ErrorB → waits of
    // 1, 2, 5 and 4 seconds, then the fifth error goes to Z through Catch.
    let tasks = failing_with(&["ErrorA", "ErrorB", "ErrorC", "ErrorB", "ErrorB"]);
    let def = json!({"StartAt": "X", "States": {
        "X": {"Type": "Task", "Resource": X, "Next": "Y",
            "Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
                      {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}]},
        "Y": {"Type": "Pass", "Result": "Y", "End": true},
        "Z": {"Type": "Pass", "End": true}}});
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(tasks.call_times(), vec![0.0, 1.0, 3.0, 8.0, 12.0]);
    assert_eq!(
        output(&result),
        json!({"Error": "ErrorB", "Cause": "attempt 4"})
    );
}

#[tokio::test(start_paused = true)]
async fn retry_backoff_example() {
    // Guide: IntervalSeconds 3, MaxAttempts 2, BackoffRate 1.5 → waits of 3 and 4.5 seconds.
    let tasks = failing_with(&["States.Timeout", "States.Timeout", "States.Timeout"]);
    let def = single(json!({"Type": "Task", "Resource": X, "End": true,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 2, "BackoffRate": 1.5}]}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(tasks.call_times(), vec![0.0, 3.0, 7.5]);
    assert_eq!(failure(&result).0, "States.Timeout");
}

#[tokio::test(start_paused = true)]
async fn max_attempts_zero_never_retries_and_all_retries_the_rest() {
    // Guide: retry any error except States.Timeout.
    let retry = json!([{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]);
    let tasks = failing_with(&["States.Timeout"]);
    let def = single(json!({"Type": "Task", "Resource": X, "End": true, "Retry": retry.clone()}));
    failure(&run_with(&tasks, def.clone(), json!({})).await);
    assert_eq!(tasks.call_times().len(), 1);
    let tasks = failing_with(&["Other", "Other"]);
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(output(&result), json!("ok"));
    assert_eq!(tasks.call_times(), vec![0.0, 1.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn max_delay_seconds_caps_backoff() {
    let tasks = failing_with(&["E", "E", "E", "E"]);
    let def = single(json!({"Type": "Task", "Resource": X, "End": true,
        "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2, "MaxAttempts": 4, "BackoffRate": 10, "MaxDelaySeconds": 30}]}));
    output(&run_with(&tasks, def, json!({})).await);
    assert_eq!(tasks.call_times(), vec![0.0, 2.0, 22.0, 52.0, 82.0]);
}

#[tokio::test(start_paused = true)]
async fn full_jitter_never_waits_longer() {
    let tasks = failing_with(&["E", "E", "E"]);
    let def = single(json!({"Type": "Task", "Resource": X, "End": true,
        "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 4, "MaxAttempts": 3, "JitterStrategy": "FULL"}]}));
    output(&run_with(&tasks, def, json!({})).await);
    let t = tasks.call_times();
    assert!(
        t[1] <= 4.0 && t[2] - t[1] <= 8.0 && t[3] - t[2] <= 16.0,
        "{t:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn catch_with_result_path_keeps_input() {
    // Guide: Catch with "ResultPath": "$.error" adds the error output to the input.
    let tasks = failing_with(&["Error here"]);
    let tasks = {
        // No cause: the guide's error output is {"Error": "Error here"} alone.
        let t = Tasks::new();
        t.on(X, |_| Err(TaskFailure::new("Error here", "")));
        drop(tasks);
        t
    };
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": X, "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NextTask", "ResultPath": "$.error"}]},
        "NextTask": {"Type": "Pass", "End": true}}});
    let result = run_with(&tasks, def, json!({"foo": "bar"})).await;
    assert_eq!(
        output(&result),
        json!({"foo": "bar", "error": {"Error": "Error here"}})
    );
}

#[tokio::test(start_paused = true)]
async fn catch_order_and_default_result_path() {
    // Guide: first catcher for java.lang.Exception (ResultPath $.error-info), then States.ALL.
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": X, "End": true, "Catch": [
            {"ErrorEquals": ["java.lang.Exception"], "ResultPath": "$.error-info", "Next": "RecoveryState"},
            {"ErrorEquals": ["States.ALL"], "Next": "EndState"}]},
        "RecoveryState": {"Type": "Pass", "End": true},
        "EndState": {"Type": "Pass", "End": true}}});
    let tasks = failing_with(&["java.lang.Exception"]);
    let out = output(&run_with(&tasks, def.clone(), json!({"in": 1})).await);
    assert_eq!(
        out,
        json!({"in": 1, "error-info": {"Error": "java.lang.Exception", "Cause": "attempt 0"}})
    );
    let tasks = failing_with(&["Other"]);
    let out = output(&run_with(&tasks, def, json!({"in": 1})).await);
    assert_eq!(out, json!({"Error": "Other", "Cause": "attempt 0"}));
}

#[tokio::test(start_paused = true)]
async fn task_failed_matches_any_task_error() {
    // Guide: "States.TaskFailed, which matches any error that a Lambda function outputs".
    let tasks = Tasks::new();
    tasks.on(FAIL, |_| Err(TaskFailure::new("HandledError", "error")));
    let def = json!({"StartAt": "HelloWorld", "States": {
        "HelloWorld": {"Type": "Task", "Resource": FAIL,
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "fallback"}], "End": true},
        "fallback": {"Type": "Pass", "Result": "Hello, AWS Step Functions!", "End": true}}});
    assert_eq!(
        output(&run_with(&tasks, def, json!({})).await),
        json!("Hello, AWS Step Functions!")
    );
}

#[tokio::test(start_paused = true)]
async fn retry_handled_error_twice_then_fail() {
    // Guide, "Handling a failure using Retry": retried twice with exponential backoff.
    let tasks = Tasks::new();
    tasks.on(FAIL, |_| Err(TaskFailure::new("HandledError", "error")));
    let def = json!({"StartAt": "HelloWorld", "States": {
        "HelloWorld": {"Type": "Task", "Resource": FAIL,
            "Retry": [{"ErrorEquals": ["HandledError"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}],
            "End": true}}});
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(failure(&result), ("HandledError".into(), "error".into()));
    assert_eq!(tasks.call_times(), vec![0.0, 1.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn timeout_caught() {
    // Guide, "Handling a timeout using Catch": sleep10 with TimeoutSeconds 2.
    let tasks = sleeper();
    let def = json!({"StartAt": "HelloWorld", "States": {
        "HelloWorld": {"Type": "Task", "Resource": SLEEP10, "TimeoutSeconds": 2,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "fallback"}], "End": true},
        "fallback": {"Type": "Pass", "Result": "Hello, AWS Step Functions!", "End": true}}});
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(output(&result), json!("Hello, AWS Step Functions!"));
}

#[tokio::test(start_paused = true)]
async fn timeout_retried_then_fails() {
    // Guide, "Handling a timeout using Retry": three attempts of 2 s, waits of 1 and 2 s.
    let tasks = sleeper();
    let def = single(
        json!({"Type": "Task", "Resource": SLEEP10, "TimeoutSeconds": 2,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}],
        "End": true}),
    );
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(failure(&result).0, "States.Timeout");
    assert_eq!(tasks.call_times(), vec![0.0, 3.0, 7.0]);
}

#[tokio::test(start_paused = true)]
async fn timeout_seconds_path() {
    let tasks = sleeper();
    let def = single(
        json!({"Type": "Task", "Resource": SLEEP10, "TimeoutSecondsPath": "$.limit", "End": true}),
    );
    assert_eq!(
        failure(&run_with(&tasks, def.clone(), json!({"limit": 5})).await).0,
        "States.Timeout"
    );
    assert_eq!(
        output(&run_with(&tasks, def, json!({"limit": 20})).await),
        json!("slept")
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeat_timeout() {
    let tasks = sleeper();
    let def = single(
        json!({"Type": "Task", "Resource": SLEEP10, "TimeoutSeconds": 60, "HeartbeatSeconds": 3, "End": true}),
    );
    assert_eq!(
        failure(&run_with(&tasks, def, json!({})).await).0,
        "States.HeartbeatTimeout"
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_task_alive() {
    let tasks = Tasks::new();
    tasks.on_async(X, |call| {
        Box::pin(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(2)).await;
                call.heartbeat.beat();
            }
            Ok(Completion::Result(json!("done")))
        })
    });
    let def = single(json!({"Type": "Task", "Resource": X, "HeartbeatSeconds": 3, "End": true}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({})).await),
        json!("done")
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeat_timeout_is_matched_by_states_timeout() {
    // Guide: States.Timeout covers a missed heartbeat too.
    let tasks = sleeper();
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": SLEEP10, "HeartbeatSeconds": 3,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "F"}], "End": true},
        "F": {"Type": "Pass", "End": true}}});
    assert_eq!(
        output(&run_with(&tasks, def, json!({})).await),
        json!({"Error": "States.HeartbeatTimeout"})
    );
}

#[tokio::test(start_paused = true)]
async fn runtime_errors_are_never_caught() {
    // Guide: States.ALL does not catch States.Runtime, and naming it does not either.
    for catch in [json!(["States.ALL"]), json!(["States.Runtime"])] {
        let def = json!({"StartAt": "T", "States": {
            "T": {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {
                "P": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}],
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": catch, "Next": "F"}], "End": true},
            "F": {"Type": "Pass", "End": true}}});
        assert_eq!(failure(&run(def, json!({})).await).0, "States.Runtime");
    }
}

#[tokio::test(start_paused = true)]
async fn data_limit_exceeded_is_not_caught_by_all() {
    let tasks = Tasks::new();
    tasks.on(X, |_| Ok(json!("y".repeat(300 * 1024))));
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": X, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "End": true},
        "F": {"Type": "Pass", "End": true}}});
    assert_eq!(
        failure(&run_with(&tasks, def, json!({})).await).0,
        "States.DataLimitExceeded"
    );
}

#[tokio::test(start_paused = true)]
async fn fail_state_error_and_cause() {
    let def = single(json!({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}));
    assert_eq!(
        failure(&run(def, json!({})).await),
        ("ErrorA".into(), "Kaiju attack".into())
    );
    let def = single(
        json!({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('because {}', $.c)"}),
    );
    assert_eq!(
        failure(&run(def, json!({"e": "E1", "c": "reasons"})).await),
        ("E1".into(), "because reasons".into())
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_branch_failure_is_caught_by_the_parallel_state() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [
            {"StartAt": "ok", "States": {"ok": {"Type": "Pass", "End": true}}},
            {"StartAt": "bad", "States": {"bad": {"Type": "Fail", "Error": "BranchError", "Cause": "c"}}}],
            "Catch": [{"ErrorEquals": ["BranchError"], "ResultPath": "$.err", "Next": "Done"}], "End": true},
        "Done": {"Type": "Succeed"}}});
    assert_eq!(
        output(&run(def, json!({"a": 1})).await),
        json!({"a": 1, "err": {"Error": "BranchError", "Cause": "c"}})
    );
}

#[tokio::test(start_paused = true)]
async fn execution_timeout() {
    let def = json!({"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}});
    let result = run(def, json!({})).await;
    assert_eq!(result.status, leadline_asl::ExecutionStatus::TimedOut);
    assert_eq!(result.error.unwrap().error, "States.Timeout");
}

#[tokio::test(start_paused = true)]
async fn retry_count_in_context() {
    let tasks = Tasks::new();
    tasks.on(X, |call| {
        if call.retry_count < 2 {
            Err(TaskFailure::new("E", ""))
        } else {
            Ok(call.input.clone())
        }
    });
    let def = single(json!({"Type": "Task", "Resource": X, "End": true,
        "Parameters": {"retries.$": "$$.State.RetryCount"}, "Retry": [{"ErrorEquals": ["E"]}]}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({})).await),
        json!({"retries": 2})
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeat_seconds_path_and_bad_timeout_values() {
    let tasks = sleeper();
    let def = single(
        json!({"Type": "Task", "Resource": SLEEP10, "HeartbeatSecondsPath": "$.hb", "End": true}),
    );
    assert_eq!(
        failure(&run_with(&tasks, def.clone(), json!({"hb": 4})).await).0,
        "States.HeartbeatTimeout"
    );
    assert_eq!(
        output(&run_with(&tasks, def, json!({"hb": 11})).await),
        json!("slept")
    );
    // A path to something that is not a positive integer is a runtime error.
    let def = single(
        json!({"Type": "Task", "Resource": SLEEP10, "TimeoutSecondsPath": "$.t", "End": true}),
    );
    assert_eq!(
        failure(&run_with(&tasks, def, json!({"t": "soon"})).await).0,
        "States.Runtime"
    );
}
