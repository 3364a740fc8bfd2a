//! One environment's deployment against its rendered machine: what the machine uses must be
//! created by Terraform and allowed by the machine's role, and the role must allow nothing else.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use leadline_render::Project;

use crate::iam::{self, Grant};
use crate::machine::{References, HOST_TAG};
use crate::terraform::{is_unknown, Bindings, Deployment, Resource};
use crate::InfraError;

/// Log delivery and X-Ray have no resource-level permissions; AWS documents exactly these for
/// a state machine with logging and tracing on.
const LOG_DELIVERY: [&str; 8] = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
];
const TRACING: [&str; 4] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
];
/// `ecs:runTask.sync` learns that a task stopped through this rule, which Step Functions
/// manages in the account.
const ECS_SYNC_RULE: &str = "rule/StepFunctionsGetEventsForECSTaskRule";

/// One disagreement between the machine and the Terraform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// No `aws_sfn_state_machine` deploys the rendered file.
    MachineNotDeployed(String),
    /// The machine uses `what`, which no Terraform resource creates.
    NotCreated { kind: &'static str, what: String },
    /// The machine needs this grant and its role lacks it.
    NotAllowed(Grant),
    /// The role grants this and the machine does not need it.
    AllowedButUnused(Grant),
    /// The processor host's role lacks this grant its worker needs to work the machine's
    /// activity.
    WorkerNotAllowed(Grant),
    /// The processor host's role grants this Step Functions permission beyond the machine's
    /// activities.
    WorkerAllowedButUnused(Grant),
    /// The root's aws provider deploys to another region than the machine's ARNs name.
    Region { provider: String, machine: String },
    /// Something the check needs cannot be known from the configuration.
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MachineNotDeployed(file) => {
                write!(f, "no aws_sfn_state_machine deploys {file}")
            }
            Problem::NotCreated { kind, what } => {
                write!(
                    f,
                    "the machine uses the {kind} {what}, which Terraform does not create"
                )
            }
            Problem::NotAllowed(grant) => {
                write!(
                    f,
                    "the machine needs {grant}, which its role does not allow"
                )
            }
            Problem::AllowedButUnused(grant) => {
                write!(
                    f,
                    "the machine's role allows {grant}, which the machine does not use"
                )
            }
            Problem::WorkerNotAllowed(grant) => write!(
                f,
                "the processor host's worker needs {grant}, which the host's role does not allow"
            ),
            Problem::WorkerAllowedButUnused(grant) => write!(
                f,
                "the processor host's role allows {grant}, which is not for the machine's activity"
            ),
            Problem::Region { provider, machine } => write!(
                f,
                "the aws provider deploys to {provider}, but the machine's ARNs name {machine}"
            ),
            Problem::Unreadable(why) => write!(f, "cannot check: {why}"),
        }
    }
}

/// What a check found; empty when Terraform and the machine agree.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: BTreeSet<Problem>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

/// Checks `terraform/envs/<env>` against `state-machines/<env>/survey.asl.json` in the
/// repository at `root`, evaluated in the account and region of `environments/<env>.toml`.
pub fn check_environment(root: &Path, env: &str) -> Result<Report, InfraError> {
    let environment = Project::new(root).environment(env)?;
    let bindings = Bindings {
        account: environment.account.clone(),
        region: environment.region.clone(),
    };
    let machine_path = root
        .join("state-machines")
        .join(env)
        .join("survey.asl.json");
    let text = std::fs::read_to_string(&machine_path).map_err(InfraError::io(&machine_path))?;
    let definition = serde_json::from_str(&text).map_err(|source| InfraError::Json {
        path: machine_path.clone(),
        source,
    })?;
    let deployment = Deployment::evaluate(&root.join("terraform/envs").join(env), &bindings)?;
    Ok(check(
        &deployment,
        &bindings,
        &machine_path.display().to_string(),
        &text,
        &References::of(&definition),
    ))
}

struct Checker<'a> {
    deployment: &'a Deployment,
    report: Report,
}

