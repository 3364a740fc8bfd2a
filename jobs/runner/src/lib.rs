//! The job runner: the entrypoint of every heavy job (Fargate container or local host process).
//! It owns the job contract of DESIGN §3 — staging inputs, the memoization cache, running the
//! command with a timeout and heartbeats, refusing outputs that escape the outputs folder,
//! publishing outputs with CIDs, bounded metadata, and `Job.ExitCode.<n>` failures.
//!
//! `process` and `task_api` are also the processor-host worker's way of running a command and
//! reporting a task, so both kinds of step behave the same.

pub mod cache;
pub mod contract;
pub mod inputs;
pub mod job;
pub mod outputs;
pub mod process;
pub mod results;
pub mod task_api;
