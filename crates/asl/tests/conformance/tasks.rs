//! Task dispatch: Lambda integrations as AWS wraps them, `.waitForTaskToken` with the
//! token API, and the Step Functions Local mock configuration.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use leadline_asl::aws::{lambda_dispatcher, LambdaFunctions, MockConfig, MockResolver};
use leadline_asl::clock::TokioClock;
use leadline_asl::dispatch::{Completion, Dispatcher, TaskFailure, TaskResolver, TaskTokens};
use leadline_asl::{Engine, ExecutionRequest};
use serde_json::{json, Value};

use super::common::*;

/// In-memory Lambda functions: "echo" returns its event, "boom" fails like a handler error.
struct Functions;

#[async_trait]
impl LambdaFunctions for Functions {
    async fn invoke(&self, function: &str, event: Value) -> Result<Value, TaskFailure> {
        match function {
            "echo" => Ok(event),
            "boom" => Err(TaskFailure::new(
                "CustomError",
                r#"{"errorType":"CustomError","errorMessage":"boom"}"#,
            )),
            other => Err(TaskFailure::new("Lambda.ResourceNotFoundException", other)),
        }
    }
}

fn lambda_engine() -> Engine {
    Engine::new(
        Arc::new(lambda_dispatcher(Functions)),
        Arc::new(TokioClock::starting_at(START_MILLIS)),
    )
}

async fn run_lambda(def: Value, input: Value) -> leadline_asl::ExecutionResult {
    lambda_engine()
        .execute(
            &machine(&def),
            ExecutionRequest::new("Conformance", "e", input),
        )
        .await
}

#[tokio::test(start_paused = true)]
async fn legacy_lambda_arn_returns_the_function_result() {
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "End": true}),
    );
    let result = run_lambda(def, json!({"x": 1})).await;
    assert_eq!(output(&result), json!({"x": 1}));
    let types = event_types(&result);
    use leadline_asl::history::EventType::*;
    assert_eq!(
        types,
        vec![
            ExecutionStarted,
            TaskStateEntered,
            LambdaFunctionScheduled,
            LambdaFunctionStarted,
            LambdaFunctionSucceeded,
            TaskStateExited,
            ExecutionSucceeded
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn lambda_invoke_wraps_the_result_as_aws_does() {
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST", "Payload.$": "$"},
        "End": true}),
    );
    let out = output(&run_lambda(def, json!({"x": 1})).await);
    let keys: Vec<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec![
            "ExecutedVersion",
            "Payload",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StatusCode"
        ]
    );
    assert_eq!(out["Payload"], json!({"x": 1}));
    assert_eq!(out["StatusCode"], json!(200));
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
}

#[tokio::test(start_paused = true)]
async fn lambda_handler_error_becomes_error_type_and_cause() {
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "boom", "Payload": {}}, "End": true}),
    );
    let (error, cause) = failure(&run_lambda(def, json!({})).await);
    assert_eq!(error, "CustomError");
    assert_eq!(
        serde_json::from_str::<Value>(&cause).unwrap()["errorMessage"],
        json!("boom")
    );
}

#[tokio::test(start_paused = true)]
async fn unregistered_resource_fails_the_execution() {
    let def = single(
        json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}),
    );
    assert_eq!(
        failure(&run_lambda(def, json!({})).await).0,
        "States.Runtime"
    );
}

const CALLBACK: &str = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";

/// A resolver that publishes the token it was given and waits for the callback.
fn token_engine(seen: Arc<Mutex<Vec<Value>>>, tokens: TaskTokens) -> Engine {
    let tasks = Tasks::new();
    tasks.on_async(CALLBACK, move |call| {
        seen.lock().unwrap().push(call.input.clone());
        Box::pin(async { Ok(Completion::AwaitToken) })
    });
    engine_with_tokens(&tasks, tokens)
}

#[tokio::test(start_paused = true)]
async fn wait_for_task_token_success() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tokens = TaskTokens::new();
    let engine = token_engine(seen.clone(), tokens.clone());
    let def = single(json!({"Type": "Task", "Resource": CALLBACK, "End": true,
        "Parameters": {"MessageBody": {"TaskToken.$": "$$.Task.Token", "job.$": "$.job"}}}));
    let machine = machine(&def);
    let callback = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Some(token) = tokens.pending().first().cloned() {
                tokens
                    .send_task_success(&token, json!({"done": true}))
                    .unwrap();
                return token;
            }
        }
    };
    let (result, token) = tokio::join!(
        engine.execute(
            &machine,
            ExecutionRequest::new("Conformance", "e", json!({"job": 9}))
        ),
        callback
    );
    assert_eq!(output(&result), json!({"done": true}));
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(sent["MessageBody"]["job"], json!(9));
    assert_eq!(sent["MessageBody"]["TaskToken"], json!(token));
    // The token is spent: a second callback finds no task.
    assert!(tokens.send_task_success(&token, json!(1)).is_err());
}

