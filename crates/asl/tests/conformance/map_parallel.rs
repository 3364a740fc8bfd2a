//! Map and Parallel states (Developer Guide: "Map", "Parallel", "ItemsPath", "ItemSelector").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leadline_asl::dispatch::{Completion, TaskFailure};
use serde_json::{json, Value};

use super::common::*;

const SHIP_VAL: &str = "arn:aws:lambda:us-east-1:123456789012:function:ship-val";

fn shipment() -> Value {
    json!({"ship-date": "2016-03-14T01:59:00Z", "detail": {"delivery-partner": "UQS", "shipped": [
        {"prod": "R31", "dest-code": 9511, "quantity": 1344},
        {"prod": "S39", "dest-code": 9511, "quantity": 40},
        {"prod": "R31", "dest-code": 9833, "quantity": 12},
        {"prod": "R40", "dest-code": 9860, "quantity": 887},
        {"prod": "R40", "dest-code": 9511, "quantity": 1220}]}})
}

fn ship_val() -> Tasks {
    let tasks = Tasks::new();
    tasks.on(SHIP_VAL, |call| {
        Ok(json!({"validated": call.input.clone()}))
    });
    tasks
}

#[tokio::test(start_paused = true)]
async fn map_guide_example() {
    // Guide, "Map state example": one ship-val call per shipped item; the output array
    // replaces detail.shipped.
    let tasks = ship_val();
    let def = single(
        json!({"Type": "Map", "InputPath": "$.detail", "ItemsPath": "$.shipped", "MaxConcurrency": 0,
        "Iterator": {"StartAt": "Validate", "States": {"Validate": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}},
        "ResultPath": "$.detail.shipped", "End": true}),
    );
    let result = run_with(&tasks, def, shipment()).await;
    let items = shipment()["detail"]["shipped"].clone();
    let mut inputs = tasks.call_inputs();
    inputs.sort_by_key(|v| v.to_string());
    let mut expected: Vec<Value> = items.as_array().unwrap().clone();
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(inputs, expected);
    let out = output(&result);
    // ResultPath is applied to the raw input: the InputPath'd detail stays in place.
    let validated: Vec<Value> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"validated": i}))
        .collect();
    assert_eq!(out["detail"]["shipped"], json!(validated));
    assert_eq!(out["ship-date"], json!("2016-03-14T01:59:00Z"));
}

#[tokio::test(start_paused = true)]
async fn map_with_parameters_and_context_item() {
    // Guide, "Map state example with parameters": parcel from $$.Map.Item.Value, courier from input.
    let tasks = ship_val();
    let def = single(
        json!({"Type": "Map", "InputPath": "$.detail", "ItemsPath": "$.shipped", "MaxConcurrency": 0,
        "ResultPath": "$.detail.shipped",
        "Parameters": {"parcel.$": "$$.Map.Item.Value", "courier.$": "$.delivery-partner"},
        "Iterator": {"StartAt": "Validate", "States": {"Validate": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}},
        "End": true}),
    );
    run_with(&tasks, def, shipment()).await;
    assert!(tasks.call_inputs().contains(
        &json!({"parcel": {"prod": "R31", "dest-code": 9511, "quantity": 1344}, "courier": "UQS"})
    ));
    assert_eq!(tasks.call_inputs().len(), 5);
}

#[tokio::test(start_paused = true)]
async fn item_selector_with_index() {
    let def = single(json!({"Type": "Map", "ItemsPath": "$.items",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "label.$": "$.label"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}));
    let out = output(&run(def, json!({"label": "L", "items": ["a", "b"]})).await);
    assert_eq!(
        out,
        json!([{"index": 0, "value": "a", "label": "L"}, {"index": 1, "value": "b", "label": "L"}])
    );
}