impl Checker<'_> {
    fn unreadable(&mut self, why: String) {
        self.report.problems.insert(Problem::Unreadable(why));
    }

    /// The known string values of `attribute` over every instance of `kind`.
    fn created(&mut self, kind: &str, attribute: &str) -> BTreeSet<String> {
        let mut values = BTreeSet::new();
        for resource in self.deployment.resources(kind) {
            match resource.string(attribute) {
                Ok(value) if !is_unknown(value) => {
                    values.insert(value.to_owned());
                }
                Ok(value) => {
                    self.unreadable(format!("{}.{attribute} is {value}", resource.address))
                }
                Err(why) => self.unreadable(why),
            }
        }
        values
    }

    fn require(&mut self, kind: &'static str, used: &BTreeSet<String>, created: &BTreeSet<String>) {
        for what in used.difference(created) {
            self.report.problems.insert(Problem::NotCreated {
                kind,
                what: what.clone(),
            });
        }
    }
}

/// The check itself, on an evaluated deployment and a parsed machine (`text` is the file as
/// Terraform would read it, `file` its name for messages).
pub fn check(
    deployment: &Deployment,
    bindings: &Bindings,
    file: &str,
    text: &str,
    refs: &References,
) -> Report {
    let mut checker = Checker {
        deployment,
        report: Report::default(),
    };
    for what in &refs.unreadable {
        checker.unreadable(format!("the machine has {what}"));
    }
    match deployment.provider("aws").map(|p| p.string("region")) {
        Some(Ok(region)) if region == bindings.region => {}
        Some(Ok(region)) => {
            checker.report.problems.insert(Problem::Region {
                provider: region.to_owned(),
                machine: bindings.region.clone(),
            });
        }
        Some(Err(why)) => checker.unreadable(why),
        None => checker.unreadable("the root module configures no aws provider".to_owned()),
    }

    let functions = checker.created("aws_lambda_function", "arn");
    checker.require("Lambda function", &refs.functions, &functions);
    let clusters = checker.created("aws_ecs_cluster", "arn");
    let used_clusters = refs.jobs.iter().map(|(c, _)| c.clone()).collect();
    checker.require("ECS cluster", &used_clusters, &clusters);
    let families = checker.created("aws_ecs_task_definition", "arn_without_revision");
    let used_families = refs.jobs.iter().map(|(_, t)| t.clone()).collect();
    checker.require("task definition", &used_families, &families);
    let activities = checker.created("aws_sfn_activity", "id");
    checker.require("activity", &refs.activities, &activities);
    let buckets = checker.created("aws_s3_bucket", "bucket");
    checker.require("bucket", &refs.buckets, &buckets);
    let hosts = host_tags(&mut checker);
    checker.require("host tagged leadline:role", &refs.host_tags, &hosts);

    let machines: Vec<Resource> = deployment
        .resources("aws_sfn_state_machine")
        .into_iter()
        .filter(|m| m.string("definition").is_ok_and(|d| d == text))
        .collect();
    let [machine] = machines.as_slice() else {
        checker
            .report
            .problems
            .insert(Problem::MachineNotDeployed(file.to_owned()));
        return checker.report;
    };
    check_activity_workers(&mut checker, refs);
    let role_arn = match machine.string("role_arn") {
        Ok(arn) => arn.to_owned(),
        Err(why) => {
            checker.unreadable(why);
            return checker.report;
        }
    };
    let referrer = format!("{}.role_arn", machine.address);
    let Some(role) = find_role(&mut checker, "arn", &role_arn, &referrer) else {
        return checker.report;
    };
    let granted = role_grants(&mut checker, &role);
    let expected = expected_grants(&mut checker, machine, bindings, refs);
    for grant in expected.difference(&granted) {
        checker
            .report
            .problems
            .insert(Problem::NotAllowed(grant.clone()));
    }
    for grant in granted.difference(&expected) {
        checker
            .report
            .problems
            .insert(Problem::AllowedButUnused(grant.clone()));
    }
    checker.report
}

/// Activity tasks need no permission on the machine's role: Step Functions hands them to the
/// worker on the tagged host, whose role must poll exactly the machine's activities.
fn check_activity_workers(checker: &mut Checker, refs: &References) {
    if refs.activities.is_empty() {
        return;
    }
    const WORKER: [&str; 4] = [
        "states:GetActivityTask",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
    ];
    let expected: BTreeSet<Grant> = refs
        .activities
        .iter()
        .flat_map(|activity| WORKER.iter().map(|a| Grant::new(a, activity.clone())))
        .collect();
    for tag in &refs.host_tags {
        // A missing host is already reported as not created.
        let Some(granted) = host_role_grants(checker, tag) else {
            continue;
        };
        let granted: BTreeSet<Grant> = granted
            .into_iter()
            .filter(|g| g.action.starts_with("states:"))
            .collect();
        for grant in expected.difference(&granted) {
            checker
                .report
                .problems
                .insert(Problem::WorkerNotAllowed(grant.clone()));
        }
        for grant in granted.difference(&expected) {
            checker
                .report
                .problems
                .insert(Problem::WorkerAllowedButUnused(grant.clone()));
        }
    }
}