#[tokio::test(start_paused = true)]
async fn wait_for_task_token_failure_and_heartbeat_timeout() {
    let tokens = TaskTokens::new();
    let engine = token_engine(Arc::new(Mutex::new(Vec::new())), tokens.clone());
    let def = single(
        json!({"Type": "Task", "Resource": CALLBACK, "End": true, "HeartbeatSeconds": 10,
        "Parameters": {"token.$": "$$.Task.Token"}}),
    );
    let machine = machine(&def);
    let callback = async {
        // Two heartbeats keep it alive past 10 s; then it fails explicitly.
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_secs(8)).await;
            let token = tokens.pending()[0].clone();
            tokens.send_task_heartbeat(&token).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(8)).await;
        let token = tokens.pending()[0].clone();
        tokens
            .send_task_failure(&token, "Rejected", "by reviewer")
            .unwrap();
    };
    let (result, ()) = tokio::join!(
        engine.execute(&machine, ExecutionRequest::new("C", "e", json!({}))),
        callback
    );
    assert_eq!(failure(&result), ("Rejected".into(), "by reviewer".into()));

    // Without heartbeats, the task times out with States.HeartbeatTimeout.
    let result = engine
        .execute(&machine, ExecutionRequest::new("C", "e2", json!({})))
        .await;
    assert_eq!(failure(&result).0, "States.HeartbeatTimeout");
    assert!(tokens.pending().is_empty());
}

fn mock_config() -> MockConfig {
    // The shape of AWS's Step Functions Local example (LambdaSQSIntegration).
    serde_json::from_value(json!({
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}}}},
        "MockedResponses": {
            "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
            "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
            "MockedLambdaRetry": {
                "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
                "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}}))
    .unwrap()
}

fn lambda_sqs() -> Value {
    json!({"StartAt": "LambdaState", "States": {
        "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
            "Next": "SQSState"},
        "SQSState": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue", "MessageBody.$": "$"},
            "End": true}}})
}

async fn run_mocked(case: &str) -> leadline_asl::ExecutionResult {
    let mock = MockResolver::new(
        &mock_config(),
        "LambdaSQSIntegration",
        case,
        Arc::new(Dispatcher::new()),
    )
    .unwrap();
    let resolver: Arc<dyn TaskResolver> = Arc::new(mock);
    let engine = Engine::new(resolver, Arc::new(TokioClock::starting_at(START_MILLIS)));
    engine
        .execute(
            &machine(&lambda_sqs()),
            ExecutionRequest::new("LambdaSQSIntegration", "e", json!({})),
        )
        .await
}

#[tokio::test(start_paused = true)]
async fn mock_happy_path() {
    let out = output(&run_mocked("HappyPath").await);
    assert_eq!(
        out["MessageId"],
        json!("3bcb6e8e-8b51-4375-b0bc-1a59812c6e51")
    );
}

#[tokio::test(start_paused = true)]
async fn mock_retry_path_uses_responses_per_attempt() {
    let result = run_mocked("RetryPath").await;
    output(&result);
    use leadline_asl::history::EventType::*;
    let failed = event_types(&result)
        .iter()
        .filter(|t| **t == TaskFailed)
        .count();
    assert_eq!(failed, 3, "attempts 0, 1 and 2 throw; 3 returns");
}

#[tokio::test(start_paused = true)]
async fn mock_errors_are_reported() {
    let config = mock_config();
    let fallback: Arc<dyn TaskResolver> = Arc::new(Dispatcher::new());
    assert!(MockResolver::new(&config, "LambdaSQSIntegration", "Nope", fallback.clone()).is_err());
    // An unknown machine name falls back to finding the test case anywhere.
    assert!(MockResolver::new(&config, "other-name", "HappyPath", fallback).is_ok());
}

const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:carisbatch";

#[tokio::test(start_paused = true)]
async fn activities_are_answered_through_the_token_api() {
    // An activity worker gets the input and a token, and reports with SendTaskSuccess.
    let queue: Arc<Mutex<Vec<(String, Value)>>> = Arc::new(Mutex::new(Vec::new()));
    let tasks = Tasks::new();
    let q = queue.clone();
    tasks.on_async(ACTIVITY, move |call| {
        q.lock().unwrap().push((
            call.task_token.clone().unwrap_or_default(),
            call.input.clone(),
        ));
        Box::pin(async { Ok(Completion::AwaitToken) })
    });
    let tokens = TaskTokens::new();
    let engine = engine_with_tokens(&tasks, tokens.clone());
    let def =
        single(json!({"Type": "Task", "Resource": ACTIVITY, "End": true, "TimeoutSeconds": 3600}));
    let machine = machine(&def);
    let worker = async {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let job = queue.lock().unwrap().pop();
            if let Some((token, input)) = job {
                tokens
                    .send_task_success(&token, json!({"processed": input}))
                    .unwrap();
                return;
            }
        }
    };
    let (result, ()) = tokio::join!(
        engine.execute(
            &machine,
            ExecutionRequest::new("C", "e", json!({"line": 1}))
        ),
        worker
    );
    assert_eq!(output(&result), json!({"processed": {"line": 1}}));
    use leadline_asl::history::EventType::*;
    assert_eq!(
        event_types(&result),
        vec![
            ExecutionStarted,
            TaskStateEntered,
            ActivityScheduled,
            ActivityStarted,
            ActivitySucceeded,
            TaskStateExited,
            ExecutionSucceeded
        ]
    );
}

#[test]
fn executions_can_be_spawned_on_a_multi_threaded_runtime() {
    // The local twin runs executions as tokio tasks: the future must be Send.
    fn assert_send<T: Send>(_: &T) {}
    let engine = Arc::new(lambda_engine());
    let machine = Arc::new(machine(&single(json!({"Type": "Pass", "End": true}))));
    let fut = {
        let (engine, machine) = (engine.clone(), machine.clone());
        async move {
            engine
                .execute(&machine, ExecutionRequest::new("C", "e", json!({})))
                .await
        }
    };
    assert_send(&fut);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(async { tokio::spawn(fut).await.unwrap() });
    assert_eq!(output(&result), json!({}));
}
