//! The products branch as one grid's Map iteration runs it: the job runner (its library, the code
//! behind `leadline-runner`) staging a golden grid and running the real QC binary and the GDAL
//! product scripts, each output then checked with GDAL itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::Dataset;
use leadline_core::store::DirStore;
use leadline_runner::contract::TaskFailure;
use leadline_runner::job::{run_job, JobOutcome, JobSpec, Place, TaskResult};
use leadline_runner::process::{CommandSpec, RunOptions};
use serde_json::Value;

fn golden(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../integration-tests/golden")
        .join(relative)
}

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gdal")
        .join(name)
        .display()
        .to_string()
}

/// The four product steps for a grid staged as `name` (their template command lines).
fn steps(name: &str) -> BTreeMap<&'static str, Vec<String>> {
    let grid = format!("$LEADLINE_INPUTS/{name}");
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let sh = |line: String| vec!["sh".to_owned(), "-c".to_owned(), line];
    BTreeMap::from([
        (
            "qc",
            sh(format!(
                "'{}' \"{grid}\" --output \"$LEADLINE_OUTPUTS/{stem}_qc.json\"",
                env!("CARGO_BIN_EXE_leadline-qc")
            )),
        ),
        ("cog", sh(format!("'{}' \"{grid}\"", script("cog.sh")))),
        (
            "hillshade",
            sh(format!("'{}' \"{grid}\"", script("hillshade.sh"))),
        ),
        (
            "coverage",
            sh(format!("'{}' \"{grid}\"", script("coverage.sh"))),
        ),
    ])
}

/// Runs every product step on `grid` through the runner; each step gets its own folders.
async fn products(grid: &Path, work: &Path) -> BTreeMap<&'static str, JobOutcome> {
    let name = grid.file_name().unwrap().to_str().unwrap().to_owned();
    let published = Place {
        store: Arc::new(DirStore::new(work.join("products"))),
        prefix: Default::default(),
    };
    let mut outcomes = BTreeMap::new();
    for (step, argv) in steps(&name) {
        let spec = JobSpec {
            command: CommandSpec::from_argv(&argv).unwrap(),
            inputs_dir: work.join(step).join("in"),
            outputs_dir: work.join(step).join("out"),
            sources: vec![grid.display().to_string()],
            publish: Some(published.clone()),
            cache: None,
            step: step.into(),
            tool: "test".into(),
            run: RunOptions::default(),
        };
        outcomes.insert(step, run_job(&spec, None, std::future::pending()).await);
    }
    outcomes
}

fn succeeded(outcome: &JobOutcome) -> &TaskResult {
    match outcome {
        JobOutcome::Succeeded(result) => result,
        JobOutcome::Failed(failure) => panic!("step failed: {failure:?}"),
    }
}