/// The `leadline:role` tag of an `aws_instance`, if it has one.
fn host_tag(instance: &Resource) -> Result<Option<&str>, String> {
    match instance.get("tags")? {
        hcl::Value::Object(tags) => Ok(tags.get(HOST_TAG).and_then(hcl::Value::as_str)),
        _ => Ok(None),
    }
}

fn host_tags(checker: &mut Checker) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for instance in checker.deployment.resources("aws_instance") {
        match host_tag(&instance) {
            Ok(Some(tag)) => {
                tags.insert(tag.to_owned());
            }
            Ok(None) => {}
            Err(why) => checker.unreadable(why),
        }
    }
    tags
}

/// The `aws_iam_role` whose `attribute` is `value`, which `referrer` names.
fn find_role(
    checker: &mut Checker,
    attribute: &str,
    value: &str,
    referrer: &str,
) -> Option<Resource> {
    let role = checker
        .deployment
        .resources("aws_iam_role")
        .into_iter()
        .find(|r| r.string(attribute) == Ok(value));
    if role.is_none() {
        checker.unreadable(format!("{referrer} is {value}, which no aws_iam_role has"));
    }
    role
}

/// Every grant of `role`: its inline policies. A managed policy attached to it is a grant this
/// check cannot see, so it is reported.
fn role_grants(checker: &mut Checker, role: &Resource) -> BTreeSet<Grant> {
    let names: Vec<&str> = ["name", "id"]
        .iter()
        .filter_map(|a| role.string(a).ok())
        .collect();
    let belongs = |resource: &Resource, checker: &mut Checker| match resource.string("role") {
        Ok(r) => names.contains(&r),
        Err(why) => {
            checker.unreadable(why);
            false
        }
    };
    for attachment in checker
        .deployment
        .resources("aws_iam_role_policy_attachment")
    {
        if belongs(&attachment, checker) {
            checker.unreadable(format!(
                "{} attaches a managed policy to {}: its grants cannot be checked",
                attachment.address, role.address
            ));
        }
    }
    for attribute in ["managed_policy_arns", "inline_policy"] {
        if role.get(attribute).is_ok() {
            checker.unreadable(format!(
                "{}.{attribute}: the role's policies must be aws_iam_role_policy resources",
                role.address
            ));
        }
    }
    let mut granted = BTreeSet::new();
    for policy in checker.deployment.resources("aws_iam_role_policy") {
        if !belongs(&policy, checker) {
            continue;
        }
        match policy.string("policy").map(iam::grants) {
            Ok(Ok(grants)) => granted.extend(grants),
            Ok(Err(why)) => checker.unreadable(format!("{}.policy: {why}", policy.address)),
            Err(why) => checker.unreadable(why),
        }
    }
    granted
}

/// The grants of the role of the host tagged `tag` (through its instance profile).
fn host_role_grants(checker: &mut Checker, tag: &str) -> Option<BTreeSet<Grant>> {
    let host = checker
        .deployment
        .resources("aws_instance")
        .into_iter()
        .find(|i| host_tag(i) == Ok(Some(tag)))?;
    let profile_name = match host.string("iam_instance_profile") {
        Ok(name) => name.to_owned(),
        Err(why) => {
            checker.unreadable(why);
            return None;
        }
    };
    let profile = checker
        .deployment
        .resources("aws_iam_instance_profile")
        .into_iter()
        .find(|p| p.string("name") == Ok(&profile_name));
    let Some(profile) = profile else {
        checker.unreadable(format!(
            "{}.iam_instance_profile is {profile_name}, which no aws_iam_instance_profile has",
            host.address
        ));
        return None;
    };
    let role_name = match profile.string("role") {
        Ok(name) => name.to_owned(),
        Err(why) => {
            checker.unreadable(why);
            return None;
        }
    };
    let role = find_role(
        checker,
        "name",
        &role_name,
        &format!("{}.role", profile.address),
    )?;
    Some(role_grants(checker, &role))
}

