//! Vectors through GDAL/OGR: the same layers, each with the same CRS, feature count and total area
//! (in the layer's CRS units, within a relative tolerance).

use std::collections::BTreeMap;

use gdal::errors::GdalError;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::LayerAccess as _;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use crate::raster::describe;
use crate::report::{Difference, Kind};
use crate::tree::Pair;
use crate::{Options, Side};

struct Layer {
    features: u64,
    area: f64,
    crs: Option<SpatialRef>,
}

fn layers(path: &std::path::Path) -> Result<BTreeMap<String, Layer>, GdalError> {
    let dataset = Dataset::open_ex(
        path,
        DatasetOptions {
            // Verbose: GDAL's reason for refusing the file reaches the report.
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR
                | GdalOpenFlags::GDAL_OF_READONLY
                | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
            ..DatasetOptions::default()
        },
    )?;
    let mut layers = BTreeMap::new();
    for mut layer in dataset.layers() {
        let mut features = 0;
        let mut area = 0.0;
        for feature in layer.features() {
            features += 1;
            area += feature.geometry().map_or(0.0, |g| g.area());
        }
        let crs = layer.spatial_ref();
        layers.insert(
            layer.name(),
            Layer {
                features,
                area,
                crs,
            },
        );
    }
    Ok(layers)
}

pub(crate) fn compare(options: &Options, pair: &Pair<'_>) -> Vec<Difference> {
    let (expected, actual) = match (layers(pair.expected), layers(pair.actual)) {
        (Ok(expected), Ok(actual)) => (expected, actual),
        (expected, actual) => {
            return [
                expected
                    .err()
                    .map(|e| pair.unreadable(Side::Expected, "a vector", e)),
                actual
                    .err()
                    .map(|e| pair.unreadable(Side::Actual, "a vector", e)),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
    };
    let rel = pair.rel;
    let mut out = Vec::new();
    let names = |layers: &BTreeMap<String, Layer>| layers.keys().cloned().collect::<Vec<_>>();
    if names(&expected) != names(&actual) {
        out.push(
            Difference::new(rel, Kind::Layers, "layers differ")
                .values(names(&expected).join(", "), names(&actual).join(", ")),
        );
    }
    for (name, e) in &expected {
        let Some(a) = actual.get(name) else { continue };
        if e.features != a.features {
            out.push(
                Difference::new(
                    rel,
                    Kind::FeatureCount,
                    format!("layer {name}: feature count differs"),
                )
                .values(e.features.to_string(), a.features.to_string()),
            );
        }
        let show = |crs: &Option<SpatialRef>| crs.as_ref().map_or("(none)".to_owned(), describe);
        let same_crs = match (&e.crs, &a.crs) {
            (None, None) => true,
            (Some(ec), Some(ac)) => ec == ac,
            _ => false,
        };
        if !same_crs {
            out.push(
                Difference::new(rel, Kind::Crs, format!("layer {name}: CRS differs"))
                    .values(show(&e.crs), show(&a.crs)),
            );
        }
        let difference = (a.area - e.area).abs();
        if difference.is_nan() || difference > options.area_tolerance * e.area.abs() {
            let relative = if e.area == 0.0 {
                "an area where none was expected".to_owned()
            } else {
                format!("{:.4} %", 100.0 * difference / e.area.abs())
            };
            out.push(
                Difference::new(
                    rel,
                    Kind::Area,
                    format!(
                        "layer {name}: total area differs by {relative} (tolerance {} %)",
                        100.0 * options.area_tolerance
                    ),
                )
                .values(e.area.to_string(), a.area.to_string()),
            );
        }
    }
    out
}
