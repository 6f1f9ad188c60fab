//! The on-premises side: directory entries as read, and the users anchorsync reasons about.
//!
//! Every reader (live LDAP, LDIF, Export-Csv) produces [`DirectoryEntry`] values whose attribute values
//! are raw bytes, and [`OnPremUser::from_entry`] turns one into the typed user. Keeping the values as
//! bytes until the schema says what they are is what keeps a GUID or SID from being read as text when
//! its bytes happen to be valid UTF-8.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::identifier::{IdentifierError, ObjectGuid, Sid};

mod profile;

pub use profile::ProfileAttribute;

/// The `userAccountControl` bit that marks a disabled account.
pub const UAC_ACCOUNTDISABLE: u32 = 0x0002;

/// An attribute name, compared case-insensitively as LDAP does, spelled as it was first written.
#[derive(Clone)]
pub struct AttributeName(String);

impl AttributeName {
    /// Wraps a name as written.
    pub fn new(spelling: impl Into<String>) -> Self {
        Self(spelling.into())
    }

    /// The spelling as first written (`objectGUID`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `name`, compared case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

impl PartialEq for AttributeName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
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
        // Case-insensitive without allocating: names are compared on every insert and lookup.
        let left = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let right = other.0.bytes().map(|b| b.to_ascii_lowercase());
        left.cmp(right)
    }
}
impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
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
    // What a sync's attribute flow reads besides (Entra Connect's out-of-box user rules); kept compactly
    // in `OnPremUser::profile`.
    "cn",
    "company",
    "l",
    "st",
    "co",
    "c",
    "postalCode",
    "streetAddress",
    "facsimileTelephoneNumber",
    "preferredLanguage",
    "extensionAttribute1",
    "extensionAttribute2",
    "extensionAttribute3",
    "extensionAttribute4",
    "extensionAttribute5",
    "extensionAttribute6",
    "extensionAttribute7",
    "extensionAttribute8",
    "extensionAttribute9",
    "extensionAttribute10",
    "extensionAttribute11",
    "extensionAttribute12",
    "extensionAttribute13",
    "extensionAttribute14",
    "extensionAttribute15",
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
    /// The [`ProfileAttribute`]s present, sorted by attribute, each once (set them with
    /// [`OnPremUser::set_profile`]).
    pub profile: Vec<(ProfileAttribute, String)>,
    /// Every other attribute that was read (a configured anchor attribute, for example), raw.
    pub extra: BTreeMap<AttributeName, Vec<Vec<u8>>>,
}

impl OnPremUser {
    /// Types a directory entry. Attributes outside [`STANDARD_ATTRIBUTES`] land in `extra`.
    ///
    /// One pass over the attributes: this runs once per user on million-user inventories.
    pub fn from_entry(entry: DirectoryEntry) -> Result<Self, EntryError> {
        let DirectoryEntry { dn, attributes } = entry;
        let mut builder = UserBuilder::new(None);
        for (name, values) in attributes {
            builder.push_values(name, values);
        }
        builder.finish(dn)
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
        for (attribute, value) in &self.profile {
            entry.push(attribute.name(), value.as_bytes());
        }
        for (name, values) in &self.extra {
            entry.attributes.insert(name.clone(), values.clone());
        }
        entry
    }

    /// The value of a profile attribute, when present.
    pub fn profile(&self, attribute: ProfileAttribute) -> Option<&str> {
        self.profile
            .binary_search_by_key(&attribute, |(held, _)| *held)
            .ok()
            .and_then(|index| self.profile.get(index))
            .map(|(_, value)| value.as_str())
    }

