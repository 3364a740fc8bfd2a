//! The Step Functions API over AWS JSON 1.0: `POST /` with `X-Amz-Target:
//! AWSStepFunctions.<Operation>` and a JSON body, answered with AWS's field names, dates as
//! epoch seconds and errors as HTTP 400 `{"__type": code, "message"}`, so the AWS CLI and the
//! SDKs raise their usual exceptions (`ExecutionDoesNotExist`, …).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::control::{
    ActivityInfo, ControlError, ControlPlane, ExecutionInfo, MachineInfo, Status,
};

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// AWS's page size when `maxResults` is absent or 0, and its largest.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: i64 = 1000;

/// An answer in the protocol's error shape.
#[derive(Debug)]
pub struct AwsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl AwsError {
    fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }
}

impl From<ControlError> for AwsError {
    fn from(error: ControlError) -> Self {
        let status = if error.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        Self {
            status,
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.code, "message": self.message});
        answer(self.status, &body)
    }
}

fn answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body.to_string(),
    )
        .into_response()
}

/// The one handler behind `POST /`.
pub async fn handle(
    State(control): State<Arc<dyn ControlPlane>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match operation(control.as_ref(), &headers, &body).await {
        Ok(body) => answer(StatusCode::OK, &body),
        Err(error) => error.into_response(),
    }
}

async fn operation(
    control: &dyn ControlPlane,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, AwsError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .ok_or_else(|| {
            AwsError::client(
                "UnknownOperationException",
                "the request has no X-Amz-Target header (AWSStepFunctions.<Operation>)",
            )
        })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-amz-json") {
        return Err(AwsError::client(
            "SerializationException",
            format!("Content-Type must be {CONTENT_TYPE}, not {content_type:?}"),
        ));
    }
    let op = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            AwsError::client(
                "SerializationException",
                format!("the body of {target} is not JSON: {e}"),
            )
        })?
    };
    let c = control;
    match op {
        "CreateStateMachine" => create_state_machine(c, parse(op, body)?).await,
        "DescribeStateMachine" => describe_state_machine(c, parse(op, body)?).await,
        "ListStateMachines" => list_state_machines(c, parse(op, body)?).await,
        "DeleteStateMachine" => delete_state_machine(c, parse(op, body)?).await,
        "StartExecution" => start_execution(c, parse(op, body)?).await,
        "DescribeExecution" => describe_execution(c, parse(op, body)?).await,
        "ListExecutions" => list_executions(c, parse(op, body)?).await,
        "GetExecutionHistory" => execution_history(c, parse(op, body)?).await,
        "StopExecution" => stop_execution(c, parse(op, body)?).await,
        "RedriveExecution" => redrive_execution(c, parse(op, body)?).await,
        "SendTaskSuccess" => send_task_success(c, parse(op, body)?).await,
        "SendTaskFailure" => send_task_failure(c, parse(op, body)?).await,
        "SendTaskHeartbeat" => send_task_heartbeat(c, parse(op, body)?).await,
        "CreateActivity" => create_activity(c, parse(op, body)?).await,
        "ListActivities" => list_activities(c, parse(op, body)?).await,
        "GetActivityTask" => get_activity_task(c, parse(op, body)?).await,
        _ => Err(AwsError::client(
            "UnknownOperationException",
            format!("{target} is not an operation of the local twin's Step Functions API"),
        )),
    }
}

/// The request's typed shape; serde's message names the missing or mistyped field.
fn parse<T: DeserializeOwned>(op: &str, body: Value) -> Result<T, AwsError> {
    serde_json::from_value(body).map_err(|e| AwsError::validation(format!("{op}: {e}")))
}

/// Drops absent (`null`) fields, as AWS leaves them out.
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

