//! Rasters: GeoTIFFs derived from the golden BAG of H12607 (26 × 15 cells of 4 m, elevation and
//! uncertainty as Float32, nodata 1e6), each changed in one way.

use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::DriverManager;
use leadline_compare::{Kind, Options};
use tempfile::TempDir;

use crate::support::{bdb_01, bdb_02, cell, compare, compare_with, gtiff, kinds, set_cell, update};

/// A cell of bdb_02 that holds a depth and an uncertainty (column 3, row 2: -1.05 m ± 0.55 m),
/// and one that is nodata.
const VALID: (usize, usize) = (3, 2);
const NODATA: (usize, usize) = (0, 0);

/// `expected/grid.tif` and `actual/grid.tif`, both GeoTIFF copies of bdb_02; the actual one is
/// written with other creation options so its bytes (and CID) always differ and the raster
/// rules, not the CID shortcut, decide.
fn pair() -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let expected = gtiff(&bdb_02(), &dir.path().join("expected/grid.tif"), &[]);
    let actual = gtiff(
        &bdb_02(),
        &dir.path().join("actual/grid.tif"),
        &["COMPRESS=DEFLATE"],
    );
    (dir, actual, expected)
}

fn folders(dir: &TempDir) -> (PathBuf, PathBuf) {
    (dir.path().join("actual"), dir.path().join("expected"))
}

#[test]
fn the_same_grid_in_other_bytes_is_equal() {
    let (dir, actual, expected) = pair();
    assert_ne!(
        std::fs::read(&actual).unwrap(),
        std::fs::read(&expected).unwrap()
    );
    assert_eq!(cell(&expected, 1, NODATA), 1e6, "the fixture's nodata cell");
    let (actual_dir, expected_dir) = folders(&dir);
    let report = compare(&actual_dir, &expected_dir);
    assert!(report.equal, "{report}");
    assert_eq!(report.compared, 1);
}

#[test]
fn a_cell_beyond_tolerance_is_found_and_located() {
    let (_dir, actual, expected) = pair();
    let depth = cell(&expected, 1, VALID);
    set_cell(&actual, 1, VALID, depth + 0.5);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Values], "{report}");
    let difference = &report.differences[0];
    assert_eq!(difference.path, "grid.tif");
    assert!(
        difference.what.starts_with("band 1: 1 cells differ")
            && difference.what.contains("column 3, row 2"),
        "{}",
        difference.what
    );
    assert_eq!(
        difference.expected.as_deref(),
        Some(&*f64::from(depth).to_string())
    );
    assert_eq!(
        difference.actual.as_deref(),
        Some(&*f64::from(depth + 0.5).to_string())
    );
}

#[test]
fn a_cell_within_tolerance_is_equal_and_the_tolerance_is_the_users() {
    let (_dir, actual, expected) = pair();
    let depth = cell(&expected, 1, VALID);
    set_cell(&actual, 1, VALID, depth + 5e-4);
    assert!(compare(&actual, &expected).equal);
    let strict = Options {
        raster_tolerance: 1e-4,
        ..Options::default()
    };
    assert_eq!(
        kinds(&compare_with(&actual, &expected, &strict)),
        [Kind::Values]
    );
}

#[test]
fn the_uncertainty_band_is_compared_too() {
    let (_dir, actual, expected) = pair();
    let uncertainty = cell(&expected, 2, VALID);
    set_cell(&actual, 2, VALID, uncertainty * 2.0);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Values], "{report}");
    assert!(report.differences[0].what.starts_with("band 2:"));
}

#[test]
fn a_changed_nodata_mask_is_a_mask_difference_not_a_value_one() {
    let (_dir, actual, expected) = pair();
    set_cell(&actual, 1, VALID, 1e6);
    set_cell(&actual, 1, NODATA, -5.0);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Mask], "{report}");
    let difference = &report.differences[0];
    assert!(
        difference
            .what
            .starts_with("band 1 nodata mask: 2 cells differ, first at column 0, row 0"),
        "{}",
        difference.what
    );
    assert_eq!(difference.expected.as_deref(), Some("nodata"));
    assert_eq!(difference.actual.as_deref(), Some("valid"));
}

#[test]
fn another_nodata_value_is_a_difference() {
    let (_dir, actual, expected) = pair();
    // Every band keeps its mask (no cell holds -9999), only the declared value changes.
    let dataset = update(&actual);
    for band in 1..=2 {
        dataset
            .rasterband(band)
            .unwrap()
            .set_no_data_value(Some(-9999.0))
            .unwrap();
    }
    drop(dataset);
    let report = compare(&actual, &expected);
    // With another nodata value the 1e6 cells become valid: masks differ as well.
    assert!(kinds(&report).contains(&Kind::Nodata), "{report}");
    assert!(kinds(&report).contains(&Kind::Mask), "{report}");
    assert_eq!(report.differences[0].expected.as_deref(), Some("1000000"));
    assert_eq!(report.differences[0].actual.as_deref(), Some("-9999"));
}

#[test]
fn a_shifted_geotransform_is_a_difference_a_rounding_one_is_not() {
    let (_dir, actual, expected) = pair();
    // Rewriting a GeoTIFF's georeferencing in place also rewrites its CRS keys (GDAL then reads
    // the BAG's CRS back without its EPSG code): the expected grid goes through the same rewrite.
    let mut dataset = update(&expected);
    let mut transform = dataset.geo_transform().unwrap();
    dataset.set_geo_transform(&transform).unwrap();
    drop(dataset);
    let mut dataset = update(&actual);
    transform[0] += 1e-9;
    dataset.set_geo_transform(&transform).unwrap();
    drop(dataset);
    let report = compare(&actual, &expected);
    assert!(report.equal, "{report}");

    let mut dataset = update(&actual);
    transform[3] += 2.0; // half a cell north
    dataset.set_geo_transform(&transform).unwrap();
    drop(dataset);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::GeoTransform], "{report}");
    assert!(
        report.differences[0].what.contains("5e-1 cells"),
        "{}",
        report.differences[0].what
    );
}

