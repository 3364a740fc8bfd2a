//! One job from start to result: stage inputs, consult the cache, run the command, check and
//! publish the outputs, record the result. Every failure on the way becomes a [`TaskFailure`]
//! with an error name a state machine can match.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use leadline_core::key::Prefix;
use leadline_core::store::{EtagCidCache, Location, LocationError, ObjectStore};
use leadline_core::Cid;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cache::{self, CacheKey};
use crate::contract::{errors, TaskFailure};
use crate::inputs;
use crate::outputs::{self, OutputError};
use crate::process::{self, CommandSpec, Heartbeat, RunOptions};
use crate::results;

/// A store and a prefix inside it.
#[derive(Clone)]
pub struct Place {
    pub store: Arc<dyn ObjectStore>,
    pub prefix: Prefix,
}

impl Place {
    /// Opens a folder or `s3://bucket/prefix` (S3 from the default credential chain).
    pub async fn open(text: &str) -> Result<Self, LocationError> {
        let (store, prefix) = Location::parse(text)?
            .open(Arc::new(EtagCidCache::in_memory()))
            .await;
        Ok(Self { store, prefix })
    }
}

pub struct JobSpec {
    pub command: CommandSpec,
    pub inputs_dir: PathBuf,
    pub outputs_dir: PathBuf,
    /// Folders, prefixes, files or objects staged into `inputs_dir` before the command runs.
    pub sources: Vec<String>,
    pub publish: Option<Place>,
    /// Requires `publish`: a cache hit is only as good as the outputs it points at.
    pub cache: Option<Place>,
    /// The step's definition (its name and anything that changes its meaning).
    pub step: String,
    /// The image or tool version the command comes from.
    pub tool: String,
    pub run: RunOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputEntry {
    pub cid: String,
    pub size: u64,
}

/// The task result the runner prints and sends with `SendTaskSuccess`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    /// The step's definition (`--step`), as in the cache key.
    pub step: String,
    /// The image or tool version the command came from (`--tool-version`), as in the cache key.
    pub tool: String,
    pub outputs: BTreeMap<String, OutputEntry>,
    /// CID of the outputs' DAG-CBOR manifest.
    pub manifest: String,
    /// CID of the inputs' manifest.
    pub inputs: String,
    /// The command's stdout JSON objects, in order, within the size bound.
    pub metadata: Vec<Value>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub metadata_dropped: usize,
    pub cached: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_key: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug)]
pub enum JobOutcome {
    Succeeded(TaskResult),
    Failed(TaskFailure),
}

fn runner_failure(error: impl std::fmt::Display) -> TaskFailure {
    TaskFailure::new(errors::RUNNER, error.to_string())
}

/// Runs the job, heartbeating throughout when given a task token; `cancel` resolving (SIGTERM)
/// stops the command with `Job.Interrupted`.
pub async fn run_job(
    spec: &JobSpec,
    heartbeat: Option<Heartbeat<'_>>,
    cancel: impl Future<Output = ()>,
) -> JobOutcome {
    let work = attempt(spec, cancel);
    match process::with_heartbeats(work, heartbeat, spec.run.heartbeat_every).await {
        Ok(result) => JobOutcome::Succeeded(result),
        Err(failure) => JobOutcome::Failed(failure),
    }
}

