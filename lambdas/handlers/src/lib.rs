//! The handlers of Leadline's Lambdas. Each module owns one function's logic as a plain async
//! function over typed input, with its AWS clients behind traits ([`buckets::Buckets`],
//! [`executions::Executions`], …), so the binaries under `lambdas/<name>` only wire clients and
//! the local twin calls the same code in-process:
//!
//! - [`trigger`]: `<survey>/.done` → one execution per upload, named by content;
//! - [`inventory`]: list, CID and classify an upload, write `inventory.json`;
//! - [`plan`]: decide the branches with core's predicates;
//! - [`publish`]: copy outputs to the products bucket, write the run manifest with provenance;
//! - [`api`]: the run API's routes (shared with the twin's HTTP server);
//! - [`notify`]: execution status changes → webhooks.

pub mod api;
pub mod buckets;
pub mod classify;
pub mod executions;
pub mod inventory;
pub mod notify;
pub mod parameters;
pub mod plan;
pub mod publish;
pub mod trigger;

/// The git commit this build comes from (DESIGN §3, provenance).
pub const GIT_COMMIT: &str = env!("LEADLINE_GIT_COMMIT");

/// Logs to stderr (CloudWatch on Lambda) at `LEADLINE_LOG` (default `info`), without ANSI
/// colours, which CloudWatch would show as garbage.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
}

/// The shared AWS configuration, from the default chain. A custom endpoint (moto, MinIO, the
/// local twin) gets path-style S3 addressing, as in core's `S3Store::from_env`.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

pub fn s3_client(shared: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = shared
        .endpoint_url()
        .is_some_and(|url| !url.contains("amazonaws.com"));
    let config = aws_sdk_s3::config::Builder::from(shared)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
