//! `leadline run` / `leadline redrive`: surveys through the local twin, end to end, with the real
//! handlers, `leadline-runner` + `leadline-qc` + the GDAL scripts as host processes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{job_binaries, workspace};

fn leadline(state: &Path) -> Command {
    job_binaries();
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadline"));
    command
        .current_dir(workspace())
        .env("LEADLINE_STATE_DIR", state)
        .stdin(Stdio::null());
    command
}

fn run_survey(state: &Path, folder: &Path, extra: &[&str]) -> Output {
    let mut command = leadline(state);
    command.arg("run").arg(folder).args(extra).arg("--json");
    command.output().expect("leadline runs")
}

/// The outcome of a run that must have succeeded.
fn succeeded(out: &Output) -> Value {
    let result = outcome(out);
    assert!(
        out.status.success(),
        "{result}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    result
}

/// The outcome: the last stdout line.
fn outcome(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "the last stdout line is the JSON outcome ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn golden(survey: &str) -> PathBuf {
    workspace()
        .join("integration-tests/golden")
        .join(survey)
        .join("input")
}

/// Job logs recorded per state, read from the twin's database.
fn job_runs(state: &Path, execution_arn: &str) -> Vec<String> {
    let db = leadline_local::db::Db::open(&state.join("twin.sqlite")).expect("twin database");
    db.logs(execution_arn)
        .expect("logs")
        .into_iter()
        .map(|log| log.state)
        .collect()
}

#[test]
fn the_golden_survey_runs_end_to_end_and_a_duplicate_upload_is_the_same_run() {
    let state = tempfile::tempdir().unwrap();
    let out = run_survey(state.path(), &golden("H12604"), &["--survey", "H12604"]);
    let result = succeeded(&out);
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["survey"], "H12604");
    let products = PathBuf::from(result["products"].as_str().unwrap());
    assert!(products.is_absolute());
    for product in [
        "bdb_01_cog.tif",
        "bdb_01_hillshade.tif",
        "bdb_01_coverage.geojson",
        "bdb_01_qc.json",
    ] {
        assert!(
            products.join("outputs/bdb_01.bag").join(product).is_file(),
            "{product} published under {}",
            products.display()
        );
    }
    // bdb_01 has no uncertainty band: QC says so instead of failing.
    let qc: Value = serde_json::from_slice(
        &std::fs::read(products.join("outputs/bdb_01.bag/bdb_01_qc.json")).unwrap(),
    )
    .unwrap();
    assert!(qc.to_string().contains("tvu"), "{qc}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(products.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        result["composite_cid"], manifest["cid"],
        "the printed composite CID is the manifest's: {manifest}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for step in [
        "Inventory",
        "Plan",
        "QC",
        "COG",
        "Hillshade",
        "Coverage",
        "Publish",
    ] {
        assert!(stderr.contains(step), "progress shows {step}: {stderr}");
    }
    let arn = result["execution_arn"].as_str().unwrap().to_owned();
    let jobs = job_runs(state.path(), &arn);
    assert_eq!(jobs.len(), 4, "four product jobs ran: {jobs:?}");

    // The same upload again (a duplicate `.done`): the same execution, nothing reruns.
    let again = run_survey(state.path(), &golden("H12604"), &["--survey", "H12604"]);
    assert!(again.status.success());
    assert_eq!(outcome(&again)["execution_arn"], arn.as_str());
    assert!(String::from_utf8_lossy(&again.stderr).contains("started before"));
    assert_eq!(job_runs(state.path(), &arn).len(), 4, "no job ran twice");
}

