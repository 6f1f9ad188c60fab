//! Deleted users (<https://learn.microsoft.com/graph/api/directory-deleteditems-list>; issue 14): `DELETE /users/{id}` into deleted items, list (filter,
//! paging), get, restore (same id, `newUserPrincipalName`, `autoReconcileProxyConflict`, conflicts),
//! purge, the 30-day expiry on the twin's clock, the snapshot's `deletedUsers`, the write log,
//! `$batch` and throttling. Raw HTTP against a `TwinServer`.

use std::time::Duration;

use anchorsync_twin::{
    AppClient, Clock, Throttling, Twin, TwinConfig, read_snapshot, write_snapshot,
};
use serde_json::{Value, json};

use crate::support::*;

const LIST: &str = "/directory/deletedItems/microsoft.graph.user";
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn filler(n: usize) -> String {
    format!("22222222-0000-4000-8000-{n:012}")
}

fn conflict(property: &str) -> String {
    format!("Another object with the same value for property {property} already exists.")
}

/// Every page of a deleted-items listing, following `@odata.nextLink`.
async fn list_all(harness: &Harness, token: &str, first: &str) -> (Vec<Value>, usize) {
    let mut values = Vec::new();
    let mut pages = 0;
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let reply = harness.get(&url, token).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let page = reply.json();
        pages += 1;
        values.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    (values, pages)
}

async fn restore(harness: &Harness, token: &str, id: &str, body: Option<Value>) -> Reply {
    harness
        .call(
            reqwest::Method::POST,
            &format!("/directory/deletedItems/{id}/restore"),
            token,
            body,
            &[],
        )
        .await
}

