//! The test tenant, its app registrations, and clients pointed at a `TwinServer` on a free port.

use std::sync::OnceLock;
use std::time::Duration;

use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_graph::{ClientSettings, Credential, GraphClient, RetryPolicy};
use anchorsync_twin::{AppClient, Faults, TestCertificate, Throttling, TwinConfig, TwinServer};
use serde_json::{Value, json};

pub const TENANT: &str = "3f2b1c9e-5d4a-4e8b-9c7d-1a2b3c4d5e6f";

/// Standard permissions, no directory role.
pub const APP: &str = "b0000000-0000-4000-8000-000000000001";
/// Only `User.Read.All`.
pub const READER: &str = "b0000000-0000-4000-8000-000000000002";
/// Standard permissions; service principal is a Privileged Authentication Administrator.
pub const PRIVILEGED_APP: &str = "b0000000-0000-4000-8000-000000000003";
/// Users, domains and roles, but no `OnPremDirectorySynchronization.*` permission.
pub const NO_SYNC_APP: &str = "b0000000-0000-4000-8000-000000000004";
/// Authenticates with the test certificate only.
pub const CERT_APP: &str = "b0000000-0000-4000-8000-000000000005";
/// Reads users with `User.ReadBasic.All` only: enough for `/users`, not for deleted items.
pub const BASIC_APP: &str = "b0000000-0000-4000-8000-000000000006";

pub const ALICE: &str = "10000000-0000-4000-8000-000000000001";
pub const BOB: &str = "10000000-0000-4000-8000-000000000002";
pub const CAROL: &str = "10000000-0000-4000-8000-000000000003";
pub const DAVE: &str = "10000000-0000-4000-8000-000000000004";
pub const HELEN: &str = "10000000-0000-4000-8000-000000000005";
pub const OBRIEN: &str = "10000000-0000-4000-8000-000000000006";

/// Bob's ImmutableID (he is in the federated domain).
pub const BOB_ANCHOR: &str = "Ym9iLWhlbm5nZS1hbmNob3I=";
/// O'Brien's ImmutableID: `+` and `/` in it.
pub const OBRIEN_ANCHOR: &str = "+D9q4TtdW06deixqiw5/EQ==";

pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// Users named `user000@contoso.com`, ... for paging and bulk writes.
pub const FILLER_USERS: usize = 120;
pub const USER_COUNT: usize = FILLER_USERS + 6;

pub fn secret(client_id: &str) -> String {
    format!("graph-test-secret-of-{client_id}")
}

pub fn filler_id(n: usize) -> String {
    format!("20000000-0000-4000-8000-{n:012}")
}

fn user(id: &str, upn: &str, extra: Value) -> Value {
    let alias = upn.split('@').next().unwrap_or_default();
    let mut user = json!({
        "id": id,
        "userPrincipalName": upn,
        "displayName": alias,
        "mailNickname": alias.replace('\'', ""),
        "accountEnabled": true,
        "userType": "Member",
        "usageLocation": "JP",
    });
    if let (Value::Object(user), Value::Object(extra)) = (&mut user, extra) {
        user.extend(extra);
    }
    user
}

/// A managed and a federated verified domain, the initial domain, an unverified one; a cloud user,
/// a federated user, a synced user, two role holders, a user with a quote in its UPN and `+`/`/` in
/// its ImmutableID, and filler users.
pub fn tenant_json() -> Value {
    let mut users = vec![
        user(
            ALICE,
            "alice@contoso.com",
            json!({"mail": "alice@contoso.com",
                   "proxyAddresses": ["SMTP:alice@contoso.com", "smtp:alice@contoso.onmicrosoft.com"],
                   "department": "R&D"}),
        ),
        user(
            BOB,
            "bob@fabrikam.com",
            json!({"mail": "bob@fabrikam.com", "proxyAddresses": ["SMTP:bob@fabrikam.com"],
                   "onPremisesImmutableId": BOB_ANCHOR}),
        ),
        user(
            CAROL,
            "carol@contoso.com",
            json!({"mail": "carol@contoso.com", "proxyAddresses": ["SMTP:carol@contoso.com"],
                   "onPremisesImmutableId": "iGhmiAEBERG7uxI0VniQqw==",
                   "onPremisesSyncEnabled": true,
                   "onPremisesSecurityIdentifier": "S-1-5-21-2163380169-504978394-64678411-1102",
                   "onPremisesSamAccountName": "carol"}),
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
            json!({"onPremisesImmutableId": OBRIEN_ANCHOR}),
        ),
    ];
    for n in 0..FILLER_USERS {
        users.push(user(
            &filler_id(n),
            &format!("user{n:03}@contoso.com"),
            json!({"department": if n % 2 == 0 { "Sales" } else { "Support" }}),
        ));
    }
    json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isAdminManaged": true,
             "isDefault": false, "isInitial": true, "isRoot": true, "isVerified": true,
             "supportedServices": ["Email", "OfficeCommunicationsOnline"]},
            {"id": "contoso.com", "authenticationType": "Managed", "isAdminManaged": true,
             "isDefault": true, "isInitial": false, "isRoot": true, "isVerified": true, "supportedServices": ["Email"]},
            {"id": "fabrikam.com", "authenticationType": "Federated", "isAdminManaged": true,
             "isDefault": false, "isInitial": false, "isRoot": true, "isVerified": true, "supportedServices": ["Email"]},
            {"id": "unverified.example", "authenticationType": "Managed", "isAdminManaged": true,
             "isDefault": false, "isInitial": false, "isRoot": true, "isVerified": false, "supportedServices": []},
        ],
        "roleAssignments": [
            {"id": "ra-dave-global", "principalId": DAVE, "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"},
            {"id": "ra-helen-helpdesk", "principalId": HELEN, "roleDefinitionId": HELPDESK_ADMINISTRATOR, "directoryScopeId": "/"},
        ],
        "onPremisesSynchronization": {
            "id": TENANT,
            "configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}},
            "features": {"blockSoftMatchEnabled": false, "blockCloudObjectTakeoverThroughHardMatchEnabled": true,
                         "softMatchOnUpnEnabled": true},
        },
    })
}

