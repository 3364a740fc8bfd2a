//! Pairing by relative path, other files by CID, bad input, and the report's two renderings.

use std::path::Path;

use leadline_compare::{CompareError, Exclude, Kind, Options};
use leadline_core::cids::cid_of_bytes;

use crate::support::{bdb_01, bdb_02, compare, compare_with, gtiff, kinds};

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn files_pair_by_relative_path_and_missing_or_extra_ones_differ() {
    let dir = tempfile::tempdir().unwrap();
    let (actual, expected) = (dir.path().join("actual"), dir.path().join("expected"));
    write(&expected, "a/same.txt", b"same");
    write(&actual, "a/same.txt", b"same");
    write(&expected, "a/b/gone.txt", b"gone");
    write(&actual, "new.txt", b"new");
    write(&expected, "log.txt", b"one");
    write(&actual, "log.txt", b"two");
    let report = compare(&actual, &expected);
    let found: Vec<(&str, Kind)> = report
        .differences
        .iter()
        .map(|d| (&*d.path, d.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("a/b/gone.txt", Kind::Missing),
            ("log.txt", Kind::Bytes),
            ("new.txt", Kind::Extra),
        ],
        "{report}"
    );
    assert_eq!(report.compared, 2);
    let bytes = &report.differences[1];
    assert_eq!(
        bytes.expected.as_deref(),
        Some(&*cid_of_bytes(b"one").to_string())
    );
    assert_eq!(
        bytes.actual.as_deref(),
        Some(&*cid_of_bytes(b"two").to_string())
    );
}

/// A run folder against an `expected/` of products only: the build's records are left out on
/// both sides, and a product under an excluded name still counts nowhere.
#[test]
fn excluded_files_are_left_out_on_both_sides_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (actual, expected) = (dir.path().join("actual"), dir.path().join("expected"));
    write(&expected, "outputs/a_qc.json", b"{}");
    write(&actual, "outputs/a_qc.json", b"{}");
    write(&actual, "outputs/.leadline/jobs/x.json", b"{}");
    write(&expected, "outputs/.leadline/jobs/y.json", b"{}");
    write(&actual, "provenance.json", b"{}");
    write(&actual, "manifest.cbor", b"x");
    write(&actual, "outputs/manifest.txt", b"x");
    let mut exclude = Exclude::none();
    for glob in ["outputs/.leadline/**", "provenance.json", "manifest.*"] {
        exclude.add(glob).unwrap();
    }
    let options = Options {
        exclude,
        ..Options::default()
    };
    let report = compare_with(&actual, &expected, &options);
    let found: Vec<(&str, Kind)> = report
        .differences
        .iter()
        .map(|d| (&*d.path, d.kind))
        .collect();
    // `manifest.*` is anchored: the product `outputs/manifest.txt` is not excluded.
    assert_eq!(found, [("outputs/manifest.txt", Kind::Extra)], "{report}");
    assert_eq!((report.compared, report.excluded), (1, 4));
    assert!(report.to_string().ends_with(&format!(
        "1 difference, 1 file compared, 4 excluded ({} against {})\n",
        actual.display(),
        expected.display()
    )));
    let without = compare(&actual, &expected);
    assert_eq!(without.excluded, 0);
    assert_eq!(without.differences.len(), 5, "{without}");
}

#[test]
fn a_raster_without_a_known_extension_is_compared_as_a_raster() {
    let grid = |value: &str| {
        format!("ncols 3\nnrows 2\nxllcorner 614134\nyllcorner 4494754\ncellsize 4\nNODATA_value -9999\n-1.5 -2.0 -9999\n-3.25 {value} -4.0\n")
    };
    let dir = tempfile::tempdir().unwrap();
    let (actual, expected) = (dir.path().join("actual"), dir.path().join("expected"));
    write(&expected, "depth.asc", grid("-2.5").as_bytes());
    // Other text, same grid within tolerance: equal only if read as a raster.
    write(&actual, "depth.asc", grid("-2.5001").as_bytes());
    let report = compare(&actual, &expected);
    assert!(report.equal, "{report}");
    write(&actual, "depth.asc", grid("-3.5").as_bytes());
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Values], "{report}");
    assert!(report.differences[0].what.contains("column 1, row 1"));
}

#[test]
fn comparing_leaves_nothing_beside_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let expected = gtiff(&bdb_02(), &dir.path().join("expected/grid.tif"), &[]);
    gtiff(
        &bdb_02(),
        &dir.path().join("actual/grid.tif"),
        &["COMPRESS=LZW"],
    );
    for _ in 0..2 {
        let report = compare(&dir.path().join("actual"), &dir.path().join("expected"));
        assert!(report.equal, "{report}");
    }
    let listing: Vec<_> = std::fs::read_dir(expected.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listing, ["grid.tif"]);
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("nowhere");
    let error = leadline_compare::compare(&nowhere, dir.path(), &Options::default()).unwrap_err();
    assert!(matches!(error, CompareError::Missing { .. }));
    assert_eq!(
        error.to_string(),
        format!("actual path {} does not exist", nowhere.display())
    );
    let error = leadline_compare::compare(dir.path(), &nowhere, &Options::default()).unwrap_err();
    assert!(error.to_string().starts_with("expected path"), "{error}");

    let error = leadline_compare::compare(&bdb_01(), dir.path(), &Options::default()).unwrap_err();
    assert!(
        matches!(error, CompareError::FolderWithFile { .. }),
        "{error}"
    );
}

#[test]
fn the_report_reads_well_and_serialises_for_machines() {
    let dir = tempfile::tempdir().unwrap();
    let (actual, expected) = (dir.path().join("actual"), dir.path().join("expected"));
    write(&expected, "gone.txt", b"gone");
    write(&expected, "log.txt", b"one");
    write(&actual, "log.txt", b"two");
    let report = compare(&actual, &expected);
    let text = report.to_string();
    assert!(
        text.starts_with(&format!(
            "gone.txt: missing: expected {}\nlog.txt: content differs (compared by CID)\n    expected: {}\n    actual:   {}\n",
            expected.join("gone.txt").display(),
            cid_of_bytes(b"one"),
            cid_of_bytes(b"two")
        )),
        "{text}"
    );
    assert!(text.ends_with(&format!(
        "2 differences, 1 file compared ({} against {})\n",
        actual.display(),
        expected.display()
    )));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["equal"], false);
    assert_eq!(json["differences"][0]["kind"], "missing");
    assert_eq!(json["differences"][1]["kind"], "bytes");
    assert_eq!(json["differences"][1]["path"], "log.txt");
}
