//! `$batch` (<https://learn.microsoft.com/graph/json-batching>), over HTTP.

use anchorsync_twin::{Clock, Throttling};
use serde_json::{Value, json};

use crate::support::*;

async fn batch(harness: &Harness, token: &str, body: Value) -> Reply {
    harness.post("/$batch", token, body).await
}

fn by_id<'a>(responses: &'a Value, id: &str) -> &'a Value {
    responses["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|response| response["id"] == id)
        .unwrap_or_else(|| panic!("no response `{id}` in {responses}"))
}

#[tokio::test]
async fn a_batch_answers_each_request_with_its_own_status() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = batch(
        &harness,
        &token,
        json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users/alice@contoso.com?$select=id,jobTitle"},
            {"id": "2", "method": "PATCH", "url": format!("/users/{ALICE}"),
             "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Lead"}, "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/users/alice@contoso.com?$select=jobTitle", "dependsOn": ["2"]},
            {"id": "4", "method": "GET", "url": "/users/nobody@contoso.com"},
            {"id": "5", "method": "PATCH", "url": "/users/nobody@contoso.com",
             "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "x"}, "dependsOn": ["4"]},
            {"id": "6", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
            {"id": "7", "method": "POST", "url": "/users", "body": {"displayName": "x"}},
        ]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let responses = reply.json();
    assert_eq!(by_id(&responses, "1")["status"], 200);
    assert_eq!(by_id(&responses, "1")["body"]["jobTitle"], "Engineer");
    assert_eq!(by_id(&responses, "1")["headers"]["x-ms-resource-unit"], "1");
    assert_eq!(by_id(&responses, "2")["status"], 204);
    assert!(by_id(&responses, "2").get("body").is_none());
    assert_eq!(by_id(&responses, "3")["body"]["jobTitle"], "Lead");
    assert_eq!(by_id(&responses, "4")["status"], 404);
    assert_eq!(
        by_id(&responses, "4")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(by_id(&responses, "5")["status"], 424);
    assert_eq!(by_id(&responses, "6")["status"], 200);
    assert_eq!(by_id(&responses, "6")["body"], USER_COUNT.to_string());
    // A body without Content-Type is refused for that request only.
    assert_eq!(by_id(&responses, "7")["status"], 400);
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let harness = start();
    let token = harness.token(APP).await;
    let get = |id: String| json!({"id": id, "method": "GET", "url": "/domains"});
    let too_many: Vec<Value> = (0..21).map(|n| get(n.to_string())).collect();
    let reply = batch(&harness, &token, json!({ "requests": too_many })).await;
    assert_graph_error(
        &reply,
        400,
        "BadRequest",
        "Number of requests in the batch is 21; the limit is 20.",
    );
    let twenty: Vec<Value> = (0..20).map(|n| get(n.to_string())).collect();
    assert_eq!(
        batch(&harness, &token, json!({ "requests": twenty }))
            .await
            .status,
        200
    );
    let duplicate = batch(
        &harness,
        &token,
        json!({"requests": [get("a".into()), get("A".into())]}),
    )
    .await;
    assert_eq!(duplicate.status, 400, "ids are unique case-insensitively");
    let unknown_dependency = batch(
        &harness,
        &token,
        json!({"requests": [{"id": "1", "method": "GET", "url": "/domains", "dependsOn": ["9"]}]}),
    )
    .await;
    assert_eq!(unknown_dependency.status, 400);
    let cycle = batch(
        &harness,
        &token,
        json!({"requests": [
            {"id": "1", "method": "GET", "url": "/domains", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/domains", "dependsOn": ["1"]},
        ]}),
    )
    .await;
    assert_eq!(cycle.status, 400);
    assert_eq!(
        batch(&harness, &token, json!({"nope": []})).await.status,
        400
    );
    let unauthenticated = batch(&harness, "", json!({"requests": [get("1".into())]})).await;
    assert_eq!(unauthenticated.status, 401);
}

#[tokio::test]
async fn each_inner_request_is_throttled_on_its_own() {
    let mut config = config();
    config.throttling = Throttling {
        write_budget: 3,
        ..Throttling::default()
    };
    let harness = start_at(tenant(), config, Clock::manual(epoch()));
    let token = harness.token(APP).await;
    let requests: Vec<Value> = (0..5)
        .map(|n| {
            json!({"id": n.to_string(), "method": "PATCH", "url": format!("/users/user{n:03}@contoso.com"),
                   "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "x"}})
        })
        .collect();
    let reply = batch(&harness, &token, json!({ "requests": requests })).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let responses = reply.json();
    let statuses: Vec<u64> = (0..5)
        .map(|n| {
            by_id(&responses, &n.to_string())["status"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(statuses, [204, 204, 204, 429, 429]);
    let throttled = by_id(&responses, "3");
    assert_eq!(throttled["headers"]["Retry-After"], "50");
    assert_eq!(
        throttled["headers"]["x-ms-throttle-information"],
        "WriteLimitExceeded"
    );
    assert_eq!(throttled["body"]["error"]["code"], "TooManyRequests");
}
