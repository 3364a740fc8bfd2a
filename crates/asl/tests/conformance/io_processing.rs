//! Input and output processing (Developer Guide: "Input and Output Processing",
//! "ResultPath", "InputPath, Parameters and ResultSelector", "Context object").

use serde_json::json;

use super::common::*;

const ADD: &str = "arn:aws:lambda:us-east-1:123456789012:function:Add";
const HELLO: &str = "arn:aws:lambda:us-east-1:123456789012:function:HelloFunction";

fn adder() -> Tasks {
    let tasks = Tasks::new();
    tasks.on(ADD, |call| {
        let sum =
            call.input["val1"].as_i64().unwrap_or(0) + call.input["val2"].as_i64().unwrap_or(0);
        Ok(json!(sum))
    });
    tasks
}

#[tokio::test(start_paused = true)]
async fn input_result_output_paths_example() {
    // Guide: InputPath "$.numbers", ResultPath "$.sum", OutputPath "$"; the task returns 7.
    let tasks = adder();
    let def = single(
        json!({"Type": "Task", "Resource": ADD, "InputPath": "$.numbers",
        "ResultPath": "$.sum", "OutputPath": "$", "End": true}),
    );
    let result = run_with(
        &tasks,
        def,
        json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}),
    )
    .await;
    assert_eq!(tasks.call_inputs(), vec![json!({"val1": 3, "val2": 4})]);
    assert_eq!(
        output(&result),
        json!({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7})
    );
}

#[tokio::test(start_paused = true)]
async fn output_path_selects_the_sum() {
    // Guide: the same state with "OutputPath": "$.sum" outputs 7.
    let tasks = adder();
    let def = single(
        json!({"Type": "Task", "Resource": ADD, "InputPath": "$.numbers",
        "ResultPath": "$.sum", "OutputPath": "$.sum", "End": true}),
    );
    let result = run_with(&tasks, def, json!({"numbers": {"val1": 3, "val2": 4}})).await;
    assert_eq!(output(&result), json!(7));
}

#[tokio::test(start_paused = true)]
async fn null_input_path_sends_empty_object_and_null_output_path_outputs_it() {
    // Guide: InputPath null → the task receives {}; OutputPath null → {} is sent on.
    let tasks = Tasks::new();
    tasks.on(HELLO, |_| Ok(json!("ignored")));
    let def = single(
        json!({"Type": "Task", "Resource": HELLO, "InputPath": null, "OutputPath": null, "End": true}),
    );
    let result = run_with(&tasks, def, json!({"a": 1})).await;
    assert_eq!(tasks.call_inputs(), vec![json!({})]);
    assert_eq!(output(&result), json!({}));
}

#[tokio::test(start_paused = true)]
async fn input_path_slice_yields_selection() {
    // Guide: applying $.a[0:2] to {"a": [1, 2, 3, 4]} yields [1, 2].
    let def = single(json!({"Type": "Pass", "InputPath": "$.a[0:2]", "End": true}));
    assert_eq!(
        output(&run(def, json!({"a": [1, 2, 3, 4]})).await),
        json!([1, 2])
    );
}

