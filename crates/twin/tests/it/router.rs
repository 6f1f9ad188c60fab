//! The router without a socket (`tower::ServiceExt::oneshot`), where a socket adds nothing.

use anchorsync_twin::{HEALTH_PATH, Twin, app};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::support::*;

async fn send(twin: &Twin, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app(twin.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

async fn token(twin: &Twin) -> String {
    let form = format!(
        "client_id={APP}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret={}&grant_type=client_credentials",
        secret(APP)
    );
    let request = Request::post(format!("/{TENANT}/oauth2/v2.0/token"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, _, body) = send(twin, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::HOST, "twin.test")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn unknown_paths_and_methods_get_graph_errors() {
    let twin = Twin::new(tenant(), config()).unwrap();
    let token = token(&twin).await;
    let (status, _, body) = send(&twin, get("/v1.0/groupz", &token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'groupz'."
    );
    let put = Request::put(format!("/v1.0/users/{ALICE}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, body) = send(&twin, put).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body["error"]["message"],
        "Specified HTTP method is not allowed for the request target."
    );
    let (status, _, body) = send(&twin, get("/beta/users", &token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'beta'."
    );
}

#[tokio::test]
async fn context_and_next_links_use_the_public_url_never_the_host_header_issue_12() {
    let mut config = config();
    config.public_url = Some("https://twin.example:8443/".to_owned());
    let twin = Twin::new(tenant(), config).unwrap();
    let token = token(&twin).await;
    // `get` sends `Host: twin.test`, which must not reach the links.
    let (status, headers, body) = send(&twin, get("/v1.0/users?$top=2&$select=id", &token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["@odata.context"],
        "https://twin.example:8443/v1.0/$metadata#users(id)"
    );
    assert!(
        body["@odata.nextLink"]
            .as_str()
            .unwrap()
            .starts_with("https://twin.example:8443/v1.0/users?$top=2&$select=id&$skiptoken="),
        "{body}"
    );
    assert!(!body.to_string().contains("twin.test"), "{body}");
    assert_eq!(headers.get("OData-Version").unwrap(), "4.0");
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    assert!(headers.get("request-id").is_some());
}

#[tokio::test]
async fn health_needs_no_token() {
    let twin = Twin::new(tenant(), config()).unwrap();
    let request = Request::get(HEALTH_PATH).body(Body::empty()).unwrap();
    let (status, _, body) = send(&twin, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["tenantId"], TENANT);
    assert_eq!(body["users"], USER_COUNT);
}
