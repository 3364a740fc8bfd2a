//! `leadline render`: writes what is stale and nothing else, `--check` exits 1 with a unified
//! diff, and the committed machines pass `leadline states validate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn leadline(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadline"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("leadline runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A project with the repository's templates and environments and nothing rendered yet.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["templates", "environments"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root().join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
        }
    }
    dir
}

#[test]
fn render_writes_every_environment_then_nothing() {
    let dir = project();
    let out = leadline(&["render"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    for env in ["dev", "local", "prod"] {
        let file = format!("state-machines/{env}/survey.asl.json");
        assert!(text(&out.stderr).contains(&format!("wrote {file}")));
        assert_eq!(
            std::fs::read(dir.path().join(&file)).unwrap(),
            std::fs::read(root().join(&file)).unwrap(),
            "{file} differs from the committed one"
        );
    }
    let again = leadline(&["render"], dir.path());
    assert!(again.status.success());
    assert_eq!(text(&again.stderr), "");
    let check = leadline(&["render", "--check"], dir.path());
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert_eq!(text(&check.stdout), "");
}

#[test]
fn check_reports_a_stale_file_with_a_diff_and_writes_nothing() {
    let dir = project();
    assert!(leadline(&["render"], dir.path()).status.success());
    let file = dir.path().join("state-machines/prod/survey.asl.json");
    let edited = std::fs::read_to_string(&file).unwrap().replacen(
        "\"MaxConcurrency\": 16",
        "\"MaxConcurrency\": 1",
        1,
    );
    std::fs::write(&file, &edited).unwrap();

    let check = leadline(&["render", "--check"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    let diff = text(&check.stdout);
    assert!(
        diff.starts_with(
            "--- a/state-machines/prod/survey.asl.json\n+++ b/state-machines/prod/survey.asl.json\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("\n-      \"MaxConcurrency\": 1,\n"), "{diff}");
    assert!(
        diff.contains("\n+      \"MaxConcurrency\": 16,\n"),
        "{diff}"
    );
    assert!(text(&check.stderr).contains("state-machines/prod/survey.asl.json is stale"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    // One environment at a time: dev is current, so checking it alone passes.
    let dev = leadline(&["render", "--env", "dev", "--check"], dir.path());
    assert!(dev.status.success(), "{}", text(&dev.stdout));
    let fixed = leadline(&["render", "--env", "prod"], dir.path());
    assert!(fixed.status.success());
    assert!(leadline(&["render", "--check"], dir.path())
        .status
        .success());
}

#[test]
fn a_removed_environment_leaves_no_orphan() {
    let dir = project();
    assert!(leadline(&["render"], dir.path()).status.success());
    std::fs::remove_file(dir.path().join("environments/dev.toml")).unwrap();
    let check = leadline(&["render", "--check"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stderr).contains("state-machines/dev/survey.asl.json is no longer rendered"),
        "{}",
        text(&check.stderr)
    );
    // Run from a subfolder: the project root is found upwards.
    let out = leadline(&["render"], &dir.path().join("templates"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("removed state-machines/dev/survey.asl.json"));
    assert!(!dir.path().join("state-machines/dev").exists());
    assert!(dir
        .path()
        .join("state-machines/prod/survey.asl.json")
        .exists());
    assert!(leadline(&["render", "--check"], dir.path())
        .status
        .success());
}

#[test]
fn unknown_environment_is_an_error_naming_its_file() {
    let dir = project();
    let out = leadline(&["render", "--env", "staging"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("environments/staging.toml does not exist"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("state-machines").exists());
}

#[test]
fn committed_machines_pass_states_validate() {
    let out = leadline(
        &[
            "states",
            "validate",
            "state-machines/local/survey.asl.json",
            "state-machines/dev/survey.asl.json",
            "state-machines/prod/survey.asl.json",
        ],
        &root(),
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "");
}

/// `leadline states run` on the committed local machine: the Lambdas are the stand-in commands
/// of crates/render's functions file, the Fargate jobs are mocked per state.
fn run_local_machine(survey: &str, mock: Option<&str>) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.json");
    let event = serde_json::json!({"survey": survey, "bucket": "uploads",
                                   "prefix": format!("{survey}/"), "parameters": {}});
    std::fs::write(&input, event.to_string()).unwrap();
    let functions = root().join("crates/render/tests/fixtures/functions.toml");
    let mut args = vec![
        "states".to_owned(),
        "run".to_owned(),
        "state-machines/local/survey.asl.json".to_owned(),
        "--state-machine".to_owned(),
        "survey".to_owned(),
        "--input".to_owned(),
        format!("@{}", input.display()),
        "--functions".to_owned(),
        functions.display().to_string(),
    ];
    if let Some(mock) = mock {
        let file = dir.path().join("mock.json");
        std::fs::write(&file, mock).unwrap();
        args.extend([
            "--mock".to_owned(),
            file.display().to_string(),
            "--test-case".to_owned(),
            "Jobs".to_owned(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = leadline(&args, &root());
    let result = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr));
    });
    (out.status.code(), result)
}

#[test]
fn local_machine_runs_under_states_run() {
    let mock = r#"{
      "StateMachines": {"survey": {"TestCases": {"Jobs": {
        "QC": "JobDone", "COG": "JobDone", "Hillshade": "JobDone", "Coverage": "JobDone"}}}},
      "MockedResponses": {"JobDone": {"0": {"Return": {"StopCode": "EssentialContainerExited"}}}}
    }"#;
    let (code, result) = run_local_machine("grids-only", Some(mock));
    assert_eq!(code, Some(0), "{result}");
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"]["processor"]["status"], "skipped");
    assert_eq!(
        result["output"]["products"],
        serde_json::json!({"status": "succeeded", "grids": 1})
    );

    let (code, result) = run_local_machine("empty-upload", None);
    assert_eq!(code, Some(1), "{result}");
    assert_eq!(result["error"], "Leadline.NothingToProcess");
}