#[tokio::test(start_paused = true)]
async fn reference_path_examples() {
    // Guide: $.foo => 123, $.bar => ["a","b","c"], $.car.cdr => true.
    let input = json!({"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true}});
    for (path, expected) in [
        ("$.foo", json!(123)),
        ("$.bar", json!(["a", "b", "c"])),
        ("$.car.cdr", json!(true)),
    ] {
        let def = single(json!({"Type": "Pass", "InputPath": path, "End": true}));
        assert_eq!(output(&run(def, input.clone()).await), expected, "{path}");
    }
}

fn hello_tasks() -> Tasks {
    let tasks = Tasks::new();
    tasks.on(HELLO, |call| {
        Ok(json!(format!(
            "Hello, {}!",
            call.input["who"].as_str().unwrap_or("")
        )))
    });
    tasks
}

#[tokio::test(start_paused = true)]
async fn result_path_default_replaces_input() {
    let tasks = hello_tasks();
    let def = single(json!({"Type": "Task", "Resource": HELLO, "End": true}));
    let input = json!({"comment": "This is a test of the input and output of a Task state.",
        "details": "Default example", "who": "AWS Step Functions"});
    assert_eq!(
        output(&run_with(&tasks, def, input).await),
        json!("Hello, AWS Step Functions!")
    );
}

#[tokio::test(start_paused = true)]
async fn result_path_includes_result_with_input() {
    let tasks = hello_tasks();
    let def = single(
        json!({"Type": "Task", "Resource": HELLO, "ResultPath": "$.taskresult", "End": true}),
    );
    let input = json!({"comment": "This is a test of input and output of a Task state.",
        "details": "Default behavior example", "who": "AWS Step Functions"});
    assert_eq!(
        output(&run_with(&tasks, def, input).await),
        json!({"comment": "This is a test of input and output of a Task state.",
            "details": "Default behavior example", "who": "AWS Step Functions",
            "taskresult": "Hello, AWS Step Functions!"})
    );
}

#[tokio::test(start_paused = true)]
async fn result_path_into_child_node() {
    let tasks = hello_tasks();
    let def = single(
        json!({"Type": "Task", "Resource": HELLO, "ResultPath": "$.strings.lambdaresult", "End": true}),
    );
    let input = json!({"comment": "An input comment.",
        "strings": {"string1": "foo", "string2": "bar", "string3": "baz"}, "who": "AWS Step Functions"});
    assert_eq!(
        output(&run_with(&tasks, def, input).await),
        json!({"comment": "An input comment.",
            "strings": {"string1": "foo", "string2": "bar", "string3": "baz",
                "lambdaresult": "Hello, AWS Step Functions!"},
            "who": "AWS Step Functions"})
    );
}

#[tokio::test(start_paused = true)]
async fn result_path_overwrites_existing_node() {
    let tasks = hello_tasks();
    let def =
        single(json!({"Type": "Task", "Resource": HELLO, "ResultPath": "$.comment", "End": true}));
    let input = json!({"comment": "This is a test of the input and output of a Task state.",
        "details": "Default behavior example", "who": "AWS Step Functions"});
    assert_eq!(
        output(&run_with(&tasks, def, input).await),
        json!({"comment": "Hello, AWS Step Functions!", "details": "Default behavior example",
            "who": "AWS Step Functions"})
    );
}

#[tokio::test(start_paused = true)]
async fn result_path_null_discards_result() {
    let tasks = hello_tasks();
    let def = single(json!({"Type": "Task", "Resource": HELLO, "ResultPath": null, "End": true}));
    let input =
        json!({"comment": "This is a test", "details": "Default example", "who": "Step Functions"});
    assert_eq!(output(&run_with(&tasks, def, input.clone()).await), input);
}

#[tokio::test(start_paused = true)]
async fn result_path_on_non_object_fails_with_result_path_match_failure() {
    // ASL spec: a ResultPath that cannot be applied raises States.ResultPathMatchFailure.
    let def = single(json!({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true}));
    let (error, cause) = failure(&run(def, json!({"a": "text"})).await);
    assert_eq!(error, "States.ResultPathMatchFailure");
    assert!(cause.contains("$.a.b"), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn parameters_example() {
    // Guide, "Parameters": select what I care about, with a static value.
    let tasks = Tasks::new();
    tasks.on(HELLO, |call| Ok(call.input.clone()));
    let def = single(json!({"Type": "Task", "Resource": HELLO, "End": true,
        "Parameters": {"comment": "Selecting what I care about.",
            "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability", "StaticValue": "foo"}}}));
    let input = json!({"comment": "Example for Parameters.",
        "product": {"details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock", "sku": "2317", "cost": "$23"}});
    let result = run_with(&tasks, def, input).await;
    assert_eq!(
        tasks.call_inputs(),
        vec![json!({"comment": "Selecting what I care about.",
            "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}})]
    );
    output(&result);
}

#[tokio::test(start_paused = true)]
async fn parameters_spec_example_with_slice() {
    // ASL spec, Parameters: "first.$": "$.vals[0]", "last3.$": "$.vals[3:]".
    let def = single(json!({"Type": "Pass", "End": true,
        "Parameters": {"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"}}}));
    let result = run(def, json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]})).await;
    assert_eq!(
        output(&result),
        json!({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]}})
    );
}

#[tokio::test(start_paused = true)]
async fn parameters_path_not_found_is_a_runtime_error() {
    // AWS fails the execution with States.Runtime naming the state, the path and the field.
    let def =
        single(json!({"Type": "Pass", "Parameters": {"missing.$": "$.nope.deep"}, "End": true}));
    let (error, cause) = failure(&run(def, json!({"other": 1})).await);
    assert_eq!(error, "States.Runtime");
    assert_eq!(
        cause,
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found in the input '{\"other\":1}'"
    );
}

