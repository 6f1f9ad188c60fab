//! The attribute flow: what each cloud property should hold for an on-premises user.
//!
//! The default rules are Entra Connect's out-of-box user rules ("In from AD - User Common", "User
//! Exchange", "Out to AAD - User Identity" and the workload rules) for every property an app may write
//! through Graph:
//!
//! | property | from AD | rule |
//! |---|---|---|
//! | accountEnabled | userAccountControl | bit 2 (ACCOUNTDISABLE) clear |
//! | userPrincipalName | userPrincipalName | sAMAccountName@AD domain when empty; a suffix that is not a verified domain becomes `<mailNickname>@<initial domain>`, as Entra does ([`predict_upn`]) |
//! | mailNickname | mailNickname | as it is; when empty, the nickname Entra would compute is set at creation only (Entra keeps it afterwards) |
//! | displayName | displayName | `cn` when empty |
//! | givenName, surname, mail | givenName, sn, mail | `Trim()` |
//! | jobTitle, department, companyName, officeLocation | title, department, company, physicalDeliveryOfficeName | `Trim()` |
//! | streetAddress, city, state, postalCode, country | streetAddress, l, st, postalCode, co | `Trim()` |
//! | businessPhones, mobilePhone, faxNumber | \[telephoneNumber\], mobile, facsimileTelephoneNumber | `Trim()` |
//! | preferredLanguage | preferredLanguage | `Trim()` |
//! | employeeId | employeeID | as it is |
//! | onPremisesExtensionAttributes.extensionAttribute1-15 | extensionAttribute1-15 | `Trim()`, only for users with a mailNickname (Connect's "User Exchange" rule scope) |
//! | usageLocation | `[sync].usage_location_attribute` | else `[sync].usage_location`; not managed when neither is set (Connect does not flow it) |
//!
//! `proxyAddresses` is read-only in Graph: it is compared and reported, never written. An override
//! (`[sync.attributes]`, [`super::mapping`]) replaces a property's rule; the UPN rewrite to the initial
//! domain still applies to an overridden UPN, because it is Entra's rule, not Connect's. A required
//! property (`accountEnabled`, `userPrincipalName`, `mailNickname`, `displayName`) that is not managed
//! still gets its default value when the user is created, since Graph refuses a user without it.
//!
//! Every value is checked against Graph's limits here; a value that breaks them becomes an export error
//! naming the property and the limit, never a shortened value.

use std::borrow::Cow;

use crate::directory::{OnPremUser, ProfileAttribute, trim};
use crate::engine::upn::{
    UpnSource, address_prefix, mail_nickname, predict_exported_upn, predict_upn,
};
use crate::tenant::TenantSnapshot;

use super::mapping::{Mapping, Placeholder, SourceProblem};
use super::property::{Property, PropertyValue, Shape};
use super::settings::SyncSettings;

/// When a desired value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Managed {
    /// On creation and whenever the cloud value differs.
    Always,
    /// Only when the user is created.
    OnCreate,
}

/// One property's desired value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredValue {
    /// The property.
    pub property: Property,
    /// Its value (`Null`: the cloud value is cleared).
    pub value: PropertyValue,
    /// When it is written.
    pub managed: Managed,
}

/// A value that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The property.
    pub property: Property,
    /// What is wrong.
    pub problem: ValueProblem,
    /// Whether it matters only when the user is created.
    pub managed: Managed,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueProblem {
    /// The AD attribute cannot be read as one text value.
    Source(SourceProblem),
    /// Longer than Graph accepts (UTF-16 code units).
    TooLong {
        /// The limit.
        limit: usize,
        /// The value's length.
        length: usize,
    },
    /// A userPrincipalName part longer than Graph accepts.
    UpnPartTooLong {
        /// `before` or `after` the `@`.
        part: &'static str,
        /// The limit.
        limit: usize,
        /// The part's length.
        length: usize,
    },
    /// Not of the property's shape.
    Malformed {
        /// The value.
        value: String,
        /// The shape it breaks.
        shape: Shape,
    },
    /// `accountEnabled` made from text other than `true` or `false`.
    NotBoolean {
        /// The text.
        value: String,
    },
    /// A required property has no value.
    Missing(MissingValue),
}

