//! Inventory, plan and publish against moto, with the payloads the survey machine sends.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use common::{World, SUCCEEDS};
use futures::stream::{self, StreamExt};
use leadline_core::cids::cid_of_bytes;
use leadline_core::key::Key;
use leadline_core::manifest::Manifest;
use leadline_lambdas::buckets::{Buckets, DirBuckets};
use leadline_lambdas::classify::Class;
use leadline_lambdas::executions::Executions;
use leadline_lambdas::inventory::{self, InventoryInput};
use leadline_lambdas::plan::{self, PlanInput, Predicates};
use leadline_lambdas::publish::{Images, PublishError, PublishInput, Publisher, TaskRef};
use leadline_runner::job::{run_job, JobOutcome, JobSpec, Place, TaskResult};
use leadline_runner::process::{CommandSpec, RunOptions};
use serde_json::{json, Map, Value};

/// Step Functions' limit on a state's input or output.
const PAYLOAD_LIMIT: usize = 256 * 1024;

fn input(survey: &str, run: &str) -> InventoryInput {
    InventoryInput {
        survey: survey.into(),
        upload: format!("s3://uploads/{survey}/"),
        work: format!("s3://work/{survey}/{run}/"),
    }
}

#[tokio::test]
async fn ten_thousand_objects_stay_inside_payload_limits() {
    let world = World::new().await;
    let client = world.moto.s3_client();
    let keys: Vec<String> = (0..10_000)
        .map(|i| match i % 4 {
            0 => format!("BIG/raw/line_{i:05}.all"),
            1 => format!("BIG/pos/DN{i:05}.000"),
            2 => format!("BIG/grids/tile_{i:05}.bag"),
            _ => format!("BIG/notes/n{i:05}.txt"),
        })
        .collect();
    stream::iter(keys.iter().cloned())
        .for_each_concurrent(64, |key| {
            let client = client.clone();
            async move {
                client
                    .put_object()
                    .bucket("uploads")
                    .key(&key)
                    .body(key.clone().into_bytes().into())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{key}: {e:?}"));
            }
        })
        .await;

    let summary = inventory::handle(world.buckets.as_ref(), &input("BIG", "run-1"))
        .await
        .unwrap();
    let summary_json = serde_json::to_vec(&summary).unwrap();
    assert!(summary_json.len() < 2048, "{} bytes", summary_json.len());
    assert_eq!(summary.objects, 10_000);
    assert_eq!(summary.classes[&Class::Raw].files, 2_500);
    assert_eq!(summary.classes[&Class::Grid].files, 2_500);

    let written = inventory::read(world.buckets.as_ref(), &summary)
        .await
        .unwrap();
    assert_eq!(written.objects.len(), 10_000);
    // Streamed CIDs are the content's (each object holds its own key).
    for entry in written.objects.iter().step_by(997) {
        let key = format!("BIG/{}", entry.path);
        assert_eq!(entry.cid, cid_of_bytes(key.as_bytes()).to_string());
    }
    assert_eq!(
        written.manifest().unwrap().cid().to_string(),
        summary.manifest
    );

    // Plan's answer lists the grids the products branch maps over: 2,500 of them is the
    // largest Map input a survey of this size makes, and it still fits.
    let plan_input = PlanInput {
        survey: "BIG".into(),
        inventory: summary,
        parameters: Map::new(),
        processor_exports: vec![
            "s3://work/processor/BIG/BIG.tif".into(),
            "s3://work/processor/BIG/BIG.bag".into(),
        ],
    };
    assert!(serde_json::to_vec(&plan_input).unwrap().len() < PAYLOAD_LIMIT);
    let plan = plan::handle(world.buckets.as_ref(), &Predicates::default(), &plan_input)
        .await
        .unwrap();
    assert!(plan.processor.run && plan.products.run);
    assert_eq!(plan.processor.raw, "raw/*.all");
    assert_eq!(plan.processor.input_format, "KONGSBERG");
    assert_eq!(plan.grids.len(), 2_502);
    let plan_json = serde_json::to_vec(&plan).unwrap();
    assert!(plan_json.len() < PAYLOAD_LIMIT, "{} bytes", plan_json.len());
}

