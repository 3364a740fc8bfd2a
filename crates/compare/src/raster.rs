//! Rasters through GDAL: shape, georeferencing, band types, nodata, then every cell, one window of
//! whole block rows at a time so memory stays constant whatever the grid's size.

use gdal::errors::GdalError;
use gdal::raster::RasterBand;
use gdal::spatial_ref::SpatialRef;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use crate::report::{Difference, Kind};
use crate::tree::Pair;
use crate::{CompareError, Options, Side};

/// Cells per window and band, rounded to whole block rows: 2 MiB of `f64` per side, plus masks.
const WINDOW_CELLS: usize = 1 << 18;

/// GDAL's block cache in MiB while comparing: windows are whole block rows, so no block is read
/// twice and a small cache loses nothing. An explicit `GDAL_CACHEMAX` still wins.
const BLOCK_CACHE_MB: &str = "64";

/// Reading must leave nothing beside the compared files: GDAL would otherwise write `.aux.xml`
/// statistics next to them, which the next comparison would see as extra files.
pub(crate) fn configure_gdal() -> Result<(), CompareError> {
    let failed = |error: GdalError| CompareError::Gdal(error.to_string());
    gdal::config::set_config_option("GDAL_PAM_ENABLED", "NO").map_err(failed)?;
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        gdal::config::set_config_option("GDAL_CACHEMAX", BLOCK_CACHE_MB).map_err(failed)?;
    }
    Ok(())
}

/// Opens a raster; `why` asks GDAL to say why it cannot (the message then reaches the report).
fn open(path: &std::path::Path, why: bool) -> Result<Dataset, GdalError> {
    let mut open_flags = GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY;
    if why {
        open_flags |= GdalOpenFlags::GDAL_OF_VERBOSE_ERROR;
    }
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags,
            ..DatasetOptions::default()
        },
    )
}

/// Whether GDAL reads the file as a raster; a file it does not is no error here.
pub(crate) fn opens(path: &std::path::Path) -> bool {
    open(path, false).is_ok()
}

