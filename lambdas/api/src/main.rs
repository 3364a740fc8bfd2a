//! The api Lambda: API Gateway HTTP API (payload v2) → the run API's routes.

use std::sync::Arc;

use anyhow::Context;
use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::api::{handle, Api};
use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::executions::SfnExecutions;

fn required(name: &str, what: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} must name {what}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "api");
    let state_machine = required("LEADLINE_STATE_MACHINE_ARN", "the survey state machine")?;
    let uploads = required("LEADLINE_UPLOADS_BUCKET", "the uploads bucket")?;
    let products = required("LEADLINE_PRODUCTS_BUCKET", "the products bucket")?;
    let shared = leadline_lambdas::aws_config().await;
    let api = Api {
        executions: Arc::new(SfnExecutions::new(
            aws_sdk_sfn::Client::new(&shared),
            state_machine,
        )),
        buckets: Arc::new(S3Buckets::new(leadline_lambdas::s3_client(&shared))),
        uploads,
        products,
    };
    let api = &api;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, lambda_runtime::Error>(handle(api, &event.payload).await)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
