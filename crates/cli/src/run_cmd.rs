//! `leadline run` and `leadline redrive`: a survey through the local twin, start to end.
//!
//! `run` uploads the folder into the twin's uploads bucket, writes `.done`, lets the trigger
//! handler start the execution and waits for it, printing each step as it goes. Exit 0 when
//! the run succeeded, 1 when it failed (with the failing step, error and cause), 2 on bad usage.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use leadline_asl::history::{EventDetails, HistoryEvent};
use leadline_core::key::{Key, Prefix};
use leadline_core::store::{DirStore, ObjectStore};
use leadline_core::sync::{sync, SyncOptions};
use leadline_local::control::{ControlPlane, ExecutionInfo, Status};
use leadline_local::{Twin, TwinConfig};
use serde_json::{json, Value};

use crate::render_cmd::find_root;

#[derive(Args)]
pub struct TwinArgs {
    /// Environment whose rendered machine and names the twin uses
    #[arg(long = "env", default_value = "local", value_name = "NAME")]
    environment: String,
    /// Folder holding the twin's database and bucket folders
    #[arg(
        long,
        env = "LEADLINE_STATE_DIR",
        default_value = ".leadline",
        value_name = "DIR"
    )]
    state_dir: PathBuf,
    /// Project root holding environments/ and state-machines/ [default: the nearest folder
    /// upwards that has templates/ and environments/]
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Print the outcome as one JSON object (the last line of stdout); `serve` prints its URL
    /// as `{"url"}` once it listens
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub struct RunArgs {
    /// The survey folder to process; its name is the survey id
    #[arg(required_unless_present = "resume", value_name = "SURVEY_FOLDER")]
    folder: Option<PathBuf>,
    /// The survey id [default: the folder's name]
    #[arg(long = "survey", value_name = "ID")]
    survey_id: Option<String>,
    /// Finish the runs a killed `leadline run` or `leadline serve` left unfinished, without
    /// redoing the steps they had completed
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    twin: TwinArgs,
}

#[derive(Args)]
pub struct RedriveArgs {
    /// The execution to redrive: its name or ARN
    execution: String,
    #[command(flatten)]
    twin: TwinArgs,
}

