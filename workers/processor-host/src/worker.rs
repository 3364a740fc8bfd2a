//! Handling tasks: one task's input to its result ([`Worker::handle`]), and the polling loop that
//! feeds it from an activity ([`Worker::serve`]). A shutdown request fails the task in hand with
//! the retryable `Job.Interrupted` (after checkpointing what it had done) instead of losing it.

use std::path::PathBuf;
use std::time::Duration;

use leadline_core::store::DirStore;
use leadline_core::sync::{sync, SyncOptions};
use leadline_runner::contract::{errors, TaskFailure};
use leadline_runner::inputs;
use leadline_runner::job::Place;
use leadline_runner::process::{self, CommandSpec, Heartbeat, RunOptions};
use leadline_runner::task_api::TaskReporter;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::activity::ActivityApi;
use crate::licence::Licence;
use crate::task::{AllowList, TaskInput};

/// The task's input is malformed.
pub const BAD_INPUT: &str = "Job.BadInput";
/// The task's program is not on the allow-list; nothing ran.
pub const NOT_ALLOWED: &str = "Job.NotAllowed";

pub struct WorkerConfig {
    /// Each survey works in `<work_root>/<survey>/`.
    pub work_root: PathBuf,
    pub allow: AllowList,
    /// Where work folders are checkpointed: `<checkpoint>/<survey>/`.
    pub checkpoint: Option<Place>,
    pub licence: Licence,
    pub run: RunOptions,
    /// Pause after a failed `GetActivityTask` before polling again.
    pub poll_retry: Duration,
}

pub struct Worker {
    config: WorkerConfig,
}

/// Resolves when `shutdown` turns true (or its sender is gone, which also means stop).
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

impl Worker {
    pub fn new(config: WorkerConfig) -> Self {
        Self { config }
    }

    /// Polls `activity_arn` and handles tasks one at a time until `shutdown` turns true.
    pub async fn serve<A: ActivityApi>(
        &self,
        api: &A,
        activity_arn: &str,
        worker_name: &str,
        shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let polled = tokio::select! {
                polled = api.next_task(activity_arn, worker_name) => polled,
                () = stopped(shutdown.clone()) => return,
            };
            let task = match polled {
                Ok(Some(task)) => task,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(%error, "polling failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(self.config.poll_retry) => continue,
                        () = stopped(shutdown.clone()) => return,
                    }
                }
            };
            let heartbeat = Heartbeat {
                reporter: api as &dyn TaskReporter,
                token: &task.token,
            };
            let outcome = self
                .handle(&task.input, Some(heartbeat), stopped(shutdown.clone()))
                .await;
            let interrupted = matches!(&outcome, Err(f) if f.error == errors::INTERRUPTED);
            let reported = match &outcome {
                Ok(output) => api.succeed(&task.token, output).await,
                Err(failure) => {
                    tracing::warn!(error = %failure.error, "task failed");
                    api.fail(&task.token, failure).await
                }
            };
            if let Err(error) = reported {
                tracing::error!(%error, "cannot report the task; Step Functions will time it out");
            }
            if interrupted {
                return;
            }
        }
    }

    /// Runs one task: check, restore and stage, run, checkpoint, heartbeating throughout.
    /// `cancel` resolving stops the command with `Job.Interrupted`.
    pub async fn handle(
        &self,
        input: &str,
        heartbeat: Option<Heartbeat<'_>>,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Value, TaskFailure> {
        let work = self.attempt(input, cancel);
        process::with_heartbeats(work, heartbeat, self.config.run.heartbeat_every).await
    }

    async fn attempt(
        &self,
        input: &str,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Value, TaskFailure> {
        let task = TaskInput::parse(input).map_err(|cause| TaskFailure::new(BAD_INPUT, cause))?;
        self.config
            .allow
            .check(&task.command[0])
            .map_err(|cause| TaskFailure::new(NOT_ALLOWED, cause))?;
        let work = self.config.work_root.join(&task.survey);
        let runner_failure =
            |e: &dyn std::fmt::Display| TaskFailure::new(errors::RUNNER, e.to_string());
        std::fs::create_dir_all(&work).map_err(|e| runner_failure(&e))?;

        // A replaced or wiped host picks up where the last checkpoint left off.
        if let Some(checkpoint) = self
            .checkpoint_of(&task.survey)
            .map_err(|e| runner_failure(&e))?
        {
            let report = sync(
                checkpoint.store.as_ref(),
                &checkpoint.prefix,
                &DirStore::new(&work),
                &Default::default(),
                &SyncOptions::default(),
            )
            .await
            .map_err(|e| runner_failure(&e))?;
            tracing::info!(
                copied = report.copied,
                "work folder restored from checkpoint"
            );
        }
        for source in &task.inputs {
            inputs::stage(source, &work)
                .await
                .map_err(|e| runner_failure(&e))?;
        }

        let spec = CommandSpec {
            dir: Some(work.clone()),
            env: self.config.licence.env().to_vec(),
            ..CommandSpec::from_argv(&task.command)
                .ok_or_else(|| TaskFailure::new(BAD_INPUT, "empty command"))?
        };
        tracing::info!(survey = %task.survey, command = ?task.command, "running");
        let finished = process::run(&spec, &self.config.run, cancel)
            .await
            .map_err(|e| runner_failure(&e))?;

        // Checkpoint whatever the command left, also when it failed: a rerun resumes from it.
        let checkpointed = self.checkpoint(&task.survey, &work).await;
        if let Some(failure) = finished.ending.failure(&finished.stderr_tail) {
            if let Err(error) = &checkpointed {
                tracing::error!(%error, "checkpoint after a failed command also failed");
            }
            return Err(failure);
        }
        let checkpoint = checkpointed.map_err(|e| runner_failure(&e))?;
        Ok(json!({
            "survey": task.survey,
            "command": task.command,
            "metadata": finished.metadata.items,
            "metadataDropped": finished.metadata.dropped,
            "checkpoint": checkpoint,
        }))
    }

    fn checkpoint_of(&self, survey: &str) -> Result<Option<Place>, leadline_core::key::KeyError> {
        self.config
            .checkpoint
            .as_ref()
            .map(|base| {
                let prefix =
                    leadline_core::key::Prefix::new(format!("{}{survey}/", base.prefix.as_str()))?;
                Ok(Place {
                    store: base.store.clone(),
                    prefix,
                })
            })
            .transpose()
    }

    async fn checkpoint(&self, survey: &str, work: &std::path::Path) -> Result<Value, String> {
        let Some(checkpoint) = self.checkpoint_of(survey).map_err(|e| e.to_string())? else {
            return Ok(Value::Null);
        };
        let report = sync(
            &DirStore::new(work),
            &Default::default(),
            checkpoint.store.as_ref(),
            &checkpoint.prefix,
            &SyncOptions::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
        if !report.failed.is_empty() {
            let failed: Vec<String> = report
                .failed
                .iter()
                .map(|f| format!("{}: {}", f.key, f.error))
                .collect();
            return Err(format!("checkpoint incomplete: {}", failed.join("; ")));
        }
        tracing::info!(
            copied = report.copied,
            skipped = report.skipped,
            "checkpointed"
        );
        Ok(json!({"copied": report.copied, "skipped": report.skipped, "bytes": report.bytes}))
    }
}
