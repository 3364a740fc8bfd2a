//! The web page and the one JSON route only it needs: an execution with its machine's
//! definition, each state's progress and the jobs' logs, so the page draws the graph from the
//! same history the Step Functions API serves.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_error;
use super::progress::progress;
use crate::control::{ControlError, ControlPlane};

const INDEX: &str = include_str!("../../assets/index.html");

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

#[derive(Deserialize)]
pub struct Which {
    arn: String,
}

pub async fn execution(
    State(control): State<Arc<dyn ControlPlane>>,
    which: Result<Query<Which>, QueryRejection>,
) -> Response {
    let Ok(Query(Which { arn })) = which else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the query needs arn=<execution ARN>",
        );
    };
    match describe(control.as_ref(), &arn).await {
        Ok(body) => Json(body).into_response(),
        Err(e) => {
            let status = match e {
                ControlError::ExecutionDoesNotExist(_) => StatusCode::NOT_FOUND,
                ControlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            json_error(status, e.to_string())
        }
    }
}

async fn describe(control: &dyn ControlPlane, arn: &str) -> Result<Value, ControlError> {
    let execution = control.describe_execution(arn).await?;
    // A deleted machine leaves its executions; the page then lists states without a graph.
    let definition = control
        .describe_state_machine(&execution.machine_arn)
        .await
        .ok()
        .and_then(|m| serde_json::from_str::<Value>(&m.definition).ok());
    let history = control.execution_history(arn).await?;
    let logs = control.step_logs(arn).await?;
    Ok(json!({
        "execution": execution,
        "definition": definition,
        "states": progress(&history),
        "logs": logs,
    }))
}
