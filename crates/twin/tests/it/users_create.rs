//! `POST /users` and `PATCH /users/{id}` under the rules a sync engine meets (<https://learn.microsoft.com/graph/api/user-post-users>, <https://learn.microsoft.com/graph/api/resources/user>;
//! issue 14): required properties, the password policy, UPN characters and lengths, the lengths and
//! read-only properties of §2.3. Raw HTTP against a `TwinServer`; every refusal is checked for its
//! status, code and exact text, and for having changed nothing.

use serde_json::{Value, json};

use crate::support::*;

const COMPLEXITY: &str = "The specified password does not comply with password complexity requirements. Please provide a different password.";

fn invalid_value(property: &str) -> String {
    format!("Invalid value specified for property '{property}' of resource 'User'.")
}

fn with(mut body: Value, property: &str, value: Value) -> Value {
    body[property] = value;
    body
}

fn with_password(password: &str) -> Value {
    let mut body = new_user("pw@contoso.com");
    body["passwordProfile"]["password"] = json!(password);
    body
}

#[tokio::test]
async fn a_password_must_be_given_and_meet_the_policy_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    // No password at all, or a password profile without one.
    for profile in [
        None,
        Some(json!({"forceChangePasswordNextSignIn": true})),
        Some(Value::Null),
    ] {
        let mut body = new_user("pw@contoso.com");
        match profile {
            Some(profile) => body["passwordProfile"] = profile,
            None => {
                body.as_object_mut().unwrap().remove("passwordProfile");
            }
        }
        assert_graph_error(
            &harness.post("/users", &token, body).await,
            400,
            "Request_BadRequest",
            "A password must be specified to create a new user.",
        );
    }
    let too_long = "Aa1!".repeat(65);
    for weak in [
        "Sh0rt!",               // 6 characters
        "lowercaseonly",        // one class
        "lowercase123",         // two classes
        "Pässw0rd!x",           // Unicode
        "Pass\tw0rd!",          // a control character
        &too_long,              // 260 characters
        "ＰａｓｓＷｏｒｄ１！", // full-width letters
    ] {
        assert_graph_error(
            &harness.post("/users", &token, with_password(weak)).await,
            400,
            "Request_BadRequest",
            COMPLEXITY,
        );
    }
    assert_eq!(harness.server.snapshot().users.len(), USER_COUNT);
    // Three classes of four, every allowed symbol, a blank counting as one, 8 and 256 characters.
    for (n, strong) in [
        "Abcdefg1".to_owned(),
        "abcdef1!".to_owned(),
        "ABC def 1".to_owned(),
        "aA1@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<>".to_owned(),
        "Aa1!".repeat(64),
    ]
    .iter()
    .enumerate()
    {
        let mut body = with_password(strong);
        body["userPrincipalName"] = json!(format!("strong{n}@contoso.com"));
        body["mailNickname"] = json!(format!("strong{n}"));
        let reply = harness.post("/users", &token, body).await;
        assert_eq!(reply.status, 201, "{strong}: {}", reply.text);
    }
    // `DisableStrongPassword` lifts the class rule, not the length or the character set.
    let mut weak_allowed = with_password("lowercaseonly");
    weak_allowed["passwordPolicies"] = json!("DisablePasswordExpiration, DisableStrongPassword");
    assert_eq!(
        harness.post("/users", &token, weak_allowed).await.status,
        201
    );
    let mut still_short = with_password("short");
    still_short["passwordPolicies"] = json!("DisableStrongPassword");
    still_short["userPrincipalName"] = json!("short@contoso.com");
    assert_graph_error(
        &harness.post("/users", &token, still_short).await,
        400,
        "Request_BadRequest",
        COMPLEXITY,
    );
    // A PATCH of the password follows the same policy (an app that may reset passwords).
    let privileged = harness.token(PRIVILEGED_APP).await;
    let alice = format!("/users/{ALICE}");
    assert_graph_error(
        &harness
            .patch(
                &alice,
                &privileged,
                json!({"passwordProfile": {"password": "weakweak"}}),
            )
            .await,
        400,
        "Request_BadRequest",
        COMPLEXITY,
    );
    let reply = harness
        .patch(
            &alice,
            &privileged,
            json!({"passwordProfile": {"password": "Str0ng!pass"}}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
}

#[tokio::test]
async fn a_password_is_never_stored_returned_or_listed_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let secret = "Unguessable-7-Secret!";
    let reply = harness.post("/users", &token, with_password(secret)).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(!reply.text.contains(secret));
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let privileged = harness.token(PRIVILEGED_APP).await;
    let reset = "Another-7-Secret!";
    let reply = harness
        .patch(
            &format!("/users/{id}"),
            &privileged,
            json!({"passwordProfile": {"password": reset, "forceChangePasswordNextSignIn": true}}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let snapshot = harness.server.snapshot().to_json().unwrap();
    assert!(!snapshot.contains(secret) && !snapshot.contains(reset));
    let writes = harness.server.twin().writes();
    assert_eq!(writes.len(), 2);
    for write in &writes {
        let listed = Value::Object(write.body.clone()).to_string();
        assert!(
            !listed.contains(secret) && !listed.contains(reset),
            "{listed}"
        );
    }
    // What the write log keeps of the profile: everything but the password.
    assert_eq!(
        writes[1].body["passwordProfile"],
        json!({"forceChangePasswordNextSignIn": true})
    );
    let selected = harness
        .get(&format!("/users/{id}?$select=passwordProfile"), &token)
        .await;
    assert_eq!(selected.json()["passwordProfile"], Value::Null);
}

#[tokio::test]
async fn user_principal_names_follow_the_character_and_length_rules_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let alias64 = "a".repeat(64);
    for upn in [
        format!("{alias64}b@contoso.com"),           // 65 before `@`
        format!("x@{}.contoso.com", "d".repeat(38)), // 50 after `@`
        "dot.@contoso.com".to_owned(),               // `.` right before `@`
        ".dot@contoso.com".to_owned(),
        "two@at@contoso.com".to_owned(),
        "élodie@contoso.com".to_owned(),
        "space here@contoso.com".to_owned(),
        "no-at-sign".to_owned(),
        "comma,x@contoso.com".to_owned(),
    ] {
        let body = with(new_user("ok@contoso.com"), "userPrincipalName", json!(upn));
        let reply = harness.post("/users", &token, body).await;
        assert_graph_error(
            &reply,
            400,
            "Request_BadRequest",
            &invalid_value("userPrincipalName"),
        );
    }
    // A domain the tenant has not verified, or does not have.
    for upn in ["x@unverified.example", "x@elsewhere.example"] {
        let reply = harness.post("/users", &token, new_user(upn)).await;
        assert_graph_error(
            &reply,
            400,
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        );
    }
    assert_eq!(harness.server.snapshot().users.len(), USER_COUNT);
    // The limits themselves pass: 64 before `@`, the allowed specials.
    let body = with(
        new_user("ok@contoso.com"),
        "userPrincipalName",
        json!(format!("{alias64}@contoso.com")),
    );
    assert_eq!(harness.post("/users", &token, body).await.status, 201);
    let body = with(
        new_user("ok@contoso.com"),
        "userPrincipalName",
        json!("o'neil.x-y_z!#^~@contoso.com"),
    );
    assert_eq!(harness.post("/users", &token, body).await.status, 201);
    // A PATCH follows the same rules.
    let reply = harness
        .patch(
            &format!("/users/{ALICE}"),
            &token,
            json!({"userPrincipalName": "alice.@contoso.com"}),
        )
        .await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        &invalid_value("userPrincipalName"),
    );
}