#[tokio::test]
async fn recorded_cids_are_used_and_hostile_keys_are_reported_not_read() {
    let world = World::new().await;
    let uploads = world.buckets.bucket("uploads");
    // Written through core: the CID travels as metadata, so it is read, not recomputed.
    uploads
        .put_bytes(&Key::new("H3/raw/a.kmall").unwrap(), b"kmall".to_vec())
        .await
        .unwrap();
    world.put("uploads", "H3/vessel.hvf", b"vessel").await;
    // (A control character cannot be tested here: core's S3 listing does not ask for
    // `encoding-type=url`, so such a key breaks the XML of the whole listing.)
    for hostile in ["H3/../escape.bag", "H3/a//b.tif", "H3/./dot.all"] {
        world.put("uploads", hostile, b"x").await;
    }
    let summary = inventory::handle(world.buckets.as_ref(), &input("H3", "run-1"))
        .await
        .unwrap();
    assert_eq!(summary.objects, 2);
    assert_eq!(summary.rejected, 3);
    let written = inventory::read(world.buckets.as_ref(), &summary)
        .await
        .unwrap();
    let paths: Vec<(&str, Class)> = written
        .objects
        .iter()
        .map(|e| (e.path.as_str(), e.class))
        .collect();
    assert_eq!(
        paths,
        [("raw/a.kmall", Class::Raw), ("vessel.hvf", Class::Vessel)]
    );
    assert_eq!(written.objects[0].cid, cid_of_bytes(b"kmall").to_string());
    let rejected: Vec<&str> = written.rejected.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");

    // A survey's predicates override the defaults.
    let plan_input = PlanInput {
        survey: "H3".into(),
        inventory: summary,
        parameters: json!({"predicates": {"processor": {"all": [
            {"any_file": {"class": "raw"}},
            {"any_file": {"class": "auxiliary"}}
        ]}}})
        .as_object()
        .cloned()
        .unwrap(),
        processor_exports: vec![],
    };
    let plan = plan::handle(world.buckets.as_ref(), &Predicates::default(), &plan_input)
        .await
        .unwrap();
    assert!(!plan.processor.run);
    assert_eq!(
        plan.processor.reason,
        "no file matches class like \"auxiliary\""
    );
    assert!(!plan.products.run);
}

struct FixedImages;

#[async_trait]
impl Images for FixedImages {
    async fn digests(&self, tasks: &[TaskRef]) -> Result<BTreeMap<String, String>, PublishError> {
        assert!(tasks.is_empty(), "a Pass machine runs no Fargate task");
        Ok(BTreeMap::from([(
            "leadline/qc:1".to_owned(),
            "sha256:0123".to_owned(),
        )]))
    }
}

