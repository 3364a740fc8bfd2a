//! The interpreter: walks a [`StateMachine`] from `StartAt` (or from a [`ResumePoint`]),
//! applying JSONPath input/output processing, retries and catchers, and recording the
//! history AWS would. Tasks go through a [`TaskResolver`]; time through a [`Clock`].
//!
//! The execution's state between two transitions is exactly (current state name, its
//! raw input, the variables in scope): that is what a resume needs, and what the
//! `…StateEntered` events plus `Assign` records carry.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{self, BoxFuture};
use futures::FutureExt;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::dispatch::{
    heartbeat_channel, Completion, IntegrationPattern, ResourceKind, TaskCall, TaskResolver,
    TaskTokens, TokenOutcome,
};
use crate::error::{names, StatesError};
use crate::history::*;
use crate::jsonata::{Query, States};
use crate::model::*;
use crate::payload::{json_len, Env, LazyContext, Template, Variables};
use crate::timestamp;

mod branches;
mod task;

/// AWS's payload quota for state input, output and task results (256 KiB).
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// The guide's limits on workflow variables ("Passing data between states with variables",
/// variable limits): one variable's value, all the values of one `Assign` field together,
/// and all the variables an execution stores, each as compact JSON (UTF-8 bytes).
pub const VARIABLE_LIMIT: usize = 256 * 1024;
pub const ASSIGN_LIMIT: usize = 256 * 1024;
pub const VARIABLES_TOTAL_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub region: String,
    pub account: String,
    pub payload_limit: usize,
    /// Keep the history in memory (for `--history` and tests); sinks get it regardless.
    pub record_history: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            payload_limit: PAYLOAD_LIMIT,
            record_history: true,
        }
    }
}

pub struct Engine {
    resolver: Arc<dyn TaskResolver>,
    clock: Arc<dyn Clock>,
    tokens: TaskTokens,
    config: EngineConfig,
    sink: Option<Arc<dyn HistorySink>>,
}

#[derive(Debug, Clone)]
pub struct ExecutionRequest {
    pub state_machine_name: String,
    pub execution_name: String,
    pub input: Value,
    pub role_arn: Option<String>,
    pub redrive_count: u32,
    /// Notified to stop the execution (`StopExecution`): it ends `ABORTED`.
    pub abort: Option<Arc<Notify>>,
}

impl ExecutionRequest {
    pub fn new(
        state_machine_name: impl Into<String>,
        execution_name: impl Into<String>,
        input: Value,
    ) -> Self {
        Self {
            state_machine_name: state_machine_name.into(),
            execution_name: execution_name.into(),
            input,
            role_arn: None,
            redrive_count: 0,
            abort: None,
        }
    }
}

/// Where to (re)start the top-level walk: a state, its raw input and the variables.
#[derive(Debug, Clone, Default)]
pub struct ResumePoint {
    pub state: String,
    pub input: Value,
    pub variables: HashMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

#[derive(Debug, Clone)]
pub struct ExecutionResult {
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<StatesError>,
    pub history: Vec<HistoryEvent>,
}

struct ExecutionInfo {
    arn: String,
    name: String,
    input: Value,
    start_time: String,
    role_arn: Option<String>,
    redrive_count: u32,
    machine_arn: String,
    machine_name: String,
}

/// One execution in flight; shared by all its branches and iterations.
struct Run<'e> {
    engine: &'e Engine,
    info: ExecutionInfo,
    history: Mutex<Vec<HistoryEvent>>,
    next_id: AtomicU64,
    /// Child executions of a distributed Map keep no history in the parent's.
    recording: bool,
}

/// Per-branch state: variables in scope and the last event (for `previousEventId`).
struct Frame {
    vars: Variables,
    last_event: u64,
}

impl Frame {
    fn child(&self, last_event: u64) -> Frame {
        Frame {
            vars: self.vars.child(),
            last_event,
        }
    }
}

enum Step {
    Next(String, Value),
    End(Value),
}

