//! The cloud side: a Microsoft Entra tenant in Microsoft Graph's own shapes.
//!
//! The tenant snapshot is a JSON object whose keys hold exactly what Graph v1.0 returns:
//!
//! ```json
//! { "users": [ /* GET /users?$select=... value[] */ ],
//!   "domains": [ /* GET /domains value[] */ ],
//!   "roleAssignments": [ /* GET /roleManagement/directory/roleAssignments value[] */ ],
//!   "onPremisesSynchronization": { /* GET /directory/onPremisesSynchronization value[0] */ } }
//! ```
//!
//! Every type keeps the properties it does not name in `other`, so a snapshot read and written again
//! loses nothing. Properties are serialised in declaration order, so the same tenant always gives the
//! same bytes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A tenant as a snapshot file holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSnapshot {
    /// `GET /users?$select=...` values.
    #[serde(default)]
    pub users: Vec<CloudUser>,
    /// `GET /domains` values.
    #[serde(default)]
    pub domains: Vec<Domain>,
    /// `GET /roleManagement/directory/roleAssignments` values.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// `GET /directory/onPremisesSynchronization` `value[0]`.
    #[serde(default)]
    pub on_premises_synchronization: Option<OnPremisesSynchronization>,
}

impl TenantSnapshot {
    /// The initial `*.onmicrosoft.com` domain.
    pub fn initial_domain(&self) -> Option<&Domain> {
        self.domains.iter().find(|domain| domain.is_initial)
    }

    /// The domain a user principal name or address ends in, compared case-insensitively.
    pub fn domain_of(&self, address: &str) -> Option<&Domain> {
        let suffix = address.rsplit_once('@')?.1;
        self.domains
            .iter()
            .find(|domain| domain.id.eq_ignore_ascii_case(suffix))
    }

    /// The synchronisation features, with Graph's defaults where the snapshot has none.
    pub fn features(&self) -> SyncFeatures {
        self.on_premises_synchronization
            .as_ref()
            .map(|sync| sync.features.clone())
            .unwrap_or_default()
    }

    /// The snapshot file's text: pretty-printed JSON, properties in declaration order (unknown ones
    /// in the order they were read), and a final newline. Reading this text and writing it again
    /// gives the same bytes; every writer of snapshot files uses it.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Reads a snapshot file's text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The properties `anchorsync` selects when it reads users, in Graph's spelling.
pub const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "otherMails",
    "accountEnabled",
    "userType",
    "createdDateTime",
    "onPremisesImmutableId",
    "onPremisesSyncEnabled",
    "onPremisesSecurityIdentifier",
    "onPremisesDistinguishedName",
    "onPremisesSamAccountName",
    "onPremisesUserPrincipalName",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "jobTitle",
    "department",
    "employeeId",
    "mobilePhone",
    "businessPhones",
    "officeLocation",
    "usageLocation",
];

/// A Graph `user`, with the properties the engine reads typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudUser {
    /// Object id.
    pub id: String,
    /// `userPrincipalName`.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `givenName`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `surname`.
    #[serde(default)]
    pub surname: Option<String>,
    /// `mail`.
    #[serde(default)]
    pub mail: Option<String>,
    /// `mailNickname`.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// `proxyAddresses` (`SMTP:` primary, `smtp:` secondary).
    #[serde(default)]
    pub proxy_addresses: Vec<String>,
    /// `otherMails`.
    #[serde(default)]
    pub other_mails: Vec<String>,
    /// `accountEnabled`.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `userType` (`Member`, `Guest`).
    #[serde(default)]
    pub user_type: Option<String>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `onPremisesImmutableId`: the sourceAnchor a hard match compares with.
    #[serde(default)]
    pub on_premises_immutable_id: Option<String>,
    /// `onPremisesSyncEnabled`: true while a sync client masters the user.
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    /// `onPremisesSecurityIdentifier`.
    #[serde(default)]
    pub on_premises_security_identifier: Option<String>,
    /// `onPremisesDistinguishedName`.
    #[serde(default)]
    pub on_premises_distinguished_name: Option<String>,
    /// `onPremisesSamAccountName`.
    #[serde(default)]
    pub on_premises_sam_account_name: Option<String>,
    /// `onPremisesUserPrincipalName`.
    #[serde(default)]
    pub on_premises_user_principal_name: Option<String>,
    /// `onPremisesDomainName`.
    #[serde(default)]
    pub on_premises_domain_name: Option<String>,
    /// `onPremisesLastSyncDateTime`.
    #[serde(default)]
    pub on_premises_last_sync_date_time: Option<String>,
    /// `jobTitle`.
    #[serde(default)]
    pub job_title: Option<String>,
    /// `department`.
    #[serde(default)]
    pub department: Option<String>,
    /// `employeeId`.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// `mobilePhone`.
    #[serde(default)]
    pub mobile_phone: Option<String>,
    /// `businessPhones`.
    #[serde(default)]
    pub business_phones: Vec<String>,
    /// `officeLocation`.
    #[serde(default)]
    pub office_location: Option<String>,
    /// `usageLocation`.
    #[serde(default)]
    pub usage_location: Option<String>,
    /// Every other property, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CloudUser {
    /// Whether a sync client currently masters the user.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }

    /// The primary SMTP address: the `SMTP:` proxy address.
    pub fn primary_smtp(&self) -> Option<&str> {
        crate::directory::primary_smtp(&self.proxy_addresses)
    }
}

