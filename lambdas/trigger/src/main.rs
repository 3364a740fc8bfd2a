//! The trigger Lambda: S3 (or EventBridge) "object created" → one execution per completed upload.

use std::sync::Arc;

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::executions::SfnExecutions;
use leadline_lambdas::trigger::{Trigger, TriggerEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "trigger");
    let state_machine = std::env::var("LEADLINE_STATE_MACHINE_ARN")
        .context("LEADLINE_STATE_MACHINE_ARN must name the survey state machine (or its alias)")?;
    let shared = leadline_lambdas::aws_config().await;
    let trigger = Trigger {
        buckets: Arc::new(S3Buckets::new(leadline_lambdas::s3_client(&shared))),
        executions: Arc::new(SfnExecutions::new(
            aws_sdk_sfn::Client::new(&shared),
            state_machine,
        )),
    };
    let trigger = &trigger;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let event = TriggerEvent::parse(event.payload)?;
        Ok::<_, lambda_runtime::Error>(trigger.handle(event).await?)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
