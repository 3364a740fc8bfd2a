//! The twin: state machines and executions on this machine, persisted in the state folder.
//!
//! Layout of a state folder (`.leadline` by default):
//! - `twin.sqlite`: machines, activities, executions, history, task tokens, task memo, job logs;
//! - `buckets/<bucket>/`: each bucket of the environment as a folder;
//! - `scratch/`: inputs and outputs folders of running jobs (kept when a job fails);
//! - `processor-host/`: the in-process worker's work folders.
//!
//! Each execution runs on its own tokio task; every history event is written to the database as
//! it happens, so a killed twin resumes ([`Twin::resume_all`]) from what it recorded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use leadline_asl::aws::LambdaResolver;
use leadline_asl::clock::{Clock, SystemClock};
use leadline_asl::dispatch::{Dispatcher, TaskTokens, TokenError};
use leadline_asl::history::{EventDetails, EventType, HistoryEvent, HistorySink};
use leadline_asl::interpreter::ResumePoint;
use leadline_asl::{Engine, EngineConfig, ExecutionRequest, ExecutionStatus, StateMachine};
use leadline_core::store::DirStore;
use leadline_lambdas::buckets::{Buckets, DirBuckets};
use leadline_lambdas::plan::Predicates;
use leadline_lambdas::publish::Publisher;
use leadline_lambdas::trigger::Trigger;
use leadline_runner::job::Place;
use leadline_worker::licence::Licence;
use leadline_worker::task::AllowList;
use leadline_worker::worker::{Worker, WorkerConfig};
use tokio::sync::{watch, Notify};

use crate::control::*;
use crate::db::{Db, DbError, Ending};
use crate::dispatch::{
    ActivityQueues, HostImages, HostJobs, HostNoops, InProcessLambdas, JobEnvironment, Memo,
    ProcessorActivity,
};
use crate::executions::TwinExecutions;
use crate::resume::{restart_point, Restart};

/// What the twin runs: its state folder and the environment it plays.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    pub state_dir: PathBuf,
    /// The environment (`environments/<name>.toml`) whose resources the machines name.
    pub environment: leadline_render::Environment,
    /// Folders searched for job programs before `PATH`.
    pub job_path: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot create the state folder {path}: {source}")]
    StateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("the environment's processor checkpoint {0}")]
    Checkpoint(String),
    #[error(transparent)]
    Control(#[from] ControlError),
}

/// An execution this process runs.
struct Running {
    abort: Arc<Notify>,
    /// Turns true when the execution has ended and its row says how.
    ended: watch::Receiver<bool>,
}

pub struct Twin {
    /// This twin, for the execution tasks it spawns (they must not keep it alive).
    me: Weak<Twin>,
    config: TwinConfig,
    db: Arc<Db>,
    tokens: TaskTokens,
    resolver: Arc<Memo>,
    activities: Arc<ActivityQueues>,
    clock: Arc<dyn Clock>,
    running: Mutex<HashMap<String, Running>>,
    /// Parsed definitions by machine ARN.
    machines: Mutex<HashMap<String, Arc<StateMachine>>>,
}

fn now() -> f64 {
    SystemClock.now_millis() as f64 / 1000.0
}

fn db_error(e: DbError) -> ControlError {
    ControlError::Internal(e.to_string())
}

/// AWS's rule for names of machines, executions and activities.
fn check_name(name: &str) -> ControlResult<()> {
    let ok = (1..=80).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ControlError::InvalidName(format!(
            "Invalid Name: '{name}' (1 to 80 characters: letters, digits, '-' and '_')"
        )))
    }
}

fn status_of(status: ExecutionStatus) -> Status {
    match status {
        ExecutionStatus::Succeeded => Status::Succeeded,
        ExecutionStatus::Failed => Status::Failed,
        ExecutionStatus::TimedOut => Status::TimedOut,
        ExecutionStatus::Aborted => Status::Aborted,
    }
}

/// Writes an execution's events to the database, continuing its numbering after a restart.
struct Recorder {
    db: Arc<Db>,
    arn: String,
    /// Added to the walk's event ids: they continue after earlier runs of this execution.
    offset: u64,
    /// A restarted walk announces itself again; the history already has the start.
    restarted: bool,
}

