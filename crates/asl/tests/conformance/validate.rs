//! Definition validation: every problem, with its JSON pointer, in AWS's diagnostic style.

use leadline_asl::{validate, ValidateOptions, WorkflowType};
use serde_json::{json, Value};

fn problems(def: Value) -> Vec<String> {
    validate(&def, ValidateOptions::default())
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn has(problems: &[String], needle: &str) -> bool {
    problems.iter().any(|p| p.contains(needle))
}

#[test]
fn a_valid_machine_has_no_problems() {
    let def = json!({"Comment": "ok", "StartAt": "A", "TimeoutSeconds": 60, "Version": "1.0", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "C"}], "Default": "D"},
        "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "Retry": [{"ErrorEquals": ["Lambda.ServiceException"]}, {"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "D", "ResultPath": "$.error"}], "Next": "W"},
        "W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "D"},
        "D": {"Type": "Succeed"}}});
    assert_eq!(problems(def), Vec::<String>::new());
}

#[test]
fn unknown_fields_and_types() {
    let p = problems(json!({"StartAt": "A", "Foo": 1, "States": {
        "A": {"Type": "Pass", "End": true, "Bogus": 1},
        "B": {"Type": "Teleport", "End": true}}}));
    assert!(
        has(
            &p,
            "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported by Step Functions at /Foo"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/Bogus"), "{p:#?}");
    assert!(has(&p, "The value of 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map] at /States/B/Type"), "{p:#?}");
}

#[test]
fn missing_next_or_end_and_both() {
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass"}, "B": {"Type": "Pass", "Next": "A", "End": true}}}));
    assert!(
        has(&p, "These fields are required: [Next | End] at /States/A"),
        "{p:#?}"
    );
    assert!(
        has(&p, "'Next' and 'End' are mutually exclusive at /States/B"),
        "{p:#?}"
    );
}

#[test]
fn transitions_to_missing_states_and_unreachable_states() {
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Nowhere"},
        "Island": {"Type": "Succeed"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "Gone"}], "Default": "Lost"}}}));
    assert!(
        has(
            &p,
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/A/Next"
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "Missing 'Next' target: Gone at /States/C/Choices/0/Next"
        ),
        "{p:#?}"
    );
    assert!(
        has(&p, "Missing 'Next' target: Lost at /States/C/Default"),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "UNREACHABLE_STATE: State \"Island\" is not reachable. at /States/Island"
        ),
        "{p:#?}"
    );
    let p = problems(json!({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}));
    assert!(has(&p, "Missing 'Next' target: X at /StartAt"), "{p:#?}");
}

#[test]
fn states_all_alone_and_last() {
    let p = problems(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL", "X"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["Y"], "Next": "F"}]},
        "F": {"Type": "Fail"}}}));
    assert!(has(&p, "States.ALL must appear alone in its ErrorEquals array at /States/T/Retry/0/ErrorEquals"), "{p:#?}");
    assert!(has(&p, "States.ALL must appear only in the last Catch element at /States/T/Catch/0/ErrorEquals"), "{p:#?}");
}

