//! The properties of a Microsoft Graph `user` a sync writes: their names, what Graph accepts in them,
//! how their current value is read from a [`CloudUser`], and how two values are compared.
//!
//! Lengths and shapes are those of the Graph v1.0 `user` resource
//! (<https://learn.microsoft.com/graph/api/resources/user>) and of Microsoft Entra's user name policies
//! (<https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy#username-policies>).
//! A value that breaks them is an export error naming the property and the limit; it is never cut.
//!
//! **Comparison** follows what Graph stores: it keeps a value as written, so every text property is
//! compared case-sensitively (a display name changed from `yamada` to `Yamada` is a change to send),
//! except `userPrincipalName`, which Entra treats as case-insensitive everywhere (uniqueness, sign-in,
//! the `/users/{userPrincipalName}` key), so a change of case only is not worth a rename
//! (\[choice\]). An empty string and `null` are the same (Graph has no empty text values), and so are an
//! empty `businessPhones` and a missing one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::directory::ProfileAttribute;
use crate::engine::index::eq_folded;
use crate::tenant::{CloudUser, USER_SELECT};

/// A property of a Graph `user` that a sync writes. Declared in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// `accountEnabled`.
    AccountEnabled,
    /// `userPrincipalName`.
    UserPrincipalName,
    /// `onPremisesImmutableId`: the sourceAnchor, written when a user is created or joined, never after.
    OnPremisesImmutableId,
    /// `mailNickname`.
    MailNickname,
    /// `displayName`.
    DisplayName,
    /// `givenName`.
    GivenName,
    /// `surname`.
    Surname,
    /// `mail`.
    Mail,
    /// `jobTitle`.
    JobTitle,
    /// `department`.
    Department,
    /// `companyName`.
    CompanyName,
    /// `employeeId`.
    EmployeeId,
    /// `officeLocation`.
    OfficeLocation,
    /// `streetAddress`.
    StreetAddress,
    /// `city`.
    City,
    /// `state`.
    State,
    /// `postalCode`.
    PostalCode,
    /// `country`.
    Country,
    /// `usageLocation`.
    UsageLocation,
    /// `preferredLanguage`.
    PreferredLanguage,
    /// `businessPhones` (one value at most).
    BusinessPhones,
    /// `mobilePhone`.
    MobilePhone,
    /// `faxNumber`.
    FaxNumber,
    /// `onPremisesExtensionAttributes.extensionAttribute1`.
    ExtensionAttribute1,
    /// `onPremisesExtensionAttributes.extensionAttribute2`.
    ExtensionAttribute2,
    /// `onPremisesExtensionAttributes.extensionAttribute3`.
    ExtensionAttribute3,
    /// `onPremisesExtensionAttributes.extensionAttribute4`.
    ExtensionAttribute4,
    /// `onPremisesExtensionAttributes.extensionAttribute5`.
    ExtensionAttribute5,
    /// `onPremisesExtensionAttributes.extensionAttribute6`.
    ExtensionAttribute6,
    /// `onPremisesExtensionAttributes.extensionAttribute7`.
    ExtensionAttribute7,
    /// `onPremisesExtensionAttributes.extensionAttribute8`.
    ExtensionAttribute8,
    /// `onPremisesExtensionAttributes.extensionAttribute9`.
    ExtensionAttribute9,
    /// `onPremisesExtensionAttributes.extensionAttribute10`.
    ExtensionAttribute10,
    /// `onPremisesExtensionAttributes.extensionAttribute11`.
    ExtensionAttribute11,
    /// `onPremisesExtensionAttributes.extensionAttribute12`.
    ExtensionAttribute12,
    /// `onPremisesExtensionAttributes.extensionAttribute13`.
    ExtensionAttribute13,
    /// `onPremisesExtensionAttributes.extensionAttribute14`.
    ExtensionAttribute14,
    /// `onPremisesExtensionAttributes.extensionAttribute15`.
    ExtensionAttribute15,
}