#[tokio::test(start_paused = true)]
async fn map_output_keeps_item_order_despite_concurrency() {
    let tasks = Tasks::new();
    tasks.on_async(SHIP_VAL, |call| {
        Box::pin(async move {
            // Later items finish first.
            let n = call.input.as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_secs(10 - n)).await;
            Ok(Completion::Result(json!(n * 10)))
        })
    });
    let def = single(
        json!({"Type": "Map", "ItemProcessor": {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}}, "End": true}),
    );
    let out = output(&run_with(&tasks, def, json!([1, 2, 3, 4])).await);
    assert_eq!(out, json!([10, 20, 30, 40]));
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_one_runs_in_order() {
    // Guide: MaxConcurrency 1 runs iterations in order, one at a time.
    let tasks = Tasks::new();
    tasks.on_async(SHIP_VAL, |call| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(Completion::Result(call.input))
        })
    });
    let def = single(
        json!({"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}}, "End": true}),
    );
    run_with(&tasks, def, json!(["a", "b", "c"])).await;
    assert_eq!(
        tasks.call_inputs(),
        vec![json!("a"), json!("b"), json!("c")]
    );
    assert_eq!(tasks.call_times(), vec![0.0, 1.0, 2.0]);
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_path() {
    let tasks = Tasks::new();
    tasks.on_async(SHIP_VAL, |call| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(Completion::Result(call.input))
        })
    });
    let def = single(
        json!({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrencyPath": "$.limit",
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}}, "End": true}),
    );
    run_with(&tasks, def, json!({"limit": 2, "items": [1, 2, 3, 4]})).await;
    assert_eq!(tasks.call_times(), vec![0.0, 0.0, 1.0, 1.0]);
}

#[tokio::test(start_paused = true)]
async fn inline_map_fails_when_an_iteration_fails() {
    // Guide: "If any iteration fails, entire Map state fails".
    let def = single(
        json!({"Type": "Map", "ItemProcessor": {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Ok"},
        "Bad": {"Type": "Fail", "Error": "Two", "Cause": "item 2"},
        "Ok": {"Type": "Pass", "End": true}}}, "End": true}),
    );
    assert_eq!(
        failure(&run(def, json!([1, 2, 3])).await),
        ("Two".into(), "item 2".into())
    );
}

#[tokio::test(start_paused = true)]
async fn items_path_must_be_an_array() {
    let def = single(
        json!({"Type": "Map", "ItemsPath": "$.x", "ItemProcessor": {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "End": true}}}, "End": true}),
    );
    assert_eq!(
        failure(&run(def, json!({"x": "nope"})).await).0,
        "States.Runtime"
    );
}

fn distributed(extra: Value) -> Value {
    let mut state = json!({"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Bad"}], "Default": "Ok"},
            "Bad": {"Type": "Fail", "Error": "ItemFailed"},
            "Ok": {"Type": "Pass", "End": true}}}, "End": true});
    for (k, v) in extra.as_object().unwrap() {
        state[k] = v.clone();
    }
    single(state)
}

fn items(failures: usize, total: usize) -> Value {
    json!((0..total)
        .map(|i| json!({"fail": i < failures}))
        .collect::<Vec<_>>())
}

#[tokio::test(start_paused = true)]
async fn distributed_map_tolerated_failure_percentage() {
    let def = distributed(json!({"ToleratedFailurePercentage": 20}));
    let out = output(&run(def.clone(), items(2, 10)).await);
    assert_eq!(out.as_array().unwrap().len(), 10);
    let (error, _) = failure(&run(def, items(3, 10)).await);
    assert_eq!(error, "States.ExceedToleratedFailureThreshold");
}

#[tokio::test(start_paused = true)]
async fn distributed_map_tolerated_failure_count_and_paths() {
    let def = distributed(json!({"ToleratedFailureCount": 1}));
    output(&run(def.clone(), items(1, 4)).await);
    assert_eq!(
        failure(&run(def, items(2, 4)).await).0,
        "States.ExceedToleratedFailureThreshold"
    );
    let def = distributed(json!({"ItemsPath": "$.items", "ToleratedFailureCountPath": "$.max"}));
    output(&run(def.clone(), json!({"items": items(3, 4), "max": 3})).await);
    assert_eq!(
        failure(&run(def, json!({"items": items(3, 4), "max": 2})).await).0,
        "States.ExceedToleratedFailureThreshold"
    );
}

#[tokio::test(start_paused = true)]
async fn distributed_map_default_tolerates_nothing() {
    assert_eq!(
        failure(&run(distributed(json!({})), items(1, 5)).await).0,
        "States.ExceedToleratedFailureThreshold"
    );
}

