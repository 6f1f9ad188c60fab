//! The `[sync]` settings: what happens to users who leave, the deletion guard, the anchor writeback, the
//! usage location and the attribute overrides.
//!
//! ```toml
//! [sync]
//! leaving = "disable"              # disable (default) | delete | keep
//! max_deletions = 500              # Entra Connect's accidental-delete threshold
//! max_deletion_percent = 10        # of the users this engine manages (HENNGE's guard)
//! anchor_writeback = true          # write objectGUID into an empty mS-DS-ConsistencyGuid
//! usage_location_attribute = "c"   # usageLocation from this AD attribute...
//! usage_location = "JP"            # ...or this default
//!
//! [sync.attributes]
//! displayName = "{givenName} {sn}"
//! mail = "{mail|lower}"
//! officeLocation = false           # not managed
//! ```
//!
//! Unknown keys are refused by name (`deny_unknown_fields`), and an override that cannot be read names
//! its key.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::mapping::{Mapping, TemplateError, is_attribute_name};
use super::property::{Property, Shape};

/// What a sync does to a cloud user whose AD user has left the scope (deleted, or moved out of the
/// OUs or filter read). Only users this engine created or joined are ever touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum LeavingPolicy {
    /// `accountEnabled: false` (the default: reversible at once).
    #[default]
    Disable,
    /// Delete: the user goes to deleted items, restorable for 30 days.
    Delete,
    /// Leave the cloud user as it is.
    Keep,
}

impl LeavingPolicy {
    /// The name in settings and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Delete => "delete",
            Self::Keep => "keep",
        }
    }
}

/// Entra Connect's default accidental-delete threshold.
pub const DEFAULT_MAX_DELETIONS: usize = 500;

/// The default share of managed users a run may disable or delete, in percent.
pub const DEFAULT_MAX_DELETION_PERCENT: u32 = 10;

/// The `[sync]` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// What happens to users who leave the scope.
    #[serde(default)]
    pub leaving: LeavingPolicy,
    /// A run that would disable or delete more users than this is refused as a whole.
    #[serde(default = "default_max_deletions")]
    pub max_deletions: usize,
    /// A run that would disable or delete more than this percentage of the users this engine
    /// manages is refused as a whole (0 to 100).
    #[serde(default = "default_max_deletion_percent", deserialize_with = "percent")]
    pub max_deletion_percent: u32,
    /// Write the anchor value back to an empty `mS-DS-ConsistencyGuid`, as Entra Connect does.
    #[serde(default = "enabled")]
    pub anchor_writeback: bool,
    /// The AD attribute usageLocation comes from (`c`, for example).
    #[serde(default, deserialize_with = "attribute_name")]
    pub usage_location_attribute: Option<String>,
    /// usageLocation when the attribute is not configured or empty (`JP`).
    #[serde(default, deserialize_with = "country_code")]
    pub usage_location: Option<String>,
    /// Per-property overrides of the default flow.
    #[serde(default)]
    pub attributes: AttributeOverrides,
}

fn default_max_deletions() -> usize {
    DEFAULT_MAX_DELETIONS
}

fn default_max_deletion_percent() -> u32 {
    DEFAULT_MAX_DELETION_PERCENT
}

fn enabled() -> bool {
    true
}

fn percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u32::deserialize(deserializer)?;
    if value > 100 {
        return Err(de::Error::custom(format!(
            "`{value}` is not a percentage (0 to 100)"
        )));
    }
    Ok(value)
}

fn country_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if !Shape::CountryCode.accepts(&value) {
        return Err(de::Error::custom(format!(
            "`{value}` is not a usage location: {}",
            Shape::CountryCode.describe()
        )));
    }
    Ok(Some(value))
}

fn attribute_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = String::deserialize(deserializer)?;
    if !is_attribute_name(&value) {
        return Err(de::Error::custom(format!(
            "`{value}` is not an attribute name (a letter, then letters, digits and `-`)"
        )));
    }
    Ok(Some(value))
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            leaving: LeavingPolicy::default(),
            max_deletions: DEFAULT_MAX_DELETIONS,
            max_deletion_percent: DEFAULT_MAX_DELETION_PERCENT,
            anchor_writeback: true,
            usage_location_attribute: None,
            usage_location: None,
            attributes: AttributeOverrides::default(),
        }
    }
}

impl SyncSettings {
    /// The AD attributes the flow reads beyond the readers' standard ones: the usage location
    /// attribute and those the overrides name. A reader must keep them (`ReadOptions`, `[ad].attributes`).
    pub fn ad_attributes(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let configured = self
            .usage_location_attribute
            .iter()
            .map(String::as_str)
            .chain(self.attributes.0.values().flat_map(Mapping::attributes));
        for name in configured {
            if !names.iter().any(|known| known.eq_ignore_ascii_case(name)) {
                names.push(name.to_owned());
            }
        }
        names
    }
}

