//! The run API (DESIGN §2, step 5), as routes over [`Executions`] and the buckets: the api
//! Lambda feeds it API Gateway HTTP API (payload v2) requests, the local twin's HTTP server its
//! own, and both answer the same JSON.
//!
//! | route | answer |
//! |---|---|
//! | `POST /runs` `{survey}` | 202 `{id, arn}`; 409 with `id` when this upload already ran |
//! | `PUT /runs/{id}` `{survey}` | 202 started, 200 when `id` exists (idempotent) |
//! | `GET /runs?status=&limit=&next=` | 200 `{runs, next}` |
//! | `GET /runs/{id}` | 200: status, steps from the history, branches (skipped or not), error |
//! | `POST /runs/{id}/stop`, `POST /runs/{id}/redrive` | 200 / 202; 409 when not possible |
//! | `GET /runs/{id}/manifest` | 200 the run manifest; 404 until published |
//!
//! Errors are `{"error": message}` with 400, 404, 405, 409, 429 (the account's execution limit)
//! or 502 (a service behind the API failed).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use leadline_core::key::Prefix;
use leadline_core::store::StoreError;
use serde::Serialize;
use serde_json::{json, Value};

use crate::buckets::Buckets;
use crate::executions::{Event, Executions, ExecutionsError, Status};
use crate::parameters::BRANCHES;
use crate::publish::manifest_key;
use crate::trigger::{Trigger, TriggerError, MAX_NAME};

const DEFAULT_LIMIT: i32 = 50;
const MAX_LIMIT: i32 = 1000;

/// A request, whatever transport brought it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        Self { status, body }
    }

    fn error(status: u16, message: impl std::fmt::Display) -> Self {
        Self::json(status, json!({"error": message.to_string()}))
    }
}

impl From<ExecutionsError> for Response {
    fn from(error: ExecutionsError) -> Self {
        let status = match &error {
            ExecutionsError::NotFound(_) => 404,
            ExecutionsError::LimitExceeded(_) => 429,
            ExecutionsError::Conflict(_) => 409,
            ExecutionsError::Invalid(_) => 400,
            ExecutionsError::Service { .. } => 502,
        };
        Self::error(status, error)
    }
}

impl From<TriggerError> for Response {
    fn from(error: TriggerError) -> Self {
        match error {
            TriggerError::Executions(e) => e.into(),
            e @ TriggerError::Incomplete { .. } => Self::error(409, e),
            e @ (TriggerError::Parameters(_) | TriggerError::Key(_) | TriggerError::Event(_)) => {
                Self::error(400, e)
            }
            e @ (TriggerError::Store(_) | TriggerError::Some { .. }) => Self::error(502, e),
        }
    }
}

pub struct Api {
    pub executions: Arc<dyn Executions>,
    pub buckets: Arc<dyn Buckets>,
    /// Where surveys are uploaded (`POST /runs` starts `<uploads>/<survey>/`).
    pub uploads: String,
    /// Where runs are published (`GET /runs/{id}/manifest`).
    pub products: String,
}