pub(crate) fn compare(options: &Options, pair: &Pair<'_>) -> Vec<Difference> {
    let (expected, actual) = match (open(pair.expected, true), open(pair.actual, true)) {
        (Ok(expected), Ok(actual)) => (expected, actual),
        (expected, actual) => {
            return [
                expected
                    .err()
                    .map(|e| pair.unreadable(Side::Expected, "a raster", e)),
                actual
                    .err()
                    .map(|e| pair.unreadable(Side::Actual, "a raster", e)),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
    };
    let mut out = Vec::new();
    let rel = pair.rel;
    let size = |d: &Dataset| {
        let (width, height) = d.raster_size();
        format!("{width} × {height}")
    };
    let same_size = expected.raster_size() == actual.raster_size();
    if !same_size {
        out.push(
            Difference::new(rel, Kind::Size, "raster size (columns × rows) differs")
                .values(size(&expected), size(&actual)),
        );
    }
    let bands = expected.raster_count();
    let same_bands = bands == actual.raster_count();
    if !same_bands {
        out.push(
            Difference::new(rel, Kind::BandCount, "band count differs")
                .values(bands.to_string(), actual.raster_count().to_string()),
        );
    }
    out.extend(compare_crs(rel, &expected, &actual));
    out.extend(compare_geotransform(options, rel, &expected, &actual));
    // Cells can only be paired when the grids have the same shape.
    if same_size && same_bands {
        for band in 1..=bands {
            match compare_band(options, rel, &expected, &actual, band) {
                Ok(found) => out.extend(found),
                Err((side, error)) => {
                    out.push(pair.unreadable(side, &format!("a raster (band {band})"), error))
                }
            }
        }
    }
    out
}

pub(crate) fn describe(srs: &SpatialRef) -> String {
    match (srs.auth_name(), srs.auth_code()) {
        (Some(name), Ok(code)) => format!("{name}:{code}"),
        _ => srs
            .name()
            .or_else(|| srs.to_wkt().ok())
            .unwrap_or_else(|| "(unnamed)".to_owned()),
    }
}

fn compare_crs(rel: &str, expected: &Dataset, actual: &Dataset) -> Option<Difference> {
    let none = || "(none)".to_owned();
    let (shown_expected, shown_actual) = match (expected.spatial_ref(), actual.spatial_ref()) {
        (Err(_), Err(_)) => return None,
        // OSRIsSame: the same CRS written differently (WKT1/WKT2, authority or not) is equal.
        (Ok(e), Ok(a)) if e == a => return None,
        (Ok(e), Ok(a)) => {
            let (de, da) = (describe(&e), describe(&a));
            if de == da {
                // Same name, different definition: only the full text tells them apart.
                (e.to_wkt().unwrap_or(de), a.to_wkt().unwrap_or(da))
            } else {
                (de, da)
            }
        }
        (Ok(e), Err(_)) => (describe(&e), none()),
        (Err(_), Ok(a)) => (none(), describe(&a)),
    };
    Some(Difference::new(rel, Kind::Crs, "CRS differs").values(shown_expected, shown_actual))
}

fn compare_geotransform(
    options: &Options,
    rel: &str,
    expected: &Dataset,
    actual: &Dataset,
) -> Option<Difference> {
    let (e, a) = match (expected.geo_transform(), actual.geo_transform()) {
        (Err(_), Err(_)) => return None,
        (Ok(e), Ok(a)) => (e, a),
        (e, a) => {
            let show = |g: Result<[f64; 6], GdalError>| {
                g.map_or_else(|_| "(none)".to_owned(), |g| format!("{g:?}"))
            };
            return Some(
                Difference::new(rel, Kind::GeoTransform, "geotransform differs")
                    .values(show(e), show(a)),
            );
        }
    };
    let cell = e[1].abs().max(e[5].abs());
    let cell = if cell > 0.0 { cell } else { 1.0 };
    let worst = e
        .iter()
        .zip(&a)
        .map(|(e, a)| (a - e).abs() / cell)
        .fold(0.0, f64::max);
    (worst > options.geotransform_tolerance || worst.is_nan()).then(|| {
        Difference::new(
            rel,
            Kind::GeoTransform,
            format!(
                "geotransform differs by up to {worst:e} cells (tolerance {:e})",
                options.geotransform_tolerance
            ),
        )
        .values(format!("{e:?}"), format!("{a:?}"))
    })
}

fn same_nodata(e: Option<f64>, a: Option<f64>) -> bool {
    match (e, a) {
        (None, None) => true,
        (Some(e), Some(a)) => e == a || (e.is_nan() && a.is_nan()),
        _ => false,
    }
}

fn mask_word(value: u8) -> String {
    match value {
        0 => "nodata".to_owned(),
        255 => "valid".to_owned(),
        v => format!("partly valid ({v}/255)"),
    }
}

/// One side's band, with its error attributed to that side.
fn band(dataset: &Dataset, index: usize, side: Side) -> Result<RasterBand<'_>, (Side, GdalError)> {
    dataset.rasterband(index).map_err(|e| (side, e))
}

fn compare_band(
    options: &Options,
    rel: &str,
    expected: &Dataset,
    actual: &Dataset,
    index: usize,
) -> Result<Vec<Difference>, (Side, GdalError)> {
    let e_band = band(expected, index, Side::Expected)?;
    let a_band = band(actual, index, Side::Actual)?;
    let mut out = Vec::new();
    if e_band.band_type() != a_band.band_type() {
        out.push(
            Difference::new(
                rel,
                Kind::DataType,
                format!("band {index} data type differs"),
            )
            .values(
                e_band.band_type().to_string(),
                a_band.band_type().to_string(),
            ),
        );
    }
    let (e_nodata, a_nodata) = (e_band.no_data_value(), a_band.no_data_value());
    if !same_nodata(e_nodata, a_nodata) {
        let show = |v: Option<f64>| v.map_or_else(|| "(none)".to_owned(), |v| v.to_string());
        out.push(
            Difference::new(
                rel,
                Kind::Nodata,
                format!("band {index} nodata value differs"),
            )
            .values(show(e_nodata), show(a_nodata)),
        );
    }
    let e_mask = e_band.open_mask_band().map_err(|e| (Side::Expected, e))?;
    let a_mask = a_band.open_mask_band().map_err(|e| (Side::Actual, e))?;

    let (width, height) = e_band.size();
    let block_rows = e_band.block_size().1.max(1);
    let rows = (WINDOW_CELLS / width.max(1)).max(1).div_ceil(block_rows) * block_rows;
    let (mut e_values, mut a_values) = (Vec::<f64>::new(), Vec::<f64>::new());
    let (mut e_valid, mut a_valid) = (Vec::<u8>::new(), Vec::<u8>::new());
    let mut masks = Tally::default();
    let mut values = Tally::default();
    let tolerance = options.raster_tolerance;
    let mut row = 0;
    while row < height {
        let take = rows.min(height - row);
        let window = (0, row as isize);
        let cells = width * take;
        for (band, buffer, side) in [
            (&e_band, &mut e_values, Side::Expected),
            (&a_band, &mut a_values, Side::Actual),
        ] {
            buffer.resize(cells, 0.0);
            band.read_into_slice(window, (width, take), (width, take), buffer, None)
                .map_err(|e| (side, e))?;
        }
        for (band, buffer, side) in [
            (&e_mask, &mut e_valid, Side::Expected),
            (&a_mask, &mut a_valid, Side::Actual),
        ] {
            buffer.resize(cells, 0);
            band.read_into_slice(window, (width, take), (width, take), buffer, None)
                .map_err(|e| (side, e))?;
        }
        for k in 0..cells {
            let place = (k % width, row + k / width);
            if e_valid[k] != a_valid[k] {
                masks.count += 1;
                masks
                    .first
                    .get_or_insert((place, mask_word(e_valid[k]), mask_word(a_valid[k])));
                continue;
            }
            if e_valid[k] == 0 {
                continue;
            }
            let (e, a) = (e_values[k], a_values[k]);
            let difference = match (e.is_nan(), a.is_nan()) {
                (true, true) => 0.0,
                (false, false) => (a - e).abs(),
                _ => f64::INFINITY,
            };
            if difference > tolerance {
                values.count += 1;
                if difference > values.largest {
                    values.largest = difference;
                    values.first = Some((place, e.to_string(), a.to_string()));
                }
            }
        }
        row += take;
    }
    if let Some(((column, row), e, a)) = masks.first {
        out.push(
            Difference::new(
                rel,
                Kind::Mask,
                format!(
                    "band {index} nodata mask: {} cells differ, first at column {column}, row {row}",
                    masks.count
                ),
            )
            .values(e, a),
        );
    }
    if let Some(((column, row), e, a)) = values.first {
        out.push(
            Difference::new(
                rel,
                Kind::Values,
                format!(
                    "band {index}: {} cells differ by more than {tolerance:e}; the largest \
                     difference, {}, is at column {column}, row {row}",
                    values.count, values.largest
                ),
            )
            .values(e, a),
        );
    }
    Ok(out)
}

/// Cells that differ: how many, and the one to show (the first mask difference; the largest value
/// difference) as (column, row), expected, actual.
#[derive(Default)]
struct Tally {
    count: u64,
    largest: f64,
    first: Option<((usize, usize), String, String)>,
}
