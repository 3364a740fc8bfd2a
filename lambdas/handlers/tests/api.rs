//! The run API: routes against moto's Step Functions and S3, every status through a recorded
//! set of executions (moto has no redrive and no PENDING_REDRIVE).

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use common::{World, FAILS, SUCCEEDS, WAITS};
use leadline_core::key::Key;
use leadline_lambdas::api::{self, Api, Request};
use leadline_lambdas::buckets::Buckets;
use leadline_lambdas::executions::{
    Event, Execution, Executions, ExecutionsError, Page, Started, Status, Summary,
};
use serde_json::{json, Value};

fn request(method: &str, path: &str, body: Option<Value>) -> Request {
    Request {
        method: method.into(),
        path: path.into(),
        query: BTreeMap::new(),
        body: body.map(|b| b.to_string()),
    }
}

fn api(world: &World, executions: Arc<dyn Executions>) -> Api {
    Api {
        executions,
        buckets: world.buckets.clone(),
        uploads: "uploads".into(),
        products: "products".into(),
    }
}

async fn upload(world: &World, survey: &str) {
    world
        .put("uploads", &format!("{survey}/grids/a.bag"), b"grid")
        .await;
    world.put("uploads", &format!("{survey}/.done"), b"").await;
}

#[tokio::test]
async fn start_list_status_stop_and_manifest_on_moto() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let api = api(&world, executions.clone());
    upload(&world, "H1").await;

    let started = api
        .route(&request("POST", "/runs", Some(json!({"survey": "H1"}))))
        .await;
    assert_eq!(started.status, 202, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();

    let again = api
        .route(&request("POST", "/runs", Some(json!({"survey": "H1"}))))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["id"], id.as_str());

    let put = request("PUT", "/runs/client-42", Some(json!({"survey": "H1"})));
    assert_eq!(api.route(&put).await.status, 202);
    assert_eq!(api.route(&put).await.status, 200);

    let mut list = request("GET", "/runs", None);
    list.query.insert("status".into(), "running".into());
    let listed = api.route(&list).await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body["runs"].as_array().unwrap().len(),
        2,
        "{}",
        listed.body
    );
    list.query.insert("limit".into(), "1".into());
    let page = api.route(&list).await;
    assert_eq!(page.body["runs"].as_array().unwrap().len(), 1);
    assert!(page.body["next"].is_string(), "{}", page.body);
    list.query
        .insert("next".into(), page.body["next"].as_str().unwrap().into());
    let rest = api.route(&list).await;
    assert_eq!(rest.body["runs"].as_array().unwrap().len(), 1);
    assert_ne!(rest.body["runs"][0]["id"], page.body["runs"][0]["id"]);

    common::entered(executions.as_ref(), &executions.execution_arn(&id), "Hold").await;
    let status = api
        .route(&request("GET", &format!("/prod/runs/{id}"), None))
        .await;
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.body["status"], "RUNNING");
    assert_eq!(status.body["survey"], "H1");
    assert_eq!(status.body["steps"][0]["name"], "Hold");
    assert_eq!(status.body["steps"][0]["status"], "running");

    let manifest = api
        .route(&request("GET", &format!("/runs/{id}/manifest"), None))
        .await;
    assert_eq!(manifest.status, 404, "{}", manifest.body);

    let stopped = api
        .route(&request("POST", &format!("/runs/{id}/stop"), None))
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert_eq!(
        api.route(&request("POST", &format!("/runs/{id}/stop"), None))
            .await
            .status,
        409
    );
    let aborted = api
        .route(&request("GET", &format!("/runs/{id}"), None))
        .await;
    assert_eq!(aborted.body["status"], "ABORTED");

    world
        .buckets
        .bucket("products")
        .put_bytes(
            &Key::new(format!("H1/{id}/manifest.json")).unwrap(),
            br#"{"cid": "bafy-test"}"#.to_vec(),
        )
        .await
        .unwrap();
    let manifest = api
        .route(&request("GET", &format!("/runs/{id}/manifest"), None))
        .await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.body["cid"], "bafy-test");
}

