//! Publish (DESIGN §2, step 3): copy the run's verified outputs into the products bucket and
//! write the run manifest.
//!
//! Layout under `<survey>/<execution name>/` in the products bucket: `outputs/…` (the run's
//! outputs, copied with core's sync, so a retried publish copies only what is missing; the job
//! records under `outputs/.leadline/jobs/` come along as provenance), `outputs/processor/…` (the
//! processor's exports, only when its branch ran), `manifest.cbor` (the composite, DAG-CBOR)
//! with its parts `inventory.cbor`, `outputs.cbor` and `provenance.json`, and `manifest.json`
//! (the same for people). The composite covers the upload's manifest, the outputs' manifest and
//! the provenance, so its CID names the run.
//!
//! Provenance: the machine's release (from its payload) and this publisher's version and commit,
//! the state machine's ARN, version and alias, the image digests of the Fargate tasks that ran,
//! every job's `{step, tool, cached, manifest, inputs}` from the job records that
//! `leadline-runner` writes beside its outputs, and the tool versions jobs reported.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::manifest::{Manifest, ManifestError};
use leadline_core::store::{ObjectStore, PutOptions, StoreError};
use leadline_core::sync::{sync, SyncOptions};
use leadline_runner::job::TaskResult;
use leadline_runner::results::{self, RecordError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::buckets::{Buckets, Place, PlaceError};
use crate::executions::{Event, Executions, ExecutionsError};
use crate::inventory::{self, InventoryError, Summary};

/// Where the job runner publishes a run's outputs, under the run's work prefix (the survey
/// template's `run.products`).
pub const OUTPUTS: &str = "products/";

/// Where the processor's exports go, under the run's published outputs.
pub const PROCESSOR_EXPORTS: &str = "processor/";

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PublishInput {
    pub survey: String,
    pub work: String,
    pub inventory: Summary,
    /// The processor branch's result: `{"status": "succeeded"}`, or `{"status": "skipped",
    /// "reason"}` when Plan's verdict skipped it (a failed processor never reaches Publish).
    #[serde(default)]
    pub processor: Value,
    #[serde(default)]
    pub products: Value,
    /// The processor's exports (`s3://bucket/key` of its GeoTIFF and BAG), published only when
    /// its branch ran: the checkpoint folder outlives runs, so a skipped run may find old ones.
    #[serde(default)]
    pub processor_exports: Vec<String>,
    /// The release the state machine was rendered from (its `Comment` says the same).
    #[serde(default)]
    pub release: Option<String>,
    /// The execution's ARN.
    pub execution: String,
    pub state_machine: String,
    /// The products bucket.
    pub bucket: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishOutput {
    /// `s3://products/<survey>/<execution>/`.
    pub location: String,
    /// The run's composite CID.
    pub cid: String,
    pub copied: u64,
    pub skipped: u64,
    pub outputs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("{count} outputs could not be published; first {key}: {error}")]
    Copy {
        count: usize,
        key: String,
        error: String,
    },
    #[error("execution ARN {0:?} has no name")]
    Execution(String),
    #[error("reading the execution for provenance: {0}")]
    Executions(#[from] ExecutionsError),
    #[error("image digests: {0}")]
    Images(String),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("processor export {0:?} is not an s3://bucket/key location")]
    ExportLocation(String),
    #[error("processor export {0} is missing, though the processor branch ran")]
    ExportMissing(String),
    #[error("processor branch result {0} is neither {{\"status\": \"succeeded\"}} nor {{\"status\": \"skipped\"}}")]
    ProcessorStatus(String),
}

/// A Fargate task that ran in this execution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskRef {
    pub cluster: String,
    pub arn: String,
}

/// Image digests of tasks (ECS `DescribeTasks` on AWS; the local twin has none).
#[async_trait]
pub trait Images: Send + Sync {
    /// Image → digest of every container of `tasks`.
    async fn digests(&self, tasks: &[TaskRef]) -> Result<BTreeMap<String, String>, PublishError>;
}

pub struct EcsImages {
    pub client: aws_sdk_ecs::Client,
}

