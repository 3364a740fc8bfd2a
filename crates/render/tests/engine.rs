//! The committed local survey machine, run by the ASL engine with stand-ins for everything it
//! calls (tests/fixtures/standins.py, one command per resource in tests/fixtures/functions.toml):
//! it must take the expected path for a grids-only upload, a raw-sonar upload, an empty upload,
//! and a processor step that fails.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use leadline_asl::aws::{lambda_dispatcher, CommandFunctions, LambdaFunctions};
use leadline_asl::clock::SystemClock;
use leadline_asl::dispatch::{Completion, TaskCall, TaskFailure, TaskResolver};
use leadline_asl::history::{EventDetails, HistoryEvent};
use leadline_asl::{Engine, EngineConfig, ExecutionRequest, ExecutionResult, ExecutionStatus};
use leadline_render::Project;
use leadline_worker::task::{AllowList, TaskInput};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Routes a non-Lambda resource to one function of the functions file, with the resource.
struct StandIn {
    functions: CommandFunctions,
    function: &'static str,
}

#[async_trait]
impl TaskResolver for StandIn {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let event = json!({"resource": call.resource, "input": call.input});
        self.functions
            .invoke(self.function, event)
            .await
            .map(Completion::Result)
    }
}

async fn run(survey: &str, parameters: Value) -> ExecutionResult {
    let environment = Project::new(root()).environment("local").unwrap();
    let functions = CommandFunctions::load(&fixtures().join("functions.toml")).unwrap();
    let mut dispatcher = lambda_dispatcher(functions.clone());
    for (pattern, function) in [
        ("arn:aws:states:::ecs:runTask.sync", "job"),
        ("arn:aws:states:::aws-sdk:ec2:*", "ec2"),
        (environment.resources().activity.as_str(), "processor-host"),
    ] {
        let functions = functions.clone();
        dispatcher.register(
            pattern,
            Arc::new(StandIn {
                functions,
                function,
            }),
        );
    }
    let text =
        std::fs::read_to_string(root().join("state-machines/local/survey.asl.json")).unwrap();
    let machine = leadline_asl::parse_str(&text, Default::default()).unwrap();
    let engine =
        Engine::new(Arc::new(dispatcher), Arc::new(SystemClock)).with_config(EngineConfig {
            region: environment.region.clone(),
            account: environment.account.clone(),
            ..EngineConfig::default()
        });
    let input = json!({
        "survey": survey,
        "bucket": environment.buckets.uploads,
        "prefix": format!("{survey}/"),
        "parameters": parameters,
    });
    engine
        .execute(&machine, ExecutionRequest::new("survey", "test-run", input))
        .await
}

/// Names of the states entered, in order.
fn entered(history: &[HistoryEvent]) -> Vec<&str> {
    history
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateEnteredEventDetails(d)) => Some(d.name.as_str()),
            _ => None,
        })
        .collect()
}

/// The activity tasks' inputs, in order; each must be one leadline-worker accepts and runs.
fn activity_inputs(history: &[HistoryEvent]) -> Vec<Value> {
    history
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::ActivityScheduledEventDetails(d)) => {
                let task =
                    TaskInput::parse(&d.input).unwrap_or_else(|e| panic!("{e}: {}", d.input));
                AllowList::default().check(&task.command[0]).unwrap();
                Some(serde_json::from_str(&d.input).unwrap())
            }
            _ => None,
        })
        .collect()
}

/// (action, parameters) of the service-integration tasks (ECS, EC2), in order.
fn tasks(history: &[HistoryEvent]) -> Vec<(String, Value)> {
    history
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::TaskScheduledEventDetails(d)) => Some((
                format!("{}:{}", d.resource_type, d.resource),
                serde_json::from_str(&d.parameters).unwrap(),
            )),
            _ => None,
        })
        .collect()
}

fn describe(result: &ExecutionResult) -> String {
    format!(
        "status {:?}, error {:?}, states {:?}",
        result.status,
        result.error,
        entered(&result.history)
    )
}