/// Why a required property has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingValue {
    /// Its rule found nothing (displayName and cn empty, an override that gives nothing...).
    Empty,
    /// No userPrincipalName and no sAMAccountName.
    NoUpnSource,
    /// The UPN must become `<mailNickname>@<initial domain>`, and there is no nickname or no initial
    /// domain in the snapshot.
    NoRewrite,
}

impl Shape {
    /// The rule, as a report states it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Boolean => "true or false",
            Self::UserPrincipalName => {
                "A-Z a-z 0-9 ' . - _ ! # ^ ~ before a single @, no . right before it, and a domain of \
                 letters, digits, . and -"
            }
            Self::Mail => {
                "an address without accents or whitespace: ASCII, one @, text on both sides"
            }
            Self::MailNickname => "ASCII without whitespace or any of @ ( ) \\ [ ] \" ; : < > ,",
            Self::CountryCode => "an ISO 3166-1 alpha-2 code: two capital letters such as JP",
            Self::LanguageTag => "an RFC 4646 language tag such as ja-JP",
        }
    }

    /// Whether a value has this shape.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Self::Text => true,
            Self::Boolean => value == "true" || value == "false",
            Self::UserPrincipalName => {
                let Some((local, domain)) = value.split_once('@') else {
                    return false;
                };
                let local_ok = !local.is_empty()
                    && !local.ends_with('.')
                    && local
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c));
                let domain_ok = !domain.is_empty()
                    && domain
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                local_ok && domain_ok
            }
            Self::Mail => {
                value.is_ascii()
                    && !value
                        .chars()
                        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
                    && value.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                    })
            }
            Self::MailNickname => {
                value.is_ascii()
                    && !value.chars().any(|c| {
                        c.is_ascii_whitespace()
                            || c.is_ascii_control()
                            || "@()\\[]\";:<>,".contains(c)
                    })
            }
            Self::CountryCode => value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()),
            Self::LanguageTag => {
                let mut subtags = value.split('-');
                let primary = subtags.next().unwrap_or_default();
                (2..=3).contains(&primary.len())
                    && primary.bytes().all(|b| b.is_ascii_alphabetic())
                    && subtags.all(|subtag| {
                        (1..=8).contains(&subtag.len())
                            && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
            }
        }
    }
}

impl ValueError {
    /// The limit a value breaks, for reports (`64` for a too-long surname).
    pub fn limit(&self) -> Option<usize> {
        match &self.problem {
            ValueProblem::TooLong { limit, .. } | ValueProblem::UpnPartTooLong { limit, .. } => {
                Some(*limit)
            }
            _ => None,
        }
    }

    /// The sentence a report shows.
    pub fn message(&self) -> String {
        let property = self.property;
        match &self.problem {
            ValueProblem::Source(SourceProblem::MultiValued { attribute, count }) => {
                format!("{property}: `{attribute}` has {count} values, and {property} takes one.")
            }
            ValueProblem::Source(SourceProblem::NotText { attribute }) => {
                format!("{property}: `{attribute}` holds bytes that are not UTF-8 text.")
            }
            ValueProblem::TooLong { limit, length } => format!(
                "{property} is {length} characters long; Microsoft Graph accepts at most {limit}. \
                 Shorten it in AD (anchorsync never cuts a value)."
            ),
            ValueProblem::UpnPartTooLong {
                part,
                limit,
                length,
            } => format!(
                "{property}: the part {part} the @ is {length} characters long; Microsoft Entra \
                 accepts at most {limit}."
            ),
            ValueProblem::Malformed { value, shape } => format!(
                "{property} `{value}` is refused by Microsoft Graph: it must be {}.",
                shape.describe()
            ),
            ValueProblem::NotBoolean { value } => {
                format!("{property}: `{value}` is neither true nor false.")
            }
            ValueProblem::Missing(MissingValue::Empty) => format!(
                "{property} is required by Microsoft Graph, and its rule gives no value for this user."
            ),
            ValueProblem::Missing(MissingValue::NoUpnSource) => format!(
                "{property} is required: the user has neither userPrincipalName nor sAMAccountName \
                 (Entra Connect's rule fails with AccountName is not present)."
            ),
            ValueProblem::Missing(MissingValue::NoRewrite) => format!(
                "{property}: the suffix is not a verified domain, and `<mailNickname>@<initial domain>` \
                 cannot be made (no mailNickname source, or no initial domain in the snapshot)."
            ),
        }
    }
}

