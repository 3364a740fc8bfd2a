//! The typed form of a state machine definition, built by [`crate::validate::parse`] only
//! from definitions that passed validation, so the interpreter never re-checks shapes.

use std::collections::HashMap;

use serde_json::Value;

use crate::choice::ChoiceRule;
use crate::jsonata::{JsonataTemplate, Query};
use crate::jsonpath::Path;
use crate::payload::Template;

/// The query language of a state (`QueryLanguage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

/// Workflow type: some features (`.sync`, `.waitForTaskToken`) exist only in STANDARD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkflowType {
    #[default]
    Standard,
    Express,
}

#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub version: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    pub graph: Graph,
}

/// A set of states with an entry point: the machine itself, a Parallel branch or a Map processor.
#[derive(Debug, Clone)]
pub struct Graph {
    pub start_at: String,
    pub states: HashMap<String, State>,
}

/// `InputPath`/`OutputPath`/`ResultPath` may be a path or `null`, and null means
/// something different for each (empty object in, discard result, empty object out).
#[derive(Debug, Clone, PartialEq)]
pub enum PathOrNull {
    Path(Path),
    Null,
}

impl Default for PathOrNull {
    fn default() -> Self {
        Self::Path(Path::identity())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Next(String),
    End,
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    pub query_language: QueryLanguage,
    pub input_path: PathOrNull,
    pub output_path: PathOrNull,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: PathOrNull,
    pub assign: Option<Template>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// `None` for Choice, Succeed and Fail, which pick their own continuation.
    pub transition: Option<Transition>,
    /// A JSONata state's templates; `None` for JSONPath states. Its scalar fields
    /// (`TimeoutSeconds`, `Seconds`, `MaxConcurrency`, Fail's `Error`, ...) are
    /// [`Dynamic::Query`]s in `kind`.
    pub jsonata: Option<Box<JsonataFields>>,
    pub kind: StateKind,
}

/// The templates of a JSONata state, each `None` when the field is absent.
#[derive(Debug, Clone, Default)]
pub struct JsonataFields {
    pub arguments: Option<JsonataTemplate>,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<JsonataTemplate>,
    /// Task: `Credentials` (`RoleArn` may be an expression).
    pub credentials: Option<JsonataTemplate>,
    /// Map: `Items`, `ItemSelector` and `ItemBatcher.BatchInput`.
    pub items: Option<JsonataTemplate>,
    pub item_selector: Option<JsonataTemplate>,
    pub batch_input: Option<JsonataTemplate>,
    /// Choice: the rules, in order.
    pub choices: Vec<JsonataChoice>,
}

/// A JSONata Choice rule: its `Condition` must evaluate to a boolean.
#[derive(Debug, Clone)]
pub struct JsonataChoice {
    pub condition: Query,
    pub next: String,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<JsonataTemplate>,
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Pass {
        result: Option<Value>,
    },
    Task(Box<TaskState>),
    Choice {
        choices: Vec<ChoiceBranch>,
        default: Option<String>,
    },
    Wait(WaitFor),
    Succeed,
    Fail {
        error: Option<Dynamic>,
        cause: Option<Dynamic>,
    },
    Parallel {
        branches: Vec<Graph>,
    },
    Map(Box<MapState>),
}

impl StateKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "Pass",
            Self::Task(_) => "Task",
            Self::Choice { .. } => "Choice",
            Self::Wait(_) => "Wait",
            Self::Succeed => "Succeed",
            Self::Fail { .. } => "Fail",
            Self::Parallel { .. } => "Parallel",
            Self::Map(_) => "Map",
        }
    }
}

/// A value given literally or read at run time (`ErrorPath`, `SecondsPath`, or a JSONata
/// state's `{% … %}`).
#[derive(Debug, Clone)]
pub enum Dynamic {
    Literal(Value),
    Path(Path),
    Call(crate::intrinsics::Call),
    Query(Box<Query>),
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub resource: String,
    pub timeout_seconds: Option<Dynamic>,
    pub heartbeat_seconds: Option<Dynamic>,
    pub credentials: Option<Template>,
}

#[derive(Debug, Clone)]
pub enum WaitFor {
    Seconds(u64),
    Timestamp(String),
    SecondsPath(Path),
    TimestampPath(Path),
    /// JSONata `Seconds` / `Timestamp` written as an expression.
    SecondsQuery(Box<Query>),
    TimestampQuery(Box<Query>),
}

#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub rule: ChoiceRule,
    pub next: String,
    pub assign: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    Distributed { execution_type: WorkflowType },
}

#[derive(Debug, Clone)]
pub struct MapState {
    pub processor: Graph,
    pub mode: MapMode,
    pub items_path: Path,
    /// `Items` (JSON array or a path to one), distributed Map over in-state items only.
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<Dynamic>,
    pub tolerated_failure_percentage: Option<Dynamic>,
    pub tolerated_failure_count: Option<Dynamic>,
    pub label: Option<String>,
    pub item_batcher: Option<ItemBatcher>,
    /// `ItemReader` / `ResultWriter` as written: validated for shape only; the engine
    /// refuses to run them rather than silently iterate the wrong items (see issue #3).
    pub item_reader: Option<Value>,
    pub result_writer: Option<Value>,
}

/// `ItemBatcher` (distributed Map): items go to child executions in batches of
/// `{"Items": [...], "BatchInput": ...}`.
#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Dynamic>,
    pub max_input_bytes_per_batch: Option<Dynamic>,
    pub batch_input: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    Full,
    #[default]
    None,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter: Jitter,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    pub result_path: PathOrNull,
    pub assign: Option<Template>,
    /// A JSONata catcher's `Output` and `Assign` (they see `$states.errorOutput`).
    pub jsonata_output: Option<JsonataTemplate>,
    pub jsonata_assign: Option<JsonataTemplate>,
}
