//! Successful Graph responses: JSON with Graph's content type and `OData-Version`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::GRAPH_JSON;

/// A JSON body as Graph sends it.
pub(crate) fn graph_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(GRAPH_JSON));
    headers.insert("OData-Version", HeaderValue::from_static("4.0"));
    response
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{root}/$metadata#{fragment}`.
pub(crate) fn context_url(graph_root: &str, fragment: &str) -> Value {
    Value::from(format!("{graph_root}/$metadata#{fragment}"))
}

/// One entity: `@odata.context` (`…#{fragment}/$entity`) first, then its properties.
pub(crate) fn entity(
    status: StatusCode,
    graph_root: &str,
    fragment: &str,
    fields: Value,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        context_url(graph_root, &format!("{fragment}/$entity")),
    );
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    graph_json(status, &Value::Object(body))
}

/// A collection that fits one page: `@odata.context` and `value`.
pub(crate) fn collection(graph_root: &str, fragment: &str, values: Vec<Value>) -> Response {
    graph_json(
        StatusCode::OK,
        &json!({
            "@odata.context": context_url(graph_root, fragment),
            "value": values,
        }),
    )
}
