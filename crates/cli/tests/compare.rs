//! `leadline compare` as CI runs it: the exit status (0 equal, 1 different, 2 bad input), the
//! readable and JSON reports, and the flags that change tolerances and ignored keys.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn compare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("compare")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("leadline runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn golden_bag() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../integration-tests/golden/H12607/input/bdb_02.bag")
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A 2 × 2 ASCII grid whose last cell is `value`.
fn grid(value: &str) -> String {
    format!("ncols 2\nnrows 2\nxllcorner 614134\nyllcorner 4494754\ncellsize 4\n-1.5 -2.0\n-3.25 {value}\n")
}

/// `actual/` and `expected/`, each with the golden BAG of H12607 and a QC-like JSON report.
fn trees() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for side in ["actual", "expected"] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(root.join("products")).unwrap();
        std::fs::copy(golden_bag(), root.join("products/bdb_02.bag")).unwrap();
    }
    write(
        &dir.path().join("expected"),
        "products/bdb_02_qc.json",
        br#"{"mean": 13.0, "timestamp": "2026-11-23T04:00:00Z"}"#,
    );
    write(
        &dir.path().join("actual"),
        "products/bdb_02_qc.json",
        br#"{"mean": 13.0, "timestamp": "2026-11-24T05:00:00Z"}"#,
    );
    let path = |side: &str| dir.path().join(side).display().to_string();
    let (actual, expected) = (path("actual"), path("expected"));
    (dir, actual, expected)
}

