//! The cloud side: a Microsoft Entra tenant in Microsoft Graph's own shapes.
//!
//! The tenant snapshot is a JSON object whose keys hold exactly what Graph v1.0 returns:
//!
//! ```json
//! { "users": [ /* GET /users?$select=... value[] */ ],
//!   "domains": [ /* GET /domains value[] */ ],
//!   "roleAssignments": [ /* GET /roleManagement/directory/roleAssignments value[] */ ],
//!   "onPremisesSynchronization": { /* GET /directory/onPremisesSynchronization value[0] */ },
//!   "deletedUsers": [ /* GET /directory/deletedItems/microsoft.graph.user value[] (optional) */ ],
//!   "groups": [ /* GET /groups?$select=id,displayName,mail,mailNickname,proxyAddresses value[] (optional) */ ],
//!   "contacts": [ /* GET /contacts?$select=id,displayName,mail,mailNickname,proxyAddresses value[] (optional) */ ] }
//! ```
//!
//! Every type keeps the properties it does not name in `other`, so a snapshot read and written again
//! loses nothing. Properties are serialised in declaration order, so the same tenant always gives the
//! same bytes.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A tenant as a snapshot file holds it. Properties other than these seven are ignored when read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// `GET /directory/deletedItems/microsoft.graph.user` values: users deleted within the last 30 days,
    /// restorable, each with its `deletedDateTime` (kept in [`CloudUser::other`]). Written only when
    /// there are some, so snapshots of tenants without deleted users keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_users: Vec<CloudUser>,
    /// `GET /groups?$select=...` values: the groups that hold an address (`mail` or a proxy address),
    /// which share the address namespace with users. Optional: written only when there are some, so
    /// older snapshots read as before and snapshots without groups keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<CloudRecipient>,
    /// `GET /contacts?$select=...` values: the organisational contacts that hold an address. Optional,
    /// like `groups`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<CloudRecipient>,
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

impl<'de> Deserialize<'de> for TenantSnapshot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SnapshotSeed { users_capacity: 0 }.deserialize(deserializer)
    }
}

/// Reads a [`TenantSnapshot`] with room for `users_capacity` users made up front: a reader that knows the
/// file's size spares a million-user list from growing by doubling, which would touch twice its memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnapshotSeed {
    /// How many users to make room for.
    pub users_capacity: usize,
}

impl<'de> DeserializeSeed<'de> for SnapshotSeed {
    type Value = TenantSnapshot;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<TenantSnapshot, D::Error> {
        deserializer.deserialize_map(SnapshotVisitor(self))
    }
}

