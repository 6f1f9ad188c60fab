//! Creating, updating and deleting users under Entra's rules (the twin's crate docs list them with
//! their sources), over HTTP.

use serde_json::{Value, json};

use crate::support::*;

const INVALID_VALUES: &str = "One or more properties contains invalid values.";
const MASTERED: &str = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";
const DENIED: &str = "Insufficient privileges to complete the operation.";

fn details(reply: &Reply) -> Vec<(String, String)> {
    reply.json()["error"]["details"]
        .as_array()
        .map(|details| {
            details
                .iter()
                .map(|detail| {
                    (
                        detail["code"].as_str().unwrap().to_owned(),
                        detail["target"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn select(harness: &Harness, token: &str, key: &str, properties: &str) -> Value {
    let reply = harness
        .get(&format!("/users/{key}?$select={properties}"), token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

#[tokio::test]
async fn post_creates_a_user_with_its_proxy_address() {
    let harness = start();
    let token = harness.token(APP).await;
    let mut body = new_user("new.user@contoso.com");
    body["mail"] = json!("new.user@contoso.com");
    let reply = harness.post("/users", &token, body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let created = reply.json();
    assert_eq!(
        created["@odata.context"],
        format!("{}/$metadata#users/$entity", harness.server.base_url())
    );
    assert_eq!(created["userPrincipalName"], "new.user@contoso.com");
    assert!(created.get("passwordProfile").is_none());
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/users/{id}", harness.server.base_url()).as_str())
    );
    let stored = select(
        &harness,
        &token,
        id,
        "proxyAddresses,passwordProfile,createdDateTime,userType",
    )
    .await;
    assert_eq!(
        stored["proxyAddresses"],
        json!(["SMTP:new.user@contoso.com"])
    );
    assert_eq!(
        stored["passwordProfile"],
        Value::Null,
        "the password is never returned"
    );
    assert_eq!(stored["userType"], "Member");
    assert!(stored["createdDateTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(harness.server.snapshot().users.len(), USER_COUNT + 1);
}

#[tokio::test]
async fn post_enforces_the_create_requirements() {
    let harness = start();
    let token = harness.token(APP).await;
    for missing in [
        "accountEnabled",
        "displayName",
        "mailNickname",
        "userPrincipalName",
    ] {
        let mut body = new_user("req@contoso.com");
        body.as_object_mut().unwrap().remove(missing);
        let reply = harness.post("/users", &token, body).await;
        assert_graph_error(
            &reply,
            400,
            "Request_BadRequest",
            &format!("Property {missing} value is required but is empty or missing."),
        );
        assert_eq!(
            details(&reply),
            [("InvalidValue".to_owned(), missing.to_owned())]
        );
    }
    let mut body = new_user("req@contoso.com");
    body.as_object_mut().unwrap().remove("passwordProfile");
    assert_graph_error(
        &harness.post("/users", &token, body).await,
        400,
        "Request_BadRequest",
        "A password must be specified to create a new user.",
    );
    let mut weak = new_user("weak@contoso.com");
    weak["passwordProfile"]["password"] = json!("password");
    assert_graph_error(
        &harness.post("/users", &token, weak).await,
        400,
        "Request_BadRequest",
        "The specified password does not comply with password complexity requirements. Please provide a different password.",
    );
    let unverified = "Property userPrincipalName is invalid.";
    for upn in ["x@unverified.example", "x@nowhere.example"] {
        assert_graph_error(
            &harness.post("/users", &token, new_user(upn)).await,
            400,
            "Request_BadRequest",
            unverified,
        );
    }
    let mut bad_upn = new_user("bad name@contoso.com");
    bad_upn["mailNickname"] = json!("badname");
    assert_graph_error(
        &harness.post("/users", &token, bad_upn).await,
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
    );
    let mut read_only = new_user("ro@contoso.com");
    read_only["onPremisesSyncEnabled"] = json!(true);
    assert_graph_error(
        &harness.post("/users", &token, read_only).await,
        400,
        "Request_BadRequest",
        "Property 'onPremisesSyncEnabled' is read-only and cannot be set.",
    );
    assert_graph_error(
        &harness
            .call(
                reqwest::Method::POST,
                "/users",
                &token,
                None,
                &[("content-type", "application/json")],
            )
            .await,
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
    // JSON without `Content-Type: application/json` is refused the same way.
    let untyped = harness
        .http
        .post(format!("{}/users", harness.server.base_url()))
        .bearer_auth(&token)
        .body(new_user("untyped@contoso.com").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply(untyped).await.error().0, "BadRequest");
    assert_eq!(
        harness.server.snapshot().users.len(),
        USER_COUNT,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_federated_upn_requires_an_immutable_id() {
    let harness = start();
    let token = harness.token(APP).await;
    assert_graph_error(
        &harness
            .post("/users", &token, new_user("fed@fabrikam.com"))
            .await,
        400,
        "Request_BadRequest",
        INVALID_VALUES,
    );
    let mut body = new_user("fed@fabrikam.com");
    body["onPremisesImmutableId"] = json!("ZmVkLWFuY2hvcg==");
    assert_eq!(harness.post("/users", &token, body).await.status, 201);
    // Moving a managed user without an anchor into the federated domain is refused too.
    assert_graph_error(
        &harness
            .patch(
                &format!("/users/{ALICE}"),
                &token,
                json!({"userPrincipalName": "alice@fabrikam.com"}),
            )
            .await,
        400,
        "Request_BadRequest",
        INVALID_VALUES,
    );
}

#[tokio::test]
async fn unique_values_conflict_with_object_conflict_details() {
    let harness = start();
    let token = harness.token(APP).await;
    let duplicate_upn = harness
        .post("/users", &token, new_user("ALICE@contoso.com"))
        .await;
    assert_graph_error(
        &duplicate_upn,
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    );
    assert_eq!(
        details(&duplicate_upn),
        [
            ("ObjectConflict".to_owned(), "userPrincipalName".to_owned()),
            ("ConflictingObjects".to_owned(), ALICE.to_owned()),
        ]
    );
    // onPremisesImmutableId: exact match conflicts, a different case does not.
    let mut same_anchor = new_user("anchor1@contoso.com");
    same_anchor["onPremisesImmutableId"] = json!("iGhmiAEBERG7uxI0VniQqw==");
    let conflict = harness.post("/users", &token, same_anchor).await;
    assert_graph_error(
        &conflict,
        400,
        "Request_BadRequest",
        "Another object with the same value for property onPremisesImmutableId already exists.",
    );
    assert_eq!(details(&conflict)[0].1, "onPremisesImmutableId");
    let mut other_case = new_user("anchor2@contoso.com");
    other_case["onPremisesImmutableId"] = json!("IGHMIAEBERG7UXI0VNIQQW==");
    assert_eq!(harness.post("/users", &token, other_case).await.status, 201);
    // mail against another object's proxy address: refused, and proxyAddresses left alone.
    let taken = harness
        .patch(
            &format!("/users/{DAVE}"),
            &token,
            json!({"mail": "ALICE@contoso.onmicrosoft.com"}),
        )
        .await;
    assert_graph_error(
        &taken,
        400,
        "Request_BadRequest",
        "Another object with the same value for property proxyAddresses already exists.",
    );
    assert_eq!(
        details(&taken)[0],
        ("ObjectConflict".to_owned(), "proxyAddresses".to_owned())
    );
    let dave = select(&harness, &token, DAVE, "mail,proxyAddresses").await;
    assert_eq!(dave["mail"], "dave@contoso.com");
    assert_eq!(dave["proxyAddresses"], json!(["SMTP:dave@contoso.com"]));
}

#[tokio::test]
async fn mail_updates_recompute_proxy_addresses() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness
        .patch(
            &format!("/users/{ALICE}"),
            &token,
            json!({"mail": "alice.ng@contoso.com"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    let alice = select(&harness, &token, ALICE, "mail,proxyAddresses").await;
    assert_eq!(
        alice["proxyAddresses"],
        json!([
            "SMTP:alice.ng@contoso.com",
            "smtp:alice@contoso.com",
            "smtp:alice@contoso.onmicrosoft.com"
        ])
    );
    assert_graph_error(
        &harness
            .patch(
                &format!("/users/{ALICE}"),
                &token,
                json!({"proxyAddresses": ["SMTP:x@contoso.com"]}),
            )
            .await,
        400,
        "Request_BadRequest",
        "Property 'proxyAddresses' is read-only and cannot be set.",
    );
}

#[tokio::test]
async fn immutable_id_values_and_clearing() {
    let harness = start();
    let token = harness.token(APP).await;
    let path = format!("/users/{OBRIEN}");
    for bad in ["has$dollar", "has_underscore", ""] {
        let reply = harness
            .patch(&path, &token, json!({"onPremisesImmutableId": bad}))
            .await;
        assert_graph_error(
            &reply,
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'onPremisesImmutableId' of resource 'User'.",
        );
    }
    // An empty string does not clear it (the PowerShell SDK bug): refused, value kept.
    assert_eq!(
        harness
            .patch(&path, &token, json!({"onPremisesImmutableId": ""}))
            .await
            .status,
        400
    );
    assert_eq!(
        select(&harness, &token, OBRIEN, "onPremisesImmutableId").await["onPremisesImmutableId"],
        "+D9q4TtdW06deixqiw5/EQ=="
    );
    // An explicit JSON null clears it.
    let cleared = harness
        .patch(&path, &token, json!({"onPremisesImmutableId": null}))
        .await;
    assert_eq!(cleared.status, 204, "{}", cleared.text);
    assert_eq!(
        select(&harness, &token, OBRIEN, "onPremisesImmutableId").await["onPremisesImmutableId"],
        Value::Null
    );
    let set = harness
        .patch(
            &path,
            &token,
            json!({"onPremisesImmutableId": "bmV3LWFuY2hvcg=="}),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text);
}

#[tokio::test]
async fn the_federated_upn_workaround_end_to_end() {
    let harness = start();
    let token = harness.token(APP).await;
    let path = format!("/users/{BOB}");
    let new_anchor = "d3JpdHRlbi1ieS1hbmNob3JzeW5j";
    // A federated user's anchor cannot be changed (nor cleared) in place.
    let refused = harness
        .patch(&path, &token, json!({"onPremisesImmutableId": new_anchor}))
        .await;
    assert_graph_error(
        &refused,
        400,
        "Request_BadRequest",
        "Unable to update property 'onPremisesImmutableId' of a user whose userPrincipalName is in a federated domain. Move the userPrincipalName to a managed domain first.",
    );
    assert_eq!(
        harness
            .patch(&path, &token, json!({"onPremisesImmutableId": null}))
            .await
            .status,
        400
    );
    // Nor in the same PATCH that moves the UPN out.
    assert_eq!(
        harness
            .patch(
                &path,
                &token,
                json!({"userPrincipalName": "bob@contoso.onmicrosoft.com", "onPremisesImmutableId": new_anchor})
            )
            .await
            .status,
        400
    );
    // 1. UPN to the initial domain, 2. set the anchor, 3. UPN back.
    let steps = [
        json!({"userPrincipalName": "bob@contoso.onmicrosoft.com"}),
        json!({"onPremisesImmutableId": new_anchor}),
        json!({"userPrincipalName": "bob@fabrikam.com"}),
    ];
    for step in steps {
        let reply = harness.patch(&path, &token, step.clone()).await;
        assert_eq!(reply.status, 204, "{step}: {}", reply.text);
    }
    let bob = select(
        &harness,
        &token,
        BOB,
        "userPrincipalName,onPremisesImmutableId",
    )
    .await;
    assert_eq!(bob["userPrincipalName"], "bob@fabrikam.com");
    assert_eq!(bob["onPremisesImmutableId"], new_anchor);
    // Clearing on the managed domain, then moving back: the federated UPN needs an anchor.
    harness
        .patch(
            &path,
            &token,
            json!({"userPrincipalName": "bob@contoso.onmicrosoft.com"}),
        )
        .await;
    assert_eq!(
        harness
            .patch(&path, &token, json!({"onPremisesImmutableId": null}))
            .await
            .status,
        204
    );
    assert_graph_error(
        &harness
            .patch(
                &path,
                &token,
                json!({"userPrincipalName": "bob@fabrikam.com"}),
            )
            .await,
        400,
        "Request_BadRequest",
        INVALID_VALUES,
    );
}

#[tokio::test]
async fn synced_users_refuse_on_premises_mastered_properties() {
    let harness = start();
    let token = harness.token(APP).await;
    let path = format!("/users/{CAROL}");
    for body in [
        json!({"displayName": "Carol"}),
        json!({"onPremisesImmutableId": "bmV3"}),
        json!({"userPrincipalName": "carol2@contoso.com"}),
        json!({"jobTitle": "x", "usageLocation": "US"}),
    ] {
        assert_graph_error(
            &harness.patch(&path, &token, body).await,
            400,
            "Request_BadRequest",
            MASTERED,
        );
    }
    assert_eq!(
        harness
            .patch(&path, &token, json!({"usageLocation": "US"}))
            .await
            .status,
        204
    );
    assert_graph_error(
        &harness
            .patch(
                &path,
                &token,
                json!({"onPremisesSecurityIdentifier": "S-1-5-21-1"}),
            )
            .await,
        400,
        "Request_BadRequest",
        "Property 'onPremisesSecurityIdentifier' is read-only and cannot be set.",
    );
    assert_graph_error(
        &harness
            .patch(&path, &token, json!({"favouriteColour": "blue"}))
            .await,
        400,
        "Request_BadRequest",
        "Invalid property 'favouriteColour'.",
    );
    assert_graph_error(
        &harness.delete(&path, &token).await,
        400,
        "Request_BadRequest",
        MASTERED,
    );
}

#[tokio::test]
async fn admin_protected_users_need_an_app_with_a_higher_role() {
    let harness = start();
    let app = harness.token(APP).await;
    let user_admin = harness.token(USER_ADMIN_APP).await;
    let privileged = harness.token(PRIVILEGED_APP).await;
    let dave = format!("/users/{DAVE}");
    let helen = format!("/users/{HELEN}");
    // Non-sensitive properties of an admin are fine for any app with the permission.
    assert_eq!(
        harness
            .patch(&dave, &app, json!({"jobTitle": "CEO"}))
            .await
            .status,
        204
    );
    // Sensitive ones of a Global Administrator need Privileged Authentication Administrator.
    for token in [&app, &user_admin] {
        assert_graph_error(
            &harness
                .patch(&dave, token, json!({"accountEnabled": false}))
                .await,
            403,
            "Authorization_RequestDenied",
            DENIED,
        );
        assert_graph_error(
            &harness
                .patch(&dave, token, json!({"onPremisesImmutableId": "ZGF2ZQ=="}))
                .await,
            403,
            "Authorization_RequestDenied",
            DENIED,
        );
    }
    assert_eq!(
        harness
            .patch(
                &dave,
                &privileged,
                json!({"onPremisesImmutableId": "ZGF2ZQ=="})
            )
            .await
            .status,
        204
    );
    // A Helpdesk Administrator is within a User Administrator's reach.
    assert_eq!(
        harness
            .patch(&helen, &app, json!({"accountEnabled": false}))
            .await
            .status,
        403
    );
    assert_eq!(
        harness
            .patch(&helen, &user_admin, json!({"accountEnabled": false}))
            .await
            .status,
        204
    );
    // Passwords need a password-resetting role even on users without a role.
    let password = json!({"passwordProfile": {"password": "N3w-Passw0rd!x", "forceChangePasswordNextSignIn": true}});
    let alice = format!("/users/{ALICE}");
    assert_eq!(
        harness.patch(&alice, &app, password.clone()).await.status,
        403
    );
    assert_eq!(
        harness
            .patch(&alice, &user_admin, password.clone())
            .await
            .status,
        204
    );
    assert_eq!(
        harness
            .patch(&dave, &user_admin, password.clone())
            .await
            .status,
        403
    );
    assert_eq!(
        harness.patch(&dave, &privileged, password).await.status,
        204
    );
    // Deleting an admin is protected the same way.
    assert_eq!(harness.delete(&dave, &app).await.status, 403);
    assert_eq!(harness.delete(&dave, &privileged).await.status, 204);
    assert_eq!(harness.get(&dave, &app).await.status, 404);
    // Its role assignment went with it.
    let roles = harness
        .get(
            &format!("/roleManagement/directory/roleAssignments?$filter=principalId eq '{DAVE}'"),
            &app,
        )
        .await;
    assert_eq!(roles.json()["value"], json!([]));
}

#[tokio::test]
async fn delete_then_get_is_404() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness.delete("/users/user007@contoso.com", &token).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(
        harness
            .get("/users/user007@contoso.com", &token)
            .await
            .status,
        404
    );
    assert_eq!(
        harness
            .delete("/users/user007@contoso.com", &token)
            .await
            .status,
        404
    );
    assert_eq!(harness.server.snapshot().users.len(), USER_COUNT - 1);
}

#[tokio::test]
async fn applied_writes_are_listed_in_order_and_refused_ones_are_not_issue_6() {
    let mut config = config();
    config.faults.fail_properties = vec!["onPremisesImmutableId".to_owned()];
    let harness = start_with(tenant(), config);
    let token = harness.token(APP).await;
    let alice = format!("/users/{ALICE}");
    let reply = harness
        .patch(&alice, &token, json!({"jobTitle": "Lead"}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    // The injected fault refuses the PATCH whatever else it sets, and changes nothing.
    let reply = harness
        .patch(
            &alice,
            &token,
            json!({"jobTitle": "CTO", "onPremisesImmutableId": "AQID"}),
        )
        .await;
    assert_graph_error(
        &reply,
        500,
        "generalException",
        "Injected fault: PATCHes that set `onPremisesImmutableId` fail (twin `faults.fail_properties`).",
    );
    assert_eq!(
        select(&harness, &token, ALICE, "jobTitle").await["jobTitle"],
        "Lead"
    );
    // A write refused by a rule is not listed either.
    let reply = harness
        .patch(&alice, &token, json!({"onPremisesSyncEnabled": true}))
        .await;
    assert_eq!(reply.status, 400);
    let writes = harness.server.twin().writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(writes[0].resource, alice);
    assert_eq!(writes[0].body["jobTitle"], "Lead");
}
