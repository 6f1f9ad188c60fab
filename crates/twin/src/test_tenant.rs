//! The test tenant that the twin's own tests and the Graph client's tests share: one set of app
//! registrations, users, domains and role assignments, so both suites speak about the same tenant and a
//! fix to it reaches both.
//!
//! Like [`TestCertificate`], this is support for tests and rehearsals, not part of the service the twin
//! emulates. Each suite keeps its own harness around it (an HTTP client for the twin, a `GraphClient`
//! for the Graph crate) and its own twin settings (the Graph client's tests switch throttling off).

use anchorsync_core::tenant::TenantSnapshot;
use serde_json::{Value, json};

use crate::certificate::TestCertificate;
use crate::config::{AppClient, TwinConfig};

/// The tenant's id.
pub const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";

/// Standard permissions, no directory role.
pub const APP: &str = "a0000000-0000-4000-8000-000000000001";
/// Only `User.Read.All`.
pub const READER: &str = "a0000000-0000-4000-8000-000000000002";
/// Standard permissions; service principal is a User Administrator.
pub const USER_ADMIN_APP: &str = "a0000000-0000-4000-8000-000000000003";
/// Standard permissions; service principal is a Privileged Authentication Administrator.
pub const PRIVILEGED_APP: &str = "a0000000-0000-4000-8000-000000000004";
/// Authenticates with the test certificate only.
pub const CERT_APP: &str = "a0000000-0000-4000-8000-000000000005";
/// Users, domains and roles, but no `OnPremDirectorySynchronization.*` permission.
pub const NO_SYNC_APP: &str = "a0000000-0000-4000-8000-000000000006";
/// Reads users with `User.ReadBasic.All` only: enough for `/users`, not for deleted items.
pub const BASIC_APP: &str = "a0000000-0000-4000-8000-000000000007";

/// A cloud-only user in the managed domain.
pub const ALICE: &str = "11111111-0000-4000-8000-000000000001";
/// A user of the federated domain, with an ImmutableID.
pub const BOB: &str = "11111111-0000-4000-8000-000000000002";
/// A synchronised user.
pub const CAROL: &str = "11111111-0000-4000-8000-000000000003";
/// A Global Administrator.
pub const DAVE: &str = "11111111-0000-4000-8000-000000000004";
/// A Helpdesk Administrator.
pub const HELEN: &str = "11111111-0000-4000-8000-000000000005";
/// A quote in the UPN, `+` and `/` in the ImmutableID.
pub const OBRIEN: &str = "11111111-0000-4000-8000-000000000006";

/// Bob's ImmutableID (he is in the federated domain).
pub const BOB_ANCHOR: &str = "Ym9iLWhlbm5nZS1hbmNob3I=";
/// O'Brien's ImmutableID: `+` and `/` in it.
pub const OBRIEN_ANCHOR: &str = "+D9q4TtdW06deixqiw5/EQ==";

/// The Global Administrator role template.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// The Helpdesk Administrator role template.
pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// Users named `user000@contoso.com`, ... for paging and bulk writes.
pub const FILLER_USERS: usize = 250;
/// Every user of [`tenant_json`].
pub const USER_COUNT: usize = FILLER_USERS + 6;

/// The client secret of an app registered with one.
pub fn secret(client_id: &str) -> String {
    format!("secret-of-{client_id}")
}

/// The id of filler user `n` (`user{n:03}@contoso.com`).
pub fn filler_id(n: usize) -> String {
    format!("22222222-0000-4000-8000-{n:012}")
}

/// A user in the shape `anchorsync snapshot cloud` writes.
fn user(id: &str, upn: &str, extra: Value) -> Value {
    let alias = upn.split('@').next().unwrap_or_default();
    let mut user = json!({
        "id": id,
        "userPrincipalName": upn,
        "displayName": alias,
        "givenName": null,
        "surname": null,
        "mail": null,
        "mailNickname": alias.replace('\'', ""),
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

/// The tenant as a snapshot file holds it: a managed and a federated verified domain, the initial
/// domain and an unverified one; a cloud user, a federated user, a synced user, two role holders, a
/// user with a quote in its UPN and `+`/`/` in its ImmutableID, and [`FILLER_USERS`] filler users.
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
                "onPremisesImmutableId": BOB_ANCHOR,
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
            "features": {"blockSoftMatchEnabled": false, "blockCloudObjectTakeoverThroughHardMatchEnabled": true,
                         "softMatchOnUpnEnabled": true},
        },
    })
}

/// [`tenant_json`] typed.
pub fn tenant() -> Result<TenantSnapshot, serde_json::Error> {
    serde_json::from_value(tenant_json())
}

/// The tenant's app registrations, with the twin's default settings (throttling as configured by
/// default, no faults); `certificate` is the one [`CERT_APP`] authenticates with.
pub fn config(certificate: &TestCertificate) -> TwinConfig {
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
        .with_client(
            AppClient::with_secret(NO_SYNC_APP, secret(NO_SYNC_APP)).permissions([
                "User.ReadWrite.All",
                "Domain.Read.All",
                "RoleManagement.Read.Directory",
            ]),
        )
        .with_client(AppClient::with_certificate(
            CERT_APP,
            certificate.certificate_pem.clone(),
        ))
        .with_client(
            AppClient::with_secret(BASIC_APP, secret(BASIC_APP)).permissions([
                "User.ReadBasic.All",
                "Domain.Read.All",
                "RoleManagement.Read.Directory",
                "OnPremDirectorySynchronization.Read.All",
            ]),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_tenant_is_a_valid_snapshot() {
        let tenant = tenant().unwrap();
        assert_eq!(tenant.users.len(), USER_COUNT);
        assert!(tenant.users.iter().any(|user| user.id == filler_id(0)));
    }
}
