//! The 18 intrinsic functions, with the Developer Guide's examples ("Intrinsic functions").

use serde_json::{json, Value};

use super::common::*;

/// Evaluates `expression` as the value of `"r.$"` in a Pass state's Parameters.
async fn eval(expression: &str, input: Value) -> Result<Value, (String, String)> {
    let def = single(json!({"Type": "Pass", "Parameters": {"r.$": expression}, "End": true}));
    let result = run(def, input).await;
    match result.output {
        Some(out) => Ok(out["r"].clone()),
        None => Err(failure(&result)),
    }
}

#[tokio::test(start_paused = true)]
async fn format() {
    let input = json!({"name": "Arnav", "template": "Hello, my name is {}."});
    assert_eq!(
        eval(
            "States.Format('Hello, my name is {}.', $.name)",
            input.clone()
        )
        .await,
        Ok(json!("Hello, my name is Arnav."))
    );
    assert_eq!(
        eval("States.Format($.template, $.name)", input).await,
        Ok(json!("Hello, my name is Arnav."))
    );
}

#[tokio::test(start_paused = true)]
async fn format_reserved_characters_are_escaped() {
    // Guide: \' \{ \} \\ represent ' { } \ (written with doubled backslashes in JSON).
    let r = eval(
        "States.Format('\\{\\} it\\'s {} \\\\', $.x)",
        json!({"x": 1}),
    )
    .await;
    assert_eq!(r, Ok(json!("{} it's 1 \\")));
}

#[tokio::test(start_paused = true)]
async fn string_to_json_and_back() {
    assert_eq!(
        eval(
            "States.StringToJson($.escapedJsonString)",
            json!({"escapedJsonString": "{\"foo\": \"bar\"}"})
        )
        .await,
        Ok(json!({"foo": "bar"}))
    );
    assert_eq!(
        eval(
            "States.JsonToString($.unescapedJson)",
            json!({"unescapedJson": {"foo": "bar"}})
        )
        .await,
        Ok(json!("{\"foo\":\"bar\"}"))
    );
}

#[tokio::test(start_paused = true)]
async fn array() {
    assert_eq!(
        eval("States.Array($.Id)", json!({"Id": 123456})).await,
        Ok(json!([123456]))
    );
    assert_eq!(eval("States.Array()", json!({})).await, Ok(json!([])));
}

#[tokio::test(start_paused = true)]
async fn array_partition() {
    let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]});
    assert_eq!(
        eval("States.ArrayPartition($.inputArray, 4)", input).await,
        Ok(json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]))
    );
}

#[tokio::test(start_paused = true)]
async fn array_contains() {
    let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5});
    assert_eq!(
        eval("States.ArrayContains($.inputArray, $.lookingFor)", input).await,
        Ok(json!(true))
    );
}

#[tokio::test(start_paused = true)]
async fn array_range() {
    assert_eq!(
        eval("States.ArrayRange(1, 9, 2)", json!({})).await,
        Ok(json!([1, 3, 5, 7, 9]))
    );
    // Guide: the range may hold at most 1000 items.
    let (error, _) = eval("States.ArrayRange(1, 1001, 1)", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error, "States.IntrinsicFailure");
}

#[tokio::test(start_paused = true)]
async fn array_get_item() {
    let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5});
    assert_eq!(
        eval("States.ArrayGetItem($.inputArray, $.index)", input).await,
        Ok(json!(6))
    );
}

#[tokio::test(start_paused = true)]
async fn array_length() {
    let input = json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]});
    assert_eq!(
        eval("States.ArrayLength($.inputArray)", input).await,
        Ok(json!(9))
    );
}

#[tokio::test(start_paused = true)]
async fn array_unique() {
    let input = json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]});
    assert_eq!(
        eval("States.ArrayUnique($.inputArray)", input).await,
        Ok(json!([1, 2, 3, 4]))
    );
}

