//! Plan (DESIGN §2, step 3): which branches of the run apply, decided by core's predicates over
//! the inventory, with a reason each. A branch whose predicate does not hold is *skipped*.
//!
//! Predicates come from the function's configuration (the environment's choice, see
//! [`Predicates::with_overrides`]) and a survey's `leadline.toml` may override them per branch
//! (`parameters.predicates`). The products predicate sees `processor` (whether the processor
//! branch runs), so "products whenever the processor runs" can be said.

use std::collections::BTreeMap;

use leadline_core::predicate::{Predicate, PredicateError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::buckets::Buckets;
use crate::classify::{extension, Class};
use crate::inventory::{self, Entry, Inventory, InventoryError, Summary};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PlanInput {
    pub survey: String,
    pub inventory: Summary,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Where the processor's exports land when it runs (GeoTIFF and BAG): more grids.
    #[serde(default)]
    pub processor_exports: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub run: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorBranch {
    pub run: bool,
    pub reason: String,
    /// `carisbatch ImportToHIPS --input-format` of the raw files.
    pub input_format: String,
    /// Raw files relative to the upload, a wildcard when there are several.
    pub raw: String,
    /// Auxiliary navigation relative to the upload, a wildcard when there are several.
    pub auxiliary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    pub uri: String,
    pub name: String,
    pub stem: String,
}

/// `$.plan.Payload`, as the survey template reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub processor: ProcessorBranch,
    pub products: Branch,
    pub grids: Vec<Grid>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("predicate for branch {branch} ({source_of_it}): {error}")]
    Predicate {
        branch: String,
        source_of_it: &'static str,
        error: PredicateError,
    },
    #[error("{0}")]
    Config(String),
}

/// The branch predicates.
#[derive(Debug, Clone)]
pub struct Predicates {
    pub processor: Predicate,
    pub products: Predicate,
}

impl Default for Predicates {
    /// The processor when there is raw sonar; products when there are grids or the processor
    /// will make some.
    fn default() -> Self {
        let parse = |value: Value| Predicate::parse(&value).unwrap_or(Predicate::Const(false));
        Self {
            processor: parse(json!({"any_file": {"class": "raw"}})),
            products: parse(json!({"any": [
                {"any_file": {"class": "grid"}},
                {"field": "processor", "eq": true}
            ]})),
        }
    }
}