#[test]
fn equal_trees_exit_0_and_say_so() {
    let (_dir, actual, expected) = trees();
    let out = compare(&[&actual, &expected]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("equal: 2 files compared ({actual} against {expected})\n")
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_difference_exits_1_with_a_readable_report_and_nothing_from_gdal() {
    let (dir, actual, expected) = trees();
    // An unknown file type is first tried as a raster: GDAL's failed open must not leak.
    write(&dir.path().join("expected"), "notes.txt", b"one");
    write(&dir.path().join("actual"), "notes.txt", b"two");
    let out = compare(&[&actual, &expected]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("notes.txt: content differs (compared by CID)\n    expected: bafkrei"),
        "{report}"
    );
    assert!(
        report.ends_with(&format!(
            "1 difference, 3 files compared ({actual} against {expected})\n"
        )),
        "{report}"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn json_reports_are_for_machines() {
    let (dir, actual, expected) = trees();
    write(
        &dir.path().join("actual"),
        "products/bdb_02_qc.json",
        br#"{"mean": 14.0, "timestamp": "x"}"#,
    );
    std::fs::remove_file(dir.path().join("actual/products/bdb_02.bag")).unwrap();
    let out = compare(&["--json", &actual, &expected]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["equal"], false);
    assert_eq!(report["compared"], 1);
    let differences = report["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 2, "{report}");
    assert_eq!(differences[0]["path"], "products/bdb_02.bag");
    assert_eq!(differences[0]["kind"], "missing");
    assert_eq!(differences[1]["path"], "products/bdb_02_qc.json");
    assert_eq!(differences[1]["kind"], "json");
    assert_eq!(differences[1]["expected"], "13.0");
    assert_eq!(differences[1]["actual"], "14.0");
}

#[test]
fn ignores_are_flags() {
    let (dir, actual, expected) = trees();
    // The default list forgives the timestamp; without it, it is a difference.
    let out = compare(&["--no-default-ignores", &actual, &expected]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("/timestamp: differs"));

    write(
        &dir.path().join("actual"),
        "products/bdb_02_qc.json",
        br#"{"mean": 14.0, "timestamp": "x"}"#,
    );
    assert_eq!(compare(&[&actual, &expected]).status.code(), Some(1));
    assert_eq!(
        compare(&["--ignore", "/mean", &actual, &expected])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        compare(&["--ignore", "mean", &actual, &expected])
            .status
            .code(),
        Some(0)
    );

    let help = text(&compare(&["--help"]).stdout);
    assert!(
        help.contains("timestamp, "),
        "the default list is documented: {help}"
    );
}

#[test]
fn excludes_are_flags_that_leave_files_out_on_both_sides() {
    let (dir, actual, expected) = trees();
    write(
        &dir.path().join("actual"),
        "products/.leadline/jobs/bafkreiabc.json",
        br#"{"tool": "gdal 3.6"}"#,
    );
    write(&dir.path().join("actual"), "provenance.json", b"{}");
    let out = compare(&[&actual, &expected]);
    assert_eq!(out.status.code(), Some(1));
    let out = compare(&[
        "--exclude",
        "products/.leadline/**",
        "--exclude",
        "provenance.json",
        &actual,
        &expected,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stdout),
        format!("equal: 2 files compared, 2 excluded ({actual} against {expected})\n")
    );
    // Anchored at the compared folders: `.leadline/**` names a top-level folder only.
    let out = compare(&[
        "--exclude",
        ".leadline/**",
        "--exclude",
        "provenance.json",
        &actual,
        &expected,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("products/.leadline/jobs/bafkreiabc.json: not expected"));

    let out = compare(&["--exclude", "/abs/**", &actual, &expected]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid exclude glob \"/abs/**\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tolerances_are_flags() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "expected.asc", grid("-4.0").as_bytes());
    write(dir.path(), "actual.asc", grid("-4.05").as_bytes());
    let (actual, expected) = (
        dir.path().join("actual.asc"),
        dir.path().join("expected.asc"),
    );
    let (actual, expected) = (actual.to_str().unwrap(), expected.to_str().unwrap());
    let out = compare(&[actual, expected]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("band 1: 1 cells differ by more than 1e-3"),
        "{}",
        text(&out.stdout)
    );
    let out = compare(&["--raster-tolerance", "0.1", actual, expected]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn bad_input_exits_2_naming_it() {
    let (dir, actual, _expected) = trees();
    let nowhere = dir.path().join("nowhere").display().to_string();
    let out = compare(&[&actual, &nowhere]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("error: expected path {nowhere} does not exist\n")
    );
    assert!(out.stdout.is_empty());

    let out = compare(&["--ignore", "/a~2", &actual, &actual]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"/a~2\""),
        "{}",
        text(&out.stderr)
    );

    let out = compare(&["--area-tolerance=-1%", &actual, &actual]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("-1%"), "{}", text(&out.stderr));

    let bag = golden_bag().display().to_string();
    let out = compare(&[&bag, &actual]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("one is a folder and the other is not"));
}

#[test]
fn a_broken_product_is_a_difference_with_gdals_reason_in_the_report() {
    let (dir, actual, expected) = trees();
    std::fs::write(dir.path().join("actual/products/bdb_02.bag"), b"\x01").unwrap();
    let out = compare(&[&actual, &expected]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("products/bdb_02.bag: the actual file cannot be read as a raster")
            && report.contains("not recognized as a supported file format"),
        "{report}"
    );
    // GDAL's own messages stay out of stderr.
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn the_aws_target_needs_its_flags_and_they_need_it() {
    let out = compare(&["--target", "aws"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for flag in [
        "--state-machine-arn",
        "--bucket",
        "--products-bucket",
        "--survey",
    ] {
        assert!(stderr.contains(flag), "{flag} is required: {stderr}");
    }
    let (_dir, actual, expected) = trees();
    let out = compare(&[&actual, &expected, "--bucket", "uploads"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("need --target aws"));
    let aws = [
        "--target",
        "aws",
        "--state-machine-arn",
        "arn:aws:states:us-east-1:123456789012:stateMachine:survey",
        "--bucket",
        "uploads",
        "--products-bucket",
        "products",
        "--survey",
    ];
    let out = compare(&[&aws[..], &[&actual, &actual, &expected]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not ACTUAL and EXPECTED"));
    let out = compare(&[&aws[..], &[&actual]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a golden survey: it has no input/"),
        "{}",
        text(&out.stderr)
    );
}
