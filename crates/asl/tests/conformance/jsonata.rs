//! JSONata states and workflow variables, as the Step Functions Developer Guide's pages
//! "Transforming data with JSONata in Step Functions" (transforming-data.html) and "Passing
//! data between states with variables" (workflow-variables.html) describe them. Causes of
//! `States.QueryEvaluationError` are the ones AWS reports (the guide gives none verbatim).

use leadline_asl::dispatch::TaskFailure;
use serde_json::{json, Value};

use super::common::*;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

fn jsonata(states: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": states})
}

#[tokio::test(start_paused = true)]
async fn the_guides_jsonpath_to_jsonata_conversion_sample() {
    // Transforming data, the conversion sample:
    //   "Arguments": { // JSONata states do not have Parameters
    //     "static": "Hello",
    //     "title": "{% $states.input.title %}",
    //     "name": "{% $customerName %}",   // With $customerName declared as a variable
    //     "not-evaluated": "$customerName" }
    // "Given input { "title" : "Doctor" } and variable customerName assigned to "María", both
    // state machines will produce the following JSON result: { "static": "Hello", "title":
    // "Doctor", "name": "María", "not-evaluated": "$customerName" }"
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |call| Ok(call.input.clone()));
    let jsonpath = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "S"},
        "S": {"QueryLanguage": "JSONPath", "Type": "Task", "Resource": LAMBDA, "Parameters": {
            "static": "Hello", "title.$": "$.title", "name.$": "$customerName",
            "not-evaluated": "$customerName"}, "End": true}}});
    let converted = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "S"},
        "S": {"QueryLanguage": "JSONata", "Type": "Task", "Resource": LAMBDA, "Arguments": {
            "static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}",
            "not-evaluated": "$customerName"}, "End": true}}});
    let expected = json!({"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"});
    for def in [jsonpath, converted] {
        let result = run_with(&tasks, def, json!({"title": "Doctor"})).await;
        assert_eq!(output(&result), expected);
    }
}

#[tokio::test(start_paused = true)]
async fn states_holds_input_result_and_context() {
    // Variables guide, "Reserved variable: $states": input is the original input to the
    // state, result the task's result if successful, context the Context object.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |call| {
        Ok(json!({"doubled": call.input["n"].as_i64().unwrap_or(0) * 2}))
    });
    let def = jsonata(json!({"S": {"Type": "Task", "Resource": LAMBDA,
        "Arguments": {"n": "{% $states.input.n %}"},
        "Output": {"in": "{% $states.input %}", "out": "{% $states.result.doubled %}",
            "state": "{% $states.context.State.Name %}",
            "execution": "{% $states.context.Execution.Name %}",
            "started": "{% $states.context.Execution.StartTime %}"},
        "End": true}}));
    let result = run_with(&tasks, def, json!({"n": 21})).await;
    assert_eq!(
        output(&result),
        json!({"in": {"n": 21}, "out": 42, "state": "S", "execution": "test-execution",
            "started": "2024-01-01T00:00:00.000Z"})
    );
    assert_eq!(tasks.call_inputs(), [json!({"n": 21})]);
}

#[tokio::test(start_paused = true)]
async fn defaults_task_output_is_the_result_pass_output_the_input() {
    // Transforming data: without Arguments a task gets the state input; without Output a
    // state's output is $states.result (Task, Parallel, Map) or its input.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |call| Ok(json!({"got": call.input.clone()})));
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true}}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({"a": 1})).await),
        json!({"got": {"a": 1}})
    );
}

#[tokio::test(start_paused = true)]
async fn whole_field_expression_and_literals_of_every_type() {
    // Transforming data: Output accepts any JSON value; only strings written {% %} are
    // evaluated, at any depth (objects and arrays).
    let def = jsonata(json!({"S": {"Type": "Pass",
        "Output": {"n": 1, "b": true, "z": null, "s": "plain", "list": [1, "{% 1 + 1 %}", {"x": "{% $uppercase('a') %}"}]},
        "Next": "Whole"},
        "Whole": {"Type": "Pass", "Output": "{% $states.input.list[2].x & '!' %}", "End": true}}));
    assert_eq!(output(&run(def, json!({})).await), json!("A!"));
}

#[tokio::test(start_paused = true)]
async fn assign_and_output_both_see_the_variables_from_before_the_state() {
    // Variables guide, "Variable evaluation order": Assign and Output are evaluated with the
    // values variables had when the state was entered; new values are visible in later states.
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Assign": {"x": 1}, "Next": "T"},
        "T": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}"}, "Output": {"during": "{% $x %}"}, "Next": "U"},
        "U": {"Type": "Pass", "Output": {"during": "{% $states.input.during %}", "after": "{% $x %}"}, "End": true}}));
    assert_eq!(
        output(&run(def, json!({})).await),
        json!({"during": 1, "after": 2})
    );
}

