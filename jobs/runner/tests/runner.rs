//! The `leadline-runner` binary as the local twin and Fargate run it: exit statuses, the printed
//! result, publishing, memoization and hostile outputs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Job {
    dir: tempfile::TempDir,
}

impl Job {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("survey")).unwrap();
        std::fs::write(dir.path().join("survey/a.bag"), b"alpha").unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the runner with fresh inputs/outputs folders named after `run`.
    fn run(&self, run: &str, extra: &[&str], script: &str) -> (Output, Value) {
        let output = Command::new(env!("CARGO_BIN_EXE_leadline-runner"))
            .env("LEADLINE_INPUTS", self.path(&format!("{run}-in")))
            .env("LEADLINE_OUTPUTS", self.path(&format!("{run}-out")))
            .env("LEADLINE_LOG", "warn")
            .arg("--input")
            .arg(self.path("survey"))
            .args(extra)
            .args(["--", "sh", "-c", script])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        let value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("stdout is not a JSON result ({e}): {stdout}"));
        (output, value)
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir(dir);
    names.sort();
    names
}

fn walkdir(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walkdir(&path)
                    .into_iter()
                    .map(|inner| format!("{}/{inner}", entry.file_name().to_string_lossy()))
                    .collect()
            } else {
                vec![entry.file_name().to_string_lossy().into_owned()]
            }
        })
        .filter(|name| !name.starts_with(".leadline-tmp"))
        .collect()
}

#[test]
fn the_command_runs_in_the_inputs_folder_so_grids_are_named_by_file_name() {
    let job = Job::new();
    let (output, result) = job.run(
        "cwd",
        &[],
        r#"test "$PWD" = "$LEADLINE_INPUTS" && cp a.bag "$LEADLINE_OUTPUTS/a_copy.bag""#,
    );
    assert!(output.status.success(), "{result}");
    assert_eq!(result["outputs"]["a_copy.bag"]["size"], 5);
}

#[test]
fn a_failing_command_is_job_exit_code_n_with_stderr_as_cause() {
    let job = Job::new();
    let (output, result) = job.run("fail", &[], "echo 'cannot open a.bag' >&2; exit 3");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(result["Error"], "Job.ExitCode.3");
    assert_eq!(result["Cause"], "cannot open a.bag\n");
}

#[test]
fn success_publishes_outputs_with_cids_and_metadata() {
    let job = Job::new();
    let publish = job.path("products");
    let (output, result) = job.run(
        "ok",
        &["--publish", publish.to_str().unwrap()],
        r#"cp "$LEADLINE_INPUTS/a.bag" "$LEADLINE_OUTPUTS/a_copy.bin"
           mkdir "$LEADLINE_OUTPUTS/sub"; printf 'hello world' > "$LEADLINE_OUTPUTS/sub/h.txt"
           echo 'working…'; echo '{"product": "copy"}'"#,
    );
    assert!(output.status.success(), "{result}");
    assert_eq!(
        result["outputs"]["sub/h.txt"]["cid"],
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    );
    assert_eq!(result["outputs"]["a_copy.bin"]["size"], 5);
    assert_eq!(result["metadata"], serde_json::json!([{"product": "copy"}]));
    assert_eq!(result["cached"], false);
    assert!(result["manifest"].as_str().unwrap().starts_with("bafyrei"));
    assert_eq!(result["step"], "");
    assert!(
        result["tool"]
            .as_str()
            .unwrap()
            .starts_with(env!("CARGO_PKG_VERSION")),
        "the runner's own version by default: {result}"
    );

    // Beside the outputs, the job record: the printed result, found under the cache key's name.
    let names = files(&publish);
    assert_eq!(names[1..], ["a_copy.bin", "sub/h.txt"]);
    let record = names[0].strip_prefix(".leadline/jobs/").unwrap();
    assert!(record.starts_with("bafkrei") && record.ends_with(".json"));
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(publish.join(&names[0])).unwrap()).unwrap();
    assert_eq!(recorded, result);
}

