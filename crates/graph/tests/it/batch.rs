//! `$batch` through the client (issue 4): per-request results in order, per-item failures,
//! `dependsOn` with 424, more than 20 requests, bulk updates verified in the twin; a batcher shared
//! by many tasks (issue 15).

use std::time::Duration;

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

/// Tasks that each send one request through a [`anchorsync_graph::Batcher`] at about the same
/// time (the executor's steps of different users) share `$batch` calls, and each gets its own
/// answer: a conflict for the one that clashes, the user for a read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_of_many_tasks_share_batches_and_keep_their_own_answers_issue_15() {
    let mut config = config();
    // While the first calls are on their way, the other tasks' requests gather.
    config.faults.response_latency = anchorsync_twin::Latency::Fixed(Duration::from_millis(50));
    let server = start_with(config);
    let client = client(&server, APP);
    let batcher = client.batcher();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..100 {
        let batcher = batcher.clone();
        tasks.spawn(async move {
            let key = UserKey::Id(filler_id(n));
            let patch = if n == 7 {
                // Alice's UPN: refused with ObjectConflict.
                UserPatch::new().user_principal_name("alice@contoso.com")
            } else {
                UserPatch::new().set("employeeId", format!("E{n:05}"))
            };
            (n, batcher.update_user(&key, &patch).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (n, result) = joined.unwrap();
        if n == 7 {
            assert_eq!(result.unwrap_err().conflicts(), ["userPrincipalName"]);
        } else {
            result.unwrap_or_else(|error| panic!("user {n}: {error}"));
        }
    }
    let alice = batcher
        .get_user(&UserKey::Id(ALICE.to_owned()))
        .await
        .unwrap();
    assert_eq!(alice.mail.as_deref(), Some("alice@contoso.com"));
    let missing = batcher
        .get_user(&UserKey::Id(
            "00000000-0000-4000-8000-000000000000".to_owned(),
        ))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    let stats = client.stats();
    assert_eq!(stats.batch_items, 102);
    // One call per request would be 102; the window of 4 calls fills with one request each at
    // first, then the others travel twenty at a time.
    assert!(stats.requests <= 20, "{stats:?}");
    let updated = (0..100).filter(|n| *n != 7);
    let snapshot = server.snapshot();
    for n in updated {
        let user = snapshot
            .users
            .iter()
            .find(|user| user.id == filler_id(n))
            .unwrap();
        assert_eq!(
            user.employee_id.as_deref(),
            Some(format!("E{n:05}").as_str())
        );
    }
}

/// Under a write budget, a batcher's writes wait for the shared gate and are retried after
/// `Retry-After` like [`anchorsync_graph::GraphClient::batch`]'s, and every one lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batchers_throttled_writes_wait_and_land_once_issue_15() {
    let mut config = config();
    config.throttling = anchorsync_twin::Throttling {
        enabled: true,
        write_budget: 20,
        write_window: Duration::from_secs(1),
        ..anchorsync_twin::Throttling::default()
    };
    let server = start_with(config);
    let client = client(&server, APP);
    let batcher = client.batcher();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let batcher = batcher.clone();
        tasks.spawn(async move {
            batcher
                .update_user(
                    &UserKey::Id(filler_id(n)),
                    &UserPatch::new().set("department", format!("B-{n}")),
                )
                .await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().unwrap();
    }
    let stats = client.stats();
    assert!(stats.throttled > 0, "the budget was exceeded: {stats:?}");
    let writes = server.twin().writes();
    assert_eq!(writes.len(), 50, "each write applied once");
    assert_fillers(
        &server,
        50,
        |user| user.department.as_deref(),
        |n| format!("B-{n}"),
    );
}
