//! The local twin (DESIGN §4): the rendered survey machine on one machine, with the same
//! handlers, jobs and worker as on AWS.
//!
//! - [`twin`]: machines and executions, persisted in a state folder, resumable and redrivable;
//! - [`control`]: the Step Functions operations as a trait, for the HTTP layer;
//! - [`dispatch`]: how each kind of Task resource runs here (in-process, host process, no-op),
//!   and the memo that keeps finished tasks from running twice;
//! - [`executions`]: the Lambdas' `Executions` over the twin;
//! - [`resume`]: where a resumed or redriven execution restarts;
//! - [`http`]: the Step Functions API, the run API, the web page and the uploads watcher;
//! - [`db`]: the SQLite database behind it all.

pub mod control;
pub mod db;
pub mod dispatch;
pub mod executions;
pub mod http;
pub mod resume;
pub mod twin;

pub use control::{ControlError, ControlPlane};
pub use twin::{Twin, TwinConfig, TwinError};