#[tokio::test(start_paused = true)]
async fn base64() {
    assert_eq!(
        eval(
            "States.Base64Encode($.input)",
            json!({"input": "Data to encode"})
        )
        .await,
        Ok(json!("RGF0YSB0byBlbmNvZGU="))
    );
    assert_eq!(
        eval(
            "States.Base64Decode($.base64)",
            json!({"base64": "RGF0YSB0byBlbmNvZGU="})
        )
        .await,
        Ok(json!("Data to encode"))
    );
}

#[tokio::test(start_paused = true)]
async fn hash() {
    let input = json!({"Data": "input data", "Algorithm": "SHA-1"});
    assert_eq!(
        eval("States.Hash($.Data, $.Algorithm)", input).await,
        Ok(json!("aaff4a450a104cd177d28d18d74485e8cae074b7"))
    );
    let (error, _) = eval("States.Hash('x', 'CRC32')", json!({}))
        .await
        .unwrap_err();
    assert_eq!(error, "States.IntrinsicFailure");
}

#[tokio::test(start_paused = true)]
async fn json_merge() {
    let input = json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}});
    assert_eq!(
        eval("States.JsonMerge($.json1, $.json2, false)", input).await,
        Ok(json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}))
    );
}

#[tokio::test(start_paused = true)]
async fn math_random() {
    let input = json!({"start": 1, "end": 999});
    for _ in 0..20 {
        let v = eval("States.MathRandom($.start, $.end)", input.clone())
            .await
            .unwrap();
        let n = v.as_i64().unwrap();
        assert!((1..999).contains(&n), "{n}");
    }
    // A seed makes the value repeatable.
    let a = eval("States.MathRandom(1, 1000000, 42)", json!({})).await;
    let b = eval("States.MathRandom(1, 1000000, 42)", json!({})).await;
    assert_eq!(a, b);
}

#[tokio::test(start_paused = true)]
async fn math_add() {
    let input = json!({"value1": 111, "step": -1});
    assert_eq!(
        eval("States.MathAdd($.value1, $.step)", input).await,
        Ok(json!(110))
    );
}

#[tokio::test(start_paused = true)]
async fn string_split() {
    let input = json!({"inputString": "1,2,3,4,5", "splitter": ","});
    assert_eq!(
        eval("States.StringSplit($.inputString, $.splitter)", input).await,
        Ok(json!(["1", "2", "3", "4", "5"]))
    );
    let input = json!({"inputString": "This.is+a,test=string", "splitter": ".+,="});
    assert_eq!(
        eval("States.StringSplit($.inputString, $.splitter)", input).await,
        Ok(json!(["This", "is", "a", "test", "string"]))
    );
}

#[tokio::test(start_paused = true)]
async fn uuid() {
    let v = eval("States.UUID()", json!({})).await.unwrap();
    let s = v.as_str().unwrap();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4", "a version-4 UUID: {s}");
}

#[tokio::test(start_paused = true)]
async fn nested_calls_from_the_guide() {
    // Guide: nine nested intrinsics building "<name>.<version>" from an ARN.
    let input = json!({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/myrecipe/1.0.0"}});
    let expr = "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), 'x')";
    assert_eq!(eval(expr, input).await, Ok(json!("1.0.x")));
}

#[tokio::test(start_paused = true)]
async fn intrinsic_failure_on_bad_arguments() {
    let (error, _) = eval("States.ArrayGetItem($.a, 5)", json!({"a": [1]}))
        .await
        .unwrap_err();
    assert_eq!(error, "States.IntrinsicFailure");
    let (error, _) = eval("States.StringToJson($.s)", json!({"s": "{not json"}))
        .await
        .unwrap_err();
    assert_eq!(error, "States.IntrinsicFailure");
}

#[tokio::test(start_paused = true)]
async fn intrinsic_failure_can_be_caught() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Parameters": {"r.$": "States.ArrayGetItem($.a, 9)"}, "End": true}}}],
            "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.err", "Next": "Done"}], "End": true},
        "Done": {"Type": "Succeed"}}});
    let out = output(&run(def, json!({"a": [1]})).await);
    assert_eq!(out["err"]["Error"], json!("States.IntrinsicFailure"));
}