fn gdalinfo(path: &Path) -> Value {
    let output = Command::new("gdalinfo")
        .arg("-json")
        .arg(path)
        .env("GDAL_PAM_ENABLED", "NO")
        .output()
        .unwrap();
    assert!(output.status.success(), "gdalinfo {}", path.display());
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Where the grid's corners land in WGS 84 through each file's own CRS: equal when the CRS was
/// preserved, whatever its WKT spelling (BAG's compound CRS becomes its horizontal EPSG code).
fn corners_in_wgs84(path: &Path) -> Vec<(f64, f64)> {
    let dataset = Dataset::open(path).unwrap();
    let source = dataset.spatial_ref().unwrap();
    let mut wgs84 = SpatialRef::from_epsg(4326).unwrap();
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let transform = CoordTransform::new(&source, &wgs84).unwrap();
    let t = dataset.geo_transform().unwrap();
    let (w, h) = dataset.raster_size();
    let mut xs = vec![t[0], t[0] + w as f64 * t[1]];
    let mut ys = vec![t[3], t[3] + h as f64 * t[5]];
    let mut zs = vec![0.0, 0.0];
    transform
        .transform_coords(&mut xs, &mut ys, &mut zs)
        .unwrap();
    xs.into_iter().zip(ys).collect()
}

fn assert_cog_like(input: &Path, output: &Path) {
    let info = gdalinfo(output);
    let source = gdalinfo(input);
    assert_eq!(info["driverShortName"], "GTiff");
    assert_eq!(
        info["metadata"]["IMAGE_STRUCTURE"]["LAYOUT"], "COG",
        "{output:?}"
    );
    assert_eq!(
        info["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"],
        "DEFLATE"
    );
    assert_eq!(info["size"], source["size"]);
    assert_eq!(info["geoTransform"], source["geoTransform"]);
    for (a, b) in corners_in_wgs84(input).iter().zip(corners_in_wgs84(output)) {
        assert!(
            (a.0 - b.0).abs() < 1e-7 && (a.1 - b.1).abs() < 1e-7,
            "{a:?} vs {b:?}"
        );
    }
}

fn published(work: &Path, name: &str) -> PathBuf {
    work.join("products").join(name)
}

#[tokio::test]
async fn golden_grids_become_checked_products() {
    for (grid, stem, valid_cells, pixel_m2) in [
        (golden("H12604/input/bdb_01.bag"), "bdb_01", 91.0, 4.0 * 4.0),
        (
            golden("H12607/input/bdb_02.bag"),
            "bdb_02",
            319.0,
            4.0 * 4.0,
        ),
    ] {
        let source_info = gdalinfo(&grid);
        let pixel = source_info["geoTransform"][1].as_f64().unwrap();
        assert_eq!(pixel * pixel, pixel_m2);
        let work = tempfile::tempdir().unwrap();
        let outcomes = products(&grid, work.path()).await;

        let qc = succeeded(&outcomes["qc"]);
        let report: Value = serde_json::from_slice(
            &std::fs::read(published(work.path(), &format!("{stem}_qc.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            qc.metadata,
            vec![report.clone()],
            "QC's stdout line is the task metadata"
        );
        assert_eq!(report["cells"]["valid"], valid_cells);

        let cog = published(work.path(), &format!("{stem}_cog.tif"));
        assert_eq!(
            succeeded(&outcomes["cog"])
                .outputs
                .keys()
                .collect::<Vec<_>>(),
            [&format!("{stem}_cog.tif")]
        );
        assert_cog_like(&grid, &cog);
        let bands = gdalinfo(&cog)["bands"].clone();
        assert_eq!(bands.as_array().unwrap().len(), 2);
        assert_eq!(bands[0]["noDataValue"], 1_000_000.0);

        let hillshade = published(work.path(), &format!("{stem}_hillshade.tif"));
        assert_cog_like(&grid, &hillshade);
        assert_eq!(succeeded(&outcomes["hillshade"]).metadata[0]["scale"], 1);
        assert_eq!(gdalinfo(&hillshade)["bands"][0]["noDataValue"], 0.0);

        // The coverage's area, measured on an equal-area projection, against the count of valid
        // cells times the cell area on the UTM plane: they differ only by UTM's scale factor
        // (well under 0.1 % this close to the central meridian).
        let coverage_result = succeeded(&outcomes["coverage"]);
        let area = coverage_result.metadata[0]["area_km2"].as_f64().unwrap();
        let plane = valid_cells * pixel_m2 / 1e6;
        assert!(
            (area / plane - 1.0).abs() < 1e-3,
            "{area} km² vs {plane} km²"
        );
        let coverage: Value = serde_json::from_slice(
            &std::fs::read(published(work.path(), &format!("{stem}_coverage.geojson"))).unwrap(),
        )
        .unwrap();
        assert_eq!(coverage["features"].as_array().unwrap().len(), 1);
        assert_eq!(coverage["features"][0]["properties"]["area_km2"], area);
        assert_eq!(
            coverage["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::26918",
            "the coverage stays in the grid's CRS"
        );

        // Nothing beside the input, and no second copy of anything among the products.
        let mut names: Vec<String> = std::fs::read_dir(work.path().join("products"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("{stem}_cog.tif"),
                format!("{stem}_coverage.geojson"),
                format!("{stem}_hillshade.tif"),
                format!("{stem}_qc.json"),
            ]
        );
    }
}

#[tokio::test]
async fn a_geographic_grid_gets_the_hillshade_scale_and_overviews() {
    let work = tempfile::tempdir().unwrap();
    let grid = work.path().join("geo.tif");
    let status = Command::new("gdalwarp")
        .args([
            "-q",
            "-t_srs",
            "EPSG:4326",
            "-ts",
            "1300",
            "750",
            "-r",
            "near",
        ])
        .arg(golden("H12607/input/bdb_02.bag"))
        .arg(&grid)
        .env("GDAL_PAM_ENABLED", "NO")
        .status()
        .unwrap();
    assert!(status.success());
    let outcomes = products(&grid, work.path()).await;
    assert_eq!(
        succeeded(&outcomes["hillshade"]).metadata[0]["scale"],
        111120
    );
    let cog = published(work.path(), "geo_cog.tif");
    assert_cog_like(&grid, &cog);
    assert!(
        !gdalinfo(&cog)["bands"][0]["overviews"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a grid larger than one COG tile gets overviews"
    );
    // Warping changes the cell count a little; the true area must still be that of the UTM grid.
    let area = succeeded(&outcomes["coverage"]).metadata[0]["area_km2"]
        .as_f64()
        .unwrap();
    assert!((area / 0.005_104 - 1.0).abs() < 0.05, "{area}");
}

#[tokio::test]
async fn every_step_fails_on_the_fake_bag_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let outcomes = products(&golden("fake-00/input/fake_00.bag"), work.path()).await;
    for (step, outcome) in &outcomes {
        let JobOutcome::Failed(TaskFailure { error, cause }) = outcome else {
            panic!("{step} succeeded on a one-byte BAG");
        };
        assert_eq!(error, "Job.ExitCode.1", "{step}");
        assert!(cause.contains("fake_00.bag"), "{step}: {cause}");
    }
    assert!(
        !work.path().join("products").exists()
            || std::fs::read_dir(work.path().join("products"))
                .unwrap()
                .next()
                .is_none()
    );
}