#[test]
fn bad_paths_and_intrinsics() {
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "InputPath": "nope", "ResultPath": "$.a[*]", "OutputPath": "$.a[",
            "Parameters": {"x.$": "States.Nope(1)", "y.$": "States.Format('{}')", "z.$": "$$.Execution.Id", "deep": {"w.$": 3}},
            "End": true}}}));
    assert!(
        has(
            &p,
            "Value must be a valid JSONPath. (invalid JSONPath 'nope'"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/InputPath"), "{p:#?}");
    assert!(
        has(
            &p,
            "Value must be a valid ReferencePath. at /States/A/ResultPath"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/OutputPath"), "{p:#?}");
    assert!(
        has(&p, "unknown intrinsic function 'States.Nope'"),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/Parameters/x.$"), "{p:#?}");
    assert!(
        has(&p, "States.Format has 1 placeholder(s) but 0 argument(s)"),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/Parameters/deep/w.$"), "{p:#?}");
    assert!(!has(&p, "/Parameters/z.$"), "{p:#?}");
}

#[test]
fn invalid_timestamp() {
    let p = problems(json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Timestamp": "2016-03-14 01:59:00", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.t", "TimestampEquals": "yesterday", "Next": "W"}], "Default": "D"},
        "D": {"Type": "Succeed"}}}));
    assert!(
        has(&p, "Value is not a valid timestamp at /States/W/Timestamp"),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/C/Choices/0/TimestampEquals"), "{p:#?}");
}

#[test]
fn mixed_query_languages() {
    let p = problems(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.x", "End": true}}}),
    );
    // AWS's ValidateStateMachineDefinition wording.
    assert!(has(&p, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/A/QueryLanguage"), "{p:#?}");
    assert!(has(&p, "The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/B/InputPath"), "{p:#?}");
    let p = problems(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {}, "End": true}}}),
    );
    assert!(has(&p, "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A/Output"), "{p:#?}");
    // A JSONata state in a JSONPath machine is allowed.
    let p = problems(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "End": true}}}),
    );
    assert_eq!(p, Vec::<String>::new());
}

#[test]
fn sync_and_callback_patterns_in_express() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}});
    assert!(validate(&def, ValidateOptions::default()).is_empty());
    let p: Vec<String> = validate(
        &def,
        ValidateOptions {
            workflow_type: WorkflowType::Express,
        },
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    assert!(
        has(&p, "at /States/A/Resource") && has(&p, "at /States/B/Resource"),
        "{p:#?}"
    );
    // A distributed Map running EXPRESS children has the same restriction inside.
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": true}}}}}});
    let p = problems(def);
    assert!(
        has(&p, "at /States/M/ItemProcessor/States/T/Resource"),
        "{p:#?}"
    );
}

#[test]
fn choice_rule_problems() {
    let p = problems(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.x", "NumericEquals": "1", "Next": "D"},
            {"Variable": "$.x", "Next": "D"},
            {"And": [{"Variable": "$.x", "IsNull": true, "Next": "D"}], "Next": "D"},
            {"Variable": "$.x", "StringEqualsPath": "not a path", "Next": "D"}]},
        "D": {"Type": "Succeed"}}}));
    assert!(
        has(
            &p,
            "'NumericEquals' must be a number at /States/C/Choices/0/NumericEquals"
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "exactly one comparison operator or And/Or/Not at /States/C/Choices/1"
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "Field 'Next' is not supported in a Choice rule at /States/C/Choices/2/And/0/Next"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/C/Choices/3/StringEqualsPath"), "{p:#?}");
}

#[test]
fn other_shape_rules() {
    let p = problems(json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "Next": "T"},
        "T": {"Type": "Task", "Resource": "not-an-arn", "TimeoutSeconds": 5, "HeartbeatSeconds": 10, "Next": "R"},
        "R": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "F",
            "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5, "MaxAttempts": -1, "JitterStrategy": "SOME"}]},
        "F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}}));
    assert!(
        has(
            &p,
            "exactly one of [Seconds, Timestamp, SecondsPath, TimestampPath] at /States/W"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "INVALID_RESOURCE"), "{p:#?}");
    assert!(has(&p, "'HeartbeatSeconds' must be smaller than 'TimeoutSeconds' at /States/T/HeartbeatSeconds"), "{p:#?}");
    assert!(has(&p, "at /States/R/Retry/0/BackoffRate"), "{p:#?}");
    assert!(has(&p, "at /States/R/Retry/0/MaxAttempts"), "{p:#?}");
    assert!(has(&p, "at /States/R/Retry/0/JitterStrategy"), "{p:#?}");
    assert!(
        has(
            &p,
            "'Error' and 'ErrorPath' are mutually exclusive at /States/F"
        ),
        "{p:#?}"
    );
}

#[test]
fn nested_graphs_are_validated_and_names_are_unique() {
    let p = problems(json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "P"}}},
            {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]}}}));
    assert!(
        has(
            &p,
            "Missing 'Next' target: P at /States/P/Branches/0/States/X/Next"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "Duplicate state name 'X'"), "{p:#?}");
}