#[test]
fn a_failed_job_records_nothing() {
    let job = Job::new();
    let publish = job.path("products");
    let (output, _) = job.run(
        "failed-record",
        &["--publish", publish.to_str().unwrap()],
        r#"echo half > "$LEADLINE_OUTPUTS/half.txt"; exit 2"#,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(files(&publish).is_empty(), "{:?}", files(&publish));
}

#[test]
fn a_second_run_with_the_same_inputs_is_a_cache_hit_until_an_output_disappears() {
    let job = Job::new();
    let publish = job.path("products");
    let cache = job.path("cache");
    let counter = job.path("runs");
    let script = format!(
        r#"echo run >> "{}"; cp "$LEADLINE_INPUTS/a.bag" "$LEADLINE_OUTPUTS/out.bin""#,
        counter.display()
    );
    let args = [
        "--publish",
        publish.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--step",
        "Copy v1",
    ];
    let (_, first) = job.run("one", &args, &script);
    assert_eq!(first["cached"], false);
    let (output, second) = job.run("two", &args, &script);
    assert!(output.status.success());
    assert_eq!(second["cached"], true);
    assert_eq!(second["outputs"], first["outputs"]);
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "run\n");
    // The hit replaces the job's record: the run's provenance says this job was reused.
    let record = publish.join(format!(
        ".leadline/jobs/{}.json",
        second["cacheKey"].as_str().unwrap()
    ));
    let recorded: Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(recorded["cached"], true);
    assert_eq!(recorded["step"], "Copy v1");
    assert_eq!(recorded["manifest"], first["manifest"]);

    // A different step definition is a different key.
    let mut other = args;
    other[5] = "Copy v2";
    let (_, third) = job.run("three", &other, &script);
    assert_eq!(third["cached"], false);

    // Outputs gone from the products: the record no longer counts.
    std::fs::remove_file(publish.join("out.bin")).unwrap();
    let (_, fourth) = job.run("four", &args, &script);
    assert_eq!(fourth["cached"], false);
    assert!(publish.join("out.bin").is_file());
}

#[test]
fn hostile_outputs_publish_nothing_and_name_the_offenders() {
    let job = Job::new();
    let publish = job.path("products");
    let (output, result) = job.run(
        "hostile",
        &["--publish", publish.to_str().unwrap()],
        r#"echo fine > "$LEADLINE_OUTPUTS/good.txt"
           ln -s /etc/passwd "$LEADLINE_OUTPUTS/passwd"
           ln -s .. "$LEADLINE_OUTPUTS/up""#,
    );
    assert_eq!(output.status.code(), Some(125));
    assert_eq!(result["Error"], "Job.OutputRejected");
    let cause = result["Cause"].as_str().unwrap();
    assert!(cause.contains("passwd (symlink to /etc/passwd"), "{cause}");
    assert!(cause.contains("up (symlink to .."), "{cause}");
    assert!(files(&publish).is_empty(), "{:?}", files(&publish));
}

#[test]
fn a_leftover_outputs_folder_is_refused_before_the_command_runs() {
    let job = Job::new();
    std::fs::create_dir_all(job.path("stale-out")).unwrap();
    std::fs::write(job.path("stale-out/old.tif"), b"old").unwrap();
    let marker = job.path("ran");
    let (output, result) = job.run("stale", &[], &format!("touch '{}'", marker.display()));
    assert_eq!(output.status.code(), Some(125));
    assert_eq!(result["Error"], "Job.Runner");
    assert!(result["Cause"].as_str().unwrap().contains("not empty"));
    assert!(!marker.exists());
}

#[test]
fn a_timeout_is_job_timeout() {
    let job = Job::new();
    let (output, result) = job.run("slow", &["--timeout", "1"], "sleep 600");
    assert_eq!(output.status.code(), Some(124));
    assert_eq!(result["Error"], "Job.Timeout");
}

