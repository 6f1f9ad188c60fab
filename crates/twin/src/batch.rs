//! `POST /v1.0/$batch` (<https://learn.microsoft.com/graph/json-batching>): at most 20 requests
//! with unique ids, `dependsOn` ordering (a request whose dependency failed gets 424), one status
//! per request. Every inner request goes through the same stack as a direct one, so it is
//! authenticated, throttled and faulted on its own: an inner 429 carries its own `Retry-After`.
//!
//! The twin runs the requests one after another, in the given order except where `dependsOn` asks
//! for a later one first, and returns the responses in that order (Graph may use any order).

use std::collections::HashSet;

use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;

use crate::context::{BatchOrigin, RequestContext};
use crate::error::GraphError;
use crate::messages;
use crate::response::graph_json;

/// The most requests one batch may hold.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// What the batch handler needs: the resource routes its requests go to.
#[derive(Clone)]
pub(crate) struct BatchState {
    pub resources: Router,
}

struct InnerRequest {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn field<'a>(request: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    request
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn parse(body: &[u8]) -> Result<Vec<InnerRequest>, GraphError> {
    let Ok(Value::Object(batch)) = serde_json::from_slice::<Value>(body) else {
        return Err(messages::batch_malformed("the body is not a JSON object"));
    };
    let Some(Value::Array(requests)) = field(&batch, "requests") else {
        return Err(messages::batch_malformed("`requests` must be an array"));
    };
    if requests.is_empty() {
        return Err(messages::batch_malformed("`requests` is empty"));
    }
    if requests.len() > MAX_BATCH_REQUESTS {
        return Err(messages::batch_too_many(requests.len()));
    }
    let mut parsed = Vec::with_capacity(requests.len());
    let mut ids: HashSet<String> = HashSet::new();
    for request in requests {
        let Value::Object(request) = request else {
            return Err(messages::batch_malformed(
                "every request must be a JSON object",
            ));
        };
        let id = match field(request, "id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            _ => return Err(messages::batch_malformed("every request needs an `id`")),
        };
        // Ids are unique case-insensitively (<https://learn.microsoft.com/graph/json-batching>).
        if !ids.insert(id.to_lowercase()) {
            return Err(messages::batch_malformed(&format!(
                "the request id `{id}` is used more than once"
            )));
        }
        let Some(Value::String(method)) = field(request, "method") else {
            return Err(messages::batch_malformed(&format!(
                "request `{id}` needs a `method`"
            )));
        };
        let Some(Value::String(url)) = field(request, "url") else {
            return Err(messages::batch_malformed(&format!(
                "request `{id}` needs a `url`"
            )));
        };
        let headers = match field(request, "headers") {
            Some(Value::Object(headers)) => headers.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                return Err(messages::batch_malformed(&format!(
                    "the `headers` of request `{id}` must be an object"
                )));
            }
        };
        let depends_on = match field(request, "dependsOn") {
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| {
                    id.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| id.to_string())
                })
                .collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                return Err(messages::batch_malformed(&format!(
                    "the `dependsOn` of request `{id}` must be an array"
                )));
            }
        };
        parsed.push(InnerRequest {
            id,
            method: method.to_ascii_uppercase(),
            url: url.clone(),
            headers,
            body: field(request, "body")
                .filter(|body| !body.is_null())
                .cloned(),
            depends_on,
        });
    }
    for request in &parsed {
        for dependency in &request.depends_on {
            if !ids.contains(&dependency.to_lowercase()) {
                return Err(messages::batch_malformed(&format!(
                    "request `{}` depends on `{dependency}`, which is not in the batch",
                    request.id
                )));
            }
        }
    }
    Ok(parsed)
}

/// The order to run the requests in: as given, except that a request waits for its dependencies.
fn run_order(requests: &[InnerRequest]) -> Result<Vec<usize>, GraphError> {
    let mut done: Vec<String> = Vec::new();
    let mut order = Vec::with_capacity(requests.len());
    while order.len() < requests.len() {
        let ready = requests.iter().enumerate().find(|(index, request)| {
            !order.contains(index)
                && request
                    .depends_on
                    .iter()
                    .all(|dependency| done.iter().any(|d| d.eq_ignore_ascii_case(dependency)))
        });
        let Some((index, request)) = ready else {
            return Err(messages::batch_malformed(
                "the `dependsOn` references form a cycle",
            ));
        };
        order.push(index);
        done.push(request.id.clone());
    }
    Ok(order)
}

fn item(id: &str, status: StatusCode, headers: Map<String, Value>, body: Option<Value>) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), Value::from(id));
    item.insert("status".into(), Value::from(status.as_u16()));
    item.insert("headers".into(), Value::Object(headers));
    if let Some(body) = body {
        item.insert("body".into(), body);
    }
    Value::Object(item)
}

