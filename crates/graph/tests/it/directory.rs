//! Domains, role assignments, memberships and the synchronisation switches (issue 4).

use anchorsync_core::progress::NoProgress;
use anchorsync_graph::UserKey;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn domains_say_which_are_federated_and_initial_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let mut domains = client.list_domains().await.unwrap();
    domains.sort_by(|a, b| a.id.cmp(&b.id));
    let names: Vec<&str> = domains.iter().map(|domain| domain.id.as_str()).collect();
    assert_eq!(
        names,
        [
            "contoso.com",
            "contoso.onmicrosoft.com",
            "fabrikam.com",
            "unverified.example"
        ]
    );
    assert!(domains[2].is_federated());
    assert!(domains[1].is_initial);
    assert!(!domains[3].is_verified);
}

#[tokio::test]
async fn role_assignments_by_principal_one_and_many_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let dave = client.list_role_assignments(DAVE).await.unwrap();
    assert_eq!(dave.len(), 1);
    assert_eq!(dave[0].role_definition_id, GLOBAL_ADMINISTRATOR);
    assert!(
        client
            .list_role_assignments(ALICE)
            .await
            .unwrap()
            .is_empty()
    );

    let mut principals = vec![ALICE.to_owned(), DAVE.to_owned(), HELEN.to_owned()];
    principals.extend((0..40).map(filler_id));
    let ids: Vec<&str> = principals.iter().map(String::as_str).collect();
    let before = client.stats().requests;
    let mut all = client
        .list_role_assignments_of(&ids, &NoProgress)
        .await
        .unwrap();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let held: Vec<(&str, &str)> = all
        .iter()
        .map(|assignment| {
            (
                assignment.principal_id.as_str(),
                assignment.role_definition_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            (DAVE, GLOBAL_ADMINISTRATOR),
            (HELEN, HELPDESK_ADMINISTRATOR)
        ]
    );
    assert_eq!(
        client.stats().requests - before,
        3,
        "43 listings in 3 $batch calls"
    );
}

#[tokio::test]
async fn member_of_shows_directory_roles_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let memberships = client.member_of(&UserKey::Id(DAVE.into())).await.unwrap();
    let roles: Vec<&str> = memberships
        .iter()
        .filter(|object| object.is_directory_role())
        .filter_map(|object| object.role_template_id.as_deref())
        .collect();
    assert_eq!(roles, [GLOBAL_ADMINISTRATOR]);
    let alice = client.member_of(&UserKey::Id(ALICE.into())).await.unwrap();
    assert!(alice.iter().all(|object| !object.is_directory_role()));
}

#[tokio::test]
async fn synchronisation_features_read_and_switched_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let sync = client.on_premises_synchronization().await.unwrap().unwrap();
    assert_eq!(sync.id, TENANT);
    assert!(sync.features.block_hard_match_takeover());
    assert!(!sync.features.block_soft_match());
    client
        .update_on_premises_synchronization(
            &sync.id,
            &json!({"features": {"blockSoftMatchEnabled": true}}),
        )
        .await
        .unwrap();
    let after = client.on_premises_synchronization().await.unwrap().unwrap();
    assert!(after.features.block_soft_match());
    assert!(
        after.features.block_hard_match_takeover(),
        "other features untouched"
    );

    let no_sync = crate::support::client(&server, NO_SYNC_APP);
    let error = no_sync.on_premises_synchronization().await.unwrap_err();
    assert_eq!(error.status(), Some(403));
}
