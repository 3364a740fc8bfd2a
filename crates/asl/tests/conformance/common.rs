//! Test harness: an engine over scripted task handlers and a paused clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;
use leadline_asl::clock::{Clock, TokioClock};
use leadline_asl::dispatch::{Completion, TaskCall, TaskFailure, TaskResolver, TaskTokens};
use leadline_asl::history::EventType;
use leadline_asl::{Engine, ExecutionRequest, ExecutionResult, ExecutionStatus, ValidateOptions};
use serde_json::Value;

/// 2024-01-01T00:00:00Z: every test execution starts then.
pub const START_MILLIS: i64 = 1_704_067_200_000;

pub type Handler =
    Arc<dyn Fn(TaskCall) -> BoxFuture<'static, Result<Completion, TaskFailure>> + Send + Sync>;

/// Task handlers by resource ARN; every call is logged as (state, input, clock millis).
#[derive(Clone, Default)]
pub struct Tasks {
    handlers: Arc<Mutex<HashMap<String, Handler>>>,
    pub calls: Arc<Mutex<Vec<(String, Value, i64)>>>,
    clock: Arc<Mutex<Option<Arc<dyn Clock>>>>,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// A synchronous handler.
    pub fn on(
        &self,
        resource: &str,
        f: impl Fn(&TaskCall) -> Result<Value, TaskFailure> + Send + Sync + 'static,
    ) -> &Self {
        let f = Arc::new(f);
        self.on_async(resource, move |call| {
            let f = f.clone();
            Box::pin(async move { f(&call).map(Completion::Result) })
        })
    }

    pub fn on_async(
        &self,
        resource: &str,
        f: impl Fn(TaskCall) -> BoxFuture<'static, Result<Completion, TaskFailure>>
            + Send
            + Sync
            + 'static,
    ) -> &Self {
        self.handlers
            .lock()
            .unwrap()
            .insert(resource.to_owned(), Arc::new(f));
        self
    }

    pub fn call_inputs(&self) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.1.clone())
            .collect()
    }

    /// Seconds since the execution start at which each call was made.
    pub fn call_times(&self) -> Vec<f64> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| (c.2 - START_MILLIS) as f64 / 1000.0)
            .collect()
    }
}

#[async_trait]
impl TaskResolver for Tasks {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        let now = self
            .clock
            .lock()
            .unwrap()
            .as_ref()
            .map(|c| c.now_millis())
            .unwrap_or(0);
        self.calls
            .lock()
            .unwrap()
            .push((call.state_name.clone(), call.input.clone(), now));
        let handler = self.handlers.lock().unwrap().get(&call.resource).cloned();
        match handler {
            Some(h) => h(call).await,
            None => Err(TaskFailure::new(
                "States.Runtime",
                format!("no test handler for {}", call.resource),
            )),
        }
    }
}

pub fn engine(tasks: &Tasks) -> Engine {
    engine_with_tokens(tasks, TaskTokens::new())
}

pub fn engine_with_tokens(tasks: &Tasks, tokens: TaskTokens) -> Engine {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(START_MILLIS));
    *tasks.clock.lock().unwrap() = Some(clock.clone());
    Engine::new(Arc::new(tasks.clone()), clock).with_tokens(tokens)
}

pub fn machine(definition: &Value) -> leadline_asl::StateMachine {
    match leadline_asl::parse(definition, ValidateOptions::default()) {
        Ok(m) => m,
        Err(e) => panic!("definition should be valid: {:#?}", e.0),
    }
}

pub async fn run_with(tasks: &Tasks, definition: Value, input: Value) -> ExecutionResult {
    let engine = engine(tasks);
    engine
        .execute(
            &machine(&definition),
            ExecutionRequest::new("Conformance", "test-execution", input),
        )
        .await
}

pub async fn run(definition: Value, input: Value) -> ExecutionResult {
    run_with(&Tasks::new(), definition, input).await
}

/// The execution's output, failing the test with the error when it did not succeed.
pub fn output(result: &ExecutionResult) -> Value {
    match (&result.status, &result.output, &result.error) {
        (ExecutionStatus::Succeeded, Some(v), _) => v.clone(),
        (status, _, error) => panic!("expected SUCCEEDED, got {status:?}: {error:?}"),
    }
}

/// (error, cause) of a failed execution.
pub fn failure(result: &ExecutionResult) -> (String, String) {
    assert_eq!(
        result.status,
        ExecutionStatus::Failed,
        "expected FAILED, output {:?}",
        result.output
    );
    let e = result
        .error
        .clone()
        .expect("a failed execution has an error");
    (e.error, e.cause)
}

pub fn event_types(result: &ExecutionResult) -> Vec<EventType> {
    result.history.iter().map(|e| e.event_type).collect()
}

/// A single-state machine around `state` (named "S").
pub fn single(state: Value) -> Value {
    serde_json::json!({"StartAt": "S", "States": {"S": state}})
}