/// The complex property that holds the fifteen extension attributes.
pub const EXTENSION_ATTRIBUTES: &str = "onPremisesExtensionAttributes";

/// What Graph accepts in a property besides its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Any text.
    Text,
    /// `true` or `false`.
    Boolean,
    /// A user principal name: `A-Z a-z 0-9 ' . - _ ! # ^ ~` before a single `@`, no `.` right before
    /// it, at most 64 characters before it and 48 after it.
    UserPrincipalName,
    /// An address without accents: ASCII, one `@`, nothing empty around it, no whitespace.
    Mail,
    /// A mail alias: ASCII without whitespace or any of `@ ( ) \ [ ] " ; : < > ,`.
    MailNickname,
    /// An ISO 3166-1 alpha-2 country code: two capital letters (`JP`).
    CountryCode,
    /// An RFC 4646 language tag: 2-3 letters, then `-` and 1-8 letters or digits, repeated (`ja-JP`).
    LanguageTag,
}

impl Property {
    /// Every property, in declaration order.
    pub const ALL: [Self; 38] = [
        Self::AccountEnabled,
        Self::UserPrincipalName,
        Self::OnPremisesImmutableId,
        Self::MailNickname,
        Self::DisplayName,
        Self::GivenName,
        Self::Surname,
        Self::Mail,
        Self::JobTitle,
        Self::Department,
        Self::CompanyName,
        Self::EmployeeId,
        Self::OfficeLocation,
        Self::StreetAddress,
        Self::City,
        Self::State,
        Self::PostalCode,
        Self::Country,
        Self::UsageLocation,
        Self::PreferredLanguage,
        Self::BusinessPhones,
        Self::MobilePhone,
        Self::FaxNumber,
        Self::ExtensionAttribute1,
        Self::ExtensionAttribute2,
        Self::ExtensionAttribute3,
        Self::ExtensionAttribute4,
        Self::ExtensionAttribute5,
        Self::ExtensionAttribute6,
        Self::ExtensionAttribute7,
        Self::ExtensionAttribute8,
        Self::ExtensionAttribute9,
        Self::ExtensionAttribute10,
        Self::ExtensionAttribute11,
        Self::ExtensionAttribute12,
        Self::ExtensionAttribute13,
        Self::ExtensionAttribute14,
        Self::ExtensionAttribute15,
    ];

