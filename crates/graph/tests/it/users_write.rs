//! Writing users through the client, against the twin's rules (issue 4): uniqueness conflicts with
//! their ObjectConflict details, create requirements, the federated domain and its UPN workaround,
//! the admin-protected user, clearing with an explicit null, mail recomputing proxyAddresses,
//! on-premises-mastered properties.

use anchorsync_core::secret::Secret;
use anchorsync_graph::{GraphError, NewUser, UserKey, UserPatch, WorkaroundError};

use crate::support::*;

fn id(value: &str) -> UserKey {
    UserKey::Id(value.to_owned())
}

/// `user000@contoso.com`: a cloud user without a role (Helen holds one, which protects her).
fn plain() -> String {
    filler_id(0)
}

#[tokio::test]
async fn a_taken_user_principal_name_surfaces_object_conflict_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .update_user(
            &id(&plain()),
            &UserPatch::new().user_principal_name("alice@contoso.com"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("Request_BadRequest"));
    assert_eq!(error.conflicts(), ["userPrincipalName"]);
    let service = error.service().unwrap();
    assert_eq!(service.conflicting_objects().collect::<Vec<_>>(), [ALICE]);
    assert!(service.request_id.is_some());
    assert!(error.hint().unwrap().contains("`userPrincipalName`"));
    assert_eq!(
        stored_user(&server, &plain())
            .user_principal_name
            .as_deref(),
        Some("user000@contoso.com"),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_taken_immutable_id_and_a_taken_mail_conflict_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .set_immutable_id(&id(&plain()), Some(OBRIEN_ANCHOR))
        .await
        .unwrap_err();
    assert_eq!(error.conflicts(), ["onPremisesImmutableId"]);
    let error = client
        .update_user(
            &id(&plain()),
            &UserPatch::new().mail(Some("alice@contoso.com")),
        )
        .await
        .unwrap_err();
    assert_eq!(error.conflicts(), ["proxyAddresses"]);
}

#[tokio::test]
async fn a_mail_update_recomputes_proxy_addresses_issue_4() {
    let server = start();
    let client = client(&server, APP);
    client
        .update_user(
            &id(ALICE),
            &UserPatch::new().mail(Some("alice.ng@contoso.com")),
        )
        .await
        .unwrap();
    let alice = client.get_user(&id(ALICE)).await.unwrap();
    assert_eq!(alice.mail.as_deref(), Some("alice.ng@contoso.com"));
    assert_eq!(alice.primary_smtp(), Some("alice.ng@contoso.com"));
    assert!(
        alice
            .proxy_addresses
            .iter()
            .any(|address| address == "smtp:alice@contoso.com"),
        "the old primary stays as a secondary: {:?}",
        alice.proxy_addresses
    );
}

#[tokio::test]
async fn clearing_the_immutable_id_sends_an_explicit_null_issue_4() {
    let server = start();
    let client = client(&server, APP);
    client
        .set_immutable_id(&id(&plain()), Some("aGVsZW4tYW5jaG9y"))
        .await
        .unwrap();
    assert_eq!(
        stored_user(&server, &plain())
            .on_premises_immutable_id
            .as_deref(),
        Some("aGVsZW4tYW5jaG9y")
    );
    client.set_immutable_id(&id(&plain()), None).await.unwrap();
    assert_eq!(
        stored_user(&server, &plain()).on_premises_immutable_id,
        None
    );
    // An empty string would be refused by Graph; the patch turns it into null.
    client
        .set_immutable_id(&id(&plain()), Some("aGVsZW4tYW5jaG9y"))
        .await
        .unwrap();
    client
        .update_user(
            &id(&plain()),
            &UserPatch::new().set("onPremisesImmutableId", ""),
        )
        .await
        .unwrap();
    assert_eq!(
        stored_user(&server, &plain()).on_premises_immutable_id,
        None
    );
}

#[tokio::test]
async fn dollar_and_underscore_are_refused_in_immutable_ids_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .set_immutable_id(&id(&plain()), Some("base64url_value"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn a_federated_user_principal_name_requires_an_immutable_id_on_create_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let password = Secret::new("xWwvJ]6NMw+bWH-d");
    let without = NewUser::new("erin@fabrikam.com", "Erin", "erin", password.clone());
    let error = client.create_user(&without).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(!error.to_string().contains("xWwvJ]6NMw+bWH-d"));

    let with = without.immutable_id("ZXJpbi1hbmNob3I=");
    let Some(erin) = client.create_user(&with).await.unwrap().created().cloned() else {
        panic!("Graph answered the create")
    };
    assert_eq!(
        erin.user_principal_name.as_deref(),
        Some("erin@fabrikam.com")
    );
    let stored = stored_user(&server, &erin.id);
    assert_eq!(
        stored.on_premises_immutable_id.as_deref(),
        Some("ZXJpbi1hbmNob3I=")
    );

    client.delete_user(&id(&erin.id)).await.unwrap();
    assert!(client.find_user(&id(&erin.id)).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unverified_domain_is_refused_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .update_user(
            &id(&plain()),
            &UserPatch::new().user_principal_name("user000@unverified.example"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn federated_immutable_id_changes_through_the_initial_domain_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let new_anchor = "Qm9iLWFkLWFuY2hvcg==";
    // Directly: refused, the user is untouched.
    let error = client
        .set_immutable_id(&id(BOB), Some(new_anchor))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        stored_user(&server, BOB)
            .on_premises_immutable_id
            .as_deref(),
        Some(BOB_ANCHOR)
    );
    // Through the initial domain: UPN out, set, UPN back.
    client
        .set_immutable_id_federated(
            BOB,
            "bob@fabrikam.com",
            "contoso.onmicrosoft.com",
            new_anchor,
        )
        .await
        .unwrap();
    let bob = stored_user(&server, BOB);
    assert_eq!(bob.user_principal_name.as_deref(), Some("bob@fabrikam.com"));
    assert_eq!(bob.on_premises_immutable_id.as_deref(), Some(new_anchor));
}

#[tokio::test]
async fn a_failed_federated_change_restores_the_user_principal_name_issue_4() {
    let server = start();
    let client = client(&server, APP);
    // O'Brien already holds this anchor: the middle step fails, the UPN must come back.
    let error = client
        .set_immutable_id_federated(
            BOB,
            "bob@fabrikam.com",
            "contoso.onmicrosoft.com",
            OBRIEN_ANCHOR,
        )
        .await
        .unwrap_err();
    let WorkaroundError::SetRestored { source, .. } = &error else {
        panic!("expected SetRestored, got {error:?}")
    };
    assert_eq!(source.conflicts(), ["onPremisesImmutableId"]);
    assert_eq!(
        error.to_string(),
        "setting `onPremisesImmutableId` of `bob@fabrikam.com` failed; its UPN was restored"
    );
    let bob = stored_user(&server, BOB);
    assert_eq!(bob.user_principal_name.as_deref(), Some("bob@fabrikam.com"));
    assert_eq!(bob.on_premises_immutable_id.as_deref(), Some(BOB_ANCHOR));
}

#[tokio::test]
async fn the_temporary_user_principal_name_taken_changes_nothing_issue_4() {
    let server = start();
    let client = client(&server, APP);
    // Someone already holds bob@contoso.onmicrosoft.com.
    client
        .update_user(
            &id(&plain()),
            &UserPatch::new().user_principal_name("bob@contoso.onmicrosoft.com"),
        )
        .await
        .unwrap();
    let error = client
        .set_immutable_id_federated(BOB, "bob@fabrikam.com", "contoso.onmicrosoft.com", "Qm9i")
        .await
        .unwrap_err();
    assert!(
        matches!(error, WorkaroundError::MoveOut { .. }),
        "{error:?}"
    );
    assert_eq!(
        stored_user(&server, BOB)
            .on_premises_immutable_id
            .as_deref(),
        Some(BOB_ANCHOR)
    );
}

#[tokio::test]
async fn an_administrator_is_protected_from_an_app_without_a_role_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .set_immutable_id(&id(DAVE), Some("ZGF2ZS1hbmNob3I="))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.code(), Some("Authorization_RequestDenied"));
    assert!(
        error.hint().unwrap().contains("directory role"),
        "{:?}",
        error.hint()
    );
    assert_eq!(stored_user(&server, DAVE).on_premises_immutable_id, None);
    // Non-sensitive properties stay writable.
    client
        .update_user(&id(DAVE), &UserPatch::new().set("department", "IT"))
        .await
        .unwrap();
    // An app whose service principal is a Privileged Authentication Administrator may.
    let privileged = crate::support::client(&server, PRIVILEGED_APP);
    privileged
        .set_immutable_id(&id(DAVE), Some("ZGF2ZS1hbmNob3I="))
        .await
        .unwrap();
    assert_eq!(
        stored_user(&server, DAVE)
            .on_premises_immutable_id
            .as_deref(),
        Some("ZGF2ZS1hbmNob3I=")
    );
}

#[tokio::test]
async fn a_synced_user_refuses_on_premises_mastered_properties_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let error = client
        .update_user(&id(CAROL), &UserPatch::new().set("department", "Ops"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        error.to_string().contains("on-premises mastered"),
        "{error}"
    );
    let error = client
        .update_user(
            &id(&plain()),
            &UserPatch::new().set("onPremisesSyncEnabled", true),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let GraphError::Service(service) = &error else {
        panic!()
    };
    assert!(service.message.contains("read-only"), "{}", service.message);
}