/// What the machine's calls need, per AWS's documented policies for each integration.
fn expected_grants(
    checker: &mut Checker,
    machine: &Resource,
    bindings: &Bindings,
    refs: &References,
) -> BTreeSet<Grant> {
    let (region, account) = (&bindings.region, &bindings.account);
    let mut expected = BTreeSet::new();
    for function in &refs.functions {
        expected.insert(Grant::new("lambda:InvokeFunction", function.clone()));
        expected.insert(Grant::new("lambda:InvokeFunction", format!("{function}:*")));
    }
    let task_definitions = checker.deployment.resources("aws_ecs_task_definition");
    for (cluster, family) in &refs.jobs {
        for resource in [family.clone(), format!("{family}:*")] {
            expected.insert(Grant::new("ecs:RunTask", resource).when(
                "ArnEquals",
                "ecs:cluster",
                cluster.clone(),
            ));
        }
        if refs.jobs_awaited {
            let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
            let tasks = format!("arn:aws:ecs:{region}:{account}:task/{cluster_name}/*");
            expected.insert(Grant::new("ecs:StopTask", tasks.clone()));
            expected.insert(Grant::new("ecs:DescribeTasks", tasks));
            let rule = format!("arn:aws:events:{region}:{account}:{ECS_SYNC_RULE}");
            for action in ["events:PutTargets", "events:PutRule", "events:DescribeRule"] {
                expected.insert(Grant::new(action, rule.clone()));
            }
        }
        let definition = task_definitions
            .iter()
            .find(|t| t.string("arn_without_revision") == Ok(family));
        for attribute in ["task_role_arn", "execution_role_arn"] {
            match definition.map(|t| t.string(attribute)) {
                Some(Ok(role)) => {
                    expected.insert(Grant::new("iam:PassRole", role).when(
                        "StringEquals",
                        "iam:PassedToService",
                        "ecs-tasks.amazonaws.com",
                    ));
                }
                Some(Err(why)) => checker.unreadable(why),
                // Reported as not created already.
                None => {}
            }
        }
    }
    let host_actions = [
        ("startInstances", "ec2:StartInstances"),
        ("stopInstances", "ec2:StopInstances"),
    ];
    for (sdk, action) in host_actions {
        if !refs.ec2_actions.contains(sdk) {
            continue;
        }
        let instances = format!("arn:aws:ec2:{region}:{account}:instance/*");
        if refs.host_tags.is_empty() {
            checker.unreadable(format!(
                "the machine calls ec2:{sdk} without a {HOST_TAG} tag filter naming its host"
            ));
        }
        for tag in &refs.host_tags {
            expected.insert(Grant::new(action, instances.clone()).when(
                "StringEquals",
                &format!("aws:ResourceTag/{HOST_TAG}"),
                tag.clone(),
            ));
        }
    }
    for sdk in &refs.ec2_actions {
        match sdk.as_str() {
            "startInstances" | "stopInstances" => {}
            // DescribeInstances has no resource-level permissions.
            "describeInstances" => {
                expected.insert(Grant::new("ec2:DescribeInstances", "*"));
            }
            other => checker.unreadable(format!(
                "the machine calls ec2:{other}, which this check does not know"
            )),
        }
    }
    let logging = block_field(machine, "logging_configuration", "level");
    if logging
        .as_ref()
        .and_then(hcl::Value::as_str)
        .is_some_and(|level| level != "OFF")
    {
        expected.extend(LOG_DELIVERY.iter().map(|a| Grant::new(a, "*")));
    }
    let tracing = block_field(machine, "tracing_configuration", "enabled");
    if tracing.as_ref().and_then(hcl::Value::as_bool) == Some(true) {
        expected.extend(TRACING.iter().map(|a| Grant::new(a, "*")));
    }
    expected
}

/// `field` of the first `block` of `resource` (`logging_configuration { level = … }`).
fn block_field(resource: &Resource, block: &str, field: &str) -> Option<hcl::Value> {
    match resource.get(block).ok()? {
        hcl::Value::Array(blocks) => match blocks.first()? {
            hcl::Value::Object(fields) => fields.get(field).cloned(),
            _ => None,
        },
        _ => None,
    }
}
