//! `leadline-qc` on the golden BAGs against an independent computation, on a constructed
//! GeoTIFF whose answer is known by construction, and on unreadable input.
//!
//! The golden figures come from `tests/reference/qc_reference.py` (GDAL's Python bindings and
//! numpy, whole-array, run once with Debian's python3-gdal 3.6.2 and python3-numpy):
//!   /usr/bin/python3 jobs/qc/tests/reference/qc_reference.py \
//!     integration-tests/golden/H12604/input/bdb_01.bag integration-tests/golden/H12607/input/bdb_02.bag

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gdal::raster::Buffer;
use gdal::{DriverManager, Metadata as _};
use serde_json::Value;

fn golden(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../integration-tests/golden")
        .join(relative)
}

fn qc(args: &[&Path]) -> (Output, Option<Value>) {
    let output = Command::new(env!("CARGO_BIN_EXE_leadline-qc"))
        .args(args)
        .output()
        .unwrap();
    let value = serde_json::from_slice(&output.stdout).ok();
    (output, value)
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{actual} != {expected}"
    );
}

#[test]
fn h12607_matches_the_numpy_reference() {
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("bdb_02_qc.json");
    let (output, report) = qc(&[
        &golden("H12607/input/bdb_02.bag"),
        Path::new("--output"),
        &report_path,
    ]);
    assert!(output.status.success());
    let report = report.unwrap();
    assert_eq!(report["grid"], "bdb_02.bag");
    assert_eq!(report["cells"]["total"], 390);
    assert_eq!(report["cells"]["valid"], 319);
    close(&report["depth"]["min"], 0.822_565_495_968);
    close(&report["depth"]["max"], 16.775_556_564_331);
    close(&report["depth"]["mean"], 13.014_982_535_361);
    let tvu = &report["tvu"];
    for (order, fraction, pass) in [
        ("exclusive", 0.0, false),
        ("special", 0.0, false),
        ("1a", 0.887_147_335_423, false),
        ("1b", 0.887_147_335_423, false),
        ("2", 1.0, true),
    ] {
        close(&tvu[order]["pass_fraction"], fraction);
        assert_eq!(tvu[order]["pass"], pass, "{order}");
    }
    assert_eq!(tvu["1a"]["a"], 0.5);
    assert_eq!(tvu["2"]["b"], 0.023);
    assert_eq!(report["density"], Value::Null);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(written, report);
}

#[test]
fn h12604_without_uncertainty_is_a_result_with_a_note() {
    let (output, report) = qc(&[&golden("H12604/input/bdb_01.bag")]);
    assert!(output.status.success());
    let report = report.unwrap();
    assert_eq!(report["cells"]["total"], 192);
    assert_eq!(report["cells"]["valid"], 91);
    close(&report["depth"]["min"], 2.800_318_002_701);
    close(&report["depth"]["max"], 4.515_886_783_600);
    close(&report["depth"]["mean"], 4.085_939_795_106);
    assert_eq!(report["tvu"], Value::Null);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("uncertainty") && notes.contains("no values"),
        "{notes}"
    );
}

#[test]
fn under_the_runner_the_report_lands_in_the_outputs_folder_by_stem() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_leadline-qc"))
        .arg(golden("H12607/input/bdb_02.bag"))
        .env("LEADLINE_OUTPUTS", dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bdb_02_qc.json")).unwrap()).unwrap();
    assert_eq!(written["grid"], "bdb_02.bag");
}

#[test]
fn an_unreadable_grid_fails_naming_the_file() {
    let (output, _) = qc(&[&golden("fake-00/input/fake_00.bag")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fake_00.bag"), "{stderr}");
}

#[test]
fn reading_leaves_nothing_beside_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("bdb_02.bag");
    std::fs::copy(golden("H12607/input/bdb_02.bag"), &grid).unwrap();
    let (output, _) = qc(&[&grid]);
    assert!(output.status.success());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["bdb_02.bag"]);
}

const NODATA: f32 = -9999.0;

/// A 1100 × 1000 GeoTIFF, bands in the order density, uncertainty, depth (found by description),
/// large enough to be read in two windows. By construction:
/// - column 0 is nodata: 1,099,000 valid cells; depth = 10 + (row mod 10), mean 14.5;
/// - uncertainty 0.3 where column mod 4 = 0 (274 of the 1099 valid columns), else 0.2:
///   special (limit ≤ 0.2877 at 19 m) passes 825/1099; exclusive passes 0.2 only at depths
///   18 and 19 (limit ≥ 0.2018), i.e. 825/1099 · 2/10; order 1a (limit ≥ 0.5166) passes all;
/// - density 4 on every 20th row, else 5: exactly 95 % of nodes pass.
fn constructed(path: &Path) {
    let (width, height) = (1100, 1000);
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let dataset = driver
        .create_with_band_type::<f32, _>(path, width, height, 3)
        .unwrap();
    let cell = |f: &dyn Fn(usize, usize) -> f32| {
        let data = (0..height)
            .flat_map(|r| (0..width).map(move |c| (r, c)))
            .map(|(r, c)| if c == 0 { NODATA } else { f(r, c) })
            .collect();
        Buffer::new((width, height), data)
    };
    let bands: [(&str, Buffer<f32>); 3] = [
        ("Density", cell(&|r, _| if r % 20 == 0 { 4.0 } else { 5.0 })),
        (
            "Uncertainty",
            cell(&|_, c| if c % 4 == 0 { 0.3 } else { 0.2 }),
        ),
        ("Depth", cell(&|r, _| -(10.0 + (r % 10) as f32))),
    ];
    for (index, (name, mut buffer)) in bands.into_iter().enumerate() {
        let mut band = dataset.rasterband(index + 1).unwrap();
        band.set_description(name).unwrap();
        band.set_no_data_value(Some(NODATA.into())).unwrap();
        band.write((0, 0), (width, height), &mut buffer).unwrap();
    }
}

#[test]
fn geotiff_bands_are_found_by_description_and_counted_across_windows() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("survey.tif");
    constructed(&grid);
    let (output, report) = qc(&[&grid]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = report.unwrap();
    assert_eq!(report["cells"]["total"], 1_100_000);
    assert_eq!(report["cells"]["valid"], 1_099_000);
    close(&report["depth"]["min"], 10.0);
    close(&report["depth"]["max"], 19.0);
    close(&report["depth"]["mean"], 14.5);
    close(&report["tvu"]["special"]["pass_fraction"], 825.0 / 1099.0);
    close(
        &report["tvu"]["exclusive"]["pass_fraction"],
        825.0 / 1099.0 * 0.2,
    );
    close(&report["tvu"]["1a"]["pass_fraction"], 1.0);
    assert_eq!(report["density"]["nodes"], 1_099_000);
    close(&report["density"]["pass_fraction"], 0.95);
    assert_eq!(report["density"]["pass"], true);
}