/// A run id: an execution name as the trigger makes them.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_NAME
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Api {
    pub async fn route(&self, request: &Request) -> Response {
        let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
        // A named API Gateway stage prefixes the path (`/prod/runs`).
        let segments = match segments.iter().position(|s| *s == "runs") {
            Some(at) => &segments[at..],
            None => return Response::error(404, format!("no route {}", request.path)),
        };
        let method = request.method.to_ascii_uppercase();
        match (method.as_str(), segments) {
            ("POST", ["runs"]) => self.start(request, None).await,
            ("GET", ["runs"]) => self.list(request).await,
            ("PUT", ["runs", id]) => self.start(request, Some(id)).await,
            ("GET", ["runs", id]) => self.status(id).await,
            ("POST", ["runs", id, "stop"]) => self.stop(id).await,
            ("POST", ["runs", id, "redrive"]) => self.redrive(id).await,
            ("GET", ["runs", id, "manifest"]) => self.manifest(id).await,
            (_, ["runs"] | ["runs", _] | ["runs", _, "stop" | "redrive" | "manifest"]) => {
                Response::error(405, format!("{method} is not allowed on {}", request.path))
            }
            _ => Response::error(404, format!("no route {}", request.path)),
        }
    }

    fn arn(&self, id: &str) -> Result<String, Response> {
        if valid_id(id) {
            Ok(self.executions.execution_arn(id))
        } else {
            Err(Response::error(
                400,
                format!("{id:?} is not a run id (1 to 80 letters, digits, '-' or '_')"),
            ))
        }
    }

    async fn start(&self, request: &Request, id: Option<&str>) -> Response {
        if let Some(id) = id {
            if let Err(response) = self.arn(id) {
                return response;
            }
        }
        let body: Value = match serde_json::from_str(request.body.as_deref().unwrap_or("")) {
            Ok(body) => body,
            Err(e) => return Response::error(400, format!("the body must be JSON: {e}")),
        };
        let Some(survey) = body.get("survey").and_then(Value::as_str) else {
            return Response::error(400, "the body needs \"survey\": the upload's folder");
        };
        let prefix = match Prefix::new(survey) {
            Ok(prefix) if !survey.contains('/') => prefix,
            _ => return Response::error(400, format!("{survey:?} is not a survey id")),
        };
        let trigger = Trigger {
            buckets: self.buckets.clone(),
            executions: self.executions.clone(),
        };
        match trigger.start(&self.uploads, &prefix, survey, id).await {
            Ok(run) if run.new => Response::json(
                202,
                json!({"id": run.name, "arn": run.arn, "survey": run.survey}),
            ),
            Ok(run) if id.is_some() => Response::json(
                200,
                json!({"id": run.name, "arn": run.arn, "survey": run.survey}),
            ),
            Ok(run) => Response::json(
                409,
                json!({
                    "error": "this upload has a run already; redrive or stop it, or PUT a new id",
                    "id": run.name,
                }),
            ),
            Err(e) => e.into(),
        }
    }

    async fn list(&self, request: &Request) -> Response {
        let status = match request.query.get("status") {
            None => None,
            Some(text) => match Status::parse(text) {
                Some(status) => Some(status),
                None => {
                    let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                    return Response::error(
                        400,
                        format!("unknown status {text:?} (one of {})", known.join(", ")),
                    );
                }
            },
        };
        let limit = match request.query.get("limit").map(|l| l.parse::<i32>()) {
            None => DEFAULT_LIMIT,
            Some(Ok(limit)) if (1..=MAX_LIMIT).contains(&limit) => limit,
            Some(_) => {
                return Response::error(400, format!("limit must be 1 to {MAX_LIMIT}"));
            }
        };
        match self
            .executions
            .list(status, limit, request.query.get("next").cloned())
            .await
        {
            Ok(page) => {
                let runs: Vec<Value> = page
                    .executions
                    .iter()
                    .map(|e| {
                        json!({"id": e.name, "status": e.status, "started": e.started,
                               "stopped": e.stopped})
                    })
                    .collect();
                Response::json(200, json!({"runs": runs, "next": page.next}))
            }
            Err(e) => e.into(),
        }
    }

    async fn status(&self, id: &str) -> Response {
        let arn = match self.arn(id) {
            Ok(arn) => arn,
            Err(response) => return response,
        };
        let execution = match self.executions.describe(&arn).await {
            Ok(execution) => execution,
            Err(e) => return e.into(),
        };
        let history = match self.executions.history(&arn).await {
            Ok(history) => history,
            Err(e) => return e.into(),
        };
        let survey = execution
            .input
            .as_deref()
            .and_then(|i| serde_json::from_str::<Value>(i).ok())
            .and_then(|i| i.get("survey").cloned());
        Response::json(
            200,
            json!({
                "id": execution.summary.name,
                "arn": execution.summary.arn,
                "survey": survey,
                "status": execution.summary.status,
                "started": execution.summary.started,
                "stopped": execution.summary.stopped,
                "error": execution.error,
                "cause": execution.cause,
                "steps": steps(&history),
                "branches": branches(&history),
            }),
        )
    }

    async fn stop(&self, id: &str) -> Response {
        let arn = match self.arn(id) {
            Ok(arn) => arn,
            Err(response) => return response,
        };
        match self.executions.describe(&arn).await {
            Ok(e) if e.summary.status != Status::Running => {
                return Response::error(
                    409,
                    format!("run {id} is {}, not running", e.summary.status.as_str()),
                )
            }
            Ok(_) => {}
            Err(e) => return e.into(),
        }
        match self
            .executions
            .stop(&arn, "stopped through the run API")
            .await
        {
            Ok(()) => Response::json(200, json!({"id": id, "status": Status::Aborted})),
            Err(e) => e.into(),
        }
    }

    async fn redrive(&self, id: &str) -> Response {
        let arn = match self.arn(id) {
            Ok(arn) => arn,
            Err(response) => return response,
        };
        match self.executions.describe(&arn).await {
            Ok(e)
                if !matches!(
                    e.summary.status,
                    Status::Failed | Status::TimedOut | Status::Aborted
                ) =>
            {
                return Response::error(
                    409,
                    format!(
                        "run {id} is {}; only failed, timed-out or aborted runs can be redriven",
                        e.summary.status.as_str()
                    ),
                )
            }
            Ok(_) => {}
            Err(e) => return e.into(),
        }
        match self.executions.redrive(&arn).await {
            Ok(()) => Response::json(202, json!({"id": id, "status": Status::Running})),
            Err(e) => e.into(),
        }
    }

    async fn manifest(&self, id: &str) -> Response {
        let arn = match self.arn(id) {
            Ok(arn) => arn,
            Err(response) => return response,
        };
        let execution = match self.executions.describe(&arn).await {
            Ok(execution) => execution,
            Err(e) => return e.into(),
        };
        let survey = execution
            .input
            .as_deref()
            .and_then(|i| serde_json::from_str::<Value>(i).ok())
            .and_then(|i| i.get("survey")?.as_str().map(str::to_owned));
        let Some(key) = survey.and_then(|s| manifest_key(&s, id).ok()) else {
            return Response::error(404, format!("run {id} names no survey"));
        };
        let store = self.buckets.bucket(&self.products);
        match store.get_bytes(&key).await {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(manifest) => Response::json(200, manifest),
                Err(e) => Response::error(502, format!("{key}: not JSON: {e}")),
            },
            Err(StoreError::NotFound { .. }) => Response::error(
                404,
                format!(
                    "run {id} has no manifest yet (it is {})",
                    execution.summary.status.as_str()
                ),
            ),
            Err(e) => Response::error(502, e),
        }
    }
}

