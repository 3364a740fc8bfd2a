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
use leadline_lambdas::buckets::Buckets;
use leadline_lambdas::classify::Class;
use leadline_lambdas::executions::Executions;
use leadline_lambdas::inventory::{self, InventoryInput};
use leadline_lambdas::plan::{self, PlanInput, Predicates};
use leadline_lambdas::publish::{Images, PublishError, PublishInput, Publisher, TaskRef};
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
        document["provenance"]["publisher_commit"],
        leadline_lambdas::GIT_COMMIT
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
