//! `leadline compare --target aws` against moto's server (S3 and Step Functions).
//!
//! This checks the command's mechanics, not the pipeline: the "pipeline" deployed on moto is a
//! small state machine that stands in for it (a Pass state whose Result is what Publish returns,
//! `publish.Payload.location`, with the run folder pre-placed in moto's products bucket, or a Fail
//! or Wait state). What is tested is the upload of the golden input with `.done`, the start under
//! the trigger's execution name, the wait, the download from the location the execution reports
//! and the comparison with `expected/`, and the exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use leadline_testkit::Moto;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/leadline-test";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden(survey: &str) -> PathBuf {
    workspace().join("integration-tests/golden").join(survey)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Moto running state machines, with the uploads and products buckets.
fn moto() -> (Moto, tokio::runtime::Runtime) {
    let moto = Moto::start();
    moto.execute_state_machines();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        moto.create_bucket("uploads").await;
        moto.create_bucket("products").await;
    });
    (moto, runtime)
}

/// Deploys `states` (the `States` of a machine starting at `Run`) and returns its ARN.
fn deploy(moto: &Moto, runtime: &tokio::runtime::Runtime, name: &str, states: Value) -> String {
    let definition = json!({"StartAt": "Run", "States": states});
    runtime.block_on(async {
        moto.sfn_client()
            .create_state_machine()
            .name(name)
            .definition(definition.to_string())
            .role_arn(ROLE)
            .send()
            .await
            .unwrap()
            .state_machine_arn()
            .to_owned()
    })
}

/// A stand-in for the pipeline that "published" to `location`.
fn publishing(location: &str) -> Value {
    json!({"Run": {
        "Type": "Pass",
        "Result": {"Payload": {"location": location, "cid": "bafyrei-stand-in"}},
        "ResultPath": "$.publish",
        "End": true
    }})
}

/// Puts every file of `folder` under `s3://bucket/prefix`.
fn put_folder(
    moto: &Moto,
    runtime: &tokio::runtime::Runtime,
    folder: &Path,
    bucket: &str,
    prefix: &str,
) {
    let s3 = moto.s3_client();
    for entry in walkdir::WalkDir::new(folder) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(folder).unwrap().to_str().unwrap();
        let body = std::fs::read(entry.path()).unwrap();
        runtime.block_on(async {
            s3.put_object()
                .bucket(bucket)
                .key(format!("{prefix}{rel}"))
                .body(body.into())
                .send()
                .await
                .unwrap();
        });
    }
}

fn keys(moto: &Moto, runtime: &tokio::runtime::Runtime, bucket: &str) -> Vec<String> {
    runtime.block_on(async {
        let listed = moto
            .s3_client()
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    })
}

fn compare_aws(moto: &Moto, machine: &str, survey: &Path, extra: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_leadline"))
        .envs(moto.env())
        .env("LEADLINE_CACHE_DIR", cache.path())
        .env_remove("LEADLINE_LOCAL_BUCKETS")
        .args(["compare", "--target", "aws", "--state-machine-arn", machine])
        .args(["--bucket", "uploads", "--products-bucket", "products"])
        .arg("--survey")
        .arg(survey)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("leadline runs")
}

