//! The activity side of the Step Functions API: a trait over `GetActivityTask` on top of the task
//! reporting the job runner already has, implemented by the AWS SDK client.

use async_trait::async_trait;
use leadline_runner::task_api::{sdk_message, Sfn, TaskApiError, TaskReporter};

/// One task handed to this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTask {
    pub token: String,
    pub input: String,
}

#[async_trait]
pub trait ActivityApi: TaskReporter {
    /// Long-polls for a task; `None` when the poll ended without one.
    async fn next_task(
        &self,
        activity_arn: &str,
        worker_name: &str,
    ) -> Result<Option<ActivityTask>, TaskApiError>;
}

#[async_trait]
impl ActivityApi for Sfn {
    async fn next_task(
        &self,
        activity_arn: &str,
        worker_name: &str,
    ) -> Result<Option<ActivityTask>, TaskApiError> {
        let response = self
            .client
            .get_activity_task()
            .activity_arn(activity_arn)
            .worker_name(worker_name)
            .send()
            .await
            .map_err(|e| TaskApiError {
                operation: "GetActivityTask",
                message: sdk_message(&e),
            })?;
        Ok(response
            .task_token
            .filter(|token| !token.is_empty())
            .map(|token| ActivityTask {
                token,
                input: response.input.unwrap_or_default(),
            }))
    }
}
