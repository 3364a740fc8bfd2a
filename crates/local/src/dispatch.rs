//! How the twin runs each kind of Task resource (DESIGN §4):
//!
//! - Lambda ARNs → the Lambda handlers, in-process ([`InProcessLambdas`]);
//! - `ecs:runTask.sync` → the task's container command as a host process ([`HostJobs`]),
//!   answered with the shape of a stopped ECS task;
//! - the processor activity → `leadline-worker`'s handler, in-process ([`ProcessorActivity`]);
//!   other activities → a queue served by `GetActivityTask` ([`ActivityQueues`]);
//! - `aws-sdk:ec2:*` on the processor host → recorded no-ops with EC2's response shapes
//!   ([`HostNoops`]).
//!
//! [`Memo`] wraps them all: a task that already succeeded in this execution (with the same
//! state and input) answers from the database instead of running again, which is what makes
//! resume and redrive skip finished work.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use leadline_asl::aws::LambdaFunctions;
use leadline_asl::dispatch::{Completion, TaskCall, TaskFailure, TaskResolver};
use leadline_lambdas::buckets::Buckets;
use leadline_lambdas::plan::Predicates;
use leadline_lambdas::publish::{Images, PublishError, Publisher, TaskRef};
use leadline_runner::contract::TaskFailure as JobFailure;
use leadline_runner::task_api::{TaskApiError, TaskReporter};
use leadline_worker::worker::Worker;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;

use crate::control::StepLog;
use crate::db::Db;

/// Longest job log kept per job: the tail, where failures explain themselves.
const LOG_LIMIT: usize = 64 * 1024;

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn internal(message: impl std::fmt::Display) -> TaskFailure {
    TaskFailure::new("States.Runtime", message.to_string())
}

/// Answers tasks that already succeeded in this execution from the database.
pub struct Memo {
    pub db: Arc<Db>,
    pub inner: Arc<dyn TaskResolver>,
}

impl Memo {
    fn key(call: &TaskCall) -> String {
        let mut hash = Sha256::new();
        for part in [&call.state_name, &call.resource, &call.input.to_string()] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        format!("{:x}", hash.finalize())
    }
}

#[async_trait]
impl TaskResolver for Memo {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        // A callback's result arrives by token, after this returns: not memoizable here.
        let memoizable = call.task_token.is_none();
        let key = Self::key(&call);
        let execution = call.execution_arn.clone();
        if let Some(token) = &call.task_token {
            // Kept so a callback that arrives after a restart is told the task was reissued.
            self.db
                .insert_token(
                    token,
                    &execution,
                    &call.state_name,
                    &call.resource,
                    &call.input.to_string(),
                    now_millis() as f64 / 1000.0,
                )
                .map_err(internal)?;
        }
        if memoizable {
            if let Some(text) = self.db.memo(&execution, &key).map_err(internal)? {
                let value = serde_json::from_str(&text).map_err(internal)?;
                tracing::info!(state = %call.state_name, "finished before; not run again");
                return Ok(Completion::Result(value));
            }
        }
        let completion = self.inner.invoke(call).await?;
        if let (true, Completion::Result(value)) = (memoizable, &completion) {
            self.db
                .remember(&execution, &key, &value.to_string())
                .map_err(internal)?;
        }
        Ok(completion)
    }
}

/// The Lambda handlers the survey machine invokes, in-process, by function name
/// (`<name_prefix>-<function>`).
pub struct InProcessLambdas {
    pub name_prefix: String,
    pub buckets: Arc<dyn Buckets>,
    pub predicates: Predicates,
    pub publisher: Publisher,
}

/// AWS reports an unhandled function error as its type and message, in the cause as JSON.
fn function_error<E: std::error::Error>(error: E) -> TaskFailure {
    let error_type = std::any::type_name::<E>()
        .rsplit("::")
        .next()
        .unwrap_or("Error");
    let message = error.to_string();
    TaskFailure::new(
        error_type,
        json!({"errorMessage": message, "errorType": error_type}).to_string(),
    )
}

fn event<T: DeserializeOwned>(function: &str, event: Value) -> Result<T, TaskFailure> {
    serde_json::from_value(event).map_err(|e| {
        TaskFailure::new(
            "Lambda.InvalidRequestContentException",
            format!("the {function} function cannot read its event: {e}"),
        )
    })
}

