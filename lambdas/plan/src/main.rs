//! The plan Lambda: which branches run, by the predicates of the environment
//! (`LEADLINE_PREDICATES`, JSON) and the survey's leadline.toml.

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::buckets::S3Buckets;
use leadline_lambdas::plan::{handle, PlanInput, Predicates};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "plan");
    let configured = std::env::var("LEADLINE_PREDICATES").ok();
    let predicates =
        Predicates::from_config(configured.as_deref()).context("LEADLINE_PREDICATES")?;
    let shared = leadline_lambdas::aws_config().await;
    let buckets = S3Buckets::new(leadline_lambdas::s3_client(&shared));
    let (buckets, predicates) = (&buckets, &predicates);
    lambda_runtime::run(service_fn(|event: LambdaEvent<PlanInput>| async move {
        Ok::<_, lambda_runtime::Error>(handle(buckets, predicates, &event.payload).await?)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
