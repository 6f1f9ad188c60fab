//! How the twin says no: Graph's error JSON for `/v1.0`, AADSTS-style bodies for the token endpoint.
//!
//! Handlers return [`GraphError`] or [`TokenError`]; their one `IntoResponse` impl each renders the
//! body. The texts themselves live in [`crate::messages`].

use std::time::SystemTime;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::clock;
use crate::context;

/// The `Content-Type` Graph sends with JSON bodies.
pub(crate) const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A Graph error: `{"error":{"code","message","innerError":{...},"details"?}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.code`, e.g. `Request_BadRequest`.
    pub code: String,
    /// `error.message`.
    pub message: String,
    /// `error.details`, when Graph sends them (uniqueness conflicts, invalid values).
    pub details: Vec<ErrorDetail>,
    /// Extra response headers (`Retry-After`, `x-ms-throttle-*`, `WWW-Authenticate`).
    pub headers: Vec<(HeaderName, String)>,
}

/// One entry of `error.details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// `code`, e.g. `ObjectConflict`.
    pub code: String,
    /// `message`.
    pub message: String,
    /// `target`: the property (or object) concerned.
    pub target: String,
}

impl GraphError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds an `error.details` entry.
    #[must_use]
    pub fn detail(
        mut self,
        code: impl Into<String>,
        message: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        self.details.push(ErrorDetail {
            code: code.into(),
            message: message.into(),
            target: target.into(),
        });
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The body Graph would send, for the request being handled on this task.
    pub(crate) fn body(&self) -> Value {
        let context = context::current();
        let now = context
            .as_ref()
            .map_or(SystemTime::UNIX_EPOCH, |context| context.now);
        let (request_id, client_request_id) = context.map_or_else(
            || (String::new(), String::new()),
            |context| (context.request_id, context.client_request_id),
        );
        let mut error = Map::new();
        error.insert("code".into(), Value::from(self.code.clone()));
        error.insert("message".into(), Value::from(self.message.clone()));
        error.insert(
            "innerError".into(),
            json!({
                "date": clock::inner_error_date(now),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }),
        );
        if !self.details.is_empty() {
            let details = self
                .details
                .iter()
                .map(|detail| {
                    json!({"code": detail.code, "message": detail.message, "target": detail.target})
                })
                .collect();
            error.insert("details".into(), Value::Array(details));
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for GraphError {}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(GRAPH_JSON));
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// A token endpoint error in the Microsoft identity platform's shape:
/// `{"error","error_description":"AADSTS…: …\r\nTrace ID: …","error_codes":[…],"timestamp",…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// HTTP status (400, or 401 for bad client credentials).
    pub status: StatusCode,
    /// The OAuth error, e.g. `invalid_client`.
    pub error: &'static str,
    /// The AADSTS number, e.g. 7000215.
    pub aadsts: u32,
    /// The description after `AADSTS…: `.
    pub description: String,
}

impl TokenError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        aadsts: u32,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            aadsts,
            description: description.into(),
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: AADSTS{}: {}",
            self.error, self.aadsts, self.description
        )
    }
}

impl std::error::Error for TokenError {}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let context = context::current();
        let now = context
            .as_ref()
            .map_or(SystemTime::UNIX_EPOCH, |context| context.now);
        let (trace_id, correlation_id) = context.map_or_else(
            || (String::new(), String::new()),
            |context| (context.request_id, context.client_request_id),
        );
        let timestamp = clock::token_timestamp(now);
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.aadsts, self.description
            ),
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.aadsts),
        });
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}
