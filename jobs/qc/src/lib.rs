//! The IHO S-44 (Edition 6) quality check of a bathymetric grid. This crate owns the TVU limits
//! per order, the density criterion and the report's shape; GDAL reads the grid (BAG elevation +
//! uncertainty, or GeoTIFF depth with optional uncertainty and density bands found by their
//! description) in windows of whole blocks, so memory stays bounded whatever the grid's size.
//!
//! A grid without uncertainty values is a result (`tvu: null` and a note), not an error; only an
//! unreadable grid is an error, and it names the file.

mod stats;

use std::path::Path;

use gdal::raster::RasterBand;
use gdal::{Dataset, Metadata as _};
use serde::Serialize;

pub use stats::{Accumulator, Order, ORDERS};

/// Cells read per window (rounded to whole block rows): about 4 MiB of `f32` per band.
const WINDOW_CELLS: usize = 1 << 20;

/// GDAL's block cache for a check, in MiB. Windows are whole rows of blocks, so no block is read
/// twice and a small cache loses nothing.
const BLOCK_CACHE_MB: &str = "64";

/// S-44's density criterion: at least this many soundings per node…
pub const MIN_SOUNDINGS: f64 = 5.0;
/// …in at least this fraction of nodes; the same fraction decides each TVU order.
pub const PASS_FRACTION: f64 = 0.95;

#[derive(Debug, thiserror::Error)]
pub enum QcError {
    #[error("cannot read grid {path}: {message}")]
    Unreadable { path: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cells {
    pub total: u64,
    pub valid: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Depth {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderResult {
    pub a: f64,
    pub b: f64,
    pub pass_fraction: f64,
    pub pass: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Density {
    pub min_soundings: f64,
    /// Valid nodes that carry a density value.
    pub nodes: u64,
    pub pass_fraction: f64,
    pub pass: bool,
}

/// The QC report, as written to `<stem>_qc.json` and printed as metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The grid's file name (not its path: the report must not depend on where it was staged).
    pub grid: String,
    pub crs: Option<String>,
    pub cells: Cells,
    /// Depths are |elevation|; `null` when no cell is valid.
    pub depth: Option<Depth>,
    /// Per order, keyed `exclusive`, `special`, `1a`, `1b`, `2`; `null` without uncertainty.
    pub tvu: Option<serde_json::Map<String, serde_json::Value>>,
    pub density: Option<Density>,
    pub notes: Vec<String>,
}

/// The bands the check reads, by GDAL band index (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    depth: usize,
    uncertainty: Option<usize>,
    density: Option<usize>,
}

fn description(band: &RasterBand<'_>) -> String {
    band.description().unwrap_or_default().to_ascii_lowercase()
}

/// Finds the bands by description: BAG calls them `elevation` and `uncertainty`; GeoTIFFs from
/// CARIS and others use `depth`/`elevation`, `uncertainty`, `density`. Without a recognised depth
/// band, band 1 is the depth.
fn layout(descriptions: &[String]) -> Layout {
    let find = |words: &[&str]| {
        descriptions
            .iter()
            .position(|d| words.iter().any(|w| d.contains(w)))
            .map(|i| i + 1)
    };
    Layout {
        depth: find(&["elevation", "depth", "bathymetry"]).unwrap_or(1),
        uncertainty: find(&["uncertainty"]),
        density: find(&["density"]),
    }
}

fn crs_of(dataset: &Dataset) -> Option<String> {
    let srs = dataset.spatial_ref().ok()?;
    match (srs.auth_name(), srs.auth_code()) {
        (Some(name), Ok(code)) => Some(format!("{name}:{code}")),
        _ => srs.name(),
    }
}

/// Checks the grid at `path`.
pub fn check(path: &Path) -> Result<Report, QcError> {
    let unreadable = |error: gdal::errors::GdalError| QcError::Unreadable {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    // Reading must leave nothing beside the input (GDAL would write `.aux.xml` statistics).
    gdal::config::set_config_option("GDAL_PAM_ENABLED", "NO").map_err(unreadable)?;
    // GDAL's default block cache (5 % of RAM) would only grow the footprint: no block is read
    // twice. An explicit GDAL_CACHEMAX still wins.
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        gdal::config::set_config_option("GDAL_CACHEMAX", BLOCK_CACHE_MB).map_err(unreadable)?;
    }
    let dataset = Dataset::open(path).map_err(unreadable)?;
    let count = dataset.raster_count();
    if count == 0 {
        return Err(QcError::Unreadable {
            path: path.display().to_string(),
            message: "it has no raster bands".into(),
        });
    }
    let descriptions = (1..=count)
        .map(|i| dataset.rasterband(i).map(|band| description(&band)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    let layout = layout(&descriptions);

    let depth_band = dataset.rasterband(layout.depth).map_err(unreadable)?;
    let uncertainty_band = layout
        .uncertainty
        .map(|i| dataset.rasterband(i))
        .transpose()
        .map_err(unreadable)?;
    let density_band = layout
        .density
        .map(|i| dataset.rasterband(i))
        .transpose()
        .map_err(unreadable)?;

    let (width, height) = dataset.raster_size();
    let block_rows = depth_band.block_size().1.max(1);
    let rows = (WINDOW_CELLS / width.max(1)).max(1).div_ceil(block_rows) * block_rows;
    let mut accumulator = Accumulator::new(
        depth_band.no_data_value(),
        uncertainty_band.as_ref().and_then(|b| b.no_data_value()),
        density_band.as_ref().and_then(|b| b.no_data_value()),
    );
    let mut depth = Vec::new();
    let mut uncertainty = Vec::new();
    let mut density = Vec::new();
    let mut row = 0;
    while row < height {
        let take = rows.min(height - row);
        let window = (0, row as isize);
        let read = |band: &RasterBand<'_>, buffer: &mut Vec<f32>| {
            buffer.resize(width * take, 0.0);
            band.read_into_slice(window, (width, take), (width, take), buffer, None)
        };
        read(&depth_band, &mut depth).map_err(unreadable)?;
        if let Some(band) = &uncertainty_band {
            read(band, &mut uncertainty).map_err(unreadable)?;
        }
        if let Some(band) = &density_band {
            read(band, &mut density).map_err(unreadable)?;
        }
        accumulator.add(
            &depth,
            uncertainty_band.is_some().then_some(&uncertainty[..]),
            density_band.is_some().then_some(&density[..]),
        );
        row += take;
    }

    let grid = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let names = |i: usize| descriptions[i - 1].clone();
    Ok(accumulator.report(
        grid,
        crs_of(&dataset),
        (width * height) as u64,
        &names(layout.depth),
        layout.uncertainty.map(names),
        layout.density.map(names),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_ascii_lowercase()).collect()
    }

    #[test]
    fn bands_are_found_by_description() {
        assert_eq!(
            layout(&described(&["elevation", "uncertainty"])),
            Layout {
                depth: 1,
                uncertainty: Some(2),
                density: None
            }
        );
        assert_eq!(
            layout(&described(&["Density", "Uncertainty", "Depth"])),
            Layout {
                depth: 3,
                uncertainty: Some(2),
                density: Some(1)
            }
        );
        assert_eq!(
            layout(&described(&[""])),
            Layout {
                depth: 1,
                uncertainty: None,
                density: None
            }
        );
    }
}