fn error_item(id: &str, error: &GraphError) -> Value {
    let mut headers = Map::new();
    headers.insert("Content-Type".into(), Value::from("application/json"));
    item(id, error.status, headers, Some(error.body()))
}

/// Graph's spelling of the header names clients look for.
fn display_name(name: &HeaderName) -> String {
    match name.as_str() {
        "content-type" => "Content-Type".to_owned(),
        "retry-after" => "Retry-After".to_owned(),
        "location" => "Location".to_owned(),
        "odata-version" => "OData-Version".to_owned(),
        "www-authenticate" => "WWW-Authenticate".to_owned(),
        "cache-control" => "Cache-Control".to_owned(),
        other => other.to_owned(),
    }
}

fn inner_request(
    request: &InnerRequest,
    authorization: Option<&HeaderValue>,
    origin: &BatchOrigin,
) -> Result<Request<Body>, GraphError> {
    let method = Method::from_bytes(request.method.as_bytes())
        .ok()
        .filter(|method| {
            [
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::PUT,
                Method::DELETE,
            ]
            .contains(method)
        })
        .ok_or_else(messages::method_not_allowed)?;
    if request.url.contains("://") {
        return Err(messages::batch_malformed(&format!(
            "the `url` of request `{}` must be relative, like `/users`",
            request.id
        )));
    }
    let mut url = request.url.trim().to_owned();
    if !url.starts_with('/') {
        url.insert(0, '/');
    }
    if let Some(rest) = url.strip_prefix("/v1.0/") {
        url = format!("/{rest}");
    }
    let has_content_type = request
        .headers
        .keys()
        .any(|name| name.eq_ignore_ascii_case("content-type"));
    if request.body.is_some() && !has_content_type {
        return Err(messages::batch_malformed(&format!(
            "request `{}` has a body but no `Content-Type` header",
            request.id
        )));
    }
    let mut builder = Request::builder().method(method).uri(url.as_str());
    if let Some(authorization) = authorization {
        builder = builder.header(header::AUTHORIZATION, authorization.clone());
    }
    for (name, value) in &request.headers {
        let value = value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string());
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(&value);
        match (name, value) {
            (Ok(name), Ok(value)) => builder = builder.header(name, value),
            _ => {
                return Err(messages::batch_malformed(&format!(
                    "request `{}` has an invalid header",
                    request.id
                )));
            }
        }
    }
    let body = match &request.body {
        Some(body) => Body::from(serde_json::to_vec(body).unwrap_or_default()),
        None => Body::empty(),
    };
    let mut inner = builder.body(body).map_err(|_| {
        messages::batch_malformed(&format!(
            "the `url` of request `{}` is not valid",
            request.id
        ))
    })?;
    inner.extensions_mut().insert(origin.clone());
    Ok(inner)
}

async fn into_item(id: &str, response: Response) -> Value {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        if matches!(
            name.as_str(),
            "content-length" | "date" | "transfer-encoding" | "request-id" | "client-request-id"
        ) {
            continue;
        }
        if let Ok(value) = value.to_str() {
            headers.insert(display_name(name), Value::from(value));
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    // JSON bodies are embedded as JSON; anything else (the text/plain of `$count`) as a string.
    let text = || Value::from(String::from_utf8_lossy(&bytes).into_owned());
    let body = if bytes.is_empty() {
        None
    } else if is_json {
        Some(serde_json::from_slice::<Value>(&bytes).unwrap_or_else(|_| text()))
    } else {
        Some(text())
    };
    item(id, status, headers, body)
}

/// `POST /$batch`.
pub(crate) async fn batch(
    State(state): State<BatchState>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    let requests = parse(&body)?;
    let order = run_order(&requests)?;
    let authorization = headers.get(header::AUTHORIZATION);
    let origin = BatchOrigin {
        graph_root: context.graph_root.clone(),
    };
    let mut statuses: Vec<(String, StatusCode)> = Vec::with_capacity(requests.len());
    let mut responses = Vec::with_capacity(requests.len());
    for index in order {
        let Some(request) = requests.get(index) else {
            continue;
        };
        let failed_dependency = request.depends_on.iter().any(|dependency| {
            statuses
                .iter()
                .any(|(id, status)| id.eq_ignore_ascii_case(dependency) && !status.is_success())
        });
        let value = if failed_dependency {
            error_item(&request.id, &messages::failed_dependency())
        } else {
            match inner_request(request, authorization, &origin) {
                Ok(inner) => {
                    let response = match state.resources.clone().oneshot(inner).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    into_item(&request.id, response).await
                }
                Err(error) => error_item(&request.id, &error),
            }
        };
        let status = value
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|status| u16::try_from(status).ok())
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        statuses.push((request.id.clone(), status));
        responses.push(value);
    }
    Ok(graph_json(StatusCode::OK, &json!({ "responses": responses })).into_response())
}
