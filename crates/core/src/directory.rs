//! The on-premises side: directory entries as read, and the users anchorsync reasons about.
//!
//! Every reader (live LDAP, LDIF, Export-Csv) produces [`DirectoryEntry`] values whose attribute values
//! are raw bytes, and [`OnPremUser::from_entry`] turns one into the typed user. Keeping the values as
//! bytes until the schema says what they are is what keeps a GUID or SID from being read as text when
//! its bytes happen to be valid UTF-8.

use std::collections::BTreeMap;
use std::fmt;

use crate::identifier::{IdentifierError, ObjectGuid, Sid};

/// The `userAccountControl` bit that marks a disabled account.
pub const UAC_ACCOUNTDISABLE: u32 = 0x0002;

/// An attribute name, compared case-insensitively as LDAP does, spelled as it was first written.
#[derive(Clone)]
pub struct AttributeName {
    spelling: String,
    key: String,
}

impl AttributeName {
    /// Wraps a name as written.
    pub fn new(spelling: impl Into<String>) -> Self {
        let spelling = spelling.into();
        let key = spelling.to_ascii_lowercase();
        Self { spelling, key }
    }

    /// The spelling as first written (`objectGUID`).
    pub fn as_str(&self) -> &str {
        &self.spelling
    }

    /// The lowercase form used for comparison.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for AttributeName {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for AttributeName {}
impl PartialOrd for AttributeName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for AttributeName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}
impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spelling)
    }
}
impl fmt::Debug for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.spelling, f)
    }
}

/// One directory object as read: its DN and every attribute's values as raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The distinguished name.
    pub dn: String,
    /// Attribute values, keyed case-insensitively and sorted by name.
    pub attributes: BTreeMap<AttributeName, Vec<Vec<u8>>>,
}

impl DirectoryEntry {
    /// An entry with no attributes yet.
    pub fn new(dn: impl Into<String>) -> Self {
        Self {
            dn: dn.into(),
            attributes: BTreeMap::new(),
        }
    }

    /// Appends a value to an attribute.
    pub fn push(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.attributes
            .entry(AttributeName::new(name))
            .or_default()
            .push(value.into());
    }

    /// All values of an attribute (none when it is absent).
    pub fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attributes
            .get(&AttributeName::new(name))
            .map_or(&[], Vec::as_slice)
    }

    /// The single value of an attribute, refusing several.
    pub fn single(&self, name: &str) -> Result<Option<&[u8]>, EntryError> {
        match self.values(name) {
            [] => Ok(None),
            [value] => Ok(Some(value)),
            values => Err(EntryError::MultipleValues {
                dn: self.dn.clone(),
                attribute: name.to_owned(),
                count: values.len(),
            }),
        }
    }

    /// The single value of a text attribute, refusing invalid UTF-8.
    pub fn single_text(&self, name: &str) -> Result<Option<String>, EntryError> {
        self.single(name)?
            .map(|bytes| self.text(name, bytes))
            .transpose()
    }

    /// Every value of a text attribute, refusing invalid UTF-8.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, EntryError> {
        self.values(name)
            .iter()
            .map(|bytes| self.text(name, bytes))
            .collect()
    }

    fn text(&self, name: &str, bytes: &[u8]) -> Result<String, EntryError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| EntryError::NotText {
            dn: self.dn.clone(),
            attribute: name.to_owned(),
        })
    }
}

/// Why a directory entry cannot become an [`OnPremUser`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A single-valued attribute has several values.
    #[error("`{dn}`: `{attribute}` is single-valued but has {count} values")]
    MultipleValues {
        /// The entry.
        dn: String,
        /// The attribute.
        attribute: String,
        /// How many values it has.
        count: usize,
    },
    /// A text attribute holds bytes that are not UTF-8.
    #[error("`{dn}`: `{attribute}` is not valid UTF-8 text")]
    NotText {
        /// The entry.
        dn: String,
        /// The attribute.
        attribute: String,
    },
    /// A number attribute that is not a number.
    #[error("`{dn}`: `{attribute}` is `{value}`, not a number")]
    NotNumber {
        /// The entry.
        dn: String,
        /// The attribute.
        attribute: String,
        /// The value found.
        value: String,
    },
    /// `objectGUID` or `objectSid` that is not a GUID or SID.
    #[error("`{dn}`: `{attribute}` is not valid")]
    Identifier {
        /// The entry.
        dn: String,
        /// The attribute.
        attribute: String,
        /// What is wrong with it.
        #[source]
        source: IdentifierError,
    },
}

/// The attributes every read asks for, in the spelling AD's schema uses.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "objectGUID",
    "mS-DS-ConsistencyGuid",
    "objectSid",
    "userPrincipalName",
    "sAMAccountName",
    "mail",
    "proxyAddresses",
    "mailNickname",
    "displayName",
    "givenName",
    "sn",
    "title",
    "department",
    "employeeID",
    "employeeNumber",
    "telephoneNumber",
    "mobile",
    "physicalDeliveryOfficeName",
    "userAccountControl",
    "distinguishedName",
    "whenChanged",
    "uSNChanged",
];