    /// The Graph name; extension attributes are `onPremisesExtensionAttributes.extensionAttributeN`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccountEnabled => "accountEnabled",
            Self::UserPrincipalName => "userPrincipalName",
            Self::OnPremisesImmutableId => "onPremisesImmutableId",
            Self::MailNickname => "mailNickname",
            Self::DisplayName => "displayName",
            Self::GivenName => "givenName",
            Self::Surname => "surname",
            Self::Mail => "mail",
            Self::JobTitle => "jobTitle",
            Self::Department => "department",
            Self::CompanyName => "companyName",
            Self::EmployeeId => "employeeId",
            Self::OfficeLocation => "officeLocation",
            Self::StreetAddress => "streetAddress",
            Self::City => "city",
            Self::State => "state",
            Self::PostalCode => "postalCode",
            Self::Country => "country",
            Self::UsageLocation => "usageLocation",
            Self::PreferredLanguage => "preferredLanguage",
            Self::BusinessPhones => "businessPhones",
            Self::MobilePhone => "mobilePhone",
            Self::FaxNumber => "faxNumber",
            Self::ExtensionAttribute1 => "onPremisesExtensionAttributes.extensionAttribute1",
            Self::ExtensionAttribute2 => "onPremisesExtensionAttributes.extensionAttribute2",
            Self::ExtensionAttribute3 => "onPremisesExtensionAttributes.extensionAttribute3",
            Self::ExtensionAttribute4 => "onPremisesExtensionAttributes.extensionAttribute4",
            Self::ExtensionAttribute5 => "onPremisesExtensionAttributes.extensionAttribute5",
            Self::ExtensionAttribute6 => "onPremisesExtensionAttributes.extensionAttribute6",
            Self::ExtensionAttribute7 => "onPremisesExtensionAttributes.extensionAttribute7",
            Self::ExtensionAttribute8 => "onPremisesExtensionAttributes.extensionAttribute8",
            Self::ExtensionAttribute9 => "onPremisesExtensionAttributes.extensionAttribute9",
            Self::ExtensionAttribute10 => "onPremisesExtensionAttributes.extensionAttribute10",
            Self::ExtensionAttribute11 => "onPremisesExtensionAttributes.extensionAttribute11",
            Self::ExtensionAttribute12 => "onPremisesExtensionAttributes.extensionAttribute12",
            Self::ExtensionAttribute13 => "onPremisesExtensionAttributes.extensionAttribute13",
            Self::ExtensionAttribute14 => "onPremisesExtensionAttributes.extensionAttribute14",
            Self::ExtensionAttribute15 => "onPremisesExtensionAttributes.extensionAttribute15",
        }
    }

    /// The property a name designates: its Graph name (any case), or `extensionAttributeN` alone.
    pub fn from_name(name: &str) -> Option<Self> {
        let short = |property: &Self| property.name().rsplit('.').next().unwrap_or_default();
        Self::ALL.into_iter().find(|property| {
            property.name().eq_ignore_ascii_case(name) || short(property).eq_ignore_ascii_case(name)
        })
    }

    /// For `onPremisesExtensionAttributes.extensionAttributeN`: N.
    pub fn extension_number(self) -> Option<u8> {
        // The fifteen are declared last, in order: this runs for every property of every user.
        let offset = (self as usize).checked_sub(Self::ExtensionAttribute1 as usize)?;
        u8::try_from(offset + 1).ok()
    }

    /// The AD attribute an extension attribute flows from (`extensionAttributeN`).
    pub fn extension_source(self) -> Option<ProfileAttribute> {
        self.extension_number()
            .and_then(ProfileAttribute::extension)
    }

    /// The longest value Graph accepts, in UTF-16 code units (what .NET's `String.Length`, and so
    /// Entra, counts), when the documentation states one.
    pub fn max_length(self) -> Option<usize> {
        Some(match self {
            Self::DisplayName => 256,
            Self::GivenName
            | Self::Surname
            | Self::MailNickname
            | Self::Department
            | Self::CompanyName
            | Self::MobilePhone => 64,
            Self::JobTitle | Self::City | Self::State | Self::Country => 128,
            Self::PostalCode => 40,
            Self::StreetAddress => 1024,
            Self::EmployeeId => 16,
            Self::UserPrincipalName => 113,
            Self::UsageLocation => 2,
            _ if self.extension_number().is_some() => 1024,
            _ => return None,
        })
    }

    /// What Graph accepts in the property besides its length.
    pub fn shape(self) -> Shape {
        match self {
            Self::AccountEnabled => Shape::Boolean,
            Self::UserPrincipalName => Shape::UserPrincipalName,
            Self::Mail => Shape::Mail,
            Self::MailNickname => Shape::MailNickname,
            Self::UsageLocation => Shape::CountryCode,
            Self::PreferredLanguage => Shape::LanguageTag,
            _ => Shape::Text,
        }
    }

    /// Whether a new user must have it (`POST /users` refuses a body without it) and it cannot be
    /// cleared afterwards.
    pub fn is_required(self) -> bool {
        matches!(
            self,
            Self::AccountEnabled | Self::UserPrincipalName | Self::MailNickname | Self::DisplayName
        )
    }

    /// The property's value in a cloud user as read.
    pub fn current(self, user: &CloudUser) -> PropertyValue {
        self.current_ref(user).to_owned()
    }

    /// The value, borrowed: comparing a million users' properties copies nothing.
    fn current_ref(self, user: &CloudUser) -> ValueRef<'_> {
        match self {
            Self::AccountEnabled => user.account_enabled.map_or(ValueRef::Null, ValueRef::Bool),
            Self::UserPrincipalName => text(&user.user_principal_name),
            Self::OnPremisesImmutableId => text(&user.on_premises_immutable_id),
            Self::MailNickname => text(&user.mail_nickname),
            Self::DisplayName => text(&user.display_name),
            Self::GivenName => text(&user.given_name),
            Self::Surname => text(&user.surname),
            Self::Mail => text(&user.mail),
            Self::JobTitle => text(&user.job_title),
            Self::Department => text(&user.department),
            Self::EmployeeId => text(&user.employee_id),
            Self::OfficeLocation => text(&user.office_location),
            Self::UsageLocation => text(&user.usage_location),
            Self::MobilePhone => text(&user.mobile_phone),
            Self::BusinessPhones => ValueRef::List(&user.business_phones),
            Self::CompanyName
            | Self::StreetAddress
            | Self::City
            | Self::State
            | Self::PostalCode
            | Self::Country
            | Self::PreferredLanguage
            | Self::FaxNumber => json(user.other.get(self.name())),
            _ => {
                let key = self.name().rsplit('.').next().unwrap_or_default();
                json(
                    user.other
                        .get(EXTENSION_ATTRIBUTES)
                        .and_then(|attributes| attributes.get(key)),
                )
            }
        }
    }

    /// Writes a value into a cloud user as Graph would store it (a snapshot's view after a sync:
    /// rehearsals and tests).
    pub fn write(self, user: &mut CloudUser, value: &PropertyValue) {
        let text = value.as_text().map(str::to_owned);
        match self {
            Self::AccountEnabled => user.account_enabled = value.as_bool(),
            Self::UserPrincipalName => user.user_principal_name = text,
            Self::OnPremisesImmutableId => user.on_premises_immutable_id = text,
            Self::MailNickname => user.mail_nickname = text,
            Self::DisplayName => user.display_name = text,
            Self::GivenName => user.given_name = text,
            Self::Surname => user.surname = text,
            Self::Mail => user.mail = text,
            Self::JobTitle => user.job_title = text,
            Self::Department => user.department = text,
            Self::EmployeeId => user.employee_id = text,
            Self::OfficeLocation => user.office_location = text,
            Self::UsageLocation => user.usage_location = text,
            Self::MobilePhone => user.mobile_phone = text,
            Self::BusinessPhones => user.business_phones = value.as_list().to_vec(),
            Self::CompanyName
            | Self::StreetAddress
            | Self::City
            | Self::State
            | Self::PostalCode
            | Self::Country
            | Self::PreferredLanguage
            | Self::FaxNumber => {
                user.other.insert(self.name().to_owned(), value.to_json());
            }
            _ => {
                let key = self.name().rsplit('.').next().unwrap_or_default();
                let attributes = user
                    .other
                    .entry(EXTENSION_ATTRIBUTES)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !attributes.is_object() {
                    *attributes = Value::Object(Map::new());
                }
                if let Some(attributes) = attributes.as_object_mut() {
                    attributes.insert(key.to_owned(), value.to_json());
                }
            }
        }
    }

    /// Whether the value Graph holds is already `desired`, compared as Graph compares (module docs).
    pub fn holds(self, current: &PropertyValue, desired: &PropertyValue) -> bool {
        self.same(current.as_ref(), desired.as_ref())
    }

    /// Whether a cloud user already holds `desired` (as [`Property::holds`], without copying).
    pub fn held_by(self, user: &CloudUser, desired: &PropertyValue) -> bool {
        self.same(self.current_ref(user), desired.as_ref())
    }

    fn same(self, current: ValueRef<'_>, desired: ValueRef<'_>) -> bool {
        match (current.normalized(), desired.normalized()) {
            (ValueRef::Text(current), ValueRef::Text(desired))
                if self == Self::UserPrincipalName =>
            {
                eq_folded(current, desired)
            }
            (current, desired) => current == desired,
        }
    }
}