#[tokio::test(start_paused = true)]
async fn input_path_not_found_is_a_runtime_error() {
    let def = single(json!({"Type": "Pass", "InputPath": "$.list.length()", "End": true}));
    let (error, cause) = failure(&run(def, json!({"list": [1, 2]})).await);
    assert_eq!(error, "States.Runtime");
    assert!(cause.starts_with("An error occurred while executing the state 'S' (entered at the event id #2). Invalid path '$.list.length()'"), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn result_selector_example() {
    // Guide, ResultSelector: pick ClusterId and resourceType from an EMR result, then ResultPath.
    let emr = "arn:aws:states:::elasticmapreduce:createCluster.sync";
    let tasks = Tasks::new();
    tasks.on(emr, |_| Ok(json!({"resourceType": "elasticmapreduce", "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": "1234-5678"},
            "ClusterId": "AKIAIOSFODNN7EXAMPLE"}})));
    let def = single(json!({"Type": "Task", "Resource": emr, "End": true,
        "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
        "ResultPath": "$.EMROutput"}));
    let result = run_with(&tasks, def, json!({"cluster": "demo"})).await;
    assert_eq!(
        output(&result),
        json!({"cluster": "demo", "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}})
    );
}

#[tokio::test(start_paused = true)]
async fn pass_result_and_result_path() {
    // Guide, Pass state: Result {"x-datum": 0.381018, "y-datum": 622.2269926397355} at $.coords.
    let def = single(
        json!({"Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
        "ResultPath": "$.coords", "End": true}),
    );
    let result = run(def, json!({"georefOf": "Home"})).await;
    assert_eq!(
        output(&result),
        json!({"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}})
    );
}

#[tokio::test(start_paused = true)]
async fn context_object_fields() {
    let def = single(json!({"Type": "Pass", "End": true, "Parameters": {
        "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
        "start.$": "$$.Execution.StartTime", "state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime",
        "retries.$": "$$.State.RetryCount", "machine.$": "$$.StateMachine.Name", "machineId.$": "$$.StateMachine.Id"}}));
    let result = run(def, json!({"k": "v"})).await;
    assert_eq!(
        output(&result),
        json!({
            "id": "arn:aws:states:us-east-1:123456789012:execution:Conformance:test-execution",
            "name": "test-execution", "input": {"k": "v"}, "start": "2024-01-01T00:00:00.000Z",
            "state": "S", "entered": "2024-01-01T00:00:00.000Z", "retries": 0, "machine": "Conformance",
            "machineId": "arn:aws:states:us-east-1:123456789012:stateMachine:Conformance"})
    );
}

#[tokio::test(start_paused = true)]
async fn context_object_in_input_path() {
    // Context object paths are accepted outside Parameters (asl-validator issue #65).
    let def = single(
        json!({"Type": "Pass", "InputPath": "$$.Execution.Name", "ResultPath": "$.by", "End": true}),
    );
    assert_eq!(
        output(&run(def, json!({})).await),
        json!({"by": "test-execution"})
    );
}

#[tokio::test(start_paused = true)]
async fn variables_assign_and_read() {
    // Variables: Assign in one state, read with $name later (also inside a Map iteration).
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"threshold": 3, "who.$": "$.name"}, "Next": "B"},
        "B": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Pass", "Parameters": {"v.$": "$", "t.$": "$threshold", "w.$": "$who"}, "End": true}}},
            "ResultPath": "$.mapped", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$threshold", "NumericEquals": 3, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let result = run(def, json!({"name": "Ada", "items": [1, 2]})).await;
    assert_eq!(
        output(&result)["mapped"],
        json!([{"v": 1, "t": 3, "w": "Ada"}, {"v": 2, "t": 3, "w": "Ada"}])
    );
}

#[tokio::test(start_paused = true)]
async fn assign_uses_values_from_before_the_state() {
    // Variables guide: all assignments in one Assign see the values from before the state.
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": 2, "y.$": "$x"}, "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"}, "End": true}}});
    assert_eq!(output(&run(def, json!({})).await), json!({"x": 2, "y": 1}));
}

#[tokio::test(start_paused = true)]
async fn data_limit_exceeded() {
    // 256 KiB is the payload quota; exceeding it fails with States.DataLimitExceeded.
    let def = single(
        json!({"Type": "Pass", "Parameters": {"big.$": "States.ArrayRange(1, 1000, 1)",
        "s.$": "$.s"}, "End": true}),
    );
    let big = "x".repeat(300 * 1024);
    let (error, _) = failure(&run(def, json!({"s": big})).await);
    assert_eq!(error, "States.DataLimitExceeded");
}

#[tokio::test(start_paused = true)]
async fn wait_states_sleep_on_the_injected_clock() {
    let def = json!({"StartAt": "W1", "States": {
        "W1": {"Type": "Wait", "Seconds": 10, "Next": "W2"},
        "W2": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "W3"},
        "W3": {"Type": "Wait", "Timestamp": "2024-01-01T01:00:00Z", "Next": "W4"},
        "W4": {"Type": "Wait", "TimestampPath": "$.past", "Next": "T"},
        "T": {"Type": "Pass", "Parameters": {"now.$": "$$.State.EnteredTime"}, "End": true}}});
    let result = run(def, json!({"delay": 5, "past": "2016-03-14T01:59:00Z"})).await;
    // 10 s, then 5 s, then until 01:00:00; a timestamp in the past does not wait.
    assert_eq!(output(&result), json!({"now": "2024-01-01T01:00:00.000Z"}));
}

#[tokio::test(start_paused = true)]
async fn wait_timestamp_path_must_be_a_timestamp() {
    let def = single(json!({"Type": "Wait", "TimestampPath": "$.when", "End": true}));
    let (error, _) = failure(&run(def, json!({"when": "tomorrow"})).await);
    assert_eq!(error, "States.Runtime");
}

#[tokio::test(start_paused = true)]
async fn context_object_guide_sqs_example() {
    // Guide, "Accessing the context object": pass the execution ARN in an SQS message.
    let sqs = "arn:aws:states:::sqs:sendMessage";
    let tasks = Tasks::new();
    tasks.on(sqs, |call| Ok(call.input.clone()));
    let def = json!({"StartAt": "Order Flight Ticket Queue", "States": {"Order Flight Ticket Queue": {
        "Type": "Task", "Resource": sqs, "End": true, "Parameters": {
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/flight-purchase",
            "MessageBody": {"From": "YVR", "To": "SEA", "Execution.$": "$$.Execution.Id"}}}}});
    run_with(&tasks, def, json!({})).await;
    assert_eq!(
        tasks.call_inputs()[0]["MessageBody"],
        json!({"From": "YVR", "To": "SEA",
            "Execution": "arn:aws:states:us-east-1:123456789012:execution:Conformance:test-execution"})
    );
}

#[tokio::test(start_paused = true)]
async fn wait_guide_examples() {
    // Guide, "Wait": Seconds, Timestamp, TimestampPath ($.expirydate) and SecondsPath ($.expiryseconds).
    for (wait, input, expected_wall) in [
        (
            json!({"Seconds": 10}),
            json!({}),
            "2024-01-01T00:00:10.000Z",
        ),
        (
            json!({"Timestamp": "2024-01-01T00:01:00Z"}),
            json!({}),
            "2024-01-01T00:01:00.000Z",
        ),
        (
            json!({"TimestampPath": "$.expirydate"}),
            json!({"expirydate": "2024-01-01T02:00:00Z"}),
            "2024-01-01T02:00:00.000Z",
        ),
        (
            json!({"SecondsPath": "$.expiryseconds"}),
            json!({"expiryseconds": 3}),
            "2024-01-01T00:00:03.000Z",
        ),
    ] {
        let mut w = wait.clone();
        w["Type"] = json!("Wait");
        w["Next"] = json!("T");
        let def = json!({"StartAt": "W", "States": {"W": w,
            "T": {"Type": "Pass", "Parameters": {"at.$": "$$.State.EnteredTime"}, "End": true}}});
        assert_eq!(
            output(&run(def, input).await),
            json!({"at": expected_wall}),
            "{wait}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn oversized_execution_input_fails_at_once() {
    let def = single(json!({"Type": "Pass", "End": true}));
    let result = run(def, json!({"s": "z".repeat(257 * 1024)})).await;
    assert_eq!(failure(&result).0, "States.DataLimitExceeded");
    use leadline_asl::history::EventType::*;
    assert_eq!(
        event_types(&result),
        vec![ExecutionStarted, ExecutionFailed]
    );
}