struct SnapshotVisitor(SnapshotSeed);

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = TenantSnapshot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tenant snapshot: an object with `users`, `domains`, `roleAssignments`, `onPremisesSynchronization`, `deletedUsers`, `groups` and `contacts`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TenantSnapshot, A::Error> {
        let mut snapshot = TenantSnapshot::default();
        let mut seen = [false; 7];
        let mut first = |slot: usize, name: &str| -> Result<(), A::Error> {
            match seen.get_mut(slot) {
                Some(seen) if *seen => {
                    Err(de::Error::custom(format_args!("duplicate field `{name}`")))
                }
                Some(seen) => {
                    *seen = true;
                    Ok(())
                }
                None => Ok(()),
            }
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "users" => {
                    first(0, "users")?;
                    snapshot.users = map.next_value_seed(UsersSeed(self.0.users_capacity))?;
                }
                "domains" => {
                    first(1, "domains")?;
                    snapshot.domains = map.next_value()?;
                }
                "roleAssignments" => {
                    first(2, "roleAssignments")?;
                    snapshot.role_assignments = map.next_value()?;
                }
                "onPremisesSynchronization" => {
                    first(3, "onPremisesSynchronization")?;
                    snapshot.on_premises_synchronization = map.next_value()?;
                }
                "deletedUsers" => {
                    first(4, "deletedUsers")?;
                    snapshot.deleted_users = map.next_value_seed(UsersSeed(0))?;
                }
                "groups" => {
                    first(5, "groups")?;
                    snapshot.groups = map.next_value()?;
                }
                "contacts" => {
                    first(6, "contacts")?;
                    snapshot.contacts = map.next_value()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(snapshot)
    }
}

/// The `users` array, collected into a list with room made up front.
struct UsersSeed(usize);

impl<'de> DeserializeSeed<'de> for UsersSeed {
    type Value = Vec<CloudUser>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Vec<CloudUser>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for UsersSeed {
    type Value = Vec<CloudUser>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of users")
    }

    /// Refuses two users with one `id` (ids compare case-insensitively, as Graph's GUIDs do): every
    /// decision and write names a cloud user by its id, so two would let a plan pair with one and write
    /// the other. Only a 64-bit hash of each id is kept; a hash seen twice is confirmed on the ids.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<CloudUser>, A::Error> {
        use std::hash::{Hash as _, Hasher as _};
        let mut users: Vec<CloudUser> =
            Vec::with_capacity(self.0.max(seq.size_hint().unwrap_or(0)));
        let mut seen: std::collections::HashMap<u64, usize> =
            std::collections::HashMap::with_capacity(users.capacity());
        while let Some(user) = seq.next_element::<CloudUser>()? {
            // SipHash with fixed keys: the same id gives the same key in every run.
            let mut hasher = std::hash::DefaultHasher::new();
            user.id.to_ascii_lowercase().hash(&mut hasher);
            if let Some(first) = seen.insert(hasher.finish(), users.len())
                && users
                    .get(first)
                    .is_some_and(|other| other.id.eq_ignore_ascii_case(&user.id))
            {
                return Err(de::Error::custom(format_args!(
                    "users {} and {} have the same `id` `{}`; each cloud user appears once",
                    first + 1,
                    users.len() + 1,
                    crate::wording::excerpt(&user.id, 80)
                )));
            }
            users.push(user);
        }
        Ok(users)
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
///
/// Deserialisation is written by hand (below): `#[serde(flatten)]` on `other` would make serde buffer
/// every property of every user before sorting them out, which triples the time to read a
/// million-user snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

/// The typed properties of [`CloudUser`], by their Graph names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UserField {
    Id,
    UserPrincipalName,
    DisplayName,
    GivenName,
    Surname,
    Mail,
    MailNickname,
    ProxyAddresses,
    OtherMails,
    AccountEnabled,
    UserType,
    CreatedDateTime,
    OnPremisesImmutableId,
    OnPremisesSyncEnabled,
    OnPremisesSecurityIdentifier,
    OnPremisesDistinguishedName,
    OnPremisesSamAccountName,
    OnPremisesUserPrincipalName,
    OnPremisesDomainName,
    OnPremisesLastSyncDateTime,
    JobTitle,
    Department,
    EmployeeId,
    MobilePhone,
    BusinessPhones,
    OfficeLocation,
    UsageLocation,
}

impl UserField {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "userPrincipalName" => Self::UserPrincipalName,
            "displayName" => Self::DisplayName,
            "givenName" => Self::GivenName,
            "surname" => Self::Surname,
            "mail" => Self::Mail,
            "mailNickname" => Self::MailNickname,
            "proxyAddresses" => Self::ProxyAddresses,
            "otherMails" => Self::OtherMails,
            "accountEnabled" => Self::AccountEnabled,
            "userType" => Self::UserType,
            "createdDateTime" => Self::CreatedDateTime,
            "onPremisesImmutableId" => Self::OnPremisesImmutableId,
            "onPremisesSyncEnabled" => Self::OnPremisesSyncEnabled,
            "onPremisesSecurityIdentifier" => Self::OnPremisesSecurityIdentifier,
            "onPremisesDistinguishedName" => Self::OnPremisesDistinguishedName,
            "onPremisesSamAccountName" => Self::OnPremisesSamAccountName,
            "onPremisesUserPrincipalName" => Self::OnPremisesUserPrincipalName,
            "onPremisesDomainName" => Self::OnPremisesDomainName,
            "onPremisesLastSyncDateTime" => Self::OnPremisesLastSyncDateTime,
            "jobTitle" => Self::JobTitle,
            "department" => Self::Department,
            "employeeId" => Self::EmployeeId,
            "mobilePhone" => Self::MobilePhone,
            "businessPhones" => Self::BusinessPhones,
            "officeLocation" => Self::OfficeLocation,
            "usageLocation" => Self::UsageLocation,
            _ => return None,
        })
    }
}

/// A property name: one of the typed ones, or any other (kept in `other`).
enum UserKey {
    Typed(UserField),
    Other(String),
}

impl<'de> Deserialize<'de> for UserKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = UserKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<UserKey, E> {
                Ok(UserField::of(name)
                    .map_or_else(|| UserKey::Other(name.to_owned()), UserKey::Typed))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for CloudUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(CloudUserVisitor)
    }
}

struct CloudUserVisitor;

