//! Reading users: default properties, `$select`, paging, `$count`, `$filter` and advanced-query
//! gating (<https://learn.microsoft.com/graph/api/user-list>,
//! <https://learn.microsoft.com/graph/aad-advanced-queries>), over HTTP.

use std::collections::HashSet;

use anchorsync_twin::AdvancedQueryMode;
use serde_json::{Value, json};

use crate::support::*;

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn upns(reply: &Reply) -> Vec<String> {
    reply.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["userPrincipalName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn without_select_the_default_properties_come_back_with_nulls() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness.get(&format!("/users/{ALICE}"), &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let user = reply.json();
    assert_eq!(
        user["@odata.context"],
        format!("{}/$metadata#users/$entity", harness.server.base_url())
    );
    assert_eq!(
        keys(&user),
        [
            "@odata.context",
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    assert_eq!(user["businessPhones"], json!([]));
    assert_eq!(user["surname"], Value::Null);
    assert_eq!(user["givenName"], "Alice");
    let list = harness.get("/users?$top=2", &token).await;
    assert_eq!(
        list.json()["@odata.context"],
        format!("{}/$metadata#users", harness.server.base_url())
    );
    assert_eq!(keys(&list.json()["value"][0]).len(), 11);
}

#[tokio::test]
async fn select_returns_exactly_the_selected_properties() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness
        .get(
            "/users/carol@contoso.com?$select=id,onPremisesImmutableId,ONPREMISESSYNCENABLED,proxyAddresses,city",
            &token,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let user = reply.json();
    assert_eq!(
        keys(&user),
        [
            "@odata.context",
            "id",
            "onPremisesImmutableId",
            "onPremisesSyncEnabled",
            "proxyAddresses",
            "city"
        ]
    );
    assert!(user["@odata.context"].as_str().unwrap().ends_with(
        "$metadata#users(id,onPremisesImmutableId,onPremisesSyncEnabled,proxyAddresses,city)/$entity"
    ));
    assert_eq!(user["onPremisesSyncEnabled"], true);
    assert_eq!(user["city"], Value::Null);
    // Unknown properties and profile properties on the collection are refused.
    assert_graph_error(
        &harness.get("/users?$select=nope", &token).await,
        400,
        "BadRequest",
        "Could not find a property named 'nope' on type 'microsoft.graph.user'.",
    );
    assert_graph_error(
        &harness.get("/users?$select=id,skills", &token).await,
        501,
        "NotImplemented",
        "This operation target is not yet supported.",
    );
    assert_eq!(
        harness
            .get(&format!("/users/{ALICE}?$select=skills"), &token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn paging_follows_opaque_next_links_to_the_end() {
    let harness = start();
    let token = harness.token(APP).await;
    let first = harness
        .get("/users?$select=id,userPrincipalName", &token)
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    // Default page size 100.
    assert_eq!(first.json()["value"].as_array().unwrap().len(), 100);
    let mut seen = HashSet::new();
    let mut next = Some(first);
    let mut pages = 0;
    while let Some(page) = next.take() {
        pages += 1;
        let json = page.json();
        for user in json["value"].as_array().unwrap() {
            assert_eq!(keys(user), ["id", "userPrincipalName"]);
            assert!(
                seen.insert(user["id"].as_str().unwrap().to_owned()),
                "duplicate"
            );
        }
        if let Some(link) = json["@odata.nextLink"].as_str() {
            assert!(
                link.starts_with(&format!("{}/users?", harness.server.base_url())),
                "{link}"
            );
            assert!(link.contains("$select=id,userPrincipalName") && link.contains("$skiptoken="));
            next = Some(harness.get(link, &token).await);
        }
    }
    assert_eq!(seen.len(), USER_COUNT);
    assert_eq!(pages, USER_COUNT.div_ceil(100));
    // $top with a filter: pages hold only matches.
    let mut sales = 0;
    let mut link = "/users?$filter=department eq 'Sales'&$top=40&$select=department".to_owned();
    loop {
        let page = harness.get(&link, &token).await.json();
        for user in page["value"].as_array().unwrap() {
            assert_eq!(user["department"], "Sales");
            sales += 1;
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => link = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(sales, FILLER_USERS / 2);
    assert_graph_error(
        &harness
            .get("/users?$skiptoken=RFNwdAIAAQAAAD8", &token)
            .await,
        400,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    );
}

#[tokio::test]
async fn top_skip_and_count_follow_the_documented_answers() {
    let harness = start();
    let token = harness.token(APP).await;
    assert_graph_error(
        &harness.get("/users?$top=1000", &token).await,
        400,
        "Request_BadRequest",
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
    assert_eq!(harness.get("/users?$top=0", &token).await.status, 400);
    assert_eq!(harness.get("/users?$top=999", &token).await.status, 200);
    assert_graph_error(
        &harness.get("/users?$top=1&$skip=1", &token).await,
        400,
        "Request_BadRequest",
        "'$skip' is not supported by the service.",
    );
    // $count=true without the header is silently ignored.
    let ignored = harness
        .get("/users?$count=true&$top=1", &token)
        .await
        .json();
    assert!(ignored.get("@odata.count").is_none());
    let counted = harness
        .get_eventual("/users?$count=true&$top=1", &token)
        .await
        .json();
    assert_eq!(counted["@odata.count"], USER_COUNT);
    assert_eq!(keys(&counted)[1], "@odata.count");
    // /users/$count needs the header and answers text/plain.
    assert_graph_error(
        &harness.get("/users/$count", &token).await,
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    );
    let count = harness.get_eventual("/users/$count", &token).await;
    assert_eq!(count.status, 200);
    assert!(
        count
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(count.text, USER_COUNT.to_string());
    let filtered = harness
        .get_eventual(
            "/users/$count?$filter=endsWith(mail,'@contoso.com')",
            &token,
        )
        .await;
    assert_eq!(filtered.text, "3");
}

#[tokio::test]
async fn filters_match_like_graph() {
    let harness = start();
    let token = harness.token(APP).await;
    let find = |filter: &str| format!("/users?$filter={filter}&$select=userPrincipalName");
    let cases: &[(&str, &[&str])] = &[
        (
            "userPrincipalName eq 'ALICE@contoso.com'",
            &["alice@contoso.com"],
        ),
        (
            "userPrincipalName eq 'o''brien@contoso.com'",
            &["o'brien@contoso.com"],
        ),
        ("startsWith(userPrincipalName,'b')", &["bob@fabrikam.com"]),
        (
            "userPrincipalName in ('bob@fabrikam.com','dave@contoso.com')",
            &["bob@fabrikam.com", "dave@contoso.com"],
        ),
        (
            "proxyAddresses/any(p:p eq 'smtp:alice@contoso.onmicrosoft.com')",
            &["alice@contoso.com"],
        ),
        // Lower-case smtp: also finds the primary, as community scripts rely on.
        (
            "proxyAddresses/any(x:x eq 'smtp:carol@contoso.com')",
            &["carol@contoso.com"],
        ),
        (
            "accountEnabled eq true and startsWith(displayName,'car')",
            &["carol@contoso.com"],
        ),
        (
            "displayName eq 'alice' or displayName eq 'dave'",
            &["alice@contoso.com", "dave@contoso.com"],
        ),
        (
            "id eq '11111111-0000-4000-8000-000000000004'",
            &["dave@contoso.com"],
        ),
    ];
    for (filter, expected) in cases {
        let reply = harness.get(&find(filter), &token).await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.text);
        assert_eq!(upns(&reply), *expected, "{filter}");
    }
    // Advanced operators need ConsistencyLevel: eventual and $count=true.
    let advanced = [
        (
            "endsWith(userPrincipalName,'@fabrikam.com')",
            "endsWith",
            vec!["bob@fabrikam.com"],
        ),
        (
            "userPrincipalName ne 'x@y.z' and startsWith(userPrincipalName,'a')",
            "ne",
            vec!["alice@contoso.com"],
        ),
        (
            "not(startsWith(userPrincipalName,'user')) and startsWith(displayName,'he')",
            "not",
            vec!["helen@contoso.com"],
        ),
        (
            "proxyAddresses/any(p:endsWith(p,'@fabrikam.com'))",
            "endsWith",
            vec!["bob@fabrikam.com"],
        ),
    ];
    for (filter, operator, expected) in advanced {
        assert_graph_error(
            &harness.get(&find(filter), &token).await,
            400,
            "Request_UnsupportedQuery",
            &format!(
                "Operator '{operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
            ),
        );
        // The header alone is not enough.
        assert_eq!(
            harness.get_eventual(&find(filter), &token).await.status,
            400,
            "{filter}"
        );
        let reply = harness
            .get_eventual(&format!("{}&$count=true", find(filter)), &token)
            .await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.text);
        assert_eq!(upns(&reply), expected, "{filter}");
        assert_eq!(reply.json()["@odata.count"], expected.len());
    }
    let nulls = harness
        .get_eventual(
            &format!(
                "{}&$count=true",
                find("mail eq null and startsWith(userPrincipalName,'o')")
            ),
            &token,
        )
        .await;
    assert_eq!(upns(&nulls), ["o'brien@contoso.com"]);
    assert_graph_error(
        &harness
            .get(&find("onPremisesSamAccountName eq 'carol'"), &token)
            .await,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'onPremisesSamAccountName' of resource 'User'.",
    );
    assert_graph_error(
        &harness.get(&find("userPrincipalName eq 'x"), &token).await,
        400,
        "BadRequest",
        "Invalid filter clause: Syntax error at position 21 in 'userPrincipalName eq 'x'.",
    );
}

#[tokio::test]
async fn immutable_id_filters_depend_on_the_strictness_and_on_encoding_plus() {
    let strict = start();
    let token = strict.token(APP).await;
    // Strict (default): the disputed `onPremisesImmutableId eq` needs advanced query parameters.
    let filter = "/users?$filter=onPremisesImmutableId eq 'iGhmiAEBERG7uxI0VniQqw=='&$select=userPrincipalName";
    assert_graph_error(
        &strict.get(filter, &token).await,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'onPremisesImmutableId' of resource 'User'.",
    );
    let reply = strict
        .get_eventual(&format!("{filter}&$count=true"), &token)
        .await;
    assert_eq!(upns(&reply), ["carol@contoso.com"]);
    // Case-sensitive, like the sourceAnchor.
    let upper = "/users?$filter=onPremisesImmutableId eq 'IGHMIAEBERG7UXI0VNIQQW=='&$count=true";
    assert_eq!(
        strict.get_eventual(upper, &token).await.json()["value"],
        json!([])
    );

    let mut config = config();
    config.advanced_query = AdvancedQueryMode::Lenient;
    let lenient = start_with(tenant(), config);
    let token = lenient.token(APP).await;
    assert_eq!(
        upns(&lenient.get(filter, &token).await),
        ["carol@contoso.com"]
    );
    // A `+` left unencoded arrives as a space and matches nothing; `%2B` matches.
    let raw_plus = "/users?$filter=onPremisesImmutableId eq '+D9q4TtdW06deixqiw5/EQ=='&$select=userPrincipalName";
    let url = format!("{}{raw_plus}", lenient.server.base_url());
    // URL parsing leaves `+` alone in a query: this is what a client that forgets to encode sends.
    let response = lenient
        .http
        .get(reqwest::Url::parse(&url).unwrap())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply_upns(response).await, Vec::<String>::new());
    let encoded = raw_plus.replace('+', "%2B");
    assert_eq!(
        upns(&lenient.get(&encoded, &token).await),
        ["o'brien@contoso.com"]
    );
}

async fn reply_upns(response: reqwest::Response) -> Vec<String> {
    upns(&reply(response).await)
}

#[tokio::test]
async fn users_are_found_by_id_or_user_principal_name() {
    let harness = start();
    let token = harness.token(APP).await;
    let by_upn = harness.get("/users/BOB@fabrikam.com", &token).await;
    assert_eq!(by_upn.json()["id"], BOB);
    let by_id = harness
        .get(&format!("/users/{}", BOB.to_uppercase()), &token)
        .await;
    assert_eq!(by_id.json()["userPrincipalName"], "bob@fabrikam.com");
    let quoted = harness.get("/users/o'brien@contoso.com", &token).await;
    assert_eq!(quoted.json()["id"], OBRIEN);
    assert_eq!(
        harness
            .get("/users/nobody@contoso.com", &token)
            .await
            .status,
        404
    );
}