/// One page of `items` after `token` (the key of the last item of the previous page).
/// Keys are stable (ARNs, event ids), so a page never repeats or skips an item when newer ones
/// arrive in between.
fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max_results: Option<i64>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let size = match max_results {
        None | Some(0) => DEFAULT_PAGE,
        Some(n @ 1..=MAX_PAGE) => n as usize,
        Some(n) => {
            return Err(AwsError::validation(format!(
                "maxResults must be 0 to {MAX_PAGE}, not {n}"
            )))
        }
    };
    let start = match token {
        None => 0,
        Some(token) => match items.iter().position(|item| key(item) == token) {
            Some(at) => at + 1,
            None => {
                return Err(AwsError::client(
                    "InvalidToken",
                    format!("nextToken {token:?} does not continue this listing"),
                ))
            }
        },
    };
    let rest = items.into_iter().skip(start);
    let mut taken: Vec<T> = Vec::with_capacity(size.min(64));
    let mut more = false;
    for item in rest {
        if taken.len() == size {
            more = true;
            break;
        }
        taken.push(item);
    }
    let next = if more { taken.last().map(&key) } else { None };
    Ok((taken, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateStateMachine {
    name: String,
    definition: String,
    role_arn: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn create_state_machine(
    c: &dyn ControlPlane,
    r: CreateStateMachine,
) -> Result<Value, AwsError> {
    if let Some(kind) = r.kind.as_deref().filter(|k| *k != "STANDARD") {
        return Err(AwsError::validation(format!(
            "type {kind:?}: the local twin runs STANDARD state machines only"
        )));
    }
    let machine = c
        .create_state_machine(&r.name, &r.definition, &r.role_arn)
        .await?;
    Ok(json!({"stateMachineArn": machine.arn, "creationDate": machine.created}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MachineArn {
    state_machine_arn: String,
}

fn describe_machine(machine: &MachineInfo) -> Value {
    json!({
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "status": "ACTIVE",
        "definition": machine.definition,
        "roleArn": machine.role_arn,
        "type": "STANDARD",
        "creationDate": machine.created,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
    })
}

async fn describe_state_machine(c: &dyn ControlPlane, r: MachineArn) -> Result<Value, AwsError> {
    Ok(describe_machine(
        &c.describe_state_machine(&r.state_machine_arn).await?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    max_results: Option<i64>,
    next_token: Option<String>,
}

async fn list_state_machines(c: &dyn ControlPlane, r: Listing) -> Result<Value, AwsError> {
    let machines = c.list_state_machines().await?;
    let (machines, next) = page(
        machines,
        |m| m.arn.clone(),
        r.max_results,
        r.next_token.as_deref(),
    )?;
    let machines: Vec<Value> = machines
        .iter()
        .map(|m| {
            json!({"stateMachineArn": m.arn, "name": m.name, "type": "STANDARD",
                   "creationDate": m.created})
        })
        .collect();
    Ok(compact(
        json!({"stateMachines": machines, "nextToken": next}),
    ))
}

async fn delete_state_machine(c: &dyn ControlPlane, r: MachineArn) -> Result<Value, AwsError> {
    c.delete_state_machine(&r.state_machine_arn).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartExecution {
    state_machine_arn: String,
    name: Option<String>,
    input: Option<String>,
}

async fn start_execution(c: &dyn ControlPlane, r: StartExecution) -> Result<Value, AwsError> {
    let execution = c
        .start_execution(
            &r.state_machine_arn,
            r.name.as_deref(),
            r.input.as_deref().unwrap_or("{}"),
        )
        .await?;
    Ok(json!({"executionArn": execution.arn, "startDate": execution.started}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionArn {
    execution_arn: String,
}

fn redrivable(status: Status) -> bool {
    matches!(status, Status::Failed | Status::TimedOut | Status::Aborted)
}

fn describe(e: &ExecutionInfo) -> Value {
    let (redrive_status, reason) = if redrivable(e.status) {
        ("REDRIVABLE", None)
    } else {
        (
            "NOT_REDRIVABLE",
            Some(format!(
                "Execution is {} and cannot be redriven",
                e.status.as_str()
            )),
        )
    };
    compact(json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": e.status,
        "startDate": e.started,
        "stopDate": e.stopped,
        "input": e.input,
        "inputDetails": {"included": true},
        "output": e.output,
        "outputDetails": e.output.as_ref().map(|_| json!({"included": true})),
        "error": e.error,
        "cause": e.cause,
        "redriveCount": e.redrive_count,
        "redriveDate": e.redrived,
        "redriveStatus": redrive_status,
        "redriveStatusReason": reason,
    }))
}

async fn describe_execution(c: &dyn ControlPlane, r: ExecutionArn) -> Result<Value, AwsError> {
    Ok(describe(&c.describe_execution(&r.execution_arn).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListExecutions {
    state_machine_arn: String,
    status_filter: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

async fn list_executions(c: &dyn ControlPlane, r: ListExecutions) -> Result<Value, AwsError> {
    let status = match r.status_filter.as_deref() {
        None => None,
        Some(text) => Some(
            Status::ALL
                .into_iter()
                .find(|s| s.as_str() == text)
                .ok_or_else(|| {
                    let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                    AwsError::validation(format!(
                        "statusFilter {text:?} is not one of {}",
                        known.join(", ")
                    ))
                })?,
        ),
    };
    let executions = c.list_executions(&r.state_machine_arn, status).await?;
    let (executions, next) = page(
        executions,
        |e| e.arn.clone(),
        r.max_results,
        r.next_token.as_deref(),
    )?;
    let executions: Vec<Value> = executions
        .iter()
        .map(|e| {
            compact(json!({
                "executionArn": e.arn,
                "stateMachineArn": e.machine_arn,
                "name": e.name,
                "status": e.status,
                "startDate": e.started,
                "stopDate": e.stopped,
                "redriveCount": e.redrive_count,
                "redriveDate": e.redrived,
            }))
        })
        .collect();
    Ok(compact(
        json!({"executions": executions, "nextToken": next}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionHistory {
    execution_arn: String,
    max_results: Option<i64>,
    next_token: Option<String>,
    #[serde(default)]
    reverse_order: bool,
    include_execution_data: Option<bool>,
}

/// Removes the execution data (inputs and outputs) from an event's details object.
fn without_data(mut event: Value) -> Value {
    if let Value::Object(fields) = &mut event {
        for (name, details) in fields.iter_mut() {
            if let (true, Value::Object(details)) = (name.ends_with("EventDetails"), details) {
                details.remove("input");
                details.remove("output");
            }
        }
    }
    event
}

async fn execution_history(c: &dyn ControlPlane, r: ExecutionHistory) -> Result<Value, AwsError> {
    let mut events = c.execution_history(&r.execution_arn).await?;
    if r.reverse_order {
        events.reverse();
    }
    let (events, next) = page(
        events,
        |e| e.id.to_string(),
        r.max_results,
        r.next_token.as_deref(),
    )?;
    let include = r.include_execution_data.unwrap_or(true);
    let events = events
        .iter()
        .map(|event| {
            serde_json::to_value(event)
                .map(|v| if include { v } else { without_data(v) })
                .map_err(|e| AwsError::from(ControlError::Internal(e.to_string())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(compact(json!({"events": events, "nextToken": next})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopExecution {
    execution_arn: String,
    error: Option<String>,
    cause: Option<String>,
}

async fn stop_execution(c: &dyn ControlPlane, r: StopExecution) -> Result<Value, AwsError> {
    let stopped = c
        .stop_execution(&r.execution_arn, r.error.as_deref(), r.cause.as_deref())
        .await?;
    Ok(json!({"stopDate": stopped}))
}

async fn redrive_execution(c: &dyn ControlPlane, r: ExecutionArn) -> Result<Value, AwsError> {
    let redrived = c.redrive_execution(&r.execution_arn).await?;
    Ok(json!({"redriveDate": redrived}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskSuccess {
    task_token: String,
    output: String,
}

async fn send_task_success(c: &dyn ControlPlane, r: TaskSuccess) -> Result<Value, AwsError> {
    c.send_task_success(&r.task_token, &r.output).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFailure {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

async fn send_task_failure(c: &dyn ControlPlane, r: TaskFailure) -> Result<Value, AwsError> {
    c.send_task_failure(&r.task_token, r.error.as_deref(), r.cause.as_deref())
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskHeartbeat {
    task_token: String,
}

async fn send_task_heartbeat(c: &dyn ControlPlane, r: TaskHeartbeat) -> Result<Value, AwsError> {
    c.send_task_heartbeat(&r.task_token).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateActivity {
    name: String,
}

fn activity(a: &ActivityInfo) -> Value {
    json!({"activityArn": a.arn, "name": a.name, "creationDate": a.created})
}

async fn create_activity(c: &dyn ControlPlane, r: CreateActivity) -> Result<Value, AwsError> {
    let created = c.create_activity(&r.name).await?;
    Ok(json!({"activityArn": created.arn, "creationDate": created.created}))
}

async fn list_activities(c: &dyn ControlPlane, r: Listing) -> Result<Value, AwsError> {
    let activities = c.list_activities().await?;
    let (activities, next) = page(
        activities,
        |a| a.arn.clone(),
        r.max_results,
        r.next_token.as_deref(),
    )?;
    let activities: Vec<Value> = activities.iter().map(activity).collect();
    Ok(compact(
        json!({"activities": activities, "nextToken": next}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetActivityTask {
    activity_arn: String,
    worker_name: Option<String>,
}

async fn get_activity_task(c: &dyn ControlPlane, r: GetActivityTask) -> Result<Value, AwsError> {
    let task = c
        .get_activity_task(&r.activity_arn, r.worker_name.as_deref())
        .await?;
    // No task within the long poll is an answer without a token, as in AWS.
    Ok(match task {
        Some(task) => json!({"taskToken": task.token, "input": task.input}),
        None => json!({}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_continue_after_the_token_and_end_without_one() {
        let items: Vec<u32> = (1..=5).collect();
        let key = |n: &u32| n.to_string();
        let (first, next) = page(items.clone(), key, Some(2), None).unwrap();
        assert_eq!((first, next.as_deref()), (vec![1, 2], Some("2")));
        let (second, next) = page(items.clone(), key, Some(2), next.as_deref()).unwrap();
        assert_eq!((second, next.as_deref()), (vec![3, 4], Some("4")));
        let (last, next) = page(items.clone(), key, Some(2), next.as_deref()).unwrap();
        assert_eq!((last, next), (vec![5], None));
        // Exactly one page's worth leaves no token behind.
        let (all, next) = page(items.clone(), key, Some(5), None).unwrap();
        assert_eq!((all.len(), next), (5, None));
    }

    #[test]
    fn bad_page_arguments_name_themselves() {
        let items: Vec<u32> = (1..=3).collect();
        let key = |n: &u32| n.to_string();
        let error = page(items.clone(), key, Some(1001), None).unwrap_err();
        assert_eq!(error.code, "ValidationException");
        assert!(error.message.contains("maxResults"), "{}", error.message);
        let error = page(items, key, None, Some("nope")).unwrap_err();
        assert_eq!(error.code, "InvalidToken");
        assert!(error.message.contains("nope"), "{}", error.message);
    }

    #[test]
    fn without_data_keeps_everything_but_inputs_and_outputs() {
        let event = json!({
            "id": 2, "type": "PassStateExited",
            "stateExitedEventDetails": {"name": "A", "output": "{}", "outputDetails": {"truncated": false}}
        });
        assert_eq!(
            without_data(event),
            json!({
                "id": 2, "type": "PassStateExited",
                "stateExitedEventDetails": {"name": "A", "outputDetails": {"truncated": false}}
            })
        );
    }
}