#[test]
fn a_killed_run_resumes_without_rerunning_finished_steps() {
    let state = tempfile::tempdir().unwrap();
    let mut child = leadline(state.path())
        .arg("run")
        .arg(golden("H12607"))
        .args(["--survey", "H12607", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed (SIGKILL, no clean-up) as soon as the first product job has finished.
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("done  ")
            && ["QC", "COG", "Hillshade", "Coverage"]
                .iter()
                .any(|s| line.starts_with(&format!("done  {s} ")))
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let finished: Vec<String> = seen
        .iter()
        .filter_map(|l| l.strip_prefix("done  "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    assert!(
        finished.iter().any(|s| s == "Plan"),
        "killed after Plan: {seen:?}"
    );

    let out = leadline(state.path())
        .args(["run", "--resume", "--json"])
        .output()
        .unwrap();
    let result = succeeded(&out);
    let arn = result["execution_arn"].as_str().unwrap();
    let runs = job_runs(state.path(), arn);
    for step in finished
        .iter()
        .filter(|s| ["QC", "COG", "Hillshade", "Coverage"].contains(&s.as_str()))
    {
        assert_eq!(
            runs.iter().filter(|r| *r == step).count(),
            1,
            "{step} finished before the kill and did not run again: {runs:?}"
        );
    }
    let products = PathBuf::from(result["products"].as_str().unwrap());
    assert!(products.join("manifest.cbor").is_file());
}

#[test]
fn an_upload_of_unknown_files_fails_cleanly_and_loses_nothing() {
    let state = tempfile::tempdir().unwrap();
    let upload = tempfile::tempdir().unwrap();
    let survey = upload.path().join("S1");
    std::fs::create_dir(&survey).unwrap();
    std::fs::write(survey.join("notes.txt"), "field notes").unwrap();
    let out = run_survey(state.path(), &survey, &[]);
    assert_eq!(out.status.code(), Some(1));
    let result = outcome(&out);
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "Leadline.NothingToProcess");
    assert!(
        state.path().join("buckets/uploads/S1/notes.txt").is_file(),
        "the upload is kept"
    );
    assert_eq!(
        std::fs::read_to_string(survey.join("notes.txt")).unwrap(),
        "field notes"
    );
}

#[test]
fn raw_sonar_without_carisbatch_fails_naming_the_program_and_the_host_image() {
    let state = tempfile::tempdir().unwrap();
    let upload = tempfile::tempdir().unwrap();
    let survey = upload.path().join("S2");
    std::fs::create_dir(&survey).unwrap();
    std::fs::write(survey.join("0001_line.all"), b"raw sonar").unwrap();
    let out = leadline(state.path())
        .env("PATH", "/usr/bin:/bin")
        .arg("run")
        .arg(&survey)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let result = outcome(&out);
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("carisbatch"), "{result}");
    assert!(cause.contains("packer/"), "{result}");
    assert_eq!(result["step"], "CreateHIPSFile", "{result}");
}

#[test]
fn a_corrupt_grid_fails_naming_the_file() {
    let state = tempfile::tempdir().unwrap();
    let out = run_survey(state.path(), &golden("fake-00"), &["--survey", "fake-00"]);
    assert_eq!(out.status.code(), Some(1));
    let result = outcome(&out);
    assert_eq!(result["status"], "FAILED");
    assert!(
        result["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("fake_00.bag"),
        "{result}"
    );
}

#[test]
fn usage_errors_name_the_input() {
    let state = tempfile::tempdir().unwrap();
    let out = leadline(state.path())
        .args(["run", "no/such/survey"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/survey"));
    let out = leadline(state.path())
        .args(["redrive", "nothing-like-it"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing-like-it"));
}

#[test]
fn raw_sonar_takes_the_processor_branch_and_its_exports_are_published() {
    let state = tempfile::tempdir().unwrap();
    let stand_ins = workspace().join("integration-tests/stand-ins");
    let path = format!(
        "{}:{}",
        stand_ins.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = leadline(state.path())
        .env("PATH", path)
        .arg("run")
        .arg(golden("RAW01"))
        .args(["--survey", "RAW01", "--json"])
        .output()
        .unwrap();
    let result = succeeded(&out);
    let products = PathBuf::from(result["products"].as_str().unwrap());
    for export in ["RAW01.tif", "RAW01.bag"] {
        assert!(
            products.join("outputs/processor").join(export).is_file(),
            "{export} published"
        );
    }
    let calls =
        std::fs::read_to_string(state.path().join("processor-host/RAW01/carisbatch.log")).unwrap();
    let processes: Vec<&str> = calls.lines().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(
        processes,
        [
            "CreateHIPSFile",
            "ImportToHIPS",
            "ImportHIPSFromAuxiliary",
            "GeoreferenceHIPSBathymetry",
            "CreateHIPSGridWithCube",
            "FilterProcessedDepths",
            "ExportRaster",
            "ExportRaster"
        ]
    );
    assert!(calls.contains("--compute-tpu"), "{calls}");
    // Each export has its own products, although both are named after the survey.
    for export in ["RAW01.tif", "RAW01.bag"] {
        assert!(products
            .join("outputs")
            .join(export)
            .join("RAW01_cog.tif")
            .is_file());
    }
    // Each processor step checkpointed the host's work folder to the work bucket.
    assert!(state
        .path()
        .join("buckets/work/processor/RAW01/RAW01.bag")
        .is_file());
}
