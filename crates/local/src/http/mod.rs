//! The twin's HTTP face, one port on 127.0.0.1:
//!
//! | route | what |
//! |---|---|
//! | `POST /` + `X-Amz-Target: AWSStepFunctions.<Op>` | the Step Functions API, AWS JSON 1.0 (`sfn`) |
//! | `GET /` | the web page (runs, state graph by status, logs, outputs, manifest); 200 = ready |
//! | `/api/...` | the run API, the api Lambda's routes ([`leadline_lambdas::api::Api`]) |
//! | `GET /twin/execution?arn=` | one execution for the page: definition, per-state progress, logs |
//!
//! [`watch_uploads`] starts runs for uploads completed in the uploads folder.

mod page;
mod progress;
mod run_api;
mod sfn;
mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use leadline_lambdas::api::Api;

use crate::control::ControlPlane;

pub use progress::{progress, StateProgress, StepStatus};
pub use watch::watch_uploads;

/// How long requests still running at shutdown (an activity worker's 60-second long poll) may
/// take before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Shared {
    control: Arc<dyn ControlPlane>,
    api: Arc<Api>,
}

impl FromRef<Shared> for Arc<dyn ControlPlane> {
    fn from_ref(shared: &Shared) -> Self {
        shared.control.clone()
    }
}

impl FromRef<Shared> for Arc<Api> {
    fn from_ref(shared: &Shared) -> Self {
        shared.api.clone()
    }
}

/// Every route of the twin over one control plane and the run API.
pub fn router(control: Arc<dyn ControlPlane>, api: Arc<Api>) -> Router {
    Router::new()
        .route("/", get(page::index).post(sfn::handle))
        .route("/api/{*path}", any(run_api::handle))
        .route("/twin/execution", get(page::execution))
        .with_state(Shared { control, api })
}

/// The run API's error shape (`{"error": message}`), also for the page's own route.
fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the twin serves on the loopback interface only, not on {0}")]
    NotLoopback(SocketAddr),
    #[error("serving HTTP failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `router` on `listener` (which must be bound to a loopback address) until `shutdown`
/// completes; requests in flight then get [`SHUTDOWN_GRACE`] to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let address = listener.local_addr()?;
    if !address.ip().is_loopback() {
        return Err(ServeError::NotLoopback(address));
    }
    let signalled = Arc::new(tokio::sync::Notify::new());
    let notify = signalled.clone();
    let graceful = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        notify.notify_one();
    });
    tokio::select! {
        served = graceful => Ok(served?),
        () = async {
            signalled.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}
