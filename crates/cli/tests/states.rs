//! `leadline states validate|run`: the output and exit-code contract of issue #3.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn leadline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leadline"))
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("leadline runs")
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write fixture");
    path.display().to_string()
}

const GREET: &str = r#"{"StartAt": "Greet", "States": {
  "Greet": {"Type": "Pass", "Parameters": {"msg.$": "States.Format('Hello, {}!', $.name)"}, "Next": "Check"},
  "Check": {"Type": "Choice", "Choices": [{"Variable": "$.msg", "StringEquals": "Hello, Ada!", "Next": "Done"}], "Default": "Nope"},
  "Done": {"Type": "Succeed"},
  "Nope": {"Type": "Fail", "Error": "NotAda", "Cause": "someone else"}}}"#;

#[test]
fn run_prints_succeeded_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(dir.path(), "greet.json", GREET);
    let out = run(leadline().args(["states", "run", &def, "--input", r#"{"name":"Ada"}"#]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout_json(&out),
        json!({"status": "SUCCEEDED", "output": {"msg": "Hello, Ada!"}})
    );
}

#[test]
fn run_prints_failed_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(dir.path(), "greet.json", GREET);
    let input = write(dir.path(), "input.json", r#"{"name":"Bob"}"#);
    let out = run(leadline().args(["states", "run", &def, "--input", &format!("@{input}")]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out),
        json!({"status": "FAILED", "error": "NotAda", "cause": "someone else"})
    );
}

#[test]
fn run_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(dir.path(), "greet.json", GREET);
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--input",
        r#"{"name":"Ada"}"#,
        "--history",
    ]));
    let v = stdout_json(&out);
    let types: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn invalid_definition_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}"#,
    );
    let out = run(leadline().args(["states", "run", &bad]));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "SCHEMA_VALIDATION_FAILED: These fields are required: [Next | End] at /States/A"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let def = write(dir.path(), "greet.json", GREET);
    assert_eq!(
        run(leadline().args(["states", "run", &def, "--input", "{oops"]))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(leadline().args(["states", "run", "/nonexistent/x.json"]))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(leadline().args(["states", "run", &def, "--bogus"]))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(leadline().args(["states", "run", &def, "--mock", &def]))
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn validate_reports_pointers_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", GREET);
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Succeed"}}}"#,
    );
    let out = run(leadline().args(["states", "validate", &good]));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = run(leadline().args(["states", "validate", &good, &bad]));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{bad}: MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{bad}: UNREACHABLE_STATE: State \"C\" is not reachable. at /States/C"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains(&good), "{stdout}");
}

#[test]
fn validate_express_rejects_callback_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "cb.json",
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#,
    );
    assert_eq!(
        run(leadline().args(["states", "validate", &def]))
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(leadline().args(["states", "validate", "--type", "EXPRESS", &def]))
            .status
            .code(),
        Some(1)
    );
}

/// A Python Lambda handler: doubles `n`, or fails like Lambda when `n` is negative.
/// It logs a line to stdout first, as handlers do; the result is the last line.
const HANDLER: &str = r#"import json, sys
event = json.load(sys.stdin)
print("log line: handler started")
if event.get("n", 0) < 0:
    print(json.dumps({"errorType": "NegativeError", "errorMessage": "n is negative"}))
    sys.exit(1)
print(json.dumps({"doubled": event["n"] * 2}))
"#;

const FUNCTIONS_MACHINE: &str = r#"{"StartAt": "Legacy", "States": {
  "Legacy": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double", "ResultPath": "$.legacy", "Next": "Invoke"},
  "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "double", "Payload": {"n.$": "$.legacy.doubled"}},
    "ResultSelector": {"result.$": "$.Payload", "status.$": "$.StatusCode"}, "End": true}}}"#;

#[test]
fn functions_file_runs_local_commands() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "handler.py", HANDLER);
    let functions = write(
        dir.path(),
        "functions.toml",
        "[functions.\"double\"]\ncommand = [\"python3\", \"handler.py\"]\n",
    );
    let def = write(dir.path(), "machine.json", FUNCTIONS_MACHINE);
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--functions",
        &functions,
        "--input",
        r#"{"n": 5}"#,
    ]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout_json(&out),
        json!({"status": "SUCCEEDED", "output": {"result": {"doubled": 20}, "status": 200}})
    );

    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--functions",
        &functions,
        "--input",
        r#"{"n": -1}"#,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["error"], json!("NegativeError"));
    let cause: Value = serde_json::from_str(v["cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"errorType": "NegativeError", "errorMessage": "n is negative"})
    );
}

#[test]
fn unmapped_function_fails_like_a_missing_lambda() {
    let dir = tempfile::tempdir().unwrap();
    let functions = write(dir.path(), "functions.toml", "");
    let def = write(dir.path(), "machine.json", FUNCTIONS_MACHINE);
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--functions",
        &functions,
        "--input",
        r#"{"n": 5}"#,
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out)["error"],
        json!("Lambda.ResourceNotFoundException")
    );
}

#[test]
fn mock_configuration_test_case() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "LambdaSQSIntegration.json",
        r#"{"StartAt": "LambdaState", "States": {
      "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "End": true},
      "Failed": {"Type": "Fail", "Error": "LambdaFailed"}}}"#,
    );
    let mock = write(
        dir.path(),
        "mock.json",
        r#"{
      "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess"},
        "AlwaysFails": {"LambdaState": "MockedLambdaFailure"}}}},
      "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}}}},
        "MockedLambdaFailure": {"0-1": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}}}}}"#,
    );
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--mock",
        &mock,
        "--test-case",
        "HappyPath",
    ]));
    assert_eq!(
        stdout_json(&out),
        json!({"status": "SUCCEEDED", "output": {"StatusCode": 200, "Payload": {"body": "Hello from Lambda!"}}})
    );
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--mock",
        &mock,
        "--test-case",
        "AlwaysFails",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["error"], json!("LambdaFailed"));
    let out = run(leadline().args([
        "states",
        "run",
        &def,
        "--mock",
        &mock,
        "--test-case",
        "Missing",
    ]));
    assert_eq!(out.status.code(), Some(2));
}
