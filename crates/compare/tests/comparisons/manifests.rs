//! Manifests laid out as publish writes a run: `outputs/…`, `outputs.cbor` listing them,
//! `provenance.json`, `manifest.cbor` (the composite) and `manifest.json` (the same for people).

use std::path::Path;

use leadline_compare::Kind;
use leadline_core::cids::cid_of_bytes;
use leadline_core::manifest::Manifest;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{compare, kinds};

/// Writes a published run under `root` with these outputs and execution ARN.
fn run(root: &Path, outputs: &[(&str, &[u8])], execution: &str) {
    std::fs::create_dir_all(root.join("outputs")).unwrap();
    let mut manifest = Manifest::new();
    for (name, bytes) in outputs {
        std::fs::write(root.join("outputs").join(name), bytes).unwrap();
        manifest.insert(name, cid_of_bytes(bytes)).unwrap();
    }
    let provenance = serde_json::to_vec_pretty(&json!({
        "survey": "H12607",
        "execution": execution,
        "tools": {"gdal": "3.6.2"},
    }))
    .unwrap();
    let mut composite = Manifest::composite([("outputs", &manifest)]).unwrap();
    composite
        .insert("provenance", cid_of_bytes(&provenance))
        .unwrap();
    std::fs::write(root.join("outputs.cbor"), manifest.to_dag_cbor()).unwrap();
    std::fs::write(root.join("provenance.json"), &provenance).unwrap();
    std::fs::write(root.join("manifest.cbor"), composite.to_dag_cbor()).unwrap();
    let document = json!({
        "cid": composite.cid().to_string(),
        "parts": composite.to_json()["entries"],
        "outputs": manifest.to_json()["entries"],
        "provenance": serde_json::from_slice::<serde_json::Value>(&provenance).unwrap(),
    });
    std::fs::write(
        root.join("manifest.json"),
        serde_json::to_vec_pretty(&document).unwrap(),
    )
    .unwrap();
}

const EXPECTED_RUN: &str = "arn:aws:states:us-east-1:123456789012:execution:survey:H12607-a";
const ACTUAL_RUN: &str = "arn:aws:states:us-east-1:123456789012:execution:survey:H12607-b";

fn runs(actual: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    run(
        &dir.path().join("expected"),
        &[
            ("bdb_02_qc.json", br#"{"mean": 13.0}"#),
            ("notes.txt", b"same"),
        ],
        EXPECTED_RUN,
    );
    run(&dir.path().join("actual"), actual, ACTUAL_RUN);
    dir
}

fn compare_runs(dir: &TempDir) -> leadline_compare::Report {
    compare(&dir.path().join("actual"), &dir.path().join("expected"))
}

#[test]
fn products_equal_within_tolerance_keep_their_manifests_equal() {
    // Other bytes (and CIDs, so other manifests) but the same JSON; another execution.
    let dir = runs(&[
        ("bdb_02_qc.json", br#"{ "mean": 13.000000000000002 }"#),
        ("notes.txt", b"same"),
    ]);
    let report = compare_runs(&dir);
    assert!(report.equal, "{report}");
    assert_eq!(report.compared, 6);
}

#[test]
fn a_product_difference_is_reported_once_by_its_file() {
    let dir = runs(&[
        ("bdb_02_qc.json", br#"{"mean": 14.0}"#),
        ("notes.txt", b"same"),
    ]);
    let report = compare_runs(&dir);
    assert_eq!(kinds(&report), [Kind::Json], "{report}");
    assert_eq!(report.differences[0].path, "outputs/bdb_02_qc.json");
}

#[test]
fn a_missing_product_is_reported_by_the_tree_and_every_manifest_listing_it() {
    let dir = runs(&[("bdb_02_qc.json", br#"{"mean": 13.0}"#)]);
    let report = compare_runs(&dir);
    let found: Vec<(&str, Kind, &str)> = report
        .differences
        .iter()
        .map(|d| (&*d.path, d.kind, &*d.what))
        .collect();
    assert_eq!(
        found,
        [
            (
                "manifest.json",
                Kind::ManifestEntry,
                "manifest entry /outputs/notes.txt: missing"
            ),
            (
                "outputs.cbor",
                Kind::ManifestEntry,
                "manifest entry /notes.txt: missing"
            ),
            ("outputs/notes.txt", Kind::Missing, found[2].2),
        ],
        "{report}"
    );
}

#[test]
fn manifests_alone_are_judged_by_cid() {
    let dir = runs(&[
        ("bdb_02_qc.json", br#"{ "mean": 13.000000000000002 }"#),
        ("notes.txt", b"same"),
    ]);
    // Without the files beside them nothing explains the changed entry.
    let report = compare(
        &dir.path().join("actual/outputs.cbor"),
        &dir.path().join("expected/outputs.cbor"),
    );
    assert_eq!(kinds(&report), [Kind::ManifestEntry], "{report}");
    let difference = &report.differences[0];
    assert_eq!(
        difference.what,
        "manifest entry /bdb_02_qc.json: CIDs differ (no file of that name is compared)"
    );
    assert_eq!(
        difference.expected.as_deref(),
        Some(&*cid_of_bytes(br#"{"mean": 13.0}"#).to_string())
    );
}

#[test]
fn cbor_that_is_no_manifest_is_compared_by_cid() {
    let dir = tempfile::tempdir().unwrap();
    // Two DAG-CBOR integers: valid CBOR, not a map of CIDs.
    std::fs::write(dir.path().join("expected.cbor"), [0x01]).unwrap();
    std::fs::write(dir.path().join("actual.cbor"), [0x02]).unwrap();
    let report = compare(
        &dir.path().join("actual.cbor"),
        &dir.path().join("expected.cbor"),
    );
    assert_eq!(kinds(&report), [Kind::Bytes], "{report}");
    assert_eq!(
        report.differences[0].actual.as_deref(),
        Some(&*cid_of_bytes(&[0x02]).to_string())
    );
}
