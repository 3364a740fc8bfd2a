//! The golden surveys end to end: every folder of `integration-tests/golden` with an `input/` runs
//! through `leadline run` (the local twin; raw sonar takes the processor branch with the
//! `carisbatch` stand-in on `PATH`) and its run folder is compared with `expected/` by the real
//! `leadline compare`, or its failure with `expected/expected-failure.json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use leadline_compare::{Expectation, Failure, EXPECTED_FAILURE};
use serde_json::Value;

mod common;
use common::{job_binaries, workspace};

/// What a run folder records about the build that made it (job records with tool versions,
/// provenance, the manifests over them): left out, because `expected/` holds only what must not
/// change between builds.
const RUN_RECORDS: &[&str] = &[
    "outputs/**/.leadline",
    "outputs.cbor",
    "manifest.*",
    "provenance.json",
];

/// Every golden survey: a folder with an `input/`, named as its survey id.
fn surveys(golden: &Path) -> Vec<PathBuf> {
    let mut surveys: Vec<PathBuf> = std::fs::read_dir(golden)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", golden.display()))
        .map(|entry| entry.expect("a golden folder entry").path())
        .filter(|path| path.join("input").is_dir())
        .collect();
    surveys.sort();
    surveys
}

/// Runs `survey` through a fresh twin and checks it; `Err` is the report.
fn check(survey: &Path) -> Result<(), String> {
    let expectation = Expectation::of(&survey.join("expected")).map_err(|e| e.to_string())?;
    let id = survey.file_name().unwrap_or_default().to_string_lossy();
    let state = tempfile::tempdir().map_err(|e| e.to_string())?;
    let stand_ins = workspace().join("integration-tests/stand-ins");
    let path = format!(
        "{}:{}",
        stand_ins.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .current_dir(workspace())
        .env("PATH", path)
        .arg("run")
        .arg(survey.join("input"))
        .args(["--survey", &id, "--state-dir"])
        .arg(state.path())
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run leadline: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let outcome: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .ok_or_else(|| format!("no JSON outcome from leadline run: {stdout}\n{stderr}"))?;
    let text = |key: &str| outcome[key].as_str().unwrap_or_default().to_owned();
    match expectation {
        Expectation::Failure(expected) => {
            if outcome["status"] != "FAILED" || out.status.code() != Some(1) {
                return Err(format!(
                    "expected a failed run (exit 1), got {:?}: {outcome}",
                    out.status.code()
                ));
            }
            let (error, cause, step) = (text("error"), text("cause"), text("step"));
            let mismatches = expected.mismatches(Failure {
                error: &error,
                cause: &cause,
                step: Some(&step),
            });
            match mismatches.is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "failed otherwise than expected/{EXPECTED_FAILURE} says:\n{}",
                    mismatches.join("\n")
                )),
            }
        }
        Expectation::Products(expected) => {
            if !out.status.success() {
                return Err(format!("the run failed: {outcome}\n{stderr}"));
            }
            let mut compare = Command::new(env!("CARGO_BIN_EXE_leadline"));
            compare.arg("compare").arg(text("products")).arg(&expected);
            for glob in RUN_RECORDS {
                compare.args(["--exclude", glob]);
            }
            let report = compare
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run leadline compare: {e}"))?;
            match report.status.code() {
                Some(0) => Ok(()),
                code => Err(format!(
                    "leadline compare exited {code:?}:\n{}{}",
                    String::from_utf8_lossy(&report.stdout),
                    String::from_utf8_lossy(&report.stderr)
                )),
            }
        }
    }
}

#[test]
fn every_golden_survey_runs_end_to_end_and_matches_its_expected_outputs() {
    job_binaries();
    let surveys = surveys(&workspace().join("integration-tests/golden"));
    assert!(
        surveys.len() >= 4,
        "the golden surveys are there: {surveys:?}"
    );
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = surveys
            .iter()
            .map(|survey| (survey, scope.spawn(|| check(survey))))
            .collect();
        runs.into_iter()
            .filter_map(|(survey, run)| match run.join() {
                Ok(Ok(())) => None,
                Ok(Err(report)) => Some(format!("{}: {report}", survey.display())),
                Err(_) => Some(format!("{}: the check panicked", survey.display())),
            })
            .collect()
    });
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn a_survey_without_expected_outputs_fails_saying_how_to_create_them() {
    let golden = tempfile::tempdir().unwrap();
    let survey = golden.path().join("NEW01");
    std::fs::create_dir_all(survey.join("input")).unwrap();
    std::fs::create_dir_all(golden.path().join("notes")).unwrap();
    assert_eq!(surveys(golden.path()), vec![survey.clone()]);
    let Err(message) = check(&survey) else {
        panic!("a survey without expected/ passes")
    };
    assert!(
        message.contains("expected does not exist")
            && message.contains("scripts/regenerate-golden NEW01"),
        "{message}"
    );

    std::fs::create_dir_all(survey.join("expected")).unwrap();
    std::fs::write(survey.join("expected").join(EXPECTED_FAILURE), "{}").unwrap();
    let Err(message) = check(&survey) else {
        panic!("a broken expected failure passes")
    };
    assert!(message.contains(EXPECTED_FAILURE), "{message}");
}