    /// Sets (or, with `None`, removes) a profile attribute, keeping the list sorted.
    pub fn set_profile(&mut self, attribute: ProfileAttribute, value: Option<String>) {
        match (
            self.profile
                .binary_search_by_key(&attribute, |(held, _)| *held),
            value,
        ) {
            (Ok(index), Some(value)) => {
                if let Some(slot) = self.profile.get_mut(index) {
                    slot.1 = value;
                }
            }
            (Ok(index), None) => {
                self.profile.remove(index);
            }
            (Err(index), Some(value)) => self.profile.insert(index, (attribute, value)),
            (Err(_), None) => {}
        }
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
    ///
    /// Reads only the one attribute asked for: the match engine calls this once per user for a
    /// configured anchor attribute.
    pub fn attribute_values(&self, name: &str) -> Vec<Vec<u8>> {
        let name = AttributeName::new(name);
        let Some(field) = StandardField::of(&name) else {
            return self.extra.get(&name).cloned().unwrap_or_default();
        };
        let text = |value: &Option<String>| {
            value
                .iter()
                .map(|text| text.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        match field {
            StandardField::ObjectGuid => self
                .object_guid
                .iter()
                .map(|guid| guid.as_ad_bytes().to_vec())
                .collect(),
            StandardField::ConsistencyGuid => self.consistency_guid.iter().cloned().collect(),
            StandardField::ObjectSid => self.object_sid.iter().map(Sid::to_bytes).collect(),
            StandardField::ProxyAddresses => self
                .proxy_addresses
                .iter()
                .map(|address| address.as_bytes().to_vec())
                .collect(),
            StandardField::UserAccountControl => {
                text(&self.user_account_control.map(|n| n.to_string()))
            }
            StandardField::UsnChanged => text(&self.usn_changed.map(|n| n.to_string())),
            StandardField::DistinguishedName => vec![self.dn.as_bytes().to_vec()],
            StandardField::Text(slot) => text(slot.get(self)),
            StandardField::Profile(attribute) => self
                .profile(attribute)
                .map(|value| vec![value.as_bytes().to_vec()])
                .unwrap_or_default(),
        }
    }
}

/// Which typed field a standard attribute fills.
#[derive(Clone, Copy)]
enum StandardField {
    ObjectGuid,
    ConsistencyGuid,
    ObjectSid,
    ProxyAddresses,
    UserAccountControl,
    UsnChanged,
    DistinguishedName,
    Text(TextField),
    Profile(ProfileAttribute),
}

/// The single-valued text attributes.
#[derive(Clone, Copy)]
enum TextField {
    UserPrincipalName,
    SamAccountName,
    Mail,
    MailNickname,
    DisplayName,
    GivenName,
    Surname,
    Title,
    Department,
    EmployeeId,
    EmployeeNumber,
    TelephoneNumber,
    Mobile,
    Office,
    WhenChanged,
}

impl TextField {
    fn get(self, user: &OnPremUser) -> &Option<String> {
        match self {
            Self::UserPrincipalName => &user.user_principal_name,
            Self::SamAccountName => &user.sam_account_name,
            Self::Mail => &user.mail,
            Self::MailNickname => &user.mail_nickname,
            Self::DisplayName => &user.display_name,
            Self::GivenName => &user.given_name,
            Self::Surname => &user.surname,
            Self::Title => &user.title,
            Self::Department => &user.department,
            Self::EmployeeId => &user.employee_id,
            Self::EmployeeNumber => &user.employee_number,
            Self::TelephoneNumber => &user.telephone_number,
            Self::Mobile => &user.mobile,
            Self::Office => &user.office,
            Self::WhenChanged => &user.when_changed,
        }
    }

    fn of(self, user: &mut OnPremUser) -> &mut Option<String> {
        match self {
            Self::UserPrincipalName => &mut user.user_principal_name,
            Self::SamAccountName => &mut user.sam_account_name,
            Self::Mail => &mut user.mail,
            Self::MailNickname => &mut user.mail_nickname,
            Self::DisplayName => &mut user.display_name,
            Self::GivenName => &mut user.given_name,
            Self::Surname => &mut user.surname,
            Self::Title => &mut user.title,
            Self::Department => &mut user.department,
            Self::EmployeeId => &mut user.employee_id,
            Self::EmployeeNumber => &mut user.employee_number,
            Self::TelephoneNumber => &mut user.telephone_number,
            Self::Mobile => &mut user.mobile,
            Self::Office => &mut user.office,
            Self::WhenChanged => &mut user.when_changed,
        }
    }
}

/// The standard attributes, sorted as LDAP sorts attribute names (case-insensitively), which is the order
/// [`OnPremUser::from_entry`] has always checked them in: the first error reported is the same whatever
/// the reader.
const STANDARD_FIELDS: [(&str, StandardField); 47] = {
    use ProfileAttribute as P;
    use StandardField::Profile;
    use TextField as T;
    [
        ("c", Profile(P::C)),
        ("cn", Profile(P::Cn)),
        ("co", Profile(P::Co)),
        ("company", Profile(P::Company)),
        ("department", StandardField::Text(T::Department)),
        ("displayName", StandardField::Text(T::DisplayName)),
        ("distinguishedName", StandardField::DistinguishedName),
        ("employeeID", StandardField::Text(T::EmployeeId)),
        ("employeeNumber", StandardField::Text(T::EmployeeNumber)),
        ("extensionAttribute1", Profile(P::ExtensionAttribute1)),
        ("extensionAttribute10", Profile(P::ExtensionAttribute10)),
        ("extensionAttribute11", Profile(P::ExtensionAttribute11)),
        ("extensionAttribute12", Profile(P::ExtensionAttribute12)),
        ("extensionAttribute13", Profile(P::ExtensionAttribute13)),
        ("extensionAttribute14", Profile(P::ExtensionAttribute14)),
        ("extensionAttribute15", Profile(P::ExtensionAttribute15)),
        ("extensionAttribute2", Profile(P::ExtensionAttribute2)),
        ("extensionAttribute3", Profile(P::ExtensionAttribute3)),
        ("extensionAttribute4", Profile(P::ExtensionAttribute4)),
        ("extensionAttribute5", Profile(P::ExtensionAttribute5)),
        ("extensionAttribute6", Profile(P::ExtensionAttribute6)),
        ("extensionAttribute7", Profile(P::ExtensionAttribute7)),
        ("extensionAttribute8", Profile(P::ExtensionAttribute8)),
        ("extensionAttribute9", Profile(P::ExtensionAttribute9)),
        (
            "facsimileTelephoneNumber",
            Profile(P::FacsimileTelephoneNumber),
        ),
        ("givenName", StandardField::Text(T::GivenName)),
        ("l", Profile(P::L)),
        ("mail", StandardField::Text(T::Mail)),
        ("mailNickname", StandardField::Text(T::MailNickname)),
        ("mobile", StandardField::Text(T::Mobile)),
        ("mS-DS-ConsistencyGuid", StandardField::ConsistencyGuid),
        ("objectGUID", StandardField::ObjectGuid),
        ("objectSid", StandardField::ObjectSid),
        ("physicalDeliveryOfficeName", StandardField::Text(T::Office)),
        ("postalCode", Profile(P::PostalCode)),
        ("preferredLanguage", Profile(P::PreferredLanguage)),
        ("proxyAddresses", StandardField::ProxyAddresses),
        ("sAMAccountName", StandardField::Text(T::SamAccountName)),
        ("sn", StandardField::Text(T::Surname)),
        ("st", Profile(P::St)),
        ("streetAddress", Profile(P::StreetAddress)),
        ("telephoneNumber", StandardField::Text(T::TelephoneNumber)),
        ("title", StandardField::Text(T::Title)),
        ("userAccountControl", StandardField::UserAccountControl),
        (
            "userPrincipalName",
            StandardField::Text(T::UserPrincipalName),
        ),
        ("uSNChanged", StandardField::UsnChanged),
        ("whenChanged", StandardField::Text(T::WhenChanged)),
    ]
};

impl StandardField {
    fn of(name: &AttributeName) -> Option<Self> {
        standard_field(name.as_str())
            .and_then(|index| STANDARD_FIELDS.get(index))
            .map(|(_, field)| *field)
    }
}

/// The position in [`STANDARD_FIELDS`] of a standard attribute.
fn standard_field(name: &str) -> Option<usize> {
    // Lowercased into a buffer and matched: the compiler turns this into a few length and byte tests,
    // where a scan of the table compared every name (this runs for every attribute line read).
    let mut buffer = [0u8; 26];
    let lowered = buffer.get_mut(..name.len())?;
    lowered.copy_from_slice(name.as_bytes());
    lowered.make_ascii_lowercase();
    Some(match &*lowered {
        b"c" => 0,
        b"cn" => 1,
        b"co" => 2,
        b"company" => 3,
        b"department" => 4,
        b"displayname" => 5,
        b"distinguishedname" => 6,
        b"employeeid" => 7,
        b"employeenumber" => 8,
        b"extensionattribute1" => 9,
        b"extensionattribute10" => 10,
        b"extensionattribute11" => 11,
        b"extensionattribute12" => 12,
        b"extensionattribute13" => 13,
        b"extensionattribute14" => 14,
        b"extensionattribute15" => 15,
        b"extensionattribute2" => 16,
        b"extensionattribute3" => 17,
        b"extensionattribute4" => 18,
        b"extensionattribute5" => 19,
        b"extensionattribute6" => 20,
        b"extensionattribute7" => 21,
        b"extensionattribute8" => 22,
        b"extensionattribute9" => 23,
        b"facsimiletelephonenumber" => 24,
        b"givenname" => 25,
        b"l" => 26,
        b"mail" => 27,
        b"mailnickname" => 28,
        b"mobile" => 29,
        b"ms-ds-consistencyguid" => 30,
        b"objectguid" => 31,
        b"objectsid" => 32,
        b"physicaldeliveryofficename" => 33,
        b"postalcode" => 34,
        b"preferredlanguage" => 35,
        b"proxyaddresses" => 36,
        b"samaccountname" => 37,
        b"sn" => 38,
        b"st" => 39,
        b"streetaddress" => 40,
        b"telephonenumber" => 41,
        b"title" => 42,
        b"useraccountcontrol" => 43,
        b"userprincipalname" => 44,
        b"usnchanged" => 45,
        b"whenchanged" => 46,
        _ => return None,
    })
}

/// Types an on-premises user attribute by attribute, as a reader meets them, with exactly the rules
/// and errors of [`OnPremUser::from_entry`] but without building a [`DirectoryEntry`] first.
#[derive(Debug)]
pub struct UserBuilder<'k> {
    /// The first value of each standard attribute.
    first: [Option<Vec<u8>>; STANDARD_FIELDS.len()],
    /// Further values of standard attributes, in order (proxyAddresses, or a single-valued attribute
    /// given twice).
    more: Vec<(usize, Vec<u8>)>,
    /// Standard attributes written in another case than the schema's, to name them as written.
    spellings: Vec<(usize, String)>,
    extra: BTreeMap<AttributeName, Vec<Vec<u8>>>,
    keep: Option<&'k [String]>,
    classes: ObjectClasses,
}

#[derive(Debug, Default, Clone, Copy)]
struct ObjectClasses {
    any: bool,
    user: bool,
    computer: bool,
}

impl<'k> UserBuilder<'k> {
    /// A builder; `keep` names the attributes outside the standard ones to keep in `extra` (all of them
    /// when `None`): an inventory read for one purpose need not hold every `memberOf` of every user.
    pub fn new(keep: Option<&'k [String]>) -> Self {
        Self {
            first: std::array::from_fn(|_| None),
            more: Vec::new(),
            spellings: Vec::new(),
            extra: BTreeMap::new(),
            keep,
            classes: ObjectClasses::default(),
        }
    }

    fn note_classes(&mut self, name: &str, value: &[u8]) {
        if name.eq_ignore_ascii_case("objectClass") {
            self.classes.any = true;
            self.classes.user |= value.eq_ignore_ascii_case(b"user");
            self.classes.computer |= value.eq_ignore_ascii_case(b"computer");
        }
    }

    fn kept(&self, name: &str) -> bool {
        self.keep
            .is_none_or(|keep| keep.iter().any(|kept| kept.eq_ignore_ascii_case(name)))
    }

    /// Adds one value of an attribute. The value is copied only when it is kept: readers pass values
    /// borrowed from their input.
    pub fn push(&mut self, name: &str, value: Cow<'_, [u8]>) {
        self.note_classes(name, &value);
        match standard_field(name) {
            Some(index) => {
                let taken = self.first.get(index).is_some_and(Option::is_some);
                if taken {
                    self.more.push((index, value.into_owned()));
                    return;
                }
                if STANDARD_FIELDS
                    .get(index)
                    .is_some_and(|(spelling, _)| *spelling != name)
                {
                    self.spellings.push((index, name.to_owned()));
                }
                if let Some(slot) = self.first.get_mut(index) {
                    *slot = Some(value.into_owned());
                }
            }
            None if self.kept(name) => {
                self.extra
                    .entry(AttributeName::new(name))
                    .or_default()
                    .push(value.into_owned());
            }
            None => {}
        }
    }

    /// Adds every value of an attribute.
    pub fn push_values(&mut self, name: AttributeName, values: Vec<Vec<u8>>) {
        if standard_field(name.as_str()).is_some() {
            for value in values {
                self.push(name.as_str(), Cow::Owned(value));
            }
            return;
        }
        for value in &values {
            self.note_classes(name.as_str(), value);
        }
        if self.kept(name.as_str()) {
            self.extra.entry(name).or_default().extend(values);
        }
    }

    /// Whether the values seen make a user account: objectClass has `user` and not `computer`, or there
    /// is no objectClass at all (an export that did not ask for it).
    pub fn is_user(&self) -> bool {
        !self.classes.any || (self.classes.user && !self.classes.computer)
    }

    /// The typed user.
    pub fn finish(self, dn: String) -> Result<OnPremUser, EntryError> {
        let Self {
            first,
            mut more,
            spellings,
            extra,
            ..
        } = self;
        let mut user = OnPremUser {
            extra,
            ..OnPremUser::default()
        };
        // Further values grouped by attribute, each group in the order read.
        more.sort_by_key(|(index, _)| *index);
        let mut more = more.into_iter().peekable();
        for (index, (first, (canonical, field))) in
            first.into_iter().zip(STANDARD_FIELDS).enumerate()
        {
            let Some(first) = first else { continue };
            let mut values = Vec::new();
            while let Some((_, value)) = more.next_if(|(i, _)| *i == index) {
                values.push(value);
            }
            let name = spellings
                .iter()
                .find(|(i, _)| *i == index)
                .map_or(canonical, |(_, spelling)| spelling.as_str());
            apply_field(&mut user, &dn, name, field, first, values)?;
        }
        user.dn = dn;
        Ok(user)
    }
}

/// Types the values of one standard attribute (its first value and any further ones) into the user.
fn apply_field(
    user: &mut OnPremUser,
    dn: &str,
    name: &str,
    field: StandardField,
    first: Vec<u8>,
    more: Vec<Vec<u8>>,
) -> Result<(), EntryError> {
    let fields = FieldReader { dn, name };
    match field {
        StandardField::ObjectGuid => {
            let bytes = fields.single(first, &more)?;
            user.object_guid =
                Some(ObjectGuid::try_from_ad_bytes(&bytes).map_err(|e| fields.identifier(e))?);
        }
        StandardField::ConsistencyGuid => {
            user.consistency_guid = Some(fields.single(first, &more)?)
        }
        StandardField::ObjectSid => {
            let bytes = fields.single(first, &more)?;
            user.object_sid = Some(Sid::from_bytes(&bytes).map_err(|e| fields.identifier(e))?);
        }
        StandardField::ProxyAddresses => {
            let mut addresses = Vec::with_capacity(1 + more.len());
            addresses.push(fields.text(first)?);
            for value in more {
                addresses.push(fields.text(value)?);
            }
            user.proxy_addresses = addresses;
        }
        StandardField::UserAccountControl => {
            let value = fields.number(fields.single(first, &more)?)?;
            user.user_account_control =
                Some(u32::try_from(value).map_err(|_| fields.not_number(value.to_string()))?);
        }
        StandardField::UsnChanged => {
            user.usn_changed = Some(fields.number(fields.single(first, &more)?)?)
        }
        StandardField::DistinguishedName => {}
        StandardField::Profile(attribute) => {
            // Read in table order, which is the list's order: pushing keeps it sorted.
            let value = fields.text(fields.single(first, &more)?)?;
            user.profile.push((attribute, value));
        }
        StandardField::Text(slot) => {
            *slot.of(user) = Some(fields.text(fields.single(first, &more)?)?)
        }
    }
    Ok(())
}

/// Reads the values of one attribute of one entry, with errors that name both.
struct FieldReader<'a> {
    dn: &'a str,
    name: &'a str,
}

impl FieldReader<'_> {
    /// The value of a single-valued attribute, refusing several.
    fn single(&self, first: Vec<u8>, more: &[Vec<u8>]) -> Result<Vec<u8>, EntryError> {
        if more.is_empty() {
            Ok(first)
        } else {
            Err(EntryError::MultipleValues {
                dn: self.dn.to_owned(),
                attribute: self.name.to_owned(),
                count: 1 + more.len(),
            })
        }
    }