#[tokio::test(start_paused = true)]
async fn assignments_in_one_state_are_parallel() {
    // Variables guide: all assignments of one Assign read the values from before it, so
    // swapping two variables needs no temporary.
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}"}, "Next": "Out"},
        "Out": {"Type": "Pass", "Output": {"a": "{% $a %}", "b": "{% $b %}"}, "End": true}}));
    assert_eq!(output(&run(def, json!({})).await), json!({"a": 2, "b": 1}));
}

#[tokio::test(start_paused = true)]
async fn variables_cross_query_languages() {
    // Variables guide: variables work in both query languages; a JSONPath state reads one as
    // `$name`, a JSONata state as `{% $name %}`.
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"fromPath.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata",
            "Assign": {"fromJsonata": "{% $fromPath * 10 %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"p.$": "$fromPath", "j.$": "$fromJsonata"}, "End": true}}});
    assert_eq!(
        output(&run(def, json!({"v": 4})).await),
        json!({"p": 4, "j": 40})
    );
}

#[tokio::test(start_paused = true)]
async fn choice_conditions_with_rule_output_and_assign() {
    // Choice state (JSONata): each rule's Condition is a JSONata boolean; a matched rule
    // may carry its own Assign and Output.
    let def = jsonata(json!({
        "S": {"Type": "Choice", "Assign": {"checked": true}, "Output": {"route": "default"},
            "Choices": [
                {"Condition": "{% $states.input.type = 'Private' %}", "Next": "Done",
                 "Output": {"route": "private"}, "Assign": {"kind": "{% $states.input.type %}"}},
                {"Condition": "{% $states.input.value > 20 and $states.input.value < 30 %}", "Next": "Done"}],
            "Default": "Done"},
        "Done": {"Type": "Pass", "Output": {"out": "{% $states.input %}",
            "kind": "{% $exists($kind) ? $kind : 'none' %}", "checked": "{% $checked %}"}, "End": true}}));
    assert_eq!(
        output(&run(def.clone(), json!({"type": "Private"})).await),
        json!({"out": {"route": "private"}, "kind": "Private", "checked": true})
    );
    assert_eq!(
        output(&run(def.clone(), json!({"type": "Public", "value": 25})).await),
        json!({"out": {"route": "default"}, "kind": "none", "checked": true})
    );
}

#[tokio::test(start_paused = true)]
async fn a_condition_that_is_not_boolean_fails_and_no_match_without_default_fails() {
    let def = jsonata(json!({"S": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n %}", "Next": "Done"}]}, "Done": {"Type": "Succeed"}}));
    let (error, cause) = failure(&run(def.clone(), json!({"n": 1})).await);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(cause.contains("'Choices[0]/Condition'"), "{cause}");
    let def = jsonata(json!({"S": {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n > 5 %}", "Next": "Done"}]}, "Done": {"Type": "Succeed"}}));
    let (error, _) = failure(&run(def, json!({"n": 1})).await);
    assert_eq!(error, "States.NoChoiceMatched");
}

#[tokio::test(start_paused = true)]
async fn undefined_fails_with_awss_cause_naming_the_field() {
    // AWS: "An error occurred while executing the state 'S' (entered at the event id #2).
    // The JSONata expression '$states.input.missing' specified for the field 'Output'
    // returned nothing (undefined)."
    let def = jsonata(
        json!({"S": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": true}}),
    );
    assert_eq!(
        failure(&run(def, json!({})).await),
        (
            "States.QueryEvaluationError".to_owned(),
            "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined).".to_owned()
        )
    );
    let def = jsonata(
        json!({"S": {"Type": "Pass", "Output": {"a": {"b": [0, "{% $nope %}"]}}, "End": true}}),
    );
    let (_, cause) = failure(&run(def, json!({})).await);
    assert!(cause.ends_with("The JSONata expression '$nope' specified for the field 'Output/a/b[1]' returned nothing (undefined)."), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn an_evaluation_error_is_a_query_evaluation_error_a_catch_can_take() {
    // Transforming data, error handling: a failing expression raises
    // States.QueryEvaluationError, which Retry and Catch can match.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| Ok(json!({"n": "text"})));
    let def = jsonata(json!({
        "S": {"Type": "Task", "Resource": LAMBDA, "Output": "{% $states.result.n + 1 %}",
            "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Handled",
                "Output": {"error": "{% $states.errorOutput.Error %}", "input": "{% $states.input %}"}}],
            "End": true},
        "Handled": {"Type": "Succeed"}}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({"x": 1})).await),
        json!({"error": "States.QueryEvaluationError", "input": {"x": 1}})
    );
    let def =
        jsonata(json!({"S": {"Type": "Pass", "Output": "{% $states.input.n + 1 %}", "End": true}}));
    let (_, cause) = failure(&run(def, json!({"n": "text"})).await);
    assert!(
        cause.contains("The JSONata expression '$states.input.n + 1' specified for the field 'Output' threw an error during evaluation. T2001:"),
        "{cause}"
    );
}

#[tokio::test(start_paused = true)]
async fn catch_assign_and_default_output_is_the_error_output() {
    // Variables guide: Catch can Assign from $states.errorOutput; without Output a catcher
    // passes the error output on.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |_| {
        Err(TaskFailure::new("Custom.Error", "went wrong"))
    });
    let def = jsonata(json!({
        "S": {"Type": "Task", "Resource": LAMBDA, "Assign": {"never": 1},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Report",
                "Assign": {"errorType": "{% $states.errorOutput.Error %}"}}],
            "End": true},
        "Report": {"Type": "Pass", "Output": {"caught": "{% $states.input %}", "type": "{% $errorType %}",
            "never": "{% $exists($never) %}"}, "End": true}}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({})).await),
        json!({"caught": {"Error": "Custom.Error", "Cause": "went wrong"}, "type": "Custom.Error", "never": false})
    );
}

#[tokio::test(start_paused = true)]
async fn wait_seconds_and_timestamp_as_expressions() {
    // Wait state: in JSONata states, Seconds and Timestamp may be expressions.
    let def = jsonata(json!({
        "S": {"Type": "Wait", "Seconds": "{% $states.input.delay * 2 %}", "Next": "T"},
        "T": {"Type": "Wait", "Timestamp": "{% $states.input.until %}", "Next": "Now"},
        "Now": {"Type": "Pass", "Output": "{% $now() %}", "End": true}}));
    let result = run(def, json!({"delay": 5, "until": "2024-01-01T00:01:00Z"})).await;
    assert_eq!(output(&result), json!("2024-01-01T00:01:00.000Z"));
    let bad = jsonata(json!({"S": {"Type": "Wait", "Seconds": "{% 'soon' %}", "End": true}}));
    let (error, cause) = failure(&run(bad, json!({})).await);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains("specified for the field 'Seconds' must evaluate to a non-negative integer"),
        "{cause}"
    );
}

#[tokio::test(start_paused = true)]
async fn fail_error_and_cause_as_expressions() {
    // Fail state: "In JSONata states, you can also specify a JSONata expression."
    let def = jsonata(
        json!({"S": {"Type": "Fail", "Error": "{% 'Order.' & $states.input.code %}",
        "Cause": "{% 'order ' & $string($states.input.id) & ' rejected' %}"}}),
    );
    assert_eq!(
        failure(&run(def, json!({"code": "Rejected", "id": 7})).await),
        ("Order.Rejected".to_owned(), "order 7 rejected".to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn task_timeout_seconds_as_an_expression() {
    let tasks = Tasks::new();
    tasks.on_async(LAMBDA, |_| {
        Box::pin(async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Ok(leadline_asl::dispatch::Completion::Result(json!({})))
        })
    });
    let def = jsonata(json!({"S": {"Type": "Task", "Resource": LAMBDA,
        "TimeoutSeconds": "{% $states.input.limit %}", "End": true}}));
    let (error, _) = failure(&run_with(&tasks, def, json!({"limit": 5})).await);
    assert_eq!(error, "States.Timeout");
}

#[tokio::test(start_paused = true)]
async fn map_items_item_selector_and_scopes() {
    // Map (JSONata): Items selects the array, ItemSelector shapes each item with
    // $states.context.Map.Item; variables guide: an iteration reads outer variables, and
    // what it assigns stays inside it (data leaves through Output only).
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Assign": {"rate": 10}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $states.input.orders %}",
            "MaxConcurrency": "{% 1 %}",
            "ItemSelector": {"index": "{% $states.context.Map.Item.Index %}",
                "price": "{% $states.context.Map.Item.Value.price %}", "currency": "{% $states.input.currency %}"},
            "ItemProcessor": {"StartAt": "Price", "States": {
                "Price": {"Type": "Pass", "Assign": {"inner": true},
                    "Output": {"i": "{% $states.input.index %}", "total": "{% $states.input.price * $rate %}",
                        "c": "{% $states.input.currency %}"}, "End": true}}},
            "Output": {"totals": "{% $states.result.total %}", "inner": "{% $exists($inner) %}"},
            "End": true}}));
    let input = json!({"currency": "EUR", "orders": [{"price": 1}, {"price": 2}]});
    assert_eq!(
        output(&run(def, input).await),
        json!({"totals": [10, 20], "inner": false})
    );
}

