//! The rendered state machines and the handlers agree on each Lambda's payload: serde ignores
//! unknown fields and defaults missing ones, so a misspelt key in the template would otherwise
//! pass every other test and silently drop, say, the processor's exports.

use std::collections::BTreeSet;
use std::path::Path;

use leadline_core::key::Key;
use leadline_lambdas::buckets::{Buckets, DirBuckets};
use leadline_lambdas::inventory::{self, InventoryInput};
use leadline_lambdas::plan::PlanInput;
use leadline_lambdas::publish::PublishInput;
use serde_json::{Map, Value};

fn fields(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(|key| key.strip_suffix(".$").unwrap_or(key).to_owned())
        .collect()
}

#[tokio::test]
async fn every_lambda_payload_has_exactly_its_handlers_fields() {
    let dir = tempfile::tempdir().unwrap();
    let buckets = DirBuckets::new(dir.path());
    buckets
        .bucket("uploads")
        .put_bytes(&Key::new("S1/a.bag").unwrap(), b"grid".to_vec())
        .await
        .unwrap();
    let inventory_input = InventoryInput {
        survey: "S1".into(),
        upload: "s3://uploads/S1/".into(),
        work: "s3://work/S1/run-1/".into(),
    };
    let summary = inventory::handle(&buckets, &inventory_input).await.unwrap();
    let plan_input = PlanInput {
        survey: "S1".into(),
        inventory: summary.clone(),
        parameters: Map::new(),
        processor_exports: vec![],
    };
    let publish_input = PublishInput {
        survey: "S1".into(),
        work: "s3://work/S1/run-1/".into(),
        inventory: summary,
        processor: Value::Null,
        products: Value::Null,
        processor_exports: vec![],
        release: None,
        execution: "arn:aws:states:us-east-1:000000000000:execution:survey:run-1".into(),
        state_machine: "arn:aws:states:us-east-1:000000000000:stateMachine:survey".into(),
        bucket: "products".into(),
    };
    let expected = [
        ("Inventory", serde_json::to_value(&inventory_input).unwrap()),
        ("Plan", serde_json::to_value(&plan_input).unwrap()),
        ("Publish", serde_json::to_value(&publish_input).unwrap()),
    ];

    let machines = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../state-machines");
    let mut checked = 0;
    for entry in std::fs::read_dir(&machines).unwrap() {
        let path = entry.unwrap().path().join("survey.asl.json");
        let machine: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for (state, input) in &expected {
            let payload = &machine["States"][state]["Parameters"]["Payload"];
            assert_eq!(
                fields(payload),
                fields(input),
                "{state} in {}",
                path.display()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 3, "local, dev and prod");
}
