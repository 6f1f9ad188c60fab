//! The writes a sync engine makes (issue 14), client against twin over HTTP: create with a typed
//! "no answer" outcome resolved by the anchor, the opt-in ride over Entra's replication lag, one
//! PATCH that sets and clears several properties, and reading every managed property.

use std::time::Duration;

use anchorsync_core::progress::NoProgress;
use anchorsync_core::secret::Secret;
use anchorsync_graph::{
    CreateOutcome, GraphClient, NewUser, RetryPolicy, UserKey, UserPatch, sync_user_select,
};
use anchorsync_twin::{Clock, TwinServer};
use serde_json::{Value, json};

use crate::support::*;

const PASSWORD: &str = "Random-Initial-Pa55word!";

fn new_user(alias: &str, domain: &str, anchor: &str) -> NewUser {
    NewUser::new(
        format!("{alias}@{domain}"),
        alias.to_owned(),
        alias.to_owned(),
        Secret::new(PASSWORD),
    )
    .immutable_id(anchor)
    .force_change_password(false)
    .set("usageLocation", "JP")
    .set("companyName", "Contoso")
}

fn created(outcome: CreateOutcome) -> anchorsync_core::tenant::CloudUser {
    match outcome {
        CreateOutcome::Created(user) => *user,
        CreateOutcome::NoAnswer { .. } => panic!("expected an answer, got {outcome:?}"),
    }
}

/// A client that keeps retrying a long time with short delays: the tests end the wait themselves.
fn patient(server: &TwinServer) -> GraphClient {
    GraphClient::new(settings(server, APP).retry(RetryPolicy {
        max_attempts: 10_000,
        max_throttle_retries: 50,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
    }))
    .unwrap()
}

#[tokio::test]
async fn a_created_user_is_found_by_its_anchor_with_every_managed_property_issue_14() {
    let server = start();
    let client = client(&server, APP);
    let user = new_user("taro", "fabrikam.com", "dGFyby1hbmNob3I=").account_enabled(false);
    let taro = created(client.create_user(&user).await.unwrap());
    assert_eq!(
        taro.user_principal_name.as_deref(),
        Some("taro@fabrikam.com")
    );
    assert!(
        !taro.other.contains_key("@odata.context"),
        "annotations are not properties"
    );
    let found = client
        .find_user_by_immutable_id("dGFyby1hbmNob3I=")
        .await
        .unwrap()
        .expect("found by its anchor");
    assert_eq!(found.id, taro.id);
    assert_eq!(found.account_enabled, Some(false));
    assert_eq!(found.usage_location.as_deref(), Some("JP"));
    assert_eq!(found.other["companyName"], "Contoso");
    for property in sync_user_select() {
        let typed = serde_json::to_value(&found).unwrap();
        assert!(typed.get(property).is_some(), "{property} was not read");
    }
    // `+` and `/` survive; an anchor nobody holds is `None`.
    let obrien = client
        .find_user_by_immutable_id(OBRIEN_ANCHOR)
        .await
        .unwrap();
    assert_eq!(obrien.map(|user| user.id).as_deref(), Some(OBRIEN));
    assert_eq!(
        client.find_user_by_immutable_id("bm9ib2R5").await.unwrap(),
        None
    );
    // The password reached the twin (it accepted it) and nothing else: not the snapshot, not the
    // write log.
    let writes = server.twin().writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].body["passwordProfile"],
        json!({"forceChangePasswordNextSignIn": false})
    );
    assert!(!server.snapshot().to_json().unwrap().contains(PASSWORD));
}

#[tokio::test]
async fn a_refused_create_names_the_request_and_never_the_password_issue_14() {
    let server = start();
    let client = client(&server, APP);
    let taken = new_user("alice", "contoso.com", "YWxpY2UtYW5jaG9y");
    let error = client.create_user(&taken).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.conflicts(), ["userPrincipalName"]);
    let text = error.to_string();
    assert!(
        text.starts_with("`POST /users` answered 400 `Request_BadRequest`"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD));
    let weak = NewUser::new("weak@contoso.com", "Weak", "weak", Secret::new("password"));
    let error = client.create_user(&weak).await.unwrap_err();
    assert_eq!(
        error.service().unwrap().message,
        "The specified password does not comply with password complexity requirements. Please provide a different password."
    );
}

