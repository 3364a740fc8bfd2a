//! A small Step Functions activity API on 127.0.0.1 for tests of activity workers: it speaks the
//! AWS JSON 1.0 protocol of `GetActivityTask`, `SendTaskSuccess`, `SendTaskFailure` and
//! `SendTaskHeartbeat` (moto has no `GetActivityTask`), so workers are driven through the real
//! `aws-sdk-sfn` client. Tests queue tasks and read back what the worker reported.

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::Notify;

/// What a worker reported for a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Reported {
    Success(Value),
    Failure { error: String, cause: String },
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, String)>,
    reported: HashMap<String, Reported>,
    heartbeats: HashMap<String, usize>,
    next: u64,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
}

/// The running server; dropping it stops it.
pub struct ActivityApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// How long a test waits for a worker's report before declaring it dead.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// How long `GetActivityTask` waits for a task before answering "none": short, so tests never
/// wait on AWS's 60-second long poll, long enough not to spin.
const LONG_POLL: Duration = Duration::from_millis(500);

impl ActivityApi {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .route("/", axum::routing::post(handle))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            address,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// An SFN client for this server with static test credentials.
    pub fn client(&self) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::new(&crate::sdk_config(&self.endpoint()))
    }

    /// Queues a task with `input`; returns its token.
    pub fn push(&self, input: &Value) -> String {
        let mut inner = self.lock();
        inner.next += 1;
        let token = format!("token-{}", inner.next);
        inner.queue.push_back((token.clone(), input.to_string()));
        drop(inner);
        self.shared.changed.notify_waiters();
        token
    }

    /// Waits until the worker reported on `token`.
    pub async fn reported(&self, token: &str) -> Reported {
        self.wait(|inner| inner.reported.get(token).cloned()).await
    }

    /// Waits until at least `count` heartbeats arrived for `token`.
    pub async fn heartbeats(&self, token: &str, count: usize) {
        self.wait(|inner| {
            (inner.heartbeats.get(token).copied().unwrap_or(0) >= count).then_some(())
        })
        .await
    }

    /// Waits for `ready`; panics after [`HANG_GUARD`] so a dead worker fails its test instead of
    /// hanging the suite (a guard, not a speed assertion).
    async fn wait<T>(&self, mut ready: impl FnMut(&Inner) -> Option<T>) -> T {
        let waiting = async {
            loop {
                let notified = self.shared.changed.notified();
                if let Some(value) = ready(&self.lock()) {
                    return value;
                }
                notified.await;
            }
        };
        tokio::time::timeout(HANG_GUARD, waiting)
            .await
            .unwrap_or_else(|_| panic!("the worker reported nothing within {HANG_GUARD:?}"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for ActivityApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        body.to_string(),
    )
        .into_response()
}

fn invalid_token(token: &str) -> Response {
    reply(
        StatusCode::BAD_REQUEST,
        json!({"__type": "InvalidToken", "message": format!("unknown task token {token}")}),
    )
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("AWSStepFunctions.")
        .to_owned();
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let token = request["taskToken"].as_str().unwrap_or_default().to_owned();
    if target == "GetActivityTask" {
        let deadline = tokio::time::Instant::now() + LONG_POLL;
        loop {
            let notified = shared.changed.notified();
            let next = shared
                .inner
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .queue
                .pop_front();
            if let Some((token, input)) = next {
                return reply(StatusCode::OK, json!({"taskToken": token, "input": input}));
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return reply(StatusCode::OK, json!({}));
            }
        }
    }
    let mut inner = shared.inner.lock().unwrap_or_else(|p| p.into_inner());
    if !token.starts_with("token-") || inner.reported.contains_key(&token) {
        return invalid_token(&token);
    }
    let response = match target.as_str() {
        "SendTaskHeartbeat" => {
            *inner.heartbeats.entry(token).or_default() += 1;
            reply(StatusCode::OK, json!({}))
        }
        "SendTaskSuccess" => {
            let output = request["output"]
                .as_str()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or(Value::Null);
            inner.reported.insert(token, Reported::Success(output));
            reply(StatusCode::OK, json!({}))
        }
        "SendTaskFailure" => {
            let text = |field: &str| request[field].as_str().unwrap_or_default().to_owned();
            inner.reported.insert(
                token,
                Reported::Failure {
                    error: text("error"),
                    cause: text("cause"),
                },
            );
            reply(StatusCode::OK, json!({}))
        }
        other => reply(
            StatusCode::BAD_REQUEST,
            json!({"__type": "UnknownOperationException", "message": other}),
        ),
    };
    drop(inner);
    shared.changed.notify_waiters();
    response
}