impl Predicates {
    /// These predicates with the branches `overrides` names replaced (`origin` says where the
    /// overrides come from, for errors).
    pub fn with_overrides(
        &self,
        overrides: &Map<String, Value>,
        origin: &'static str,
    ) -> Result<Self, PlanError> {
        let mut out = self.clone();
        for (branch, value) in overrides {
            let parsed = Predicate::parse(value).map_err(|error| PlanError::Predicate {
                branch: branch.clone(),
                source_of_it: origin,
                error,
            })?;
            match branch.as_str() {
                "processor" => out.processor = parsed,
                "products" => out.products = parsed,
                other => {
                    return Err(PlanError::Config(format!(
                        "predicates ({origin}): unknown branch `{other}`"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// The defaults with the environment's JSON (`{"processor": …, "products": …}`) applied.
    pub fn from_config(json: Option<&str>) -> Result<Self, PlanError> {
        let Some(json) = json else {
            return Ok(Self::default());
        };
        let value: Value = serde_json::from_str(json)
            .map_err(|e| PlanError::Config(format!("predicates configuration: {e}")))?;
        let Value::Object(map) = value else {
            return Err(PlanError::Config(
                "predicates configuration must be a JSON object of branch → predicate".into(),
            ));
        };
        Self::default().with_overrides(&map, "environment")
    }
}

/// The subject predicates see: the inventory's counts and its files.
pub fn subject(summary: &Summary, inventory: &Inventory) -> Value {
    let files: Vec<Value> = inventory
        .objects
        .iter()
        .map(|e| {
            json!({
                "name": e.path.rsplit('/').next().unwrap_or(&e.path),
                "path": e.path,
                "class": e.class,
                "size": e.size,
                "extension": extension(&e.path),
                "cid": e.cid,
            })
        })
        .collect();
    json!({
        "survey": summary.survey,
        "objects": summary.objects,
        "bytes": summary.bytes,
        "classes": summary.classes,
        "rejected": summary.rejected,
        "files": files,
    })
}

pub async fn handle(
    buckets: &dyn Buckets,
    configured: &Predicates,
    input: &PlanInput,
) -> Result<Plan, PlanError> {
    let inventory = inventory::read(buckets, &input.inventory).await?;
    let predicates = match input.parameters.get("predicates") {
        Some(Value::Object(overrides)) => configured.with_overrides(overrides, "leadline.toml")?,
        Some(_) => {
            return Err(PlanError::Config(
                "parameters.predicates must be a table of branch → predicate".into(),
            ))
        }
        None => configured.clone(),
    };
    Ok(decide(&predicates, input, &inventory))
}

/// The plan for an inventory already read.
pub fn decide(predicates: &Predicates, input: &PlanInput, inventory: &Inventory) -> Plan {
    let mut subject = subject(&input.inventory, inventory);
    let processor = predicates.processor.evaluate(&subject);
    let raw = wildcard(inventory, Class::Raw);
    let auxiliary = wildcard(inventory, Class::Auxiliary);
    let input_format = raw
        .as_ref()
        .and_then(|w| input_format(&w.extension))
        .unwrap_or_default();
    let mut processor_reason = processor.why.clone();
    if let Some(left_out) = raw.as_ref().and_then(|w| w.left_out.as_ref()) {
        processor_reason.push_str(&format!("; {left_out}"));
    }

    subject["processor"] = Value::Bool(processor.holds);
    let products = predicates.products.evaluate(&subject);
    let mut grids: Vec<Grid> = inventory
        .objects
        .iter()
        .filter(|e| e.class == Class::Grid)
        .map(|e| grid(format!("{}{}", input.inventory.upload, e.path)))
        .collect();
    if processor.holds {
        grids.extend(input.processor_exports.iter().cloned().map(grid));
    }
    let products = match (products.holds, grids.is_empty()) {
        (true, true) => Branch {
            run: false,
            reason: format!("{}, but there is no grid to process", products.why),
        },
        (holds, _) => Branch {
            run: holds,
            reason: products.why,
        },
    };
    if !products.run {
        grids.clear();
    }
    Plan {
        processor: ProcessorBranch {
            run: processor.holds,
            reason: processor_reason,
            input_format,
            raw: raw.map(|w| w.pattern).unwrap_or_default(),
            auxiliary: auxiliary.map(|w| w.pattern).unwrap_or_default(),
        },
        products,
        grids,
    }
}

fn grid(uri: String) -> Grid {
    let name = uri.rsplit('/').next().unwrap_or(&uri).to_owned();
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => name.clone(),
    };
    Grid { uri, name, stem }
}

/// `carisbatch ImportToHIPS --input-format` per raw extension.
fn input_format(extension: &str) -> Option<String> {
    let format = match extension {
        "all" => "KONGSBERG",
        "kmall" => "KONGSBERGKMALL",
        "gsf" => "GSF",
        "s7k" => "TELEDYNE_7K",
        _ => return None,
    };
    Some(format.to_owned())
}

struct Wildcard {
    pattern: String,
    extension: String,
    left_out: Option<String>,
}

/// One argument naming the files of `class`: the file itself, or `<folder>/*.<ext>` for the
/// largest group sharing a folder and extension (carisbatch expands it). Files outside that
/// group are named in `left_out`, never silently dropped.
fn wildcard(inventory: &Inventory, class: Class) -> Option<Wildcard> {
    let files: Vec<&Entry> = inventory
        .objects
        .iter()
        .filter(|e| e.class == class)
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<&Entry>> = BTreeMap::new();
    for file in &files {
        let folder = file
            .path
            .rsplit_once('/')
            .map(|(f, _)| f.to_owned())
            .unwrap_or_default();
        let ext = extension(&file.path).unwrap_or_default();
        groups.entry((folder, ext)).or_default().push(file);
    }
    let ((folder, ext), members) = groups.into_iter().max_by_key(|(_, m)| m.len())?;
    // The extension as written: carisbatch matches it on the host's file system.
    let written = members
        .first()
        .and_then(|m| m.path.rsplit_once('.'))
        .map_or("", |(_, e)| e);
    let pattern = match members.as_slice() {
        [one] => one.path.clone(),
        _ if folder.is_empty() => format!("*.{written}"),
        _ => format!("{folder}/*.{written}"),
    };
    let left_out = (members.len() < files.len()).then(|| {
        format!(
            "{} of {} {} files are in {pattern}; the others are not imported",
            members.len(),
            files.len(),
            class.as_str()
        )
    });
    Some(Wildcard {
        pattern,
        extension: ext,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ClassCount;

    fn inventory(paths: &[(&str, Class)]) -> (PlanInput, Inventory) {
        let objects: Vec<Entry> = paths
            .iter()
            .map(|(path, class)| Entry {
                path: (*path).to_owned(),
                cid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".into(),
                size: 10,
                class: *class,
            })
            .collect();
        let mut classes = BTreeMap::new();
        for e in &objects {
            let c: &mut ClassCount = classes.entry(e.class).or_default();
            c.files += 1;
            c.bytes += e.size;
        }
        let summary = Summary {
            survey: "H1".into(),
            upload: "s3://uploads/H1/".into(),
            inventory: "s3://work/H1/run/inventory.json".into(),
            cid: String::new(),
            manifest: String::new(),
            objects: objects.len() as u64,
            bytes: objects.len() as u64 * 10,
            classes,
            rejected: 0,
        };
        let inventory = Inventory {
            survey: "H1".into(),
            upload: "s3://uploads/H1/".into(),
            manifest: String::new(),
            objects,
            rejected: vec![],
        };
        let input = PlanInput {
            survey: "H1".into(),
            inventory: summary,
            parameters: Map::new(),
            processor_exports: vec![
                "s3://work/processor/H1/H1.tif".into(),
                "s3://work/processor/H1/H1.bag".into(),
            ],
        };
        (input, inventory)
    }

    #[test]
    fn raw_sonar_runs_both_branches_with_the_exports() {
        let (input, inv) = inventory(&[
            ("raw/0001.ALL", Class::Raw),
            ("raw/0002.ALL", Class::Raw),
            ("pos/DN1.000", Class::Auxiliary),
            ("vessel.hvf", Class::Vessel),
        ]);
        let plan = decide(&Predicates::default(), &input, &inv);
        assert!(plan.processor.run);
        assert_eq!(plan.processor.raw, "raw/*.ALL");
        assert_eq!(plan.processor.input_format, "KONGSBERG");
        assert_eq!(plan.processor.auxiliary, "pos/DN1.000");
        assert!(plan.products.run, "{}", plan.products.reason);
        let names: Vec<&str> = plan.grids.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["H1.tif", "H1.bag"]);
    }

    #[test]
    fn grids_only_skip_the_processor_with_a_reason() {
        let (input, inv) = inventory(&[("grids/a b.bag", Class::Grid), ("x.txt", Class::Other)]);
        let plan = decide(&Predicates::default(), &input, &inv);
        assert!(!plan.processor.run);
        assert_eq!(plan.processor.reason, "no file matches class like \"raw\"");
        assert!(plan.products.run);
        assert_eq!(
            plan.grids,
            [Grid {
                uri: "s3://uploads/H1/grids/a b.bag".into(),
                name: "a b.bag".into(),
                stem: "a b".into()
            }]
        );
    }

    #[test]
    fn nothing_to_do_and_survey_overrides() {
        let (input, inv) = inventory(&[("x.txt", Class::Other)]);
        let plan = decide(&Predicates::default(), &input, &inv);
        assert!(!plan.processor.run && !plan.products.run);
        assert!(plan.grids.is_empty());

        let (input, inv) = inventory(&[("raw/1.kmall", Class::Raw), ("g.tif", Class::Grid)]);
        let overrides = json!({"processor": false});
        let predicates = Predicates::default()
            .with_overrides(overrides.as_object().unwrap(), "leadline.toml")
            .unwrap();
        let plan = decide(&predicates, &input, &inv);
        assert!(!plan.processor.run);
        assert_eq!(plan.processor.reason, "false is false");
        assert_eq!(
            plan.grids.len(),
            1,
            "no processor exports when it is skipped"
        );
    }

    #[test]
    fn scattered_raw_files_are_reported() {
        let (input, inv) = inventory(&[
            ("a/1.all", Class::Raw),
            ("a/2.all", Class::Raw),
            ("b/3.gsf", Class::Raw),
        ]);
        let plan = decide(&Predicates::default(), &input, &inv);
        assert_eq!(plan.processor.raw, "a/*.all");
        assert!(plan.processor.reason.contains("2 of 3 raw files"));
    }

    #[test]
    fn bad_configuration_is_named() {
        assert!(Predicates::from_config(Some("{\"processor\": {\"nope\": 1}}")).is_err());
        assert!(Predicates::from_config(Some("[]")).is_err());
        assert!(Predicates::from_config(Some("{\"sonar\": true}")).is_err());
        assert!(Predicates::from_config(None).is_ok());
    }
}
