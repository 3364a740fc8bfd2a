//! Shared set-up for the Lambdas' tests against moto.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::executions::{Executions, SfnExecutions, Status};
use leadline_testkit::Moto;

pub const ROLE: &str = "arn:aws:iam::123456789012:role/leadline-test";

pub struct World {
    pub moto: Moto,
    pub buckets: Arc<S3Buckets>,
}

impl World {
    pub async fn new() -> Self {
        let moto = Moto::start();
        moto.execute_state_machines();
        for bucket in ["uploads", "work", "products"] {
            moto.create_bucket(bucket).await;
        }
        let buckets = Arc::new(S3Buckets::new(moto.s3_client()));
        Self { moto, buckets }
    }

    /// A state machine with `definition`, and the executions of it.
    pub async fn machine(&self, name: &str, definition: &str) -> Arc<SfnExecutions> {
        let client = self.moto.sfn_client();
        let created = client
            .create_state_machine()
            .name(name)
            .definition(definition)
            .role_arn(ROLE)
            .send()
            .await
            .unwrap();
        Arc::new(SfnExecutions::new(client, created.state_machine_arn()))
    }

    pub async fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        self.moto
            .s3_client()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    }
}

pub const SUCCEEDS: &str = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#;
pub const FAILS: &str = r#"{"StartAt": "Check", "States": {
    "Check": {"Type": "Pass", "Next": "Broken"},
    "Broken": {"Type": "Fail", "Error": "Leadline.Test", "Cause": "failed on purpose"}}}"#;
pub const WAITS: &str =
    r#"{"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": true}}}"#;

/// Polls until the execution leaves RUNNING (moto runs machines on a thread of its own).
pub async fn finished(executions: &dyn Executions, arn: &str) -> Status {
    for _ in 0..600 {
        let status = executions.describe(arn).await.unwrap().summary.status;
        if status != Status::Running {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{arn} is still running after 600 polls");
}

/// Polls until the execution has entered `state`.
pub async fn entered(executions: &dyn Executions, arn: &str, state: &str) {
    for _ in 0..600 {
        let history = executions.history(arn).await.unwrap();
        if history.iter().any(|e| e.state.as_deref() == Some(state)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{arn} never entered {state}");
}