#[test]
fn invalid_json_text() {
    let e = leadline_asl::parse_str("{not json", ValidateOptions::default()).unwrap_err();
    assert!(e.0[0].to_string().starts_with("INVALID_JSON_DESCRIPTION"));
}

#[test]
fn distributed_only_fields_need_distributed_mode() {
    let p = problems(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailureCount": 1, "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
    );
    assert!(
        has(
            &p,
            "only supported in DISTRIBUTED mode at /States/M/ToleratedFailureCount"
        ),
        "{p:#?}"
    );
}

#[test]
fn item_batcher_needs_a_limit() {
    let p = problems(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemBatcher": {"BatchInput": {}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
    );
    assert!(has(&p, "'ItemBatcher' needs MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path) at /States/M/ItemBatcher"), "{p:#?}");
}

#[test]
fn retry_and_catch_must_be_arrays_of_objects() {
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "B",
              "Retry": {"ErrorEquals": ["States.ALL"]},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}, "oops"]},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Retry": [7], "Catch": "everything"}}}));
    for expected in [
        "'Retry' must be an array at /States/A/Retry",
        "A catcher must be an object at /States/A/Catch/1",
        "A retrier must be an object at /States/B/Retry/0",
        "'Catch' must be an array at /States/B/Catch",
    ] {
        assert!(has(&p, expected), "{expected}: {p:#?}");
    }
}

#[test]
fn jsonata_expressions_are_parsed_and_located() {
    let p = problems(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": {"v": ["ok", "{% a[1,2) %}"]}, "Next": "B"},
        "B": {"Type": "Pass", "Output": {"v": "{% phone.number %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Assign": {"x": "{% $$.Execution %}"}, "Next": "D"},
        "D": {"Type": "Wait", "Seconds": "{% $states.input. %}", "Next": "E"},
        "E": {"Type": "Choice", "Choices": [{"Condition": "{% 1 = %}", "Next": "F"}, {"Condition": true, "Next": "F"}, {"Next": "F"}]},
        "F": {"Type": "Fail", "Cause": "{% ( %}"}}}),
    );
    assert!(
        has(
            &p,
            "INVALID_JSONATA_EXPRESSION: Invalid JSONata expression 'a[1,2)'"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/A/Output/v/1"), "{p:#?}");
    // AWS: "Reference to 'phone' at the top level is not supported." (states have no
    // context item; write $states.input.phone).
    assert!(has(&p, "UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/B/Output/v"), "{p:#?}");
    assert!(has(&p, "UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not supported. at /States/C/Assign/x"), "{p:#?}");
    assert!(has(&p, "INVALID_JSONATA_EXPRESSION"), "{p:#?}");
    assert!(
        p.iter().any(|d| d.ends_with("at /States/D/Seconds")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|d| d.ends_with("at /States/E/Choices/0/Condition")),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "The value of 'Condition' must be a JSONata expression string"
        ),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "These fields are required: [Condition] at /States/E/Choices/2"
        ),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|d| d.ends_with("at /States/F/Cause")),
        "{p:#?}"
    );
}

#[test]
fn jsonata_literals_are_still_checked() {
    let p = problems(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Wait", "Seconds": -1, "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": "soon", "End": true}}}),
    );
    assert!(has(&p, "at /States/A/Seconds"), "{p:#?}");
    assert!(has(&p, "at /States/B/TimeoutSeconds"), "{p:#?}");
}

