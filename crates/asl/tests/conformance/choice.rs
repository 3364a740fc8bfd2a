//! Choice rules (Developer Guide: "Choice"; ASL spec: "Choice Rules").

use serde_json::{json, Value};

use super::common::*;

/// The guide's ChoiceStateX example; each target is a Pass recording its name.
fn guide_machine() -> Value {
    let mark = |name: &str| json!({"Type": "Pass", "Result": name, "End": true});
    json!({"StartAt": "ChoiceStateX", "States": {
        "ChoiceStateX": {"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}],
            "Default": "DefaultState"},
        "Public": mark("Public"),
        "ValueIsZero": mark("ValueIsZero"),
        "ValueInTwenties": mark("ValueInTwenties"),
        "DefaultState": {"Type": "Fail", "Cause": "No Matches!"}}})
}

#[tokio::test(start_paused = true)]
async fn guide_example_goes_to_value_in_twenties() {
    let result = run(guide_machine(), json!({"type": "Private", "value": 22})).await;
    assert_eq!(output(&result), json!("ValueInTwenties"));
}

#[tokio::test(start_paused = true)]
async fn guide_example_other_branches() {
    assert_eq!(
        output(&run(guide_machine(), json!({"type": "Public", "value": 22})).await),
        json!("Public")
    );
    assert_eq!(
        output(&run(guide_machine(), json!({"type": "Private", "value": 0})).await),
        json!("ValueIsZero")
    );
    let (error, cause) =
        failure(&run(guide_machine(), json!({"type": "Private", "value": 45})).await);
    assert_eq!((error.as_str(), cause.as_str()), ("", "No Matches!"));
}

#[tokio::test(start_paused = true)]
async fn missing_variable_fails_the_execution() {
    // Guide: "If the state input doesn't contain the $.type field, the execution fails".
    let (error, _) = failure(&run(guide_machine(), json!({"value": 22})).await);
    assert_eq!(error, "States.Runtime");
}

#[tokio::test(start_paused = true)]
async fn no_match_without_default_is_no_choice_matched() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    let (error, _) = failure(&run(def, json!({"x": 2})).await);
    assert_eq!(error, "States.NoChoiceMatched");
}

/// Whether `rule` matches `input` (a Choice between two Pass states).
async fn matches(rule: Value, input: Value) -> bool {
    let mut rule = rule;
    rule["Next"] = json!("Yes");
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": true, "End": true},
        "No": {"Type": "Pass", "Result": false, "End": true}}});
    output(&run(def, input).await) == json!(true)
}