const LOOKUP_ADDRESS: &str = "arn:aws:lambda:us-east-1:123456789012:function:AddressFinder";
const LOOKUP_PHONE: &str = "arn:aws:lambda:us-east-1:123456789012:function:PhoneFinder";

#[tokio::test(start_paused = true)]
async fn parallel_guide_example() {
    // Guide, "Parallel": LookupAddress and LookupPhone get the same input; the output is
    // an array of the branches' outputs, in branch order.
    let tasks = Tasks::new();
    tasks.on(LOOKUP_ADDRESS, |_| Ok(json!({"address": "1 Main St"})));
    tasks.on(LOOKUP_PHONE, |_| Ok(json!({"phone": "555-0100"})));
    let def = json!({"StartAt": "LookupCustomerInfo", "States": {"LookupCustomerInfo": {"Type": "Parallel", "End": true,
        "Branches": [
            {"StartAt": "LookupAddress", "States": {"LookupAddress": {"Type": "Task", "Resource": LOOKUP_ADDRESS, "End": true}}},
            {"StartAt": "LookupPhone", "States": {"LookupPhone": {"Type": "Task", "Resource": LOOKUP_PHONE, "End": true}}}]}}});
    let result = run_with(&tasks, def, json!({"customer": 7})).await;
    assert_eq!(
        output(&result),
        json!([{"address": "1 Main St"}, {"phone": "555-0100"}])
    );
    assert_eq!(
        tasks.call_inputs(),
        vec![json!({"customer": 7}), json!({"customer": 7})]
    );
}