/// Opens the twin of `args` and deploys the environment's rendered survey machine.
pub(crate) fn open_twin(args: &TwinArgs) -> Result<Arc<Twin>> {
    let root = match &args.root {
        Some(root) => root.clone(),
        None => find_root()?,
    };
    let project = leadline_render::Project::new(&root);
    let environment = project
        .environment(&args.environment)
        .with_context(|| format!("environment {}", args.environment))?;
    let machine_path = root
        .join("state-machines")
        .join(&args.environment)
        .join("survey.asl.json");
    let definition = std::fs::read_to_string(&machine_path).with_context(|| {
        format!(
            "cannot read {} (render it with `leadline render --env {}`)",
            machine_path.display(),
            args.environment
        )
    })?;
    // Job programs: the binaries built next to this one, then the GDAL product scripts.
    let mut job_path = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        job_path.push(dir);
    }
    job_path.push(root.join("jobs").join("gdal"));
    let state_dir = std::path::absolute(&args.state_dir)
        .with_context(|| format!("state folder {}", args.state_dir.display()))?;
    let twin = Twin::open(TwinConfig {
        state_dir,
        environment,
        job_path,
    })
    .context("cannot open the local twin")?;
    twin.deploy_survey(&definition)
        .with_context(|| format!("cannot deploy {}", machine_path.display()))?;
    Ok(twin)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let twin = open_twin(&args.twin)?;
    runtime()?.block_on(async {
        let resumed = twin.resume_all().context("cannot resume unfinished runs")?;
        let arn = match &args.folder {
            Some(folder) => upload_and_start(&twin, folder, args.survey_id.as_deref()).await?,
            None => match resumed.first() {
                Some(arn) => arn.clone(),
                None => {
                    eprintln!(
                        "nothing to resume: no unfinished run in {}",
                        twin.state_dir().display()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            },
        };
        for other in resumed.iter().filter(|a| **a != arn) {
            eprintln!("resumed {other} as well; waiting for it too");
        }
        let code = follow(&twin, &arn, args.twin.json).await?;
        for other in resumed.iter().filter(|a| **a != arn) {
            twin.wait(other).await?;
        }
        Ok(code)
    })
}

pub fn redrive(args: RedriveArgs) -> Result<ExitCode> {
    let twin = open_twin(&args.twin)?;
    runtime()?.block_on(async {
        let arn = if args.execution.starts_with("arn:") {
            args.execution.clone()
        } else {
            format!(
                "{}:{}",
                twin.survey_machine_arn()
                    .replacen(":stateMachine:", ":execution:", 1),
                args.execution
            )
        };
        twin.redrive_execution(&arn)
            .await
            .with_context(|| format!("cannot redrive {}", args.execution))?;
        follow(&twin, &arn, args.twin.json).await
    })
}

/// Copies the survey into the uploads bucket, marks it complete and starts its run the way
/// the trigger Lambda does. Returns the execution's ARN (an existing one for the same upload).
async fn upload_and_start(twin: &Arc<Twin>, folder: &Path, id: Option<&str>) -> Result<String> {
    if !folder.is_dir() {
        bail!(
            "{} is not a folder (leadline run takes a survey folder)",
            folder.display()
        );
    }
    let absolute = std::path::absolute(folder)
        .with_context(|| format!("survey folder {}", folder.display()))?;
    let survey = id
        .map(str::to_owned)
        .or_else(|| {
            absolute
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .with_context(|| {
            format!(
                "{} has no folder name to use as the survey id",
                folder.display()
            )
        })?;
    let prefix = Prefix::new(format!("{survey}/"))
        .with_context(|| format!("{survey:?} cannot be a survey id"))?;
    let uploads = DirStore::new(twin.uploads_dir());
    let report = sync(
        &DirStore::new(&absolute),
        &Prefix::default(),
        &uploads,
        &prefix,
        &SyncOptions::default(),
    )
    .await
    .with_context(|| format!("cannot upload {}", absolute.display()))?;
    if let Some(first) = report.failed.first() {
        bail!(
            "cannot upload {} of {} files from {}; first {}: {}",
            report.failed.len(),
            report.failed.len() as u64 + report.copied + report.skipped,
            absolute.display(),
            first.key,
            first.error
        );
    }
    eprintln!(
        "uploaded {survey}: {} files copied, {} unchanged",
        report.copied, report.skipped
    );
    let done = Key::new(".done")?.under(&prefix)?;
    uploads
        .put_bytes(&done, Vec::new())
        .await
        .context("cannot write .done")?;
    let bucket = &twin.environment().buckets.uploads;
    let started = twin
        .trigger()
        .start(bucket, &prefix, &survey, None)
        .await
        .with_context(|| format!("cannot start the run of {survey}"))?;
    if !started.new {
        eprintln!(
            "this upload was started before as {}; following that run",
            started.name
        );
    }
    Ok(started.arn)
}

/// Prints each step as the execution goes, then the outcome; 0 when it succeeded.
async fn follow(twin: &Arc<Twin>, arn: &str, json_out: bool) -> Result<ExitCode> {
    let mut shown = 0;
    let mut progress = Progress::new(std::io::stderr().is_terminal());
    let info = loop {
        let info = twin.describe_execution(arn).await?;
        let events = twin.execution_history(arn).await?;
        for event in &events[shown.min(events.len())..] {
            progress.show(event);
        }
        shown = events.len();
        if info.status != Status::Running {
            break info;
        }
        tokio::select! {
            _ = twin.wait(arn) => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = tokio::signal::ctrl_c() => {
                eprintln!("interrupted: the run stays unfinished; `leadline run --resume` finishes it");
                return Ok(ExitCode::from(130));
            }
        }
    };
    let events = twin.execution_history(arn).await?;
    report(twin, &info, &events, json_out)
}

fn report(
    twin: &Twin,
    info: &ExecutionInfo,
    events: &[HistoryEvent],
    json_out: bool,
) -> Result<ExitCode> {
    let input: Value = serde_json::from_str(&info.input).unwrap_or_default();
    let survey = input
        .get("survey")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if info.status == Status::Succeeded {
        let output: Value = info
            .output
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default();
        let products = twin
            .bucket_dir(&twin.environment().buckets.products)
            .join(survey)
            .join(&info.name);
        let cid = output
            .pointer("/publish/Payload/cid")
            .cloned()
            .unwrap_or(Value::Null);
        let outcome = json!({
            "status": "SUCCEEDED",
            "execution_arn": info.arn,
            "survey": survey,
            "products": products.display().to_string(),
            "composite_cid": cid,
        });
        if json_out {
            println!("{outcome}");
        } else {
            println!("SUCCEEDED {survey} ({})", info.name);
            println!("products: {}", products.display());
            println!("composite CID: {}", cid.as_str().unwrap_or("-"));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let step = failing_step(events);
    let outcome = json!({
        "status": info.status,
        "execution_arn": info.arn,
        "survey": survey,
        "step": step,
        "error": info.error,
        "cause": info.cause,
    });
    if json_out {
        println!("{outcome}");
    } else {
        println!(
            "{} {survey} at step {}: {}: {}",
            info.status.as_str(),
            step.as_deref().unwrap_or("?"),
            info.error.as_deref().unwrap_or(""),
            info.cause.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::FAILURE)
}

/// The state whose work failed first (not the Fail state a Catch led to). Parallel branches and
/// Map items interleave in the history, so the failed task's state is found by following
/// `previousEventId` back to the state it was scheduled in, not by event order. A failed
/// JSONata evaluation (`EvaluationFailed`) names its state itself.
fn failing_step(events: &[HistoryEvent]) -> Option<String> {
    let by_id: std::collections::HashMap<u64, &HistoryEvent> =
        events.iter().map(|e| (e.id, e)).collect();
    let entered_before = |failed: &HistoryEvent| {
        let mut event = by_id.get(&failed.id).copied()?;
        loop {
            if let Some(EventDetails::StateEnteredEventDetails(d)) = &event.details {
                return Some(d.name.clone());
            }
            event = by_id.get(&event.previous_event_id).copied()?;
        }
    };
    let failed = events.iter().find(|e| {
        matches!(
            e.details,
            Some(
                EventDetails::TaskFailedEventDetails(_)
                    | EventDetails::TaskTimedOutEventDetails(_)
                    | EventDetails::ActivityFailedEventDetails(_)
                    | EventDetails::ActivityTimedOutEventDetails(_)
                    | EventDetails::LambdaFunctionFailedEventDetails(_)
                    | EventDetails::EvaluationFailedEventDetails(_)
            )
        )
    });
    match failed {
        Some(HistoryEvent {
            details: Some(EventDetails::EvaluationFailedEventDetails(d)),
            ..
        }) if !d.state.is_empty() => Some(d.state.clone()),
        Some(event) => entered_before(event),
        // No task failed (a Fail state, a timeout): the last state entered.
        None => events.iter().rev().find_map(|e| match &e.details {
            Some(EventDetails::StateEnteredEventDetails(d)) => Some(d.name.clone()),
            _ => None,
        }),
    }
}

/// Step lines on stderr: a step starting, ending (with its time) or failing. Choice and Pass
/// states are bookkeeping and stay quiet.
struct Progress {
    terminal: bool,
    entered: std::collections::HashMap<String, f64>,
}

impl Progress {
    fn new(terminal: bool) -> Self {
        Self {
            terminal,
            entered: Default::default(),
        }
    }

    fn show(&mut self, event: &HistoryEvent) {
        let kind = format!("{:?}", event.event_type);
        let quiet = kind.starts_with("Choice") || kind.starts_with("Pass");
        let (start, done, fail) = if self.terminal {
            ("\u{25b8}", "\u{2714}", "\u{2718}")
        } else {
            ("start", "done ", "FAIL ")
        };
        match &event.details {
            Some(EventDetails::StateEnteredEventDetails(d)) if !quiet => {
                self.entered.insert(d.name.clone(), event.timestamp);
                eprintln!("{start} {}", d.name);
            }
            Some(EventDetails::StateExitedEventDetails(d)) if !quiet => {
                let took = self
                    .entered
                    .get(&d.name)
                    .map(|t| format!(" ({:.1} s)", event.timestamp - t))
                    .unwrap_or_default();
                eprintln!("{done} {}{took}", d.name);
            }
            Some(EventDetails::TaskFailedEventDetails(
                leadline_asl::history::TaskErrorDetails { error, cause, .. },
            )) => eprintln!(
                "{fail} {}: {}",
                error.as_deref().unwrap_or(""),
                cause.as_deref().unwrap_or("")
            ),
            Some(
                EventDetails::ActivityFailedEventDetails(d)
                | EventDetails::LambdaFunctionFailedEventDetails(d)
                | EventDetails::ExecutionFailedEventDetails(d),
            ) => eprintln!(
                "{fail} {}: {}",
                d.error.as_deref().unwrap_or(""),
                d.cause.as_deref().unwrap_or("")
            ),
            // The cause names the state, the expression and its field.
            Some(EventDetails::EvaluationFailedEventDetails(d)) => eprintln!(
                "{fail} {}: {}",
                d.error.as_deref().unwrap_or(""),
                d.cause.as_deref().unwrap_or("")
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use leadline_asl::history::{
        EvaluationFailedDetails, EventType, PayloadDetails, StateEnteredDetails,
    };

    use super::*;

    fn event(id: u64, previous: u64, event_type: EventType, details: EventDetails) -> HistoryEvent {
        HistoryEvent {
            timestamp: id as f64,
            event_type,
            id,
            previous_event_id: previous,
            details: Some(details),
        }
    }

    fn entered(id: u64, previous: u64, name: &str) -> HistoryEvent {
        event(
            id,
            previous,
            EventType::PassStateEntered,
            EventDetails::StateEnteredEventDetails(StateEnteredDetails {
                name: name.into(),
                input: "{}".into(),
                input_details: PayloadDetails::default(),
            }),
        )
    }

    /// A caught evaluation failure in `Plan` led to the Fail state `Failed`: the step to
    /// report is `Plan`, the state the event names.
    #[test]
    fn an_evaluation_failure_names_its_state() {
        let events = vec![
            entered(2, 1, "Plan"),
            event(
                3,
                2,
                EventType::EvaluationFailed,
                EventDetails::EvaluationFailedEventDetails(EvaluationFailedDetails {
                    error: Some("States.QueryEvaluationError".into()),
                    cause: Some("undefined".into()),
                    location: Some("Output".into()),
                    state: "Plan".into(),
                }),
            ),
            entered(4, 3, "Failed"),
        ];
        assert_eq!(failing_step(&events).as_deref(), Some("Plan"));
    }
}
