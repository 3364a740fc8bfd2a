//! Attributes the AWS provider computes. Where the provider builds them from names and the
//! caller's account and region, they are built the same way here; the rest stay unknown, as in
//! a plan before apply.

use hcl::{Map, Value};

use super::Bindings;

const UNKNOWN: &str = "(known after apply: ";

/// The placeholder of a value known only after apply.
pub fn unknown(address: &str, attribute: &str) -> Value {
    Value::String(format!("{UNKNOWN}{address}.{attribute})"))
}

/// Whether `text` is, or was built from, a value known only after apply.
pub fn is_unknown(text: &str) -> bool {
    text.contains(UNKNOWN)
}

/// Fills in the computed attributes of one instance of `kind`.
pub(super) fn complete(
    data: bool,
    kind: &str,
    address: &str,
    attributes: &mut Map<String, Value>,
    bindings: &Bindings,
) {
    let (account, region) = (bindings.account.as_str(), bindings.region.as_str());
    let given = |name: &str| {
        attributes
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let derived: Vec<(&str, Option<String>)> = if data {
        match kind {
            "aws_caller_identity" => vec![
                ("account_id", Some(account.to_owned())),
                ("id", Some(account.to_owned())),
            ],
            "aws_region" => vec![
                ("name", Some(region.to_owned())),
                ("region", Some(region.to_owned())),
                ("id", Some(region.to_owned())),
            ],
            "aws_partition" => vec![("partition", Some("aws".to_owned()))],
            _ => Vec::new(),
        }
    } else {
        let arn =
            |service: &str, rest: String| format!("arn:aws:{service}:{region}:{account}:{rest}");
        match kind {
            "aws_lambda_function" => {
                let arn = given("function_name").map(|n| arn("lambda", format!("function:{n}")));
                let invoke = arn.as_ref().map(|a| {
                    format!("arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{a}/invocations")
                });
                vec![
                    ("id", given("function_name")),
                    ("arn", arn),
                    ("invoke_arn", invoke),
                ]
            }
            "aws_iam_role" => vec![
                ("id", given("name")),
                (
                    "arn",
                    given("name").map(|n| format!("arn:aws:iam::{account}:role/{n}")),
                ),
            ],
            "aws_iam_instance_profile" => vec![
                ("id", given("name")),
                (
                    "arn",
                    given("name").map(|n| format!("arn:aws:iam::{account}:instance-profile/{n}")),
                ),
            ],
            "aws_ecs_cluster" => {
                let arn = given("name").map(|n| arn("ecs", format!("cluster/{n}")));
                vec![("id", arn.clone()), ("arn", arn)]
            }
            // The revision is AWS's counter; only the family ARN is known before apply.
            "aws_ecs_task_definition" => vec![(
                "arn_without_revision",
                given("family").map(|f| arn("ecs", format!("task-definition/{f}"))),
            )],
            "aws_sfn_activity" => {
                let arn = given("name").map(|n| arn("states", format!("activity:{n}")));
                vec![("id", arn.clone()), ("arn", arn)]
            }
            "aws_sfn_state_machine" => {
                let arn = given("name").map(|n| arn("states", format!("stateMachine:{n}")));
                vec![("id", arn.clone()), ("arn", arn)]
            }
            "aws_s3_bucket" => vec![
                ("id", given("bucket")),
                ("arn", given("bucket").map(|b| format!("arn:aws:s3:::{b}"))),
            ],
            "aws_cloudwatch_log_group" => vec![
                ("id", given("name")),
                (
                    "arn",
                    given("name").map(|n| arn("logs", format!("log-group:{n}"))),
                ),
            ],
            "aws_cloudwatch_event_rule" => vec![
                ("id", given("name")),
                (
                    "arn",
                    given("name").map(|n| arn("events", format!("rule/{n}"))),
                ),
            ],
            "aws_ecr_repository" => vec![
                ("id", given("name")),
                (
                    "arn",
                    given("name").map(|n| arn("ecr", format!("repository/{n}"))),
                ),
                (
                    "repository_url",
                    given("name").map(|n| format!("{account}.dkr.ecr.{region}.amazonaws.com/{n}")),
                ),
            ],
            "aws_sqs_queue" => vec![("arn", given("name").map(|n| arn("sqs", n)))],
            _ => Vec::new(),
        }
    };
    for (name, value) in derived {
        if !attributes.contains_key(name) {
            let value = value.map_or_else(|| unknown(address, name), Value::String);
            attributes.insert(name.to_owned(), value);
        }
    }
    // Every resource has an id and most an ARN; unless derived above, AWS assigns them.
    for name in ["id", "arn"] {
        if !attributes.contains_key(name) {
            attributes.insert(name.to_owned(), unknown(address, name));
        }
    }
    let assigned = ASSIGNED_BY_AWS
        .iter()
        .filter(|(d, k, _)| *d == data && *k == kind);
    for (_, _, name) in assigned {
        if !attributes.contains_key(*name) {
            attributes.insert((*name).to_owned(), unknown(address, name));
        }
    }
}

/// Other computed attributes the configuration refers to that only exist after apply
/// (`true` marks data sources).
const ASSIGNED_BY_AWS: [(bool, &str, &str); 6] = [
    (false, "aws_sfn_state_machine", "state_machine_version_arn"),
    (false, "aws_kms_key", "key_id"),
    (false, "aws_vpc_endpoint", "prefix_list_id"),
    (false, "aws_apigatewayv2_api", "execution_arn"),
    (false, "aws_apigatewayv2_api", "api_endpoint"),
    // Not rendered here: no check reads a policy document data source.
    (true, "aws_iam_policy_document", "json"),
];