#[tokio::test]
async fn grids_only_upload_skips_the_processor_and_makes_products() {
    let result = run("grids-only", json!({})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Succeeded,
        "{}",
        describe(&result)
    );
    let states = entered(&result.history);
    for state in [
        "Inventory",
        "Plan",
        "ProcessorSkipped",
        "Products",
        "Publish",
        "Done",
    ] {
        assert!(states.contains(&state), "{state} not entered: {states:?}");
    }
    for state in [
        "StartHost",
        "CreateHIPSFile",
        "StopHost",
        "StopHostAfterFailure",
    ] {
        assert!(!states.contains(&state), "{state} entered: {states:?}");
    }
    assert!(activity_inputs(&result.history).is_empty());

    let output = result.output.unwrap();
    assert_eq!(output["processor"]["status"], "skipped");
    assert_eq!(output["processor"]["reason"], "no raw sonar");
    assert_eq!(
        output["products"],
        json!({"status": "succeeded", "grids": 1})
    );
    assert_eq!(output["publish"]["Payload"]["published"], "products");

    // One grid, four jobs, each the runner staging that grid around the step's own command.
    let jobs: Vec<Value> = tasks(&result.history)
        .into_iter()
        .filter(|(action, _)| action == "ecs:runTask.sync")
        .map(|(_, p)| p["Overrides"]["ContainerOverrides"][0]["Command"].clone())
        .collect();
    let mut steps: Vec<&str> = jobs
        .iter()
        .map(|c| {
            let c = c.as_array().unwrap();
            assert_eq!(c[0], "leadline-runner");
            assert_eq!(c[2], "s3://uploads/grids-only/H00001_1m.bag");
            c[10].as_str().unwrap()
        })
        .collect();
    steps.sort_unstable();
    assert_eq!(
        steps,
        ["cog.sh", "coverage.sh", "hillshade.sh", "leadline-qc"]
    );
    assert!(jobs.iter().any(|c| c
        == &json!([
            "leadline-runner",
            "--input",
            "s3://uploads/grids-only/H00001_1m.bag",
            "--publish",
            "s3://work/grids-only/test-run/products/H00001_1m.bag/",
            "--cache",
            "s3://work/cache/",
            "--step",
            "qc",
            "--",
            "leadline-qc",
            "H00001_1m.bag"
        ])));
}

#[tokio::test]
async fn raw_sonar_upload_runs_the_processor_then_products_of_its_exports() {
    let result = run("raw-sonar", json!({"resolution": "2.0m"})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Succeeded,
        "{}",
        describe(&result)
    );
    let states = entered(&result.history);
    let host: Vec<&str> = states
        .iter()
        .copied()
        .skip_while(|s| *s != "StartHost")
        .take_while(|s| *s != "RunProducts")
        .collect();
    assert_eq!(
        host,
        [
            "StartHost",
            "DescribeHost",
            "HostRunning",
            "CreateHIPSFile",
            "CheckpointCreateHIPSFile",
            "ImportToHIPS",
            "CheckpointImportToHIPS",
            "ImportHIPSFromAuxiliary",
            "CheckpointImportHIPSFromAuxiliary",
            "GeoreferenceHIPSBathymetry",
            "CheckpointGeoreferenceHIPSBathymetry",
            "CreateHIPSGridWithCube",
            "CheckpointCreateHIPSGridWithCube",
            "FilterProcessedDepths",
            "CheckpointFilterProcessedDepths",
            "ExportGeoTIFF",
            "CheckpointExportGeoTIFF",
            "ExportBAG",
            "CheckpointExportBAG",
            "StopHost",
            "ProcessorSucceeded",
        ]
    );

    let tasks_sent = activity_inputs(&result.history);
    assert!(tasks_sent.iter().all(|t| t["survey"] == "raw-sonar"));
    let commands: Vec<&Value> = tasks_sent.iter().map(|task| &task["command"]).collect();
    assert_eq!(commands.len(), 8);
    assert_eq!(tasks_sent[1]["inputs"], json!(["s3://uploads/raw-sonar/"]));
    assert_eq!(
        *commands[1],
        json!([
            "carisbatch",
            "--run",
            "ImportToHIPS",
            "--input-format",
            "KONGSBERG",
            "--vessel-file",
            "vessel.hvf",
            "*.all",
            "raw-sonar.hips"
        ])
    );
    // The input's parameters override the environment's defaults key by key.
    assert_eq!(
        *commands[4],
        json!([
            "carisbatch",
            "--run",
            "CreateHIPSGridWithCube",
            "--output-crs",
            "EPSG:32619",
            "--resolution",
            "2.0m",
            "--iho-order",
            "S44_1A",
            "--keep-up-to-date",
            "raw-sonar.hips",
            "raw-sonar.csar"
        ])
    );

    let output = result.output.unwrap();
    assert_eq!(output["processor"]["status"], "succeeded");
    // The products branch maps over the processor's two exports.
    assert_eq!(
        output["products"],
        json!({"status": "succeeded", "grids": 2})
    );
    let inputs: Vec<String> = tasks(&result.history)
        .into_iter()
        .filter(|(action, _)| action == "ecs:runTask.sync")
        .map(|(_, p)| p["Overrides"]["ContainerOverrides"][0]["Command"][2].to_string())
        .collect();
    assert_eq!(inputs.len(), 8);
    for export in ["raw-sonar.tif", "raw-sonar.bag"] {
        let uri = format!("\"s3://work/processor/raw-sonar/{export}\"");
        assert_eq!(
            inputs.iter().filter(|i| **i == uri).count(),
            4,
            "{inputs:?}"
        );
    }
}