fn reply(value: impl Serialize) -> Result<Value, TaskFailure> {
    serde_json::to_value(value).map_err(internal)
}

#[async_trait]
impl LambdaFunctions for InProcessLambdas {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        let short = function
            .strip_prefix(&self.name_prefix)
            .and_then(|rest| rest.strip_prefix('-'))
            .unwrap_or(function);
        match short {
            "inventory" => {
                let input = event(short, payload)?;
                let summary = leadline_lambdas::inventory::handle(self.buckets.as_ref(), &input)
                    .await
                    .map_err(function_error)?;
                reply(summary)
            }
            "plan" => {
                let input = event(short, payload)?;
                let plan =
                    leadline_lambdas::plan::handle(self.buckets.as_ref(), &self.predicates, &input)
                        .await
                        .map_err(function_error)?;
                reply(plan)
            }
            "publish" => {
                let input = event(short, payload)?;
                let published = self
                    .publisher
                    .handle(&input)
                    .await
                    .map_err(function_error)?;
                reply(published)
            }
            other => Err(TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!(
                    "Function not found: {function} (the local twin runs {p}-inventory, \
                     {p}-plan and {p}-publish in-process; `{other}` is none of them)",
                    p = self.name_prefix
                ),
            )),
        }
    }
}

/// Host jobs have no image: they ran the runner binary, whose `--version` names its release
/// and git commit.
pub struct HostImages {
    pub runner: Option<PathBuf>,
}

#[async_trait]
impl Images for HostImages {
    async fn digests(
        &self,
        tasks: &[TaskRef],
    ) -> Result<std::collections::BTreeMap<String, String>, PublishError> {
        let mut digests = std::collections::BTreeMap::new();
        let Some(runner) = self.runner.as_ref().filter(|_| !tasks.is_empty()) else {
            return Ok(digests);
        };
        let version = tokio::process::Command::new(runner)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .await;
        if let Some(output) = version.ok().filter(|o| o.status.success()) {
            digests.insert(
                format!("host:{}", runner.display()),
                String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            );
        }
        Ok(digests)
    }
}

/// Where job processes find their programs and data.
#[derive(Debug, Clone)]
pub struct JobEnvironment {
    /// Folders searched before `PATH` (the twin's own binaries, `jobs/gdal`).
    pub path: Vec<PathBuf>,
    /// `<state-dir>/buckets`, which `s3://bucket/…` means to the job.
    pub buckets: PathBuf,
    /// Scratch space for each job's inputs and outputs folders.
    pub scratch: PathBuf,
}

impl JobEnvironment {
    pub fn search_path(&self) -> std::ffi::OsString {
        let system = std::env::var_os("PATH").unwrap_or_default();
        let mut all: Vec<PathBuf> = self.path.clone();
        all.extend(std::env::split_paths(&system));
        std::env::join_paths(all).unwrap_or(system)
    }

    /// The file `program` names on the search path.
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.search_path())
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Labels of repeated runs of one state: `QC`, `QC #2`, …
#[derive(Default)]
struct Labels(Mutex<HashMap<(String, String), usize>>);

impl Labels {
    fn next(&self, execution: &str, state: &str) -> String {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts
            .entry((execution.to_owned(), state.to_owned()))
            .or_insert(0);
        *count += 1;
        match *count {
            1 => state.to_owned(),
            n => format!("{state} #{n}"),
        }
    }
}

/// `ecs:runTask.sync`: the container command as a host process.
pub struct HostJobs {
    pub env: JobEnvironment,
    pub db: Arc<Db>,
    labels: Labels,
}

impl HostJobs {
    pub fn new(env: JobEnvironment, db: Arc<Db>) -> Self {
        Self {
            env,
            db,
            labels: Labels::default(),
        }
    }
}

fn command_of(parameters: &Value) -> Result<Vec<String>, TaskFailure> {
    let command = parameters
        .pointer("/Overrides/ContainerOverrides/0/Command")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            TaskFailure::new(
                "States.TaskFailed",
                "the local twin runs an ECS task's container command as a host process, and \
                 this task names none (Overrides.ContainerOverrides[0].Command)",
            )
        })?;
    command
        .iter()
        .map(|part| part.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            TaskFailure::new(
                "States.TaskFailed",
                "Overrides.ContainerOverrides[0].Command must be a non-empty list of strings",
            )
        })
}

