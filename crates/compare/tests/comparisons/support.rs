//! Test support: the golden BAGs, and rasters derived from them with the gdal crate.

use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags};
use leadline_compare::{Kind, Options, Report};

pub fn golden(survey: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../integration-tests/golden")
        .join(survey)
        .join("input")
        .join(file)
}

pub fn bdb_01() -> PathBuf {
    golden("H12604", "bdb_01.bag")
}

pub fn bdb_02() -> PathBuf {
    golden("H12607", "bdb_02.bag")
}

/// A GeoTIFF copy of `source` at `target`, with GTiff creation options.
pub fn gtiff(source: &Path, target: &Path, options: &[&str]) -> PathBuf {
    // Opening the golden inputs must not leave `.aux.xml` files beside them.
    gdal::config::set_config_option("GDAL_PAM_ENABLED", "NO").unwrap();
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    Dataset::open(source)
        .unwrap()
        .create_copy(
            &driver,
            target,
            &RasterCreationOptions::from_iter(options.iter().copied()),
        )
        .unwrap();
    target.to_path_buf()
}

pub fn update(path: &Path) -> Dataset {
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_UPDATE | GdalOpenFlags::GDAL_OF_RASTER,
            ..DatasetOptions::default()
        },
    )
    .unwrap()
}

pub fn cell(path: &Path, band: usize, (column, row): (usize, usize)) -> f32 {
    let dataset = Dataset::open(path).unwrap();
    let buffer = dataset
        .rasterband(band)
        .unwrap()
        .read_as::<f32>((column as isize, row as isize), (1, 1), (1, 1), None)
        .unwrap();
    buffer.data()[0]
}

pub fn set_cell(path: &Path, band: usize, (column, row): (usize, usize), value: f32) {
    let dataset = update(path);
    let mut buffer = Buffer::new((1, 1), vec![value]);
    dataset
        .rasterband(band)
        .unwrap()
        .write((column as isize, row as isize), (1, 1), &mut buffer)
        .unwrap();
}

pub fn compare(actual: &Path, expected: &Path) -> Report {
    compare_with(actual, expected, &Options::default())
}

pub fn compare_with(actual: &Path, expected: &Path, options: &Options) -> Report {
    leadline_compare::compare(actual, expected, options).unwrap()
}

pub fn kinds(report: &Report) -> Vec<Kind> {
    report.differences.iter().map(|d| d.kind).collect()
}
