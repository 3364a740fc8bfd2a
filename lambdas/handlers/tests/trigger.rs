//! The trigger against moto (S3 and Step Functions through the AWS SDK).

mod common;

use common::{World, SUCCEEDS, WAITS};
use leadline_lambdas::executions::Executions;
use leadline_lambdas::trigger::{Trigger, TriggerError, TriggerEvent};
use serde_json::{json, Value};

fn s3_event(bucket: &str, key: &str) -> TriggerEvent {
    TriggerEvent::parse(json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T01:02:03.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:TEST"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "done",
               "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": key, "size": 0, "sequencer": "0A1B2C"}}
    }]}))
    .unwrap()
}

fn eventbridge_event(bucket: &str, key: &str) -> TriggerEvent {
    TriggerEvent::parse(json!({
        "version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "time": "2026-11-23T01:02:03Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{bucket}")],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 0, "etag": "d41d8cd98f00b204e9800998ecf8427e"},
                   "reason": "PutObject"}
    }))
    .unwrap()
}

async fn upload(world: &World, survey: &str) {
    world
        .put("uploads", &format!("{survey}/raw/0001.all"), b"sonar")
        .await;
    world
        .put("uploads", &format!("{survey}/grids/a.bag"), b"grid")
        .await;
    world.put("uploads", &format!("{survey}/.done"), b"").await;
}

#[tokio::test]
async fn duplicate_done_events_start_exactly_one_execution() {
    let world = World::new().await;
    // One machine that keeps running (duplicates answer with the same execution) and one that
    // finishes (duplicates meet ExecutionAlreadyExists): both count as started once.
    for (machine, definition) in [("holds", WAITS), ("passes", SUCCEEDS)] {
        let executions = world.machine(machine, definition).await;
        let trigger = Trigger {
            buckets: world.buckets.clone(),
            executions: executions.clone(),
        };
        upload(&world, "H12604").await;
        let first = trigger
            .handle(s3_event("uploads", "H12604/.done"))
            .await
            .unwrap();
        assert_eq!(first.started.len(), 1);
        let run = &first.started[0];
        assert!(run.new);
        assert!(run.name.starts_with("H12604-") && run.name.len() <= 80);
        if definition == SUCCEEDS {
            common::finished(executions.as_ref(), &run.arn).await;
        }
        for event in [
            s3_event("uploads", "H12604/.done"),
            eventbridge_event("uploads", "H12604/.done"),
            s3_event("uploads", "H12604/.done"),
        ] {
            let again = trigger.handle(event).await.unwrap();
            assert!(!again.started[0].new);
            assert_eq!(again.started[0].name, run.name);
            assert_eq!(again.started[0].arn, run.arn);
        }
        let listed = executions.list(None, 100, None).await.unwrap();
        assert_eq!(listed.executions.len(), 1, "{machine}: {listed:?}");

        let described = executions.describe(&run.arn).await.unwrap();
        let input: Value = serde_json::from_str(described.input.as_deref().unwrap()).unwrap();
        assert_eq!(
            input,
            json!({"survey": "H12604", "bucket": "uploads", "prefix": "H12604/", "parameters": {}})
        );
    }
}

#[tokio::test]
async fn a_changed_upload_is_a_new_run_and_other_keys_are_ignored() {
    let world = World::new().await;
    let executions = world.machine("survey", SUCCEEDS).await;
    let trigger = Trigger {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
    };
    upload(&world, "H1").await;
    let ignored = trigger
        .handle(s3_event("uploads", "H1/raw/0001.all"))
        .await
        .unwrap();
    assert!(ignored.started.is_empty());
    assert_eq!(ignored.ignored, ["H1/raw/0001.all"]);

    let first = trigger
        .handle(s3_event("uploads", "H1/.done"))
        .await
        .unwrap();
    world.put("uploads", "H1/raw/0002.all", b"more").await;
    let second = trigger
        .handle(s3_event("uploads", "H1/.done"))
        .await
        .unwrap();
    assert_ne!(first.started[0].name, second.started[0].name);
    assert!(second.started[0].new);
}

#[tokio::test]
async fn url_encoded_and_hostile_keys() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let trigger = Trigger {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
    };
    // S3 notifications form-encode keys: "Hé 1+2/.done" arrives as "H%C3%A9+1%2B2/.done".
    upload(&world, "Hé 1+2").await;
    let report = trigger
        .handle(s3_event("uploads", "H%C3%A9+1%2B2/.done"))
        .await
        .unwrap();
    let run = &report.started[0];
    assert_eq!(run.survey, "Hé 1+2");
    assert!(run.name.starts_with("H__1_2-"), "{}", run.name);
    assert!(run
        .name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let input: Value = serde_json::from_str(
        executions
            .describe(&run.arn)
            .await
            .unwrap()
            .input
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(input["prefix"], "Hé 1+2/");

    // Keys that would escape their prefix or smuggle control characters start nothing.
    for key in [
        "..%2Fetc/.done",
        "a/../b/.done",
        "a//.done",
        "%2F.done",
        "H1%0A/.done",
        "./.done",
    ] {
        let error = trigger.handle(s3_event("uploads", key)).await.unwrap_err();
        assert!(matches!(error, TriggerError::Key(_)), "{key}: {error}");
    }
    assert_eq!(
        executions
            .list(None, 100, None)
            .await
            .unwrap()
            .executions
            .len(),
        1
    );
}

#[tokio::test]
async fn leadline_toml_is_validated_before_anything_starts() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let trigger = Trigger {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
    };
    upload(&world, "BAD").await;
    world
        .put(
            "uploads",
            "BAD/leadline.toml",
            b"resolution = \"0.5m\"\niho_order = \"S44_9\"\n",
        )
        .await;
    let error = trigger
        .handle(s3_event("uploads", "BAD/.done"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("s3://uploads/BAD/leadline.toml")
            && message.contains("`iho_order` = \"S44_9\"")
            && message.contains("no run was started"),
        "{message}"
    );
    assert!(executions
        .list(None, 100, None)
        .await
        .unwrap()
        .executions
        .is_empty());

    // Fixed, the same upload starts, with its parameters and predicates in the input.
    world
        .put(
            "uploads",
            "BAD/leadline.toml",
            b"iho_order = \"S44_SPECIAL\"\n[predicates]\nprocessor = false\n",
        )
        .await;
    let report = trigger
        .handle(s3_event("uploads", "BAD/.done"))
        .await
        .unwrap();
    let described = executions.describe(&report.started[0].arn).await.unwrap();
    let input: Value = serde_json::from_str(described.input.as_deref().unwrap()).unwrap();
    assert_eq!(
        input["parameters"],
        json!({"iho_order": "S44_SPECIAL", "predicates": {"processor": false}})
    );
}

#[tokio::test]
async fn an_event_without_its_done_object_starts_nothing() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let trigger = Trigger {
        buckets: world.buckets.clone(),
        executions: executions.clone(),
    };
    world.put("uploads", "H2/raw/0001.all", b"sonar").await;
    let error = trigger
        .handle(s3_event("uploads", "H2/.done"))
        .await
        .unwrap_err();
    assert!(matches!(error, TriggerError::Incomplete { .. }), "{error}");
    assert!(executions
        .list(None, 100, None)
        .await
        .unwrap()
        .executions
        .is_empty());
}