async fn attempt(
    spec: &JobSpec,
    cancel: impl Future<Output = ()>,
) -> Result<TaskResult, TaskFailure> {
    // The command runs in the inputs folder, so it must exist even when nothing is staged.
    std::fs::create_dir_all(&spec.inputs_dir).map_err(|e| {
        runner_failure(format!(
            "cannot create inputs folder {}: {e}",
            spec.inputs_dir.display()
        ))
    })?;
    for source in &spec.sources {
        inputs::stage(source, &spec.inputs_dir)
            .await
            .map_err(runner_failure)?;
    }
    let inputs_cid = inputs::manifest(&spec.inputs_dir)
        .await
        .map_err(runner_failure)?
        .cid()
        .to_string();
    let argv = spec.command.argv();
    let cache_key = CacheKey {
        step: &spec.step,
        tool: &spec.tool,
        command: &argv,
        inputs: inputs_cid.clone(),
    }
    .cid();

    let hit = match (&spec.cache, &spec.publish) {
        (Some(cache), Some(publish)) => cache::lookup(
            cache.store.as_ref(),
            &cache.prefix,
            &cache_key,
            publish.store.as_ref(),
            &publish.prefix,
        )
        .await
        .map_err(runner_failure)?,
        _ => None,
    };
    let result = match hit {
        Some(mut result) => {
            tracing::info!(key = %cache_key, "cache hit; the step is not run again");
            result.cached = true;
            result
        }
        None => execute(spec, cancel, &cache_key, inputs_cid).await?,
    };
    // Last, so a record exists only for a job whose outputs are all published.
    if let Some(publish) = &spec.publish {
        results::write(publish.store.as_ref(), &publish.prefix, &cache_key, &result)
            .await
            .map_err(runner_failure)?;
    }
    Ok(result)
}

/// Runs the command (no cache hit), publishes its outputs and records the result in the cache.
async fn execute(
    spec: &JobSpec,
    cancel: impl Future<Output = ()>,
    cache_key: &Cid,
    inputs_cid: String,
) -> Result<TaskResult, TaskFailure> {
    prepare_outputs(&spec.outputs_dir).map_err(runner_failure)?;
    let finished = process::run(&command_in_job(spec), &spec.run, cancel)
        .await
        .map_err(runner_failure)?;
    tracing::info!(
        elapsed_ms = finished.elapsed.as_millis(),
        ending = ?finished.ending,
        "command finished"
    );
    if let Some(failure) = finished.ending.failure(&finished.stderr_tail) {
        return Err(failure);
    }

    let found = outputs::scan(&spec.outputs_dir).map_err(|error| match error {
        OutputError::Rejected(_) => TaskFailure::new(errors::OUTPUT_REJECTED, error.to_string()),
        other => runner_failure(other),
    })?;
    let manifest = outputs::manifest(&found).map_err(runner_failure)?;
    if let Some(publish) = &spec.publish {
        outputs::publish(&spec.outputs_dir, publish.store.as_ref(), &publish.prefix)
            .await
            .map_err(runner_failure)?;
    }
    let result = TaskResult {
        step: spec.step.clone(),
        tool: spec.tool.clone(),
        outputs: found
            .iter()
            .map(|o| {
                (
                    o.name.to_string(),
                    OutputEntry {
                        cid: o.cid.to_string(),
                        size: o.size,
                    },
                )
            })
            .collect(),
        manifest: manifest.cid().to_string(),
        inputs: inputs_cid,
        metadata: finished.metadata.items,
        metadata_dropped: finished.metadata.dropped,
        cached: false,
        cache_key: spec.cache.as_ref().map(|_| cache_key.to_string()),
    };
    if let (Some(cache), Some(_)) = (&spec.cache, &spec.publish) {
        cache::record(cache.store.as_ref(), &cache.prefix, cache_key, &result)
            .await
            .map_err(runner_failure)?;
    }
    Ok(result)
}

/// The command as the job contract runs it: in the inputs folder (so a template can name a grid
/// by its file name), with `LEADLINE_INPUTS` and `LEADLINE_OUTPUTS` naming the two folders.
fn command_in_job(spec: &JobSpec) -> CommandSpec {
    let mut command = spec.command.clone();
    command.dir.get_or_insert_with(|| spec.inputs_dir.clone());
    for (name, dir) in [
        ("LEADLINE_INPUTS", &spec.inputs_dir),
        ("LEADLINE_OUTPUTS", &spec.outputs_dir),
    ] {
        command
            .env
            .push((name.to_owned(), dir.display().to_string()));
    }
    command
}

/// The outputs folder must start empty: whatever is in it gets published, and a leftover from an
/// earlier run is not this command's output.
fn prepare_outputs(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create outputs folder {}: {e}", dir.display()))?;
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read outputs folder {}: {e}", dir.display()))?;
    if entries.next().is_some() {
        return Err(format!(
            "outputs folder {} is not empty; it must hold only this command's outputs",
            dir.display()
        ));
    }
    Ok(())
}
