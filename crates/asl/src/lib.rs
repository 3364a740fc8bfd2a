//! Amazon States Language for Leadline: the typed model of a state machine, the validator
//! behind `leadline states validate`, and the interpreter that is the local Step Functions
//! engine behind `leadline states run` and the local twin.
//!
//! The crate owns ASL semantics only. It knows no AWS service: Task states go through a
//! [`dispatch::TaskResolver`] registered per resource pattern ([`aws`] holds the Lambda
//! and mock resolvers), time goes through a [`clock::Clock`], and history events go to
//! memory and/or a [`history::HistorySink`]. Both query languages run: JSONPath and JSONata
//! ([`jsonata`], over the `leadline-jsonata` engine), with workflow variables in both.

pub mod aws;
pub mod choice;
pub mod clock;
pub mod dispatch;
pub mod error;
pub mod history;
pub mod interpreter;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod model;
pub mod payload;
pub mod timestamp;
pub mod validate;

pub use error::{Diagnostic, InvalidDefinition, StatesError};
pub use interpreter::{Engine, EngineConfig, ExecutionRequest, ExecutionResult, ExecutionStatus};
pub use model::{StateMachine, WorkflowType};
pub use validate::{parse, parse_str, validate, ValidateOptions};
