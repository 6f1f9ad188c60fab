//! Fuzzing the `$filter` parser and evaluator (issue 12) through the router, as a client reaches
//! them: arbitrary text, token soup from the filter grammar, and deep nesting never panic or
//! overflow the stack; every answer is 200 or a 400 in Graph's error shape.
//!
//! A short run is part of `cargo test`; `ANCHORSYNC_FUZZ_CASES=100000 cargo test -p anchorsync-twin
//! --test it filter_fuzz` runs longer (each strategy that many cases).

use anchorsync_twin::{MAX_FILTER_DEPTH, Twin, app};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::support::*;

/// Cases per strategy: `ANCHORSYNC_FUZZ_CASES`, else a short run.
fn cases() -> u32 {
    std::env::var("ANCHORSYNC_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256)
}

/// The test tenant, without throttling (thousands of requests from one app).
struct Target {
    twin: Twin,
    token: String,
    runtime: tokio::runtime::Runtime,
}

impl Target {
    fn new() -> Self {
        let mut config = config();
        config.throttling.enabled = false;
        let twin = Twin::new(tenant(), config).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let form = format!(
            "client_id={APP}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret={}&grant_type=client_credentials",
            secret(APP)
        );
        let request = Request::post(format!("/{TENANT}/oauth2/v2.0/token"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        let (status, body) = runtime.block_on(send(&twin, request));
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().unwrap().to_owned();
        Self {
            twin,
            token,
            runtime,
        }
    }

    /// `GET {path}?$filter={filter}` with advanced query parameters (so gating lets more through to
    /// the evaluator): 200, or 400 in Graph's error shape.
    fn check(&self, path: &str, filter: &str) -> Result<(), TestCaseError> {
        let uri = format!("/v1.0{path}?$count=true&$filter={}", encode(filter));
        let request = Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header("ConsistencyLevel", "eventual")
            .body(Body::empty())
            .unwrap();
        let (status, body) = self.runtime.block_on(send(&self.twin, request));
        match status {
            StatusCode::OK => prop_assert!(body["value"].is_array(), "{filter:?}: {body}"),
            StatusCode::BAD_REQUEST => {
                prop_assert!(body["error"]["code"].is_string(), "{filter:?}: {body}");
                prop_assert!(body["error"]["message"].is_string(), "{filter:?}: {body}");
            }
            other => prop_assert!(false, "{filter:?}: {other} {body}"),
        }
        Ok(())
    }
}

async fn send(twin: &Twin, request: Request<Body>) -> (StatusCode, Value) {
    let response = app(twin.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Percent-encodes every byte but letters and digits.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The collections whose `$filter` the twin parses, with their two schemas.
const PATHS: &[&str] = &[
    "/users",
    "/directory/deletedItems/microsoft.graph.user",
    "/roleManagement/directory/roleAssignments",
];

/// Pieces of the filter grammar, to be shuffled into near-misses.
const PIECES: &[&str] = &[
    "(",
    ")",
    "not",
    "and",
    "or",
    "eq",
    "ne",
    "ge",
    "lt",
    "in",
    "null",
    "true",
    "1",
    "-",
    ",",
    ":",
    "''",
    "'x'",
    "'a''b'",
    "2025-01-01T00:00:00Z",
    "userPrincipalName",
    "onPremisesImmutableId",
    "accountEnabled",
    "displayName",
    "principalId",
    "onPremisesExtensionAttributes/extensionAttribute1",
    "proxyAddresses/any(",
    "proxyAddresses/$count",
    "p",
    "p:",
    "startsWith(",
    "endsWith(",
    "id",
];

fn run(strategy: impl Strategy<Value = (usize, String)>) {
    let target = Target::new();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(path, filter)| {
            let path = PATHS.get(path % PATHS.len()).unwrap();
            target.check(path, &filter)
        })
        .unwrap();
}

#[test]
fn arbitrary_text_is_answered_200_or_400_issue_12() {
    run((any::<usize>(), any::<String>()));
}

#[test]
fn pieces_of_the_grammar_are_answered_200_or_400_issue_12() {
    let soup = prop::collection::vec(prop::sample::select(PIECES), 0..60)
        .prop_map(|pieces| pieces.join(" "));
    run((any::<usize>(), soup));
}

#[test]
fn deep_nesting_is_answered_200_or_400_issue_12() {
    let opener = prop::sample::select(&["(", "not ", "not(", "(not "][..]);
    let nesting = (
        prop::collection::vec(opener, 0..(MAX_FILTER_DEPTH * 3)),
        prop::bool::ANY,
        prop::sample::select(PIECES),
    )
        .prop_map(|(openers, balanced, tail)| {
            let closers: usize = openers.iter().map(|o| o.matches('(').count()).sum();
            let mut filter = openers.concat();
            filter.push_str("userPrincipalName eq 'alice@contoso.com'");
            if balanced {
                filter.push_str(&")".repeat(closers));
            } else {
                filter.push(' ');
                filter.push_str(tail);
            }
            filter
        });
    run((any::<usize>(), nesting));
}
