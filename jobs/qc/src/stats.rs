//! The arithmetic of the check, independent of GDAL: S-44 orders, TVU limits, and the running
//! counts a window of cells adds to.

use serde_json::{json, Map};

use crate::{Cells, Density, Depth, Report, MIN_SOUNDINGS, PASS_FRACTION};

/// An IHO S-44 Ed. 6 order: TVU limit = sqrt(a² + (b·d)²) at depth d.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    pub name: &'static str,
    pub a: f64,
    pub b: f64,
}

impl Order {
    pub fn limit(&self, depth: f64) -> f64 {
        (self.a * self.a + (self.b * depth).powi(2)).sqrt()
    }
}

/// S-44 Ed. 6, table 1. Orders 1a and 1b share the TVU limit (they differ in feature detection).
pub const ORDERS: [Order; 5] = [
    Order {
        name: "exclusive",
        a: 0.15,
        b: 0.0075,
    },
    Order {
        name: "special",
        a: 0.25,
        b: 0.0075,
    },
    Order {
        name: "1a",
        a: 0.5,
        b: 0.013,
    },
    Order {
        name: "1b",
        a: 0.5,
        b: 0.013,
    },
    Order {
        name: "2",
        a: 1.0,
        b: 0.023,
    },
];

fn present(value: f32, nodata: Option<f64>) -> bool {
    value.is_finite() && nodata.is_none_or(|n| f64::from(value) != n)
}

/// Running counts over the windows of a grid.
#[derive(Debug, Clone)]
pub struct Accumulator {
    depth_nodata: Option<f64>,
    uncertainty_nodata: Option<f64>,
    density_nodata: Option<f64>,
    valid: u64,
    min: f64,
    max: f64,
    sum: f64,
    with_uncertainty: u64,
    passed: [u64; ORDERS.len()],
    density_nodes: u64,
    density_passed: u64,
}

impl Accumulator {
    pub fn new(
        depth_nodata: Option<f64>,
        uncertainty_nodata: Option<f64>,
        density_nodata: Option<f64>,
    ) -> Self {
        Self {
            depth_nodata,
            uncertainty_nodata,
            density_nodata,
            valid: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            with_uncertainty: 0,
            passed: [0; ORDERS.len()],
            density_nodes: 0,
            density_passed: 0,
        }
    }

    /// Adds one window; `uncertainty` and `density`, when given, are the same cells as `depth`.
    pub fn add(&mut self, depth: &[f32], uncertainty: Option<&[f32]>, density: Option<&[f32]>) {
        for (i, &z) in depth.iter().enumerate() {
            if !present(z, self.depth_nodata) {
                continue;
            }
            let d = f64::from(z).abs();
            self.valid += 1;
            self.min = self.min.min(d);
            self.max = self.max.max(d);
            self.sum += d;
            if let Some(&u) = uncertainty.and_then(|u| u.get(i)) {
                if present(u, self.uncertainty_nodata) {
                    self.with_uncertainty += 1;
                    let u = f64::from(u);
                    for (passed, order) in self.passed.iter_mut().zip(&ORDERS) {
                        *passed += u64::from(u <= order.limit(d));
                    }
                }
            }
            if let Some(&n) = density.and_then(|n| n.get(i)) {
                if present(n, self.density_nodata) {
                    self.density_nodes += 1;
                    self.density_passed += u64::from(f64::from(n) >= MIN_SOUNDINGS);
                }
            }
        }
    }

