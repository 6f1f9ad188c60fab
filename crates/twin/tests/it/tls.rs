//! Issue 13: the twin over HTTPS, the discovery documents Microsoft's libraries read first, and the
//! client assertions they write (padded thumbprints, the https token URL as `aud`).

use anchorsync_twin::{Clock, TlsIdentity, TwinServer};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

use crate::support::*;
use crate::token::{JWT_BEARER, assert_aadsts, assertion_reply, claims};

#[tokio::test]
async fn https_with_a_throwaway_ca_is_trusted_through_that_ca_only() {
    let harness = start();
    let root = harness.server.root_url();
    assert!(root.starts_with("https://127.0.0.1:"), "{root}");
    let ca = harness.server.ca_pem().unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE"));

    // A client with only the system's roots refuses the certificate: verification stays on.
    let untrusting = reqwest::Client::new();
    let error = untrusting
        .get(format!("{root}/_twin/health"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    // Plain HTTP on the HTTPS port gets no answer.
    let plain = format!("http://{}/_twin/health", harness.server.addr());
    assert!(untrusting.get(plain).send().await.is_err());

    // `localhost` is in the certificate too.
    let localhost = format!(
        "https://localhost:{}/_twin/health",
        harness.server.addr().port()
    );
    assert_eq!(
        harness.http.get(localhost).send().await.unwrap().status(),
        200
    );

    // Every URL handed out says https.
    let token = harness.token(APP).await;
    let page = harness.get("/users?$top=2", &token).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let json = page.json();
    let context = json["@odata.context"].as_str().unwrap();
    assert_eq!(context, format!("{root}/v1.0/$metadata#users"));
    let next = json["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{root}/v1.0/users?")), "{next}");
    assert_eq!(harness.get(next, &token).await.status, 200);
}

