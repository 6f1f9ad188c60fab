//! Reading users: paging to the end, `$select`, filters with quotes and with the `+` and `/` of
//! Base64 ImmutableIDs, advanced queries, get by id and by user principal name (issue 4).

use anchorsync_core::progress::NoProgress;
use anchorsync_core::tenant::USER_SELECT;
use anchorsync_graph::odata::{Filter, Query};
use anchorsync_graph::{GraphClient, UserKey};

use crate::support::*;

#[tokio::test]
async fn listing_follows_next_links_to_the_last_page_issue_4() {
    let server = start();
    let client = GraphClient::new(settings(&server, APP).page_size(10)).unwrap();
    let users = client.list_all_users(&NoProgress).await.unwrap();
    assert_eq!(users.len(), USER_COUNT);
    let mut ids: Vec<&str> = users.iter().map(|user| user.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), USER_COUNT, "no user twice");
    // 10 users per page.
    assert_eq!(client.stats().requests, USER_COUNT.div_ceil(10) as u64);
    // $select brings the properties the snapshot needs.
    let obrien = users.iter().find(|user| user.id == OBRIEN).unwrap();
    assert_eq!(
        obrien.on_premises_immutable_id.as_deref(),
        Some(OBRIEN_ANCHOR)
    );
    assert_eq!(obrien.usage_location.as_deref(), Some("JP"));
}

#[tokio::test]
async fn immutable_id_with_plus_and_slash_is_found_exactly_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let found = client
        .find_users_by_immutable_id(OBRIEN_ANCHOR)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, OBRIEN);
    // The comparison is case-sensitive, like the sourceAnchor.
    let lower = OBRIEN_ANCHOR.to_lowercase();
    assert!(
        client
            .find_users_by_immutable_id(&lower)
            .await
            .unwrap()
            .is_empty()
    );
    // A `+` decoded as a space would not match either.
    let spaced = OBRIEN_ANCHOR.replace('+', " ");
    assert!(
        client
            .find_users_by_immutable_id(&spaced)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn quotes_in_filter_values_are_doubled_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let query = Query::select(&["id", "userPrincipalName"])
        .filter(Filter::eq("userPrincipalName", "o'brien@contoso.com"));
    let found = client.list_users(&query, &NoProgress).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, OBRIEN);
    let either = Query::select(&["id"]).filter(
        Filter::eq("userPrincipalName", "o'brien@contoso.com")
            .or(Filter::starts_with("userPrincipalName", "alice@")),
    );
    assert_eq!(
        client.list_users(&either, &NoProgress).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn proxy_address_lambda_filter_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let found = client
        .find_users_by_proxy_address("smtp:alice@contoso.onmicrosoft.com")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, ALICE);
}

#[tokio::test]
async fn strict_twin_refuses_an_advanced_filter_without_consistency_level_issue_4() {
    // What the client's `advanced()` is for: the same filter without it is refused by a twin in
    // strict mode, with Graph's documented error.
    let server = start();
    let client = client(&server, APP);
    let query = Query::select(&["id"]).filter(Filter::eq("onPremisesImmutableId", OBRIEN_ANCHOR));
    let error = client.list_users(&query, &NoProgress).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("Request_UnsupportedQuery"));
    let found = client
        .list_users(&query.advanced(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn get_by_id_and_by_user_principal_name_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let by_upn = client
        .get_user(&UserKey::UserPrincipalName("o'brien@contoso.com".into()))
        .await
        .unwrap();
    assert_eq!(by_upn.id, OBRIEN);
    let by_id = client.get_user(&UserKey::Id(OBRIEN.into())).await.unwrap();
    assert_eq!(by_id, by_upn);
    // Every selected property is there, null or not.
    for property in USER_SELECT {
        let json = serde_json::to_value(&by_id).unwrap();
        assert!(json.get(*property).is_some(), "{property}");
    }
    let missing = client
        .find_user(&UserKey::UserPrincipalName("nobody@contoso.com".into()))
        .await
        .unwrap();
    assert_eq!(missing, None);
    let error = client
        .get_user(&UserKey::Id("00000000-0000-4000-8000-000000000000".into()))
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.code(), Some("Request_ResourceNotFound"));
}