#[tokio::test]
async fn finished_runs_report_steps_and_errors_on_moto() {
    let world = World::new().await;
    for (definition, expected) in [(SUCCEEDS, "SUCCEEDED"), (FAILS, "FAILED")] {
        let executions = world.machine(expected, definition).await;
        let api = api(&world, executions.clone());
        let run = executions
            .start("run-1", r#"{"survey": "H9"}"#)
            .await
            .unwrap();
        common::finished(executions.as_ref(), run.arn()).await;
        let status = api.route(&request("GET", "/runs/run-1", None)).await;
        assert_eq!(status.status, 200);
        assert_eq!(status.body["status"], expected, "{}", status.body);
        if expected == "FAILED" {
            assert_eq!(status.body["error"], "Leadline.Test");
            assert_eq!(status.body["cause"], "failed on purpose");
            let steps = status.body["steps"].as_array().unwrap();
            assert_eq!(steps[0]["status"], "succeeded", "{}", status.body);
            assert_eq!(steps.last().unwrap()["name"], "Broken");
        }
        // A finished run cannot be stopped; moto cannot redrive, which the route reports.
        let stop = api.route(&request("POST", "/runs/run-1/stop", None)).await;
        assert_eq!(stop.status, 409);
    }
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let api = api(&world, executions);
    world.put("uploads", "HALF/raw/a.all", b"x").await;
    for (request, status) in [
        (request("POST", "/runs", Some(json!({}))), 400),
        (request("POST", "/runs", None), 400),
        (
            request("POST", "/runs", Some(json!({"survey": "../etc"}))),
            400,
        ),
        (
            request("POST", "/runs", Some(json!({"survey": "a/b"}))),
            400,
        ),
        (
            request("POST", "/runs", Some(json!({"survey": "HALF"}))),
            409,
        ),
        (
            request("PUT", "/runs/bad id", Some(json!({"survey": "H1"}))),
            400,
        ),
        (request("GET", "/runs/nope", None), 404),
        (request("GET", "/runs/nope/manifest", None), 404),
        (request("POST", "/runs/nope/stop", None), 404),
        (request("DELETE", "/runs/x", None), 405),
        (request("GET", "/elsewhere", None), 404),
    ] {
        let response = api.route(&request).await;
        assert_eq!(response.status, status, "{request:?}: {}", response.body);
        assert!(response.body["error"].is_string(), "{}", response.body);
    }
    let mut list = request("GET", "/runs", None);
    list.query.insert("status".into(), "SLEEPING".into());
    assert_eq!(api.route(&list).await.status, 400);
    list.query.insert("status".into(), "failed".into());
    list.query.insert("limit".into(), "0".into());
    assert_eq!(api.route(&list).await.status, 400);
}

#[tokio::test]
async fn api_gateway_v2_requests_round_trip() {
    let world = World::new().await;
    let executions = world.machine("survey", WAITS).await;
    let api = api(&world, executions);
    upload(&world, "H7").await;
    let event: ApiGatewayV2httpRequest = serde_json::from_value(json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/runs", "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "x",
            "domainPrefix": "x", "http": {"method": "POST", "path": "/runs",
            "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "r", "routeKey": "$default", "stage": "$default",
            "time": "23/Nov/2026:01:02:03 +0000", "timeEpoch": 0},
        "body": "eyJzdXJ2ZXkiOiAiSDcifQ==", "isBase64Encoded": true
    }))
    .unwrap();
    let response = api::handle(&api, &event).await;
    assert_eq!(response.status_code, 202);
    let body = serde_json::to_value(&response).unwrap();
    assert_eq!(body["headers"]["content-type"], "application/json");
    let inner: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    assert!(inner["id"].as_str().unwrap().starts_with("H7-"));
}

/// Executions in every status, as recorded; stop and redrive change them like AWS does.
struct Recorded {
    runs: Mutex<BTreeMap<String, Status>>,
}