#[tokio::test]
async fn plain_http_still_serves_every_probe_with_http_urls() {
    let harness = start_plain();
    assert!(harness.server.root_url().starts_with("http://"));
    assert!(harness.server.ca_pem().is_none());
    let token = harness.token(APP).await;
    let page = harness.get("/users?$top=2", &token).await;
    let next = page.json()["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(next.starts_with("http://127.0.0.1:"), "{next}");
    let discovery = harness
        .http
        .get(format!(
            "{}/{TENANT}/v2.0/.well-known/openid-configuration",
            harness.server.root_url()
        ))
        .send()
        .await
        .unwrap();
    let document: Value = discovery.json().await.unwrap();
    assert_eq!(
        document["token_endpoint"],
        harness.server.token_url().as_str()
    );
}

#[tokio::test]
async fn certificate_and_key_files_serve_https() {
    let dir = tempfile::tempdir().unwrap();
    // A CA of the test's own and a certificate it signed, as an administrator would bring them.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let cert_file = dir.path().join("twin.pem");
    let key_file = dir.path().join("twin.key");
    std::fs::write(&cert_file, server.pem()).unwrap();
    std::fs::write(&key_file, server_key.serialize_pem()).unwrap();

    let identity = TlsIdentity::from_pem_files(&cert_file, &key_file).unwrap();
    assert!(identity.ca_pem().is_none(), "the CA is the administrator's");
    let server = TwinServer::start_tls(tenant(), config(), identity).unwrap();
    let http = trusting(&ca.pem());
    let health = http
        .get(format!("{}/_twin/health", server.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // A key that is not the certificate's, and a missing file, are refused up front.
    let other_key = dir.path().join("other.key");
    std::fs::write(
        &other_key,
        rcgen::KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let error = TlsIdentity::from_pem_files(&cert_file, &other_key).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the certificate and key cannot be used for TLS"
    );
    let missing = dir.path().join("missing.pem");
    let error = TlsIdentity::from_pem_files(&missing, &key_file).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot read `{}`", missing.display())
    );
}

async fn get_json(harness: &Harness, path: &str) -> (u16, Value) {
    let response = harness
        .http
        .get(format!("{}{path}", harness.server.root_url()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json; charset=utf-8");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn openid_discovery_names_the_twin_for_the_tenant_common_and_organizations() {
    let harness = start();
    let root = harness.server.root_url();
    // By id and by domain name: the endpoints name the tenant id, as Entra's do.
    for tenant in [TENANT, "contoso.com"] {
        let (status, document) = get_json(
            &harness,
            &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
        )
        .await;
        assert_eq!(status, 200, "{document}");
        assert_eq!(
            document["token_endpoint"],
            format!("{root}/{TENANT}/oauth2/v2.0/token")
        );
        assert_eq!(
            document["token_endpoint"],
            harness.server.token_url().as_str()
        );
        assert_eq!(
            document["authorization_endpoint"],
            format!("{root}/{TENANT}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            document["jwks_uri"],
            format!("{root}/{TENANT}/discovery/v2.0/keys")
        );
        assert_eq!(document["issuer"], format!("{root}/{TENANT}/v2.0"));
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic"
            ])
        );
        assert_eq!(
            document["id_token_signing_alg_values_supported"][0],
            "RS256"
        );
    }
    for shared in ["common", "organizations"] {
        let (status, document) = get_json(
            &harness,
            &format!("/{shared}/v2.0/.well-known/openid-configuration"),
        )
        .await;
        assert_eq!(status, 200, "{document}");
        assert_eq!(
            document["token_endpoint"],
            format!("{root}/{shared}/oauth2/v2.0/token")
        );
        assert_eq!(document["issuer"], format!("{root}/{{tenantid}}/v2.0"));
        assert_eq!(document["tenant_region_scope"], Value::Null);
    }
    let (status, error) = get_json(
        &harness,
        "/other.example/v2.0/.well-known/openid-configuration",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "invalid_tenant");
    assert_eq!(error["error_codes"][0], 90002);
}

#[tokio::test]
async fn jwks_publishes_the_key_access_tokens_are_signed_with() {
    let harness = start();
    let (status, keys) = get_json(&harness, &format!("/{TENANT}/discovery/v2.0/keys")).await;
    assert_eq!(status, 200);
    let key = &keys["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["e"], "AQAB");
    assert_eq!(key["kid"], key["x5t"]);
    assert_eq!(
        key["issuer"],
        format!("{}/{TENANT}/v2.0", harness.server.root_url())
    );
    // x5c is the key's certificate, and x5t its SHA-1 thumbprint.
    let der = STANDARD.decode(key["x5c"][0].as_str().unwrap()).unwrap();
    assert_eq!(
        anchorsync_core::thumbprint::encode_thumbprint(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref()
        ),
        key["x5t"].as_str().unwrap()
    );

    let token = harness.token(APP).await;
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["https://graph.microsoft.com"]);
    let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["appid"], APP);
}

#[tokio::test]
async fn instance_discovery_vouches_for_the_twin_only() {
    let harness = start();
    let root = harness.server.root_url();
    let authorize = format!("{root}/{TENANT}/oauth2/v2.0/authorize");
    let path = format!(
        "/common/discovery/instance?api-version=1.1&authorization_endpoint={}",
        percent(&authorize)
    );
    let (status, answer) = get_json(&harness, &path).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["tenant_discovery_endpoint"],
        format!("{root}/{TENANT}/v2.0/.well-known/openid-configuration")
    );
    let host = root.strip_prefix("https://").unwrap();
    assert_eq!(answer["metadata"][0]["aliases"][0], host);

    let elsewhere = format!(
        "/common/discovery/instance?api-version=1.1&authorization_endpoint={}",
        percent("https://login.example.com/contoso.com/oauth2/v2.0/authorize")
    );
    let (status, answer) = get_json(&harness, &elsewhere).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "invalid_instance");
    assert_eq!(answer["error_codes"][0], 50049);
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// An assertion signed by `key_pem`, naming its certificate by `thumbprints` in the header.
fn assertion_with(
    key_pem: &str,
    algorithm: Algorithm,
    x5t: Option<String>,
    x5t_s256: Option<String>,
    audience: &str,
) -> String {
    let mut header = Header::new(algorithm);
    header.x5t = x5t;
    header.x5t_s256 = x5t_s256;
    jsonwebtoken::encode(
        &header,
        &claims(audience, Clock::system().now()),
        &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// The digest behind an unpadded base64url thumbprint, re-encoded.
fn reencode(thumbprint: &str, engine: &impl base64::Engine) -> String {
    engine.encode(URL_SAFE_NO_PAD.decode(thumbprint).unwrap())
}

#[tokio::test]
async fn assertions_name_their_certificate_in_every_base64_form_and_sign_for_the_https_url() {
    let harness = start();
    let certificate = certificate();
    let key = &certificate.private_key_pem;
    let x5t = &certificate.thumbprints.x5t;
    let x5t_s256 = &certificate.thumbprints.x5t_s256;
    let https_url = harness.server.token_url();
    assert!(https_url.starts_with("https://"));

    let accepted = [
        // MSAL: base64url with `=` padding, SHA-1 with RS256 and SHA-256 with PS256.
        (Algorithm::RS256, Some(reencode(x5t, &URL_SAFE)), None),
        (Algorithm::PS256, None, Some(reencode(x5t_s256, &URL_SAFE))),
        // Standard Base64.
        (Algorithm::RS256, Some(reencode(x5t, &STANDARD)), None),
        (Algorithm::PS256, None, Some(reencode(x5t_s256, &STANDARD))),
        // Unpadded base64url (jsonwebtoken, anchorsync).
        (Algorithm::PS256, None, Some(x5t_s256.clone())),
    ];
    for (algorithm, sha1, sha256) in accepted {
        let signed = assertion_with(key, algorithm, sha1.clone(), sha256.clone(), &https_url);
        let reply = assertion_reply(&harness, &signed, JWT_BEARER).await;
        assert_eq!(reply.status, 200, "{sha1:?} {sha256:?}: {}", reply.text);
    }

    // azure-identity's own assertions: every part base64url with `=` padding, signed as sent.
    let padded_header = URL_SAFE.encode(
        serde_json::json!({"typ": "JWT", "alg": "PS256", "x5t#S256": reencode(x5t_s256, &URL_SAFE)})
            .to_string(),
    );
    let padded_claims = URL_SAFE.encode(claims(&https_url, Clock::system().now()).to_string());
    let signed = format!("{padded_header}.{padded_claims}");
    let signature = jsonwebtoken::crypto::sign(
        signed.as_bytes(),
        &EncodingKey::from_rsa_pem(key.as_bytes()).unwrap(),
        Algorithm::PS256,
    )
    .unwrap();
    let padded_signature = reencode(&signature, &URL_SAFE);
    assert!(
        [&padded_header, &padded_claims, &padded_signature]
            .iter()
            .any(|part| part.ends_with('=')),
        "the test must exercise padding"
    );
    let padded = format!("{signed}.{padded_signature}");
    let reply = assertion_reply(&harness, &padded, JWT_BEARER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // The same parts with the claims changed after signing: the signature no longer holds.
    let tampered = format!(
        "{padded_header}.{}.{padded_signature}",
        URL_SAFE.encode(claims(&https_url, Clock::system().now()).to_string())
    );
    assert_aadsts(
        &assertion_reply(&harness, &tampered, JWT_BEARER).await,
        401,
        "invalid_client",
        700_027,
    );

    // Signed by another key, naming the registered certificate in MSAL's form: refused as before.
    let other = anchorsync_twin::TestCertificate::generate("not-registered").unwrap();
    let forged = assertion_with(
        &other.private_key_pem,
        Algorithm::PS256,
        None,
        Some(reencode(x5t_s256, &URL_SAFE)),
        &https_url,
    );
    assert_aadsts(
        &assertion_reply(&harness, &forged, JWT_BEARER).await,
        401,
        "invalid_client",
        700_027,
    );
    // The other key's own certificate is not registered.
    let unknown = assertion_with(
        &other.private_key_pem,
        Algorithm::PS256,
        None,
        Some(reencode(&other.thumbprints.x5t_s256, &URL_SAFE)),
        &https_url,
    );
    assert_aadsts(
        &assertion_reply(&harness, &unknown, JWT_BEARER).await,
        401,
        "invalid_client",
        700_027,
    );
    // Behind TLS, the plain-http spelling of the token URL is not the URL the client used.
    let http_url = https_url.replacen("https://", "http://", 1);
    let wrong_scheme = assertion_with(
        key,
        Algorithm::PS256,
        None,
        Some(x5t_s256.clone()),
        &http_url,
    );
    assert_aadsts(
        &assertion_reply(&harness, &wrong_scheme, JWT_BEARER).await,
        401,
        "invalid_client",
        50013,
    );
}