#[tokio::test(start_paused = true)]
async fn map_items_must_be_an_array() {
    let def = jsonata(
        json!({"S": {"Type": "Map", "Items": "{% $states.input.one %}",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true}}),
    );
    let (error, cause) = failure(&run(def, json!({"one": {"a": 1}})).await);
    assert_eq!(error, "States.QueryEvaluationError");
    assert!(
        cause.contains("specified for the field 'Items' must evaluate to a JSON array"),
        "{cause}"
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_arguments_outer_variables_and_result() {
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Assign": {"greeting": "hello"}, "Next": "P"},
        "P": {"Type": "Parallel", "Arguments": {"name": "{% $states.input.name %}"},
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass",
                    "Output": "{% $greeting & ' ' & $states.input.name %}", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"greeting": "shadowed"},
                    "Output": "{% $uppercase($states.input.name) %}", "End": true}}}],
            "Assign": {"count": "{% $count($states.result) %}"},
            "Next": "Out"},
        "Out": {"Type": "Pass", "Output": {"r": "{% $states.input %}", "g": "{% $greeting %}", "n": "{% $count %}"}, "End": true}}));
    assert_eq!(
        output(&run(def, json!({"name": "ada"})).await),
        json!({"r": ["hello ada", "ADA"], "g": "hello", "n": 2})
    );
}