/// `[sync.attributes]`: how each overridden property is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeOverrides(pub BTreeMap<Property, Mapping>);

impl AttributeOverrides {
    /// The mapping of a property: its override, or [`Mapping::Default`].
    pub fn get(&self, property: Property) -> &Mapping {
        self.0.get(&property).unwrap_or(&Mapping::Default)
    }

    /// Reads one override as written: `key` is the property's Graph name (or `extensionAttributeN`),
    /// `value` the text (module docs of [`super::mapping`]), or `None` for `false` (not managed).
    pub fn insert(&mut self, key: &str, value: Option<&str>) -> Result<(), OverrideError> {
        let error = |reason: OverrideReason| OverrideError {
            key: key.to_owned(),
            reason,
        };
        let property = Property::from_name(key).ok_or_else(|| {
            error(if key.eq_ignore_ascii_case("proxyAddresses") {
                OverrideReason::ReadOnly
            } else {
                OverrideReason::UnknownProperty
            })
        })?;
        if property == Property::OnPremisesImmutableId {
            return Err(error(OverrideReason::Anchor));
        }
        let mapping = match value {
            None => Mapping::NotManaged,
            Some(text) => Mapping::parse(text).map_err(|source| {
                error(OverrideReason::Template {
                    text: text.to_owned(),
                    source,
                })
            })?,
        };
        if self.0.insert(property, mapping).is_some() {
            return Err(error(OverrideReason::Twice));
        }
        Ok(())
    }

    /// Each override as written (`false` for not managed), by Graph name: for reports.
    pub fn as_written(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(property, mapping)| {
                let text = match mapping {
                    Mapping::NotManaged => "false".to_owned(),
                    other => other.to_string(),
                };
                (property.name().to_owned(), text)
            })
            .collect()
    }
}

/// An override that cannot be used, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`[sync.attributes].{key}`: {reason}")]
pub struct OverrideError {
    /// The key as written.
    pub key: String,
    /// What is wrong.
    pub reason: OverrideReason,
}

/// What is wrong with an override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideReason {
    /// Not a property anchorsync writes.
    #[error(
        "not a user property anchorsync writes (accountEnabled, userPrincipalName, mailNickname, \
         displayName, givenName, surname, mail, jobTitle, department, companyName, employeeId, \
         officeLocation, streetAddress, city, state, postalCode, country, usageLocation, \
         preferredLanguage, businessPhones, mobilePhone, faxNumber, extensionAttribute1-15)"
    )]
    UnknownProperty,
    /// proxyAddresses.
    #[error("read-only in Microsoft Graph: anchorsync reports differences and never writes it")]
    ReadOnly,
    /// onPremisesImmutableId.
    #[error(
        "is the sourceAnchor, set when a user is created or joined and never changed: choose it with \
         `[ad].anchor_attribute`"
    )]
    Anchor,
    /// The property is given twice (two spellings of one property).
    #[error("is given twice")]
    Twice,
    /// The text cannot be read.
    #[error("`{text}`: {source}")]
    Template {
        /// The text.
        text: String,
        /// Why.
        #[source]
        source: TemplateError,
    },
}

impl<'de> Deserialize<'de> for AttributeOverrides {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OverridesVisitor)
    }
}

struct OverridesVisitor;

/// One override's value: a template string, or `false`.
enum Written {
    Text(String),
    NotManaged,
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WrittenVisitor;
        impl Visitor<'_> for WrittenVisitor {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a template string (`\"{givenName} {sn}\"`), or false for not managed")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Written, E> {
                Ok(Written::Text(text.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Written, E> {
                if value {
                    Err(E::custom(
                        "`true` is not an override: write a template, or false for not managed",
                    ))
                } else {
                    Ok(Written::NotManaged)
                }
            }
        }
        deserializer.deserialize_any(WrittenVisitor)
    }
}