/// Every limited property of <https://learn.microsoft.com/graph/api/resources/user>, one past its limit, on `POST` and on `PATCH`.
const TOO_LONG: &[(&str, usize)] = &[
    ("displayName", 256),
    ("givenName", 64),
    ("surname", 64),
    ("mailNickname", 64),
    ("jobTitle", 128),
    ("department", 64),
    ("companyName", 64),
    ("city", 128),
    ("state", 128),
    ("country", 128),
    ("postalCode", 40),
    ("streetAddress", 1024),
    ("mobilePhone", 64),
    ("employeeId", 16),
];

#[tokio::test]
async fn lengths_of_the_writable_properties_are_enforced_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let alice = format!("/users/{ALICE}");
    for (property, limit) in TOO_LONG {
        let over = json!("x".repeat(limit + 1));
        let reply = harness
            .post(
                "/users",
                &token,
                with(new_user("long@contoso.com"), property, over.clone()),
            )
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &invalid_value(property));
        let reply = harness
            .patch(&alice, &token, json!({ *property: over }))
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &invalid_value(property));
        // At the limit it is accepted.
        let at = json!("x".repeat(*limit));
        let reply = harness
            .patch(&alice, &token, json!({ *property: at }))
            .await;
        assert_eq!(reply.status, 204, "{property}: {}", reply.text);
    }
    for (property, value) in [
        (
            "businessPhones",
            json!(["+81 3 1234 5678", "+81 3 8765 4321"]),
        ),
        ("usageLocation", json!("JPN")),
        ("otherMails", json!(vec!["a@example.com"; 251])),
        (
            "onPremisesExtensionAttributes",
            json!({"extensionAttribute1": "x".repeat(1025)}),
        ),
    ] {
        let reply = harness
            .post(
                "/users",
                &token,
                with(new_user("long@contoso.com"), property, value.clone()),
            )
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &invalid_value(property));
        let reply = harness
            .patch(&alice, &token, json!({ property: value }))
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &invalid_value(property));
    }
    // One business phone is fine; clearing the collection is `[]`, never `null`.
    assert_eq!(
        harness
            .patch(
                &alice,
                &token,
                json!({"businessPhones": ["+81 3 1234 5678"]})
            )
            .await
            .status,
        204
    );
    assert_graph_error(
        &harness
            .patch(&alice, &token, json!({"businessPhones": null}))
            .await,
        400,
        "Request_BadRequest",
        &invalid_value("businessPhones"),
    );
    assert_eq!(
        harness
            .patch(&alice, &token, json!({"businessPhones": []}))
            .await
            .status,
        204
    );
    // displayName cannot be cleared; other strings clear with `null`, in one PATCH with others.
    assert_graph_error(
        &harness
            .patch(&alice, &token, json!({"displayName": null}))
            .await,
        400,
        "Request_BadRequest",
        &invalid_value("displayName"),
    );
    let reply = harness
        .patch(
            &alice,
            &token,
            json!({"jobTitle": null, "department": null, "givenName": "Alicia", "city": "Osaka"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let stored = harness
        .get(
            &format!("{alice}?$select=jobTitle,department,givenName,city"),
            &token,
        )
        .await
        .json();
    assert_eq!(stored["jobTitle"], Value::Null);
    assert_eq!(stored["department"], Value::Null);
    assert_eq!(stored["givenName"], "Alicia");
    assert_eq!(stored["city"], "Osaka");
    assert_eq!(
        harness.server.snapshot().users.len(),
        USER_COUNT,
        "nothing created"
    );
}

#[tokio::test]
async fn read_only_properties_are_refused_on_post_and_patch_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let alice = format!("/users/{ALICE}");
    for (property, value) in [
        ("proxyAddresses", json!(["SMTP:x@contoso.com"])),
        ("onPremisesSamAccountName", json!("x")),
        ("onPremisesSecurityIdentifier", json!("S-1-5-21-1-2-3-1000")),
        ("onPremisesDistinguishedName", json!("CN=x")),
        ("onPremisesUserPrincipalName", json!("x@corp.local")),
        ("onPremisesDomainName", json!("corp.local")),
        ("onPremisesSyncEnabled", json!(true)),
        ("onPremisesLastSyncDateTime", json!("2025-01-01T00:00:00Z")),
        ("createdDateTime", json!("2025-01-01T00:00:00Z")),
        ("creationType", json!("Invitation")),
        ("securityIdentifier", json!("S-1-12-1-1")),
        ("imAddresses", json!(["sip:x@contoso.com"])),
    ] {
        let message = format!("Property '{property}' is read-only and cannot be set.");
        let reply = harness
            .post(
                "/users",
                &token,
                with(new_user("ro@contoso.com"), property, value.clone()),
            )
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &message);
        let reply = harness
            .patch(
                &alice,
                &token,
                json!({ property: value, "jobTitle": "Changed" }),
            )
            .await;
        assert_graph_error(&reply, 400, "Request_BadRequest", &message);
    }
    // Nothing of a refused PATCH was applied, the other properties included.
    let stored = harness
        .get(&format!("{alice}?$select=jobTitle"), &token)
        .await
        .json();
    assert_eq!(stored["jobTitle"], "Engineer");
    assert!(harness.server.twin().writes().is_empty());
}

