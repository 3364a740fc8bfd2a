//! Task dispatch: the interpreter hands each Task state's call to a [`TaskResolver`];
//! a [`Dispatcher`] routes calls to resolvers registered per resource pattern, and
//! [`TaskTokens`] is the callback API for `.waitForTaskToken` tasks and heartbeats.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::error::{names, StatesError};

/// How the interpreter waits for a task (the resource's suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationPattern {
    RequestResponse,
    /// `.sync` / `.sync:2`: the resolver itself returns when the job is done.
    Sync,
    /// `.waitForTaskToken`: the result arrives through [`TaskTokens`].
    WaitForTaskToken,
}

impl IntegrationPattern {
    pub fn of(resource: &str) -> Self {
        if resource.ends_with(".waitForTaskToken") {
            Self::WaitForTaskToken
        } else if resource.ends_with(".sync") || resource.ends_with(".sync:2") {
            Self::Sync
        } else {
            Self::RequestResponse
        }
    }
}

/// What a resource is, for naming history events (`TaskScheduled` vs `LambdaFunctionScheduled`
/// vs `ActivityScheduled`), read from the ARN's shape only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:<partition>:states:::<service>:<action>[.pattern]`
    Integration {
        service: String,
        action: String,
    },
    /// `arn:<partition>:lambda:<region>:<account>:function:<name>` used directly.
    LambdaFunction,
    /// `arn:<partition>:states:<region>:<account>:activity:<name>`
    Activity,
    Other,
}

impl ResourceKind {
    pub fn of(resource: &str) -> Self {
        let parts: Vec<&str> = resource.splitn(7, ':').collect();
        match parts.as_slice() {
            ["arn", _, "states", "", "", service, action] => Self::Integration {
                service: (*service).to_owned(),
                action: (*action).to_owned(),
            },
            ["arn", _, "states", _, _, "activity", _] => Self::Activity,
            ["arn", _, "lambda", _, _, "function", _] => Self::LambdaFunction,
            _ => Self::Other,
        }
    }
}

/// A heartbeat channel: resolvers of long tasks call [`Heartbeat::beat`].
#[derive(Debug, Clone)]
pub struct Heartbeat(mpsc::UnboundedSender<()>);

impl Heartbeat {
    pub fn beat(&self) {
        // The receiver is gone only once the task has finished: nothing to keep alive.
        let _ = self.0.send(());
    }
}

/// One invocation of a Task state's resource.
#[derive(Debug, Clone)]
pub struct TaskCall {
    pub resource: String,
    pub pattern: IntegrationPattern,
    /// The effective parameters (after InputPath and Parameters).
    pub input: Value,
    pub state_name: String,
    /// Retries so far for this state entry (`$$.State.RetryCount`).
    pub retry_count: u32,
    pub task_token: Option<String>,
    pub credentials: Option<Value>,
    pub execution_arn: String,
    pub heartbeat: Heartbeat,
}

/// A failed task: error name and cause, as `Retry`/`Catch` see them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

impl From<TaskFailure> for StatesError {
    fn from(f: TaskFailure) -> Self {
        StatesError::new(f.error, f.cause)
    }
}

/// What a resolver reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// The task's result.
    Result(Value),
    /// Submitted; the result will arrive through [`TaskTokens`] (`.waitForTaskToken`).
    AwaitToken,
}

#[async_trait]
pub trait TaskResolver: Send + Sync {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure>;
}

/// Routes calls to resolvers by resource pattern (`*` matches any run of characters);
/// the first registered match wins.
#[derive(Default, Clone)]
pub struct Dispatcher {
    routes: Vec<(String, Arc<dyn TaskResolver>)>,
}

impl Dispatcher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(
        &mut self,
        pattern: impl Into<String>,
        resolver: Arc<dyn TaskResolver>,
    ) -> &mut Self {
        self.routes.push((pattern.into(), resolver));
        self
    }

    pub fn resolve(&self, resource: &str) -> Option<&Arc<dyn TaskResolver>> {
        self.routes
            .iter()
            .find(|(pattern, _)| glob(pattern, resource))
            .map(|(_, r)| r)
    }
}

#[async_trait]
impl TaskResolver for Dispatcher {
    async fn invoke(&self, call: TaskCall) -> Result<Completion, TaskFailure> {
        match self.resolve(&call.resource) {
            Some(resolver) => resolver.invoke(call).await,
            None => Err(TaskFailure::new(
                names::RUNTIME,
                format!(
                    "No task resolver is registered for resource '{}'",
                    call.resource
                ),
            )),
        }
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// How a `.waitForTaskToken` task ends.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenOutcome {
    Success(Value),
    Failure(TaskFailure),
}

/// Token API errors, named as the Step Functions API names them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("TaskDoesNotExist: no task is waiting for this token")]
    TaskDoesNotExist,
}

struct Waiting {
    outcome: oneshot::Sender<TokenOutcome>,
    heartbeat: Heartbeat,
}

/// The callback side of `.waitForTaskToken` and activity heartbeats
/// (`SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`).
#[derive(Clone, Default)]
pub struct TaskTokens {
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
}

impl TaskTokens {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn issue(&self, heartbeat: Heartbeat) -> (String, oneshot::Receiver<TokenOutcome>) {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let (tx, rx) = oneshot::channel();
        self.lock().insert(
            token.clone(),
            Waiting {
                outcome: tx,
                heartbeat,
            },
        );
        (token, rx)
    }

    pub(crate) fn forget(&self, token: &str) {
        self.lock().remove(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiting>> {
        // A poisoned map still holds valid entries: keep serving them.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, token: &str, outcome: TokenOutcome) -> Result<(), TokenError> {
        let waiting = self
            .lock()
            .remove(token)
            .ok_or(TokenError::TaskDoesNotExist)?;
        waiting
            .outcome
            .send(outcome)
            .map_err(|_| TokenError::TaskDoesNotExist)
    }

    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), TokenError> {
        self.complete(token, TokenOutcome::Success(output))
    }

    pub fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), TokenError> {
        self.complete(token, TokenOutcome::Failure(TaskFailure::new(error, cause)))
    }

    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), TokenError> {
        let guard = self.lock();
        let waiting = guard.get(token).ok_or(TokenError::TaskDoesNotExist)?;
        waiting.heartbeat.beat();
        Ok(())
    }

    /// Tokens of tasks currently waiting (for tests and the local twin's listing).
    pub fn pending(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

/// A heartbeat and the receiver the engine watches; resolver tests make their own.
pub fn heartbeat_channel() -> (Heartbeat, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Heartbeat(tx), rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_kinds() {
        assert!(glob(
            "arn:aws:lambda:*:*:function:*",
            "arn:aws:lambda:us-east-1:1:function:f"
        ));
        assert!(glob(
            "arn:aws:states:::lambda:invoke*",
            "arn:aws:states:::lambda:invoke.waitForTaskToken"
        ));
        assert!(!glob(
            "arn:aws:states:::ecs:*",
            "arn:aws:states:::lambda:invoke"
        ));
        assert_eq!(
            IntegrationPattern::of("arn:aws:states:::ecs:runTask.sync"),
            IntegrationPattern::Sync
        );
        assert_eq!(
            ResourceKind::of("arn:aws:states:::lambda:invoke"),
            ResourceKind::Integration {
                service: "lambda".into(),
                action: "invoke".into()
            }
        );
        assert_eq!(
            ResourceKind::of("arn:aws:states:us-east-1:123456789012:activity:carisbatch"),
            ResourceKind::Activity
        );
    }
}