impl HistorySink for Recorder {
    fn record(&self, event: &HistoryEvent) {
        if self.restarted && event.event_type == EventType::ExecutionStarted {
            return;
        }
        let mut event = event.clone();
        event.id += self.offset;
        if event.previous_event_id > 0 {
            event.previous_event_id += self.offset;
        }
        if let Err(e) = self.db.record_event(&self.arn, &event) {
            tracing::error!(execution = %self.arn, "cannot record a history event: {e}");
        }
    }
}

impl Twin {
    /// Opens (or creates) the state folder and deploys nothing: see [`Twin::deploy`].
    pub fn open(config: TwinConfig) -> Result<Arc<Self>, TwinError> {
        Self::open_with_clock(config, Arc::new(SystemClock))
    }

    pub fn open_with_clock(
        config: TwinConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, TwinError> {
        for dir in [
            config.state_dir.clone(),
            config.state_dir.join("buckets"),
            config.state_dir.join("scratch"),
            config.state_dir.join("processor-host"),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| TwinError::StateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        for bucket in Self::bucket_names(&config.environment) {
            let dir = config.state_dir.join("buckets").join(bucket);
            std::fs::create_dir_all(&dir).map_err(|source| TwinError::StateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let db = Arc::new(Db::open(&config.state_dir.join("twin.sqlite"))?);
        // The in-process worker stages `s3://` inputs: here they are bucket folders.
        leadline_core::store::use_local_buckets(config.state_dir.join("buckets"));
        let checkpoint = Self::checkpoint(&config)?;
        Ok(Arc::new_cyclic(|weak: &Weak<Twin>| {
            let job_env = JobEnvironment {
                path: config.job_path.clone(),
                buckets: config.state_dir.join("buckets"),
                scratch: config.state_dir.join("scratch"),
            };
            let buckets: Arc<dyn Buckets> =
                Arc::new(DirBuckets::new(config.state_dir.join("buckets")));
            let env = &config.environment;
            let resources = env.resources();
            let publisher = Publisher {
                buckets: buckets.clone(),
                executions: Arc::new(TwinExecutions::new(weak.clone(), String::new())),
                images: Arc::new(HostImages {
                    runner: job_env.find("leadline-runner"),
                }),
            };
            let lambdas = InProcessLambdas {
                name_prefix: env.name_prefix.clone(),
                buckets,
                predicates: Predicates::default(),
                publisher,
            };
            let worker = Worker::new(WorkerConfig {
                work_root: config.state_dir.join("processor-host"),
                allow: AllowList::default(),
                checkpoint,
                licence: Licence::default(),
                run: Default::default(),
                poll_retry: std::time::Duration::from_secs(1),
            });
            let activities = Arc::new(ActivityQueues::default());
            let lambda = Arc::new(LambdaResolver::new(lambdas));
            let mut dispatcher = Dispatcher::new();
            for pattern in LambdaResolver::<InProcessLambdas>::PATTERNS {
                dispatcher.register(pattern, lambda.clone());
            }
            dispatcher
                .register(
                    "arn:aws:states:::ecs:runTask.sync",
                    Arc::new(HostJobs::new(job_env.clone(), db.clone())),
                )
                .register(
                    resources.activity.clone(),
                    Arc::new(ProcessorActivity::new(worker, job_env, db.clone())),
                )
                .register("arn:aws:states:::aws-sdk:ec2:*", Arc::new(HostNoops))
                .register("arn:aws:states:*:*:activity:*", activities.clone());
            Twin {
                me: weak.clone(),
                resolver: Arc::new(Memo {
                    db: db.clone(),
                    inner: Arc::new(dispatcher),
                }),
                config,
                db,
                tokens: TaskTokens::new(),
                activities,
                clock,
                running: Mutex::new(HashMap::new()),
                machines: Mutex::new(HashMap::new()),
            }
        }))
    }

    fn bucket_names(env: &leadline_render::Environment) -> [&str; 3] {
        [
            env.buckets.uploads.as_str(),
            env.buckets.work.as_str(),
            env.buckets.products.as_str(),
        ]
    }

    /// The processor host's checkpoint location, as a bucket folder.
    fn checkpoint(config: &TwinConfig) -> Result<Option<Place>, TwinError> {
        let text = &config.environment.processor.checkpoint;
        let place = leadline_lambdas::buckets::Place::parse(text)
            .map_err(|e| TwinError::Checkpoint(e.to_string()))?;
        let store = DirStore::new(config.state_dir.join("buckets").join(&place.bucket));
        Ok(Some(Place {
            store: Arc::new(store),
            prefix: place.prefix,
        }))
    }

    pub fn state_dir(&self) -> &Path {
        &self.config.state_dir
    }

    pub fn environment(&self) -> &leadline_render::Environment {
        &self.config.environment
    }

    /// The folder of a bucket of the environment.
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.config.state_dir.join("buckets").join(bucket)
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.bucket_dir(&self.config.environment.buckets.uploads)
    }

    fn arn(&self, kind: &str, rest: &str) -> String {
        let env = &self.config.environment;
        format!(
            "arn:aws:states:{}:{}:{kind}:{rest}",
            env.region, env.account
        )
    }

    /// The survey machine's name in this environment.
    pub fn survey_machine_name(&self) -> String {
        format!("{}-survey", self.config.environment.name_prefix)
    }

    pub fn survey_machine_arn(&self) -> String {
        self.arn("stateMachine", &self.survey_machine_name())
    }

    /// Creates or updates the survey machine from its rendered definition.
    pub fn deploy_survey(&self, definition: &str) -> ControlResult<MachineInfo> {
        self.put_machine(&self.survey_machine_name(), definition, "", true)
    }

    fn parse(definition: &str) -> ControlResult<StateMachine> {
        leadline_asl::parse_str(definition, Default::default()).map_err(|invalid| {
            let lines: Vec<String> = invalid.0.iter().map(ToString::to_string).collect();
            ControlError::InvalidDefinition(format!(
                "Invalid State Machine Definition: {}",
                lines.join("; ")
            ))
        })
    }

    fn put_machine(
        &self,
        name: &str,
        definition: &str,
        role_arn: &str,
        replace: bool,
    ) -> ControlResult<MachineInfo> {
        check_name(name)?;
        let parsed = Self::parse(definition)?;
        let arn = self.arn("stateMachine", name);
        if let Some(existing) = self.db.machine(&arn).map_err(db_error)? {
            if existing.definition == definition && existing.role_arn == role_arn {
                self.cache_machine(&arn, parsed);
                return Ok(existing);
            }
            if !replace {
                return Err(ControlError::StateMachineAlreadyExists(format!(
                    "State Machine Already Exists: '{arn}'"
                )));
            }
        }
        let info = MachineInfo {
            arn: arn.clone(),
            name: name.to_owned(),
            definition: definition.to_owned(),
            role_arn: role_arn.to_owned(),
            created: now(),
        };
        self.db.insert_machine(&info).map_err(db_error)?;
        self.cache_machine(&arn, parsed);
        Ok(info)
    }

    fn cache_machine(&self, arn: &str, machine: StateMachine) -> Arc<StateMachine> {
        let machine = Arc::new(machine);
        self.machines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(arn.to_owned(), machine.clone());
        machine
    }

    fn machine(&self, arn: &str) -> ControlResult<(MachineInfo, Arc<StateMachine>)> {
        let info = self.db.machine(arn).map_err(db_error)?.ok_or_else(|| {
            ControlError::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
        })?;
        let cached = self
            .machines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
            .cloned();
        let parsed = match cached {
            Some(parsed) => parsed,
            None => self.cache_machine(arn, Self::parse(&info.definition)?),
        };
        Ok((info, parsed))
    }

    fn execution(&self, arn: &str) -> ControlResult<ExecutionInfo> {
        if !arn.starts_with("arn:aws:states:") || !arn.contains(":execution:") {
            return Err(ControlError::InvalidArn(format!("Invalid Arn: '{arn}'")));
        }
        self.db.execution(arn).map_err(db_error)?.ok_or_else(|| {
            ControlError::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'"))
        })
    }

    /// The trigger Lambda's handler, starting runs of the survey machine in this twin.
    pub fn trigger(&self) -> Trigger {
        Trigger {
            buckets: Arc::new(DirBuckets::new(self.config.state_dir.join("buckets"))),
            executions: Arc::new(TwinExecutions::new(
                self.me.clone(),
                self.survey_machine_arn(),
            )),
        }
    }

    /// The api Lambda's routes over this twin's survey machine and bucket folders.
    pub fn run_api(&self) -> leadline_lambdas::api::Api {
        let env = &self.config.environment;
        leadline_lambdas::api::Api {
            executions: Arc::new(TwinExecutions::new(
                self.me.clone(),
                self.survey_machine_arn(),
            )),
            buckets: Arc::new(DirBuckets::new(self.config.state_dir.join("buckets"))),
            uploads: env.buckets.uploads.clone(),
            products: env.buckets.products.clone(),
        }
    }

    /// Runs (on a new task) an execution whose row exists, from the start or a restart point.
    fn launch(
        &self,
        info: &ExecutionInfo,
        machine: Arc<StateMachine>,
        restart: Option<(ResumePoint, Restart)>,
    ) -> ControlResult<()> {
        let recorded = self.db.last_event_id(&info.arn).map_err(db_error)?;
        let restarted = restart.is_some() || recorded > 0;
        // A restarted walk's own ExecutionStarted (its event 1) is not recorded again, so its
        // event 2 follows the last recorded one.
        let recorder = Arc::new(Recorder {
            db: self.db.clone(),
            arn: info.arn.clone(),
            offset: recorded.saturating_sub(1),
            restarted,
        });
        let env = &self.config.environment;
        let engine = Engine::new(self.resolver.clone(), self.clock.clone())
            .with_config(EngineConfig {
                region: env.region.clone(),
                account: env.account.clone(),
                record_history: false,
                ..EngineConfig::default()
            })
            .with_tokens(self.tokens.clone())
            .with_sink(recorder);
        let machine_name = info
            .machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let input = serde_json::from_str(&info.input).map_err(|e| {
            ControlError::InvalidExecutionInput(format!("Invalid execution input: {e}"))
        })?;
        let abort = Arc::new(Notify::new());
        let mut request = ExecutionRequest::new(machine_name, info.name.clone(), input);
        request.redrive_count = info.redrive_count;
        request.abort = Some(abort.clone());
        let (ended_tx, ended) = watch::channel(false);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(info.arn.clone(), Running { abort, ended });
        let twin = self.me.clone();
        let arn = info.arn.clone();
        tokio::spawn(async move {
            let point = restart.map(|(point, _)| point);
            let result = engine.execute_from(&machine, request, point).await;
            if let Some(twin) = twin.upgrade() {
                let (error, cause) = result
                    .error
                    .as_ref()
                    .map(|e| (Some(e.error.as_str()), Some(e.cause.as_str())))
                    .unwrap_or((None, None));
                let output = result.output.as_ref().map(|o| o.to_string());
                let ending = Ending {
                    status: status_of(result.status),
                    output: output.as_deref(),
                    error,
                    cause,
                    stopped: now(),
                };
                if let Err(e) = twin.db.finish(&arn, &ending) {
                    tracing::error!(execution = %arn, "cannot record the end: {e}");
                }
                twin.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&arn);
            }
            let _ = ended_tx.send(true);
        });
        Ok(())
    }

    /// Waits until the execution has ended (or is not running in this process) and describes it.
    pub async fn wait(&self, arn: &str) -> ControlResult<ExecutionInfo> {
        let ended = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
            .map(|r| r.ended.clone());
        if let Some(mut ended) = ended {
            let _ = ended.wait_for(|done| *done).await;
        }
        self.execution(arn)
    }

    /// Continues every execution a killed twin left running, from its last recorded state.
    /// Returns their ARNs.
    pub fn resume_all(&self) -> ControlResult<Vec<String>> {
        let mut resumed = Vec::new();
        for info in self
            .db
            .executions(None, Some(Status::Running))
            .map_err(db_error)?
        {
            if self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(&info.arn)
            {
                continue;
            }
            let (_, machine) = self.machine(&info.machine_arn)?;
            let events = self.db.events(&info.arn).map_err(db_error)?;
            let point = restart_point(&machine, &events, Restart::Resume)
                .map_err(ControlError::Internal)?;
            tracing::info!(execution = %info.arn, from = ?point.as_ref().map(|p| &p.state), "resuming");
            self.launch(&info, machine, point.map(|p| (p, Restart::Resume)))?;
            resumed.push(info.arn);
        }
        Ok(resumed)
    }

    fn record(
        &self,
        arn: &str,
        event_type: EventType,
        details: Option<EventDetails>,
    ) -> ControlResult<()> {
        let last = self.db.last_event_id(arn).map_err(db_error)?;
        let event = HistoryEvent {
            timestamp: now(),
            event_type,
            id: last + 1,
            previous_event_id: last,
            details,
        };
        self.db.record_event(arn, &event).map_err(db_error)
    }

    /// A token the engine no longer waits for: unknown, or issued before the twin restarted
    /// (the resumed execution issued the task again, with a new token).
    fn token_error(&self, token: &str, error: TokenError) -> ControlError {
        let TokenError::TaskDoesNotExist = error;
        match self.db.token(token) {
            Ok(Some(record)) => ControlError::TaskTimedOut(format!(
                "Task Timed Out: the task of state {} in {} was issued again when the twin \
                 restarted; answer the new task's token",
                record.state, record.execution_arn
            )),
            Ok(None) => ControlError::TaskDoesNotExist("Task Token does not exist".into()),
            Err(e) => db_error(e),
        }
    }

    /// Delivers a callback, then forgets the token.
    fn answer(
        &self,
        token: &str,
        deliver: impl FnOnce(&TaskTokens) -> Result<(), TokenError>,
    ) -> ControlResult<()> {
        deliver(&self.tokens).map_err(|e| self.token_error(token, e))?;
        self.db.remove_token(token).map_err(db_error)
    }

    fn is_running_here(&self, arn: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(arn)
    }
}

#[async_trait]
impl ControlPlane for Twin {
    async fn create_state_machine(
        &self,
        name: &str,
        definition: &str,
        role_arn: &str,
    ) -> ControlResult<MachineInfo> {
        self.put_machine(name, definition, role_arn, false)
    }

    async fn describe_state_machine(&self, arn: &str) -> ControlResult<MachineInfo> {
        Ok(self.machine(arn)?.0)
    }

    async fn list_state_machines(&self) -> ControlResult<Vec<MachineInfo>> {
        self.db.machines().map_err(db_error)
    }

    async fn delete_state_machine(&self, arn: &str) -> ControlResult<()> {
        self.machines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(arn);
        // AWS: deleting a machine that does not exist succeeds.
        self.db.delete_machine(arn).map_err(db_error)?;
        Ok(())
    }

    async fn start_execution(
        &self,
        machine_arn: &str,
        name: Option<&str>,
        input: &str,
    ) -> ControlResult<ExecutionInfo> {
        let (machine_info, machine) = self.machine(machine_arn)?;
        let name = match name {
            Some(name) => name.to_owned(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        check_name(&name)?;
        let parsed: serde_json::Value = serde_json::from_str(input).map_err(|e| {
            ControlError::InvalidExecutionInput(format!("Invalid execution input: {e}"))
        })?;
        if parsed.to_string().len() > leadline_asl::interpreter::PAYLOAD_LIMIT {
            return Err(ControlError::InvalidExecutionInput(
                "Execution input exceeds the 256 KiB limit".into(),
            ));
        }
        let arn = format!(
            "{}:{name}",
            machine_info
                .arn
                .replacen(":stateMachine:", ":execution:", 1)
        );
        if let Some(existing) = self.db.execution(&arn).map_err(db_error)? {
            // AWS: the same name and input while running is the same request again.
            if existing.status == Status::Running && existing.input == input {
                return Ok(existing);
            }
            return Err(ControlError::ExecutionAlreadyExists(format!(
                "Execution Already Exists: '{arn}'"
            )));
        }
        let info = ExecutionInfo {
            arn,
            name,
            machine_arn: machine_info.arn,
            status: Status::Running,
            input: input.to_owned(),
            output: None,
            error: None,
            cause: None,
            started: now(),
            stopped: None,
            redrive_count: 0,
            redrived: None,
        };
        self.db.insert_execution(&info).map_err(db_error)?;
        self.launch(&info, machine, None)?;
        Ok(info)
    }

    async fn describe_execution(&self, arn: &str) -> ControlResult<ExecutionInfo> {
        self.execution(arn)
    }

    async fn list_executions(
        &self,
        machine_arn: &str,
        status: Option<Status>,
    ) -> ControlResult<Vec<ExecutionInfo>> {
        self.machine(machine_arn)?;
        self.db
            .executions(Some(machine_arn), status)
            .map_err(db_error)
    }

    async fn execution_history(&self, arn: &str) -> ControlResult<Vec<HistoryEvent>> {
        self.execution(arn)?;
        self.db.events(arn).map_err(db_error)
    }

    async fn step_logs(&self, arn: &str) -> ControlResult<Vec<StepLog>> {
        self.execution(arn)?;
        self.db.logs(arn).map_err(db_error)
    }

    async fn stop_execution(
        &self,
        arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> ControlResult<EpochSeconds> {
        let info = self.execution(arn)?;
        let stopped = now();
        if info.status != Status::Running {
            return Ok(info.stopped.unwrap_or(stopped));
        }
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
            .map(|r| (r.abort.clone(), r.ended.clone()));
        match running {
            // The engine records the abort when its walk stops.
            Some((abort, mut ended)) => {
                abort.notify_one();
                let _ = ended.wait_for(|done| *done).await;
            }
            // A dead twin's execution: nothing runs it, the history still needs its end.
            None => self.record(
                arn,
                EventType::ExecutionAborted,
                Some(EventDetails::ExecutionAbortedEventDetails(
                    leadline_asl::history::ErrorDetails {
                        error: error.map(str::to_owned),
                        cause: cause.map(str::to_owned),
                    },
                )),
            )?,
        }
        // The caller's error and cause describe the ending, as in DescribeExecution on AWS.
        self.db
            .finish(
                arn,
                &Ending {
                    status: Status::Aborted,
                    output: None,
                    error,
                    cause,
                    stopped,
                },
            )
            .map_err(db_error)?;
        Ok(stopped)
    }

    async fn redrive_execution(&self, arn: &str) -> ControlResult<EpochSeconds> {
        let info = self.execution(arn)?;
        if !matches!(
            info.status,
            Status::Failed | Status::TimedOut | Status::Aborted
        ) || self.is_running_here(arn)
        {
            return Err(ControlError::ExecutionNotRedrivable(format!(
                "Execution is {}: only FAILED, TIMED_OUT or ABORTED executions can be redriven",
                info.status.as_str()
            )));
        }
        let (_, machine) = self.machine(&info.machine_arn)?;
        let events = self.db.events(arn).map_err(db_error)?;
        let point =
            restart_point(&machine, &events, Restart::Redrive).map_err(ControlError::Internal)?;
        let at = now();
        self.record(arn, EventType::ExecutionRedriven, None)?;
        self.db.redrive(arn, at).map_err(db_error)?;
        let info = self.execution(arn)?;
        self.launch(&info, machine, point.map(|p| (p, Restart::Redrive)))?;
        Ok(at)
    }

    async fn send_task_success(&self, token: &str, output: &str) -> ControlResult<()> {
        let value = serde_json::from_str(output)
            .map_err(|e| ControlError::InvalidOutput(format!("Invalid output: {e}")))?;
        self.answer(token, |tokens| tokens.send_task_success(token, value))
    }

    async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> ControlResult<()> {
        self.answer(token, |tokens| {
            tokens.send_task_failure(token, error.unwrap_or_default(), cause.unwrap_or_default())
        })
    }

    async fn send_task_heartbeat(&self, token: &str) -> ControlResult<()> {
        self.tokens
            .send_task_heartbeat(token)
            .map_err(|e| self.token_error(token, e))
    }

    async fn create_activity(&self, name: &str) -> ControlResult<ActivityInfo> {
        check_name(name)?;
        let info = ActivityInfo {
            arn: self.arn("activity", name),
            name: name.to_owned(),
            created: now(),
        };
        self.db.insert_activity(&info).map_err(db_error)?;
        Ok(self
            .db
            .activities()
            .map_err(db_error)?
            .into_iter()
            .find(|a| a.arn == info.arn)
            .unwrap_or(info))
    }

    async fn list_activities(&self) -> ControlResult<Vec<ActivityInfo>> {
        self.db.activities().map_err(db_error)
    }

    async fn get_activity_task(
        &self,
        activity_arn: &str,
        _worker_name: Option<&str>,
    ) -> ControlResult<Option<ActivityTask>> {
        if !self
            .db
            .activities()
            .map_err(db_error)?
            .iter()
            .any(|a| a.arn == activity_arn)
        {
            return Err(ControlError::ActivityDoesNotExist(format!(
                "Activity Does Not Exist: '{activity_arn}'"
            )));
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            // Registered before looking, so an arrival between the look and the wait is seen.
            let arrival = self.activities.arrival();
            if let Some((token, input)) = self.activities.take(activity_arn) {
                return Ok(Some(ActivityTask { token, input }));
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                return Ok(None);
            }
        }
    }
}
