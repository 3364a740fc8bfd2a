//! The real Terraform against the real rendered machines, and the same check failing when the
//! Terraform drifts from them.

use std::path::{Path, PathBuf};

use leadline_infra::check::{check_environment, Problem};
use leadline_infra::iam::Grant;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assert_agrees(env: &str) {
    let report = check_environment(&repository(), env).unwrap();
    assert!(
        report.problems.is_empty(),
        "terraform/envs/{env} and state-machines/{env} disagree:\n{report}"
    );
}

#[test]
fn dev_terraform_creates_and_allows_exactly_what_the_dev_machine_uses() {
    assert_agrees("dev");
}

#[test]
fn prod_terraform_creates_and_allows_exactly_what_the_prod_machine_uses() {
    assert_agrees("prod");
}

/// A copy of what the check reads (Terraform, machines, environments), to edit.
struct Copy {
    dir: tempfile::TempDir,
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != ".terraform" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Copy {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for part in ["terraform", "state-machines", "environments"] {
            copy_tree(&repository().join(part), &dir.path().join(part));
        }
        Copy { dir }
    }

    /// Replaces `from` (which must occur exactly once) by `to` in `file`.
    fn edit(&self, file: &str, from: &str, to: &str) -> &Self {
        let path = self.dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{from:?} in {file}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        self
    }

    fn problems(&self) -> Vec<Problem> {
        check_environment(self.dir.path(), "dev")
            .unwrap()
            .problems
            .into_iter()
            .collect()
    }
}

const PIPELINE: &str = "terraform/modules/pipeline/main.tf";
const DEPLOYMENT: &str = "terraform/modules/deployment/main.tf";
const DEV: &str = "arn:aws:lambda:eu-west-2:111111111111:function:leadline-dev";

#[test]
fn an_unchanged_copy_agrees() {
    assert_eq!(Copy::new().problems(), []);
}

#[test]
fn a_function_the_machine_invokes_but_the_role_does_not_allow_is_reported() {
    let copy = Copy::new();
    copy.edit(
        DEPLOYMENT,
        r#"["inventory", "plan", "publish"]"#,
        r#"["inventory", "plan"]"#,
    );
    assert_eq!(
        copy.problems(),
        [
            Problem::NotAllowed(Grant::new(
                "lambda:InvokeFunction",
                format!("{DEV}-publish")
            )),
            Problem::NotAllowed(Grant::new(
                "lambda:InvokeFunction",
                format!("{DEV}-publish:*")
            )),
        ]
    );
}

#[test]
fn a_function_the_role_allows_but_the_machine_never_invokes_is_reported() {
    let copy = Copy::new();
    copy.edit(
        DEPLOYMENT,
        r#"["inventory", "plan", "publish"]"#,
        r#"["inventory", "plan", "publish", "api"]"#,
    );
    assert_eq!(
        copy.problems(),
        [
            Problem::AllowedButUnused(Grant::new("lambda:InvokeFunction", format!("{DEV}-api"))),
            Problem::AllowedButUnused(Grant::new("lambda:InvokeFunction", format!("{DEV}-api:*"))),
        ]
    );
}

#[test]
fn a_removed_action_is_reported_as_not_allowed() {
    let copy = Copy::new();
    copy.edit(
        PIPELINE,
        r#"["ec2:StartInstances", "ec2:StopInstances"]"#,
        r#"["ec2:StartInstances"]"#,
    );
    assert_eq!(
        copy.problems(),
        [Problem::NotAllowed(
            Grant::new(
                "ec2:StopInstances",
                "arn:aws:ec2:eu-west-2:111111111111:instance/*"
            )
            .when(
                "StringEquals",
                "aws:ResourceTag/leadline:role",
                "leadline-dev-processor"
            )
        )]
    );
}

#[test]
fn an_extra_statement_is_reported_as_unused() {
    let copy = Copy::new();
    copy.edit(
        PIPELINE,
        "    Statement = [\n      {\n        Sid      = \"InvokeTheFunctions\"",
        "    Statement = [\n      { Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = [\"*\"] },\n      {\n        Sid      = \"InvokeTheFunctions\"",
    );
    assert_eq!(
        copy.problems(),
        [Problem::AllowedButUnused(Grant::new("s3:GetObject", "*"))]
    );
}

