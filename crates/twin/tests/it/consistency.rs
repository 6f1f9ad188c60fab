//! What a sync engine must survive besides refusals (<https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/>; issue 14): a new user that is
//! not yet visible by id (the optional replication lag, on the twin's clock), and a write whose
//! answer is lost after it was carried out (the `lose_answers` fault). Raw HTTP.

use std::time::Duration;

use anchorsync_twin::Clock;
use serde_json::json;

use crate::support::*;

fn not_found(key: &str) -> String {
    format!(
        "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
    )
}

#[tokio::test]
async fn without_a_replication_lag_a_new_user_is_there_at_once_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let created = harness
        .post("/users", &token, new_user("fresh@contoso.com"))
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        harness.get(&format!("/users/{id}"), &token).await.status,
        200
    );
}

#[tokio::test]
async fn a_new_user_is_404_by_key_until_the_replication_lag_has_passed_issue_14() {
    let clock = Clock::manual(epoch());
    let mut config = config();
    config.replication_lag = Duration::from_secs(5);
    let harness = start_at(tenant(), config, clock.clone());
    let token = harness.token(APP).await;
    let reply = harness
        .post("/users", &token, new_user("fresh@contoso.com"))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let by_id = format!("/users/{id}");
    for key in [id.as_str(), "fresh@contoso.com"] {
        assert_graph_error(
            &harness.get(&format!("/users/{key}"), &token).await,
            404,
            "Request_ResourceNotFound",
            &not_found(key),
        );
    }
    assert_graph_error(
        &harness
            .patch(&by_id, &token, json!({"jobTitle": "x"}))
            .await,
        404,
        "Request_ResourceNotFound",
        &not_found(&id),
    );
    assert_graph_error(
        &harness.delete(&by_id, &token).await,
        404,
        "Request_ResourceNotFound",
        &not_found(&id),
    );
    assert_eq!(
        harness
            .get(&format!("{by_id}/memberOf"), &token)
            .await
            .status,
        404
    );
    // Lists show it; users that existed before are not affected.
    let listed = harness
        .get(
            "/users?$filter=userPrincipalName%20eq%20'fresh@contoso.com'&$select=id",
            &token,
        )
        .await
        .json();
    assert_eq!(listed["value"][0]["id"], id.as_str());
    assert_eq!(
        harness.get(&format!("/users/{ALICE}"), &token).await.status,
        200
    );
    // Until the lag has passed on the twin's clock, and not a second longer.
    clock.advance(Duration::from_secs(4));
    assert_eq!(harness.get(&by_id, &token).await.status, 404);
    clock.advance(Duration::from_secs(1));
    assert_eq!(harness.get(&by_id, &token).await.status, 200);
    let reply = harness
        .patch(&by_id, &token, json!({"jobTitle": "x"}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    // Refused writes during the lag changed nothing: the log has the create and this PATCH.
    let methods: Vec<&str> = harness
        .server
        .twin()
        .writes()
        .iter()
        .map(|write| write.method)
        .collect();
    assert_eq!(methods, ["POST", "PATCH"]);
}

#[tokio::test]
async fn a_lost_answer_comes_after_the_write_was_carried_out_issue_14() {
    let mut config = config();
    config.faults.lose_answers = vec!["POST /users".to_owned()];
    let harness = start_with(tenant(), config);
    let token = harness.token(APP).await;
    let sent = harness
        .http
        .post(format!("{}/users", harness.server.base_url()))
        .bearer_auth(&token)
        .json(&new_user("lost@contoso.com"))
        .send()
        .await;
    let answered = match sent {
        Ok(response) => response.bytes().await.is_ok(),
        Err(_) => false,
    };
    assert!(!answered, "the answer must be lost");
    // The user was created all the same, once; other requests are answered.
    let reply = harness.get("/users/lost@contoso.com", &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let writes = harness.server.twin().writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "POST");
    let reply = harness
        .patch("/users/lost@contoso.com", &token, json!({"jobTitle": "x"}))
        .await;
    assert_eq!(reply.status, 204);
}