/// Attributes whose values are binary whatever their bytes look like.
pub const BINARY_ATTRIBUTES: &[&str] = &["objectGUID", "mS-DS-ConsistencyGuid", "objectSid"];

/// Whether an attribute holds binary values (compared case-insensitively).
pub fn is_binary_attribute(name: &str) -> bool {
    BINARY_ATTRIBUTES
        .iter()
        .any(|binary| binary.eq_ignore_ascii_case(name))
}

/// An on-premises user, typed, as the match engine sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnPremUser {
    /// `distinguishedName`.
    pub dn: String,
    /// `objectGUID`.
    pub object_guid: Option<ObjectGuid>,
    /// `mS-DS-ConsistencyGuid`, raw: any length is stored, the rules judge it.
    pub consistency_guid: Option<Vec<u8>>,
    /// `objectSid`.
    pub object_sid: Option<Sid>,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `sAMAccountName`.
    pub sam_account_name: Option<String>,
    /// `mail`.
    pub mail: Option<String>,
    /// `proxyAddresses`, with their `SMTP:`/`smtp:` prefixes.
    pub proxy_addresses: Vec<String>,
    /// `mailNickname`.
    pub mail_nickname: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `sn`.
    pub surname: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `department`.
    pub department: Option<String>,
    /// `employeeID`.
    pub employee_id: Option<String>,
    /// `employeeNumber`.
    pub employee_number: Option<String>,
    /// `telephoneNumber`.
    pub telephone_number: Option<String>,
    /// `mobile`.
    pub mobile: Option<String>,
    /// `physicalDeliveryOfficeName`.
    pub office: Option<String>,
    /// `userAccountControl`.
    pub user_account_control: Option<u32>,
    /// `whenChanged`, as the directory writes it (`20261122040500.0Z`).
    pub when_changed: Option<String>,
    /// `uSNChanged`.
    pub usn_changed: Option<u64>,
    /// Every other attribute that was read (a configured anchor attribute, for example), raw.
    pub extra: BTreeMap<AttributeName, Vec<Vec<u8>>>,
}

impl OnPremUser {
    /// Types a directory entry. Attributes outside [`STANDARD_ATTRIBUTES`] land in `extra`.
    pub fn from_entry(entry: DirectoryEntry) -> Result<Self, EntryError> {
        let identifier = |attribute: &str, source| EntryError::Identifier {
            dn: entry.dn.clone(),
            attribute: attribute.to_owned(),
            source,
        };
        let object_guid = entry
            .single("objectGUID")?
            .map(|bytes| {
                ObjectGuid::try_from_ad_bytes(bytes).map_err(|e| identifier("objectGUID", e))
            })
            .transpose()?;
        let object_sid = entry
            .single("objectSid")?
            .map(|bytes| Sid::from_bytes(bytes).map_err(|e| identifier("objectSid", e)))
            .transpose()?;
        let number = |name: &str| -> Result<Option<u64>, EntryError> {
            entry
                .single_text(name)?
                .map(|text| {
                    // userAccountControl is written signed by some tools (-2147483646).
                    text.trim()
                        .parse::<u64>()
                        .or_else(|_| text.trim().parse::<i32>().map(|n| u64::from(n as u32)))
                        .map_err(|_| EntryError::NotNumber {
                            dn: entry.dn.clone(),
                            attribute: name.to_owned(),
                            value: text.clone(),
                        })
                })
                .transpose()
        };
        let user_account_control = number("userAccountControl")?
            .map(|value| {
                u32::try_from(value).map_err(|_| EntryError::NotNumber {
                    dn: entry.dn.clone(),
                    attribute: "userAccountControl".to_owned(),
                    value: value.to_string(),
                })
            })
            .transpose()?;
        let user = Self {
            object_guid,
            consistency_guid: entry.single("mS-DS-ConsistencyGuid")?.map(<[u8]>::to_vec),
            object_sid,
            user_principal_name: entry.single_text("userPrincipalName")?,
            sam_account_name: entry.single_text("sAMAccountName")?,
            mail: entry.single_text("mail")?,
            proxy_addresses: entry.texts("proxyAddresses")?,
            mail_nickname: entry.single_text("mailNickname")?,
            display_name: entry.single_text("displayName")?,
            given_name: entry.single_text("givenName")?,
            surname: entry.single_text("sn")?,
            title: entry.single_text("title")?,
            department: entry.single_text("department")?,
            employee_id: entry.single_text("employeeID")?,
            employee_number: entry.single_text("employeeNumber")?,
            telephone_number: entry.single_text("telephoneNumber")?,
            mobile: entry.single_text("mobile")?,
            office: entry.single_text("physicalDeliveryOfficeName")?,
            user_account_control,
            when_changed: entry.single_text("whenChanged")?,
            usn_changed: number("uSNChanged")?,
            extra: BTreeMap::new(),
            dn: String::new(),
        };
        let DirectoryEntry { dn, attributes } = entry;
        let extra = attributes
            .into_iter()
            .filter(|(name, _)| {
                !STANDARD_ATTRIBUTES
                    .iter()
                    .any(|standard| standard.eq_ignore_ascii_case(name.as_str()))
            })
            .collect();
        Ok(Self { dn, extra, ..user })
    }

