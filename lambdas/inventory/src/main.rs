//! The inventory Lambda: list, CID and classify an upload; write inventory.json.

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::inventory::{handle, InventoryInput};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "inventory");
    let shared = leadline_lambdas::aws_config().await;
    let buckets = S3Buckets::new(leadline_lambdas::s3_client(&shared));
    let buckets = &buckets;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<InventoryInput>| async move {
            Ok::<_, lambda_runtime::Error>(handle(buckets, &event.payload).await?)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