#[test]
fn sigterm_interrupts_the_command_with_a_retryable_error() {
    let job = Job::new();
    let started = job.path("started");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadline-runner"))
        .env("LEADLINE_INPUTS", job.path("in"))
        .env("LEADLINE_OUTPUTS", job.path("out"))
        .env("LEADLINE_LOG", "warn")
        .args(["--", "sh", "-c"])
        .arg(format!("touch '{}'; sleep 600", started.display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while !started.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the runner ended before its command started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: sending a signal to the child we spawned.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["Error"], "Job.Interrupted");
}

#[tokio::test]
async fn stages_one_object_from_s3_and_publishes_to_s3() {
    let moto = leadline_testkit::Moto::start();
    let bucket = moto.create_bucket("uploads").await;
    let s3 = moto.s3_client();
    for (key, body) in [
        ("H1/a.bag", "alpha"),
        ("H1/raw/big.all", "not for this job"),
    ] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_leadline-runner"))
        .envs(moto.env())
        .env("LEADLINE_INPUTS", dir.path().join("in"))
        .env("LEADLINE_OUTPUTS", dir.path().join("out"))
        .args([
            "--input",
            "s3://uploads/H1/a.bag",
            "--publish",
            "s3://uploads/products/H1",
            "--step",
            "listing",
            "--tool-version",
            "leadline/gdal:7",
            "--",
            "sh",
            "-c",
            r#"ls "$LEADLINE_INPUTS" > "$LEADLINE_OUTPUTS/listing.txt""#,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = s3
        .get_object()
        .bucket(&bucket)
        .key("products/H1/listing.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&listing[..], b"a.bag\n");

    // The job record lands beside the outputs in S3, and reads back as the printed result.
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let store = leadline_core::store::S3Store::new(s3.clone(), &bucket);
    let records = leadline_runner::results::read_all(
        &store,
        &leadline_core::key::Prefix::new("products/H1").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(serde_json::to_value(&records[0]).unwrap(), printed);
    assert_eq!(records[0].step, "listing");
    assert_eq!(records[0].tool, "leadline/gdal:7");
    assert!(!records[0].cached);
}

#[tokio::test]
async fn with_a_task_token_it_heartbeats_then_reports_to_step_functions() {
    use leadline_testkit::activity_api::{ActivityApi, Reported};
    let api = ActivityApi::start().await;
    let job = Job::new();
    let release = job.path("release");
    let run = |name: &str, token: String, script: String| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_leadline-runner"));
        command
            .env("AWS_ENDPOINT_URL", api.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("LEADLINE_TASK_TOKEN", token)
            .env("LEADLINE_INPUTS", job.path(&format!("{name}-in")))
            .env("LEADLINE_OUTPUTS", job.path(&format!("{name}-out")))
            .env("LEADLINE_LOG", "warn")
            .args(["--heartbeat", "0.05", "--", "sh", "-c", &script]);
        command.output()
    };

    let token = api.push(&serde_json::json!({}));
    let script = format!(
        r#"until [ -e '{}' ]; do sleep 0.05; done; echo '{{"done": true}}'"#,
        release.display()
    );
    let running = tokio::spawn(run("beats", token.clone(), script));
    api.heartbeats(&token, 2).await;
    std::fs::write(&release, b"").unwrap();
    assert!(running.await.unwrap().unwrap().status.success());
    let Reported::Success(output) = api.reported(&token).await else {
        panic!("the runner did not report success");
    };
    assert_eq!(output["metadata"], serde_json::json!([{"done": true}]));

    let token = api.push(&serde_json::json!({}));
    let failed = run("fails", token.clone(), "echo broken >&2; exit 3".into())
        .await
        .unwrap();
    assert_eq!(failed.status.code(), Some(3));
    assert_eq!(
        api.reported(&token).await,
        Reported::Failure {
            error: "Job.ExitCode.3".into(),
            cause: "broken\n".into()
        }
    );
}
