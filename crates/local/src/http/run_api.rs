//! `/api/...`: the api Lambda's run API ([`Api::route`]) over plain HTTP, so scripts and the
//! page use the same routes and JSON as API Gateway in AWS.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::json_error;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadline_lambdas::api::{Api, Request};

pub async fn handle(
    State(api): State<Arc<Api>>,
    method: Method,
    Path(path): Path<String>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
    body: Bytes,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, format!("query string: {e}")),
    };
    let body = match String::from_utf8(body.to_vec()) {
        Ok(body) if body.is_empty() => None,
        Ok(body) => Some(body),
        Err(_) => return json_error(StatusCode::BAD_REQUEST, "the body is not UTF-8 text"),
    };
    let request = Request {
        method: method.as_str().to_owned(),
        path: format!("/{path}"),
        query,
        body,
    };
    let response = api.route(&request).await;
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(response.body)).into_response()
}