/// One state's progress: its last status, how often it was entered (Map iterations, retries
/// of a redrive) and its last failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: String,
    pub status: &'static str,
    pub entered: u32,
    pub error: Option<String>,
    pub cause: Option<String>,
}

const FAILURES: [&str; 10] = [
    "EvaluationFailed",
    "TaskFailed",
    "TaskTimedOut",
    "ActivityFailed",
    "ActivityTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionAborted",
];

/// The state an event belongs to: the nearest `…StateEntered` up its `previousEventId` chain.
fn state_of<'h>(by_id: &HashMap<i64, &'h Event>, event: &'h Event) -> Option<&'h str> {
    let mut at = event;
    // A chain never loops (ids only point back), but a malformed history must not hang us.
    for _ in 0..by_id.len() {
        if at.kind.ends_with("StateEntered") {
            return at.state.as_deref();
        }
        at = by_id.get(&at.previous_id)?;
    }
    None
}

/// Steps in the order they were first entered.
pub fn steps(history: &[Event]) -> Vec<Step> {
    let by_id: HashMap<i64, &Event> = history.iter().map(|e| (e.id, e)).collect();
    let mut steps: Vec<Step> = Vec::new();
    let mut current: Option<usize> = None;
    for event in history {
        if event.kind.ends_with("StateEntered") {
            let Some(name) = &event.state else { continue };
            let at = match steps.iter().position(|s| &s.name == name) {
                Some(at) => at,
                None => {
                    steps.push(Step {
                        name: name.clone(),
                        status: "running",
                        entered: 0,
                        error: None,
                        cause: None,
                    });
                    steps.len() - 1
                }
            };
            steps[at].entered += 1;
            steps[at].status = "running";
            current = Some(at);
        } else if event.kind.ends_with("StateExited") {
            if let Some(step) = event
                .state
                .as_ref()
                .and_then(|name| steps.iter_mut().find(|s| &s.name == name))
            {
                if step.status == "running" {
                    step.status = "succeeded";
                }
            }
        } else if FAILURES.contains(&event.kind.as_str()) {
            let owner = state_of(&by_id, event)
                .and_then(|name| steps.iter().position(|s| s.name == name))
                .or(current);
            if let Some(step) = owner.and_then(|at| steps.get_mut(at)) {
                if step.status == "running" || event.kind.starts_with("Execution") {
                    step.status = "failed";
                    step.error = event.error.clone().or(step.error.take());
                    step.cause = event.cause.clone().or(step.cause.take());
                }
            }
        }
    }
    steps
}

/// Each branch's outcome as the machine records it (`$.processor`, `$.products`:
/// `{"status": "skipped"|"succeeded", "reason"?}`), from the latest state output holding it.
pub fn branches(history: &[Event]) -> BTreeMap<&'static str, Value> {
    let mut found = BTreeMap::new();
    for event in history.iter().rev() {
        let Some(output) = event
            .output
            .as_deref()
            .filter(|_| event.kind.ends_with("StateExited"))
            .and_then(|o| serde_json::from_str::<Value>(o).ok())
        else {
            continue;
        };
        for branch in BRANCHES {
            if let Some(outcome) = output.get(branch).filter(|b| b.get("status").is_some()) {
                found.entry(branch).or_insert_with(|| outcome.clone());
            }
        }
        if found.len() == BRANCHES.len() {
            break;
        }
    }
    found
}

