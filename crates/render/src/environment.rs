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
    /// Where the host's worker checkpoints work folders (its `--checkpoint`): `<this><survey>/`
    /// holds a survey's HIPS project and exports, which the products branch reads.
    pub checkpoint: String,
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

const NAME_RULE: &str = "1 to 80 letters, digits, '-' or '_'";
const BUCKET_RULE: &str = "an S3 bucket name: 3 to 63 lowercase letters, digits, '-' or '.'";

/// The 1-based line of `key` (dotted: `table.sub.leaf`) in a TOML text written one key per
/// line under `[table.sub]` headers, as environment files are.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.trim();
        } else if current == table
            && line
                .strip_prefix(leaf)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    // A key checked as a whole table (`survey`) points at its header.
    text.lines()
        .position(|l| l.trim() == format!("[{key}]"))
        .map(|i| i + 1)
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
        let text = std::fs::read_to_string(path).map_err(|error| RenderError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut environment: Environment =
            toml::from_str(&text).map_err(|error| RenderError::Environment {
                path: path.to_path_buf(),
                error: Box::new(error),
            })?;
        environment.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((key, rule)) = environment.problem() {
            return Err(RenderError::InvalidValue {
                path: path.to_path_buf(),
                line: line_of(&text, key),
                key,
                rule,
            });
        }
        Ok(environment)
    }

    /// The first value that breaks its rule. Names and ids are pasted into ARNs, S3 URIs and
    /// intrinsic-function literals, so they are held to AWS's own character sets.
    fn problem(&self) -> Option<(&'static str, &'static str)> {
        let name = |s: &str| {
            (1..=80).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let bucket = |s: &str| {
            (3..=63).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        };
        let id = |prefix: &str, s: &str| {
            s.strip_prefix(prefix)
                .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        };
        let ids =
            |prefix: &str, list: &[String]| !list.is_empty() && list.iter().all(|s| id(prefix, s));
        let checkpoint = self
            .processor
            .checkpoint
            .strip_prefix("s3://")
            .and_then(|rest| rest.strip_suffix('/'))
            .is_some_and(|rest| {
                let (b, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                bucket(b)
                    && prefix
                        .split('/')
                        .all(|segment| prefix.is_empty() || name(segment))
            });
        let survey = &self.survey;
        let survey_values = [
            &survey.resolution,
            &survey.iho_order,
            &survey.output_crs,
            &survey.vessel_file,
            &survey.vertical_reference,
            &survey.tide_measured,
            &survey.tide_zoning,
            &survey.filter_threshold,
        ];
        let checks: [(bool, &'static str, &'static str); 19] = [
            (
                self.account.len() == 12 && self.account.chars().all(|c| c.is_ascii_digit()),
                "account",
                "an AWS account id is 12 digits",
            ),
            (
                self.region.split('-').count() >= 3
                    && self.region.ends_with(|c: char| c.is_ascii_digit())
                    && self
                        .region
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "region",
                "a region looks like eu-west-2",
            ),
            (name(&self.name_prefix), "name_prefix", NAME_RULE),
            (
                bucket(&self.buckets.uploads),
                "buckets.uploads",
                BUCKET_RULE,
            ),
            (bucket(&self.buckets.work), "buckets.work", BUCKET_RULE),
            (
                bucket(&self.buckets.products),
                "buckets.products",
                BUCKET_RULE,
            ),
            (name(&self.fargate.cluster), "fargate.cluster", NAME_RULE),
            (
                ids("subnet-", &self.fargate.subnets),
                "fargate.subnets",
                "one or more subnet-<hex> ids",
            ),
            (
                ids("sg-", &self.fargate.security_groups),
                "fargate.security_groups",
                "one or more sg-<hex> ids",
            ),
            (
                name(&self.fargate.container),
                "fargate.container",
                NAME_RULE,
            ),
            (
                name(&self.fargate.task_definitions.qc),
                "fargate.task_definitions.qc",
                NAME_RULE,
            ),
            (
                name(&self.fargate.task_definitions.gdal),
                "fargate.task_definitions.gdal",
                NAME_RULE,
            ),
            (
                name(&self.processor.activity),
                "processor.activity",
                NAME_RULE,
            ),
            (
                id("i-", &self.processor.instance_id),
                "processor.instance_id",
                "an i-<hex> instance id",
            ),
            (
                name(&self.processor.host_tag),
                "processor.host_tag",
                NAME_RULE,
            ),
            (
                checkpoint,
                "processor.checkpoint",
                "an s3://<bucket>/<prefix>/ URI ending in '/'",
            ),
            (
                self.processor.heartbeat_seconds >= 1
                    && self.processor.heartbeat_seconds < self.processor.timeout_seconds,
                "processor.heartbeat_seconds",
                "at least 1 and less than processor.timeout_seconds",
            ),
            (
                self.processor.host_poll_seconds >= 1 && self.processor.host_max_polls >= 1,
                "processor.host_max_polls",
                "host_poll_seconds and host_max_polls are at least 1",
            ),
            (
                survey_values
                    .iter()
                    .all(|v| !v.is_empty() && !v.chars().any(char::is_control)),
                "survey",
                "survey defaults are non-empty, without control characters",
            ),
        ];
        checks
            .into_iter()
            .find(|(ok, _, _)| !ok)
            .map(|(_, key, rule)| (key, rule))
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
