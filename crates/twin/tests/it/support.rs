//! The test tenant, its app registrations, and a small HTTP harness around a `TwinServer`.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchorsync_twin::{
    AppClient, Clock, TenantSnapshot, TestCertificate, TlsIdentity, TwinConfig, TwinServer,
};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Standard permissions, no directory role.
pub const APP: &str = "a0000000-0000-4000-8000-000000000001";
/// Only `User.Read.All`.
pub const READER: &str = "a0000000-0000-4000-8000-000000000002";
/// Standard permissions; service principal is a User Administrator.
pub const USER_ADMIN_APP: &str = "a0000000-0000-4000-8000-000000000003";
/// Standard permissions; service principal is a Privileged Authentication Administrator.
pub const PRIVILEGED_APP: &str = "a0000000-0000-4000-8000-000000000004";
/// Authenticates with the test certificate.
pub const CERT_APP: &str = "a0000000-0000-4000-8000-000000000005";

pub const ALICE: &str = "11111111-0000-4000-8000-000000000001";
pub const BOB: &str = "11111111-0000-4000-8000-000000000002";
pub const CAROL: &str = "11111111-0000-4000-8000-000000000003";
pub const DAVE: &str = "11111111-0000-4000-8000-000000000004";
pub const HELEN: &str = "11111111-0000-4000-8000-000000000005";
pub const OBRIEN: &str = "11111111-0000-4000-8000-000000000006";

pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// Users named `user000@contoso.com` ... for paging.
pub const FILLER_USERS: usize = 250;
/// Every user of [`tenant`].
pub const USER_COUNT: usize = FILLER_USERS + 6;

pub fn secret(client_id: &str) -> String {
    format!("secret-of-{client_id}")
}

/// A user in the shape `anchorsync snapshot cloud` writes.
fn user(id: &str, upn: &str, extra: Value) -> Value {
    let mut user = json!({
        "id": id,
        "userPrincipalName": upn,
        "displayName": upn.split('@').next().unwrap(),
        "givenName": null,
        "surname": null,
        "mail": null,
        "mailNickname": upn.split('@').next().unwrap().replace('\'', ""),
        "proxyAddresses": [],
        "otherMails": [],
        "accountEnabled": true,
        "userType": "Member",
        "createdDateTime": "2024-01-10T08:09:10Z",
        "onPremisesImmutableId": null,
        "onPremisesSyncEnabled": null,
        "onPremisesSecurityIdentifier": null,
        "onPremisesDistinguishedName": null,
        "onPremisesSamAccountName": null,
        "onPremisesUserPrincipalName": null,
        "onPremisesDomainName": null,
        "onPremisesLastSyncDateTime": null,
        "jobTitle": null,
        "department": null,
        "employeeId": null,
        "mobilePhone": null,
        "businessPhones": [],
        "officeLocation": null,
        "usageLocation": "JP",
    });
    if let (Value::Object(user), Value::Object(extra)) = (&mut user, extra) {
        user.extend(extra);
    }
    user
}

/// The test tenant: a managed and a federated verified domain, an unverified one, cloud users, a
/// federated user, a synced user, two role holders, and filler users for paging.
pub fn tenant_json() -> Value {
    let mut users = vec![
        user(
            ALICE,
            "alice@contoso.com",
            json!({
                "givenName": "Alice",
                "mail": "alice@contoso.com",
                "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:alice@contoso.onmicrosoft.com"],
                "jobTitle": "Engineer",
                "department": "R&D",
                "city": "Tokyo",
            }),
        ),
        user(
            BOB,
            "bob@fabrikam.com",
            json!({
                "mail": "bob@fabrikam.com",
                "proxyAddresses": ["SMTP:bob@fabrikam.com"],
                "onPremisesImmutableId": "Ym9iLWhlbm5nZS1hbmNob3I=",
            }),
        ),
        user(
            CAROL,
            "carol@contoso.com",
            json!({
                "mail": "carol@contoso.com",
                "proxyAddresses": ["SMTP:carol@contoso.com"],
                "onPremisesImmutableId": "iGhmiAEBERG7uxI0VniQqw==",
                "onPremisesSyncEnabled": true,
                "onPremisesSecurityIdentifier": "S-1-5-21-2163380169-504978394-64678411-1102",
                "onPremisesSamAccountName": "carol",
                "onPremisesLastSyncDateTime": "2024-05-01T00:00:00Z",
            }),
        ),
        user(
            DAVE,
            "dave@contoso.com",
            json!({"mail": "dave@contoso.com", "proxyAddresses": ["SMTP:dave@contoso.com"]}),
        ),
        user(HELEN, "helen@contoso.com", json!({})),
        user(
            OBRIEN,
            "o'brien@contoso.com",
            json!({"onPremisesImmutableId": "+D9q4TtdW06deixqiw5/EQ=="}),
        ),
    ];
    for n in 0..FILLER_USERS {
        users.push(user(
            &format!("22222222-0000-4000-8000-{n:012}"),
            &format!("user{n:03}@contoso.com"),
            json!({"department": if n % 2 == 0 { "Sales" } else { "Support" }}),
        ));
    }
    json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "availabilityStatus": null,
             "isAdminManaged": true, "isDefault": false, "isInitial": true, "isRoot": true, "isVerified": true,
             "supportedServices": ["Email", "OfficeCommunicationsOnline"]},
            {"id": "contoso.com", "authenticationType": "Managed", "availabilityStatus": null,
             "isAdminManaged": true, "isDefault": true, "isInitial": false, "isRoot": true, "isVerified": true,
             "supportedServices": ["Email"]},
            {"id": "fabrikam.com", "authenticationType": "Federated", "availabilityStatus": null,
             "isAdminManaged": true, "isDefault": false, "isInitial": false, "isRoot": true, "isVerified": true,
             "supportedServices": ["Email"]},
            {"id": "unverified.example", "authenticationType": "Managed", "availabilityStatus": null,
             "isAdminManaged": true, "isDefault": false, "isInitial": false, "isRoot": true, "isVerified": false,
             "supportedServices": []},
        ],
        "roleAssignments": [
            {"id": "ra-dave-global", "principalId": DAVE, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"},
            {"id": "ra-helen-helpdesk", "principalId": HELEN, "roleDefinitionId": HELPDESK_ADMINISTRATOR, "directoryScopeId": "/"},
        ],
        "onPremisesSynchronization": {
            "id": TENANT,
            "configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}},
            "features": {"blockSoftMatchEnabled": false, "blockCloudObjectTakeoverThroughHardMatchEnabled": true, "softMatchOnUpnEnabled": true},
        },
    })
}