#[async_trait]
impl Images for EcsImages {
    async fn digests(&self, tasks: &[TaskRef]) -> Result<BTreeMap<String, String>, PublishError> {
        let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for task in tasks {
            by_cluster
                .entry(task.cluster.as_str())
                .or_default()
                .push(task.arn.clone());
        }
        let mut digests = BTreeMap::new();
        for (cluster, arns) in by_cluster {
            // DescribeTasks takes at most 100 tasks per call.
            for chunk in arns.chunks(100) {
                let output = self
                    .client
                    .describe_tasks()
                    .cluster(cluster)
                    .set_tasks(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| {
                        PublishError::Images(
                            aws_sdk_ecs::error::DisplayErrorContext(&e).to_string(),
                        )
                    })?;
                for container in output.tasks().iter().flat_map(|t| t.containers()) {
                    if let (Some(image), Some(digest)) =
                        (container.image(), container.image_digest())
                    {
                        digests.insert(image.to_owned(), digest.to_owned());
                    }
                }
            }
        }
        Ok(digests)
    }
}

/// The Fargate tasks an execution ran, from its `ecs` task results.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FargateRuns {
    /// Image → digest, as the results describe the tasks' containers.
    pub images: BTreeMap<String, String>,
    /// Tasks whose result names no image digest, to ask ECS about.
    pub undescribed: Vec<TaskRef>,
}

