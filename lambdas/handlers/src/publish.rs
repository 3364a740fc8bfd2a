//! Publish (DESIGN §2, step 3): copy the run's verified outputs into the products bucket and
//! write the run manifest.
//!
//! Layout under `<survey>/<execution name>/` in the products bucket: `outputs/…` (the run's
//! outputs, copied with core's sync, so a retried publish copies only what is missing),
//! `manifest.cbor` (the composite, DAG-CBOR) with its parts `inventory.cbor`, `outputs.cbor`
//! and `provenance.json`, and `manifest.json` (the same for people). The composite covers the
//! upload's manifest, the outputs' manifest and the provenance, so its CID names the run.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use leadline_core::cids::cid_of_bytes;
use leadline_core::key::{Key, KeyError, Prefix};
use leadline_core::manifest::{Manifest, ManifestError};
use leadline_core::store::StoreError;
use leadline_core::sync::{sync, SyncOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::buckets::{Buckets, Place, PlaceError};
use crate::executions::{Event, Executions, ExecutionsError};
use crate::inventory::{self, InventoryError, Summary};

/// Where the job runner publishes a run's outputs, under the run's work prefix (the survey
/// template's `run.products`).
pub const OUTPUTS: &str = "products/";

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PublishInput {
    pub survey: String,
    pub work: String,
    pub inventory: Summary,
    #[serde(default)]
    pub processor: Value,
    #[serde(default)]
    pub products: Value,
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
pub fn fargate_tasks(history: &[Event]) -> Vec<TaskRef> {
    let mut tasks: Vec<TaskRef> = history
        .iter()
        .filter(|e| e.kind == "TaskSucceeded" && e.resource_type.as_deref() == Some("ecs"))
        .filter_map(|e| serde_json::from_str::<Value>(e.output.as_deref()?).ok())
        .filter_map(|output| {
            Some(TaskRef {
                cluster: output.get("ClusterArn")?.as_str()?.to_owned(),
                arn: output.get("TaskArn")?.as_str()?.to_owned(),
            })
        })
        .collect();
    tasks.sort();
    tasks.dedup();
    tasks
}

/// Tool versions the jobs reported: stdout metadata objects `{"tool": …, "version": …}` in
/// task results (the job contract's `metadata`).
pub fn tool_versions(history: &[Event]) -> BTreeMap<String, String> {
    history
        .iter()
        .filter(|e| e.kind == "TaskSucceeded")
        .filter_map(|e| serde_json::from_str::<Value>(e.output.as_deref()?).ok())
        .filter_map(|output| output.get("metadata")?.as_array().cloned())
        .flatten()
        .filter_map(|item| {
            Some((
                item.get("tool")?.as_str()?.to_owned(),
                item.get("version")?.as_str()?.to_owned(),
            ))
        })
        .collect()
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

        let report = sync(
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
        let images = self.images.digests(&fargate_tasks(&history)).await?;
        let provenance = json!({
            "survey": input.survey,
            "execution": input.execution,
            "state_machine": input.state_machine,
            "state_machine_version": execution.version_arn,
            "state_machine_alias": execution.alias_arn,
            "publisher_commit": crate::GIT_COMMIT,
            "images": images,
            "tools": tool_versions(&history),
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
            fargate_tasks(&history),
            [TaskRef {
                cluster: "c".into(),
                arn: "t1".into()
            }]
        );
        assert_eq!(
            tool_versions(&history),
            BTreeMap::from([("carisbatch".to_owned(), "12.1".to_owned())])
        );
    }
}