    fn text(&self, bytes: Vec<u8>) -> Result<String, EntryError> {
        String::from_utf8(bytes).map_err(|_| EntryError::NotText {
            dn: self.dn.to_owned(),
            attribute: self.name.to_owned(),
        })
    }

    fn number(&self, bytes: Vec<u8>) -> Result<u64, EntryError> {
        let text = self.text(bytes)?;
        let trimmed = text.trim();
        // userAccountControl is written signed by some tools (-2147483646).
        trimmed
            .parse::<u64>()
            .ok()
            .or_else(|| {
                trimmed
                    .parse::<i32>()
                    .ok()
                    .map(|n| u64::from(n.cast_unsigned()))
            })
            .ok_or_else(|| self.not_number(text.clone()))
    }

    fn not_number(&self, value: String) -> EntryError {
        EntryError::NotNumber {
            dn: self.dn.to_owned(),
            attribute: self.name.to_owned(),
            value,
        }
    }

    fn identifier(&self, source: IdentifierError) -> EntryError {
        EntryError::Identifier {
            dn: self.dn.to_owned(),
            attribute: self.name.to_owned(),
            source,
        }
    }
}

/// `str::trim`, skipping its Unicode scan when the value starts and ends with a visible ASCII
/// character, as addresses almost always do: this runs for every address of every user.
pub fn trim(value: &str) -> &str {
    match (value.as_bytes().first(), value.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => value,
        _ => value.trim(),
    }
}

