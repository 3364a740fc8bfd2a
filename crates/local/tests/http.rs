//! The twin's HTTP face against a real [`Twin`] on 127.0.0.1: every Step Functions operation
//! through `aws-sdk-sfn` (answers and errors), the protocol's own errors over raw HTTP, the run
//! API, the folder watcher, and the web page in headless Chromium.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use leadline_local::control::ControlPlane;
use leadline_local::{http, Twin, TwinConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

const ROLE: &str = "arn:aws:iam::000000000000:role/leadline-twin";
/// How long a test waits for an execution before declaring the twin stuck (a hang guard, not a
/// speed assertion).
const HANG_GUARD: Duration = Duration::from_secs(120);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Served {
    twin: Arc<Twin>,
    address: SocketAddr,
    client: Client,
    _state: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl Served {
    async fn start() -> Self {
        let state = tempfile::tempdir().expect("temporary state folder");
        let environment =
            leadline_render::Environment::load(&workspace().join("environments/local.toml"))
                .expect("environments/local.toml loads");
        let twin = Twin::open(TwinConfig {
            state_dir: state.path().to_owned(),
            environment,
            job_path: Vec::new(),
        })
        .expect("the twin opens");
        let router = http::router(twin.clone(), Arc::new(twin.run_api()));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1");
        let address = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(http::serve(listener, router, async {
            let _ = stopped.await;
        }));
        let client = Client::new(&leadline_testkit::sdk_config(&format!("http://{address}")));
        Self {
            twin,
            address,
            client,
            _state: state,
            _stop: stop,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn machine(&self, name: &str, definition: &Value) -> String {
        self.client
            .create_state_machine()
            .name(name)
            .definition(definition.to_string())
            .role_arn(ROLE)
            .send()
            .await
            .expect("CreateStateMachine")
            .state_machine_arn
    }

    async fn finished(
        &self,
        arn: &str,
    ) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
        let waiting = async {
            loop {
                let described = self
                    .client
                    .describe_execution()
                    .execution_arn(arn)
                    .send()
                    .await
                    .expect("DescribeExecution");
                if described.status != ExecutionStatus::Running {
                    return described;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(HANG_GUARD, waiting)
            .await
            .unwrap_or_else(|_| panic!("{arn} did not finish within {HANG_GUARD:?}"))
    }

    /// One raw HTTP/1.1 exchange: (status, body).
    async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.address)
            .await
            .expect("connect");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("receive");
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    async fn sfn(&self, target: &str, body: &str) -> (u16, Value) {
        let (status, text) = self
            .raw(
                "POST",
                "/",
                &[
                    ("X-Amz-Target", target),
                    ("Content-Type", "application/x-amz-json-1.0"),
                ],
                body,
            )
            .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}")),
        )
    }
}

fn code<E: ProvideErrorMetadata, R>(error: SdkError<E, R>) -> String {
    error
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("not a service error"))
}

fn pass_machine() -> Value {
    json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "End": true}
        }
    })
}