/// What a JSONata evaluation sees besides the state input: `$states.result` after a task,
/// branch or iteration succeeded, `$states.errorOutput` in a catcher.
#[derive(Clone, Copy)]
enum Outcome<'a> {
    None,
    Result(&'a Value),
    Error(&'a Value),
}

/// What `$$` shows for the state being run.
struct ContextInfo<'a> {
    state_name: &'a str,
    entered_time: i64,
    retry_count: u32,
    task_token: Option<&'a str>,
    map_item: Option<(usize, &'a Value)>,
    entered_event: u64,
}

impl Engine {
    pub fn new(resolver: Arc<dyn TaskResolver>, clock: Arc<dyn Clock>) -> Self {
        Self {
            resolver,
            clock,
            tokens: TaskTokens::new(),
            config: EngineConfig::default(),
            sink: None,
        }
    }

    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    pub fn with_tokens(mut self, tokens: TaskTokens) -> Self {
        self.tokens = tokens;
        self
    }

    pub fn with_sink(mut self, sink: Arc<dyn HistorySink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The token API for this engine's `.waitForTaskToken` tasks.
    pub fn tokens(&self) -> &TaskTokens {
        &self.tokens
    }

    pub async fn execute(
        &self,
        machine: &StateMachine,
        request: ExecutionRequest,
    ) -> ExecutionResult {
        self.execute_from(machine, request, None).await
    }

    /// Runs an execution, from `StartAt` or from `resume` (a later issue's redrive).
    pub async fn execute_from(
        &self,
        machine: &StateMachine,
        request: ExecutionRequest,
        resume: Option<ResumePoint>,
    ) -> ExecutionResult {
        let config = &self.config;
        let machine_arn = format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            config.region, config.account, request.state_machine_name
        );
        let run = Run {
            engine: self,
            info: ExecutionInfo {
                arn: format!(
                    "arn:aws:states:{}:{}:execution:{}:{}",
                    config.region,
                    config.account,
                    request.state_machine_name,
                    request.execution_name
                ),
                name: request.execution_name.clone(),
                input: request.input.clone(),
                start_time: timestamp::format_millis(self.clock.now_millis()),
                role_arn: request.role_arn.clone(),
                redrive_count: request.redrive_count,
                machine_arn,
                machine_name: request.state_machine_name.clone(),
            },
            history: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            recording: true,
        };
        let started = run.event(0, EventType::ExecutionStarted, || {
            Some(EventDetails::ExecutionStartedEventDetails(
                ExecutionStartedDetails {
                    input: request.input.to_string(),
                    input_details: PayloadDetails::default(),
                    role_arn: request.role_arn.clone(),
                },
            ))
        });
        let (start, input, vars) = match resume {
            Some(point) => {
                let mut vars = Variables::default();
                for (k, v) in point.variables {
                    vars.set(k, v);
                }
                (point.state, point.input, vars)
            }
            None => (
                machine.graph.start_at.clone(),
                request.input.clone(),
                Variables::default(),
            ),
        };
        let frame = Frame {
            vars,
            last_event: started,
        };
        // AWS refuses such an input at StartExecution; here the execution fails at once.
        let too_big = run.check_size("", &input).err().map(|_| {
            StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                "The execution input exceeds the maximum number of bytes service limit.",
            )
        });
        let walk = async {
            match too_big {
                Some(e) => Err(e),
                None => run.walk(&machine.graph, start, input, frame).await,
            }
        };
        let timeout = match machine.timeout_seconds {
            Some(s) => self.clock.sleep(Duration::from_secs(s)),
            None => future::pending().boxed(),
        };
        let abort = match &request.abort {
            Some(notify) => {
                let notify = notify.clone();
                async move { notify.notified().await }.boxed()
            }
            None => future::pending().boxed(),
        };
        enum End {
            Done(Result<Value, StatesError>),
            TimedOut,
            Aborted,
        }
        let end = tokio::select! {
            biased;
            r = walk => End::Done(r),
            _ = timeout => End::TimedOut,
            _ = abort => End::Aborted,
        };
        let last = run.next_id.load(Ordering::SeqCst);
        let (status, output, error) = match end {
            End::Done(Ok(output)) => match run.check_size("", &output) {
                Ok(()) => {
                    run.event(last, EventType::ExecutionSucceeded, || {
                        Some(EventDetails::ExecutionSucceededEventDetails(
                            OutputDetails {
                                output: output.to_string(),
                                output_details: PayloadDetails::default(),
                            },
                        ))
                    });
                    (ExecutionStatus::Succeeded, Some(output), None)
                }
                Err(e) => run.failed(last, e),
            },
            End::Done(Err(e)) => run.failed(last, e),
            End::TimedOut => {
                let e = StatesError::new(names::TIMEOUT, "The execution timed out.");
                run.event(last, EventType::ExecutionTimedOut, || {
                    Some(EventDetails::ExecutionTimedOutEventDetails(ErrorDetails {
                        error: Some(e.error.clone()),
                        cause: Some(e.cause.clone()),
                    }))
                });
                (ExecutionStatus::TimedOut, None, Some(e))
            }
            End::Aborted => {
                let e = StatesError::new(names::ABORTED, "The execution was stopped.");
                run.event(last, EventType::ExecutionAborted, || {
                    Some(EventDetails::ExecutionAbortedEventDetails(ErrorDetails {
                        error: Some(e.error.clone()),
                        cause: Some(e.cause.clone()),
                    }))
                });
                (ExecutionStatus::Aborted, None, Some(e))
            }
        };
        let history = run.history.into_inner().unwrap_or_else(|e| e.into_inner());
        ExecutionResult {
            status,
            output,
            error,
            history,
        }
    }
}

