//! Per-request context: the request id, the client's `client-request-id`, the time the request
//! arrived and the URL the caller used. A middleware makes it, handlers read it as an extension, and
//! error rendering reads it from a task-local, so every error body carries the same ids as the
//! response headers without each handler passing them around.

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::clock::Clock;

/// What a handler knows about the request besides its path, query and body.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// `request-id`: new for every request (and every inner request of a batch).
    pub request_id: String,
    /// `client-request-id`: the client's own, or the request id.
    pub client_request_id: String,
    /// When the twin received the request (the twin's clock).
    pub now: SystemTime,
    /// The Graph root as the caller addressed it, e.g. `https://127.0.0.1:8400/v1.0`.
    pub graph_root: String,
    /// The request carried `ConsistencyLevel: eventual`.
    pub eventual: bool,
}

/// Set on the inner requests of a `$batch` so they address the same Graph root as the batch.
#[derive(Debug, Clone)]
pub(crate) struct BatchOrigin {
    pub graph_root: String,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request being handled on this task, if any.
pub(crate) fn current() -> Option<RequestContext> {
    CONTEXT.try_with(Clone::clone).ok()
}

fn graph_root(headers: &HeaderMap, request: &Request) -> String {
    let scheme = crate::origin::scheme(request.extensions());
    format!(
        "{}/v1.0",
        crate::origin::origin(scheme, headers, request.uri())
    )
}

/// Middleware: builds the [`RequestContext`], runs the rest of the stack inside it, and stamps the
/// ids on the response. It takes the twin's clock rather than the twin, so that error rendering,
/// which reads this module, does not depend on the twin's state.
pub(crate) async fn with_context(
    State(clock): State<Clock>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map_or_else(|| request_id.clone(), str::to_owned);
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("eventual"));
    let root = match request.extensions().get::<BatchOrigin>() {
        Some(origin) => origin.graph_root.clone(),
        None => graph_root(headers, &request),
    };
    let context = RequestContext {
        request_id,
        client_request_id,
        now: clock.now(),
        graph_root: root,
        eventual,
    };
    request.extensions_mut().insert(context.clone());
    let ids = (
        HeaderValue::from_str(&context.request_id),
        HeaderValue::from_str(&context.client_request_id),
    );
    let mut response = CONTEXT.scope(context, next.run(request)).await;
    if let (Ok(request_id), Ok(client_request_id)) = ids {
        let headers = response.headers_mut();
        headers.insert("request-id", request_id);
        headers.insert("client-request-id", client_request_id);
    }
    response
}