#[async_trait]
impl Executions for Recorded {
    fn state_machine(&self) -> &str {
        "arn:aws:states:us-east-1:123456789012:stateMachine:survey"
    }

    async fn start(&self, name: &str, _input: &str) -> Result<Started, ExecutionsError> {
        Err(ExecutionsError::LimitExceeded(format!(
            "{name}: 1,000,000 open executions"
        )))
    }

    async fn list(
        &self,
        status: Option<Status>,
        _max: i32,
        _next: Option<String>,
    ) -> Result<Page, ExecutionsError> {
        let runs = self.runs.lock().unwrap();
        Ok(Page {
            executions: runs
                .iter()
                .filter(|(_, s)| status.is_none_or(|wanted| **s == wanted))
                .map(|(name, status)| Summary {
                    arn: self.execution_arn(name),
                    name: name.clone(),
                    status: *status,
                    started: "2026-11-23T01:00:00Z".into(),
                    stopped: None,
                })
                .collect(),
            next: None,
        })
    }

    async fn describe(&self, arn: &str) -> Result<Execution, ExecutionsError> {
        let name = arn.rsplit(':').next().unwrap_or_default();
        let status = *self
            .runs
            .lock()
            .unwrap()
            .get(name)
            .ok_or_else(|| ExecutionsError::NotFound(arn.into()))?;
        Ok(Execution {
            summary: Summary {
                arn: arn.into(),
                name: name.into(),
                status,
                started: "2026-11-23T01:00:00Z".into(),
                stopped: None,
            },
            input: Some(r#"{"survey": "H1"}"#.into()),
            error: None,
            cause: None,
            version_arn: None,
            alias_arn: None,
        })
    }

    async fn history(&self, _arn: &str) -> Result<Vec<Event>, ExecutionsError> {
        Ok(vec![])
    }

    async fn stop(&self, arn: &str, _cause: &str) -> Result<(), ExecutionsError> {
        let name = arn.rsplit(':').next().unwrap_or_default();
        self.runs
            .lock()
            .unwrap()
            .insert(name.into(), Status::Aborted);
        Ok(())
    }

    async fn redrive(&self, arn: &str) -> Result<(), ExecutionsError> {
        let name = arn.rsplit(':').next().unwrap_or_default();
        self.runs
            .lock()
            .unwrap()
            .insert(name.into(), Status::Running);
        Ok(())
    }
}

#[tokio::test]
async fn every_status_answers_each_route() {
    let world = World::new().await;
    let runs = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_ascii_lowercase(), *s))
        .collect();
    let api = api(
        &world,
        Arc::new(Recorded {
            runs: Mutex::new(runs),
        }),
    );
    for status in Status::ALL {
        let id = status.as_str().to_ascii_lowercase();
        let got = api
            .route(&request("GET", &format!("/runs/{id}"), None))
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body["status"], status.as_str());

        let mut list = request("GET", "/runs", None);
        list.query.insert("status".into(), status.as_str().into());
        let listed = api.route(&list).await;
        assert_eq!(listed.body["runs"][0]["id"], id.as_str(), "{}", listed.body);

        let stop = api
            .route(&request("POST", &format!("/runs/{id}/stop"), None))
            .await;
        let expected = if status == Status::Running { 200 } else { 409 };
        assert_eq!(stop.status, expected, "stop {id}: {}", stop.body);

        let redrive = api
            .route(&request("POST", &format!("/runs/{id}/redrive"), None))
            .await;
        // Stopping a running run made it ABORTED, which can be redriven.
        let expected = match status {
            Status::Running | Status::Failed | Status::TimedOut | Status::Aborted => 202,
            Status::Succeeded | Status::PendingRedrive => 409,
        };
        assert_eq!(redrive.status, expected, "redrive {id}: {}", redrive.body);
    }
    upload(&world, "H1").await;
    let limited = api
        .route(&request("POST", "/runs", Some(json!({"survey": "H1"}))))
        .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
}