#[tokio::test(start_paused = true)]
async fn parallel_branches_run_concurrently_and_other_branches_stop_on_failure() {
    let started = Arc::new(AtomicUsize::new(0));
    let tasks = Tasks::new();
    let s = started.clone();
    tasks.on_async(LOOKUP_ADDRESS, move |_| {
        s.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(100)).await;
            Ok(Completion::Result(json!("late")))
        })
    });
    tasks.on(LOOKUP_PHONE, |_| Err(TaskFailure::new("PhoneDown", "boom")));
    let def = single(json!({"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": LOOKUP_ADDRESS, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": LOOKUP_PHONE, "End": true}}}]}));
    let result = run_with(&tasks, def, json!({})).await;
    assert_eq!(failure(&result), ("PhoneDown".into(), "boom".into()));
    assert_eq!(started.load(Ordering::SeqCst), 1);
    // The failure ended the run without waiting for the slow branch.
    let last = result.history.last().unwrap();
    assert!(last.timestamp < (START_MILLIS as f64 / 1000.0) + 1.0);
}

#[tokio::test(start_paused = true)]
async fn parallel_with_parameters_result_selector_and_result_path() {
    let def = single(
        json!({"Type": "Parallel", "Parameters": {"v.$": "$.x"}, "ResultSelector": {"first.$": "$[0].v"},
        "ResultPath": "$.r", "End": true,
        "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}]}),
    );
    assert_eq!(
        output(&run(def, json!({"x": 5})).await),
        json!({"x": 5, "r": {"first": 5}})
    );
}

#[tokio::test(start_paused = true)]
async fn nested_map_in_parallel() {
    let def = single(json!({"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "End": true,
            "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": true}}}}}},
        {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": "q", "End": true}}}]}));
    assert_eq!(
        output(&run(def, json!({"xs": [1, 2]})).await),
        json!([[{"x": 1}, {"x": 2}], "q"])
    );
}

#[tokio::test(start_paused = true)]
async fn item_batcher_groups_items_for_child_executions() {
    // Guide, "ItemBatcher": each child execution receives {"Items": [...], "BatchInput": ...}.
    let def = single(json!({"Type": "Map", "End": true, "ItemsPath": "$.items",
        "ItemBatcher": {"MaxItemsPerBatchPath": "$.per", "BatchInput": {"factCheck": "TRUE", "run.$": "$.run"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}));
    let out = output(
        &run(
            def,
            json!({"per": 3, "run": 7, "items": [1, 2, 3, 4, 5, 6, 7]}),
        )
        .await,
    );
    let batch =
        |items: Value| json!({"Items": items, "BatchInput": {"factCheck": "TRUE", "run": 7}});
    assert_eq!(
        out,
        json!([
            batch(json!([1, 2, 3])),
            batch(json!([4, 5, 6])),
            batch(json!([7]))
        ])
    );
}

#[tokio::test(start_paused = true)]
async fn item_batcher_by_bytes() {
    let def = single(json!({"Type": "Map", "End": true,
        "ItemBatcher": {"MaxInputBytesPerBatch": 40},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}));
    // {"Items":[]} is 12 bytes; each "xxxxxxxxxx" item adds 13 (with its comma): two fit in 40.
    let out = output(&run(def, json!(["xxxxxxxxxx", "yyyyyyyyyy", "zzzzzzzzzz"])).await);
    assert_eq!(
        out,
        json!([{"Items": ["xxxxxxxxxx", "yyyyyyyyyy"]}, {"Items": ["zzzzzzzzzz"]}])
    );
}

#[tokio::test(start_paused = true)]
async fn context_object_map_guide_example() {
    // Guide, "Context object data for Map states": ContextIndex and ContextValue per item.
    let def = json!({"StartAt": "ExampleMapState", "States": {"ExampleMapState": {"Type": "Map",
        "Parameters": {"ContextIndex.$": "$$.Map.Item.Index", "ContextValue.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "TestPass", "States": {"TestPass": {"Type": "Pass", "End": true}}}, "End": true}}});
    let out = output(&run(def, json!([{"who": "bob"}, {"who": "meg"}, {"who": "joe"}])).await);
    assert_eq!(
        out,
        json!([
        {"ContextValue": {"who": "bob"}, "ContextIndex": 0},
        {"ContextValue": {"who": "meg"}, "ContextIndex": 1},
        {"ContextValue": {"who": "joe"}, "ContextIndex": 2}])
    );
}

#[tokio::test(start_paused = true)]
async fn items_path_guide_example() {
    // Guide, "ItemsPath": iterate over ThingsPiratesSay only.
    let def = json!({"StartAt": "PiratesSay", "States": {"PiratesSay": {"Type": "Map", "ItemsPath": "$.ThingsPiratesSay",
        "Iterator": {"StartAt": "SayWord", "States": {"SayWord": {"Type": "Pass", "End": true}}}, "End": true}}});
    let input = json!({"ThingsPiratesSay": [{"say": "Avast!"}, {"say": "Yar!"}, {"say": "Walk the Plank!"}],
        "ThingsGiantsSay": [{"say": "Fee!"}, {"say": "Fi!"}, {"say": "Fo!"}, {"say": "Fum!"}]});
    assert_eq!(
        output(&run(def, input).await),
        json!([{"say": "Avast!"}, {"say": "Yar!"}, {"say": "Walk the Plank!"}])
    );
}

#[tokio::test(start_paused = true)]
async fn items_path_applies_after_input_path() {
    let def = single(
        json!({"Type": "Map", "InputPath": "$.outer", "ItemsPath": "$.inner",
        "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}),
    );
    assert_eq!(
        output(&run(def, json!({"outer": {"inner": [1, 2]}})).await),
        json!([1, 2])
    );
}

#[tokio::test(start_paused = true)]
async fn item_reader_is_refused_rather_than_ignored() {
    let def = single(json!({"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}));
    let (error, cause) = failure(&run(def, json!([1])).await);
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("ItemReader"), "{cause}");
}

#[tokio::test(start_paused = true)]
async fn inline_map_runs_at_most_40_iterations_at_once() {
    // Guide, "Inline mode": the Map state supports up to 40 concurrent iterations.
    let tasks = Tasks::new();
    tasks.on_async(SHIP_VAL, |call| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(Completion::Result(call.input))
        })
    });
    let def = single(
        json!({"Type": "Map", "MaxConcurrency": 100, "ItemProcessor": {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": SHIP_VAL, "End": true}}}, "End": true}),
    );
    let out = output(&run_with(&tasks, def, json!((0..50).collect::<Vec<_>>())).await);
    assert_eq!(out, json!((0..50).collect::<Vec<_>>()));
    let times = tasks.call_times();
    assert_eq!(times.iter().filter(|t| **t == 0.0).count(), 40);
    assert_eq!(times.iter().filter(|t| **t == 1.0).count(), 10);
}
