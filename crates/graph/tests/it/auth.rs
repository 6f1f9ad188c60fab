//! Tokens: client secret, certificate assertions from PEM and PFX (PS256 and RS256), caching,
//! refresh after a 401, AADSTS errors, 403 for a missing permission (issue 4).

use std::time::Duration;

use anchorsync_core::secret::Secret;
use anchorsync_graph::{
    AssertionAlgorithm, ClientCertificate, Credential, GraphClient, GraphError, UserKey, UserPatch,
};
use anchorsync_twin::{Clock, TestCertificate, TwinServer};

use crate::support::*;

fn certificate_client(server: &TwinServer, certificate: ClientCertificate) -> GraphClient {
    GraphClient::new(settings_with(
        server,
        CERT_APP,
        Credential::Certificate(Box::new(certificate)),
    ))
    .unwrap()
}

fn pem_with_key(certificate: &TestCertificate) -> String {
    format!(
        "{}{}",
        certificate.certificate_pem, certificate.private_key_pem
    )
}

#[tokio::test]
async fn client_secret_gets_a_token_and_reads_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let domains = client.list_domains().await.unwrap();
    assert_eq!(domains.len(), 4);
    assert_eq!(client.stats().token_requests, 1);
}

#[tokio::test]
async fn certificate_from_pem_signs_ps256_issue_4() {
    let server = start();
    let pem = pem_with_key(certificate());
    let certificate =
        ClientCertificate::from_pem(pem.as_bytes(), AssertionAlgorithm::Ps256).unwrap();
    assert_eq!(
        certificate.thumbprints().x5t_s256,
        crate::support::certificate().thumbprints.x5t_s256
    );
    let client = certificate_client(&server, certificate);
    assert_eq!(client.list_domains().await.unwrap().len(), 4);
}

#[tokio::test]
async fn certificate_from_pem_signs_rs256_with_x5t_issue_4() {
    let server = start();
    let pem = pem_with_key(certificate());
    // Key first, certificate second: the order in the file does not matter.
    let reversed = format!(
        "{}{}",
        certificate().private_key_pem,
        certificate().certificate_pem
    );
    assert!(ClientCertificate::from_pem(reversed.as_bytes(), AssertionAlgorithm::Rs256).is_ok());
    let certificate =
        ClientCertificate::from_pem(pem.as_bytes(), AssertionAlgorithm::Rs256).unwrap();
    let client = certificate_client(&server, certificate);
    assert_eq!(client.list_domains().await.unwrap().len(), 4);
}

#[tokio::test]
async fn certificate_from_pfx_with_password_issue_4() {
    let server = start();
    let password = Secret::new(certificate().pfx_password.clone());
    let certificate = ClientCertificate::from_bytes(
        &certificate().pfx,
        Some(&password),
        AssertionAlgorithm::Ps256,
    )
    .unwrap();
    let client = certificate_client(&server, certificate);
    assert_eq!(client.list_domains().await.unwrap().len(), 4);

    let wrong = ClientCertificate::from_pfx(
        &crate::support::certificate().pfx,
        &Secret::new("not-the-password"),
        AssertionAlgorithm::Ps256,
    )
    .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "the PFX file cannot be opened (wrong password, or not PKCS#12)"
    );
}

#[tokio::test]
async fn a_key_without_its_certificate_is_refused_before_sending_issue_4() {
    let other = TestCertificate::generate("someone-else").unwrap();
    let mixed = format!("{}{}", certificate().certificate_pem, other.private_key_pem);
    let error =
        ClientCertificate::from_pem(mixed.as_bytes(), AssertionAlgorithm::Ps256).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no certificate in the file belongs to its private key"
    );
    let no_key = ClientCertificate::from_pem(
        certificate().certificate_pem.as_bytes(),
        AssertionAlgorithm::Ps256,
    )
    .unwrap_err();
    assert_eq!(
        no_key.to_string(),
        "the PEM text holds no unencrypted `PRIVATE KEY` or `RSA PRIVATE KEY` block"
    );
}

