//! Reporting a task back to Step Functions by its task token: heartbeats while the command runs,
//! then success or failure. A trait, so the local engine and tests can stand in for AWS.

use async_trait::async_trait;
use serde_json::Value;

use crate::contract::TaskFailure;

#[derive(Debug, thiserror::Error)]
#[error("Step Functions {operation} failed: {message}")]
pub struct TaskApiError {
    pub operation: &'static str,
    pub message: String,
}

#[async_trait]
pub trait TaskReporter: Send + Sync {
    async fn heartbeat(&self, token: &str) -> Result<(), TaskApiError>;
    async fn succeed(&self, token: &str, output: &Value) -> Result<(), TaskApiError>;
    async fn fail(&self, token: &str, failure: &TaskFailure) -> Result<(), TaskApiError>;
}

/// The Step Functions API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct Sfn {
    pub client: aws_sdk_sfn::Client,
}

impl Sfn {
    /// A client from the default credential chain; `AWS_ENDPOINT_URL` redirects it (local twin).
    pub async fn from_env() -> Self {
        let config = aws_config::load_from_env().await;
        Self {
            client: aws_sdk_sfn::Client::new(&config),
        }
    }
}

/// Renders an SDK error with its service message, which `Display` alone leaves out.
pub fn sdk_message<E: std::error::Error + 'static>(error: &E) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

#[async_trait]
impl TaskReporter for Sfn {
    async fn heartbeat(&self, token: &str) -> Result<(), TaskApiError> {
        self.client
            .send_task_heartbeat()
            .task_token(token)
            .send()
            .await
            .map(drop)
            .map_err(|e| TaskApiError {
                operation: "SendTaskHeartbeat",
                message: sdk_message(&e),
            })
    }

    async fn succeed(&self, token: &str, output: &Value) -> Result<(), TaskApiError> {
        self.client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await
            .map(drop)
            .map_err(|e| TaskApiError {
                operation: "SendTaskSuccess",
                message: sdk_message(&e),
            })
    }

    async fn fail(&self, token: &str, failure: &TaskFailure) -> Result<(), TaskApiError> {
        self.client
            .send_task_failure()
            .task_token(token)
            .error(&failure.error)
            .cause(&failure.cause)
            .send()
            .await
            .map(drop)
            .map_err(|e| TaskApiError {
                operation: "SendTaskFailure",
                message: sdk_message(&e),
            })
    }
}