impl<'de> Visitor<'de> for CloudUserVisitor {
    type Value = CloudUser;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Microsoft Graph user object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CloudUser, A::Error> {
        let mut user = CloudUser::default();
        let mut id = None;
        let mut seen = 0u32;
        while let Some(key) = map.next_key::<UserKey>()? {
            let field = match key {
                UserKey::Other(name) => {
                    let value: Value = map.next_value()?;
                    if user.other.insert(name.clone(), value).is_some() {
                        return Err(de::Error::custom(format_args!("duplicate field `{name}`")));
                    }
                    continue;
                }
                UserKey::Typed(field) => field,
            };
            let bit = 1u32 << (field as u32);
            if seen & bit != 0 {
                return Err(de::Error::custom("a property appears twice in one user"));
            }
            seen |= bit;
            // Collections are never null in Graph; a null one is read as empty.
            let list = |value: Option<Vec<String>>| value.unwrap_or_default();
            match field {
                UserField::Id => id = Some(map.next_value::<String>()?),
                UserField::UserPrincipalName => user.user_principal_name = map.next_value()?,
                UserField::DisplayName => user.display_name = map.next_value()?,
                UserField::GivenName => user.given_name = map.next_value()?,
                UserField::Surname => user.surname = map.next_value()?,
                UserField::Mail => user.mail = map.next_value()?,
                UserField::MailNickname => user.mail_nickname = map.next_value()?,
                UserField::ProxyAddresses => user.proxy_addresses = list(map.next_value()?),
                UserField::OtherMails => user.other_mails = list(map.next_value()?),
                UserField::AccountEnabled => user.account_enabled = map.next_value()?,
                UserField::UserType => user.user_type = map.next_value()?,
                UserField::CreatedDateTime => user.created_date_time = map.next_value()?,
                UserField::OnPremisesImmutableId => {
                    user.on_premises_immutable_id = map.next_value()?
                }
                UserField::OnPremisesSyncEnabled => {
                    user.on_premises_sync_enabled = map.next_value()?
                }
                UserField::OnPremisesSecurityIdentifier => {
                    user.on_premises_security_identifier = map.next_value()?;
                }
                UserField::OnPremisesDistinguishedName => {
                    user.on_premises_distinguished_name = map.next_value()?;
                }
                UserField::OnPremisesSamAccountName => {
                    user.on_premises_sam_account_name = map.next_value()?
                }
                UserField::OnPremisesUserPrincipalName => {
                    user.on_premises_user_principal_name = map.next_value()?;
                }
                UserField::OnPremisesDomainName => {
                    user.on_premises_domain_name = map.next_value()?
                }
                UserField::OnPremisesLastSyncDateTime => {
                    user.on_premises_last_sync_date_time = map.next_value()?;
                }
                UserField::JobTitle => user.job_title = map.next_value()?,
                UserField::Department => user.department = map.next_value()?,
                UserField::EmployeeId => user.employee_id = map.next_value()?,
                UserField::MobilePhone => user.mobile_phone = map.next_value()?,
                UserField::BusinessPhones => user.business_phones = list(map.next_value()?),
                UserField::OfficeLocation => user.office_location = map.next_value()?,
                UserField::UsageLocation => user.usage_location = map.next_value()?,
            }
        }
        user.id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        if user.id.trim().is_empty() {
            // Every decision and write names a cloud user by its id.
            return Err(de::Error::custom("a user's `id` is empty"));
        }
        Ok(user)
    }
}

/// The properties `anchorsync` selects when it reads groups and organisational contacts, in Graph's
/// spelling (<https://learn.microsoft.com/graph/api/group-list>,
/// <https://learn.microsoft.com/graph/api/orgcontact-list>).
pub const RECIPIENT_SELECT: &[&str] = &[
    "id",
    "displayName",
    "mail",
    "mailNickname",
    "proxyAddresses",
];

