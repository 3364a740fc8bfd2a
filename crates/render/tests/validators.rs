//! Every committed state machine passes both validators DESIGN §5 names: ours (the one behind
//! `leadline states validate`) and the public npm `asl-validator`, installed by scripts/setup
//! from tools/asl-validator's lockfile.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn committed() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for env in std::fs::read_dir(root().join("state-machines")).unwrap() {
        for file in std::fs::read_dir(env.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    files
}

/// Where scripts/setup installs it (LEADLINE_TOOLS as in scripts/env).
fn asl_validator() -> PathBuf {
    let tools = std::env::var_os("LEADLINE_TOOLS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/leadline/tools")))
        .expect("LEADLINE_TOOLS or HOME is set");
    let bin = tools.join("node/node_modules/.bin/asl-validator");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/setup (it installs the npm asl-validator)",
        bin.display()
    );
    bin
}

fn run_asl_validator(files: &[PathBuf]) -> std::process::Output {
    let mut command = Command::new(asl_validator());
    for file in files {
        command.arg("--json-path").arg(file);
    }
    command.output().expect("asl-validator runs")
}

#[test]
fn committed_machines_pass_our_validator() {
    for file in committed() {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Err(invalid) = leadline_asl::parse_str(&text, Default::default()) {
            panic!("{}: {:?}", file.display(), invalid.0);
        }
    }
}

#[test]
fn committed_machines_pass_the_public_asl_validator() {
    let files = committed();
    let output = run_asl_validator(&files);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in &files {
        assert!(
            stdout.contains(&format!("\"{}\" is valid", file.display())),
            "{stdout}"
        );
    }
}

#[test]
fn the_public_asl_validator_rejects_a_broken_machine() {
    // The control: a passing run above means something only if a broken machine fails.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&committed()[0]).unwrap();
    let broken = dir.path().join("broken.asl.json");
    std::fs::write(
        &broken,
        text.replacen("\"Next\": \"Prepare\"", "\"Next\": \"Prepared\"", 1),
    )
    .unwrap();
    let output = run_asl_validator(&[broken]);
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("Prepared"), "{all}");
}