fn text(value: &Option<String>) -> ValueRef<'_> {
    value.as_deref().map_or(ValueRef::Null, ValueRef::Text)
}

fn json(value: Option<&Value>) -> ValueRef<'_> {
    match value {
        Some(Value::String(text)) => ValueRef::Text(text),
        Some(Value::Bool(value)) => ValueRef::Bool(*value),
        _ => ValueRef::Null,
    }
}

/// A [`PropertyValue`] borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueRef<'v> {
    Null,
    Bool(bool),
    Text(&'v str),
    List(&'v [String]),
}

impl ValueRef<'_> {
    /// One form per meaning: empty text and empty lists are null.
    fn normalized(self) -> Self {
        match self {
            Self::Text("") | Self::List([]) => Self::Null,
            other => other,
        }
    }

    fn to_owned(self) -> PropertyValue {
        match self {
            Self::Null => PropertyValue::Null,
            Self::Bool(value) => PropertyValue::Bool(value),
            Self::Text(text) => PropertyValue::Text(text.to_owned()),
            Self::List(items) => PropertyValue::List(items.to_vec()),
        }
    }
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Property {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Property {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown user property `{name}`")))
    }
}

/// The Graph properties a sync reads of every user: what `plan` reads, and every property the flow
/// writes. Graph returns most of them only when selected.
pub fn user_select() -> Vec<&'static str> {
    let mut select: Vec<&'static str> = USER_SELECT.to_vec();
    for property in Property::ALL {
        let name = if property.extension_number().is_some() {
            EXTENSION_ATTRIBUTES
        } else {
            property.name()
        };
        if !select.contains(&name) {
            select.push(name);
        }
    }
    select
}