/// The desired state of one user: every managed property's value, and the values that cannot be
/// written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredUser {
    /// Sorted by property.
    pub values: Vec<DesiredValue>,
    /// The problems, sorted by property.
    pub problems: Vec<ValueError>,
}

impl DesiredUser {
    /// The desired value of a property.
    pub fn get(&self, property: Property) -> Option<&DesiredValue> {
        self.values.iter().find(|value| value.property == property)
    }
}

/// What a rule gives.
enum Flowed {
    Value(PropertyValue, Managed),
    NotManaged,
}

/// The flow for a tenant and settings.
#[derive(Debug, Clone, Copy)]
pub struct AttributeFlow<'s> {
    settings: &'s SyncSettings,
    tenant: &'s TenantSnapshot,
}

impl<'s> AttributeFlow<'s> {
    /// The flow of these settings into this tenant (its domains decide the UPN rewrite).
    pub fn new(settings: &'s SyncSettings, tenant: &'s TenantSnapshot) -> Self {
        Self { settings, tenant }
    }

    /// The desired state of a user (without `onPremisesImmutableId`, which the sourceAnchor gives).
    pub fn desired(&self, user: &OnPremUser) -> DesiredUser {
        let mut desired = DesiredUser::default();
        for property in Property::ALL {
            if property == Property::OnPremisesImmutableId {
                continue;
            }
            let mapping = self.settings.attributes.get(property);
            let flowed = match mapping {
                Mapping::Default => self.default_rule(property, user),
                Mapping::NotManaged if property.is_required() => self
                    .default_rule(property, user)
                    .map(|flowed| match flowed {
                        Flowed::Value(value, _) => Flowed::Value(value, Managed::OnCreate),
                        Flowed::NotManaged => Flowed::NotManaged,
                    }),
                Mapping::NotManaged => Ok(Flowed::NotManaged),
                mapping => self.override_rule(property, mapping, user),
            };
            match flowed {
                Ok(Flowed::Value(value, managed)) => {
                    match check(property, &value) {
                        Some(problem) => desired.problems.push(ValueError {
                            property,
                            problem,
                            managed,
                        }),
                        None if value.is_empty() && property.is_required() => {
                            desired.problems.push(ValueError {
                                property,
                                problem: ValueProblem::Missing(MissingValue::Empty),
                                managed,
                            });
                        }
                        None => {}
                    }
                    desired.values.push(DesiredValue {
                        property,
                        value,
                        managed,
                    });
                }
                Ok(Flowed::NotManaged) => {}
                Err((problem, managed)) => desired.problems.push(ValueError {
                    property,
                    problem,
                    managed,
                }),
            }
        }
        desired
    }