#[tokio::test]
async fn a_deleted_user_moves_into_deleted_items_and_holds_no_unique_value_issue_14() {
    let clock = Clock::manual(epoch());
    let harness = start_at(tenant(), config(), clock.clone());
    let token = harness.token(APP).await;
    clock.advance(Duration::from_secs(90));
    let reply = harness.delete("/users/user007@contoso.com", &token).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let id = filler(7);
    assert_graph_error(
        &harness.get(&format!("/users/{id}"), &token).await,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    );
    let deleted = harness
        .get(
            &format!("/directory/deletedItems/{id}?$select=id,userPrincipalName,deletedDateTime,department"),
            &token,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let deleted = deleted.json();
    assert_eq!(
        deleted["@odata.context"],
        format!(
            "{}/$metadata#directoryObjects/$entity",
            harness.server.base_url()
        )
    );
    assert_eq!(deleted["@odata.type"], "#microsoft.graph.user");
    assert_eq!(deleted["userPrincipalName"], "user007@contoso.com");
    assert_eq!(deleted["department"], "Support");
    assert_eq!(
        deleted["deletedDateTime"], "2025-01-01T00:01:30Z",
        "the twin's clock"
    );
    // The write log lists the delete; the snapshot carries the deleted user.
    let writes = harness.server.twin().writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (writes[0].method, writes[0].resource.as_str()),
        ("DELETE", format!("/users/{id}").as_str())
    );
    let snapshot = harness.server.snapshot();
    assert_eq!(snapshot.users.len(), USER_COUNT - 1);
    assert_eq!(snapshot.deleted_users.len(), 1);
    assert_eq!(snapshot.deleted_users[0].id, id);
    assert_eq!(
        snapshot.deleted_users[0].other["deletedDateTime"],
        "2025-01-01T00:01:30Z"
    );

    // Its UPN and its ImmutableID are free for an active user.
    let reply = harness
        .post("/users", &token, new_user("user007@contoso.com"))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        harness
            .delete(&format!("/users/{OBRIEN}"), &token)
            .await
            .status,
        204
    );
    let mut same_anchor = new_user("anchor.taker@contoso.com");
    same_anchor["onPremisesImmutableId"] = json!("+D9q4TtdW06deixqiw5/EQ==");
    assert_eq!(
        harness.post("/users", &token, same_anchor).await.status,
        201
    );

    // ... and a restore then clashes: nothing changes.
    let reply = restore(&harness, &token, OBRIEN, None).await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        &conflict("onPremisesImmutableId"),
    );
    let reply = restore(&harness, &token, &id, Some(json!({}))).await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        &conflict("userPrincipalName"),
    );
    assert_eq!(
        reply.json()["error"]["details"][0]["code"],
        "ObjectConflict"
    );
    assert_eq!(harness.server.snapshot().deleted_users.len(), 2);

    // Under a new UPN it comes back with its id and properties.
    let reply = restore(
        &harness,
        &token,
        &id,
        Some(json!({"newUserPrincipalName": "user007.back@contoso.com"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let restored = reply.json();
    assert_eq!(
        restored["@odata.context"],
        format!(
            "{}/$metadata#directoryObjects/$entity",
            harness.server.base_url()
        )
    );
    assert_eq!(restored["@odata.type"], "#microsoft.graph.user");
    assert_eq!(restored["id"], id.as_str());
    assert_eq!(restored["userPrincipalName"], "user007.back@contoso.com");
    let active = harness
        .get(
            &format!("/users/{id}?$select=department,deletedDateTime"),
            &token,
        )
        .await
        .json();
    assert_eq!(active["department"], "Support");
    assert_eq!(active["deletedDateTime"], Value::Null);
    assert_eq!(
        harness
            .get(&format!("/directory/deletedItems/{id}"), &token)
            .await
            .status,
        404
    );
    let writes = harness.server.twin().writes();
    let last = writes.last().unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(
        last.resource,
        format!("/directory/deletedItems/{id}/restore")
    );
    assert_eq!(
        last.body["newUserPrincipalName"],
        "user007.back@contoso.com"
    );
}

#[tokio::test]
async fn a_restore_drops_proxy_conflicts_only_when_asked_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    assert_eq!(
        harness
            .delete(&format!("/users/{ALICE}"), &token)
            .await
            .status,
        204
    );
    let mut taker = new_user("alice.two@contoso.com");
    taker["mail"] = json!("alice@contoso.com");
    assert_eq!(harness.post("/users", &token, taker).await.status, 201);
    let reply = restore(&harness, &token, ALICE, None).await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        &conflict("proxyAddresses"),
    );
    let reply = restore(
        &harness,
        &token,
        ALICE,
        Some(json!({"autoReconcileProxyConflict": true})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let alice = harness
        .get(
            &format!("/users/{ALICE}?$select=proxyAddresses,userPrincipalName"),
            &token,
        )
        .await
        .json();
    assert_eq!(alice["userPrincipalName"], "alice@contoso.com");
    assert_eq!(
        alice["proxyAddresses"],
        json!(["smtp:alice@contoso.onmicrosoft.com"]),
        "the address the active user holds was dropped, the other kept"
    );
}

#[tokio::test]
async fn restore_parameters_and_missing_objects_are_refused_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let id = filler(3);
    assert_eq!(
        harness.delete(&format!("/users/{id}"), &token).await.status,
        204
    );
    assert_graph_error(
        &restore(
            &harness,
            &token,
            &id,
            Some(json!({"newUserPrincipalName": "a b@contoso.com"})),
        )
        .await,
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
    );
    assert_graph_error(
        &restore(
            &harness,
            &token,
            &id,
            Some(json!({"newUserPrincipalName": "x@unverified.example"})),
        )
        .await,
        400,
        "Request_BadRequest",
        "Property userPrincipalName is invalid.",
    );
    assert_graph_error(
        &restore(
            &harness,
            &token,
            &id,
            Some(json!({"newUserPrincipalName": "x@fabrikam.com"})),
        )
        .await,
        400,
        "Request_BadRequest",
        "One or more properties contains invalid values.",
    );
    assert_graph_error(
        &restore(
            &harness,
            &token,
            &id,
            Some(json!({"restoreEverything": true})),
        )
        .await,
        400,
        "BadRequest",
        "The parameter 'restoreEverything' in the request payload is not a valid parameter for the operation 'restore'.",
    );
    assert_graph_error(
        &restore(
            &harness,
            &token,
            &id,
            Some(json!({"autoReconcileProxyConflict": "yes"})),
        )
        .await,
        400,
        "BadRequest",
        "Invalid value specified for parameter 'autoReconcileProxyConflict' of operation 'restore'.",
    );
    for missing in ["33333333-0000-4000-8000-000000000000", ALICE] {
        assert_graph_error(
            &restore(&harness, &token, missing, None).await,
            404,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{missing}' does not exist or one of its queried reference-property objects are not present."
            ),
        );
    }
    // `users/{id}/restore` does not exist; the OData-qualified action does.
    assert_eq!(
        harness
            .post(&format!("/users/{id}/restore"), &token, json!({}))
            .await
            .status,
        400
    );
    let reply = harness
        .post(
            &format!("/directory/deletedItems/{id}/microsoft.graph.restore"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // A reader may list but not delete, restore or purge.
    let reader = harness.token(READER).await;
    assert_eq!(harness.get(LIST, &reader).await.status, 200);
    let denied = "Insufficient privileges to complete the operation.";
    assert_graph_error(
        &harness.delete(&format!("/users/{id}"), &reader).await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
    assert_eq!(
        harness.delete(&format!("/users/{id}"), &token).await.status,
        204
    );
    assert_graph_error(
        &restore(&harness, &reader, &id, None).await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
    assert_graph_error(
        &harness
            .delete(&format!("/directory/deletedItems/{id}"), &reader)
            .await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
}

#[tokio::test]
async fn deleted_users_are_listed_filtered_and_paged_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let deleted: Vec<String> = [4, 9, 1, 12, 30].into_iter().map(filler).collect();
    for id in &deleted {
        assert_eq!(
            harness.delete(&format!("/users/{id}"), &token).await.status,
            204
        );
    }
    assert_eq!(
        harness
            .delete(&format!("/users/{OBRIEN}"), &token)
            .await
            .status,
        204
    );
    // Pages of two, in the order of deletion, `$select` applied.
    let (values, pages) = list_all(
        &harness,
        &token,
        &format!("{LIST}?$top=2&$select=id,deletedDateTime"),
    )
    .await;
    assert_eq!(pages, 3);
    let ids: Vec<&str> = values
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = deleted.iter().map(String::as_str).collect();
    expected.push(OBRIEN);
    assert_eq!(ids, expected);
    assert!(
        values
            .iter()
            .all(|user| user["deletedDateTime"].is_string())
    );
    let first = harness
        .get(&format!("{LIST}?$select=id"), &token)
        .await
        .json();
    assert_eq!(
        first["@odata.context"],
        format!("{}/$metadata#users(id)", harness.server.base_url())
    );
    // By ImmutableID (advanced query parameters, `+` and `/` encoded), by UPN (a default query).
    let by_anchor = harness
        .get_eventual(
            &format!("{LIST}?$filter=onPremisesImmutableId%20eq%20'%2BD9q4TtdW06deixqiw5%2FEQ%3D%3D'&$count=true"),
            &token,
        )
        .await;
    assert_eq!(by_anchor.status, 200, "{}", by_anchor.text);
    assert_eq!(by_anchor.json()["@odata.count"], 1);
    assert_eq!(by_anchor.json()["value"][0]["id"], OBRIEN);
    assert_graph_error(
        &harness
            .get(
                &format!("{LIST}?$filter=onPremisesImmutableId%20eq%20'abc'"),
                &token,
            )
            .await,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'onPremisesImmutableId' of resource 'User'.",
    );
    let by_upn = harness
        .get(
            &format!("{LIST}?$filter=userPrincipalName%20eq%20'USER012@contoso.com'"),
            &token,
        )
        .await
        .json();
    assert_eq!(by_upn["value"].as_array().unwrap().len(), 1);
    assert_eq!(by_upn["value"][0]["id"], filler(12).as_str());
    // Active users are not deleted items; the cast is required.
    let alice = harness
        .get(
            &format!("{LIST}?$filter=userPrincipalName%20eq%20'alice@contoso.com'"),
            &token,
        )
        .await
        .json();
    assert_eq!(alice["value"], json!([]));
    assert_graph_error(
        &harness.get("/directory/deletedItems", &token).await,
        400,
        "Request_BadRequest",
        "The OData cast to a type (such as 'microsoft.graph.user') is a required part of the URI for deleted items.",
    );
    // `User.ReadBasic.All` reads `/users` but not deleted items (`User.Read.All` at least).
    let basic = "a0000000-0000-4000-8000-000000000009";
    let config = config().with_client(
        AppClient::with_secret(basic, secret(basic)).permissions(["User.ReadBasic.All"]),
    );
    let other = start_with(tenant(), config);
    let basic_token = other.token(basic).await;
    assert_eq!(other.get("/users?$top=1", &basic_token).await.status, 200);
    assert_graph_error(
        &other.get(LIST, &basic_token).await,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );
    assert_graph_error(
        &harness.get(&format!("{LIST}?$top=1000"), &token).await,
        400,
        "Request_BadRequest",
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
}

#[tokio::test]
async fn purge_now_or_after_thirty_days_on_the_twin_s_clock_issue_14() {
    let clock = Clock::manual(epoch());
    let harness = start_at(tenant(), config(), clock.clone());
    let token = harness.token(APP).await;
    for n in 1..=3 {
        assert_eq!(
            harness
                .delete(&format!("/users/{}", filler(n)), &token)
                .await
                .status,
            204
        );
    }
    let purge = |id: String| {
        let harness = &harness;
        let token = token.clone();
        async move {
            harness
                .delete(&format!("/directory/deletedItems/{id}"), &token)
                .await
        }
    };
    assert_eq!(purge(filler(1)).await.status, 204);
    assert_eq!(purge(filler(1)).await.status, 404, "gone for good");
    assert_eq!(
        purge(ALICE.to_owned()).await.status,
        404,
        "an active user is no deleted item"
    );

    // One hour short of 30 days: still there. A later delete starts its own 30 days.
    clock.advance(30 * DAY - Duration::from_secs(3600));
    let token = harness.token(APP).await;
    let (values, _) = list_all(&harness, &token, LIST).await;
    assert_eq!(values.len(), 2);
    assert_eq!(
        harness
            .delete(&format!("/users/{}", filler(4)), &token)
            .await
            .status,
        204
    );
    clock.advance(Duration::from_secs(3600));
    let token = harness.token(APP).await;
    let (values, _) = list_all(&harness, &token, &format!("{LIST}?$select=id")).await;
    assert_eq!(values, vec![json!({"id": filler(4)})]);
    assert_eq!(
        restore(&harness, &token, &filler(2), None).await.status,
        404
    );
    let writes = harness.server.twin().writes();
    let purges: Vec<(&str, &str)> = writes
        .iter()
        .filter(|write| write.resource.starts_with("/directory/deletedItems/"))
        .map(|write| (write.method, write.resource.as_str()))
        .collect();
    let (one, two, three) = (
        format!("/directory/deletedItems/{}", filler(1)),
        format!("/directory/deletedItems/{}", filler(2)),
        format!("/directory/deletedItems/{}", filler(3)),
    );
    assert_eq!(
        purges,
        [
            ("DELETE", one.as_str()),
            ("PURGE", two.as_str()),
            ("PURGE", three.as_str())
        ]
    );
    // The snapshot purges too (no request needed), and keeps only what is left.
    clock.advance(30 * DAY);
    let snapshot = harness.server.snapshot();
    assert!(snapshot.deleted_users.is_empty());
    assert_eq!(
        harness.server.twin().writes().last().unwrap().method,
        "PURGE"
    );
    assert_eq!(snapshot.users.len(), USER_COUNT - 4);
}

#[tokio::test]
async fn deleted_users_round_trip_through_a_snapshot_issue_14() {
    let mut tenant = tenant_json();
    tenant["deletedUsers"] = json!([
        {"id": "44444444-0000-4000-8000-000000000001", "userPrincipalName": "gone@contoso.com",
         "displayName": "Gone", "onPremisesImmutableId": "Z29uZS1hbmNob3I=",
         "deletedDateTime": "2024-12-20T10:00:00Z"},
        {"id": "44444444-0000-4000-8000-000000000002", "userPrincipalName": "undated@contoso.com",
         "displayName": "Undated"},
    ]);
    let snapshot: anchorsync_twin::TenantSnapshot = serde_json::from_value(tenant.clone()).unwrap();
    let clock = Clock::manual(epoch());
    let harness = start_at(snapshot, config(), clock.clone());
    let token = harness.token(APP).await;
    let gone = harness
        .get("/directory/deletedItems/44444444-0000-4000-8000-000000000001?$select=id,deletedDateTime", &token)
        .await
        .json();
    assert_eq!(gone["deletedDateTime"], "2024-12-20T10:00:00Z");
    let undated = harness
        .get(
            "/directory/deletedItems/44444444-0000-4000-8000-000000000002?$select=deletedDateTime",
            &token,
        )
        .await
        .json();
    assert_eq!(
        undated["deletedDateTime"], "2025-01-01T00:00:00Z",
        "loaded at the twin's now"
    );

    // Saved, read back and saved again: the same bytes, the deleted users included.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    write_snapshot(&path, &harness.server.snapshot()).unwrap();
    let first = std::fs::read_to_string(&path).unwrap();
    assert!(first.contains("\"deletedUsers\""));
    let again = Twin::with_clock(read_snapshot(&path).unwrap(), config(), clock.clone()).unwrap();
    write_snapshot(&path, &again.snapshot()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    assert_eq!(again.snapshot().deleted_users.len(), 2);

    // The first was deleted 11.6 days before the clock's start: it goes after 19 more.
    clock.advance(18 * DAY);
    assert_eq!(harness.server.snapshot().deleted_users.len(), 2);
    clock.advance(DAY);
    let ids: Vec<String> = harness
        .server
        .snapshot()
        .deleted_users
        .into_iter()
        .map(|user| user.id)
        .collect();
    assert_eq!(ids, ["44444444-0000-4000-8000-000000000002"]);

    // A snapshot that breaks the rules is refused, naming the user.
    let mut bad = tenant.clone();
    bad["deletedUsers"][0]["deletedDateTime"] = json!("yesterday");
    let error = Twin::new(serde_json::from_value(bad).unwrap(), TwinConfig::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the snapshot's deleted user `44444444-0000-4000-8000-000000000001` has `deletedDateTime` `yesterday`, which is not a date and time"
    );
    let mut twice = tenant;
    twice["deletedUsers"][0]["id"] = json!(ALICE);
    let error = Twin::new(
        serde_json::from_value(twice).unwrap(),
        TwinConfig::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("the snapshot has two users with id `{ALICE}`: `{ALICE}` and `{ALICE}`")
    );
}

#[tokio::test]
async fn deletes_restores_and_purges_work_in_a_batch_and_count_as_writes_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let (one, two) = (filler(5), filler(6));
    let reply = harness
        .post(
            "/$batch",
            &token,
            json!({"requests": [
                {"id": "1", "method": "DELETE", "url": format!("/users/{one}")},
                {"id": "2", "method": "POST", "url": format!("/directory/deletedItems/{one}/restore"),
                 "headers": {"Content-Type": "application/json"}, "body": {}, "dependsOn": ["1"]},
                {"id": "3", "method": "DELETE", "url": format!("/users/{two}")},
                {"id": "4", "method": "DELETE", "url": format!("/directory/deletedItems/{two}"), "dependsOn": ["3"]},
                {"id": "5", "method": "POST", "url": "/users",
                 "headers": {"Content-Type": "application/json"}, "body": new_user("batched@contoso.com")},
                {"id": "6", "method": "GET", "url": format!("{LIST}?$select=id")},
            ]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let responses = reply.json();
    let status = |id: &str| {
        responses["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|response| response["id"] == id)
            .map(|response| response["status"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(
        [
            status("1"),
            status("2"),
            status("3"),
            status("4"),
            status("5"),
            status("6")
        ],
        [204, 200, 204, 204, 201, 200]
    );
    let methods: Vec<&str> = harness
        .server
        .twin()
        .writes()
        .iter()
        .map(|write| write.method)
        .collect();
    assert_eq!(methods, ["DELETE", "POST", "DELETE", "DELETE", "POST"]);

    // Each of them takes one write from the budget.
    let clock = Clock::manual(epoch());
    let mut config = config();
    config.throttling = Throttling {
        write_budget: 3,
        write_window: Duration::from_secs(150),
        ..Throttling::default()
    };
    let harness = start_at(tenant(), config, clock);
    let token = harness.token(APP).await;
    assert_eq!(
        harness
            .delete(&format!("/users/{one}"), &token)
            .await
            .status,
        204
    );
    let reply = restore(&harness, &token, &one, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("x-ms-resource-unit"), Some("1"));
    assert_eq!(
        harness
            .delete(&format!("/users/{one}"), &token)
            .await
            .status,
        204
    );
    let throttled = harness
        .delete(&format!("/directory/deletedItems/{one}"), &token)
        .await;
    assert_eq!(throttled.status, 429, "{}", throttled.text);
    assert_eq!(
        throttled.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    assert_eq!(
        harness.get(LIST, &token).await.status,
        200,
        "reads still pass"
    );
}