/// A property value in Graph's JSON types.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    /// No value (JSON `null`).
    #[default]
    Null,
    /// `accountEnabled`.
    Bool(bool),
    /// A text property.
    Text(String),
    /// `businessPhones`.
    List(Vec<String>),
}

impl PropertyValue {
    /// Text, or `Null` for none.
    pub fn text(value: Option<String>) -> Self {
        value.map_or(Self::Null, Self::Text)
    }

    /// A value as Graph returned it in JSON (a string, a boolean, an array of strings, or null).
    pub fn from_json(value: Option<&Value>) -> Self {
        match value {
            Some(Value::String(text)) => Self::Text(text.clone()),
            Some(Value::Bool(value)) => Self::Bool(*value),
            Some(Value::Array(items)) => Self::List(
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => Self::Null,
        }
    }

    /// The value as Graph's JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(value) => Value::Bool(*value),
            Self::Text(text) => Value::String(text.clone()),
            Self::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        }
    }

    /// Whether there is no value (null, empty text, or an empty list).
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Bool(_) => false,
            Self::Text(text) => text.is_empty(),
            Self::List(items) => items.is_empty(),
        }
    }

    /// The text of a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) if !text.is_empty() => Some(text),
            _ => None,
        }
    }

    /// The boolean of a boolean value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The items of a list value (none otherwise).
    pub fn as_list(&self) -> &[String] {
        match self {
            Self::List(items) => items,
            _ => &[],
        }
    }

    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Self::Null => ValueRef::Null,
            Self::Bool(value) => ValueRef::Bool(*value),
            Self::Text(text) => ValueRef::Text(text),
            Self::List(items) => ValueRef::List(items),
        }
    }

    /// The value as one line of text: empty for null, items joined with `;` (as Export-Csv joins
    /// proxyAddresses).
    pub fn display(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Bool(value) => value.to_string(),
            Self::Text(text) => text.clone(),
            Self::List(items) => items.join(";"),
        }
    }
}