#[tokio::test]
async fn machines_and_executions_through_the_sdk() {
    let s = Served::start().await;
    let arn = s.machine("pass", &pass_machine()).await;
    let described = s
        .client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .expect("DescribeStateMachine");
    assert_eq!(described.name, "pass");
    assert_eq!(described.role_arn, ROLE);
    let definition: Value = serde_json::from_str(&described.definition).expect("JSON");
    assert_eq!(definition, pass_machine());

    // The same name and definition again is AWS's idempotent create; another definition is not.
    assert_eq!(s.machine("pass", &pass_machine()).await, arn);
    let taken = s
        .client
        .create_state_machine()
        .name("pass")
        .definition(json!({"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}).to_string())
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("a different definition under a taken name");
    assert_eq!(code(taken), "StateMachineAlreadyExists");
    let invalid = s
        .client
        .create_state_machine()
        .name("broken")
        .definition(r#"{"StartAt": "Nowhere", "States": {}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("an invalid definition");
    assert_eq!(code(invalid), "InvalidDefinition");

    let second = s.machine("second", &pass_machine()).await;
    let first_page = s
        .client
        .list_state_machines()
        .max_results(1)
        .send()
        .await
        .expect("ListStateMachines");
    assert_eq!(first_page.state_machines.len(), 1);
    let token = first_page.next_token.clone().expect("a second page");
    let second_page = s
        .client
        .list_state_machines()
        .max_results(1)
        .next_token(token)
        .send()
        .await
        .expect("ListStateMachines, page 2");
    let mut listed: Vec<String> = first_page
        .state_machines
        .iter()
        .chain(&second_page.state_machines)
        .map(|m| m.state_machine_arn.clone())
        .collect();
    listed.sort();
    let mut both = vec![arn.clone(), second.clone()];
    both.sort();
    assert_eq!(listed, both);
    assert_eq!(second_page.next_token, None);

    let started = s
        .client
        .start_execution()
        .state_machine_arn(&arn)
        .name("first")
        .input(r#"{"survey": "H12607"}"#)
        .send()
        .await
        .expect("StartExecution");
    let done = s.finished(&started.execution_arn).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.name.as_deref(), Some("first"));
    assert_eq!(done.state_machine_arn, arn);
    assert!(done.stop_date.is_some());
    let output: Value =
        serde_json::from_str(done.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(output, json!({"survey": "H12607", "a": {"ok": true}}));

    let again = s
        .client
        .start_execution()
        .state_machine_arn(&arn)
        .name("first")
        .input("{}")
        .send()
        .await
        .expect_err("a finished execution's name");
    assert_eq!(code(again), "ExecutionAlreadyExists");
    let bad_input = s
        .client
        .start_execution()
        .state_machine_arn(&arn)
        .input("{not json")
        .send()
        .await
        .expect_err("input that is not JSON");
    assert_eq!(code(bad_input), "InvalidExecutionInput");

    let listed = s
        .client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .expect("ListExecutions");
    let names: Vec<&str> = listed.executions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["first"]);
    let none = s
        .client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Failed)
        .send()
        .await
        .expect("ListExecutions FAILED");
    assert!(none.executions.is_empty());

    let missing = s
        .client
        .describe_execution()
        .execution_arn(format!(
            "{}:nope",
            arn.replace(":stateMachine:", ":execution:")
        ))
        .send()
        .await
        .expect_err("an unknown execution");
    assert!(
        matches!(
            missing.into_service_error(),
            DescribeExecutionError::ExecutionDoesNotExist(_)
        ),
        "the SDK raises its typed exception"
    );
    let malformed = s
        .client
        .describe_execution()
        .execution_arn("not-an-arn")
        .send()
        .await
        .expect_err("a malformed ARN");
    assert_eq!(code(malformed), "InvalidArn");

    s.client
        .delete_state_machine()
        .state_machine_arn(&second)
        .send()
        .await
        .expect("DeleteStateMachine");
    let gone = s
        .client
        .describe_state_machine()
        .state_machine_arn(&second)
        .send()
        .await
        .expect_err("a deleted machine");
    assert_eq!(code(gone), "StateMachineDoesNotExist");
}

#[tokio::test]
async fn history_pages_forwards_and_backwards_with_or_without_data() {
    let s = Served::start().await;
    let arn = s.machine("pass", &pass_machine()).await;
    let execution = s
        .client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"x": 1}"#)
        .send()
        .await
        .expect("StartExecution")
        .execution_arn;
    s.finished(&execution).await;

    let all = s
        .client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .expect("GetExecutionHistory")
        .events;
    let kinds: Vec<HistoryEventType> = all.iter().map(|e| e.r#type.clone()).collect();
    assert_eq!(
        kinds,
        [
            HistoryEventType::ExecutionStarted,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::PassStateEntered,
            HistoryEventType::PassStateExited,
            HistoryEventType::ExecutionSucceeded,
        ]
    );
    let entered = all[1]
        .state_entered_event_details
        .as_ref()
        .expect("details");
    assert_eq!(entered.name, "A");
    assert_eq!(entered.input.as_deref(), Some(r#"{"x":1}"#));

    // Pages of two, newest first, continue where the token says and end without one.
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page = s
            .client
            .get_execution_history()
            .execution_arn(&execution)
            .reverse_order(true)
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .expect("a page");
        assert!(page.events.len() <= 2);
        ids.extend(page.events.iter().map(|e| e.id));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut expected: Vec<i64> = all.iter().map(|e| e.id).collect();
    expected.reverse();
    assert_eq!(ids, expected);

    let lean = s
        .client
        .get_execution_history()
        .execution_arn(&execution)
        .include_execution_data(false)
        .send()
        .await
        .expect("without data")
        .events;
    let details = lean[1]
        .state_entered_event_details
        .as_ref()
        .expect("details");
    assert_eq!(
        (details.name.as_str(), details.input.as_deref()),
        ("A", None)
    );

    let bogus = s
        .client
        .get_execution_history()
        .execution_arn(&execution)
        .next_token("999999")
        .send()
        .await
        .expect_err("a token of no listing");
    assert_eq!(code(bogus), "InvalidToken");
}

#[tokio::test]
async fn activities_tokens_stop_and_redrive() {
    let s = Served::start().await;
    let activity = s
        .client
        .create_activity()
        .name("worker")
        .send()
        .await
        .expect("CreateActivity")
        .activity_arn;
    let listed = s
        .client
        .list_activities()
        .send()
        .await
        .expect("ListActivities");
    assert_eq!(
        listed
            .activities
            .iter()
            .map(|a| (a.name.as_str(), a.activity_arn.as_str()))
            .collect::<Vec<_>>(),
        [("worker", activity.as_str())]
    );
    let machine = s
        .machine(
            "work",
            &json!({"StartAt": "Work", "States": {"Work": {
                "Type": "Task", "Resource": activity, "HeartbeatSeconds": 600, "End": true}}}),
        )
        .await;

    // Success, with a heartbeat first.
    let ok = s
        .client
        .start_execution()
        .state_machine_arn(&machine)
        .input(r#"{"n": 1}"#)
        .send()
        .await
        .expect("StartExecution")
        .execution_arn;
    let task = s
        .client
        .get_activity_task()
        .activity_arn(&activity)
        .worker_name("test")
        .send()
        .await
        .expect("GetActivityTask");
    let token = task.task_token.expect("a task");
    assert_eq!(
        serde_json::from_str::<Value>(task.input.as_deref().expect("input")).expect("JSON"),
        json!({"n": 1})
    );
    s.client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .expect("SendTaskHeartbeat");
    s.client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"done": true}"#)
        .send()
        .await
        .expect("SendTaskSuccess");
    let done = s.finished(&ok).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some(r#"{"done":true}"#));
    let spent = s
        .client
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .expect_err("a used token");
    assert!(
        ["TaskDoesNotExist", "InvalidToken", "TaskTimedOut"].contains(&code(spent).as_str()),
        "a used token is refused with a token error"
    );

    // Failure reported by the worker.
    let failing = s
        .client
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("StartExecution")
        .execution_arn;
    let token = s
        .client
        .get_activity_task()
        .activity_arn(&activity)
        .send()
        .await
        .expect("GetActivityTask")
        .task_token
        .expect("a task");
    s.client
        .send_task_failure()
        .task_token(&token)
        .error("Job.ExitCode.2")
        .cause("bad grid")
        .send()
        .await
        .expect("SendTaskFailure");
    let failed = s.finished(&failing).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("Job.ExitCode.2"));
    assert_eq!(failed.cause.as_deref(), Some("bad grid"));

    // Redriving runs the failed task again; stopping aborts it.
    let redriven = s
        .client
        .redrive_execution()
        .execution_arn(&failing)
        .send()
        .await
        .expect("RedriveExecution");
    assert!(redriven.redrive_date.secs() > 0);
    let again = s
        .client
        .get_activity_task()
        .activity_arn(&activity)
        .send()
        .await
        .expect("GetActivityTask after the redrive");
    assert!(
        again.task_token.is_some(),
        "the redrive schedules the task again"
    );
    let stopped = s
        .client
        .stop_execution()
        .execution_arn(&failing)
        .error("Operator")
        .cause("enough")
        .send()
        .await
        .expect("StopExecution");
    assert!(stopped.stop_date.secs() > 0);
    let aborted = s.finished(&failing).await;
    assert_eq!(aborted.status, ExecutionStatus::Aborted);
    assert_eq!(aborted.redrive_count, Some(1));

    let succeeded = s
        .client
        .redrive_execution()
        .execution_arn(&ok)
        .send()
        .await
        .expect_err("a succeeded execution");
    assert_eq!(code(succeeded), "ExecutionNotRedrivable");
    let unknown = s
        .client
        .get_activity_task()
        .activity_arn(format!("{activity}-missing"))
        .send()
        .await
        .expect_err("an unknown activity");
    assert_eq!(code(unknown), "ActivityDoesNotExist");
}

#[tokio::test]
async fn protocol_errors_name_the_problem() {
    let s = Served::start().await;
    let (status, body) = s.sfn("AWSStepFunctions.Frobnicate", "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(body["message"]
        .as_str()
        .unwrap_or("")
        .contains("Frobnicate"));

    let (status, body) = s.sfn("AWSStepFunctions.DescribeExecution", "{}").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("executionArn"),
        "{body}"
    );

    let (status, body) = s.sfn("AWSStepFunctions.ListStateMachines", "{oops").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );

    let (status, body) = s
        .sfn(
            "AWSStepFunctions.ListStateMachines",
            r#"{"maxResults": 5000}"#,
        )
        .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap_or("")
        .contains("maxResults"));

    let (status, body) = s
        .raw(
            "POST",
            "/",
            &[("Content-Type", "application/x-amz-json-1.0")],
            "{}",
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("X-Amz-Target"), "{body}");

    let (status, body) = s
        .raw(
            "POST",
            "/",
            &[
                ("X-Amz-Target", "AWSStepFunctions.ListStateMachines"),
                ("Content-Type", "text/plain"),
            ],
            "{}",
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("Content-Type"), "{body}");
}

#[tokio::test]
async fn the_page_and_the_run_api_share_the_port() {
    let s = Served::start().await;
    s.twin
        .deploy_survey(&pass_machine().to_string())
        .expect("deploy");
    let (status, page) = s.raw("GET", "/", &[], "").await;
    assert_eq!(status, 200);
    assert!(page.contains("<title>Leadline"), "the page is served");

    let (status, body) = s.raw("GET", "/api/runs", &[], "").await;
    assert_eq!(status, 200);
    let runs: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(runs["runs"], json!([]));
    let (status, body) = s.raw("GET", "/api/runs?status=SLEEPING", &[], "").await;
    assert_eq!(status, 400);
    assert!(body.contains("SLEEPING"), "{body}");
    let (status, _) = s.raw("GET", "/api/runs/nope", &[], "").await;
    assert_eq!(status, 404);
    let (status, body) = s
        .raw(
            "POST",
            "/api/runs",
            &[("Content-Type", "application/json")],
            r#"{"survey": "absent"}"#,
        )
        .await;
    assert_eq!(
        status, 409,
        "an upload without .done is not complete: {body}"
    );

    let (status, body) = s.raw("GET", "/twin/execution", &[], "").await;
    assert_eq!(status, 400);
    assert!(body.contains("arn"), "{body}");
    let (status, _) = s
        .raw(
            "GET",
            "/twin/execution?arn=arn:aws:states:us-east-1:000000000000:execution:x:y",
            &[],
            "",
        )
        .await;
    assert_eq!(status, 404);
}

/// A `.done` in the uploads folder starts one run; seeing it again starts none.
#[tokio::test]
async fn the_watcher_starts_one_run_per_completed_upload() {
    let s = Served::start().await;
    // A machine that waits keeps the run listable as RUNNING whatever the survey holds.
    s.twin
        .deploy_survey(
            &json!({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": true}}})
                .to_string(),
        )
        .expect("deploy");
    let uploads = s.twin.uploads_dir();
    let survey = uploads.join("H12607");
    std::fs::create_dir_all(&survey).expect("survey folder");
    std::fs::write(survey.join("grid.bag"), b"not really a grid").expect("write");
    let (stop, stopped) = oneshot::channel::<()>();
    let watcher = tokio::spawn(http::watch_uploads(
        uploads.clone(),
        s.twin.environment().buckets.uploads.clone(),
        s.twin.trigger(),
        async {
            let _ = stopped.await;
        },
    ));
    std::fs::write(survey.join(".done"), b"").expect("write .done");

    let machine = s.twin.survey_machine_arn();
    let runs = async {
        loop {
            let runs = s.twin.list_executions(&machine, None).await.expect("list");
            if !runs.is_empty() {
                return runs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let runs = tokio::time::timeout(HANG_GUARD, runs)
        .await
        .expect("a run started");
    assert_eq!(runs.len(), 1);
    let input: Value = serde_json::from_str(&runs[0].input).expect("JSON");
    assert_eq!(input["survey"], "H12607");
    assert!(runs[0].name.starts_with("H12607-"), "{}", runs[0].name);

    // The same upload completed again is the same run: still one.
    std::fs::write(survey.join(".done"), b"again").expect("rewrite .done");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let runs = s.twin.list_executions(&machine, None).await.expect("list");
    assert_eq!(runs.len(), 1, "a duplicate .done starts no second run");

    let _ = stop.send(());
    tokio::time::timeout(HANG_GUARD, watcher)
        .await
        .expect("the watcher stops on shutdown")
        .expect("the watcher does not panic");
}

/// The statuses the page colours, each on one state of one running execution.
fn showcase(activity: &str) -> Value {
    let work =
        |step: &str| json!({"Type": "Task", "Resource": activity, "Parameters": {"step": step}});
    let mut broken = work("Broken");
    broken["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "Next": "Recovered"}]);
    broken["Next"] = json!("Recovered");
    let mut slow = work("Slow");
    slow["End"] = json!(true);
    let mut reuse = work("Reuse");
    reuse["End"] = json!(true);
    json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Fanout"},
            "Fanout": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Slow", "States": {"Slow": slow}},
                {"StartAt": "PlanSkip", "States": {
                    "PlanSkip": {"Type": "Pass", "Result": {"status": "skipped", "reason": "no raw sonar"},
                                 "ResultPath": "$.processor", "Next": "Reuse"},
                    "Reuse": reuse}},
                {"StartAt": "Broken", "States": {
                    "Broken": broken,
                    "Recovered": {"Type": "Pass", "End": true}}}
            ]}
        }
    })
}

/// RGB of the page's status colours (index.html's `--running` … `--cached`).
const COLOURS: [(&str, [u8; 3]); 5] = [
    ("running", [0x2f, 0x6f, 0xdf]),
    ("succeeded", [0x2e, 0x9d, 0x4f]),
    ("failed", [0xd6, 0x45, 0x45]),
    ("skipped", [0xe0, 0xa5, 0x26]),
    ("cached", [0x17, 0xa2, 0xb8]),
];

/// Runs headless Chromium on the page; asynchronously, since the server answering it runs on
/// this test's runtime.
async fn chromium(args: &[&str]) -> std::process::Output {
    let run = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=8000",
        ])
        .args(args)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(HANG_GUARD, run)
        .await
        .unwrap_or_else(|_| panic!("chromium did not finish within {HANG_GUARD:?}"))
        .unwrap_or_else(|e| panic!("cannot run chromium ({e}); scripts/setup installs it"))
}

/// Pixels of each status colour in an RGB(A) PNG.
fn colour_counts(png_path: &Path) -> Vec<(&'static str, usize)> {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("the screenshot exists"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("one frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "an RGB screenshot");
    let pixels = &pixels[..info.buffer_size()];
    COLOURS
        .iter()
        .map(|(name, rgb)| {
            let count = pixels
                .chunks_exact(channels)
                .filter(|p| p[..3] == rgb[..])
                .count();
            (*name, count)
        })
        .collect()
}

#[tokio::test]
async fn the_page_colours_each_state_by_status_in_chromium() {
    let s = Served::start().await;
    let activity = s
        .twin
        .create_activity("showcase")
        .await
        .expect("CreateActivity")
        .arn;
    s.twin
        .deploy_survey(&showcase(&activity).to_string())
        .expect("deploy the showcase as the survey machine");
    let run = s
        .twin
        .start_execution(
            &s.twin.survey_machine_arn(),
            Some("showcase-run"),
            r#"{"survey": "S1"}"#,
        )
        .await
        .expect("start");
    // Answer Reuse as a cache hit and fail Broken; Slow stays running.
    let mut answered = 0;
    while answered < 2 {
        let task = tokio::time::timeout(HANG_GUARD, s.twin.get_activity_task(&activity, None))
            .await
            .expect("tasks arrive")
            .expect("GetActivityTask")
            .expect("a task");
        let input: Value = serde_json::from_str(&task.input).expect("JSON");
        match input["step"].as_str() {
            Some("Reuse") => {
                let result = json!({"cached": true, "manifest": "bafkreimanifest",
                                    "outputs": {"grid_cog.tif": {"cid": "bafkreicog", "size": 42}}});
                s.twin
                    .send_task_success(&task.token, &result.to_string())
                    .await
                    .expect("success");
                answered += 1;
            }
            Some("Broken") => {
                s.twin
                    .send_task_failure(&task.token, Some("Job.ExitCode.2"), Some("bad grid"))
                    .await
                    .expect("failure");
                answered += 1;
            }
            _ => {}
        }
    }
    let settled = async {
        loop {
            let history = s.twin.execution_history(&run.arn).await.expect("history");
            let progress = http::progress(&history);
            let exited = |name: &str| {
                progress
                    .get(name)
                    .is_some_and(|p| p.status != http::StepStatus::Running)
            };
            if exited("Reuse") && exited("Recovered") {
                return progress;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let progress = tokio::time::timeout(HANG_GUARD, settled)
        .await
        .expect("the branches settle");
    let statuses: Vec<(&str, http::StepStatus)> = progress
        .iter()
        .map(|(n, p)| (n.as_str(), p.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Broken", http::StepStatus::Failed),
            ("Fanout", http::StepStatus::Running),
            ("PlanSkip", http::StepStatus::Skipped),
            ("Prepare", http::StepStatus::Succeeded),
            ("Recovered", http::StepStatus::Succeeded),
            ("Reuse", http::StepStatus::Cached),
            ("Slow", http::StepStatus::Running),
        ]
    );

    let url = s.url("/#run=showcase-run");
    let dom = chromium(&["--dump-dom", &url]).await;
    assert!(
        dom.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    for (state, status) in [
        ("Prepare", "succeeded"),
        ("Slow", "running"),
        ("PlanSkip", "skipped"),
        ("Reuse", "cached"),
        ("Broken", "failed"),
        ("Recovered", "succeeded"),
    ] {
        assert!(
            dom.contains(&format!(r#"data-state="{state}" data-status="{status}""#)),
            "{state} is drawn as {status} in the DOM"
        );
    }
    assert!(
        dom.contains("bafkreicog"),
        "the cached step's output CID is shown"
    );
    assert!(dom.contains("no raw sonar"), "the skip reason is shown");
    assert!(dom.contains("bad grid"), "the failure's cause is shown");
    assert!(
        dom.contains(r#"data-run="showcase-run""#),
        "the run is listed"
    );
    assert!(
        dom.contains("has no manifest yet"),
        "an unpublished run says why it has no manifest"
    );

    let shots = tempfile::tempdir().expect("screenshot folder");
    let png_path = shots.path().join("page.png");
    let shot = chromium(&[
        &format!("--screenshot={}", png_path.display()),
        "--window-size=1280,900",
        &url,
    ])
    .await;
    assert!(
        shot.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    // A state box is 170 × 34 px; the legend's swatches are far smaller, so each colour
    // covering more than half a box means a state is painted in it.
    for (name, count) in colour_counts(&png_path) {
        assert!(
            count > 170 * 34 / 2,
            "{name} states are painted ({count} pixels)"
        );
    }
}