fn tail(text: &[u8], limit: usize) -> String {
    let start = text.len().saturating_sub(limit);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// The last stdout line that is a JSON object: the runner's result or `{"Error", "Cause"}`.
fn last_json_object(stdout: &[u8]) -> Option<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .find(Value::is_object)
}

#[async_trait]
impl TaskResolver for HostJobs {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let command = command_of(&call.input)?;
        let program = self.env.find(&command[0]).ok_or_else(|| {
            TaskFailure::new(
                "Job.Runner",
                format!(
                    "cannot start {}: not found in {} or on PATH (build the job binaries with \
                     `cargo build --release -p leadline-runner -p leadline-qc`)",
                    command[0],
                    self.env
                        .path
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let scratch = self
            .env
            .scratch
            .join(uuid::Uuid::new_v4().simple().to_string());
        let (inputs, outputs) = (scratch.join("inputs"), scratch.join("outputs"));
        for dir in [&inputs, &outputs] {
            std::fs::create_dir_all(dir)
                .map_err(|e| internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let started = now_millis();
        let mut process = tokio::process::Command::new(&program);
        process
            .args(&command[1..])
            .current_dir(&scratch)
            .env("PATH", self.env.search_path())
            .env(leadline_core::store::LOCAL_BUCKETS_ENV, &self.env.buckets)
            .env("LEADLINE_INPUTS", &inputs)
            .env("LEADLINE_OUTPUTS", &outputs)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // A job must not outlive a killed twin: the resumed run starts it again.
        // SAFETY: prctl is async-signal-safe and touches only the child.
        unsafe {
            process.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = process.spawn().map_err(|e| {
            TaskFailure::new(
                "Job.Runner",
                format!("cannot start {}: {e}", program.display()),
            )
        })?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let read_out = async {
            if let Some(out) = out.as_mut() {
                let _ = out.read_to_end(&mut stdout).await;
            }
        };
        let read_err = async {
            if let Some(err) = err.as_mut() {
                let _ = err.read_to_end(&mut stderr).await;
            }
        };
        let ((), (), status) = tokio::join!(read_out, read_err, child.wait());
        let status = status.map_err(|e| internal(format!("waiting for {}: {e}", command[0])))?;
        let stopped = now_millis();
        let printed = last_json_object(&stdout);
        let label = self.labels.next(&call.execution_arn, &call.state_name);
        let log = StepLog {
            state: call.state_name.clone(),
            label,
            text: tail(&stderr, LOG_LIMIT),
            result: printed.clone(),
            started: started as f64 / 1000.0,
            stopped: stopped as f64 / 1000.0,
        };
        let printed_text = printed.as_ref().map(Value::to_string);
        if let Err(e) = self
            .db
            .add_log(&call.execution_arn, &log, printed_text.as_deref())
        {
            tracing::warn!("cannot record the log of {}: {e}", call.state_name);
        }
        if !status.success() {
            let reported = printed.as_ref().and_then(|v| {
                Some(TaskFailure::new(
                    v.get("Error")?.as_str()?,
                    v.get("Cause")?.as_str().unwrap_or_default(),
                ))
            });
            let failure = reported.unwrap_or_else(|| {
                TaskFailure::new(
                    format!("Job.ExitCode.{}", status.code().unwrap_or(125)),
                    tail(&stderr, 16 * 1024),
                )
            });
            // Kept for a look at what the failed job had staged and written.
            tracing::warn!(scratch = %scratch.display(), "job failed: {failure}");
            return Err(failure);
        }
        let _ = std::fs::remove_dir_all(&scratch);
        Ok(Completion::Result(stopped_task(&call, started, stopped)))
    }
}

/// What `ecs:runTask.sync` returns: the stopped task, as `DescribeTasks` shows it.
fn stopped_task(call: &TaskCall, started: i64, stopped: i64) -> Value {
    let cluster = call
        .input
        .get("Cluster")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
    let task_definition = call.input.get("TaskDefinition").cloned();
    let container = call
        .input
        .pointer("/Overrides/ContainerOverrides/0/Name")
        .cloned()
        .unwrap_or(json!("job"));
    // ARN parts come from the cluster ARN when it is one (`arn:aws:ecs:region:account:…`).
    let (region, account) = match cluster.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "ecs", region, account, ..] => (region.to_string(), account.to_string()),
        _ => ("us-east-1".to_owned(), "000000000000".to_owned()),
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let task_arn = format!("arn:aws:ecs:{region}:{account}:task/{cluster_name}/{id}");
    json!({
        "Attachments": [],
        "ClusterArn": format!("arn:aws:ecs:{region}:{account}:cluster/{cluster_name}"),
        "Containers": [{
            "ContainerArn": format!("arn:aws:ecs:{region}:{account}:container/{cluster_name}/{id}/job"),
            "ExitCode": 0,
            "LastStatus": "STOPPED",
            "Name": container,
            "TaskArn": task_arn,
        }],
        "DesiredStatus": "STOPPED",
        "LastStatus": "STOPPED",
        "LaunchType": "FARGATE",
        "StartedAt": started,
        "StopCode": "EssentialContainerExited",
        "StoppedAt": stopped,
        "StoppedReason": "Essential container in task exited",
        "TaskArn": task_arn,
        "TaskDefinitionArn": task_definition,
    })
}

/// Heartbeats of the in-process worker go straight to the engine's task.
struct EngineHeartbeat(leadline_asl::dispatch::Heartbeat);

#[async_trait]
impl TaskReporter for EngineHeartbeat {
    async fn heartbeat(&self, _token: &str) -> Result<(), TaskApiError> {
        self.0.beat();
        Ok(())
    }
    // The worker's handler returns its outcome; the engine gets it as the task's result.
    async fn succeed(&self, _token: &str, _output: &Value) -> Result<(), TaskApiError> {
        Ok(())
    }
    async fn fail(&self, _token: &str, _failure: &JobFailure) -> Result<(), TaskApiError> {
        Ok(())
    }
}

/// The processor activity, served by `leadline-worker`'s handler in this process.
pub struct ProcessorActivity {
    pub worker: Worker,
    pub env: JobEnvironment,
    pub db: Arc<Db>,
    labels: Labels,
}

impl ProcessorActivity {
    pub fn new(worker: Worker, env: JobEnvironment, db: Arc<Db>) -> Self {
        Self {
            worker,
            env,
            db,
            labels: Labels::default(),
        }
    }
}

#[async_trait]
impl TaskResolver for ProcessorActivity {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let program = call
            .input
            .pointer("/command/0")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !program.is_empty() && !program.contains('/') && self.env.find(program).is_none() {
            return Err(TaskFailure::new(
                "Job.Runner",
                format!(
                    "{program} is not on PATH: the processor branch runs CARIS HIPS and SIPS, \
                     which only the processor host image installs (packer/processor-host.pkr.hcl). \
                     Run the twin with {program} on PATH, or upload a survey without raw sonar \
                     (its processor branch is skipped)."
                ),
            ));
        }
        let token = call.task_token.clone().unwrap_or_default();
        let reporter = EngineHeartbeat(call.heartbeat.clone());
        let heartbeat = leadline_runner::process::Heartbeat {
            reporter: &reporter,
            token: &token,
        };
        let started = now_millis();
        let outcome = self
            .worker
            .handle(
                &call.input.to_string(),
                Some(heartbeat),
                std::future::pending(),
            )
            .await;
        let log = StepLog {
            state: call.state_name.clone(),
            label: self.labels.next(&call.execution_arn, &call.state_name),
            text: String::new(),
            result: Some(match &outcome {
                Ok(value) => value.clone(),
                Err(f) => json!({"Error": f.error, "Cause": f.cause}),
            }),
            started: started as f64 / 1000.0,
            stopped: now_millis() as f64 / 1000.0,
        };
        let result_text = log.result.as_ref().map(Value::to_string);
        if let Err(e) = self
            .db
            .add_log(&call.execution_arn, &log, result_text.as_deref())
        {
            tracing::warn!("cannot record the result of {}: {e}", call.state_name);
        }
        outcome
            .map(Completion::Result)
            .map_err(|f| TaskFailure::new(f.error, f.cause))
    }
}

/// Activities other than the processor's: tasks wait in a queue for `GetActivityTask`, and
/// their result arrives by task token.
#[derive(Default)]
pub struct ActivityQueues {
    queues: Mutex<HashMap<String, VecDeque<(String, String)>>>,
    arrived: Notify,
}

impl ActivityQueues {
    /// Takes the oldest task of `activity`, if any.
    pub fn take(&self, activity: &str) -> Option<(String, String)> {
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(activity)
            .and_then(VecDeque::pop_front)
    }

    /// Resolves when a task may have arrived since this call (not since the first poll).
    pub fn arrival(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrived.notified()
    }
}

#[async_trait]
impl TaskResolver for ActivityQueues {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let token = call
            .task_token
            .ok_or_else(|| internal("an activity task came without a task token"))?;
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(call.resource)
            .or_default()
            .push_back((token, call.input.to_string()));
        self.arrived.notify_waiters();
        Ok(Completion::AwaitToken)
    }
}

/// EC2 calls on the processor host: the twin has no host to start, so they succeed and
/// answer with the shapes the machine reads (a running host for `describeInstances`).
pub struct HostNoops;

fn instances(call: &TaskCall) -> Vec<Value> {
    call.input
        .get("InstanceIds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn state(code: u32, name: &str) -> Value {
    json!({"Code": code, "Name": name})
}

#[async_trait]
impl TaskResolver for HostNoops {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let action = call.resource.rsplit(':').next().unwrap_or_default();
        let changes = |key: &str, from: Value, to: Value| {
            let list: Vec<Value> = instances(&call)
                .into_iter()
                .map(|id| json!({"InstanceId": id, "PreviousState": from, "CurrentState": to}))
                .collect();
            json!({ key: list })
        };
        let result = match action {
            "startInstances" => changes(
                "StartingInstances",
                state(80, "stopped"),
                state(16, "running"),
            ),
            "stopInstances" => changes(
                "StoppingInstances",
                state(16, "running"),
                state(80, "stopped"),
            ),
            "describeInstances" => {
                let tags: Vec<Value> = call
                    .input
                    .get("Filters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        let key = f.get("Name")?.as_str()?.strip_prefix("tag:")?;
                        let value = f.get("Values")?.get(0)?.clone();
                        Some(json!({"Key": key, "Value": value}))
                    })
                    .collect();
                let reservations: Vec<Value> = instances(&call)
                    .into_iter()
                    .map(|id| {
                        json!({"Instances": [{
                            "InstanceId": id,
                            "State": state(16, "running"),
                            "Tags": tags,
                        }]})
                    })
                    .collect();
                json!({ "Reservations": reservations })
            }
            other => {
                return Err(TaskFailure::new(
                    "Ec2.Ec2Exception",
                    format!(
                        "the local twin has no EC2: it records startInstances, stopInstances and \
                         describeInstances of the processor host, not {other}"
                    ),
                ))
            }
        };
        Ok(Completion::Result(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_asl::dispatch::IntegrationPattern;

    fn call(resource: &str, input: Value) -> TaskCall {
        let (heartbeat, _rx) = leadline_asl::dispatch::heartbeat_channel();
        TaskCall {
            resource: resource.into(),
            pattern: IntegrationPattern::of(resource),
            input,
            state_name: "S".into(),
            retry_count: 0,
            task_token: None,
            credentials: None,
            execution_arn: "arn:aws:states:us-east-1:0:execution:m:e".into(),
            heartbeat,
        }
    }

    #[tokio::test]
    async fn describe_instances_reports_the_host_running_as_the_machine_counts_it() {
        let result = HostNoops
            .invoke(call(
                "arn:aws:states:::aws-sdk:ec2:describeInstances",
                json!({"InstanceIds": ["i-1"], "Filters": [{"Name": "tag:leadline:role", "Values": ["p"]}]}),
            ))
            .await
            .unwrap();
        let Completion::Result(result) = result else {
            panic!("no result")
        };
        assert_eq!(result["Reservations"].as_array().unwrap().len(), 1);
        assert_eq!(
            result["Reservations"][0]["Instances"][0]["State"]["Name"],
            "running"
        );
        assert_eq!(
            result["Reservations"][0]["Instances"][0]["Tags"][0]["Key"],
            "leadline:role"
        );
    }

    #[tokio::test]
    async fn other_ec2_calls_fail_naming_the_action() {
        let failure = HostNoops
            .invoke(call(
                "arn:aws:states:::aws-sdk:ec2:terminateInstances",
                json!({}),
            ))
            .await
            .unwrap_err();
        assert!(failure.cause.contains("terminateInstances"), "{failure}");
    }

    #[test]
    fn an_ecs_task_without_a_command_override_is_refused_clearly() {
        let failure = command_of(&json!({"TaskDefinition": "td"})).unwrap_err();
        assert!(failure.cause.contains("ContainerOverrides"), "{failure}");
    }
}
