//! Size limits on workflow variables, from the Developer Guide's "Passing data between states
//! with variables" (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html),
//! its section on variable limits, paraphrased (the page's text was not at hand to quote, so
//! none of the wording below is AWS's): a single variable is at most 256 KiB; the variables
//! one `Assign` field sets are at most 256 KiB together (two of 128 KiB fit, two of 256 KiB do
//! not); the variables an execution stores are at most 10 MiB in all.
//!
//! The guide names no error and gives no cause for these; the engine fails the state with
//! `States.DataLimitExceeded`, AWS's error for payloads over their quota (so, like it, the
//! error escapes `States.ALL`), and sizes values as compact JSON in UTF-8 bytes, as the
//! payload quota counts (see ARCHITECTURE.md, crates/asl invariants).

use serde_json::{json, Map, Value};

use super::common::*;

const KIB: usize = 1024;

/// A JSONata expression for a string whose JSON text (with its quotes) is `bytes` long.
fn text_of(bytes: usize) -> String {
    format!("{{% $pad('', {}, 'x') %}}", bytes - 2)
}

fn pass_assigning(assign: Value, next: Option<&str>) -> Value {
    let mut state = json!({"Type": "Pass", "QueryLanguage": "JSONata", "Assign": assign});
    match next {
        Some(next) => state["Next"] = json!(next),
        None => state["End"] = json!(true),
    }
    state
}

fn data_limit(result: &leadline_asl::ExecutionResult, needle: &str) {
    let (error, cause) = failure(result);
    assert_eq!(error, "States.DataLimitExceeded", "{cause}");
    assert!(cause.contains(needle), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn a_single_variable_up_to_256_kib() {
    // One variable: 256 KiB is within the limit, a byte more is not.
    let at_limit = single(pass_assigning(json!({"v": text_of(256 * KIB)}), None));
    let result = run(at_limit, json!({})).await;
    assert_eq!(output(&result), json!({}));
    let exited = result.history.iter().rev().find_map(|e| match &e.details {
        Some(leadline_asl::history::EventDetails::StateExitedEventDetails(d)) => Some(d),
        _ => None,
    });
    assert_eq!(
        exited
            .and_then(|d| d.assigned_variables.get("v"))
            .map(String::len),
        Some(256 * KIB)
    );

    let over = single(pass_assigning(json!({"v": text_of(256 * KIB + 1)}), None));
    let result = run(over, json!({})).await;
    data_limit(&result, "the variable 'v'");
    data_limit(&result, "'S'");
}

#[tokio::test(start_paused = true)]
async fn one_assign_up_to_256_kib_together() {
    // One Assign: two variables of 128 KiB fit together, a byte more does not.
    let half = single(pass_assigning(
        json!({"x": text_of(128 * KIB), "y": text_of(128 * KIB)}),
        None,
    ));
    assert_eq!(output(&run(half, json!({})).await), json!({}));

    let over = single(pass_assigning(
        json!({"x": text_of(128 * KIB), "y": text_of(128 * KIB + 1)}),
        None,
    ));
    let result = run(over, json!({})).await;
    data_limit(&result, "in one Assign");
    assert!(!result
        .history
        .iter()
        .any(|e| e.event_type == leadline_asl::history::EventType::PassStateExited));

    // The limit is per Assign field: a Choice rule's Assign is a field of its own.
    let choice = json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Assign": {"x": text_of(128 * KIB), "y": text_of(128 * KIB)},
            "Choices": [{"Condition": "{% true %}", "Next": "Done",
                "Assign": {"z": text_of(128 * KIB)}}]},
        "Done": {"Type": "Succeed"}}});
    assert_eq!(output(&run(choice, json!({})).await), json!({}));
}

/// A machine whose states `V0`…`V39` each store a 256 KiB variable (10 MiB in all), then a
/// last state assigns `last`.
fn ten_mib_then(last: Value) -> Value {
    let mut states = Map::new();
    for i in 0..40 {
        let next = if i == 39 {
            "Last".to_owned()
        } else {
            format!("V{}", i + 1)
        };
        states.insert(
            format!("V{i}"),
            pass_assigning(json!({ format!("v{i}"): text_of(256 * KIB) }), Some(&next)),
        );
    }
    states.insert("Last".into(), pass_assigning(last, None));
    json!({"StartAt": "V0", "States": states})
}

#[tokio::test(start_paused = true)]
async fn an_execution_stores_up_to_10_mib_of_variables() {
    // The execution's variables: 40 of 256 KiB are exactly 10 MiB.
    let result = run(ten_mib_then(json!({"v0": text_of(256 * KIB)})), json!({})).await;
    assert_eq!(output(&result), json!({}));

    // Reassigning a variable replaces its stored value rather than adding to it.
    let result = run(ten_mib_then(json!({"v0": 0, "more": 1})), json!({})).await;
    assert_eq!(output(&result), json!({}));

    // One byte more is over.
    let result = run(ten_mib_then(json!({"more": 1})), json!({})).await;
    data_limit(&result, "'Last'");
    data_limit(&result, &format!("{} bytes", 10 * KIB * KIB + 1));
}

#[tokio::test(start_paused = true)]
async fn the_limits_apply_to_jsonpath_assign_and_escape_states_all() {
    // A JSONPath Assign from a task result, caught by States.ALL: the data limit is terminal,
    // as States.DataLimitExceeded is for payloads.
    let tasks = Tasks::new();
    let resource = "arn:aws:lambda:us-east-1:123456789012:function:f";
    // 128 KiB + 1 byte as JSON: a result within the payload quota, assigned twice.
    tasks.on(resource, |_| Ok(json!("x".repeat(128 * KIB - 1))));
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": resource, "Assign": {"a.$": "$", "b.$": "$"},
            "ResultPath": null,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}}});
    let result = run_with(&tasks, def, json!({})).await;
    data_limit(&result, "in one Assign");
}