/// The primary SMTP address among proxy addresses: the value after the case-sensitive `SMTP:` prefix.
pub fn primary_smtp(proxy_addresses: &[String]) -> Option<&str> {
    proxy_addresses
        .iter()
        .find_map(|address| address.strip_prefix("SMTP:"))
        .map(trim)
}

/// The address part of a proxy address of type SMTP (either case of prefix), or `None` for other types.
pub fn smtp_address(proxy_address: &str) -> Option<&str> {
    let (prefix, address) = proxy_address.split_once(':')?;
    prefix.eq_ignore_ascii_case("smtp").then(|| trim(address))
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
        let entry = user.to_entry();
        for name in STANDARD_ATTRIBUTES
            .iter()
            .filter(|n| **n != "distinguishedName")
        {
            assert_eq!(user.attribute_values(name), entry.values(name), "{name}");
        }
        assert_eq!(
            user.attribute_values("distinguishedName"),
            vec![user.dn.as_bytes().to_vec()]
        );
        assert!(user.attribute_values("employeeType").is_empty());
    }

    #[test]
    fn builder_types_like_from_entry_and_filters_extra() {
        let mut entry = DirectoryEntry::new("CN=Taro,DC=corp");
        entry.push("objectClass", "user");
        entry.push("objectguid", vec![7u8; 16]);
        entry.push("proxyAddresses", "SMTP:taro@example.com");
        entry.push("memberOf", "CN=Sales,DC=corp");
        entry.push("proxyAddresses", "smtp:t@example.com");
        entry.push("employeeID", "E1");
        let whole = OnPremUser::from_entry(entry.clone()).unwrap();
        let mut builder = UserBuilder::new(None);
        for (name, values) in &entry.attributes {
            for value in values {
                builder.push(name.as_str(), Cow::Borrowed(value));
            }
        }
        assert!(builder.is_user());
        assert_eq!(builder.finish(entry.dn.clone()).unwrap(), whole);

        let keep = vec!["EMPLOYEETYPE".to_owned()];
        let mut builder = UserBuilder::new(Some(&keep));
        builder.push("memberOf", Cow::Borrowed(b"CN=Sales"));
        builder.push("employeeType", Cow::Borrowed(b"staff"));
        builder.push("objectClass", Cow::Borrowed(b"computer"));
        builder.push("objectClass", Cow::Borrowed(b"user"));
        assert!(!builder.is_user());
        let user = builder.finish("CN=PC".into()).unwrap();
        assert_eq!(user.extra.len(), 1, "only the kept attribute");

        // Errors are the same, named as written, in the same order.
        let mut entry = DirectoryEntry::new("CN=Bad,DC=corp");
        entry.push("userprincipalname", "a@x");
        entry.push("userprincipalname", "b@x");
        entry.push("objectGUID", vec![1u8, 2]);
        let expected = OnPremUser::from_entry(entry.clone()).unwrap_err();
        let mut builder = UserBuilder::new(None);
        builder.push("userprincipalname", Cow::Borrowed(b"a@x"));
        builder.push("objectGUID", Cow::Borrowed(&[1u8, 2]));
        builder.push("userprincipalname", Cow::Borrowed(b"b@x"));
        assert_eq!(
            builder.finish("CN=Bad,DC=corp".into()).unwrap_err(),
            expected
        );
        assert!(expected.to_string().contains("`objectGUID`"), "{expected}");
    }

    #[test]
    fn standard_field_lookup_agrees_with_the_table() {
        for (index, (spelling, _)) in STANDARD_FIELDS.iter().enumerate() {
            assert_eq!(standard_field(spelling), Some(index), "{spelling}");
            assert_eq!(
                standard_field(&spelling.to_uppercase()),
                Some(index),
                "{spelling}"
            );
        }
        assert_eq!(standard_field("objectClass"), None);
        assert_eq!(standard_field(&"x".repeat(40)), None);
        assert_eq!(standard_field(""), None);
    }

    #[test]
    fn every_standard_attribute_has_a_field_and_profile_values_stay_sorted() {
        let mut fields: Vec<String> = STANDARD_FIELDS
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        let mut read: Vec<String> = STANDARD_ATTRIBUTES
            .iter()
            .map(|name| name.to_ascii_lowercase())
            .collect();
        fields.sort();
        read.sort();
        assert_eq!(fields, read);
        for attribute in ProfileAttribute::ALL {
            assert!(
                STANDARD_ATTRIBUTES.contains(&attribute.name()),
                "{attribute:?}"
            );
        }
        let mut sorted = ProfileAttribute::ALL;
        sorted.sort();
        assert_eq!(
            sorted,
            ProfileAttribute::ALL,
            "declaration order is table order"
        );

        // Read in any order, kept sorted, each readable by name.
        let mut entry = DirectoryEntry::new("CN=Taro,DC=corp");
        entry.push("streetAddress", "1-1 Marunouchi");
        entry.push("CN", "Taro");
        entry.push("extensionAttribute15", "x15");
        entry.push("extensionattribute2", "x2");
        let user = OnPremUser::from_entry(entry).unwrap();
        let held: Vec<ProfileAttribute> = user.profile.iter().map(|(a, _)| *a).collect();
        assert_eq!(
            held,
            [
                ProfileAttribute::Cn,
                ProfileAttribute::ExtensionAttribute15,
                ProfileAttribute::ExtensionAttribute2,
                ProfileAttribute::StreetAddress
            ]
        );
        assert_eq!(user.attribute_values("cn"), vec![b"Taro".to_vec()]);
        assert_eq!(
            user.profile(ProfileAttribute::ExtensionAttribute2),
            Some("x2")
        );
        assert!(user.extra.is_empty(), "profile attributes are not extra");
        assert_eq!(OnPremUser::from_entry(user.to_entry()).unwrap(), user);

        let mut user = user;
        user.set_profile(ProfileAttribute::C, Some("JP".into()));
        user.set_profile(ProfileAttribute::Cn, None);
        user.set_profile(ProfileAttribute::StreetAddress, Some("2-2".into()));
        assert_eq!(
            user.profile.first().map(|(a, _)| *a),
            Some(ProfileAttribute::C)
        );
        assert_eq!(user.profile(ProfileAttribute::Cn), None);
        assert_eq!(user.profile(ProfileAttribute::StreetAddress), Some("2-2"));
        assert_eq!(
            ProfileAttribute::extension(12).map(ProfileAttribute::name),
            Some("extensionAttribute12")
        );
        assert_eq!(ProfileAttribute::extension(16), None);
        assert_eq!(ProfileAttribute::extension(0), None);
        for attribute in ProfileAttribute::ALL {
            let number = attribute
                .name()
                .strip_prefix("extensionAttribute")
                .map(|n| n.parse::<u8>().unwrap());
            assert_eq!(attribute.extension_number(), number, "{attribute:?}");
        }

        let mut entry = DirectoryEntry::new("CN=Two,DC=corp");
        entry.push("l", "Tokyo");
        entry.push("l", "Osaka");
        assert_eq!(
            OnPremUser::from_entry(entry).unwrap_err().to_string(),
            "`CN=Two,DC=corp`: `l` is single-valued but has 2 values"
        );
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
