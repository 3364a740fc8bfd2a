//! The `leadline-worker` binary against a Step Functions activity API (testkit's server, through
//! the real `aws-sdk-sfn` client), with moto for Secrets Manager and the S3 checkpoint, and a
//! stand-in `carisbatch` first on PATH (a test fixture only).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use leadline_testkit::activity_api::{ActivityApi, Reported};
use leadline_testkit::Moto;
use serde_json::json;

const SECRET: &str = "seat-7f3a-do-not-log";

/// Stands in for CARIS's `carisbatch --run <Process> …`: records its work, checks the licence it
/// was given, and behaves as the process name asks.
const CARISBATCH: &str = r#"#!/bin/sh
echo "carisbatch $*" >&2
[ "$CARIS_LICENSE" = "seat-7f3a-do-not-log" ] && echo ok > licence-ok
case "$2" in
  CreateHIPSFile)
    mkdir -p hips && echo "$*" > hips/project.hips
    echo '{"process": "CreateHIPSFile", "project": "hips/project.hips"}' ;;
  WaitForRelease)
    touch started
    until [ -e "$RELEASE" ]; do sleep 0.05; done
    echo '{"process": "WaitForRelease"}' ;;
  FailLicence)
    echo "licence checkout failed" >&2; exit 4 ;;
  Hang)
    touch started; sleep 600 ;;
esac
"#;

struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let fake = bin.join("carisbatch");
        std::fs::write(&fake, CARISBATCH).unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        Self { dir }
    }

    fn work(&self, survey: &str) -> PathBuf {
        self.dir.path().join("work").join(survey)
    }

    fn release(&self) -> PathBuf {
        self.dir.path().join("release")
    }

    /// Starts the worker; `endpoints` are the environment that points it at the test servers.
    fn start(&self, endpoints: &[(&str, String)], extra: &[&str]) -> Child {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(env!("CARGO_BIN_EXE_leadline-worker"))
            .env("PATH", path)
            .env("RELEASE", self.release())
            .env("LEADLINE_LOG", "debug")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(endpoints.iter().map(|(k, v)| (*k, v)))
            .args([
                "--activity-arn",
                "arn:aws:states:us-east-1:123456789012:activity:caris",
            ])
            .arg("--work-root")
            .arg(self.dir.path().join("work"))
            .args(["--heartbeat", "0.05"])
            .args(extra)
            .stdout(Stdio::null())
            // A file, not a pipe: the debug log outgrows a pipe's buffer and would block the worker.
            .stderr(std::fs::File::create(self.log()).unwrap())
            .spawn()
            .unwrap()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("worker.log")
    }
}

async fn wait_for_file(path: &Path, worker: &mut Child) {
    while !path.exists() {
        assert!(
            worker.try_wait().unwrap().is_none(),
            "the worker exited before {} appeared",
            path.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn sigterm(child: &Child) {
    // SAFETY: sends a signal to the worker process this test spawned.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
}

#[tokio::test]
async fn runs_carisbatch_with_the_licence_heartbeats_checkpoints_and_reports() {
    let moto = Moto::start();
    moto.create_bucket("work").await;
    moto.secrets_client()
        .create_secret()
        .name("leadline/caris-licence")
        .secret_string(json!({"CARIS_LICENSE": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let api = ActivityApi::start().await;
    let host = Host::new();
    let worker = host.start(
        &[
            ("AWS_ENDPOINT_URL", moto.endpoint()),
            ("AWS_ENDPOINT_URL_SFN", api.endpoint()),
        ],
        &[
            "--licence-secret",
            "leadline/caris-licence",
            "--checkpoint",
            "s3://work/checkpoints",
        ],
    );

    let create = api.push(&json!({
        "survey": "H12604",
        "command": ["carisbatch", "--run", "CreateHIPSFile", "--Template", "H12604.hips"]
    }));
    let Reported::Success(output) = api.reported(&create).await else {
        panic!("CreateHIPSFile failed");
    };
    assert_eq!(
        output["metadata"],
        json!([{"process": "CreateHIPSFile", "project": "hips/project.hips"}])
    );
    assert_eq!(output["checkpoint"]["copied"], 2);
    assert!(host.work("H12604").join("licence-ok").is_file());
    let checkpointed = moto
        .s3_client()
        .get_object()
        .bucket("work")
        .key("checkpoints/H12604/hips/project.hips")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(
        &checkpointed[..],
        b"--run CreateHIPSFile --Template H12604.hips\n"
    );

    // Heartbeats flow while a command runs; it is released only once two have arrived.
    let wait = api
        .push(&json!({"survey": "H12604", "command": ["carisbatch", "--run", "WaitForRelease"]}));
    api.heartbeats(&wait, 2).await;
    std::fs::write(host.release(), b"").unwrap();
    assert!(matches!(api.reported(&wait).await, Reported::Success(_)));

    let fail =
        api.push(&json!({"survey": "H12604", "command": ["carisbatch", "--run", "FailLicence"]}));
    assert_eq!(
        api.reported(&fail).await,
        Reported::Failure {
            error: "Job.ExitCode.4".into(),
            cause: "carisbatch --run FailLicence\nlicence checkout failed\n".into()
        }
    );

    sigterm(&worker);
    assert!(worker.wait_with_output().unwrap().status.success());
    let log = std::fs::read_to_string(host.log()).unwrap();
    assert!(
        log.contains("carisbatch --run CreateHIPSFile"),
        "the command's stderr is logged"
    );
    assert!(
        !log.contains(SECRET),
        "the licence leaked into the log:\n{log}"
    );
}

#[tokio::test]
async fn refuses_programs_off_the_allow_list_and_bad_input() {
    let api = ActivityApi::start().await;
    let host = Host::new();
    let worker = host.start(&[("AWS_ENDPOINT_URL", api.endpoint())], &[]);
    std::fs::create_dir_all(host.work("H1")).unwrap();
    std::fs::write(host.work("H1").join("keep.txt"), b"precious").unwrap();

    for command in [
        json!(["rm", "keep.txt"]),
        json!(["/tmp/elsewhere/carisbatch", "--run", "CreateHIPSFile"]),
    ] {
        let token = api.push(&json!({"survey": "H1", "command": command}));
        let Reported::Failure { error, cause } = api.reported(&token).await else {
            panic!("{command} ran");
        };
        assert_eq!(error, "Job.NotAllowed");
        assert!(cause.contains(command[0].as_str().unwrap()), "{cause}");
    }
    assert!(host.work("H1").join("keep.txt").is_file());

    let token = api.push(&json!({"survey": "../escape", "command": ["carisbatch"]}));
    let Reported::Failure { error, .. } = api.reported(&token).await else {
        panic!("a survey outside the work root was accepted");
    };
    assert_eq!(error, "Job.BadInput");

    sigterm(&worker);
    assert!(worker.wait_with_output().unwrap().status.success());
}

#[tokio::test]
async fn sigterm_fails_the_task_in_hand_as_retryable() {
    let api = ActivityApi::start().await;
    let host = Host::new();
    let mut worker = host.start(&[("AWS_ENDPOINT_URL", api.endpoint())], &[]);
    let token = api.push(&json!({"survey": "H2", "command": ["carisbatch", "--run", "Hang"]}));
    wait_for_file(&host.work("H2").join("started"), &mut worker).await;
    sigterm(&worker);
    let Reported::Failure { error, .. } = api.reported(&token).await else {
        panic!("an interrupted task succeeded");
    };
    assert_eq!(error, "Job.Interrupted");
    assert!(worker.wait_with_output().unwrap().status.success());
}