/// An API Gateway HTTP API (payload v2) request as a [`Request`].
pub fn from_api_gateway(request: &ApiGatewayV2httpRequest) -> Result<Request, String> {
    let body = match (&request.body, request.is_base64_encoded) {
        (Some(body), true) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|e| format!("body is not base64: {e}"))?;
            Some(String::from_utf8(bytes).map_err(|_| "body is not UTF-8".to_owned())?)
        }
        (body, false) => body.clone(),
        (None, true) => None,
    };
    let query = request
        .query_string_parameters
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok(Request {
        method: request.request_context.http.method.as_str().to_owned(),
        path: request.raw_path.clone().unwrap_or_default(),
        query,
        body,
    })
}

pub fn to_api_gateway(response: &Response) -> ApiGatewayV2httpResponse {
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(response.status);
    out.headers.insert(
        "content-type",
        aws_lambda_events::http::HeaderValue::from_static("application/json"),
    );
    out.body = Some(Body::Text(response.body.to_string()));
    out
}

/// The api Lambda's handler: a malformed request is a 400, never a function error.
pub async fn handle(api: &Api, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let response = match from_api_gateway(request) {
        Ok(request) => api.route(&request).await,
        Err(e) => Response::error(400, e),
    };
    to_api_gateway(&response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, state: Option<&str>) -> Event {
        Event {
            kind: kind.into(),
            state: state.map(str::to_owned),
            ..Event::default()
        }
    }

    #[test]
    fn steps_follow_the_history() {
        let mut failed = event("TaskFailed", None);
        failed.error = Some("Job.ExitCode.2".into());
        failed.cause = Some("bad grid".into());
        let mut skipped = event("PassStateExited", Some("ProcessorSkipped"));
        skipped.output =
            Some(json!({"processor": {"status": "skipped", "reason": "no raw"}}).to_string());
        let history = [
            event("ExecutionStarted", None),
            event("TaskStateEntered", Some("Inventory")),
            event("TaskStateExited", Some("Inventory")),
            event("PassStateEntered", Some("ProcessorSkipped")),
            skipped,
            event("TaskStateEntered", Some("QC")),
            event("TaskStateExited", Some("QC")),
            event("TaskStateEntered", Some("QC")),
            failed,
            event("ExecutionFailed", None),
        ];
        let steps = steps(&history);
        let view: Vec<(&str, &str, u32)> = steps
            .iter()
            .map(|s| (s.name.as_str(), s.status, s.entered))
            .collect();
        assert_eq!(
            view,
            [
                ("Inventory", "succeeded", 1),
                ("ProcessorSkipped", "succeeded", 1),
                ("QC", "failed", 2)
            ]
        );
        assert_eq!(steps[2].error.as_deref(), Some("Job.ExitCode.2"));
        assert_eq!(
            branches(&history)["processor"],
            json!({"status": "skipped", "reason": "no raw"})
        );
    }

    #[test]
    fn a_failure_belongs_to_the_state_its_chain_leads_to_not_the_last_entered() {
        // Two Parallel branches: QC fails after COG was entered in the other branch.
        let chained = |id: i64, previous_id: i64, kind: &str, state: Option<&str>| Event {
            id,
            previous_id,
            ..event(kind, state)
        };
        let mut failed = chained(5, 3, "TaskFailed", None);
        failed.error = Some("Job.ExitCode.1".into());
        let history = [
            chained(1, 0, "ParallelStateEntered", Some("GridProducts")),
            chained(2, 1, "TaskStateEntered", Some("QC")),
            chained(3, 2, "TaskScheduled", None),
            chained(4, 1, "TaskStateEntered", Some("COG")),
            failed,
        ];
        let steps = steps(&history);
        let qc = steps.iter().find(|s| s.name == "QC").unwrap();
        assert_eq!(
            (qc.status, qc.error.as_deref()),
            ("failed", Some("Job.ExitCode.1"))
        );
        let cog = steps.iter().find(|s| s.name == "COG").unwrap();
        assert_eq!(cog.status, "running");
    }

    #[test]
    fn a_failed_jsonata_expression_fails_its_state_even_when_caught() {
        let mut failed = event("EvaluationFailed", None);
        failed.id = 3;
        failed.previous_id = 2;
        failed.error = Some("States.QueryEvaluationError".into());
        let mut entered = event("TaskStateEntered", Some("Inventory"));
        entered.id = 2;
        let history = [entered, failed, event("TaskStateExited", Some("Inventory"))];
        let inventory = &steps(&history)[0];
        assert_eq!(
            (inventory.status, inventory.error.as_deref()),
            ("failed", Some("States.QueryEvaluationError"))
        );
    }

    #[test]
    fn ids_are_execution_names() {
        assert!(valid_id("H12604-abc_DEF"));
        for bad in ["", "a b", "a/b", "..", &"x".repeat(81), "é"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
