//! The publish Lambda: outputs to the products bucket, the run manifest with provenance.

use std::sync::Arc;

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::executions::SfnExecutions;
use leadline_lambdas::publish::{EcsImages, PublishInput, Publisher};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "publish");
    let shared = leadline_lambdas::aws_config().await;
    let publisher = Publisher {
        buckets: Arc::new(S3Buckets::new(leadline_lambdas::s3_client(&shared))),
        // Publish reads executions by the ARN its payload names, never by state machine.
        executions: Arc::new(SfnExecutions::new(aws_sdk_sfn::Client::new(&shared), "")),
        images: Arc::new(EcsImages {
            client: aws_sdk_ecs::Client::new(&shared),
        }),
    };
    let publisher = &publisher;
    lambda_runtime::run(service_fn(|event: LambdaEvent<PublishInput>| async move {
        Ok::<_, lambda_runtime::Error>(publisher.handle(&event.payload).await?)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