#[tokio::test(start_paused = true)]
async fn distributed_map_children_do_not_see_outer_variables() {
    let def = jsonata(json!({
        "S": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
        "M": {"Type": "Map", "Items": [1, 2],
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $exists($outer) %}", "End": true}}},
            "End": true}}));
    assert_eq!(output(&run(def, json!({})).await), json!([false, false]));
}

#[tokio::test(start_paused = true)]
async fn the_functions_step_functions_adds() {
    // Transforming data, "JSONata functions provided by Step Functions": $partition,
    // $range, $hash, $random, $uuid, $parse ($eval is not available).
    let def = jsonata(json!({"S": {"Type": "Pass", "Output": {
        "partition": "{% $partition([1,2,3,4], 2) %}",
        "range": "{% $range(0, 10, 2) %}",
        "hash": "{% $hash('abc', 'SHA-256') %}",
        "parse": "{% $parse($states.input.json) %}",
        "uuid": "{% $length($uuid()) %}",
        "random": "{% $random(42) = $random(42) %}"}, "End": true}}));
    assert_eq!(
        output(&run(def, json!({"json": "{\"key\": \"value\"}"})).await),
        json!({"partition": [[1, 2], [3, 4]], "range": [0, 2, 4, 6, 8, 10],
            "hash": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "parse": {"key": "value"}, "uuid": 36, "random": true})
    );
    let def = jsonata(json!({"S": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": true}}));
    assert_eq!(
        failure(&run(def, json!({})).await).0,
        "States.QueryEvaluationError"
    );
}

#[tokio::test(start_paused = true)]
async fn task_credentials_as_an_expression() {
    // Task state: Credentials (RoleArn) accepts JSONata in JSONata states.
    let tasks = Tasks::new();
    tasks.on(LAMBDA, |call| {
        Ok(call.credentials.clone().unwrap_or(Value::Null))
    });
    let def = jsonata(json!({"S": {"Type": "Task", "Resource": LAMBDA,
        "Credentials": {"RoleArn": "{% 'arn:aws:iam::111122223333:role/' & $states.input.role %}"},
        "End": true}}));
    assert_eq!(
        output(&run_with(&tasks, def, json!({"role": "Reader"})).await),
        json!({"RoleArn": "arn:aws:iam::111122223333:role/Reader"})
    );
}

#[tokio::test(start_paused = true)]
async fn expressions_of_one_field_share_states_without_changing_it() {
    // A transform in one expression works on a copy: the next expression still sees the input.
    let def = jsonata(json!({"S": {"Type": "Pass", "Output": {
        "changed": "{% $states.input ~> |$|{'x': 2}| %}",
        "same": "{% $states.input %}",
        "vars": "{% [$v, $v ~> |$|{'y': 1}|, $v] %}"}, "End": true}}));
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"v": {"y": 0}}, "Next": "S"},
        "S": def["States"]["S"].clone()}});
    let mut def = def;
    def["States"]["S"]["QueryLanguage"] = json!("JSONata");
    assert_eq!(
        output(&run(def, json!({"x": 1})).await),
        json!({"changed": {"x": 2}, "same": {"x": 1}, "vars": [{"y": 0}, {"y": 1}, {"y": 0}]})
    );
}