    /// Entra Connect's out-of-box rule (module docs).
    fn default_rule(
        &self,
        property: Property,
        user: &OnPremUser,
    ) -> Result<Flowed, (ValueProblem, Managed)> {
        let managed = |value: PropertyValue| Ok(Flowed::Value(value, Managed::Always));
        let trimmed = |value: Option<&str>| {
            PropertyValue::text(value.map(trim).filter(|v| !v.is_empty()).map(str::to_owned))
        };
        let profile = |attribute: ProfileAttribute| trimmed(user.profile(attribute));
        match property {
            Property::AccountEnabled => managed(PropertyValue::Bool(!user.is_disabled())),
            Property::UserPrincipalName => {
                let prediction = predict_upn(user, self.tenant);
                match prediction.value {
                    Some(upn) => managed(PropertyValue::Text(upn.into_owned())),
                    None => {
                        let why = if prediction.source == UpnSource::Missing {
                            MissingValue::NoUpnSource
                        } else {
                            MissingValue::NoRewrite
                        };
                        Err((ValueProblem::Missing(why), Managed::Always))
                    }
                }
            }
            Property::MailNickname => match present(user.mail_nickname.as_deref()) {
                Some(nickname) => managed(PropertyValue::Text(nickname.to_owned())),
                None => {
                    // Entra computes one on the first export and keeps it (<https://learn.microsoft.com/entra/identity/hybrid/connect/howto-connect-sync-technical-concepts>, docs/rules.md §4).
                    let prediction = predict_upn(user, self.tenant);
                    let upn_prefix = match &prediction.exported {
                        Some(Cow::Borrowed(upn)) => address_prefix(upn),
                        Some(Cow::Owned(_)) => user.sam_account_name.as_deref(),
                        None => None,
                    };
                    let nickname = mail_nickname(user, upn_prefix).map(|(n, _)| n.to_owned());
                    Ok(Flowed::Value(
                        PropertyValue::text(nickname),
                        Managed::OnCreate,
                    ))
                }
            },
            Property::DisplayName => managed(PropertyValue::text(
                present(user.display_name.as_deref())
                    .or_else(|| present(user.profile(ProfileAttribute::Cn)))
                    .map(str::to_owned),
            )),
            Property::GivenName => managed(trimmed(user.given_name.as_deref())),
            Property::Surname => managed(trimmed(user.surname.as_deref())),
            Property::Mail => managed(trimmed(user.mail.as_deref())),
            Property::JobTitle => managed(trimmed(user.title.as_deref())),
            Property::Department => managed(trimmed(user.department.as_deref())),
            Property::CompanyName => managed(profile(ProfileAttribute::Company)),
            Property::EmployeeId => managed(PropertyValue::text(
                present(user.employee_id.as_deref()).map(str::to_owned),
            )),
            Property::OfficeLocation => managed(trimmed(user.office.as_deref())),
            Property::StreetAddress => managed(profile(ProfileAttribute::StreetAddress)),
            Property::City => managed(profile(ProfileAttribute::L)),
            Property::State => managed(profile(ProfileAttribute::St)),
            Property::PostalCode => managed(profile(ProfileAttribute::PostalCode)),
            Property::Country => managed(profile(ProfileAttribute::Co)),
            Property::PreferredLanguage => managed(profile(ProfileAttribute::PreferredLanguage)),
            Property::BusinessPhones => managed(PropertyValue::List(
                trimmed(user.telephone_number.as_deref())
                    .as_text()
                    .map(|phone| vec![phone.to_owned()])
                    .unwrap_or_default(),
            )),
            Property::MobilePhone => managed(trimmed(user.mobile.as_deref())),
            Property::FaxNumber => managed(profile(ProfileAttribute::FacsimileTelephoneNumber)),
            Property::UsageLocation => {
                let from_attribute = match &self.settings.usage_location_attribute {
                    Some(attribute) => Placeholder {
                        attribute: attribute.clone(),
                        transforms: Vec::new(),
                    }
                    .value(user)
                    .map_err(|problem| (ValueProblem::Source(problem), Managed::Always))?
                    .map(|value| trim(&value).to_owned())
                    .filter(|value| !value.is_empty()),
                    None => None,
                };
                match from_attribute.or_else(|| self.settings.usage_location.clone()) {
                    Some(location) => managed(PropertyValue::Text(location)),
                    None => Ok(Flowed::NotManaged),
                }
            }
            Property::OnPremisesImmutableId => Ok(Flowed::NotManaged),
            _ => {
                // extensionAttribute1-15 flow through Connect's "User Exchange" rule, whose scope is
                // users with a mailNickname.
                let source = property.extension_source();
                match (source, present(user.mail_nickname.as_deref())) {
                    (Some(attribute), Some(_)) => managed(profile(attribute)),
                    _ => Ok(Flowed::NotManaged),
                }
            }
        }
    }

    /// An override's value, in the property's type.
    fn override_rule(
        &self,
        property: Property,
        mapping: &Mapping,
        user: &OnPremUser,
    ) -> Result<Flowed, (ValueProblem, Managed)> {
        let text = mapping
            .evaluate(user)
            .map_err(|problem| (ValueProblem::Source(problem), Managed::Always))?;
        let value = match property {
            Property::AccountEnabled => match text {
                None => PropertyValue::Null,
                Some(text) if text.eq_ignore_ascii_case("true") => PropertyValue::Bool(true),
                Some(text) if text.eq_ignore_ascii_case("false") => PropertyValue::Bool(false),
                Some(value) => {
                    return Err((ValueProblem::NotBoolean { value }, Managed::Always));
                }
            },
            Property::BusinessPhones => PropertyValue::List(text.into_iter().collect()),
            Property::UserPrincipalName => match text {
                None => PropertyValue::Null,
                Some(text) => {
                    let prediction = predict_exported_upn(
                        user,
                        Cow::Borrowed(text.as_str()),
                        UpnSource::UserPrincipalName,
                        self.tenant,
                    );
                    match prediction.value {
                        Some(upn) => PropertyValue::Text(upn.into_owned()),
                        None => {
                            return Err((
                                ValueProblem::Missing(MissingValue::NoRewrite),
                                Managed::Always,
                            ));
                        }
                    }
                }
            },
            _ => PropertyValue::text(text),
        };
        Ok(Flowed::Value(value, Managed::Always))
    }
}