impl<'de> Visitor<'de> for OverridesVisitor {
    type Value = AttributeOverrides;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of user properties and their overrides")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeOverrides, A::Error> {
        let mut overrides = AttributeOverrides::default();
        while let Some(key) = map.next_key::<String>()? {
            let written: Written = map.next_value()?;
            let value = match &written {
                Written::Text(text) => Some(text.as_str()),
                Written::NotManaged => None,
            };
            overrides
                .insert(&key, value)
                .map_err(|error| de::Error::custom(error.to_string()))?;
        }
        Ok(overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Config {
        sync: SyncSettings,
    }

    fn read(text: &str) -> Result<SyncSettings, String> {
        serde_json::from_str::<Config>(text)
            .map(|config| config.sync)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn the_toml_section_of_the_module_docs_reads_and_bad_keys_are_named_with_their_line() {
        #[derive(Debug, Deserialize)]
        struct File {
            sync: SyncSettings,
        }
        let text = r#"
[sync]
leaving = "delete"
max_deletions = 50
max_deletion_percent = 5
anchor_writeback = false
usage_location_attribute = "c"
usage_location = "JP"

[sync.attributes]
displayName = "{givenName} {sn}"
mail = "{mail|lower}"
officeLocation = false
"#;
        let settings = toml::from_str::<File>(text).unwrap().sync;
        assert_eq!(settings.leaving, LeavingPolicy::Delete);
        assert_eq!(
            (settings.max_deletions, settings.max_deletion_percent),
            (50, 5)
        );
        assert!(!settings.anchor_writeback);
        assert_eq!(settings.attributes.0.len(), 3);

        let error =
            toml::from_str::<File>("[sync]\nmax_deletions = 5\nleave = \"keep\"\n").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `leave`"),
            "{error}"
        );
        assert!(error.to_string().contains("line 3"), "{error}");
        let error = toml::from_str::<File>("[sync.attributes]\nsurname = \"{sn|capitalize}\"\n")
            .unwrap_err();
        assert!(
            error.to_string().contains(
                "`[sync.attributes].surname`: `{sn|capitalize}`: `capitalize` is not a transform"
            ),
            "{error}"
        );
    }

    #[test]
    fn defaults_are_connects_and_hennges() {
        let settings = read(r#"{"sync": {}}"#).unwrap();
        assert_eq!(settings, SyncSettings::default());
        assert_eq!(settings.leaving, LeavingPolicy::Disable);
        assert_eq!(
            (settings.max_deletions, settings.max_deletion_percent),
            (500, 10)
        );
        assert!(settings.anchor_writeback);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = read(r#"{"sync": {"max_deletion": 5}}"#).unwrap_err();
        assert!(error.contains("unknown field `max_deletion`"), "{error}");
        let error = read(r#"{"sync": {"max_deletion_percent": 120}}"#).unwrap_err();
        assert!(error.contains("`120` is not a percentage"), "{error}");
        let error = read(r#"{"sync": {"leaving": "purge"}}"#).unwrap_err();
        assert!(error.contains("unknown variant `purge`"), "{error}");
        let error = read(r#"{"sync": {"usage_location": "jp"}}"#).unwrap_err();
        assert!(
            error.contains("`jp` is not a usage location: an ISO 3166-1"),
            "{error}"
        );
        let error = read(r#"{"sync": {"usage_location_attribute": "{c}"}}"#).unwrap_err();
        assert!(error.contains("`{c}` is not an attribute name"), "{error}");
        let settings =
            read(r#"{"sync": {"usage_location": "JP", "usage_location_attribute": "c"}}"#);
        assert_eq!(settings.unwrap().usage_location.as_deref(), Some("JP"));
    }

    #[test]
    fn overrides_parse_and_errors_name_the_key() {
        let settings = read(
            r#"{"sync": {"usage_location_attribute": "c", "attributes": {"displayName": "{givenName} {sn}",
               "officeLocation": false, "extensionAttribute3": "{employeeType|upper}"}}}"#,
        )
        .unwrap();
        assert_eq!(
            settings.attributes.get(Property::OfficeLocation),
            &Mapping::NotManaged
        );
        assert_eq!(
            settings.attributes.get(Property::Surname),
            &Mapping::Default
        );
        assert_eq!(
            settings.ad_attributes(),
            ["c", "givenName", "sn", "employeeType"]
        );
        assert_eq!(
            settings.attributes.as_written()["onPremisesExtensionAttributes.extensionAttribute3"],
            "{employeeType|upper}"
        );

        let cases = [
            (
                r#"{"displayName": "{givenName"}"#,
                "`[sync.attributes].displayName`: `{givenName`: `{` at character 1 is not closed",
            ),
            (
                r#"{"mail": "{mail|lowercase}"}"#,
                "`[sync.attributes].mail`: `{mail|lowercase}`: `lowercase` is not a transform",
            ),
            (
                r#"{"proxyAddresses": "{mail}"}"#,
                "`[sync.attributes].proxyAddresses`: read-only",
            ),
            (
                r#"{"onPremisesImmutableId": "{employeeID}"}"#,
                "is the sourceAnchor",
            ),
            (
                r#"{"jobtitel": "{title}"}"#,
                "`[sync.attributes].jobtitel`: not a user property",
            ),
            (
                r#"{"extensionAttribute1": "{a}", "onPremisesExtensionAttributes.extensionAttribute1": "{b}"}"#,
                "is given twice",
            ),
            (r#"{"city": true}"#, "`true` is not an override"),
        ];
        for (attributes, message) in cases {
            let error =
                read(&format!(r#"{{"sync": {{"attributes": {attributes}}}}}"#)).unwrap_err();
            assert!(error.contains(message), "{attributes}: {error}");
        }
    }
}