#[tokio::test]
async fn a_sync_engine_create_with_every_managed_property_issue_14() {
    let harness = start();
    let token = harness.token(APP).await;
    let body = json!({
        "accountEnabled": false,
        "displayName": "Taro Yamada",
        "givenName": "Taro",
        "surname": "Yamada",
        "mailNickname": "taro.yamada",
        "userPrincipalName": "taro.yamada@fabrikam.com",
        "onPremisesImmutableId": "dGFyby15YW1hZGEtYW5jaG9y",
        "passwordProfile": {"password": "Fresh-Random-Pa55", "forceChangePasswordNextSignIn": false},
        "mail": "taro.yamada@fabrikam.com",
        "usageLocation": "JP",
        "jobTitle": "Engineer",
        "department": "R&D",
        "companyName": "Fabrikam",
        "officeLocation": "Tokyo 12F",
        "city": "Tokyo",
        "state": "Tokyo",
        "country": "Japan",
        "postalCode": "100-0001",
        "streetAddress": "1-1 Chiyoda",
        "businessPhones": ["+81 3 1234 5678"],
        "mobilePhone": "+81 90 1234 5678",
        "faxNumber": "+81 3 1234 5679",
        "preferredLanguage": "ja-JP",
        "employeeId": "E-0001",
        "onPremisesExtensionAttributes": {"extensionAttribute1": "A", "extensionAttribute15": "O"},
    });
    let reply = harness.post("/users", &token, body.clone()).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let properties: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|name| *name != "passwordProfile")
        .collect();
    let stored = harness
        .get(
            &format!("/users/{id}?$select={}", properties.join(",")),
            &token,
        )
        .await
        .json();
    for property in properties {
        if property == "onPremisesExtensionAttributes" {
            assert_eq!(stored[property]["extensionAttribute1"], "A");
            assert_eq!(stored[property]["extensionAttribute15"], "O");
            assert_eq!(stored[property]["extensionAttribute2"], Value::Null);
        } else {
            assert_eq!(stored[property], body[property], "{property}");
        }
    }
}
