//! JSON: structure, numeric tolerance, the default ignore list and the user's additions.

use std::path::{Path, PathBuf};

use leadline_compare::{Ignore, Kind, Options};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::support::{compare, compare_with, kinds};

/// A QC report as the pipeline writes it, plus the run-specific fields a step result carries.
fn report() -> Value {
    json!({
        "grid": "bdb_02.bag",
        "crs": null,
        "cells": {"total": 390, "valid": 301},
        "depth": {"min": 0.822_565_495_967_865, "max": 16.775556564331055, "mean": 13.014982535361},
        "tvu": {"1a": {"a": 0.5, "b": 0.013, "pass_fraction": 0.9867, "pass": true}},
        "notes": ["uncertainty from band 2"],
        "timestamp": "2026-11-23T04:00:00Z",
        "execution": "arn:aws:states:us-east-1:123456789012:execution:survey:H12607-bafkreia",
        "duration_ms": 1234,
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

/// `expected.json` = [`report`], `actual.json` = `change`d copy.
fn files(change: impl FnOnce(&mut Value)) -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let expected = write(dir.path(), "expected_qc.json", &report());
    let mut actual = report();
    change(&mut actual);
    let actual = write(dir.path(), "actual_qc.json", &actual);
    (dir, actual, expected)
}

/// The differences' descriptions in sorted order: object key order depends on whether
/// serde_json's `preserve_order` is on in this build, which the report does not promise.
fn sorted_what(report: &leadline_compare::Report) -> Vec<&str> {
    let mut what: Vec<&str> = report.differences.iter().map(|d| &*d.what).collect();
    what.sort();
    what
}

fn another_run(value: &mut Value) {
    value["timestamp"] = json!("2026-11-24T09:30:00Z");
    value["execution"] =
        json!("arn:aws:states:us-east-1:123456789012:execution:survey:H12607-bafkreib");
    value["duration_ms"] = json!(987);
}

#[test]
fn another_run_of_the_same_products_is_equal() {
    let (_dir, actual, expected) = files(another_run);
    let report = compare(&actual, &expected);
    assert!(report.equal, "{report}");
    // The defaults are what forgave it: without them, each run-specific field is a difference.
    let strict = Options {
        ignore: Ignore::none(),
        ..Options::default()
    };
    let report = compare_with(&actual, &expected, &strict);
    assert_eq!(
        sorted_what(&report),
        [
            "/duration_ms: numbers differ by 2.47e2 (tolerance 1e-9)",
            "/execution: differs",
            "/timestamp: differs",
        ],
        "{report}"
    );
}

#[test]
fn numbers_within_tolerance_are_equal_beyond_it_are_not() {
    let (_dir, actual, expected) = files(|v| {
        v["depth"]["mean"] = json!(13.014982535361 * (1.0 + 1e-12));
    });
    assert!(compare(&actual, &expected).equal);

    let (_dir, actual, expected) = files(|v| {
        another_run(v);
        v["depth"]["max"] = json!(16.79);
    });
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Json], "{report}");
    let difference = &report.differences[0];
    assert!(
        difference
            .what
            .starts_with("/depth/max: numbers differ by 1.44"),
        "{}",
        difference.what
    );
    assert_eq!(difference.expected.as_deref(), Some("16.775556564331055"));
    assert_eq!(difference.actual.as_deref(), Some("16.79"));
}

#[test]
fn a_changed_count_is_caught_even_when_large() {
    let (_dir, actual, expected) = files(|v| v["cells"]["valid"] = json!(300));
    let report = compare(&actual, &expected);
    assert_eq!(report.differences.len(), 1, "{report}");
    assert!(report.differences[0].what.starts_with("/cells/valid:"));
}

#[test]
fn missing_extra_and_retyped_values_are_differences() {
    let (_dir, actual, expected) = files(|v| {
        let object = v.as_object_mut().unwrap();
        object.remove("notes");
        object.insert("warnings".into(), json!([]));
        object["tvu"]["1a"]["pass"] = json!("yes");
    });
    let report = compare(&actual, &expected);
    assert_eq!(
        sorted_what(&report),
        [
            "/notes: missing",
            "/tvu/1a/pass: differs",
            "/warnings: not expected"
        ],
        "{report}"
    );
    let retyped = report
        .differences
        .iter()
        .find(|d| d.what.starts_with("/tvu"))
        .unwrap();
    assert_eq!(retyped.expected.as_deref(), Some("true"));
    assert_eq!(retyped.actual.as_deref(), Some("\"yes\""));
}

#[test]
fn arrays_are_compared_by_position_and_length() {
    let (_dir, actual, expected) = files(|v| {
        v["notes"] = json!(["uncertainty from band 3", "second note"]);
    });
    let report = compare(&actual, &expected);
    assert_eq!(
        sorted_what(&report),
        ["/notes/0: differs", "/notes: array lengths differ"],
        "{report}"
    );
}

#[test]
fn the_user_extends_the_ignore_list_by_key_or_pointer() {
    let (_dir, actual, expected) = files(|v| {
        v["depth"]["max"] = json!(20.0);
        v["tvu"]["1a"]["pass_fraction"] = json!(0.5);
    });
    assert_eq!(compare(&actual, &expected).differences.len(), 2);

    let mut options = Options::default();
    options.ignore.add("/depth/max").unwrap();
    options.ignore.add("pass_fraction").unwrap();
    let report = compare_with(&actual, &expected, &options);
    assert!(report.equal, "{report}");

    // A pointer ignores its own subtree only, not a key of the same name elsewhere.
    let mut options = Options::default();
    options.ignore.add("/depth").unwrap();
    let report = compare_with(&actual, &expected, &options);
    assert_eq!(report.differences.len(), 1, "{report}");
    assert!(report.differences[0]
        .what
        .starts_with("/tvu/1a/pass_fraction"));
}

#[test]
fn invalid_json_is_named_with_its_side() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write(dir.path(), "expected.json", &report());
    let actual = dir.path().join("actual.json");
    std::fs::write(&actual, b"{\"grid\": ").unwrap();
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Unreadable], "{report}");
    let what = &report.differences[0].what;
    assert!(
        what.contains("actual file cannot be read as JSON") && what.contains("actual.json"),
        "{what}"
    );
}

#[test]
fn a_file_with_many_differences_is_summed_up_after_fifty() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write(
        dir.path(),
        "expected.json",
        &json!((0..80).collect::<Vec<_>>()),
    );
    let actual = write(
        dir.path(),
        "actual.json",
        &json!((1..81).collect::<Vec<_>>()),
    );
    let report = compare(&actual, &expected);
    assert_eq!(report.differences.len(), 51, "{report}");
    assert_eq!(
        report.differences[49].what,
        "/49: numbers differ by 1e0 (tolerance 1e-9)"
    );
    let last = &report.differences[50];
    assert_eq!(last.kind, Kind::More);
    assert_eq!(last.what, "30 more differences in this file not shown");
}
