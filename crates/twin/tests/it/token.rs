//! The token endpoint and the bearer check
//! (<https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>), over
//! HTTP.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchorsync_twin::{Clock, TestCertificate};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::*;

pub fn assert_aadsts(reply: &Reply, status: u16, error: &str, code: u64) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let json = reply.json();
    assert_eq!(json["error"], error, "{}", reply.text);
    assert_eq!(json["error_codes"], json!([code]), "{}", reply.text);
    let description = json["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert!(description.contains("\r\nTrace ID: "), "{description}");
    assert!(
        description.contains("\r\nCorrelation ID: "),
        "{description}"
    );
    assert!(json["timestamp"].is_string() && json["trace_id"].is_string());
}

#[tokio::test]
async fn client_secret_gives_a_bearer_token_that_graph_accepts() {
    let harness = start();
    let reply = harness
        .token_request(&[
            ("client_id", APP),
            ("scope", GRAPH_SCOPE),
            ("client_secret", &secret(APP)),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let json = reply.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 3599);
    let token = json["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let users = harness.get("/users?$top=1", token).await;
    assert_eq!(users.status, 200, "{}", users.text);
}

#[tokio::test]
async fn the_tenant_may_be_named_by_a_domain_and_basic_auth_carries_the_secret() {
    let harness = start();
    let url = harness.server.token_url_for("contoso.com");
    let response = harness
        .http
        .post(&url)
        .basic_auth(APP, Some(secret(APP)))
        .form(&[("scope", GRAPH_SCOPE), ("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let reply = reply(response).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn token_errors_are_aadsts_bodies() {
    let harness = start();
    let good_secret = secret(APP);
    let base = |overrides: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, String)> = vec![
            ("client_id", APP.to_owned()),
            ("scope", GRAPH_SCOPE.to_owned()),
            ("client_secret", good_secret.clone()),
            ("grant_type", "client_credentials".to_owned()),
        ];
        for (name, value) in overrides {
            form.retain(|(key, _)| key != name);
            if !value.is_empty() {
                form.push((name, (*value).to_owned()));
            }
        }
        form
    };
    type Form = Vec<(&'static str, String)>;
    let cases: Vec<(Form, u16, &str, u64)> = vec![
        (
            base(&[("client_secret", "wrong")]),
            401,
            "invalid_client",
            7_000_215,
        ),
        (
            base(&[("client_secret", "")]),
            401,
            "invalid_client",
            7_000_218,
        ),
        (
            base(&[("client_id", "9f9f9f9f-0000-4000-8000-000000000000")]),
            400,
            "unauthorized_client",
            700_016,
        ),
        (base(&[("scope", "")]), 400, "invalid_request", 900_144),
        (
            base(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
            70003,
        ),
        (
            base(&[("scope", "User.Read.All")]),
            400,
            "invalid_scope",
            1_002_012,
        ),
        (
            base(&[(
                "scope",
                "https://graph.microsoft.com/.default https://management.azure.com/.default",
            )]),
            400,
            "invalid_scope",
            70011,
        ),
        (
            base(&[("scope", "https://management.azure.com/.default")]),
            400,
            "invalid_resource",
            500_011,
        ),
    ];
    for (form, status, error, code) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = harness.token_request(&form).await;
        assert_aadsts(&reply, status, error, code);
    }
    let other_tenant = harness.server.token_url_for("contoso.org");
    let reply = harness
        .token_request_to(
            &other_tenant,
            &[
                ("client_id", APP),
                ("scope", GRAPH_SCOPE),
                ("client_secret", &good_secret),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_aadsts(&reply, 400, "invalid_request", 90002);
    // The secret never appears in an answer.
    assert!(!reply.text.contains(&good_secret));
}

pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub fn assertion(
    certificate: &TestCertificate,
    algorithm: Algorithm,
    thumbprint_kind: &str,
    claims: serde_json::Value,
) -> String {
    let mut header = Header::new(algorithm);
    match thumbprint_kind {
        "x5t" => header.x5t = Some(certificate.thumbprints.x5t.clone()),
        _ => header.x5t_s256 = Some(certificate.thumbprints.x5t_s256.clone()),
    }
    let key = EncodingKey::from_rsa_pem(certificate.private_key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

pub fn claims(audience: &str, now: SystemTime) -> serde_json::Value {
    json!({
        "aud": audience,
        "iss": CERT_APP,
        "sub": CERT_APP,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": unix(now),
        "iat": unix(now),
        "exp": unix(now) + 600,
    })
}

pub async fn assertion_reply(harness: &Harness, assertion: &str, kind: &str) -> Reply {
    harness
        .token_request(&[
            ("client_id", CERT_APP),
            ("scope", GRAPH_SCOPE),
            ("client_assertion_type", kind),
            ("client_assertion", assertion),
            ("grant_type", "client_credentials"),
        ])
        .await
}

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test]
async fn certificate_assertions_ps256_and_rs256_are_verified() {
    let clock = Clock::manual(epoch());
    let harness = start_at(tenant(), config(), clock.clone());
    let certificate = certificate();
    let official = format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token");
    let twin_url = harness.server.token_url();
    // The current documentation: PS256 with x5t#S256, audience login.microsoftonline.com.
    let ps256 = assertion(
        certificate,
        Algorithm::PS256,
        "x5t#S256",
        claims(&official, epoch()),
    );
    let reply = assertion_reply(&harness, &ps256, JWT_BEARER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(harness.get("/domains", &token).await.status, 200);
    // The older documentation: RS256 with x5t, audience the URL the client posts to.
    let rs256 = assertion(
        certificate,
        Algorithm::RS256,
        "x5t",
        claims(&twin_url, epoch()),
    );
    assert_eq!(
        assertion_reply(&harness, &rs256, JWT_BEARER).await.status,
        200
    );

    // Refusals.
    let other = TestCertificate::generate("not-registered").unwrap();
    let unknown_key = assertion(
        &other,
        Algorithm::PS256,
        "x5t#S256",
        claims(&official, epoch()),
    );
    assert_aadsts(
        &assertion_reply(&harness, &unknown_key, JWT_BEARER).await,
        401,
        "invalid_client",
        700_027,
    );
    // Signed by another key but claiming the registered thumbprint.
    let mut forged_header = Header::new(Algorithm::PS256);
    forged_header.x5t_s256 = Some(certificate.thumbprints.x5t_s256.clone());
    let forged = jsonwebtoken::encode(
        &forged_header,
        &claims(&official, epoch()),
        &EncodingKey::from_rsa_pem(other.private_key_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_aadsts(
        &assertion_reply(&harness, &forged, JWT_BEARER).await,
        401,
        "invalid_client",
        700_027,
    );
    let wrong_audience = assertion(
        certificate,
        Algorithm::PS256,
        "x5t#S256",
        claims(
            "https://login.microsoftonline.com/other/oauth2/v2.0/token",
            epoch(),
        ),
    );
    assert_aadsts(
        &assertion_reply(&harness, &wrong_audience, JWT_BEARER).await,
        401,
        "invalid_client",
        50013,
    );
    let mut wrong_issuer = claims(&official, epoch());
    wrong_issuer["iss"] = json!(APP);
    let wrong_issuer = assertion(certificate, Algorithm::PS256, "x5t#S256", wrong_issuer);
    assert_aadsts(
        &assertion_reply(&harness, &wrong_issuer, JWT_BEARER).await,
        400,
        "invalid_client",
        700_021,
    );
    assert_aadsts(
        &assertion_reply(&harness, &ps256, "urn:other").await,
        400,
        "invalid_client",
        50012,
    );
    assert_aadsts(
        &assertion_reply(&harness, "not-a-jwt", JWT_BEARER).await,
        400,
        "invalid_request",
        50027,
    );
    // Time moves on: the 10-minute assertion (plus 5 minutes of skew) has expired.
    clock.advance(Duration::from_secs(16 * 60));
    assert_aadsts(
        &assertion_reply(&harness, &ps256, JWT_BEARER).await,
        400,
        "invalid_client",
        700_024,
    );
}

#[tokio::test]
async fn graph_refuses_missing_malformed_foreign_and_expired_tokens() {
    let clock = Clock::manual(epoch());
    let harness = start_at(tenant(), config(), clock.clone());
    let empty = harness.get("/users", "").await;
    assert_graph_error(
        &empty,
        401,
        "InvalidAuthenticationToken",
        "Access token is empty.",
    );
    assert!(
        empty
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let garbage = harness.get("/users", "garbage").await;
    assert_graph_error(
        &garbage,
        401,
        "InvalidAuthenticationToken",
        "CompactToken parsing failed with error code: 80049217",
    );
    // A token from another twin (same tenant, signed with the same process key, another `rh`).
    let other = start();
    let foreign = other.token(APP).await;
    assert_graph_error(
        &harness.get("/users", &foreign).await,
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure.",
    );
    let token = harness.token(APP).await;
    assert_eq!(harness.get("/users/$count", &token).await.status, 400);
    clock.advance(Duration::from_secs(3599));
    assert_graph_error(
        &harness.get("/users", &token).await,
        401,
        "InvalidAuthenticationToken",
        "Lifetime validation failed, the token is expired.",
    );
}

#[tokio::test]
async fn missing_permissions_are_403_authorization_request_denied() {
    let harness = start();
    let reader = harness.token(READER).await;
    assert_eq!(harness.get("/users", &reader).await.status, 200);
    let denied = "Insufficient privileges to complete the operation.";
    assert_graph_error(
        &harness
            .patch(
                &format!("/users/{ALICE}"),
                &reader,
                json!({"jobTitle": "x"}),
            )
            .await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
    assert_graph_error(
        &harness.get("/domains", &reader).await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
    assert_graph_error(
        &harness
            .get(
                "/roleManagement/directory/roleAssignments?$filter=principalId eq 'x'",
                &reader,
            )
            .await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
    assert_graph_error(
        &harness
            .get("/directory/onPremisesSynchronization", &reader)
            .await,
        403,
        "Authorization_RequestDenied",
        denied,
    );
}

#[tokio::test]
async fn error_bodies_carry_the_request_and_client_request_ids() {
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness
        .call(
            reqwest::Method::GET,
            "/users/00000000-dead-4000-8000-000000000000",
            &token,
            None,
            &[("client-request-id", "my-correlation-id")],
        )
        .await;
    assert_graph_error(
        &reply,
        404,
        "Request_ResourceNotFound",
        "Resource '00000000-dead-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
    assert_eq!(
        reply.json()["error"]["innerError"]["client-request-id"],
        "my-correlation-id"
    );
    assert_eq!(reply.header("client-request-id"), Some("my-correlation-id"));
}