pub fn tenant() -> TenantSnapshot {
    serde_json::from_value(tenant_json()).unwrap()
}

/// One throwaway certificate per test binary (made with `openssl`).
pub fn certificate() -> &'static TestCertificate {
    static CERTIFICATE: OnceLock<TestCertificate> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        TestCertificate::generate("anchorsync-graph-test").unwrap_or_else(|error| {
            panic!("cannot make a test certificate: {error} (run scripts/install-test-deps.sh)")
        })
    })
}

/// The twin's configuration: throttling off unless a test turns it on, no faults.
pub fn config() -> TwinConfig {
    let mut config = TwinConfig::new(TENANT)
        .with_client(AppClient::with_secret(APP, secret(APP)))
        .with_client(AppClient::with_secret(READER, secret(READER)).permissions(["User.Read.All"]))
        .with_client(
            AppClient::with_secret(PRIVILEGED_APP, secret(PRIVILEGED_APP))
                .directory_role("Privileged Authentication Administrator"),
        )
        .with_client(
            AppClient::with_secret(NO_SYNC_APP, secret(NO_SYNC_APP)).permissions([
                "User.ReadWrite.All",
                "Domain.Read.All",
                "RoleManagement.Read.Directory",
            ]),
        )
        .with_client(AppClient::with_certificate(
            CERT_APP,
            certificate().certificate_pem.clone(),
        ))
        .with_client(
            AppClient::with_secret(BASIC_APP, secret(BASIC_APP)).permissions([
                "User.ReadBasic.All",
                "Domain.Read.All",
                "RoleManagement.Read.Directory",
                "OnPremDirectorySynchronization.Read.All",
            ]),
        );
    config.throttling = Throttling {
        enabled: false,
        ..Throttling::default()
    };
    config.faults = Faults::default();
    config
}

pub fn start() -> TwinServer {
    TwinServer::start(tenant(), config()).unwrap()
}

pub fn start_with(config: TwinConfig) -> TwinServer {
    TwinServer::start(tenant(), config).unwrap()
}

/// Small delays, so that tests that provoke failures do not sleep long.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_throttle_retries: 50,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

/// Settings for `client_id` with its secret, pointed at `server`.
pub fn settings(server: &TwinServer, client_id: &str) -> ClientSettings {
    settings_with(
        server,
        client_id,
        Credential::Secret(Secret::new(secret(client_id))),
    )
}

pub fn settings_with(
    server: &TwinServer,
    client_id: &str,
    credential: Credential,
) -> ClientSettings {
    ClientSettings::new(server.tenant_id(), client_id, credential)
        .endpoints(&server.root_url(), &server.base_url())
        .retry(fast_retries())
}

pub fn client(server: &TwinServer, client_id: &str) -> GraphClient {
    GraphClient::new(settings(server, client_id)).unwrap()
}

/// A user as the twin holds it now.
pub fn stored_user(server: &TwinServer, id: &str) -> anchorsync_core::tenant::CloudUser {
    server
        .snapshot()
        .users
        .into_iter()
        .find(|user| user.id == id)
        .unwrap_or_else(|| panic!("no user `{id}` in the twin"))
}

/// Asserts that filler user `n` holds `expected(n)` in the property `read` reads, for `0..count`.
pub fn assert_fillers(
    server: &TwinServer,
    count: usize,
    read: impl Fn(&anchorsync_core::tenant::CloudUser) -> Option<&str>,
    expected: impl Fn(usize) -> String,
) {
    let snapshot = server.snapshot();
    for n in 0..count {
        let user = snapshot
            .users
            .iter()
            .find(|user| user.id == filler_id(n))
            .unwrap_or_else(|| panic!("user {n} is gone"));
        assert_eq!(
            read(user),
            Some(expected(n).as_str()),
            "user {n} lost its update"
        );
    }
}
