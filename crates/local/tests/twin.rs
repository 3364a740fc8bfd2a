//! The twin's engine behaviour on its own: host-process jobs under the machine's Retry and
//! Catch, and redrive from the failed state without redoing finished tasks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use leadline_asl::history::{EventType, HistoryEvent};
use leadline_local::control::{ControlPlane, Status};
use leadline_local::{Twin, TwinConfig};
use serde_json::{json, Value};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn twin(state: &Path) -> Arc<Twin> {
    let environment = leadline_render::Project::new(workspace())
        .environment("local")
        .unwrap();
    Twin::open(TwinConfig {
        state_dir: state.to_path_buf(),
        environment,
        job_path: Vec::new(),
    })
    .unwrap()
}

/// An ECS job step whose container command is `sh -c <script>`.
fn job(script: &str) -> Value {
    json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {
            "Cluster": "arn:aws:ecs:us-east-1:000000000000:cluster/leadline-local",
            "TaskDefinition": "leadline-local-gdal",
            "Overrides": {"ContainerOverrides": [{"Name": "job", "Command": ["sh", "-c", script]}]}
        },
        "ResultPath": null
    })
}

fn count(events: &[HistoryEvent], kind: EventType) -> usize {
    events.iter().filter(|e| e.event_type == kind).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_job_is_retried_per_the_machine_then_caught() {
    let state = tempfile::tempdir().unwrap();
    let twin = twin(state.path());
    let mut failing = job("echo 'grid unreadable' >&2; exit 3");
    failing["Retry"] =
        json!([{"ErrorEquals": ["Job.ExitCode.3"], "IntervalSeconds": 1, "MaxAttempts": 1}]);
    failing["Catch"] =
        json!([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]);
    failing["Next"] = json!("Unreachable");
    let definition = json!({"StartAt": "Job", "States": {
        "Job": failing,
        "Unreachable": {"Type": "Fail", "Error": "NotCaught"},
        "Recovered": {"Type": "Pass", "End": true}
    }});
    let machine = twin
        .create_state_machine("retry", &definition.to_string(), "")
        .await
        .unwrap();
    let started = twin
        .start_execution(&machine.arn, Some("one"), "{}")
        .await
        .unwrap();
    let ended = twin.wait(&started.arn).await.unwrap();
    assert_eq!(ended.status, Status::Succeeded, "{ended:?}");
    let output: Value = serde_json::from_str(ended.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["error"]["Error"], "Job.ExitCode.3");
    assert!(output["error"]["Cause"]
        .as_str()
        .unwrap()
        .contains("grid unreadable"));
    let history = twin.execution_history(&started.arn).await.unwrap();
    assert_eq!(
        count(&history, EventType::TaskFailed),
        2,
        "tried, retried once"
    );
    let logs = twin.step_logs(&started.arn).await.unwrap();
    let labels: Vec<&str> = logs.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["Job", "Job #2"]);
    assert!(logs.iter().all(|l| l.text.contains("grid unreadable")));
}

#[tokio::test(flavor = "multi_thread")]
async fn redrive_reruns_the_failed_state_only() {
    let state = tempfile::tempdir().unwrap();
    let twin = twin(state.path());
    let marks = state.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let first = job(&format!("echo ran >> {}/first", marks.display()));
    let second = job(&format!(
        "echo ran >> {m}/second; test -e {m}/fixed || {{ echo 'input missing' >&2; exit 4; }}",
        m = marks.display()
    ));
    let mut first = first;
    first["Next"] = json!("Second");
    let mut second = second;
    second["End"] = json!(true);
    let definition = json!({"StartAt": "First", "States": {"First": first, "Second": second}});
    let machine = twin
        .create_state_machine("redrive", &definition.to_string(), "")
        .await
        .unwrap();
    let started = twin
        .start_execution(&machine.arn, Some("r1"), r#"{"survey": "S"}"#)
        .await
        .unwrap();
    let failed = twin.wait(&started.arn).await.unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.error.as_deref(), Some("Job.ExitCode.4"));

    std::fs::write(marks.join("fixed"), "").unwrap();
    twin.redrive_execution(&started.arn).await.unwrap();
    let redriven = twin.wait(&started.arn).await.unwrap();
    assert_eq!(redriven.status, Status::Succeeded, "{redriven:?}");
    assert_eq!(redriven.redrive_count, 1);
    let read = |name: &str| std::fs::read_to_string(marks.join(name)).unwrap();
    assert_eq!(read("first").lines().count(), 1, "First is not rerun");
    assert_eq!(read("second").lines().count(), 2, "Second reruns");
    let history = twin.execution_history(&started.arn).await.unwrap();
    assert_eq!(count(&history, EventType::ExecutionRedriven), 1);
    assert_eq!(count(&history, EventType::ExecutionStarted), 1);
    let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "event ids continue across the redrive: {ids:?}"
    );
    // A succeeded execution cannot be redriven.
    let refused = twin.redrive_execution(&started.arn).await.unwrap_err();
    assert_eq!(refused.code(), "ExecutionNotRedrivable");
}

#[tokio::test(flavor = "multi_thread")]
async fn executions_are_remembered_by_a_reopened_twin() {
    let state = tempfile::tempdir().unwrap();
    let arn = {
        let twin = twin(state.path());
        let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
        let machine = twin
            .create_state_machine("pass", &definition.to_string(), "")
            .await
            .unwrap();
        let started = twin
            .start_execution(&machine.arn, Some("kept"), r#"{"a": 1}"#)
            .await
            .unwrap();
        twin.wait(&started.arn).await.unwrap();
        started.arn
    };
    let reopened = twin(state.path());
    let described = reopened.describe_execution(&arn).await.unwrap();
    assert_eq!(described.status, Status::Succeeded);
    assert_eq!(described.output.as_deref(), Some(r#"{"a":1}"#));
    let again = reopened
        .start_execution(&described.machine_arn, Some("kept"), r#"{"a": 1}"#)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "ExecutionAlreadyExists");
}