/// A Graph `group` or `orgContact`, with the properties that put it in the address namespace users
/// share: lint compares AD's addresses with them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudRecipient {
    /// Object id.
    pub id: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `mail`.
    #[serde(default)]
    pub mail: Option<String>,
    /// `mailNickname`.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// `proxyAddresses` (`SMTP:` primary, `smtp:` secondary). Never null in Graph; null reads as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub proxy_addresses: Vec<String>,
    /// Every other property, as Graph returned it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CloudRecipient {
    /// Whether the object holds `mail` or any proxy address: only those collide with users.
    pub fn holds_an_address(&self) -> bool {
        self.mail
            .as_deref()
            .is_some_and(|mail| !mail.trim().is_empty())
            || self
                .proxy_addresses
                .iter()
                .any(|proxy| !proxy.trim().is_empty())
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
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
    fn user_reading_errors_and_null_collections() {
        let user: CloudUser = serde_json::from_str(
            r##"{"id":"1","proxyAddresses":null,"@odata.type":"#microsoft.graph.user"}"##,
        )
        .unwrap();
        assert!(user.proxy_addresses.is_empty());
        assert_eq!(
            user.other.get("@odata.type"),
            Some(&Value::from("#microsoft.graph.user"))
        );
        let missing =
            serde_json::from_str::<CloudUser>(r#"{"userPrincipalName":"a@x.com"}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `id`"),
            "{missing}"
        );
        let twice =
            serde_json::from_str::<CloudUser>(r#"{"id":"1","mail":"a","mail":"b"}"#).unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");
        let wrong =
            serde_json::from_str::<CloudUser>("{\"id\":\"1\",\n\"accountEnabled\":\"yes\"}")
                .unwrap_err();
        assert_eq!(
            (
                wrong.line(),
                wrong.to_string().contains("expected a boolean")
            ),
            (2, true),
            "{wrong}"
        );
    }

    #[test]
    fn snapshot_reading_ignores_other_keys_and_refuses_repeats() {
        let snapshot: TenantSnapshot = serde_json::from_str(
            r#"{"@odata.context":"x","domains":[{"id":"a.com"}],"users":[{"id":"1"}]}"#,
        )
        .unwrap();
        assert_eq!((snapshot.users.len(), snapshot.domains.len()), (1, 1));
        let error =
            serde_json::from_str::<TenantSnapshot>(r#"{"users":[],"users":[]}"#).unwrap_err();
        assert!(
            error.to_string().contains("duplicate field `users`"),
            "{error}"
        );
        let error = serde_json::from_str::<TenantSnapshot>("[]").unwrap_err();
        assert!(error.to_string().contains("a tenant snapshot"), "{error}");
        let seeded = SnapshotSeed {
            users_capacity: 100,
        }
        .deserialize(&mut serde_json::Deserializer::from_str(
            r#"{"users":[{"id":"1"}]}"#,
        ))
        .unwrap();
        assert!(seeded.users.capacity() >= 100);
    }

    #[test]
    fn deleted_users_round_trip_and_are_left_out_when_there_are_none() {
        let text =
            r#"{"users":[],"deletedUsers":[{"id":"d1","deletedDateTime":"2026-12-01T10:00:00Z"}]}"#;
        let snapshot: TenantSnapshot = serde_json::from_str(text).unwrap();
        assert_eq!(snapshot.deleted_users.len(), 1);
        assert_eq!(
            snapshot.deleted_users[0].other.get("deletedDateTime"),
            Some(&Value::String("2026-12-01T10:00:00Z".into()))
        );
        let again = TenantSnapshot::from_json(&snapshot.to_json().unwrap()).unwrap();
        assert_eq!(again, snapshot);
        assert!(
            !TenantSnapshot::default()
                .to_json()
                .unwrap()
                .contains("deletedUsers")
        );
        let error =
            serde_json::from_str::<TenantSnapshot>(r#"{"deletedUsers":[],"deletedUsers":[]}"#)
                .unwrap_err();
        assert!(error.to_string().contains("duplicate field `deletedUsers`"));
    }

    #[test]
    fn groups_and_contacts_are_optional_and_round_trip() {
        // A snapshot written before groups and contacts existed reads as before, with none.
        let old: TenantSnapshot = serde_json::from_str(r#"{"users":[{"id":"1"}]}"#).unwrap();
        assert!(old.groups.is_empty() && old.contacts.is_empty());
        let text = r#"{"users":[],"groups":[{"id":"g1","displayName":"Sales","mail":"sales@x.com","mailNickname":"sales","proxyAddresses":["SMTP:sales@x.com"],"mailEnabled":true}],"contacts":[{"id":"c1","displayName":"Ext","mail":null,"mailNickname":"ext","proxyAddresses":null}]}"#;
        let snapshot: TenantSnapshot = serde_json::from_str(text).unwrap();
        assert_eq!(snapshot.groups[0].proxy_addresses, vec!["SMTP:sales@x.com"]);
        assert_eq!(
            snapshot.groups[0].other.get("mailEnabled"),
            Some(&Value::Bool(true))
        );
        assert!(snapshot.groups[0].holds_an_address());
        assert!(!snapshot.contacts[0].holds_an_address());
        let again = TenantSnapshot::from_json(&snapshot.to_json().unwrap()).unwrap();
        assert_eq!(again, snapshot);
        let empty = TenantSnapshot::default().to_json().unwrap();
        assert!(!empty.contains("groups") && !empty.contains("contacts"));
        let error =
            serde_json::from_str::<TenantSnapshot>(r#"{"groups":[],"groups":[]}"#).unwrap_err();
        assert!(error.to_string().contains("duplicate field `groups`"));
    }

    #[test]
    fn features_default_like_graph() {
        let features = TenantSnapshot::default().features();
        assert!(!features.block_soft_match());
        assert!(!features.block_hard_match_takeover());
        assert!(features.soft_match_on_upn());
    }
}