#[test]
fn another_crs_is_a_difference() {
    let (_dir, actual, expected) = pair();
    let mut dataset = update(&actual);
    dataset
        .set_spatial_ref(&SpatialRef::from_epsg(32618).unwrap())
        .unwrap();
    drop(dataset);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Crs], "{report}");
    assert_eq!(report.differences[0].actual.as_deref(), Some("EPSG:32618"));
}

#[test]
fn the_same_crs_written_differently_is_equal() {
    let (_dir, actual, expected) = pair();
    let mut dataset = update(&expected);
    dataset
        .set_spatial_ref(&SpatialRef::from_epsg(26918).unwrap())
        .unwrap();
    drop(dataset);
    // NAD83 / UTM 18N again, from a PROJ string instead of the EPSG code: OSR IsSame says equal.
    let mut dataset = update(&actual);
    dataset
        .set_spatial_ref(
            &SpatialRef::from_proj4("+proj=utm +zone=18 +datum=NAD83 +units=m +no_defs").unwrap(),
        )
        .unwrap();
    drop(dataset);
    let report = compare(&actual, &expected);
    assert!(report.equal, "{report}");
}

/// Writes a copy of `expected` with only its first band.
fn first_band_only(expected: &Path, target: &Path) {
    let source = gdal::Dataset::open(expected).unwrap();
    let (width, height) = source.raster_size();
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut copy = driver
        .create_with_band_type_with_options::<f32, _>(
            target,
            width,
            height,
            1,
            &RasterCreationOptions::new(),
        )
        .unwrap();
    copy.set_geo_transform(&source.geo_transform().unwrap())
        .unwrap();
    copy.set_spatial_ref(&source.spatial_ref().unwrap())
        .unwrap();
    let band = source.rasterband(1).unwrap();
    let mut values: Buffer<f32> = band.read_band_as().unwrap();
    let mut out = copy.rasterband(1).unwrap();
    out.set_no_data_value(band.no_data_value()).unwrap();
    out.write((0, 0), (width, height), &mut values).unwrap();
}

#[test]
fn a_missing_band_is_a_band_count_difference() {
    let (_dir, actual, expected) = pair();
    std::fs::remove_file(&actual).unwrap();
    first_band_only(&expected, &actual);
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::BandCount], "{report}");
    assert_eq!(report.differences[0].expected.as_deref(), Some("2"));
    assert_eq!(report.differences[0].actual.as_deref(), Some("1"));
}

#[test]
fn another_data_type_is_a_difference() {
    let (dir, _actual, expected) = pair();
    let actual = dir.path().join("float64.tif");
    // Float64 holds every Float32 value exactly: only the type differs.
    let status = std::process::Command::new("gdal_translate")
        .args(["-q", "-ot", "Float64"])
        .arg(&expected)
        .arg(&actual)
        .status()
        .unwrap();
    assert!(status.success());
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::DataType, Kind::DataType], "{report}");
    assert_eq!(report.differences[0].expected.as_deref(), Some("Float32"));
    assert_eq!(report.differences[0].actual.as_deref(), Some("Float64"));
}

#[test]
fn the_two_golden_bags_differ_in_shape_and_place_without_cell_noise() {
    let report = compare(&bdb_01(), &bdb_02());
    // The two surveys' BAGs also name their vertical datum differently.
    assert_eq!(
        kinds(&report),
        [Kind::Size, Kind::Crs, Kind::GeoTransform],
        "{report}"
    );
    assert_eq!(report.differences[0].expected.as_deref(), Some("26 × 15"));
    assert_eq!(report.differences[0].actual.as_deref(), Some("16 × 12"));
    assert!(compare(&bdb_01(), &bdb_01()).equal);
}

#[test]
fn a_broken_actual_grid_is_named_as_unreadable() {
    let (_dir, actual, expected) = pair();
    std::fs::write(&actual, b"not a grid").unwrap();
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Unreadable], "{report}");
    let what = &report.differences[0].what;
    assert!(
        what.contains("actual file cannot be read as a raster")
            && what.contains("grid.tif")
            && what.contains("not recognized as a supported file format"),
        "{what}"
    );
}

#[test]
fn cells_are_compared_across_windows() {
    // 640 × 640 cells span two windows of whole block rows: a change in the second window must
    // be found at its true row.
    let dir = tempfile::tempdir().unwrap();
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let make = |name: &str, changed: Option<(usize, usize)>| {
        let path = dir.path().join(name);
        let dataset = driver
            .create_with_band_type_with_options::<f32, _>(
                &path,
                640,
                640,
                1,
                &RasterCreationOptions::new(),
            )
            .unwrap();
        let mut values: Vec<f32> = (0..640 * 640).map(|i| (i % 997) as f32 * -0.01).collect();
        if let Some((column, row)) = changed {
            values[row * 640 + column] += 1.0;
        }
        let mut buffer = Buffer::new((640, 640), values);
        dataset
            .rasterband(1)
            .unwrap()
            .write((0, 0), (640, 640), &mut buffer)
            .unwrap();
        path
    };
    let expected = make("expected.tif", None);
    let actual = make("actual.tif", Some((17, 600)));
    let report = compare(&actual, &expected);
    assert_eq!(kinds(&report), [Kind::Values], "{report}");
    assert!(
        report.differences[0].what.contains("column 17, row 600"),
        "{}",
        report.differences[0].what
    );
}