/// A clone of this repository's HEAD carrying the working tree's `scripts/regenerate-golden`
/// (committed in the clone, so its tree starts clean).
fn clone_with_the_script() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(
        dir.path(),
        &["clone", "-q", workspace().to_str().unwrap(), "."],
    );
    std::fs::copy(
        workspace().join("scripts/regenerate-golden"),
        dir.path().join("scripts/regenerate-golden"),
    )
    .unwrap();
    let message = "the script under test";
    git(
        dir.path(),
        &["commit", "-q", "--allow-empty", "-am", message],
    );
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// Runs the clone's script with a `cargo` that only records its call, and the binaries under
/// test as the "release" build.
fn regenerate(clone: &Path, args: &[&str]) -> (Output, Option<String>) {
    let tools = tempfile::tempdir().unwrap();
    let calls = tools.path().join("cargo-calls");
    let cargo = tools.path().join("cargo");
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n", calls.display()),
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let release = tools.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    // `leadline` finds the job binaries next to its resolved path, so a link is enough.
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_leadline"), release.join("leadline")).unwrap();
    let out = Command::new(clone.join("scripts/regenerate-golden"))
        .args(args)
        .current_dir(clone)
        .env("CARGO", &cargo)
        .env("CARGO_TARGET_DIR", tools.path().join("target"))
        .stdin(Stdio::null())
        .output()
        .expect("the script runs");
    (out, std::fs::read_to_string(calls).ok())
}

#[test]
fn regenerate_golden_refuses_a_dirty_tree_and_builds_nothing() {
    let clone = clone_with_the_script();
    std::fs::write(clone.path().join("notes.txt"), "work in progress").unwrap();
    let (out, cargo) = regenerate(clone.path(), &["H12604"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refusing to run on a dirty git tree") && stderr.contains("?? notes.txt"),
        "{stderr}"
    );
    assert_eq!(cargo, None, "nothing was built");
}

#[test]
fn regenerate_golden_replaces_expected_and_says_what_changed() {
    job_binaries();
    let clone = clone_with_the_script();
    let expected = clone
        .path()
        .join("integration-tests/golden/H12604/expected");
    let grid = expected.join("outputs/bdb_01.bag");
    // An old expected/ that differs from what the code makes: one product missing, one that is
    // no longer made, one that changed.
    std::fs::remove_file(grid.join("bdb_01_cog.tif")).unwrap();
    std::fs::write(grid.join("bdb_01_old.txt"), "gone").unwrap();
    let qc = grid.join("bdb_01_qc.json");
    let mut document: Value = serde_json::from_slice(&std::fs::read(&qc).unwrap()).unwrap();
    document["cells"]["valid"] = serde_json::json!(1);
    std::fs::write(&qc, document.to_string()).unwrap();
    git(clone.path(), &["add", "-A"]);
    git(clone.path(), &["commit", "-qm", "stale expected outputs"]);

    let (out, cargo) = regenerate(clone.path(), &["H12604"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        cargo.as_deref(),
        Some("build --release --locked --bin leadline --bin leadline-runner --bin leadline-qc\n")
    );
    for line in [
        "H12604: changed",
        "  added   outputs/bdb_01.bag/bdb_01_cog.tif",
        "  removed outputs/bdb_01.bag/bdb_01_old.txt",
        "  changed outputs/bdb_01.bag/bdb_01_qc.json",
        "git status --short integration-tests/golden:",
        " D integration-tests/golden/H12604/expected/outputs/bdb_01.bag/bdb_01_old.txt",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in:\n{stdout}");
    }
    // What it wrote is this workspace's expected/ again. Not byte for byte: a QC report's key
    // order depends on how leadline-qc was built (serde_json's preserve_order is unified in
    // with the workspace, not when it is built alone), which compare rightly ignores.
    let same = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("compare")
        .arg(&expected)
        .arg(workspace().join("integration-tests/golden/H12604/expected"))
        .output()
        .unwrap();
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}
