//! The notify Lambda: execution status changes → webhooks listed in Secrets Manager.

use std::sync::Arc;

use anyhow::Context;
use lambda_runtime::{service_fn, LambdaEvent};
use leadline_lambdas::executions::SfnExecutions;
use leadline_lambdas::notify::{HttpPoster, Notifier, SecretsManagerWebhooks, StatusEvent};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadline_lambdas::init_logging();
    tracing::info!(commit = leadline_lambdas::GIT_COMMIT, "notify");
    let secret_id = std::env::var("LEADLINE_WEBHOOKS_SECRET")
        .context("LEADLINE_WEBHOOKS_SECRET must name the secret listing the webhooks")?;
    let shared = leadline_lambdas::aws_config().await;
    let notifier = Notifier {
        webhooks: Arc::new(SecretsManagerWebhooks {
            client: aws_sdk_secretsmanager::Client::new(&shared),
            secret_id,
        }),
        poster: Arc::new(HttpPoster::new().map_err(anyhow::Error::msg)?),
        // The event names the execution; the history only adds the failing step.
        executions: Some(Arc::new(SfnExecutions::new(
            aws_sdk_sfn::Client::new(&shared),
            "",
        ))),
        link: std::env::var("LEADLINE_RUN_LINK").ok(),
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(|event: LambdaEvent<StatusEvent>| async move {
        Ok::<_, lambda_runtime::Error>(notifier.handle(&event.payload.detail).await)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("the Lambda runtime stopped")
}