#[tokio::test]
async fn an_unregistered_certificate_gets_its_aadsts_code_issue_4() {
    let server = start();
    let other = TestCertificate::generate("not-registered").unwrap();
    let pem = pem_with_key(&other);
    let certificate =
        ClientCertificate::from_pem(pem.as_bytes(), AssertionAlgorithm::Ps256).unwrap();
    let client = certificate_client(&server, certificate);
    let error = client.list_domains().await.unwrap_err();
    let GraphError::Token(token) = &error else {
        panic!("expected a token error, got {error:?}")
    };
    assert_eq!(token.aadsts, Some(700_027), "{error}");
    assert!(
        error.hint().unwrap().contains("upload the certificate"),
        "{error}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_named_with_aadsts_and_never_shown_issue_4() {
    let server = start();
    let client = GraphClient::new(settings_with(
        &server,
        APP,
        Credential::Secret(Secret::new("wrong-secret-value")),
    ))
    .unwrap();
    let error = client.list_domains().await.unwrap_err();
    let GraphError::Token(token) = &error else {
        panic!("expected a token error, got {error:?}")
    };
    assert_eq!(token.aadsts, Some(7_000_215));
    assert_eq!(token.error, "invalid_client");
    let text = format!("{error} {error:?} {:?}", client.settings());
    assert!(text.contains(&format!("refused client `{APP}`")), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert!(error.hint().unwrap().contains("client_secret_env"));
}

#[tokio::test]
async fn an_unknown_tenant_and_app_are_told_apart_issue_4() {
    let server = start();
    let unknown_app = GraphClient::new(settings_with(
        &server,
        "c0000000-0000-4000-8000-00000000000f",
        Credential::Secret(Secret::new("x")),
    ))
    .unwrap();
    let GraphError::Token(token) = unknown_app.list_domains().await.unwrap_err() else {
        panic!("expected a token error")
    };
    assert_eq!(token.aadsts, Some(700_016));

    let mut settings = settings(&server, APP);
    settings.token_url = server.token_url_for("nowhere.example");
    let unknown_tenant = GraphClient::new(settings).unwrap();
    let GraphError::Token(token) = unknown_tenant.list_domains().await.unwrap_err() else {
        panic!("expected a token error")
    };
    assert_eq!(token.aadsts, Some(90_002));
}

#[tokio::test]
async fn one_token_serves_many_concurrent_requests_issue_4() {
    let server = start();
    let client = client(&server, APP);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let client = client.clone();
        tasks.spawn(async move {
            client
                .get_user(&UserKey::Id(filler_id(n)))
                .await
                .map(|user| user.id)
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(client.stats().token_requests, 1);
    assert_eq!(client.stats().requests, 16);
}

#[tokio::test]
async fn an_expired_token_is_replaced_once_after_401_issue_4() {
    // The twin's clock moves two hours: its tokens (3599 s) have expired, while the client, whose
    // own clock did not move, still holds one.
    let clock = Clock::manual(std::time::UNIX_EPOCH + Duration::from_secs(1_735_689_600));
    let server = TwinServer::start_with_clock(tenant(), config(), clock.clone()).unwrap();
    let client = client(&server, APP);
    client.list_domains().await.unwrap();
    clock.advance(Duration::from_secs(7200));
    client.list_domains().await.unwrap();
    assert_eq!(client.stats().token_requests, 2);
}

#[tokio::test]
async fn a_missing_permission_is_403_with_a_hint_issue_4() {
    let server = start();
    let reader = client(&server, READER);
    // Reading users is allowed with User.Read.All ...
    reader.get_user(&UserKey::Id(ALICE.into())).await.unwrap();
    // ... writing is not, and domains need Domain.Read.All.
    let error = reader
        .update_user(
            &UserKey::Id(ALICE.into()),
            &UserPatch::new().set("department", "Ops"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.code(), Some("Authorization_RequestDenied"));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "`PATCH /users/{ALICE}` answered 403 `Authorization_RequestDenied`: Insufficient privileges to complete the operation (request-id `"
        )),
        "{text}"
    );
    assert!(error.hint().unwrap().contains("User.ReadWrite.All"));
    let error = reader.list_domains().await.unwrap_err();
    assert_eq!(error.status(), Some(403));
}