#[test]
fn variable_names_and_the_reserved_states() {
    // Variables guide: names start with a letter or underscore, continue with letters,
    // digits or underscores, at most 80 characters; $states is reserved.
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"ok_1": 1, "1bad": 2, "has space": 3, "states": 4}, "Next": "B"},
        "B": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"states": "{% 1 %}", "fine": "{% 2 %}"}, "End": true}}}));
    assert!(
        has(
            &p,
            "'1bad' is not a valid variable name at /States/A/Assign/1bad"
        ),
        "{p:#?}"
    );
    assert!(
        has(&p, "'has space' is not a valid variable name"),
        "{p:#?}"
    );
    assert!(
        has(
            &p,
            "'states' is a reserved variable name ($states) at /States/A/Assign/states"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "at /States/B/Assign/states"), "{p:#?}");
    assert!(!has(&p, "ok_1") && !has(&p, "fine"), "{p:#?}");
}

#[test]
fn variable_names_are_at_most_80_characters_of_any_script() {
    // Variables guide: a name is at most 80 characters; letters need not be ASCII.
    let long = "a".repeat(81);
    let accented = "é".repeat(80);
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {(long.clone()): 1, (accented.clone()): 2, "übung_1": 3}, "End": true}}}));
    assert!(
        has(&p, &format!("'{long}' is not a valid variable name")),
        "{p:#?}"
    );
    assert!(!has(&p, &accented) && !has(&p, "übung_1"), "{p:#?}");
}

#[test]
fn catchers_follow_their_states_query_language() {
    let p = problems(json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [
            {"ErrorEquals": ["States.ALL"], "Output": {}, "Next": "B"}], "Next": "B"},
        "B": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke", "Catch": [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Output": "{% $states.errorOutput %}", "Next": "C"}], "Next": "C"},
        "C": {"Type": "Succeed"}}}));
    assert!(has(&p, "field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A/Catch/0/Output"), "{p:#?}");
    assert!(has(&p, "field 'ResultPath' is only supported for the 'JSONPath' QueryLanguage at /States/B/Catch/0/ResultPath"), "{p:#?}");
    assert_eq!(p.len(), 2, "{p:#?}");
}

#[test]
fn nested_states_take_the_machines_query_language() {
    // Inside Parallel branches and Map processors, a state without QueryLanguage uses the
    // state machine's, and the branch or processor object itself has no QueryLanguage.
    let p = problems(json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "QueryLanguage": "JSONata", "Branches": [
            {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$.x", "End": true}}}],
            "End": true}}}));
    assert!(has(&p, "Field 'QueryLanguage' is not supported by Step Functions at /States/P/Branches/0/QueryLanguage"), "{p:#?}");
    assert_eq!(p.len(), 1, "{p:#?}");
}

#[test]
fn a_complete_jsonata_machine_is_valid() {
    let p = problems(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
            "TimeoutSeconds": "{% $states.input.timeout %}", "HeartbeatSeconds": 5,
            "Assign": {"id": "{% $states.result.Payload.id %}"}, "Output": "{% $states.result.Payload %}",
            "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err": "{% $states.errorOutput %}"}, "Output": {}, "Next": "Failed"}],
            "Next": "M"},
        "M": {"Type": "Map", "Items": "{% $states.input.items %}", "MaxConcurrency": "{% 2 %}",
            "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
            "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": "{% $states.input.v %}", "End": true}}},
            "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $id = 1 %}", "Output": {}, "Assign": {"one": true}, "Next": "Done"}], "Default": "Failed"},
        "Failed": {"Type": "Fail", "Error": "{% 'E' %}", "Cause": "literal"},
        "Done": {"Type": "Succeed", "Output": {"id": "{% $id %}"}}}}),
    );
    assert_eq!(p, Vec::<String>::new());
}

#[test]
fn states_error_output_only_in_a_catcher() {
    let p = problems(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Output": "{% $states.errorOutput %}",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}",
                "Assign": {"e": "{% $states.errorOutput.Error %}"}, "Next": "D"}],
            "End": true},
        "D": {"Type": "Succeed"}}}),
    );
    assert_eq!(
        p,
        ["UNSUPPORTED_JSONATA_EXPRESSION: $states.errorOutput is only available in a Catch's Output and Assign. at /States/T/Output"],
        "{p:#?}"
    );
}
