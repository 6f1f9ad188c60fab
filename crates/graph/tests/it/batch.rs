//! `$batch` through the client (issue 4): per-request results in order, per-item failures,
//! `dependsOn` with 424, more than 20 requests, bulk updates verified in the twin.

use anchorsync_core::progress::NoProgress;
use anchorsync_graph::{BatchRequest, GraphError, UserKey, UserPatch};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn per_item_failures_come_back_in_order_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let requests = vec![
        BatchRequest::patch(
            format!("/users/{}", filler_id(1)),
            json!({"department": "Ops"}),
        ),
        // UPN of someone else: 400 ObjectConflict.
        BatchRequest::patch(
            format!("/users/{}", filler_id(2)),
            json!({"userPrincipalName": "alice@contoso.com"}),
        ),
        BatchRequest::get("/users/00000000-0000-4000-8000-000000000000"),
        BatchRequest::get(format!("/users/{ALICE}?$select=id,mail")),
    ];
    let results = client.batch(requests, &NoProgress).await.unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().unwrap().status, 204);
    let conflict = results[1].as_ref().unwrap_err();
    assert_eq!(conflict.conflicts(), ["userPrincipalName"]);
    assert!(
        conflict.to_string().starts_with(&format!(
            "`PATCH /users/{}` answered 400 `Request_BadRequest`",
            filler_id(2)
        )),
        "{conflict}"
    );
    assert!(results[2].as_ref().unwrap_err().is_not_found());
    let alice = results[3].as_ref().unwrap();
    assert_eq!(alice.body.as_ref().unwrap()["mail"], "alice@contoso.com");
    assert_eq!(
        stored_user(&server, &filler_id(1)).department.as_deref(),
        Some("Ops")
    );
}

#[tokio::test]
async fn a_failed_dependency_answers_424_and_spares_the_rest_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let requests = vec![
        BatchRequest::patch(
            format!("/users/{}", filler_id(3)),
            json!({"department": "A"}),
        ),
        // Fails: the mail belongs to Alice.
        BatchRequest::patch(
            format!("/users/{}", filler_id(4)),
            json!({"mail": "alice@contoso.com"}),
        )
        .depends_on(0),
        // Would succeed, but depends on the failure.
        BatchRequest::patch(
            format!("/users/{}", filler_id(5)),
            json!({"department": "C"}),
        )
        .depends_on(1),
        BatchRequest::patch(
            format!("/users/{}", filler_id(6)),
            json!({"department": "D"}),
        ),
    ];
    let results = client.batch(requests, &NoProgress).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap().status, 204);
    assert_eq!(
        results[1].as_ref().unwrap_err().conflicts(),
        ["proxyAddresses"]
    );
    assert_eq!(results[2].as_ref().unwrap_err().status(), Some(424));
    assert_eq!(results[3].as_ref().unwrap().status, 204);
    assert_eq!(
        stored_user(&server, &filler_id(5)).department.as_deref(),
        Some("Support"),
        "not run"
    );
    assert_eq!(
        stored_user(&server, &filler_id(6)).department.as_deref(),
        Some("D")
    );
}

#[tokio::test]
async fn a_hundred_updates_go_in_batches_of_twenty_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let updates: Vec<(UserKey, UserPatch)> = (0..100)
        .map(|n| {
            (
                UserKey::Id(filler_id(n)),
                UserPatch::new().set("employeeId", format!("E{n:05}")),
            )
        })
        .collect();
    let results = client.update_users(&updates, &NoProgress).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(client.stats().requests, 5, "5 $batch calls of 20");
    assert_eq!(client.stats().batch_items, 100);
    assert_fillers(
        &server,
        100,
        |user| user.employee_id.as_deref(),
        |n| format!("E{n:05}"),
    );
}

#[tokio::test]
async fn a_federated_change_as_one_sequential_batch_issue_4() {
    // The three steps of the workaround chained with dependsOn: all or nothing after a failure.
    let server = start();
    let client = client(&server, APP);
    let path = format!("/users/{BOB}");
    let requests = vec![
        BatchRequest::patch(
            &path,
            json!({"userPrincipalName": "bob@contoso.onmicrosoft.com"}),
        ),
        BatchRequest::patch(&path, json!({"onPremisesImmutableId": "Qm9iLW5ldw=="})).depends_on(0),
        BatchRequest::patch(&path, json!({"userPrincipalName": "bob@fabrikam.com"})).depends_on(1),
    ];
    let results = client.batch(requests, &NoProgress).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let bob = stored_user(&server, BOB);
    assert_eq!(bob.user_principal_name.as_deref(), Some("bob@fabrikam.com"));
    assert_eq!(
        bob.on_premises_immutable_id.as_deref(),
        Some("Qm9iLW5ldw==")
    );
}

#[tokio::test]
async fn batches_the_client_cannot_send_are_refused_before_sending_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .batch(
            vec![
                BatchRequest::get("/domains").depends_on(1),
                BatchRequest::get("/domains"),
            ],
            &NoProgress,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::InvalidBatch(_)), "{error:?}");
    assert_eq!(client.stats().requests, 0);
}