#[tokio::test]
async fn a_create_without_an_answer_is_sent_once_and_resolved_by_the_anchor_issue_14() {
    let mut config = config();
    config.faults.lose_answers = vec!["POST /users".to_owned(), "POST /$batch".to_owned()];
    let server = start_with(config);
    let client = client(&server, APP);
    let anchor = "bG9zdC1hbnN3ZXI=";
    let outcome = client
        .create_user(&new_user("lost", "contoso.com", anchor))
        .await
        .unwrap();
    let CreateOutcome::NoAnswer {
        request, reason, ..
    } = &outcome
    else {
        panic!("expected NoAnswer, got {outcome:?}")
    };
    assert_eq!(request.to_string(), "POST /users");
    assert!(!reason.is_empty());
    assert_eq!(client.stats().requests, 1, "never sent again");
    assert_eq!(server.twin().writes().len(), 1, "created once");
    // Resolved by looking the anchor up: it was created.
    let found = client.find_user_by_immutable_id(anchor).await.unwrap();
    assert_eq!(
        found.map(|user| user.user_principal_name),
        Some(Some("lost@contoso.com".to_owned()))
    );
    assert_eq!(
        client
            .find_deleted_user_by_immutable_id(anchor)
            .await
            .unwrap(),
        None
    );

    // A lost create of a user someone deleted meanwhile is found in deleted items.
    let second = "bG9zdC10aGVuLWRlbGV0ZWQ=";
    let outcome = client
        .create_user(&new_user("gone", "contoso.com", second))
        .await
        .unwrap();
    assert!(
        matches!(outcome, CreateOutcome::NoAnswer { .. }),
        "{outcome:?}"
    );
    client
        .delete_user(&UserKey::UserPrincipalName("gone@contoso.com".into()))
        .await
        .unwrap();
    assert_eq!(
        client.find_user_by_immutable_id(second).await.unwrap(),
        None
    );
    let deleted = client
        .find_deleted_user_by_immutable_id(second)
        .await
        .unwrap()
        .expect("in deleted items");
    assert_eq!(
        deleted.user_principal_name.as_deref(),
        Some("gone@contoso.com")
    );
    assert!(deleted.other["deletedDateTime"].is_string());

    // In a batch each create is its own outcome; a lost batch is not sent again either.
    let users: Vec<NewUser> = (0..3)
        .map(|n| new_user(&format!("batch{n}"), "contoso.com", &format!("YmF0Y2g{n}")))
        .collect();
    let before = server.twin().writes().len();
    let outcomes = client.create_users(&users, &NoProgress).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Ok(CreateOutcome::NoAnswer { .. })),
            "{outcome:?}"
        );
    }
    assert_eq!(
        server.twin().writes().len(),
        before + 3,
        "each created once"
    );
    for n in 0..3 {
        assert!(
            client
                .find_user_by_immutable_id(&format!("YmF0Y2g{n}"))
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test]
async fn creates_in_a_batch_answer_one_outcome_each_issue_14() {
    let server = start();
    let client = client(&server, APP);
    let users = vec![
        new_user("one", "contoso.com", "b25l"),
        new_user("alice", "contoso.com", "YWxpY2Uy"),
        new_user("three", "fabrikam.com", "dGhyZWU="),
    ];
    let outcomes = client.create_users(&users, &NoProgress).await.unwrap();
    let one = created(outcomes[0].as_ref().unwrap().clone());
    assert_eq!(one.user_principal_name.as_deref(), Some("one@contoso.com"));
    let refused = outcomes[1].as_ref().unwrap_err();
    assert_eq!(refused.conflicts(), ["userPrincipalName"]);
    assert!(
        refused
            .to_string()
            .starts_with("`POST /users` answered 400"),
        "{refused}"
    );
    assert!(created(outcomes[2].as_ref().unwrap().clone()).id.len() > 10);
    // And deletes the same way.
    let results = client
        .delete_users(
            &[
                UserKey::Id(one.id.clone()),
                UserKey::UserPrincipalName("nobody@contoso.com".into()),
            ],
            &NoProgress,
        )
        .await
        .unwrap();
    assert!(results[0].is_ok());
    assert!(results[1].as_ref().unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_404_right_after_a_create_is_ridden_out_only_when_asked_issue_14() {
    let clock = Clock::manual(std::time::UNIX_EPOCH + Duration::from_secs(1_767_225_600));
    let mut config = config();
    config.replication_lag = Duration::from_secs(10);
    let server = TwinServer::start_with_clock(tenant(), config, clock.clone()).unwrap();
    let client = patient(&server);
    let user = created(
        client
            .create_user(&new_user("fresh", "contoso.com", "ZnJlc2g="))
            .await
            .unwrap(),
    );
    let key = UserKey::Id(user.id.clone());
    // The ordinary client takes a 404 as an answer.
    let error = client.get_user(&key).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(client.stats().replication_waits, 0);

    // Through `for_new_objects` the PATCH waits until the twin's replicas have the user.
    let fresh = client.for_new_objects();
    let patch = UserPatch::new().set("jobTitle", "New hire");
    let waiting = tokio::spawn({
        let key = key.clone();
        async move { fresh.update_user(&key, &patch).await }
    });
    while client.stats().replication_waits == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(stored_user(&server, &user.id).job_title, None, "not yet");
    clock.advance(Duration::from_secs(10));
    waiting.await.unwrap().unwrap();
    assert_eq!(
        stored_user(&server, &user.id).job_title.as_deref(),
        Some("New hire")
    );
    let patches = server
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "PATCH")
        .count();
    assert_eq!(patches, 1);

    // Bounded: a user that never appears is a 404 after `max_attempts`.
    let bounded = GraphClient::new(settings(&server, APP).retry(RetryPolicy {
        max_attempts: 3,
        ..fast_retries()
    }))
    .unwrap();
    let error = bounded
        .for_new_objects()
        .get_user(&UserKey::Id("33333333-0000-4000-8000-000000000000".into()))
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(bounded.stats().replication_waits, 2);
    assert_eq!(bounded.stats().requests, 3);

    // In a batch too.
    let second = created(
        client
            .create_user(&new_user("second", "contoso.com", "c2Vjb25k"))
            .await
            .unwrap(),
    );
    let waits = client.stats().replication_waits;
    let fresh = client.for_new_objects();
    let updates = vec![(
        UserKey::Id(second.id.clone()),
        UserPatch::new().set("department", "Onboarding"),
    )];
    let waiting = tokio::spawn(async move { fresh.update_users(&updates, &NoProgress).await });
    while client.stats().replication_waits == waits {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    clock.advance(Duration::from_secs(10));
    let results = waiting.await.unwrap().unwrap();
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert_eq!(
        stored_user(&server, &second.id).department.as_deref(),
        Some("Onboarding")
    );
}

#[tokio::test]
async fn one_patch_sets_and_clears_several_properties_issue_14() {
    let server = start();
    let client = client(&server, APP);
    let key = UserKey::Id(ALICE.to_owned());
    client
        .update_user(
            &key,
            &UserPatch::new()
                .set("businessPhones", json!(["+81 3 1234 5678"]))
                .set("city", "Tokyo")
                .set("companyName", "Contoso"),
        )
        .await
        .unwrap();
    let patch = UserPatch::new()
        .set("jobTitle", "Lead")
        .set("companyName", "Fabrikam")
        .clear("department")
        .clear("city")
        .clear("businessPhones");
    client.update_user(&key, &patch).await.unwrap();
    let alice = client.get_user(&key).await.unwrap();
    assert_eq!(alice.job_title.as_deref(), Some("Lead"));
    assert_eq!(alice.department, None);
    assert!(alice.business_phones.is_empty());
    let users = client.list_users_for_sync(&NoProgress).await.unwrap();
    let alice = users.iter().find(|user| user.id == ALICE).unwrap();
    assert_eq!(alice.other["companyName"], "Fabrikam");
    assert_eq!(alice.other["city"], Value::Null);
    // One write per PATCH, each with all its properties.
    let writes = server.twin().writes();
    assert_eq!(writes.len(), 2);
    assert_eq!(
        Value::Object(writes[1].body.clone()),
        json!({"jobTitle": "Lead", "companyName": "Fabrikam", "department": null, "city": null, "businessPhones": []})
    );
    // A refused property refuses the whole PATCH, naming the user.
    let error = client
        .update_user(
            &key,
            &UserPatch::new()
                .set("jobTitle", "Changed")
                .set("proxyAddresses", json!(["SMTP:x@contoso.com"])),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "`PATCH /users/{ALICE}` answered 400 `Request_BadRequest`: Property 'proxyAddresses' is read-only and cannot be set{}",
            error
                .service()
                .and_then(|service| service.request_id.as_deref())
                .map(|id| format!(" (request-id `{id}`)"))
                .unwrap_or_default()
        )
    );
    assert_eq!(
        client.get_user(&key).await.unwrap().job_title.as_deref(),
        Some("Lead")
    );
}

#[tokio::test]
async fn every_managed_property_is_read_in_pages_of_999_issue_14() {
    let server = start();
    client(&server, APP)
        .update_user(
            &UserKey::Id(filler_id(5)),
            &UserPatch::new()
                .set("streetAddress", "1-1 Chiyoda")
                .set("preferredLanguage", "ja-JP")
                .set(
                    "onPremisesExtensionAttributes",
                    json!({"extensionAttribute7": "seven"}),
                ),
        )
        .await
        .unwrap();
    let reader = client(&server, APP);
    let users = reader.list_users_for_sync(&NoProgress).await.unwrap();
    assert_eq!(users.len(), USER_COUNT);
    assert_eq!(reader.stats().requests, 1, "one page of up to 999");
    let user = users.iter().find(|user| user.id == filler_id(5)).unwrap();
    assert_eq!(user.other["streetAddress"], "1-1 Chiyoda");
    assert_eq!(user.other["preferredLanguage"], "ja-JP");
    assert_eq!(
        user.other["onPremisesExtensionAttributes"]["extensionAttribute7"],
        "seven"
    );
    assert_eq!(
        user.other["onPremisesExtensionAttributes"]["extensionAttribute1"],
        Value::Null
    );
}
