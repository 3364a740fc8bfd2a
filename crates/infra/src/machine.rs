//! What a rendered state machine uses in AWS, read from its Task states.

use std::collections::BTreeSet;

use serde_json::Value;

/// The AWS resources a machine definition refers to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    /// Lambda function ARNs it invokes.
    pub functions: BTreeSet<String>,
    /// (cluster ARN, task-definition ARN) of every `ecs:runTask`.
    pub jobs: BTreeSet<(String, String)>,
    /// Whether a job is awaited (`ecs:runTask.sync`), which needs the ECS event rule.
    pub jobs_awaited: bool,
    pub activities: BTreeSet<String>,
    /// Bucket names in `s3://` URIs and `bucket` fields.
    pub buckets: BTreeSet<String>,
    /// EC2 SDK actions it calls (`startInstances`, …).
    pub ec2_actions: BTreeSet<String>,
    /// Values of the `leadline:role` tag it filters the host by.
    pub host_tags: BTreeSet<String>,
    /// Task resources, or parameters, this reader cannot attribute (dynamic names, services it
    /// does not know): each is a problem, because what it needs cannot be checked.
    pub unreadable: Vec<String>,
}

pub const HOST_TAG: &str = "leadline:role";

impl References {
    pub fn of(definition: &Value) -> Self {
        let mut refs = References::default();
        refs.walk(definition, "");
        refs
    }

    fn walk(&mut self, value: &Value, pointer: &str) {
        match value {
            Value::Object(map) => {
                if map.get("Type").and_then(Value::as_str) == Some("Task") {
                    self.task(map, pointer);
                }
                if let Some(Value::String(bucket)) = map.get("bucket") {
                    self.buckets.insert(bucket.clone());
                }
                for (key, item) in map {
                    self.walk(item, &format!("{pointer}/{key}"));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &format!("{pointer}/{i}"));
                }
            }
            Value::String(text) => self.buckets.extend(s3_buckets(text)),
            _ => {}
        }
    }

    fn task(&mut self, state: &serde_json::Map<String, Value>, pointer: &str) {
        let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
        let parameters = state.get("Parameters");
        let literal = |name: &str| {
            parameters
                .and_then(|p| p.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let unreadable = |what: String| format!("{what} at {pointer}");
        if resource.starts_with("arn:aws:states:::lambda:invoke") {
            match literal("FunctionName") {
                Some(function) => {
                    self.functions.insert(function);
                }
                None => self.unreadable.push(unreadable(
                    "a Lambda task without a literal FunctionName".into(),
                )),
            }
        } else if resource.starts_with("arn:aws:lambda:") {
            self.functions.insert(resource.to_owned());
        } else if let Some(mode) = resource.strip_prefix("arn:aws:states:::ecs:runTask") {
            match (literal("Cluster"), literal("TaskDefinition")) {
                (Some(cluster), Some(task_definition)) => {
                    self.jobs.insert((cluster, task_definition));
                    self.jobs_awaited |= mode == ".sync";
                }
                _ => self.unreadable.push(unreadable(
                    "an ECS task without a literal Cluster and TaskDefinition".into(),
                )),
            }
        } else if let Some(action) = resource.strip_prefix("arn:aws:states:::aws-sdk:ec2:") {
            self.ec2_actions.insert(action.to_owned());
            self.host_tags.extend(tag_filters(parameters));
        } else if resource.starts_with("arn:aws:states:") && resource.contains(":activity:") {
            self.activities.insert(resource.to_owned());
        } else {
            self.unreadable
                .push(unreadable(format!("the integration {resource}")));
        }
    }
}

/// Values of `tag:leadline:role` filters in DescribeInstances-style parameters.
fn tag_filters(parameters: Option<&Value>) -> Vec<String> {
    let filters = parameters
        .and_then(|p| p.get("Filters"))
        .and_then(Value::as_array);
    filters
        .into_iter()
        .flatten()
        .filter(|f| f.get("Name").and_then(Value::as_str) == Some(&format!("tag:{HOST_TAG}")))
        .filter_map(|f| f.get("Values").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Bucket names of every `s3://bucket/…` in `text` (also inside `States.Format` templates).
fn s3_buckets(text: &str) -> Vec<String> {
    text.match_indices("s3://")
        .filter_map(|(at, _)| {
            let rest = &text[at + 5..];
            let end = rest
                .find(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                })
                .unwrap_or(rest.len());
            let name = &rest[..end];
            (name.len() >= 3).then(|| name.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tasks_in_branches_and_maps_are_all_read() {
        let definition = json!({"States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "arn:f", "work.$": "States.Format('s3://w-bucket/{}', $.x)"}},
            "P": {"Type": "Parallel", "Branches": [{"States": {
                "M": {"Type": "Map", "ItemProcessor": {"States": {
                    "J": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                          "Parameters": {"Cluster": "c", "TaskDefinition": "t"}}}}}}}]},
            "H": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances",
                  "Parameters": {"Filters": [{"Name": "tag:leadline:role", "Values": ["host"]}]}},
            "W": {"Type": "Task", "Resource": "arn:aws:states:r:1:activity:act"},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "arn:g", "bucket": "products"}}
        }});
        let refs = References::of(&definition);
        assert_eq!(
            refs.functions,
            ["arn:f".to_owned(), "arn:g".to_owned()].into()
        );
        assert_eq!(refs.jobs, [("c".to_owned(), "t".to_owned())].into());
        assert!(refs.jobs_awaited);
        assert_eq!(refs.host_tags, ["host".to_owned()].into());
        assert_eq!(refs.ec2_actions, ["describeInstances".to_owned()].into());
        assert_eq!(
            refs.activities,
            ["arn:aws:states:r:1:activity:act".to_owned()].into()
        );
        assert_eq!(
            refs.buckets,
            ["products".to_owned(), "w-bucket".to_owned()].into()
        );
        assert!(refs.unreadable.is_empty());
    }

    #[test]
    fn a_dynamic_function_or_unknown_service_is_unreadable() {
        let definition = json!({"States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName.$": "$.f"}},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish"}
        }});
        let refs = References::of(&definition);
        assert_eq!(refs.unreadable.len(), 2, "{:?}", refs.unreadable);
        assert!(
            refs.unreadable[0].contains("/States/A"),
            "{:?}",
            refs.unreadable
        );
        assert!(
            refs.unreadable[1].contains("sns:publish"),
            "{:?}",
            refs.unreadable
        );
    }
}