/// A Graph `domain`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// The fully qualified domain name.
    pub id: String,
    /// `Managed` or `Federated`.
    #[serde(default = "managed")]
    pub authentication_type: String,
    /// `availabilityStatus`.
    #[serde(default)]
    pub availability_status: Option<String>,
    /// `isAdminManaged`.
    #[serde(default)]
    pub is_admin_managed: bool,
    /// The domain new users get by default.
    #[serde(default)]
    pub is_default: bool,
    /// The `*.onmicrosoft.com` domain created with the tenant.
    #[serde(default)]
    pub is_initial: bool,
    /// `isRoot`.
    #[serde(default)]
    pub is_root: bool,
    /// Ownership verified: only verified domains can carry user principal names.
    #[serde(default)]
    pub is_verified: bool,
    /// `supportedServices`.
    #[serde(default)]
    pub supported_services: Vec<String>,
    /// Every other property, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn managed() -> String {
    "Managed".to_owned()
}

impl Domain {
    /// Whether sign-in for the domain is federated to an identity provider.
    pub fn is_federated(&self) -> bool {
        self.authentication_type.eq_ignore_ascii_case("Federated")
    }
}

/// A Graph `unifiedRoleAssignment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Assignment id.
    pub id: String,
    /// The user (or group, or service principal) that holds the role.
    pub principal_id: String,
    /// The role: for built-in roles, the role template id.
    pub role_definition_id: String,
    /// `/` for the whole directory.
    #[serde(default)]
    pub directory_scope_id: Option<String>,
    /// Every other property, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Graph `onPremisesDirectorySynchronization`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesSynchronization {
    /// The tenant id.
    pub id: String,
    /// `configuration`, kept as returned.
    #[serde(default)]
    pub configuration: Option<Value>,
    /// `features`.
    #[serde(default)]
    pub features: SyncFeatures,
    /// Every other property, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Graph `onPremisesDirectorySynchronizationFeature`: the switches that decide matching.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFeatures {
    /// Soft matching is off for the whole tenant.
    #[serde(default)]
    pub block_soft_match_enabled: Option<bool>,
    /// A hard match may not take over a cloud-managed user (Entra: InvalidHardMatch).
    #[serde(default)]
    pub block_cloud_object_takeover_through_hard_match_enabled: Option<bool>,
    /// Soft matching may use the user principal name (default on).
    #[serde(default)]
    pub soft_match_on_upn_enabled: Option<bool>,
    /// Every other feature, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SyncFeatures {
    /// `blockSoftMatchEnabled`, false when unset.
    pub fn block_soft_match(&self) -> bool {
        self.block_soft_match_enabled.unwrap_or(false)
    }

    /// `blockCloudObjectTakeoverThroughHardMatchEnabled`, false when unset.
    pub fn block_hard_match_takeover(&self) -> bool {
        self.block_cloud_object_takeover_through_hard_match_enabled
            .unwrap_or(false)
    }

    /// `softMatchOnUpnEnabled`, true when unset (Graph's default since 2016).
    pub fn soft_match_on_upn(&self) -> bool {
        self.soft_match_on_upn_enabled.unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trip_keeps_unknown_properties() {
        let text = r#"{"users":[{"id":"1","userPrincipalName":"a@x.com","displayName":null,"givenName":null,"surname":null,"mail":null,"mailNickname":"a","proxyAddresses":[],"otherMails":[],"accountEnabled":true,"userType":"Member","createdDateTime":null,"onPremisesImmutableId":null,"onPremisesSyncEnabled":null,"onPremisesSecurityIdentifier":null,"onPremisesDistinguishedName":null,"onPremisesSamAccountName":null,"onPremisesUserPrincipalName":null,"onPremisesDomainName":null,"onPremisesLastSyncDateTime":null,"jobTitle":null,"department":null,"employeeId":null,"mobilePhone":null,"businessPhones":[],"officeLocation":null,"usageLocation":"JP","city":"Tokyo"}],"domains":[],"roleAssignments":[],"onPremisesSynchronization":null}"#;
        let snapshot: TenantSnapshot = serde_json::from_str(text).unwrap();
        assert_eq!(
            snapshot.users[0].other.get("city"),
            Some(&Value::from("Tokyo"))
        );
        assert_eq!(serde_json::to_string(&snapshot).unwrap(), text);
    }

    #[test]
    fn features_default_like_graph() {
        let features = TenantSnapshot::default().features();
        assert!(!features.block_soft_match());
        assert!(!features.block_hard_match_takeover());
        assert!(features.soft_match_on_upn());
    }
}