fn runtime_in_state(state: &str, entered: u64, detail: impl std::fmt::Display) -> StatesError {
    StatesError::runtime(format!(
        "An error occurred while executing the state '{state}' (entered at the event id #{entered}). {detail}"
    ))
}

/// Prefixes a `States.Runtime` or `States.QueryEvaluationError` cause with the state and its
/// entry event, as AWS does.
fn in_state(mut error: StatesError, info: &ContextInfo<'_>) -> StatesError {
    if error.error == names::RUNTIME || error.error == names::QUERY_EVALUATION_ERROR {
        error.cause = runtime_in_state(info.state_name, info.entered_event, &error.cause).cause;
    }
    error
}

fn positive_seconds(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

impl Run<'_> {
    fn event(
        &self,
        previous: u64,
        event_type: EventType,
        details: impl FnOnce() -> Option<EventDetails>,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let keep = self.recording && self.engine.config.record_history;
        if !self.recording || (!keep && self.engine.sink.is_none()) {
            return id;
        }
        let event = HistoryEvent {
            timestamp: self.engine.clock.now_millis() as f64 / 1000.0,
            event_type,
            id,
            previous_event_id: previous,
            details: details(),
        };
        if let Some(sink) = &self.engine.sink {
            sink.record(&event);
        }
        if keep {
            self.history
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(event);
        }
        id
    }

    fn failed(
        &self,
        last: u64,
        e: StatesError,
    ) -> (ExecutionStatus, Option<Value>, Option<StatesError>) {
        self.event(last, EventType::ExecutionFailed, || {
            Some(EventDetails::ExecutionFailedEventDetails(ErrorDetails {
                error: Some(e.error.clone()),
                cause: Some(e.cause.clone()),
            }))
        });
        (ExecutionStatus::Failed, None, Some(e))
    }

    fn check_size(&self, state: &str, value: &Value) -> Result<(), StatesError> {
        if json_len(value) > self.engine.config.payload_limit {
            return Err(StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
                ),
            ));
        }
        Ok(())
    }

    fn context(&self, info: &ContextInfo<'_>) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.info.arn,
                "Input": self.info.input,
                "Name": self.info.name,
                "RoleArn": self.info.role_arn,
                "StartTime": self.info.start_time,
                "RedriveCount": self.info.redrive_count,
            },
            "State": {
                "EnteredTime": timestamp::format_millis(info.entered_time),
                "Name": info.state_name,
                "RetryCount": info.retry_count,
            },
            "StateMachine": {
                "Id": self.info.machine_arn,
                "Name": self.info.machine_name,
            },
        });
        if let Some(token) = info.task_token {
            ctx["Task"] = json!({ "Token": token });
        }
        if let Some((index, value)) = info.map_item {
            ctx["Map"] = json!({ "Item": { "Index": index, "Value": value } });
        }
        ctx
    }

    /// Evaluates a payload template; a `States.Runtime` names the state, as AWS's causes do.
    fn template(
        &self,
        template: &Template,
        data: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
    ) -> Result<Value, StatesError> {
        self.with_env(data, vars, info, |env| template.eval(env))
            .map_err(|e| in_state(e, info))
    }

    /// Evaluates synchronously against `data` (nothing here may live across an await).
    fn with_env<R>(
        &self,
        data: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
        f: impl FnOnce(&Env<'_>) -> R,
    ) -> R {
        let build = || self.context(info);
        let lazy = LazyContext::new(&build);
        let env = Env {
            data,
            context: &lazy,
            vars,
        };
        f(&env)
    }

    fn read_path_field(
        &self,
        path: &PathOrNull,
        env: &Env<'_>,
        info: &ContextInfo<'_>,
    ) -> Result<Value, StatesError> {
        match path {
            PathOrNull::Null => Ok(json!({})),
            PathOrNull::Path(p) if p.is_identity() => Ok(env.data.clone()),
            PathOrNull::Path(p) => env.read(p).map_err(|e| {
                runtime_in_state(
                    info.state_name,
                    info.entered_event,
                    format!("Invalid path '{p}' : {e}"),
                )
            }),
        }
    }

    fn apply_result_path(
        &self,
        result_path: &PathOrNull,
        raw: &Value,
        result: Value,
    ) -> Result<Value, StatesError> {
        match result_path {
            PathOrNull::Null => Ok(raw.clone()),
            PathOrNull::Path(p) if p.is_identity() => Ok(result),
            PathOrNull::Path(p) => {
                let mut out = raw.clone();
                p.assign(&mut out, result).map_err(|e| {
                    StatesError::new(names::RESULT_PATH_MATCH_FAILURE, e.to_string())
                })?;
                Ok(out)
            }
        }
    }

    /// `Assign`: every value is computed first, then all are set (AWS's parallel assignment).
    fn assign(
        &self,
        template: &Option<Template>,
        data: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<BTreeMap<String, String>, StatesError> {
        self.assign_all(&[template], data, frame, info)
    }

    /// Evaluates every template against the variables from before the state, then sets
    /// them in order (a Choice rule's Assign after the state's own, so it wins).
    fn assign_all(
        &self,
        templates: &[&Option<Template>],
        data: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<BTreeMap<String, String>, StatesError> {
        let mut evaluated = Vec::new();
        for template in templates.iter().filter_map(|t| t.as_ref()) {
            evaluated.push(self.template(template, data, &frame.vars, info)?);
        }
        Self::set_variables(info.state_name, frame, evaluated)
    }

    /// Sets evaluated `Assign` objects in order (a later one wins); returns what AWS lists as
    /// `assignedVariables`. Nothing is set when a variable limit would be exceeded: the
    /// state fails with `States.DataLimitExceeded` instead.
    fn set_variables(
        state: &str,
        frame: &mut Frame,
        evaluated: Vec<Value>,
    ) -> Result<BTreeMap<String, String>, StatesError> {
        let exceeded = |what: String| {
            StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!("The state '{state}' {what} exceeding the maximum number of bytes service limit."),
            )
        };
        // (name, value, its JSON text) in assignment order.
        let mut assignments: Vec<(String, Value, String)> = Vec::new();
        for values in evaluated {
            let Value::Object(fields) = values else {
                continue;
            };
            let mut combined = 0usize;
            for (name, value) in fields {
                let text = value.to_string();
                if text.len() > VARIABLE_LIMIT {
                    return Err(exceeded(format!(
                        "assigned the variable '{name}' a value of {} bytes, a size",
                        text.len()
                    )));
                }
                combined += text.len();
                assignments.push((name, value, text));
            }
            if combined > ASSIGN_LIMIT {
                return Err(exceeded(format!(
                    "assigned variables of {combined} bytes in one Assign, a combined size"
                )));
            }
        }
        // Only the last assignment of a name is stored.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (index, (name, _, _)) in assignments.iter().enumerate() {
            last.insert(name, index);
        }
        let mut total = frame.vars.stored_bytes();
        for (name, &index) in &last {
            total = total - frame.vars.local_bytes_of(name) + assignments[index].2.len();
        }
        if total > VARIABLES_TOTAL_LIMIT {
            return Err(exceeded(format!(
                "brought the variables stored in the execution to {total} bytes, a total size"
            )));
        }
        let mut assigned = BTreeMap::new();
        for (name, value, text) in assignments {
            frame.vars.set_sized(name.clone(), value, text.len());
            assigned.insert(name, text);
        }
        Ok(assigned)
    }

    fn walk<'a>(
        &'a self,
        graph: &'a Graph,
        start: String,
        input: Value,
        mut frame: Frame,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        async move {
            let mut name = start;
            let mut input = input;
            loop {
                let Some(state) = graph.states.get(&name) else {
                    return Err(StatesError::runtime(format!(
                        "The state '{name}' does not exist"
                    )));
                };
                match self.run_state(state, input, &mut frame).await? {
                    Step::Next(next, output) => {
                        name = next;
                        input = output;
                    }
                    Step::End(output) => return Ok(output),
                }
            }
        }
        .boxed()
    }

    async fn run_state(
        &self,
        state: &State,
        raw: Value,
        frame: &mut Frame,
    ) -> Result<Step, StatesError> {
        let mut result = self.run_state_body(state, raw, frame).await;
        if let Err(e) = &mut result {
            self.evaluation_failed(&state.name, frame, e);
        }
        result
    }

    /// Records the `EvaluationFailed` event `error` still owes, as the state's latest event;
    /// AWS writes it where the expression failed, before the Retry/Catch or failure outcome.
    fn evaluation_failed(&self, state: &str, frame: &mut Frame, error: &mut StatesError) {
        let Some(evaluation) = error.take_evaluation() else {
            return;
        };
        let details = EvaluationFailedDetails {
            error: Some(error.error.clone()),
            cause: Some(error.cause.clone()),
            location: evaluation.location,
            state: state.to_owned(),
        };
        frame.last_event = self.event(frame.last_event, EventType::EvaluationFailed, || {
            Some(EventDetails::EvaluationFailedEventDetails(details))
        });
    }

    async fn run_state_body(
        &self,
        state: &State,
        raw: Value,
        frame: &mut Frame,
    ) -> Result<Step, StatesError> {
        let entered_time = self.engine.clock.now_millis();
        let type_name = state.kind.type_name();
        let entered = self.event(frame.last_event, EventType::entered(type_name), || {
            Some(EventDetails::StateEnteredEventDetails(
                StateEnteredDetails {
                    name: state.name.clone(),
                    input: raw.to_string(),
                    input_details: PayloadDetails::default(),
                },
            ))
        });
        frame.last_event = entered;
        let info = ContextInfo {
            state_name: &state.name,
            entered_time,
            retry_count: 0,
            task_token: None,
            map_item: None,
            entered_event: entered,
        };
        let (next, output, assigned) = match &state.kind {
            StateKind::Task(_) | StateKind::Parallel { .. } | StateKind::Map(_) => {
                return self
                    .run_with_retry(state, raw, frame, entered_time, entered)
                    .await;
            }
            StateKind::Choice { .. } if state.jsonata.is_some() => {
                let (next, output, assigned) = self.jsonata_choice(state, &raw, frame, &info)?;
                (Some(Transition::Next(next)), output, assigned)
            }
            StateKind::Pass { .. } | StateKind::Succeed if state.jsonata.is_some() => {
                let (output, assigned) = self.jsonata_result(state, &raw, None, frame, &info)?;
                (state.transition.clone(), output, assigned)
            }
            StateKind::Pass { result } => {
                let effective = self.with_env(&raw, &frame.vars, &info, |env| {
                    self.read_path_field(&state.input_path, env, &info)
                })?;
                let result = match (result, &state.parameters) {
                    (Some(result), _) => result.clone(),
                    (None, Some(parameters)) => {
                        self.template(parameters, &effective, &frame.vars, &info)?
                    }
                    (None, None) => effective,
                };
                let assigned = self.assign(&state.assign, &result, frame, &info)?;
                let output = self.apply_result_path(&state.result_path, &raw, result)?;
                let output = self.with_env(&output, &frame.vars, &info, |env| {
                    self.read_path_field(&state.output_path, env, &info)
                })?;
                (state.transition.clone(), output, assigned)
            }
            StateKind::Choice { choices, default } => {
                let effective = self.with_env(&raw, &frame.vars, &info, |env| {
                    self.read_path_field(&state.input_path, env, &info)
                })?;
                let mut chosen = None;
                for branch in choices {
                    let matched = self
                        .with_env(&effective, &frame.vars, &info, |env| branch.rule.eval(env))
                        .map_err(|e| in_state(e, &info))?;
                    if matched {
                        chosen = Some(branch);
                        break;
                    }
                }
                let (next, branch_assign) = match (chosen, default) {
                    (Some(branch), _) => (branch.next.clone(), &branch.assign),
                    (None, Some(default)) => (default.clone(), &None),
                    (None, None) => {
                        return Err(StatesError::new(
                            names::NO_CHOICE_MATCHED,
                            format!("No Choice Rule matched in the Choice state '{}' and no Default was specified", state.name),
                        ))
                    }
                };
                let assigned =
                    self.assign_all(&[&state.assign, branch_assign], &effective, frame, &info)?;
                let output = self.with_env(&effective, &frame.vars, &info, |env| {
                    self.read_path_field(&state.output_path, env, &info)
                })?;
                (Some(Transition::Next(next)), output, assigned)
            }
            StateKind::Wait(wait) => {
                let effective = self.with_env(&raw, &frame.vars, &info, |env| {
                    self.read_path_field(&state.input_path, env, &info)
                })?;
                let now = self.engine.clock.now_millis();
                let millis: i64 = match wait {
                    WaitFor::Seconds(s) => (*s as i64) * 1000,
                    WaitFor::Timestamp(ts) => timestamp::parse(ts)
                        .map(|t| timestamp::to_millis(t) - now)
                        .unwrap_or(0),
                    WaitFor::SecondsPath(p) => {
                        let v = self
                            .with_env(&effective, &frame.vars, &info, |env| env.read(p))
                            .map_err(|e| {
                                runtime_in_state(
                                    &state.name,
                                    entered,
                                    format!("Invalid path '{p}' : {e}"),
                                )
                            })?;
                        positive_seconds(&v).map(|s| s as i64 * 1000).ok_or_else(|| {
                            runtime_in_state(&state.name, entered, format!("The SecondsPath parameter does not reference a valid integer value: {v}"))
                        })?
                    }
                    WaitFor::SecondsQuery(q) => {
                        let v = self.query(q, &raw, &frame.vars, &info)?;
                        positive_seconds(&v).map(|s| s as i64 * 1000).ok_or_else(|| {
                            in_state(q.error(format!("must evaluate to a non-negative integer, but returned {v}.")), &info)
                        })?
                    }
                    WaitFor::TimestampQuery(q) => {
                        let v = self.query(q, &raw, &frame.vars, &info)?;
                        let at = v.as_str().and_then(timestamp::parse).ok_or_else(|| {
                            in_state(q.error(format!("must evaluate to an ISO-8601 extended offset date-time string, but returned {v}.")), &info)
                        })?;
                        timestamp::to_millis(at) - now
                    }
                    WaitFor::TimestampPath(p) => {
                        let v = self
                            .with_env(&effective, &frame.vars, &info, |env| env.read(p))
                            .map_err(|e| {
                                runtime_in_state(
                                    &state.name,
                                    entered,
                                    format!("Invalid path '{p}' : {e}"),
                                )
                            })?;
                        let at = v.as_str().and_then(timestamp::parse).ok_or_else(|| {
                            runtime_in_state(&state.name, entered, format!("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {v}"))
                        })?;
                        timestamp::to_millis(at) - now
                    }
                };
                if millis > 0 {
                    self.engine
                        .clock
                        .sleep(Duration::from_millis(millis as u64))
                        .await;
                }
                if state.jsonata.is_some() {
                    let (output, assigned) =
                        self.jsonata_result(state, &raw, None, frame, &info)?;
                    return self.finish(state, frame, state.transition.clone(), output, assigned);
                }
                let assigned = self.assign(&state.assign, &effective, frame, &info)?;
                let output = self.with_env(&effective, &frame.vars, &info, |env| {
                    self.read_path_field(&state.output_path, env, &info)
                })?;
                (state.transition.clone(), output, assigned)
            }
            StateKind::Succeed => {
                let effective = self.with_env(&raw, &frame.vars, &info, |env| {
                    self.read_path_field(&state.input_path, env, &info)
                })?;
                let output = self.with_env(&effective, &frame.vars, &info, |env| {
                    self.read_path_field(&state.output_path, env, &info)
                })?;
                (Some(Transition::End), output, BTreeMap::new())
            }
            StateKind::Fail { error, cause } => {
                let read = |d: &Option<Dynamic>| -> Result<String, StatesError> {
                    let Some(d) = d else { return Ok(String::new()) };
                    match (self.dynamic(d, &raw, &frame.vars, &info)?, d) {
                        (Value::String(s), _) => Ok(s),
                        (other, Dynamic::Query(q)) => Err(in_state(
                            q.error(format!("must evaluate to a string, but returned {other}.")),
                            &info,
                        )),
                        (other, _) => Ok(other.to_string()),
                    }
                };
                return Err(StatesError::new(read(error)?, read(cause)?));
            }
        };
        self.finish(state, frame, next, output, assigned)
    }

    /// The value of a literal, a path, an intrinsic or a JSONata expression; `data` is what
    /// paths read and what `$states.input` holds.
    fn dynamic(
        &self,
        d: &Dynamic,
        data: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
    ) -> Result<Value, StatesError> {
        match d {
            Dynamic::Literal(v) => Ok(v.clone()),
            Dynamic::Query(q) => self.query(q, data, vars, info),
            Dynamic::Path(p) => self
                .with_env(data, vars, info, |env| env.read(p))
                .map_err(|e| {
                    runtime_in_state(
                        info.state_name,
                        info.entered_event,
                        format!("Invalid path '{p}' : {e}"),
                    )
                }),
            Dynamic::Call(c) => self.with_env(data, vars, info, |env| {
                c.eval(&mut |p| env.read(p).map_err(|e| StatesError::runtime(e.to_string())))
            }),
        }
    }

    /// A dynamic value of the wrong kind: JSONata's error names the expression and field,
    /// a path's is `States.Runtime` with `jsonpath`'s wording.
    fn invalid(
        d: &Dynamic,
        v: &Value,
        expected: &str,
        info: &ContextInfo<'_>,
        jsonpath: impl FnOnce() -> String,
    ) -> StatesError {
        match d {
            Dynamic::Query(q) => in_state(
                q.error(format!("must evaluate to {expected}, but returned {v}.")),
                info,
            ),
            _ => runtime_in_state(info.state_name, info.entered_event, jsonpath()),
        }
    }

    /// Evaluates JSONata with `$states` over `input` (plus a result or error output) and the
    /// variables from before the state; a failure names the state.
    fn with_states<R>(
        &self,
        input: &Value,
        outcome: Outcome<'_>,
        vars: &Variables,
        info: &ContextInfo<'_>,
        f: impl FnOnce(&States<'_>) -> Result<R, StatesError>,
    ) -> Result<R, StatesError> {
        let build = || self.context(info);
        let lazy = LazyContext::new(&build);
        let states = States::new(input, &lazy, vars, self.engine.clock.now_millis());
        let states = match outcome {
            Outcome::None => states,
            Outcome::Result(r) => states.with_result(r),
            Outcome::Error(e) => states.with_error_output(e),
        };
        f(&states).map_err(|e| in_state(e, info))
    }

    fn query(
        &self,
        q: &Query,
        input: &Value,
        vars: &Variables,
        info: &ContextInfo<'_>,
    ) -> Result<Value, StatesError> {
        self.with_states(input, Outcome::None, vars, info, |states| q.eval(states))
    }

    /// A JSONata state's `Assign` and `Output` (default: `default`, else the input), both
    /// evaluated against the variables from before the state; then the variables are set.
    fn jsonata_result(
        &self,
        state: &State,
        raw: &Value,
        result: Option<&Value>,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(Value, BTreeMap<String, String>), StatesError> {
        let fields = state.jsonata.as_deref();
        let outcome = result.map_or(Outcome::None, Outcome::Result);
        let (assigned, output) = self.with_states(raw, outcome, &frame.vars, info, |states| {
            let assigned = match fields.and_then(|f| f.assign.as_ref()) {
                Some(t) => vec![t.eval(states)?],
                None => Vec::new(),
            };
            let output = match fields.and_then(|f| f.output.as_ref()) {
                Some(t) => t.eval(states)?,
                None => result.unwrap_or(raw).clone(),
            };
            Ok((assigned, output))
        })?;
        Ok((
            output,
            Self::set_variables(info.state_name, frame, assigned)?,
        ))
    }

    /// A JSONata Choice: the first rule whose `Condition` is true decides the next state; its
    /// `Assign` applies after the state's own and its `Output` replaces the state's.
    fn jsonata_choice(
        &self,
        state: &State,
        raw: &Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(String, Value, BTreeMap<String, String>), StatesError> {
        let StateKind::Choice { default, .. } = &state.kind else {
            return Err(StatesError::runtime(
                "jsonata_choice used on a non-Choice state",
            ));
        };
        let fields = state.jsonata.as_deref().cloned().unwrap_or_default();
        let (next, assigned, output) = self.with_states(raw, Outcome::None, &frame.vars, info, |states| {
            let mut chosen = None;
            for rule in &fields.choices {
                match rule.condition.eval(states)? {
                    Value::Bool(true) => {
                        chosen = Some(rule);
                        break;
                    }
                    Value::Bool(false) => {}
                    other => {
                        return Err(rule.condition.error(format!(
                            "must evaluate to a boolean, but returned {other}."
                        )))
                    }
                }
            }
            let (next, rule_output, rule_assign) = match (chosen, default) {
                (Some(rule), _) => (rule.next.clone(), rule.output.as_ref(), rule.assign.as_ref()),
                (None, Some(default)) => (default.clone(), None, None),
                (None, None) => {
                    return Err(StatesError::new(
                        names::NO_CHOICE_MATCHED,
                        format!("No Choice Rule matched in the Choice state '{}' and no Default was specified", state.name),
                    ))
                }
            };
            let mut assigned = Vec::new();
            for t in [fields.assign.as_ref(), rule_assign].into_iter().flatten() {
                assigned.push(t.eval(states)?);
            }
            let output = match rule_output.or(fields.output.as_ref()) {
                Some(t) => t.eval(states)?,
                None => raw.clone(),
            };
            Ok((next, assigned, output))
        })?;
        Ok((
            next,
            output,
            Self::set_variables(info.state_name, frame, assigned)?,
        ))
    }

    fn finish(
        &self,
        state: &State,
        frame: &mut Frame,
        next: Option<Transition>,
        output: Value,
        assigned: BTreeMap<String, String>,
    ) -> Result<Step, StatesError> {
        self.check_size(&state.name, &output)?;
        if let Some(exited) = EventType::exited(state.kind.type_name()) {
            frame.last_event = self.event(frame.last_event, exited, || {
                Some(EventDetails::StateExitedEventDetails(StateExitedDetails {
                    name: state.name.clone(),
                    output: output.to_string(),
                    output_details: PayloadDetails::default(),
                    assigned_variables: assigned,
                }))
            });
        }
        Ok(match next {
            Some(Transition::Next(next)) => Step::Next(next, output),
            Some(Transition::End) | None => Step::End(output),
        })
    }

    async fn run_with_retry(
        &self,
        state: &State,
        raw: Value,
        frame: &mut Frame,
        entered_time: i64,
        entered: u64,
    ) -> Result<Step, StatesError> {
        // Backoff grows with all retries through a retrier, but MaxAttempts counts per
        // error name: the guide's "complex retry scenario" (ErrorA, ErrorB, ErrorC,
        // ErrorB, ErrorB → waits 1, 2, 5, 4 s, then Catch) only works out that way.
        let mut counts = vec![0u32; state.retry.len()];
        let mut per_error: HashMap<(usize, String), u32> = HashMap::new();
        let mut retry_count = 0u32;
        loop {
            let info = ContextInfo {
                state_name: &state.name,
                entered_time,
                retry_count,
                task_token: None,
                map_item: None,
                entered_event: entered,
            };
            // Boxed so a walk's future stays small: a Map keeps one per running iteration.
            let attempt = match &state.kind {
                StateKind::Task(task) => {
                    Box::pin(self.task_attempt(state, task, &raw, frame, &info)).await
                }
                StateKind::Parallel { branches } => {
                    Box::pin(self.parallel_attempt(state, branches, &raw, frame, &info)).await
                }
                StateKind::Map(map) => {
                    Box::pin(self.map_attempt(state, map, &raw, frame, &info)).await
                }
                _ => Err(StatesError::runtime(
                    "retry wrapper used on a state without Retry",
                )),
            };
            let mut error = match attempt {
                Ok((output, assigned)) => {
                    return self.finish(state, frame, state.transition.clone(), output, assigned)
                }
                Err(e) => e,
            };
            self.evaluation_failed(&state.name, frame, &mut error);
            // The first retrier whose ErrorEquals matches decides; an exhausted one
            // does not hand over to later retriers (ASL spec, "Retry").
            if let Some(index) = state
                .retry
                .iter()
                .position(|r| error.matches(&r.error_equals))
            {
                let retrier = &state.retry[index];
                let attempts = per_error.entry((index, error.error.clone())).or_insert(0);
                if *attempts < retrier.max_attempts {
                    *attempts += 1;
                    let mut delay =
                        retrier.interval_seconds * retrier.backoff_rate.powi(counts[index] as i32);
                    if let Some(max) = retrier.max_delay_seconds {
                        delay = delay.min(max);
                    }
                    if retrier.jitter == Jitter::Full {
                        delay *= fastrand::f64();
                    }
                    counts[index] += 1;
                    retry_count += 1;
                    self.engine
                        .clock
                        .sleep(Duration::from_secs_f64(delay.max(0.0)))
                        .await;
                    continue;
                }
            }
            if let Some(catcher) = state.catch.iter().find(|c| error.matches(&c.error_equals)) {
                let info = ContextInfo {
                    state_name: &state.name,
                    entered_time,
                    retry_count,
                    task_token: None,
                    map_item: None,
                    entered_event: entered,
                };
                let error_output = error.to_error_output();
                let (output, assigned) = if state.jsonata.is_some() {
                    let outcome = Outcome::Error(&error_output);
                    let (assigned, output) =
                        self.with_states(&raw, outcome, &frame.vars, &info, |states| {
                            let assigned = match &catcher.jsonata_assign {
                                Some(t) => vec![t.eval(states)?],
                                None => Vec::new(),
                            };
                            let output = match &catcher.jsonata_output {
                                Some(t) => t.eval(states)?,
                                None => error_output.clone(),
                            };
                            Ok((assigned, output))
                        })?;
                    (
                        output,
                        Self::set_variables(info.state_name, frame, assigned)?,
                    )
                } else {
                    let assigned = self.assign(&catcher.assign, &error_output, frame, &info)?;
                    let output =
                        self.apply_result_path(&catcher.result_path, &raw, error_output)?;
                    (output, assigned)
                };
                return self.finish(
                    state,
                    frame,
                    Some(Transition::Next(catcher.next.clone())),
                    output,
                    assigned,
                );
            }
            return Err(error);
        }
    }

    /// ResultSelector, Assign, ResultPath and OutputPath, shared by Task, Parallel and Map.
    fn process_result(
        &self,
        state: &State,
        raw: &Value,
        result: Value,
        frame: &mut Frame,
        info: &ContextInfo<'_>,
    ) -> Result<(Value, BTreeMap<String, String>), StatesError> {
        if state.jsonata.is_some() {
            return self.jsonata_result(state, raw, Some(&result), frame, info);
        }
        let result = match &state.result_selector {
            Some(selector) => self.template(selector, &result, &frame.vars, info)?,
            None => result,
        };
        let assigned = self.assign(&state.assign, &result, frame, info)?;
        let output = self.apply_result_path(&state.result_path, raw, result)?;
        let output = self.with_env(&output, &frame.vars, info, |env| {
            self.read_path_field(&state.output_path, env, info)
        })?;
        Ok((output, assigned))
    }
}
