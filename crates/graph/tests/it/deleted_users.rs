//! Deleted users through the client (issue 14), against the twin over HTTP: delete, list, find by
//! anchor, restore (same id, new UPN, proxy reconciliation, conflicts), purge, Entra's own purge
//! after 30 days on the twin's moved clock, and `deletedUsers` in a snapshot.

use std::time::{Duration, UNIX_EPOCH};

use anchorsync_core::progress::NoProgress;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_graph::{RestoreOptions, UserKey};
use anchorsync_twin::{Clock, TwinServer};
use serde_json::json;

use crate::support::*;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::test]
async fn delete_list_restore_and_purge_issue_14() {
    let server = start();
    let client = client(&server, APP);
    for id in [filler_id(3), OBRIEN.to_owned()] {
        client.delete_user(&UserKey::Id(id)).await.unwrap();
    }
    let deleted = client.list_deleted_users(&NoProgress).await.unwrap();
    let ids: Vec<&str> = deleted.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(ids, [filler_id(3).as_str(), OBRIEN]);
    assert!(
        deleted
            .iter()
            .all(|user| user.other["deletedDateTime"].is_string())
    );
    assert_eq!(deleted[0].department.as_deref(), Some("Support"));
    assert!(!deleted[0].other.contains_key("@odata.context"));
    let obrien = client
        .find_deleted_user_by_immutable_id(OBRIEN_ANCHOR)
        .await
        .unwrap()
        .expect("found by its anchor, `+` and `/` included");
    assert_eq!(obrien.id, OBRIEN);
    assert_eq!(
        client
            .find_user_by_immutable_id(OBRIEN_ANCHOR)
            .await
            .unwrap(),
        None
    );

    // Restored with its id.
    let restored = client
        .restore_deleted_user(OBRIEN, &RestoreOptions::default())
        .await
        .unwrap();
    assert_eq!(restored.id, OBRIEN);
    assert_eq!(
        restored.user_principal_name.as_deref(),
        Some("o'brien@contoso.com")
    );
    assert!(
        client
            .find_user(&UserKey::Id(OBRIEN.into()))
            .await
            .unwrap()
            .is_some()
    );

    // A UPN taken meanwhile: the conflict names the request; under a new UPN it works.
    client
        .update_user(
            &UserKey::Id(filler_id(4)),
            &anchorsync_graph::UserPatch::new().user_principal_name("user003@contoso.com"),
        )
        .await
        .unwrap();
    let error = client
        .restore_deleted_user(&filler_id(3), &RestoreOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.conflicts(), ["userPrincipalName"]);
    assert!(
        error.to_string().starts_with(&format!(
            "`POST /directory/deletedItems/{}/restore` answered 400 `Request_BadRequest`",
            filler_id(3)
        )),
        "{error}"
    );
    let options = RestoreOptions {
        new_user_principal_name: Some("user003.back@contoso.com".into()),
        auto_reconcile_proxy_conflict: true,
    };
    let back = client
        .restore_deleted_user(&filler_id(3), &options)
        .await
        .unwrap();
    assert_eq!(back.id, filler_id(3));
    assert_eq!(
        stored_user(&server, &filler_id(3))
            .user_principal_name
            .as_deref(),
        Some("user003.back@contoso.com")
    );
    let restore = server.twin().writes().last().unwrap().clone();
    assert_eq!(
        serde_json::Value::Object(restore.body),
        json!({"newUserPrincipalName": "user003.back@contoso.com", "autoReconcileProxyConflict": true})
    );

    // Purged: gone for good; a second purge is 404.
    client
        .delete_user(&UserKey::Id(filler_id(3)))
        .await
        .unwrap();
    client.purge_deleted_user(&filler_id(3)).await.unwrap();
    assert!(
        client
            .list_deleted_users(&NoProgress)
            .await
            .unwrap()
            .is_empty()
    );
    let error = client.purge_deleted_user(&filler_id(3)).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    let error = client
        .restore_deleted_user(&filler_id(3), &RestoreOptions::default())
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert!(error.to_string().contains(&filler_id(3)));
}

#[tokio::test]
async fn entra_purges_a_deleted_user_after_thirty_days_issue_14() {
    let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(1_767_225_600));
    let server = TwinServer::start_with_clock(tenant(), config(), clock.clone()).unwrap();
    let client = client(&server, APP);
    client
        .delete_user(&UserKey::Id(filler_id(8)))
        .await
        .unwrap();
    clock.advance(29 * DAY);
    // The twin's clock moved past the token's lifetime: the client gets a new one by itself.
    assert_eq!(
        client.list_deleted_users(&NoProgress).await.unwrap().len(),
        1
    );
    clock.advance(DAY);
    assert!(
        client
            .list_deleted_users(&NoProgress)
            .await
            .unwrap()
            .is_empty()
    );
    let error = client
        .restore_deleted_user(&filler_id(8), &RestoreOptions::default())
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    let writes = server.twin().writes();
    let last = writes.last().unwrap();
    assert_eq!(last.method, "PURGE");
    assert_eq!(
        last.resource,
        format!("/directory/deletedItems/{}", filler_id(8))
    );
}

#[tokio::test]
async fn deleted_users_round_trip_through_a_snapshot_issue_14() {
    let server = start();
    let client = client(&server, APP);
    for n in [9, 2] {
        client
            .delete_user(&UserKey::Id(filler_id(n)))
            .await
            .unwrap();
    }
    let first = client.read_snapshot(&NoProgress).await.unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let ids: Vec<&str> = first
        .snapshot
        .deleted_users
        .iter()
        .map(|user| user.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [filler_id(2).as_str(), filler_id(9).as_str()],
        "sorted by id"
    );
    assert!(first.snapshot.deleted_users[0].other["deletedDateTime"].is_string());
    assert_eq!(first.snapshot.users.len(), USER_COUNT - 2);

    let bytes = serde_json::to_vec_pretty(&first.snapshot).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("\"deletedUsers\""));
    let served: TenantSnapshot = serde_json::from_slice(&bytes).unwrap();
    let second_server = TwinServer::start(served, config()).unwrap();
    let second = client_for(&second_server)
        .read_snapshot(&NoProgress)
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(serde_json::to_vec_pretty(&second.snapshot).unwrap()).unwrap(),
        String::from_utf8(bytes).unwrap()
    );
    // The served copy can restore them.
    client_for(&second_server)
        .restore_deleted_user(&filler_id(9), &RestoreOptions::default())
        .await
        .unwrap();
}

fn client_for(server: &TwinServer) -> anchorsync_graph::GraphClient {
    client(server, APP)
}

#[tokio::test]
async fn deleted_users_refused_to_the_app_are_a_warning_issue_14() {
    let server = start();
    client(&server, APP)
        .delete_user(&UserKey::Id(filler_id(1)))
        .await
        .unwrap();
    let read = client(&server, BASIC_APP)
        .read_snapshot(&NoProgress)
        .await
        .unwrap();
    assert!(read.snapshot.deleted_users.is_empty());
    assert_eq!(read.snapshot.users.len(), USER_COUNT - 1);
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].starts_with(
            "deleted users were not read (`GET /directory/deletedItems/microsoft.graph.user?"
        ),
        "{}",
        read.warnings[0]
    );
    assert!(
        read.warnings[0].contains("answered 403"),
        "{}",
        read.warnings[0]
    );
}