#[tokio::test]
async fn publish_copies_once_and_writes_the_composite_manifest() {
    let world = World::new().await;
    world.put("uploads", "H4/grids/a.bag", b"grid").await;
    let summary = inventory::handle(world.buckets.as_ref(), &input("H4", "run-1"))
        .await
        .unwrap();
    let work = world.buckets.bucket("work");
    for (name, body) in [("a_qc.json", &b"{\"ok\":true}"[..]), ("cog/a.tif", b"cog")] {
        work.put_bytes(
            &Key::new(format!("H4/run-1/products/{name}")).unwrap(),
            body.to_vec(),
        )
        .await
        .unwrap();
    }
    let executions = world.machine("survey", SUCCEEDS).await;
    let started = executions.start("run-1", "{}").await.unwrap();
    common::finished(executions.as_ref(), started.arn()).await;

    let publisher = Publisher {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
        images: Arc::new(FixedImages),
    };
    let payload = PublishInput {
        survey: "H4".into(),
        work: "s3://work/H4/run-1/".into(),
        inventory: summary.clone(),
        processor: json!({"status": "skipped", "reason": "no raw"}),
        products: json!({"status": "succeeded", "grids": 1}),
        processor_exports: vec![],
        release: Some("0.1.0".into()),
        execution: started.arn().to_owned(),
        state_machine: executions.state_machine().to_owned(),
        bucket: "products".into(),
    };
    let first = publisher.handle(&payload).await.unwrap();
    assert_eq!((first.copied, first.skipped, first.outputs), (2, 0, 2));
    assert_eq!(first.location, "s3://products/H4/run-1/");

    let products = world.buckets.bucket("products");
    let outputs = Manifest::from_dag_cbor(
        &products
            .get_bytes(&Key::new("H4/run-1/outputs.cbor").unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(outputs.get("cog/a.tif"), Some(&cid_of_bytes(b"cog")));
    let composite = Manifest::from_dag_cbor(
        &products
            .get_bytes(&Key::new("H4/run-1/manifest.cbor").unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(composite.cid().to_string(), first.cid);
    assert_eq!(composite.get("outputs"), Some(&outputs.cid()));
    assert_eq!(
        composite.get("inventory").map(|c| c.to_string()),
        Some(summary.manifest.clone())
    );
    let provenance = products
        .get_bytes(&Key::new("H4/run-1/provenance.json").unwrap())
        .await
        .unwrap();
    assert_eq!(
        composite.get("provenance"),
        Some(&cid_of_bytes(&provenance))
    );
    let document: Value = serde_json::from_slice(
        &products
            .get_bytes(&Key::new("H4/run-1/manifest.json").unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(document["cid"], first.cid.as_str());
    assert_eq!(
        document["provenance"]["publisher"],
        json!({"version": env!("CARGO_PKG_VERSION"), "commit": leadline_lambdas::GIT_COMMIT})
    );
    assert_eq!(document["provenance"]["release"], "0.1.0");
    assert_eq!(
        document["provenance"]["state_machine"],
        executions.state_machine()
    );
    assert_eq!(
        document["provenance"]["images"]["leadline/qc:1"],
        "sha256:0123"
    );
    assert_eq!(
        document["provenance"]["branches"]["processor"]["status"],
        "skipped"
    );

    // A retried publish copies nothing and names the same run.
    let again = publisher.handle(&payload).await.unwrap();
    assert_eq!((again.copied, again.skipped), (0, 2));
    assert_eq!(again.cid, first.cid);
}

/// Runs `script` through leadline-runner as a product job of run `run-1` of survey `survey`:
/// outputs and job record go to the run's work prefix, as on Fargate.
async fn product_job(
    buckets: &dyn Buckets,
    survey: &str,
    step: &str,
    tool: &str,
    script: &str,
    cache: bool,
) -> TaskResult {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("grid")).unwrap();
    std::fs::write(dir.path().join("grid/a.bag"), b"grid").unwrap();
    let work = buckets.bucket("work");
    let place = |prefix: String| Place {
        store: work.clone(),
        prefix: leadline_core::key::Prefix::new(prefix).unwrap(),
    };
    let spec = JobSpec {
        command: CommandSpec::from_argv(&["sh".into(), "-c".into(), script.into()]).unwrap(),
        inputs_dir: dir.path().join("in"),
        outputs_dir: dir.path().join("out"),
        sources: vec![dir.path().join("grid").display().to_string()],
        publish: Some(place(format!("{survey}/run-1/products/"))),
        cache: cache.then(|| place("cache/".into())),
        step: step.into(),
        tool: tool.into(),
        run: RunOptions::default(),
    };
    match run_job(&spec, None, std::future::pending()).await {
        JobOutcome::Succeeded(result) => result,
        JobOutcome::Failed(failure) => panic!("{step}: {failure:?}"),
    }
}

/// The Fargate jobs' records reach the run manifest: step, tool, cache use and the outputs'
/// manifest of each job, and the tool versions they reported.
async fn jobs_reach_the_run_manifest(world: &World, buckets: Arc<dyn Buckets>) {
    let uploads = buckets.bucket("uploads");
    uploads
        .put_bytes(&Key::new("J1/grids/a.bag").unwrap(), b"grid".to_vec())
        .await
        .unwrap();
    let summary = inventory::handle(buckets.as_ref(), &input("J1", "run-1"))
        .await
        .unwrap();
    let cog = product_job(
        buckets.as_ref(),
        "J1",
        "cog",
        "leadline/gdal:7",
        r#"cp a.bag "$LEADLINE_OUTPUTS/a_cog.tif"; echo '{"tool": "gdal", "version": "3.6.2"}'"#,
        false,
    )
    .await;
    let qc_script = r#"printf '{"ok":true}' > "$LEADLINE_OUTPUTS/a_qc.json""#;
    let qc = product_job(
        buckets.as_ref(),
        "J1",
        "qc",
        "leadline/qc:7",
        qc_script,
        true,
    )
    .await;
    // A redriven QC is a cache hit: its record says so.
    let qc_again = product_job(
        buckets.as_ref(),
        "J1",
        "qc",
        "leadline/qc:7",
        qc_script,
        true,
    )
    .await;
    assert!(!qc.cached && qc_again.cached);

    let executions = world.machine("survey", SUCCEEDS).await;
    let started = executions.start("run-1", "{}").await.unwrap();
    common::finished(executions.as_ref(), started.arn()).await;
    let publisher = Publisher {
        buckets: buckets.clone(),
        executions: executions.clone(),
        images: Arc::new(FixedImages),
    };
    let payload = PublishInput {
        survey: "J1".into(),
        work: "s3://work/J1/run-1/".into(),
        inventory: summary,
        processor: json!({"status": "skipped", "reason": "no raw"}),
        products: json!({"status": "succeeded", "grids": 1}),
        processor_exports: vec!["s3://work/processor/J1/J1.bag".into()],
        release: Some("0.1.0".into()),
        execution: started.arn().to_owned(),
        state_machine: executions.state_machine().to_owned(),
        bucket: "products".into(),
    };
    let published = publisher.handle(&payload).await.unwrap();
    // Two products and the two job records, published as provenance beside them.
    assert_eq!(published.outputs, 4);

    let products = buckets.bucket("products");
    let document: Value = serde_json::from_slice(
        &products
            .get_bytes(&Key::new("J1/run-1/manifest.json").unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    let provenance = &document["provenance"];
    let mut jobs = provenance["jobs"].as_array().unwrap().clone();
    jobs.sort_by_key(|job| job["step"].to_string());
    assert_eq!(
        jobs,
        [
            json!({"step": "cog", "tool": "leadline/gdal:7", "cached": false,
                   "manifest": cog.manifest, "inputs": cog.inputs}),
            json!({"step": "qc", "tool": "leadline/qc:7", "cached": true,
                   "manifest": qc.manifest, "inputs": qc.inputs}),
        ]
    );
    assert_eq!(provenance["tools"], json!({"gdal": "3.6.2"}));
    let records: Vec<&str> = document["outputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|name| name.starts_with(".leadline/jobs/"))
        .collect();
    assert_eq!(records.len(), 2, "{}", document["outputs"]);
}

#[tokio::test]
async fn job_records_reach_the_run_manifest_in_s3() {
    let world = World::new().await;
    let buckets = world.buckets.clone();
    jobs_reach_the_run_manifest(&world, buckets).await;
}

#[tokio::test]
async fn job_records_reach_the_run_manifest_in_folders() {
    let world = World::new().await;
    let dir = tempfile::tempdir().unwrap();
    jobs_reach_the_run_manifest(&world, Arc::new(DirBuckets::new(dir.path()))).await;
}

#[tokio::test]
async fn processor_exports_are_published_only_when_the_processor_ran() {
    let world = World::new().await;
    world.put("uploads", "P1/raw/line.all", b"raw").await;
    let summary = inventory::handle(world.buckets.as_ref(), &input("P1", "run-1"))
        .await
        .unwrap();
    // The worker's checkpoint sync leaves the exports in the survey's checkpoint folder; they
    // stay there after the run.
    let work = world.buckets.bucket("work");
    for (name, body) in [("P1.tif", &b"geotiff"[..]), ("P1.bag", b"bag")] {
        work.put_bytes(
            &Key::new(format!("processor/P1/{name}")).unwrap(),
            body.to_vec(),
        )
        .await
        .unwrap();
    }
    let executions = world.machine("survey", SUCCEEDS).await;
    let publisher = Publisher {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
        images: Arc::new(FixedImages),
    };
    let products = world.buckets.bucket("products");
    let published_names = |run: &'static str| {
        let products = products.clone();
        async move {
            products
                .list_all(&leadline_core::key::Prefix::new(format!("P1/{run}/outputs")).unwrap())
                .await
                .unwrap()
                .objects
                .into_iter()
                .map(|o| o.key.to_string())
                .collect::<Vec<_>>()
        }
    };
    let payload = |run: &str, arn: &str, processor: Value, exports: &[&str]| PublishInput {
        survey: "P1".into(),
        work: format!("s3://work/P1/{run}/"),
        inventory: summary.clone(),
        processor,
        products: json!({"status": "succeeded", "grids": 2}),
        processor_exports: exports.iter().map(|e| e.to_string()).collect(),
        release: Some("0.1.0".into()),
        execution: arn.to_owned(),
        state_machine: executions.state_machine().to_owned(),
        bucket: "products".into(),
    };
    let exports = [
        "s3://work/processor/P1/P1.tif",
        "s3://work/processor/P1/P1.bag",
    ];

    let ran = executions.start("ran", "{}").await.unwrap();
    common::finished(executions.as_ref(), ran.arn()).await;
    let first = payload("ran", ran.arn(), json!({"status": "succeeded"}), &exports);
    let published = publisher.handle(&first).await.unwrap();
    assert_eq!((published.copied, published.outputs), (2, 2));
    assert_eq!(
        published_names("ran").await,
        [
            "P1/ran/outputs/processor/P1.bag",
            "P1/ran/outputs/processor/P1.tif"
        ]
    );
    let outputs = Manifest::from_dag_cbor(
        &products
            .get_bytes(&Key::new("P1/ran/outputs.cbor").unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(outputs.get("processor/P1.bag"), Some(&cid_of_bytes(b"bag")));
    // A retried publish finds them there.
    let again = publisher.handle(&first).await.unwrap();
    assert_eq!((again.copied, again.skipped), (0, 2));
    assert_eq!(again.cid, published.cid);

    // Plan skipped the processor: last run's exports in the checkpoint folder are not this run's.
    let skipped = executions.start("skipped", "{}").await.unwrap();
    common::finished(executions.as_ref(), skipped.arn()).await;
    let processor = json!({"status": "skipped", "reason": "no raw sonar"});
    let published = publisher
        .handle(&payload("skipped", skipped.arn(), processor, &exports))
        .await
        .unwrap();
    assert_eq!((published.copied, published.outputs), (0, 0));
    assert!(published_names("skipped").await.is_empty());

    // The processor ran, but an export is missing: named, and the run is not marked published.
    work.delete(&Key::new("processor/P1/P1.bag").unwrap())
        .await
        .unwrap();
    let missing = executions.start("missing", "{}").await.unwrap();
    common::finished(executions.as_ref(), missing.arn()).await;
    let processor = json!({"status": "succeeded"});
    let error = publisher
        .handle(&payload("missing", missing.arn(), processor, &exports))
        .await
        .unwrap_err();
    assert!(matches!(error, PublishError::ExportMissing(_)), "{error}");
    assert!(error.to_string().contains(exports[1]), "{error}");
    assert!(products
        .head(&Key::new("P1/missing/manifest.cbor").unwrap())
        .await
        .unwrap()
        .is_none());

    // A payload whose processor result is neither status publishes nothing.
    let processor = json!({"status": "running"});
    let error = publisher
        .handle(&payload("odd", missing.arn(), processor, &exports))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("running"), "{error}");
}