#[tokio::test(start_paused = true)]
async fn every_comparison_operator() {
    let input = json!({"n": 5, "s": "MyStringABD", "b": true, "t": "2001-01-01T12:00:00Z",
        "other": {"n": 5, "s": "MyStringABD", "b": true, "t": "2001-01-01T12:00:00Z", "low": 1, "early": "2000-01-01T00:00:00Z"}});
    let cases: Vec<(Value, bool)> = vec![
        (json!({"Variable": "$.b", "BooleanEquals": true}), true),
        (
            json!({"Variable": "$.b", "BooleanEqualsPath": "$.other.b"}),
            true,
        ),
        (json!({"Variable": "$.n", "NumericEquals": 5}), true),
        (json!({"Variable": "$.n", "NumericEquals": 5.0}), true),
        (
            json!({"Variable": "$.n", "NumericEqualsPath": "$.other.n"}),
            true,
        ),
        (json!({"Variable": "$.n", "NumericGreaterThan": 4}), true),
        (
            json!({"Variable": "$.n", "NumericGreaterThanPath": "$.other.low"}),
            true,
        ),
        (
            json!({"Variable": "$.n", "NumericGreaterThanEquals": 5}),
            true,
        ),
        (
            json!({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.other.n"}),
            true,
        ),
        (json!({"Variable": "$.n", "NumericLessThan": 5}), false),
        (
            json!({"Variable": "$.n", "NumericLessThanPath": "$.other.low"}),
            false,
        ),
        (json!({"Variable": "$.n", "NumericLessThanEquals": 5}), true),
        (
            json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.other.n"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringEquals": "MyStringABD"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringEqualsPath": "$.other.s"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThan": "MyStringABC"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanPath": "$.other.s"}),
            false,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanEquals": "MyStringABD"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringGreaterThanEqualsPath": "$.other.s"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringLessThan": "MyStringABC"}),
            false,
        ),
        (
            json!({"Variable": "$.s", "StringLessThanPath": "$.other.s"}),
            false,
        ),
        (
            json!({"Variable": "$.s", "StringLessThanEquals": "MyStringABD"}),
            true,
        ),
        (
            json!({"Variable": "$.s", "StringLessThanEqualsPath": "$.other.s"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampEquals": "2001-01-01T12:00:00Z"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampEquals": "2001-01-01T13:00:00+01:00"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampEqualsPath": "$.other.t"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampGreaterThan": "2001-01-01T11:59:59Z"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampGreaterThanPath": "$.other.early"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampGreaterThanEquals": "2001-01-01T12:00:00Z"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.other.t"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampLessThan": "2001-01-01T12:00:00Z"}),
            false,
        ),
        (
            json!({"Variable": "$.t", "TimestampLessThanPath": "$.other.early"}),
            false,
        ),
        (
            json!({"Variable": "$.t", "TimestampLessThanEquals": "2001-01-01T12:00:00Z"}),
            true,
        ),
        (
            json!({"Variable": "$.t", "TimestampLessThanEqualsPath": "$.other.t"}),
            true,
        ),
        (json!({"Variable": "$.n", "IsNumeric": true}), true),
        (json!({"Variable": "$.s", "IsNumeric": true}), false),
        (json!({"Variable": "$.s", "IsString": true}), true),
        (json!({"Variable": "$.b", "IsBoolean": true}), true),
        (json!({"Variable": "$.t", "IsTimestamp": true}), true),
        (json!({"Variable": "$.s", "IsTimestamp": false}), true),
        (json!({"Variable": "$.missing", "IsPresent": false}), true),
        (json!({"Variable": "$.n", "IsPresent": true}), true),
        (json!({"Variable": "$.other", "IsNull": false}), true),
        (
            json!({"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.b", "BooleanEquals": true}]}),
            true,
        ),
        (
            json!({"And": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.b", "BooleanEquals": true}]}),
            false,
        ),
        (
            json!({"Not": {"Variable": "$.n", "NumericEquals": 1}}),
            true,
        ),
    ];
    for (rule, expected) in cases {
        assert_eq!(
            matches(rule.clone(), input.clone()).await,
            expected,
            "{rule}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn type_mismatch_is_false_not_an_error() {
    // Guide: "Step Functions doesn't attempt to match a numeric field to a string value".
    assert!(
        !matches(
            json!({"Variable": "$.n", "StringEquals": "5"}),
            json!({"n": 5})
        )
        .await
    );
    assert!(
        !matches(
            json!({"Variable": "$.s", "NumericEquals": 5}),
            json!({"s": "5"})
        )
        .await
    );
    // Guide: a timestamp is a string, so StringEquals can match it.
    assert!(
        matches(
            json!({"Variable": "$.t", "StringEquals": "2001-01-01T12:00:00Z"}),
            json!({"t": "2001-01-01T12:00:00Z"})
        )
        .await
    );
}

#[tokio::test(start_paused = true)]
async fn is_null_on_null_value() {
    assert!(
        matches(
            json!({"Variable": "$.x", "IsNull": true}),
            json!({"x": null})
        )
        .await
    );
}

#[tokio::test(start_paused = true)]
async fn string_matches_wildcards() {
    // Guide: {"Variable": "$.foo", "StringMatches": "log-*.txt"} matches "log-2024.txt".
    assert!(
        matches(
            json!({"Variable": "$.foo", "StringMatches": "log-*.txt"}),
            json!({"foo": "log-2024.txt"})
        )
        .await
    );
    assert!(
        !matches(
            json!({"Variable": "$.foo", "StringMatches": "log-*.txt"}),
            json!({"foo": "log-2024.csv"})
        )
        .await
    );
    assert!(
        matches(
            json!({"Variable": "$.foo", "StringMatches": "*"}),
            json!({"foo": "anything"})
        )
        .await
    );
    assert!(
        matches(
            json!({"Variable": "$.foo", "StringMatches": "a\\*b"}),
            json!({"foo": "a*b"})
        )
        .await
    );
}

#[tokio::test(start_paused = true)]
async fn string_order_is_java_compare_to() {
    // Guide: string comparison follows Java's compareTo (UTF-16 code units):
    // U+FF5E (one unit) sorts after U+1F600 (a surrogate pair starting 0xD83D).
    assert!(
        matches(
            json!({"Variable": "$.s", "StringGreaterThan": "\u{1F600}"}),
            json!({"s": "\u{FF5E}"})
        )
        .await
    );
}

#[tokio::test(start_paused = true)]
async fn choice_applies_input_and_output_path() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.keep",
            "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}});
    assert_eq!(
        output(&run(def, json!({"in": {"x": 1, "keep": "k"}})).await),
        json!("k")
    );
}

#[tokio::test(start_paused = true)]
async fn choice_loop_counts_to_ten() {
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 10, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    assert_eq!(output(&run(def, json!({})).await), json!({"i": 10}));
}

#[tokio::test(start_paused = true)]
async fn choice_assign_at_state_and_rule_level() {
    // Guide, Choice rules: a rule's Assign applies when it matches; the state-level Assign
    // applies whichever rule matches. Both see the variables from before the state.
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"n": 1}, "Next": "C"},
        "C": {"Type": "Choice", "Assign": {"seen": true, "before.$": "$n"},
            "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Assign": {"path": "yes", "n": 2, "old.$": "$n"}, "Next": "Out"}],
            "Default": "Out"},
        "Out": {"Type": "Pass", "Parameters": {"seen.$": "$seen", "before.$": "$before", "n.$": "$n", "all.$": "States.Array($.go)"}, "End": true}}});
    assert_eq!(
        output(&run(def.clone(), json!({"go": false})).await),
        json!({"seen": true, "before": 1, "n": 1, "all": [false]})
    );
    let mut def = def;
    def["States"]["Out"]["Parameters"]["path.$"] = json!("$path");
    def["States"]["Out"]["Parameters"]["old.$"] = json!("$old");
    assert_eq!(
        output(&run(def, json!({"go": true})).await),
        json!({"seen": true, "before": 1, "n": 2, "all": [true], "path": "yes", "old": 1})
    );
}
