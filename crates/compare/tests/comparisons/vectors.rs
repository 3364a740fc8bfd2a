//! Vectors: coverage polygons as GeoJSON (the pipeline's `<stem>_coverage.geojson`), one polygon
//! in NAD83 / UTM 18N over the H12607 grid's extent, changed in one way at a time.

use std::path::{Path, PathBuf};

use leadline_compare::Kind;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::support::{compare, kinds};

/// bdb_02's extent (614134..614238 E, 4494754..4494814 N): 104 m × 60 m = 6240 m².
const RING: [[f64; 2]; 5] = [
    [614134.0, 4494754.0],
    [614238.0, 4494754.0],
    [614238.0, 4494814.0],
    [614134.0, 4494814.0],
    [614134.0, 4494754.0],
];

fn coverage(epsg: u32, rings: &[Vec<[f64; 2]>]) -> Value {
    let features: Vec<Value> = rings
        .iter()
        .map(|ring| {
            json!({
                "type": "Feature",
                "properties": {"area_km2": 0.00624},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "name": "coverage",
        "crs": {"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{epsg}")}},
        "features": features,
    })
}

fn write(path: &Path, value: &Value) -> PathBuf {
    std::fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
    path.to_path_buf()
}

/// The expected coverage and an actual one built from `epsg` and `rings`.
fn files(epsg: u32, rings: &[Vec<[f64; 2]>]) -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let expected = write(
        &dir.path().join("expected.geojson"),
        &coverage(26918, &[RING.to_vec()]),
    );
    let actual = write(&dir.path().join("actual.geojson"), &coverage(epsg, rings));
    (dir, actual, expected)
}

/// The ring with its north edge moved by `metres`.
fn stretched(metres: f64) -> Vec<[f64; 2]> {
    RING.iter()
        .map(|&[x, y]| [x, if y > 4494800.0 { y + metres } else { y }])
        .collect()
}

#[test]
fn a_polygon_within_area_tolerance_is_equal() {
    // 0.003 m × 104 m = 0.312 m² of 6240 m²: 0.005 %.
    let (_dir, actual, expected) = files(26918, &[stretched(0.003)]);
    let report = compare(&actual, &expected);
    assert!(report.equal, "{report}");
}

#[test]
fn a_changed_polygon_is_an_area_difference() {
    // 1.2 m × 104 m = 124.8 m² of 6240 m²: 2 %.
    let (_dir, actual, expected) = files(26918, &[stretched(1.2)]);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Area], "{report}");
    let difference = &report.differences[0];
    assert!(
        difference
            .what
            .starts_with("layer coverage: total area differs by 2.0000 %"),
        "{}",
        difference.what
    );
    assert_eq!(difference.expected.as_deref(), Some("6240"));
    let actual_area: f64 = difference.actual.as_deref().unwrap().parse().unwrap();
    assert!((actual_area - 6364.8).abs() < 1e-6, "{actual_area}");
}

#[test]
fn an_extra_feature_is_a_count_difference() {
    let sliver: Vec<[f64; 2]> = vec![
        [614300.0, 4494754.0],
        [614300.1, 4494754.0],
        [614300.1, 4494754.1],
        [614300.0, 4494754.0],
    ];
    let (_dir, actual, expected) = files(26918, &[RING.to_vec(), sliver]);
    let report = compare(&actual, &expected);
    // The sliver's area is far below the tolerance: only the count tells.
    assert_eq!(kinds(&report), [Kind::FeatureCount], "{report}");
    assert_eq!(report.differences[0].expected.as_deref(), Some("1"));
    assert_eq!(report.differences[0].actual.as_deref(), Some("2"));
}

#[test]
fn another_crs_is_a_difference() {
    let (_dir, actual, expected) = files(32618, &[RING.to_vec()]);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Crs], "{report}");
    assert_eq!(
        report.differences[0].expected.as_deref(),
        Some("EPSG:26918")
    );
    assert_eq!(report.differences[0].actual.as_deref(), Some("EPSG:32618"));
}

#[test]
fn a_broken_vector_is_named_as_unreadable() {
    let (_dir, actual, expected) = files(26918, &[RING.to_vec()]);
    std::fs::write(
        &actual,
        b"{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .unwrap();
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Unreadable], "{report}");
    assert!(report.differences[0]
        .what
        .contains("actual file cannot be read as a vector"));
}