/// A `runTask.sync` result is ECS's description of the task when it stopped, digests included,
/// so ECS is asked only about tasks whose result lacks them: `DescribeTasks` promises stopped
/// tasks for only an hour, which a long products branch outlasts.
pub fn fargate_runs(history: &[Event]) -> FargateRuns {
    let mut runs = FargateRuns::default();
    let results = history
        .iter()
        .filter(|e| e.kind == "TaskSucceeded" && e.resource_type.as_deref() == Some("ecs"))
        .filter_map(|e| serde_json::from_str::<Value>(e.output.as_deref()?).ok());
    for result in results {
        let described: Vec<(String, String)> = result
            .get("Containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|container| {
                Some((
                    container.get("Image")?.as_str()?.to_owned(),
                    container.get("ImageDigest")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        if !described.is_empty() {
            runs.images.extend(described);
        } else if let (Some(cluster), Some(arn)) = (
            result.get("ClusterArn").and_then(Value::as_str),
            result.get("TaskArn").and_then(Value::as_str),
        ) {
            runs.undescribed.push(TaskRef {
                cluster: cluster.to_owned(),
                arn: arn.to_owned(),
            });
        }
    }
    runs.undescribed.sort();
    runs.undescribed.dedup();
    runs
}

/// Tool versions the jobs reported: stdout metadata objects `{"tool": …, "version": …}` (the
/// job contract's `metadata`), in the task results of the history (activity tasks) and in the
/// job records (Fargate tasks, whose history result is ECS's).
pub fn tool_versions(history: &[Event], jobs: &[TaskResult]) -> BTreeMap<String, String> {
    let from_history: Vec<Value> = history
        .iter()
        .filter(|e| e.kind == "TaskSucceeded")
        .filter_map(|e| serde_json::from_str::<Value>(e.output.as_deref()?).ok())
        .filter_map(|output| output.get("metadata")?.as_array().cloned())
        .flatten()
        .collect();
    from_history
        .iter()
        .chain(jobs.iter().flat_map(|job| &job.metadata))
        .filter_map(|item| {
            Some((
                item.get("tool")?.as_str()?.to_owned(),
                item.get("version")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Each job's provenance in the run manifest.
fn job_provenance(job: &TaskResult) -> Value {
    json!({
        "step": job.step,
        "tool": job.tool,
        "cached": job.cached,
        "manifest": job.manifest,
        "inputs": job.inputs,
    })
}

/// Whether the processor branch ran, from its result in the payload.
fn processor_ran(processor: &Value) -> Result<bool, PublishError> {
    match processor.get("status").and_then(Value::as_str) {
        Some("succeeded") => Ok(true),
        Some("skipped") => Ok(false),
        _ => Err(PublishError::ProcessorStatus(processor.to_string())),
    }
}

/// The bucket and key of `s3://bucket/key`.
fn object_location(uri: &str) -> Result<(&str, Key), PublishError> {
    uri.strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(bucket, _)| !bucket.is_empty())
        .and_then(|(bucket, key)| Some((bucket, Key::new(key).ok()?)))
        .ok_or_else(|| PublishError::ExportLocation(uri.to_owned()))
}

/// Copies one object unless `to` already holds it (same size and CID); true when it copied.
async fn copy_object(
    source: &dyn ObjectStore,
    from: &Key,
    shown: &str,
    target: &dyn ObjectStore,
    to: &Key,
) -> Result<bool, PublishError> {
    let mut object = source
        .head(from)
        .await?
        .ok_or_else(|| PublishError::ExportMissing(shown.to_owned()))?;
    if let Some(present) = target.head(to).await?.filter(|p| p.size == object.size) {
        let cid = match object.cid {
            Some(cid) => cid,
            None => source.cid(from).await?,
        };
        let present_cid = match present.cid {
            Some(cid) => cid,
            None => target.cid(to).await?,
        };
        if cid == present_cid {
            return Ok(false);
        }
        object.cid = Some(cid);
    }
    if let Some(copied) = target.copy_from(source, &object, to).await {
        copied?;
    } else {
        let body = source.get(from).await?;
        let options = PutOptions {
            cid: object.cid,
            content_type: None,
        };
        target.put(to, body, options).await?;
    }
    Ok(true)
}

pub struct Publisher {
    pub buckets: Arc<dyn Buckets>,
    pub executions: Arc<dyn Executions>,
    pub images: Arc<dyn Images>,
}

impl Publisher {
    pub async fn handle(&self, input: &PublishInput) -> Result<PublishOutput, PublishError> {
        let name = input
            .execution
            .rsplit(':')
            .next()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| PublishError::Execution(input.execution.clone()))?;
        let work = Place::parse(&input.work)?;
        let source_prefix = Prefix::new(format!("{}{OUTPUTS}", work.prefix))?;
        let run_prefix = Prefix::new(format!("{}/{name}", input.survey))?;
        let outputs_prefix = Prefix::new(format!("{run_prefix}outputs"))?;
        let source = self.buckets.bucket(&work.bucket);
        let products = self.buckets.bucket(&input.bucket);
        // Checked before anything is copied, so a bad payload publishes nothing.
        let exports = if !input.processor_exports.is_empty() && processor_ran(&input.processor)? {
            input
                .processor_exports
                .iter()
                .map(|uri| object_location(uri).map(|(bucket, key)| (uri, bucket, key)))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };

        let mut report = sync(
            source.as_ref(),
            &source_prefix,
            products.as_ref(),
            &outputs_prefix,
            &SyncOptions::default(),
        )
        .await?;
        if let Some(first) = report.failed.first() {
            return Err(PublishError::Copy {
                count: report.failed.len(),
                key: first.key.clone(),
                error: first.error.clone(),
            });
        }
        let exports_prefix = Prefix::new(format!("{outputs_prefix}{PROCESSOR_EXPORTS}"))?;
        for (uri, bucket, key) in exports {
            let name = key.segments().last().unwrap_or(key.as_str());
            let target = Key::new(name)?.under(&exports_prefix)?;
            let store = self.buckets.bucket(bucket);
            if copy_object(store.as_ref(), &key, uri, products.as_ref(), &target).await? {
                report.copied += 1;
            } else {
                report.skipped += 1;
            }
        }

        // The published copies, with the CIDs sync verified or recorded.
        let mut outputs = Manifest::new();
        for object in products.list_all(&outputs_prefix).await?.objects {
            let cid = match object.cid {
                Some(cid) => cid,
                None => products.cid(&object.key).await?,
            };
            if let Some(relative) = object.key.strip_prefix(&outputs_prefix) {
                outputs.insert(relative.as_str(), cid)?;
            }
        }
        let upload = inventory::read(self.buckets.as_ref(), &input.inventory)
            .await?
            .manifest()?;

        let execution = self.executions.describe(&input.execution).await?;
        let history = self.executions.history(&input.execution).await?;
        let fargate = fargate_runs(&history);
        let mut images = fargate.images;
        images.extend(self.images.digests(&fargate.undescribed).await?);
        let jobs = results::read_all(source.as_ref(), &source_prefix).await?;
        let provenance = json!({
            "survey": input.survey,
            "execution": input.execution,
            "release": input.release,
            "publisher": {"version": env!("CARGO_PKG_VERSION"), "commit": crate::GIT_COMMIT},
            "state_machine": input.state_machine,
            "state_machine_version": execution.version_arn,
            "state_machine_alias": execution.alias_arn,
            "images": images,
            "jobs": jobs.iter().map(job_provenance).collect::<Vec<_>>(),
            "tools": tool_versions(&history, &jobs),
            "inventory": {"location": input.inventory.inventory, "cid": input.inventory.cid},
            "branches": {"processor": input.processor, "products": input.products},
        });
        // A JSON value of strings and maps always serialises.
        let provenance_bytes = serde_json::to_vec_pretty(&provenance).unwrap_or_default();
        let mut composite = Manifest::composite([("inventory", &upload), ("outputs", &outputs)])?;
        composite.insert("provenance", cid_of_bytes(&provenance_bytes))?;

        let put = |name: &'static str, bytes: Vec<u8>| {
            let products = products.clone();
            let run_prefix = run_prefix.clone();
            async move {
                let key = Key::new(name)?.under(&run_prefix)?;
                products.put_bytes(&key, bytes).await?;
                Ok::<_, PublishError>(())
            }
        };
        put("inventory.cbor", upload.to_dag_cbor()).await?;
        put("outputs.cbor", outputs.to_dag_cbor()).await?;
        put("provenance.json", provenance_bytes).await?;
        let document = json!({
            "cid": composite.cid().to_string(),
            "parts": composite.to_json()["entries"],
            "outputs": outputs.to_json()["entries"],
            "provenance": provenance,
        });
        put(
            "manifest.json",
            serde_json::to_vec_pretty(&document).unwrap_or_default(),
        )
        .await?;
        // Last: a manifest.cbor present means the run is fully published.
        put("manifest.cbor", composite.to_dag_cbor()).await?;

        Ok(PublishOutput {
            location: format!("s3://{}/{run_prefix}", input.bucket),
            cid: composite.cid().to_string(),
            copied: report.copied,
            skipped: report.skipped,
            outputs: outputs.len() as u64,
        })
    }
}

/// Where a run's manifest is, for the api.
pub fn manifest_key(survey: &str, execution_name: &str) -> Result<Key, KeyError> {
    Key::new(format!("{survey}/{execution_name}/manifest.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn succeeded(resource_type: &str, output: Value) -> Event {
        Event {
            kind: "TaskSucceeded".into(),
            resource_type: Some(resource_type.into()),
            output: Some(output.to_string()),
            ..Event::default()
        }
    }

    #[test]
    fn tasks_and_tools_come_from_the_history() {
        let history = [
            succeeded(
                "ecs",
                json!({"ClusterArn": "c", "TaskArn": "t1", "Containers": []}),
            ),
            succeeded("ecs", json!({"ClusterArn": "c", "TaskArn": "t1"})),
            succeeded(
                "ecs",
                json!({"ClusterArn": "c", "TaskArn": "t2", "Containers": [
                    {"Name": "job", "Image": "leadline/gdal:7", "ImageDigest": "sha256:feed"}
                ]}),
            ),
            succeeded("ecs", json!({"oops": true})),
            succeeded(
                "activity",
                json!({"metadata": [{"tool": "carisbatch", "version": "12.1"}, {"x": 1}]}),
            ),
            Event {
                kind: "TaskFailed".into(),
                ..Event::default()
            },
        ];
        assert_eq!(
            fargate_runs(&history),
            FargateRuns {
                images: BTreeMap::from([("leadline/gdal:7".to_owned(), "sha256:feed".to_owned())]),
                undescribed: vec![TaskRef {
                    cluster: "c".into(),
                    arn: "t1".into()
                }],
            }
        );
        let job = TaskResult {
            step: "qc".into(),
            tool: "leadline/qc:1".into(),
            outputs: BTreeMap::new(),
            manifest: "m".into(),
            inputs: "i".into(),
            metadata: vec![
                json!({"tool": "gdal", "version": "3.6.2"}),
                json!({"qc": "ok"}),
            ],
            metadata_dropped: 0,
            cached: false,
            cache_key: None,
        };
        assert_eq!(
            tool_versions(&history, &[job]),
            BTreeMap::from([
                ("carisbatch".to_owned(), "12.1".to_owned()),
                ("gdal".to_owned(), "3.6.2".to_owned())
            ])
        );
    }

    #[test]
    fn the_processor_status_and_export_locations_are_checked() {
        assert!(processor_ran(&json!({"status": "succeeded"})).unwrap());
        assert!(!processor_ran(&json!({"status": "skipped", "reason": "no raw"})).unwrap());
        for bad in [Value::Null, json!({"status": "failed"}), json!("succeeded")] {
            let error = processor_ran(&bad).unwrap_err().to_string();
            assert!(error.contains(&bad.to_string()), "{error}");
        }
        let (bucket, key) = object_location("s3://work/processor/S1/S1.bag").unwrap();
        assert_eq!((bucket, key.as_str()), ("work", "processor/S1/S1.bag"));
        for bad in [
            "work/S1.bag",
            "s3://work",
            "s3:///S1.bag",
            "s3://work/a/../b.bag",
        ] {
            let error = object_location(bad).unwrap_err().to_string();
            assert!(error.contains(bad), "{error}");
        }
    }
}