    /// The entry this user was read from, with attributes in their schema spelling; `from_entry` of the
    /// result gives back an equal user.
    pub fn to_entry(&self) -> DirectoryEntry {
        let mut entry = DirectoryEntry::new(self.dn.clone());
        let mut text = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                entry.push(name, value.as_bytes());
            }
        };
        text("userPrincipalName", &self.user_principal_name);
        text("sAMAccountName", &self.sam_account_name);
        text("mail", &self.mail);
        text("mailNickname", &self.mail_nickname);
        text("displayName", &self.display_name);
        text("givenName", &self.given_name);
        text("sn", &self.surname);
        text("title", &self.title);
        text("department", &self.department);
        text("employeeID", &self.employee_id);
        text("employeeNumber", &self.employee_number);
        text("telephoneNumber", &self.telephone_number);
        text("mobile", &self.mobile);
        text("physicalDeliveryOfficeName", &self.office);
        text("whenChanged", &self.when_changed);
        text(
            "userAccountControl",
            &self.user_account_control.map(|n| n.to_string()),
        );
        text("uSNChanged", &self.usn_changed.map(|n| n.to_string()));
        if let Some(guid) = &self.object_guid {
            entry.push("objectGUID", guid.as_ad_bytes().to_vec());
        }
        if let Some(bytes) = &self.consistency_guid {
            entry.push("mS-DS-ConsistencyGuid", bytes.clone());
        }
        if let Some(sid) = &self.object_sid {
            entry.push("objectSid", sid.to_bytes());
        }
        for address in &self.proxy_addresses {
            entry.push("proxyAddresses", address.as_bytes());
        }
        for (name, values) in &self.extra {
            entry.attributes.insert(name.clone(), values.clone());
        }
        entry
    }

    /// Whether `userAccountControl` marks the account disabled.
    pub fn is_disabled(&self) -> bool {
        self.user_account_control
            .is_some_and(|uac| uac & UAC_ACCOUNTDISABLE != 0)
    }

    /// The primary SMTP address: the `SMTP:` entry of proxyAddresses, or `mail` when there is none.
    pub fn primary_smtp(&self) -> Option<&str> {
        primary_smtp(&self.proxy_addresses).or(self.mail.as_deref())
    }

    /// The raw values of any attribute by name: the typed fields and `extra` alike.
    pub fn attribute_values(&self, name: &str) -> Vec<Vec<u8>> {
        if let Some(values) = self.extra.get(&AttributeName::new(name)) {
            return values.clone();
        }
        self.to_entry().values(name).to_vec()
    }
}

/// The primary SMTP address among proxy addresses: the value after the case-sensitive `SMTP:` prefix.
pub fn primary_smtp(proxy_addresses: &[String]) -> Option<&str> {
    proxy_addresses
        .iter()
        .find_map(|address| address.strip_prefix("SMTP:"))
        .map(str::trim)
}

/// The address part of a proxy address of type SMTP (either case of prefix), or `None` for other types.
pub fn smtp_address(proxy_address: &str) -> Option<&str> {
    let (prefix, address) = proxy_address.split_once(':')?;
    prefix.eq_ignore_ascii_case("smtp").then(|| address.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trips_through_user() {
        let mut entry = DirectoryEntry::new("CN=Taro,OU=Tokyo,DC=corp,DC=example,DC=com");
        entry.push(
            "objectGUID",
            vec![
                0x88u8, 0x68, 0x66, 0x88, 1, 1, 0x11, 0x11, 0xbb, 0xbb, 0x12, 0x34, 0x56, 0x78,
                0x90, 0xab,
            ],
        );
        entry.push("userPrincipalName", "taro@corp.example.com");
        entry.push("proxyAddresses", "SMTP:taro@example.com");
        entry.push("proxyAddresses", "smtp:t@example.com");
        entry.push("extensionAttribute1", "E10023");
        entry.push("userAccountControl", "514");
        let user = OnPremUser::from_entry(entry).unwrap();
        assert!(user.is_disabled());
        assert_eq!(user.primary_smtp(), Some("taro@example.com"));
        assert_eq!(
            user.attribute_values("EXTENSIONATTRIBUTE1"),
            vec![b"E10023".to_vec()]
        );
        assert_eq!(OnPremUser::from_entry(user.to_entry()).unwrap(), user);
    }

    #[test]
    fn wrong_guid_length_names_the_entry() {
        let mut entry = DirectoryEntry::new("CN=Bad,DC=corp");
        entry.push("objectGUID", vec![1u8, 2, 3]);
        let error = OnPremUser::from_entry(entry).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`CN=Bad,DC=corp`: `objectGUID` is not valid"
        );
    }
}