/// A value that is there and not empty.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.is_empty())
}

/// Graph's limits and shapes for a value (`None`: acceptable).
pub fn check(property: Property, value: &PropertyValue) -> Option<ValueProblem> {
    let text = value.as_text()?;
    let length = text.encode_utf16().count();
    if let Some(limit) = property.max_length()
        && length > limit
    {
        return Some(ValueProblem::TooLong { limit, length });
    }
    if property == Property::UserPrincipalName
        && let Some((local, domain)) = text.split_once('@')
    {
        for (part, value, limit) in [("before", local, 64), ("after", domain, 48)] {
            let length = value.encode_utf16().count();
            if length > limit {
                return Some(ValueProblem::UpnPartTooLong {
                    part,
                    limit,
                    length,
                });
            }
        }
    }
    let shape = property.shape();
    (!shape.accepts(text)).then(|| ValueProblem::Malformed {
        value: text.to_owned(),
        shape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::DirectoryEntry;
    use crate::tenant::Domain;

    fn tenant() -> TenantSnapshot {
        TenantSnapshot {
            domains: vec![
                Domain {
                    id: "contoso.onmicrosoft.com".into(),
                    is_initial: true,
                    is_verified: true,
                    ..Domain::default()
                },
                Domain {
                    id: "contoso.com".into(),
                    is_verified: true,
                    ..Domain::default()
                },
            ],
            ..TenantSnapshot::default()
        }
    }

    fn user(attributes: &[(&str, &str)]) -> OnPremUser {
        let mut entry = DirectoryEntry::new("CN=Taro Yamada,OU=Tokyo,DC=corp,DC=contoso,DC=com");
        for (name, value) in attributes {
            entry.push(name, value.as_bytes());
        }
        OnPremUser::from_entry(entry).unwrap()
    }

    fn desired(settings: &SyncSettings, user: &OnPremUser) -> DesiredUser {
        let tenant = tenant();
        AttributeFlow::new(settings, &tenant).desired(user)
    }

    fn value(desired: &DesiredUser, property: Property) -> Option<&PropertyValue> {
        desired.get(property).map(|value| &value.value)
    }

    fn text(value: &str) -> PropertyValue {
        PropertyValue::Text(value.into())
    }

    #[test]
    fn default_flow_is_entra_connects() {
        let user = user(&[
            ("userPrincipalName", "taro@contoso.com"),
            ("sAMAccountName", "taro"),
            ("userAccountControl", "514"),
            ("cn", "Taro Yamada"),
            ("givenName", "  Taro "),
            ("sn", "Yamada"),
            ("mail", "taro@contoso.com "),
            ("mailNickname", "taro"),
            ("title", "Engineer"),
            ("company", "Contoso"),
            ("physicalDeliveryOfficeName", "Tokyo HQ"),
            ("l", "Chiyoda"),
            ("st", "Tokyo"),
            ("co", "Japan"),
            ("c", "JP"),
            ("postalCode", "100-0005"),
            ("streetAddress", "1-1 Marunouchi"),
            ("telephoneNumber", " +81 3 1234 5678 "),
            ("mobile", "+81 90 1234 5678"),
            ("facsimileTelephoneNumber", "+81 3 1234 5679"),
            ("preferredLanguage", "ja-JP"),
            ("employeeID", "E0001"),
            ("extensionAttribute3", " x3 "),
        ]);
        let desired = desired(&SyncSettings::default(), &user);
        assert!(desired.problems.is_empty(), "{:?}", desired.problems);
        let expected = [
            (Property::AccountEnabled, PropertyValue::Bool(false)),
            (Property::UserPrincipalName, text("taro@contoso.com")),
            (Property::MailNickname, text("taro")),
            (Property::DisplayName, text("Taro Yamada")),
            (Property::GivenName, text("Taro")),
            (Property::Surname, text("Yamada")),
            (Property::Mail, text("taro@contoso.com")),
            (Property::JobTitle, text("Engineer")),
            (Property::Department, PropertyValue::Null),
            (Property::CompanyName, text("Contoso")),
            (Property::EmployeeId, text("E0001")),
            (Property::OfficeLocation, text("Tokyo HQ")),
            (Property::StreetAddress, text("1-1 Marunouchi")),
            (Property::City, text("Chiyoda")),
            (Property::State, text("Tokyo")),
            (Property::PostalCode, text("100-0005")),
            (Property::Country, text("Japan")),
            (Property::PreferredLanguage, text("ja-JP")),
            (
                Property::BusinessPhones,
                PropertyValue::List(vec!["+81 3 1234 5678".into()]),
            ),
            (Property::MobilePhone, text("+81 90 1234 5678")),
            (Property::FaxNumber, text("+81 3 1234 5679")),
            (Property::ExtensionAttribute1, PropertyValue::Null),
            (Property::ExtensionAttribute3, text("x3")),
        ];
        for (property, expected) in expected {
            assert_eq!(value(&desired, property), Some(&expected), "{property}");
            assert_eq!(desired.get(property).unwrap().managed, Managed::Always);
        }
        assert_eq!(
            value(&desired, Property::UsageLocation),
            None,
            "not managed"
        );
        assert_eq!(value(&desired, Property::OnPremisesImmutableId), None);
    }

    #[test]
    fn fallbacks_cn_sam_account_name_and_nickname() {
        let user = user(&[
            ("sAMAccountName", "taro"),
            ("cn", "Taro Yamada"),
            ("proxyAddresses", "SMTP:taro.yamada@contoso.com"),
            ("extensionAttribute1", "x1"),
        ]);
        let desired = desired(&SyncSettings::default(), &user);
        // sAMAccountName@corp.contoso.com is not verified: <mailNickname>@<initial domain>.
        assert_eq!(
            value(&desired, Property::UserPrincipalName),
            Some(&text("taro.yamada@contoso.onmicrosoft.com"))
        );
        assert_eq!(
            value(&desired, Property::DisplayName),
            Some(&text("Taro Yamada"))
        );
        let nickname = desired.get(Property::MailNickname).unwrap();
        assert_eq!(
            (&nickname.value, nickname.managed),
            (&text("taro.yamada"), Managed::OnCreate)
        );
        assert_eq!(
            value(&desired, Property::ExtensionAttribute1),
            None,
            "no mailNickname: Connect's User Exchange rule does not apply"
        );
        assert_eq!(
            value(&desired, Property::AccountEnabled),
            Some(&PropertyValue::Bool(true))
        );
    }

    #[test]
    fn overrides_and_usage_location() {
        let mut settings = SyncSettings {
            usage_location_attribute: Some("c".into()),
            usage_location: Some("US".into()),
            ..SyncSettings::default()
        };
        for (key, value) in [
            ("displayName", "{sn} {givenName}"),
            ("mail", "{mail|lower}"),
            ("userPrincipalName", "{mail|lower}"),
            ("companyName", "Contoso Ltd"),
        ] {
            settings.attributes.insert(key, Some(value)).unwrap();
        }
        settings.attributes.insert("jobTitle", None).unwrap();
        settings.attributes.insert("mailNickname", None).unwrap();
        let user = user(&[
            ("givenName", "Taro"),
            ("sn", "Yamada"),
            ("mail", "Taro@Contoso.com"),
            ("title", "Engineer"),
            ("mailNickname", "taro"),
            ("c", "JP"),
        ]);
        let desired = desired(&settings, &user);
        assert_eq!(
            value(&desired, Property::DisplayName),
            Some(&text("Yamada Taro"))
        );
        assert_eq!(
            value(&desired, Property::Mail),
            Some(&text("taro@contoso.com"))
        );
        assert_eq!(
            value(&desired, Property::UserPrincipalName),
            Some(&text("taro@contoso.com"))
        );
        assert_eq!(
            value(&desired, Property::CompanyName),
            Some(&text("Contoso Ltd"))
        );
        assert_eq!(value(&desired, Property::JobTitle), None, "not managed");
        assert_eq!(
            desired.get(Property::MailNickname).map(|v| v.managed),
            Some(Managed::OnCreate),
            "required: still set when created"
        );
        assert_eq!(value(&desired, Property::UsageLocation), Some(&text("JP")));
        let without_c = self::user(&[("sAMAccountName", "x")]);
        assert_eq!(
            value(
                &AttributeFlow::new(&settings, &tenant()).desired(&without_c),
                Property::UsageLocation
            ),
            Some(&text("US"))
        );
    }

    #[test]
    fn values_are_checked_on_both_sides_of_every_limit() {
        let limited: Vec<Property> = Property::ALL
            .into_iter()
            .filter(|p| p.max_length().is_some() && p.shape() == Shape::Text)
            .collect();
        assert!(limited.len() >= 12, "{limited:?}");
        for property in limited {
            let limit = property.max_length().unwrap();
            // Japanese text: one UTF-16 unit per character.
            assert_eq!(
                check(property, &text(&"あ".repeat(limit))),
                None,
                "{property}"
            );
            assert_eq!(
                check(property, &text(&"あ".repeat(limit + 1))),
                Some(ValueProblem::TooLong {
                    limit,
                    length: limit + 1
                }),
                "{property}"
            );
        }
        // Characters outside the BMP count twice, as in .NET.
        assert!(check(Property::EmployeeId, &text(&"😀".repeat(8))).is_none());
        assert!(check(Property::EmployeeId, &text(&format!("{}a", "😀".repeat(8)))).is_some());

        let upn = |local: usize, domain: usize| {
            text(&format!(
                "{}@{}.com",
                "a".repeat(local),
                "b".repeat(domain - 4)
            ))
        };
        assert_eq!(check(Property::UserPrincipalName, &upn(64, 48)), None);
        assert_eq!(
            check(Property::UserPrincipalName, &upn(65, 40)),
            Some(ValueProblem::UpnPartTooLong {
                part: "before",
                limit: 64,
                length: 65
            })
        );
        assert_eq!(
            check(Property::UserPrincipalName, &upn(10, 49)),
            Some(ValueProblem::UpnPartTooLong {
                part: "after",
                limit: 48,
                length: 49
            })
        );
        assert_eq!(check(Property::UsageLocation, &text("JP")), None);
        for (property, bad) in [
            (Property::UsageLocation, "jp"),
            (Property::UserPrincipalName, "taro.@contoso.com"),
            (Property::UserPrincipalName, "tarō@contoso.com"),
            (Property::Mail, "tarō@contoso.com"),
            (Property::Mail, "taro contoso.com"),
            (Property::MailNickname, "taro,yamada"),
            (Property::PreferredLanguage, "Japanese"),
        ] {
            assert!(
                matches!(
                    check(property, &text(bad)),
                    Some(ValueProblem::Malformed { .. })
                ),
                "{property} {bad}"
            );
        }
        assert_eq!(
            check(Property::PreferredLanguage, &text("zh-Hant-TW")),
            None
        );
        assert_eq!(check(Property::MailNickname, &text("taro.yamada")), None);
    }

    #[test]
    fn problems_name_the_property_and_limit() {
        let long = "x".repeat(65);
        let user = user(&[
            ("userPrincipalName", "taro@contoso.com"),
            ("mailNickname", "taro"),
            ("displayName", "Taro"),
            ("sn", long.as_str()),
        ]);
        let desired = desired(&SyncSettings::default(), &user);
        let [problem] = desired.problems.as_slice() else {
            panic!("{:?}", desired.problems)
        };
        assert_eq!(problem.property, Property::Surname);
        assert_eq!(problem.limit(), Some(64));
        assert_eq!(
            problem.message(),
            "surname is 65 characters long; Microsoft Graph accepts at most 64. Shorten it in AD \
             (anchorsync never cuts a value)."
        );

        let nobody = self::user(&[]);
        let desired = self::desired(&SyncSettings::default(), &nobody);
        let missing: Vec<Property> = desired.problems.iter().map(|p| p.property).collect();
        assert_eq!(
            missing,
            [
                Property::UserPrincipalName,
                Property::MailNickname,
                Property::DisplayName
            ]
        );
    }
}