    pub fn report(
        &self,
        grid: String,
        crs: Option<String>,
        total: u64,
        depth_band: &str,
        uncertainty_band: Option<String>,
        density_band: Option<String>,
    ) -> Report {
        let mut notes = vec![format!(
            "depth is |value| of band '{depth_band}'; TVU limits per IHO S-44 Ed. 6"
        )];
        let depth = (self.valid > 0).then(|| Depth {
            min: self.min,
            max: self.max,
            mean: self.sum / self.valid as f64,
        });
        if self.valid == 0 {
            notes.push("no valid depth cells".into());
        }
        let tvu = match &uncertainty_band {
            None => {
                notes.push("no uncertainty band: TVU not assessed".into());
                None
            }
            Some(band) if self.with_uncertainty == 0 => {
                notes.push(format!(
                    "uncertainty band '{band}' holds no values for valid cells: TVU not assessed"
                ));
                None
            }
            Some(band) => {
                if self.with_uncertainty < self.valid {
                    notes.push(format!(
                        "{} of {} valid cells have no value in band '{band}' and are not counted",
                        self.valid - self.with_uncertainty,
                        self.valid
                    ));
                }
                let mut orders = Map::new();
                for (order, &passed) in ORDERS.iter().zip(&self.passed) {
                    let fraction = passed as f64 / self.with_uncertainty as f64;
                    orders.insert(
                        order.name.into(),
                        json!({"a": order.a, "b": order.b, "pass_fraction": fraction, "pass": fraction >= PASS_FRACTION}),
                    );
                }
                Some(orders)
            }
        };
        let density = match &density_band {
            Some(_) if self.density_nodes > 0 => {
                let fraction = self.density_passed as f64 / self.density_nodes as f64;
                Some(Density {
                    min_soundings: MIN_SOUNDINGS,
                    nodes: self.density_nodes,
                    pass_fraction: fraction,
                    pass: fraction >= PASS_FRACTION,
                })
            }
            Some(band) => {
                notes.push(format!(
                    "density band '{band}' holds no values for valid cells"
                ));
                None
            }
            None => None,
        };
        Report {
            grid,
            crs,
            cells: Cells {
                total,
                valid: self.valid,
            },
            depth,
            tvu,
            density,
            notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODATA: f32 = 1.0e6;

    #[test]
    fn limits_follow_s44_table_1() {
        // Special order at 40 m: sqrt(0.25² + (0.0075·40)²) = sqrt(0.0625 + 0.09) = 0.3905…
        assert!((ORDERS[1].limit(40.0) - 0.152_5_f64.sqrt()).abs() < 1e-12);
        // Order 2 at 0 m is just a.
        assert_eq!(ORDERS[4].limit(0.0), 1.0);
    }

    #[test]
    fn counts_only_valid_cells_and_cells_with_uncertainty() {
        let mut acc = Accumulator::new(Some(NODATA.into()), Some(NODATA.into()), None);
        // Depths 10 (unc 0.2), -20 (unc 0.6), nodata, NaN, 30 (no unc).
        acc.add(
            &[10.0, -20.0, NODATA, f32::NAN, 30.0],
            Some(&[0.2, 0.6, 0.1, 0.1, NODATA]),
            None,
        );
        let report = acc.report(
            "g".into(),
            None,
            5,
            "elevation",
            Some("uncertainty".into()),
            None,
        );
        assert_eq!(report.cells.valid, 3);
        let depth = report.depth.unwrap();
        assert_eq!((depth.min, depth.max, depth.mean), (10.0, 30.0, 20.0));
        let tvu = report.tvu.unwrap();
        // Special at 10 m: limit 0.2610 (0.2 passes); at 20 m: 0.2915 (0.6 fails).
        assert_eq!(tvu["special"]["pass_fraction"], 0.5);
        assert_eq!(tvu["special"]["pass"], false);
        // Order 2 at 20 m: sqrt(1 + 0.46²) > 0.6, so both pass.
        assert_eq!(tvu["2"]["pass_fraction"], 1.0);
        assert_eq!(tvu["2"]["pass"], true);
        assert!(
            report.notes.iter().any(|n| n.contains("1 of 3")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn all_nodata_uncertainty_is_null_with_a_note() {
        let mut acc = Accumulator::new(Some(NODATA.into()), Some(NODATA.into()), None);
        acc.add(&[5.0, 6.0], Some(&[NODATA, NODATA]), None);
        let report = acc.report(
            "g".into(),
            None,
            2,
            "elevation",
            Some("uncertainty".into()),
            None,
        );
        assert_eq!(report.tvu, None);
        assert!(report.notes.iter().any(|n| n.contains("holds no values")));
    }

    #[test]
    fn density_needs_five_soundings_in_95_percent_of_nodes() {
        let mut acc = Accumulator::new(None, None, Some(0.0));
        let depth = vec![10.0_f32; 20];
        let mut density = vec![5.0_f32; 20];
        density[0] = 4.0;
        acc.add(&depth, None, Some(&density));
        let report = acc.report("g".into(), None, 20, "depth", None, Some("density".into()));
        let density = report.density.unwrap();
        assert_eq!(
            (density.nodes, density.pass_fraction, density.pass),
            (20, 0.95, true)
        );
    }
}
