//! The properties of Graph's `user` entity as the twin serves them: type, whether Graph returns them
//! without `$select`, and which write rules apply (read-only, sensitive, mastered on-premises).
//!
//! The table covers every property of the v1.0 CSDL `user` type (graph-csdl-extract.xml); the
//! conformance test checks both directions against the XML itself.

use anchorsync_core::tenant::CloudUser;
use serde_json::Value;

/// The JSON shape of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Edm.String`.
    String,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.DateTimeOffset`.
    DateTime,
    /// `Collection(Edm.String)`.
    Strings,
    /// A collection of complex values.
    Objects,
    /// A complex value.
    Object,
}

/// Returned without `$select` (<https://learn.microsoft.com/graph/api/user-list>).
pub(crate) const DEFAULT: u16 = 1;
/// Graph refuses writes: `Property 'X' is read-only and cannot be set.` (read-only in
/// <https://learn.microsoft.com/graph/api/resources/user>).
pub(crate) const READ_ONLY: u16 = 1 << 1;
/// Sensitive: an app needs a higher directory role to change it on a user holding a role
/// (<https://learn.microsoft.com/graph/api/resources/users>, "who can perform sensitive actions").
pub(crate) const SENSITIVE: u16 = 1 << 2;
/// Mastered on-premises: refused on a synced user
/// (<https://learn.microsoft.com/graph/api/user-update>; the docs do not enumerate these, the twin
/// takes what Entra Connect synchronises).
pub(crate) const MASTERED: u16 = 1 << 3;
/// `$select` on `/users` (the collection) answers 501
/// (<https://learn.microsoft.com/graph/api/user-list>).
pub(crate) const NOT_ON_LIST: u16 = 1 << 4;

/// One property of `user`.
#[derive(Debug)]
pub(crate) struct UserProperty {
    /// Graph's spelling.
    pub name: &'static str,
    /// Shape.
    pub kind: Kind,
    /// `Nullable="false"` in the CSDL.
    pub non_nullable: bool,
    /// [`DEFAULT`], [`READ_ONLY`], ...
    pub flags: u16,
    /// Longest value Graph accepts, for strings.
    pub max_length: Option<usize>,
}

impl UserProperty {
    pub(crate) fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// What Graph returns for the property when the user has no value.
    pub(crate) fn empty_value(&self) -> Value {
        match self.kind {
            Kind::Strings | Kind::Objects => Value::Array(Vec::new()),
            // The only non-nullable scalars: birthday and hireDate (Graph's "no date"), and
            // deviceEnrollmentLimit (Graph's default limit).
            Kind::DateTime if self.non_nullable => Value::from("0001-01-01T00:00:00Z"),
            Kind::Int32 if self.non_nullable => Value::from(5),
            _ => Value::Null,
        }
    }
}

const fn p(name: &'static str, kind: Kind, flags: u16) -> UserProperty {
    UserProperty {
        name,
        kind,
        non_nullable: false,
        flags,
        max_length: None,
    }
}

const fn nn(name: &'static str, kind: Kind, flags: u16) -> UserProperty {
    UserProperty {
        name,
        kind,
        non_nullable: true,
        flags,
        max_length: None,
    }
}

const fn s(name: &'static str, flags: u16, max_length: usize) -> UserProperty {
    UserProperty {
        name,
        kind: Kind::String,
        non_nullable: false,
        flags,
        max_length: Some(max_length),
    }
}

use Kind::{Boolean, DateTime, Int32, Object, Objects, String as Str, Strings};

/// Every property of `user`, in the CSDL's order (`id` and `deletedDateTime` come from its base
/// types).
pub(crate) const USER_PROPERTIES: &[UserProperty] = &[
    p("id", Str, DEFAULT | READ_ONLY),
    p("deletedDateTime", DateTime, READ_ONLY),
    p("aboutMe", Str, NOT_ON_LIST),
    p("accountEnabled", Boolean, SENSITIVE | MASTERED),
    p("ageGroup", Str, 0),
    nn("assignedLicenses", Objects, READ_ONLY),
    nn("assignedPlans", Objects, READ_ONLY),
    p("authorizationInfo", Object, 0),
    nn("birthday", DateTime, NOT_ON_LIST),
    nn("businessPhones", Strings, DEFAULT | SENSITIVE | MASTERED),
    s("city", MASTERED, 128),
    s("companyName", MASTERED, 64),
    p("consentProvidedForMinor", Str, 0),
    s("country", MASTERED, 128),
    p("createdDateTime", DateTime, READ_ONLY),
    p("creationType", Str, READ_ONLY),
    p("customSecurityAttributes", Object, 0),
    s("department", MASTERED, 64),
    nn("deviceEnrollmentLimit", Int32, READ_ONLY),
    s("displayName", DEFAULT | MASTERED, 256),
    p("employeeHireDate", DateTime, MASTERED),
    s("employeeId", MASTERED, 16),
    p("employeeLeaveDateTime", DateTime, MASTERED),
    p("employeeOrgData", Object, MASTERED),
    s("employeeType", MASTERED, 64),
    p("externalUserState", Str, READ_ONLY),
    p("externalUserStateChangeDateTime", DateTime, READ_ONLY),
    s("faxNumber", MASTERED, 64),
    s("givenName", DEFAULT | MASTERED, 64),
    nn("hireDate", DateTime, NOT_ON_LIST),
    p("identities", Objects, 0),
    p("identityParentId", Str, READ_ONLY),
    p("imAddresses", Strings, READ_ONLY),
    p("interests", Strings, NOT_ON_LIST),
    p("isManagementRestricted", Boolean, READ_ONLY),
    p("isResourceAccount", Boolean, READ_ONLY),
    s("jobTitle", DEFAULT | MASTERED, 128),
    p("lastPasswordChangeDateTime", DateTime, READ_ONLY),
    p("legalAgeGroupClassification", Str, READ_ONLY),
    p("licenseAssignmentStates", Objects, READ_ONLY),
    s("mail", DEFAULT | MASTERED, 256),
    p("mailboxSettings", Object, READ_ONLY | NOT_ON_LIST),
    s("mailNickname", MASTERED, 64),
    s("mobilePhone", DEFAULT | SENSITIVE | MASTERED, 64),
    p("mySite", Str, NOT_ON_LIST),
    s("officeLocation", DEFAULT | MASTERED, 128),
    p("onPremisesDistinguishedName", Str, READ_ONLY),
    p("onPremisesDomainName", Str, READ_ONLY),
    p("onPremisesExtensionAttributes", Object, MASTERED),
    p("onPremisesImmutableId", Str, SENSITIVE | MASTERED),
    p("onPremisesLastSyncDateTime", DateTime, READ_ONLY),
    p("onPremisesProvisioningErrors", Objects, READ_ONLY),
    p("onPremisesSamAccountName", Str, READ_ONLY),
    p("onPremisesSecurityIdentifier", Str, READ_ONLY),
    p("onPremisesSyncEnabled", Boolean, READ_ONLY),
    p("onPremisesUserPrincipalName", Str, READ_ONLY),
    nn("otherMails", Strings, SENSITIVE),
    p("passwordPolicies", Str, 0),
    p("passwordProfile", Object, SENSITIVE | MASTERED),
    p("pastProjects", Strings, NOT_ON_LIST),
    s("postalCode", MASTERED, 40),
    p("preferredDataLocation", Str, 0),
    s("preferredLanguage", DEFAULT | MASTERED, 64),
    p("preferredName", Str, NOT_ON_LIST),
    p("print", Object, READ_ONLY),
    nn("provisionedPlans", Objects, READ_ONLY),
    nn("proxyAddresses", Strings, READ_ONLY),
    p("responsibilities", Strings, NOT_ON_LIST),
    p("schools", Strings, NOT_ON_LIST),
    p("securityIdentifier", Str, READ_ONLY),
    p("serviceProvisioningErrors", Objects, READ_ONLY),
    p("showInAddressList", Boolean, MASTERED),
    p("signInActivity", Object, READ_ONLY),
    p("signInSessionsValidFromDateTime", DateTime, READ_ONLY),
    p("skills", Strings, NOT_ON_LIST),
    s("state", MASTERED, 128),
    s("streetAddress", MASTERED, 1024),
    s("surname", DEFAULT | MASTERED, 64),
    s("usageLocation", 0, 2),
    s("userPrincipalName", DEFAULT | SENSITIVE | MASTERED, 113),
    p("userType", Str, 0),
];

/// The default property set, in the order Graph returns it
/// (<https://learn.microsoft.com/graph/api/user-list>).
pub(crate) const DEFAULT_SELECT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// A property by name, compared case-insensitively like OData's property resolution.
pub(crate) fn find(name: &str) -> Option<&'static UserProperty> {
    USER_PROPERTIES
        .iter()
        .find(|property| property.name.eq_ignore_ascii_case(name))
}

fn string(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |text| Value::from(text.as_str()))
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().map(|v| Value::from(v.as_str())).collect())
}

/// The value of `property` on `user`, as Graph returns it (empty values filled in).
pub(crate) fn get(user: &CloudUser, property: &UserProperty) -> Value {
    let stored = match property.name {
        "id" => Value::from(user.id.as_str()),
        "userPrincipalName" => string(user.user_principal_name.as_ref()),
        "displayName" => string(user.display_name.as_ref()),
        "givenName" => string(user.given_name.as_ref()),
        "surname" => string(user.surname.as_ref()),
        "mail" => string(user.mail.as_ref()),
        "mailNickname" => string(user.mail_nickname.as_ref()),
        "proxyAddresses" => strings(&user.proxy_addresses),
        "otherMails" => strings(&user.other_mails),
        "accountEnabled" => user.account_enabled.map_or(Value::Null, Value::from),
        "userType" => string(user.user_type.as_ref()),
        "createdDateTime" => string(user.created_date_time.as_ref()),
        "onPremisesImmutableId" => string(user.on_premises_immutable_id.as_ref()),
        "onPremisesSyncEnabled" => user
            .on_premises_sync_enabled
            .map_or(Value::Null, Value::from),
        "onPremisesSecurityIdentifier" => string(user.on_premises_security_identifier.as_ref()),
        "onPremisesDistinguishedName" => string(user.on_premises_distinguished_name.as_ref()),
        "onPremisesSamAccountName" => string(user.on_premises_sam_account_name.as_ref()),
        "onPremisesUserPrincipalName" => string(user.on_premises_user_principal_name.as_ref()),
        "onPremisesDomainName" => string(user.on_premises_domain_name.as_ref()),
        "onPremisesLastSyncDateTime" => string(user.on_premises_last_sync_date_time.as_ref()),
        "jobTitle" => string(user.job_title.as_ref()),
        "department" => string(user.department.as_ref()),
        "employeeId" => string(user.employee_id.as_ref()),
        "mobilePhone" => string(user.mobile_phone.as_ref()),
        "businessPhones" => strings(&user.business_phones),
        "officeLocation" => string(user.office_location.as_ref()),
        "usageLocation" => string(user.usage_location.as_ref()),
        // Graph never returns a password.
        "passwordProfile" => Value::Null,
        "onPremisesExtensionAttributes" => extension_attributes(user.other.get(property.name)),
        other => user.other.get(other).cloned().unwrap_or(Value::Null),
    };
    if stored.is_null() {
        property.empty_value()
    } else {
        stored
    }
}

/// `onPremisesExtensionAttributes` always carries all fifteen attributes, null where unset.
fn extension_attributes(stored: Option<&Value>) -> Value {
    let mut attributes = serde_json::Map::new();
    for number in 1..=15 {
        let name = format!("extensionAttribute{number}");
        let value = stored
            .and_then(|stored| stored.get(&name))
            .cloned()
            .unwrap_or(Value::Null);
        attributes.insert(name, value);
    }
    Value::Object(attributes)
}

fn to_string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn to_strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|values| values.iter().filter_map(to_string).collect())
        .unwrap_or_default()
}

/// Sets `property` on `user` to an already validated value.
pub(crate) fn set(user: &mut CloudUser, property: &UserProperty, value: &Value) {
    match property.name {
        "userPrincipalName" => user.user_principal_name = to_string(value),
        "displayName" => user.display_name = to_string(value),
        "givenName" => user.given_name = to_string(value),
        "surname" => user.surname = to_string(value),
        "mail" => user.mail = to_string(value),
        "mailNickname" => user.mail_nickname = to_string(value),
        "otherMails" => user.other_mails = to_strings(value),
        "accountEnabled" => user.account_enabled = value.as_bool(),
        "userType" => user.user_type = to_string(value),
        "onPremisesImmutableId" => user.on_premises_immutable_id = to_string(value),
        "jobTitle" => user.job_title = to_string(value),
        "department" => user.department = to_string(value),
        "employeeId" => user.employee_id = to_string(value),
        "mobilePhone" => user.mobile_phone = to_string(value),
        "businessPhones" => user.business_phones = to_strings(value),
        "officeLocation" => user.office_location = to_string(value),
        "usageLocation" => user.usage_location = to_string(value),
        // The password is checked and then forgotten, like Graph never returning it.
        "passwordProfile" => {}
        "onPremisesExtensionAttributes" => {
            // PATCH merges extension attributes one by one; null clears one.
            let mut merged = match user.other.get(property.name) {
                Some(Value::Object(existing)) => existing.clone(),
                _ => serde_json::Map::new(),
            };
            if let Value::Object(changes) = value {
                for (key, change) in changes {
                    merged.insert(key.clone(), change.clone());
                }
            }
            user.other
                .insert(property.name.to_owned(), Value::Object(merged));
        }
        other => {
            user.other.insert(other.to_owned(), value.clone());
        }
    }
}