#[tokio::test]
async fn empty_upload_fails_clearly_without_running_a_branch() {
    // No folder: an S3 prefix with no objects.
    let result = run("empty-upload", json!({})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Failed,
        "{}",
        describe(&result)
    );
    let error = result.error.unwrap();
    assert_eq!(error.error, "Leadline.NothingToProcess");
    assert!(
        error.cause.contains("no raw sonar and no grids"),
        "{error:?}"
    );
    let states = entered(&result.history);
    assert_eq!(
        states,
        [
            "CheckInput",
            "Defaults",
            "Prepare",
            "Inventory",
            "Plan",
            "AnythingToDo",
            "NothingToProcess"
        ]
    );
}

#[tokio::test]
async fn failing_processor_step_stops_the_host_and_fails_with_its_error() {
    let result = run("failing-import", json!({})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Failed,
        "{}",
        describe(&result)
    );
    let error = result.error.unwrap();
    assert_eq!(error.error, "Job.ExitCode.3");
    assert!(
        error.cause.contains("vessel file vessel.hvf not found"),
        "{error:?}"
    );
    let states = entered(&result.history);
    let tail: Vec<&str> = states
        .iter()
        .copied()
        .skip_while(|s| *s != "ImportToHIPS")
        .collect();
    assert_eq!(
        tail,
        ["ImportToHIPS", "StopHostAfterFailure", "ProcessorFailed"]
    );
    let stops = tasks(&result.history)
        .into_iter()
        .filter(|(action, _)| action.ends_with("ec2:stopInstances"))
        .count();
    assert_eq!(stops, 1);
}

#[tokio::test]
async fn step_without_a_checkpoint_stops_the_host_and_fails() {
    // The stand-in worker reports `"checkpoint": null` for this survey, as leadline-worker
    // does when started without --checkpoint.
    let result = run("no-checkpoint", json!({})).await;
    assert_eq!(
        result.status,
        ExecutionStatus::Failed,
        "{}",
        describe(&result)
    );
    let error = result.error.unwrap();
    assert_eq!(error.error, "Leadline.NotCheckpointed");
    assert!(
        error.cause.contains("--checkpoint s3://work/processor/"),
        "{error:?}"
    );
    let states = entered(&result.history);
    let tail: Vec<&str> = states
        .iter()
        .copied()
        .skip_while(|s| *s != "CreateHIPSFile")
        .collect();
    assert_eq!(
        tail,
        [
            "CreateHIPSFile",
            "CheckpointCreateHIPSFile",
            "NotCheckpointed",
            "StopHostAfterFailure",
            "ProcessorFailed"
        ]
    );
}

#[tokio::test]
async fn input_without_the_trigger_fields_is_rejected() {
    let environment = Project::new(root()).environment("local").unwrap();
    let text =
        std::fs::read_to_string(root().join("state-machines/local/survey.asl.json")).unwrap();
    let machine = leadline_asl::parse_str(&text, Default::default()).unwrap();
    let engine = Engine::new(
        Arc::new(lambda_dispatcher(CommandFunctions::default())),
        Arc::new(SystemClock),
    )
    .with_config(EngineConfig {
        region: environment.region,
        account: environment.account,
        ..EngineConfig::default()
    });
    let result = engine
        .execute(
            &machine,
            ExecutionRequest::new("survey", "bad-input", json!({"survey": "x"})),
        )
        .await;
    assert_eq!(result.status, ExecutionStatus::Failed);
    assert_eq!(result.error.unwrap().error, "Leadline.InvalidInput");
}