#[test]
fn a_host_start_without_the_tag_condition_is_too_broad() {
    let copy = Copy::new();
    copy.edit(
        PIPELINE,
        "        Condition = { StringEquals = { \"aws:ResourceTag/leadline:role\" = var.host_tag } }\n",
        "",
    );
    let problems = copy.problems();
    let instances = "arn:aws:ec2:eu-west-2:111111111111:instance/*";
    assert!(
        problems.contains(&Problem::AllowedButUnused(Grant::new(
            "ec2:StartInstances",
            instances
        ))),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 4, "{problems:?}");
}

#[test]
fn a_managed_policy_on_the_role_is_reported() {
    let copy = Copy::new();
    let attach = "\nresource \"aws_iam_role_policy_attachment\" \"extra\" {\n  role       = aws_iam_role.state_machine.name\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}\n";
    let path = copy.dir.path().join(PIPELINE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text + attach).unwrap();
    let problems = copy.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].to_string().contains("managed policy"),
        "{}",
        problems[0]
    );
}

#[test]
fn resources_the_machine_uses_but_terraform_does_not_create_are_reported() {
    let copy = Copy::new();
    copy.edit(
        PIPELINE,
        "name = \"${var.name_prefix}-processor\"",
        "name = \"${var.name_prefix}-carisbatch\"",
    );
    copy.edit(
        "terraform/modules/storage/main.tf",
        "toset([\"uploads\", \"work\", \"products\"])",
        "toset([\"uploads\", \"work\", \"outputs\"])",
    );
    copy.edit(
        "terraform/modules/processor_host/main.tf",
        "\"leadline:role\" = var.host_tag",
        "\"leadline:role\" = \"other\"",
    );
    let problems: Vec<String> = copy.problems().iter().map(ToString::to_string).collect();
    for expected in [
        "activity arn:aws:states:eu-west-2:111111111111:activity:leadline-dev-processor, which Terraform does not create",
        "bucket leadline-dev-products, which Terraform does not create",
        "host tagged leadline:role leadline-dev-processor, which Terraform does not create",
    ] {
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected}\n{problems:#?}");
    }
}

#[test]
fn a_machine_terraform_does_not_deploy_is_reported() {
    let copy = Copy::new();
    copy.edit(
        "terraform/envs/dev/main.tf",
        "state-machines/dev/survey.asl.json",
        "state-machines/prod/survey.asl.json",
    );
    let problems = copy.problems();
    assert!(
        matches!(problems.as_slice(), [Problem::MachineNotDeployed(_)]),
        "{problems:?}"
    );
}

#[test]
fn a_provider_in_another_region_than_the_machine_is_reported() {
    let copy = Copy::new();
    copy.edit(
        "terraform/envs/dev/main.tf",
        "default     = \"eu-west-2\"",
        "default     = \"eu-west-1\"",
    );
    assert_eq!(
        copy.problems(),
        [Problem::Region {
            provider: "eu-west-1".to_owned(),
            machine: "eu-west-2".to_owned()
        }]
    );
}

#[test]
fn a_host_role_polling_any_activity_is_reported() {
    let copy = Copy::new();
    copy.edit(
        "terraform/modules/processor_host/main.tf",
        "\"states:SendTaskHeartbeat\"]\n        Resource = [var.activity_arn]",
        "\"states:SendTaskHeartbeat\"]\n        Resource = [\"*\"]",
    );
    let activity = "arn:aws:states:eu-west-2:111111111111:activity:leadline-dev-processor";
    let problems = copy.problems();
    assert!(
        problems.contains(&Problem::WorkerNotAllowed(Grant::new(
            "states:GetActivityTask",
            activity
        ))),
        "{problems:?}"
    );
    assert!(
        problems.contains(&Problem::WorkerAllowedButUnused(Grant::new(
            "states:GetActivityTask",
            "*"
        ))),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 8, "{problems:?}");
}