pub fn tenant() -> TenantSnapshot {
    serde_json::from_value(tenant_json()).unwrap()
}

/// One throwaway certificate per test binary.
pub fn certificate() -> &'static TestCertificate {
    static CERTIFICATE: OnceLock<TestCertificate> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        TestCertificate::generate("anchorsync-twin-test").unwrap_or_else(|error| {
            panic!("cannot make a test certificate: {error} (run scripts/install-test-deps.sh)")
        })
    })
}

pub fn config() -> TwinConfig {
    TwinConfig::new(TENANT)
        .with_client(AppClient::with_secret(APP, secret(APP)))
        .with_client(AppClient::with_secret(READER, secret(READER)).permissions(["User.Read.All"]))
        .with_client(
            AppClient::with_secret(USER_ADMIN_APP, secret(USER_ADMIN_APP))
                .directory_role("User Administrator"),
        )
        .with_client(
            AppClient::with_secret(PRIVILEGED_APP, secret(PRIVILEGED_APP))
                .directory_role("Privileged Authentication Administrator"),
        )
        .with_client(AppClient::with_certificate(
            CERT_APP,
            certificate().certificate_pem.clone(),
        ))
}

/// 2025-01-01T00:00:00Z: where manual clocks start.
pub fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_735_689_600)
}

/// A server plus an HTTP client. The harness serves HTTPS (a throwaway CA, which the client trusts
/// and nothing else), so every rule below is proven over TLS, the way clients reach Entra and
/// Graph; [`start_plain`] serves plain HTTP.
pub struct Harness {
    pub server: TwinServer,
    pub http: reqwest::Client,
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `error.code` and `error.message`.
    pub fn error(&self) -> (String, String) {
        let json = self.json();
        (
            json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

pub fn start() -> Harness {
    start_with(tenant(), config())
}

pub fn start_with(snapshot: TenantSnapshot, config: TwinConfig) -> Harness {
    start_at(snapshot, config, Clock::system())
}

pub fn start_at(snapshot: TenantSnapshot, config: TwinConfig, clock: Clock) -> Harness {
    let twin = anchorsync_twin::Twin::with_clock(snapshot, config, clock).unwrap();
    // The certificate is valid in real time, whatever the twin's clock says.
    let identity = TlsIdentity::throwaway(Clock::system().now()).unwrap();
    let server = TwinServer::start_twin_tls(twin, identity).unwrap();
    let http = trusting(server.ca_pem().unwrap());
    Harness { server, http }
}

/// The test tenant over plain HTTP.
pub fn start_plain() -> Harness {
    Harness {
        server: TwinServer::start(tenant(), config()).unwrap(),
        http: reqwest::Client::new(),
    }
}

/// An HTTP client that trusts `ca_pem` and nothing else.
pub fn trusting(ca_pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

impl Harness {
    /// A token for `client_id` by client secret.
    pub async fn token(&self, client_id: &str) -> String {
        let reply = self
            .token_request(&[
                ("client_id", client_id),
                ("scope", GRAPH_SCOPE),
                ("client_secret", &secret(client_id)),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Reply {
        self.token_request_to(&self.server.token_url(), form).await
    }

    pub async fn token_request_to(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        let response = self.http.post(url).form(form).send().await.unwrap();
        reply(response).await
    }

    /// `method` on `path` below `/v1.0`, with a bearer token and extra headers.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.server.base_url())
        };
        let mut request = self.http.request(method, url);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(reqwest::Method::GET, path, token, None, &[])
            .await
    }

    /// GET with `ConsistencyLevel: eventual`.
    pub async fn get_eventual(&self, path: &str, token: &str) -> Reply {
        self.call(
            reqwest::Method::GET,
            path,
            token,
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(reqwest::Method::PATCH, path, token, Some(body), &[])
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(reqwest::Method::POST, path, token, Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(reqwest::Method::DELETE, path, token, None, &[])
            .await
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

/// Asserts a Graph error: status, code, message, and the `innerError` ids.
pub fn assert_graph_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let (actual_code, actual_message) = reply.error();
    assert_eq!(actual_code, code, "{}", reply.text);
    assert_eq!(actual_message, message, "{}", reply.text);
    let inner = &reply.json()["error"]["innerError"];
    assert!(inner["date"].is_string(), "{}", reply.text);
    assert_eq!(
        inner["request-id"].as_str(),
        reply.header("request-id"),
        "{}",
        reply.text
    );
    assert!(inner["client-request-id"].is_string(), "{}", reply.text);
}

/// A minimal valid body for `POST /users`.
pub fn new_user(upn: &str) -> Value {
    json!({
        "accountEnabled": true,
        "displayName": "New User",
        "mailNickname": upn.split('@').next().unwrap(),
        "userPrincipalName": upn,
        "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d"},
    })
}