#[test]
fn a_deployed_run_is_uploaded_started_as_the_trigger_does_downloaded_and_compared() {
    let (moto, runtime) = moto();
    // The run folder as Publish lays it out: products, inventory and the build's records.
    let run = "s3://products/H12607/H12607-run/";
    put_folder(
        &moto,
        &runtime,
        &golden("H12607/expected"),
        "products",
        "H12607/H12607-run/",
    );
    let records = tempfile::tempdir().unwrap();
    std::fs::write(records.path().join("provenance.json"), r#"{"commit": "x"}"#).unwrap();
    put_folder(
        &moto,
        &runtime,
        records.path(),
        "products",
        "H12607/H12607-run/",
    );
    let machine = deploy(&moto, &runtime, "survey", publishing(run));

    let out = compare_aws(
        &moto,
        &machine,
        &golden("H12607"),
        &["--exclude", "provenance.json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).starts_with(&format!(
            "equal: 5 files compared, 1 excluded ({run} against "
        )),
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("SUCCEEDED after"),
        "progress on stderr: {stderr}"
    );
    let uploaded = keys(&moto, &runtime, "uploads");
    assert_eq!(uploaded, ["H12607/.done", "H12607/bdb_02.bag"]);
    // The trigger's name: the survey and the tail of the upload's object-list CID.
    let started = stderr
        .lines()
        .find_map(|l| l.strip_prefix("started "))
        .unwrap_or_else(|| panic!("the execution is named: {stderr}"));
    let name = started.rsplit(':').next().unwrap();
    assert!(
        name.starts_with("H12607-") && name.len() == "H12607-".len() + 26,
        "{name}"
    );

    // The same upload again is the same run, and the JSON report is for machines.
    let out = compare_aws(
        &moto,
        &machine,
        &golden("H12607"),
        &["--exclude", "provenance.json", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("already started (same upload): {started}")));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["equal"], true);

    // Expected outputs elsewhere, differing in one product: exit 1 with the report.
    let expected = tempfile::tempdir().unwrap();
    let copy = expected.path().join("expected");
    copy_folder(&golden("H12607/expected"), &copy);
    let qc = copy.join("outputs/bdb_02.bag/bdb_02_qc.json");
    let mut document: Value = serde_json::from_slice(&std::fs::read(&qc).unwrap()).unwrap();
    document["cells"]["valid"] = json!(1);
    std::fs::write(&qc, document.to_string()).unwrap();
    let out = compare_aws(
        &moto,
        &machine,
        &golden("H12607"),
        &[
            "--exclude",
            "provenance.json",
            "--expected",
            copy.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("outputs/bdb_02.bag/bdb_02_qc.json: /cells/valid"),
        "{}",
        text(&out.stdout)
    );
    // Without the exclude, the build's record is a difference too.
    let out = compare_aws(&moto, &machine, &golden("H12607"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("provenance.json: not expected"));
}

fn copy_folder(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn failed_runs_exit_1_unless_the_survey_expects_that_failure() {
    let (moto, runtime) = moto();
    let failing = |name: &str, cause: &str| {
        deploy(
            &moto,
            &runtime,
            name,
            json!({"Run": {"Type": "Fail", "Error": "Job.ExitCode.1", "Cause": cause}}),
        )
    };
    let machine = failing("broken", "error: cannot read grid bdb_02.bag");
    let out = compare_aws(&moto, &machine, &golden("H12607"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("FAILED: Job.ExitCode.1: error: cannot read grid bdb_02.bag"),
        "{}",
        text(&out.stdout)
    );

    // fake-00 must fail naming its file: a failure that does is equal, one that does not is not.
    let machine = failing("fails-as-expected", "error: cannot read grid fake_00.bag");
    let out = compare_aws(&moto, &machine, &golden("fake-00"), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("FAILED: failed as expected"));
    let machine = failing("fails-otherwise", "error: out of memory");
    let out = compare_aws(&moto, &machine, &golden("fake-00"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains(r#"cause: expected it to contain "fake_00.bag""#),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_setups_exit_2_naming_the_problem_and_a_slow_run_times_out() {
    let (moto, runtime) = moto();
    // The run says it published outside the products bucket.
    let machine = deploy(
        &moto,
        &runtime,
        "elsewhere",
        publishing("s3://other/H12607/run/"),
    );
    let out = compare_aws(&moto, &machine, &golden("H12607"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not to the products bucket products"),
        "{}",
        text(&out.stderr)
    );

    // A survey folder without expected/ says how to make one; nothing is uploaded.
    let bare = tempfile::tempdir().unwrap();
    let survey = bare.path().join("NEW01");
    std::fs::create_dir_all(survey.join("input")).unwrap();
    let out = compare_aws(&moto, &machine, &survey, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("scripts/regenerate-golden NEW01"));

    // An object under the survey's prefix that the input lacks would join the run: refused, kept.
    runtime.block_on(async {
        moto.s3_client()
            .put_object()
            .bucket("uploads")
            .key("H12604/stale.bag")
            .body(b"old".to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let out = compare_aws(&moto, &machine, &golden("H12604"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("stale.bag"),
        "{}",
        text(&out.stderr)
    );
    let h12604: Vec<String> = keys(&moto, &runtime, "uploads")
        .into_iter()
        .filter(|k| k.starts_with("H12604/"))
        .collect();
    assert_eq!(
        h12604,
        ["H12604/stale.bag"],
        "nothing uploaded, nothing deleted"
    );

    // A run that does not end in time: exit 1, left running.
    let slow = deploy(
        &moto,
        &runtime,
        "slow",
        json!({"Run": {"Type": "Wait", "Seconds": 600, "End": true}}),
    );
    let out = compare_aws(&moto, &slow, &golden("H12607"), &["--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("still running after 1 s; it was left running"),
        "{}",
        text(&out.stdout)
    );
}
