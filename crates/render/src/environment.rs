//! One deployment target (`environments/<name>.toml`): where the pipeline's resources live and
//! the survey defaults. Every ARN a state machine names is derived here, once, so templates and
//! tests agree on what an environment defines.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::RenderError;

/// The Lambda functions the state machines invoke (issue #5 names the binaries).
pub const FUNCTIONS: [&str; 3] = ["inventory", "plan", "publish"];

/// An environment file, exactly as written; unknown keys are errors so a typo never renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// From the file name, never from the file: one name per environment.
    #[serde(skip_deserializing)]
    pub name: String,
    pub account: String,
    pub region: String,
    /// Prefix of every named resource (`<prefix>-inventory`, `<prefix>-processor`, …).
    pub name_prefix: String,
    pub buckets: Buckets,
    pub fargate: Fargate,
    pub processor: Processor,
    pub products: Products,
    /// Survey parameters used when the execution input does not set them.
    pub survey: SurveyDefaults,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buckets {
    pub uploads: String,
    pub work: String,
    pub products: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fargate {
    pub cluster: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// The container whose command the job steps override.
    pub container: String,
    /// Task-definition family per job image (`runner` runs QC, `gdal` the product scripts).
    pub task_definitions: TaskDefinitions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDefinitions {
    pub qc: String,
    pub gdal: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Processor {
    /// Activity name the processor host's worker polls.
    pub activity: String,
    pub instance_id: String,
    /// Value of the host's `leadline:role` tag; DescribeHost only sees an instance carrying it.
    pub host_tag: String,
    pub heartbeat_seconds: u32,
    pub timeout_seconds: u32,
    pub host_poll_seconds: u32,
    pub host_max_polls: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Products {
    pub max_concurrency: u32,
}

/// Processor options, as the `carisbatch` command line takes them (strings on purpose: they
/// are pasted into commands, units included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefaults {
    pub resolution: String,
    pub iho_order: String,
    pub output_crs: String,
    pub vessel_file: String,
    pub vertical_reference: String,
    pub tide_measured: String,
    pub tide_zoning: String,
    pub filter_threshold: String,
}

/// The resources an environment defines, derived from its file: what a rendered machine may
/// name and nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resources {
    /// Function name → function ARN.
    pub functions: BTreeMap<String, String>,
    pub activity: String,
    pub cluster: String,
    /// Job image → task-definition ARN (no revision: the family's latest active one).
    pub task_definitions: BTreeMap<String, String>,
    pub instance: String,
}

impl Environment {
    /// Reads `path`; the environment's name is the file stem.
    pub fn load(path: &Path) -> Result<Self, RenderError> {
        let text = std::fs::read_to_string(path).map_err(|source| RenderError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut environment: Environment =
            toml::from_str(&text).map_err(|source| RenderError::Environment {
                path: path.to_path_buf(),
                source: Box::new(source),
            })?;
        environment.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(environment)
    }

    pub fn resources(&self) -> Resources {
        let arn = |service: &str, rest: &str| {
            format!("arn:aws:{service}:{}:{}:{rest}", self.region, self.account)
        };
        Resources {
            functions: FUNCTIONS
                .iter()
                .map(|f| {
                    let name = format!("{}-{f}", self.name_prefix);
                    ((*f).to_owned(), arn("lambda", &format!("function:{name}")))
                })
                .collect(),
            activity: arn("states", &format!("activity:{}", self.processor.activity)),
            cluster: arn("ecs", &format!("cluster/{}", self.fargate.cluster)),
            task_definitions: [
                ("qc", &self.fargate.task_definitions.qc),
                ("gdal", &self.fargate.task_definitions.gdal),
            ]
            .into_iter()
            .map(|(job, family)| {
                (
                    job.to_owned(),
                    arn("ecs", &format!("task-definition/{family}")),
                )
            })
            .collect(),
            instance: self.processor.instance_id.clone(),
        }
    }
}
