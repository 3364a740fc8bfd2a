//! The processor host's Step Functions activity worker. It owns what is particular to the host:
//! polling an activity, the allow-list of programs a task may run (by default only `carisbatch`),
//! the licence settings from Secrets Manager (passed to the command, never logged), the survey's
//! work folder, and its checkpoint sync to S3 after every command.
//!
//! Running the command itself (metadata, heartbeats, stopping, `Job.*` errors) is the job
//! runner's `process` module, so activity steps and container steps behave alike. [`Worker::handle`]
//! takes one task's input directly, so the local engine can drive the worker in-process through
//! any [`ActivityApi`].

pub mod activity;
pub mod licence;
pub mod task;
pub mod worker;

pub use activity::{ActivityApi, ActivityTask};
pub use licence::Licence;
pub use task::{AllowList, TaskInput};
pub use worker::{Worker, WorkerConfig};