/// The JSON body of a `POST /users` or `PATCH /users/{id}` holding these values: extension attributes
/// nested in `onPremisesExtensionAttributes`, everything else under its Graph name.
pub fn graph_body<'v>(values: impl IntoIterator<Item = (Property, &'v PropertyValue)>) -> Value {
    let mut body = Map::new();
    for (property, value) in values {
        match property.name().split_once('.') {
            Some((complex, key)) => {
                let nested = body
                    .entry(complex)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(nested) = nested.as_object_mut() {
                    nested.insert(key.to_owned(), value.to_json());
                }
            }
            None => {
                body.insert(property.name().to_owned(), value.to_json());
            }
        }
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_short_extension_names_are_accepted() {
        for property in Property::ALL {
            assert_eq!(Property::from_name(property.name()), Some(property));
            let json = serde_json::to_string(&property).unwrap();
            assert_eq!(serde_json::from_str::<Property>(&json).unwrap(), property);
        }
        assert_eq!(
            Property::from_name("extensionAttribute7"),
            Some(Property::ExtensionAttribute7)
        );
        assert_eq!(Property::from_name("JOBTITLE"), Some(Property::JobTitle));
        assert_eq!(Property::from_name("proxyAddresses"), None);
        for property in Property::ALL {
            let number = property
                .name()
                .strip_prefix("onPremisesExtensionAttributes.extensionAttribute")
                .map(|n| n.parse::<u8>().unwrap());
            assert_eq!(property.extension_number(), number, "{property}");
        }
        assert_eq!(
            Property::ExtensionAttribute12.extension_source(),
            Some(ProfileAttribute::ExtensionAttribute12)
        );
        let mut sorted = Property::ALL;
        sorted.sort();
        assert_eq!(sorted, Property::ALL);
    }

    #[test]
    fn values_read_write_and_compare_as_graph_stores_them() {
        let mut user = CloudUser::default();
        for property in Property::ALL {
            assert_eq!(property.current(&user), {
                if property == Property::BusinessPhones {
                    PropertyValue::List(Vec::new())
                } else {
                    PropertyValue::Null
                }
            });
        }
        let values = [
            (Property::AccountEnabled, PropertyValue::Bool(false)),
            (Property::City, PropertyValue::Text("Tokyo".into())),
            (
                Property::BusinessPhones,
                PropertyValue::List(vec!["+81 3".into()]),
            ),
            (
                Property::ExtensionAttribute3,
                PropertyValue::Text("x3".into()),
            ),
            (Property::JobTitle, PropertyValue::Text("Engineer".into())),
        ];
        for (property, value) in &values {
            property.write(&mut user, value);
            assert_eq!(&property.current(&user), value, "{property}");
        }
        assert_eq!(
            user.other[EXTENSION_ATTRIBUTES],
            serde_json::json!({"extensionAttribute3": "x3"})
        );
        let body = graph_body(values.iter().map(|(p, v)| (*p, v)));
        assert_eq!(
            body,
            serde_json::json!({"accountEnabled": false, "city": "Tokyo", "businessPhones": ["+81 3"],
                "onPremisesExtensionAttributes": {"extensionAttribute3": "x3"}, "jobTitle": "Engineer"})
        );

        let text = |t: &str| PropertyValue::Text(t.into());
        assert!(
            Property::UserPrincipalName.holds(&text("Taro@Contoso.com"), &text("taro@contoso.com"))
        );
        assert!(!Property::DisplayName.holds(&text("yamada"), &text("Yamada")));
        assert!(Property::Department.holds(&text(""), &PropertyValue::Null));
        assert!(Property::BusinessPhones.holds(&PropertyValue::Null, &PropertyValue::List(vec![])));
        assert!(!Property::AccountEnabled.holds(&PropertyValue::Null, &PropertyValue::Bool(true)));
    }

    #[test]
    fn the_select_list_holds_every_flow_property_once() {
        let select = user_select();
        for name in [
            "companyName",
            "faxNumber",
            EXTENSION_ATTRIBUTES,
            "userPrincipalName",
            "id",
        ] {
            assert_eq!(select.iter().filter(|n| **n == name).count(), 1, "{name}");
        }
        assert!(!select.iter().any(|name| name.contains('.')));
    }
}
