//! `anchorsync lint`: the data-quality check that Microsoft's retired IdFix tool did, with the
//! conflicts it never saw.
//!
//! Every on-premises object that Entra will hold (users, and the groups and contacts that carry `mail` or
//! `proxyAddresses`) is checked against the rules Entra applies: lengths per attribute as Microsoft
//! Graph states them, the characters and shape of userPrincipalName, mailNickname, proxy addresses and
//! sAMAccountName, SMTP address format with a top-level-domain list, blanks Entra needs, leading and
//! trailing spaces, UPN suffixes the tenant has not verified, and **duplicates across attributes and
//! objects**: a UPN, `mail` and every proxy address share one namespace in Entra, so user A's UPN
//! equal to group B's `smtp:` secondary address is found here although IdFix compared values only within
//! one attribute.
//!
//! Each rule is one function in [`rules`] with a stable [`RuleId`]; [`lint`] runs them all. The
//! duplicate check ([`duplicates`]) is linear in the number of values: one hash index over every
//! value, never a pairwise scan. The objects IdFix skips are skipped ([`skip`]).
//!
//! Sources: Microsoft Graph's user resource (lengths, <https://learn.microsoft.com/en-us/graph/api/resources/user>),
//! Entra's UPN policy (<https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy#userprincipalname-policies-that-apply-to-all-user-accounts>),
//! Exchange's alias rules (<https://learn.microsoft.com/en-us/powershell/module/exchange/set-mailbox#-alias>),
//! the UPN population rules (<https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/plan-connect-userprincipalname>),
//! duplicate-attribute resiliency (<https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency>)
//! and IdFix's published rule set (<https://github.com/microsoft/idfix>).

pub mod duplicates;
pub mod rules;
pub mod skip;
pub mod tld;

use std::fmt;

use crate::directory::DirectoryEntry;

pub use tld::TldList;

/// What kind of directory object a [`LintObject`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A user account (`objectClass: user`, not a computer).
    User,
    /// A group.
    Group,
    /// A contact.
    Contact,
}

impl ObjectKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Contact => "contact",
        }
    }

    /// The kind of an entry from its `objectClass` values: `None` for computers and everything that is
    /// not a user, group or contact. An entry without `objectClass` (an export that did not ask for it)
    /// is a user, as the user readers treat it.
    pub fn of_entry(entry: &DirectoryEntry) -> Option<Self> {
        let classes = entry.values("objectClass");
        if classes.is_empty() {
            return Some(Self::User);
        }
        let has = |name: &[u8]| classes.iter().any(|class| class.eq_ignore_ascii_case(name));
        if has(b"computer") {
            None
        } else if has(b"user") {
            Some(Self::User)
        } else if has(b"group") {
            Some(Self::Group)
        } else if has(b"contact") {
            Some(Self::Contact)
        } else {
            None
        }
    }
}

/// The attributes lint checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    /// `userPrincipalName`.
    UserPrincipalName,
    /// `mail`.
    Mail,
    /// `mailNickname`.
    MailNickname,
    /// `proxyAddresses` (one value).
    ProxyAddresses,
    /// `sAMAccountName`.
    SamAccountName,
    /// `displayName`.
    DisplayName,
    /// `givenName`.
    GivenName,
    /// `sn`.
    Surname,
}

impl Attribute {
    /// The LDAP name, as AD's schema spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::UserPrincipalName => "userPrincipalName",
            Self::Mail => "mail",
            Self::MailNickname => "mailNickname",
            Self::ProxyAddresses => "proxyAddresses",
            Self::SamAccountName => "sAMAccountName",
            Self::DisplayName => "displayName",
            Self::GivenName => "givenName",
            Self::Surname => "sn",
        }
    }

    /// Whether the attribute holds several values.
    pub fn is_multi_valued(self) -> bool {
        self == Self::ProxyAddresses
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! rule_ids {
    ($($variant:ident = $id:literal : $why:literal,)*) => {
        /// A lint rule. Its id ([`RuleId::as_str`]) is stable: `--ignore`, exception files, the JSON and CSV
        /// reports and `--accept` use it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(
                #[doc = $why]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule, in report order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The stable id.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }

            /// Why the rule matters to Entra, in one sentence.
            pub fn why(self) -> &'static str {
                match self {
                    $(Self::$variant => $why,)*
                }
            }

            /// The rule with this id (case-insensitive).
            pub fn parse(id: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|rule| rule.as_str().eq_ignore_ascii_case(id.trim()))
            }
        }
    };
}

rule_ids! {
    UpnLength = "upn-length": "Entra refuses a userPrincipalName longer than 113 characters.",
    UpnLocalLength = "upn-local-length": "Entra allows at most 64 characters before the `@` of a userPrincipalName.",
    UpnDomainLength = "upn-domain-length": "Entra allows at most 48 characters after the `@` of a userPrincipalName.",
    UpnCharacter = "upn-character": "Entra allows only A-Z a-z 0-9 ' . - _ ! # ^ ~ before the `@` of a userPrincipalName; the export fails with IdentityDataValidationFailed.",
    UpnDotBeforeAt = "upn-dot-before-at": "Entra refuses a userPrincipalName with a `.` just before the `@`.",
    UpnFormat = "upn-format": "A userPrincipalName must be one local part, `@` and a domain name; Entra refuses anything else.",
    UpnTopLevelDomain = "upn-tld": "The userPrincipalName's top-level domain is not a known one, so the suffix cannot be a verified domain of the tenant.",
    UpnUnverifiedDomain = "upn-unverified-domain": "The UPN suffix is not a verified domain of the tenant: Entra gives the user `<mailNickname>@<initial domain>` instead.",
    MailLength = "mail-length": "Entra refuses a mail address longer than 256 characters.",
    MailFormat = "mail-format": "`mail` is not an SMTP address (RFC 5322 dot-atom `@` domain); Entra and Exchange Online refuse it.",
    MailTopLevelDomain = "mail-tld": "The top-level domain of `mail` is not a known one.",
    MailNicknameLength = "mailnickname-length": "Entra refuses a mailNickname longer than 64 characters.",
    MailNicknameCharacter = "mailnickname-character": "Exchange Online allows only letters, digits, ! # $ % & ' * + - / = ? ^ _ ` { | } ~ and inner single periods in an alias (mailNickname).",
    ProxyLength = "proxy-length": "Entra refuses a proxy address longer than 256 characters.",
    ProxyCharacter = "proxy-character": "The proxy address holds a character its address type does not allow.",
    ProxyFormat = "proxy-format": "An SMTP proxy address must be `smtp:` and one SMTP address; other types need `type:value`.",
    ProxyTopLevelDomain = "proxy-tld": "The top-level domain of an SMTP proxy address is not a known one.",
    ProxyPrimary = "proxy-primary": "An object may have only one primary (`SMTP:`) address; Exchange Online refuses several.",
    SamAccountNameLength = "sam-length": "sAMAccountName is limited to 20 characters for users (256 for other objects).",
    SamAccountNameCharacter = "sam-character": "sAMAccountName must not contain \\ \" | , / [ ] : < > + = ; ? * or control characters.",
    DisplayNameLength = "displayname-length": "Entra refuses a displayName longer than 256 characters.",
    GivenNameLength = "givenname-length": "Entra refuses a givenName longer than 64 characters.",
    SurnameLength = "surname-length": "Entra refuses a surname longer than 64 characters.",
    BlankDisplayName = "blank-displayname": "Entra needs a displayName for every user and group.",
    BlankUserPrincipalName = "blank-upn": "Entra needs a userPrincipalName: without one Entra Connect exports `sAMAccountName@<AD DNS domain>`, and an unverified domain becomes `<mailNickname>@<initial domain>`.",
    Whitespace = "whitespace": "Leading or trailing spaces: Entra trims them, so the cloud value differs from AD's and comparisons miss.",
    DuplicateAddress = "duplicate-address": "Another object holds this address (userPrincipalName, mail and proxy addresses share one namespace in Entra): the export fails with AttributeValueMustBeUnique or the value is quarantined.",
    DuplicateMailNickname = "duplicate-mailnickname": "Another object has the same mailNickname: Exchange Online needs aliases to be unique.",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object as lint sees it: the attributes the rules read, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintObject {
    /// The distinguished name.
    pub dn: String,
    /// What kind of object (`None` is never stored: readers drop other objects).
    pub kind: Option<ObjectKind>,
    /// `cn`.
    pub cn: Option<String>,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `sAMAccountName`.
    pub sam_account_name: Option<String>,
    /// `mail`.
    pub mail: Option<String>,
    /// `mailNickname`.
    pub mail_nickname: Option<String>,
    /// `proxyAddresses`, with their type prefixes.
    pub proxy_addresses: Vec<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `sn`.
    pub surname: Option<String>,
    /// `isCriticalSystemObject` is TRUE.
    pub critical_system_object: bool,
    /// `msExchHideFromAddressLists` is TRUE.
    pub hidden_from_address_lists: bool,
    /// `msExchRecipientTypeDetails`.
    pub recipient_type_details: Option<i64>,
    /// `groupType`.
    pub group_type: Option<i64>,
}

/// The attributes lint reads besides [`crate::directory::STANDARD_ATTRIBUTES`].
pub const LINT_ATTRIBUTES: &[&str] = &[
    "objectClass",
    "cn",
    "isCriticalSystemObject",
    "msExchHideFromAddressLists",
    "msExchRecipientTypeDetails",
    "groupType",
];

impl LintObject {
    /// The object of a directory entry, or `None` when the entry is not a user, group or contact.
    /// Values that are not UTF-8 are read lossily: lint reports them rather than refusing the file.
    pub fn from_entry(entry: &DirectoryEntry) -> Option<Self> {
        let kind = ObjectKind::of_entry(entry)?;
        let text = |name: &str| {
            entry
                .values(name)
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned())
        };
        let flag =
            |name: &str| text(name).is_some_and(|value| value.trim().eq_ignore_ascii_case("TRUE"));
        let number = |name: &str| text(name).and_then(|value| value.trim().parse::<i64>().ok());
        Some(Self {
            dn: entry.dn.clone(),
            kind: Some(kind),
            cn: text("cn"),
            user_principal_name: text("userPrincipalName"),
            sam_account_name: text("sAMAccountName"),
            mail: text("mail"),
            mail_nickname: text("mailNickname"),
            proxy_addresses: entry
                .values("proxyAddresses")
                .iter()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .collect(),
            display_name: text("displayName"),
            given_name: text("givenName"),
            surname: text("sn"),
            critical_system_object: flag("isCriticalSystemObject"),
            hidden_from_address_lists: flag("msExchHideFromAddressLists"),
            recipient_type_details: number("msExchRecipientTypeDetails"),
            group_type: number("groupType"),
        })
    }

    /// The object's kind (users when unset).
    pub fn kind(&self) -> ObjectKind {
        self.kind.unwrap_or(ObjectKind::User)
    }

    /// Whether the object holds `mail` or any proxy address.
    pub fn is_mail_enabled(&self) -> bool {
        self.mail
            .as_deref()
            .is_some_and(|mail| !mail.trim().is_empty())
            || !self.proxy_addresses.is_empty()
    }

    /// The single-valued text of an attribute (`None` for proxyAddresses).
    pub fn single(&self, attribute: Attribute) -> Option<&str> {
        match attribute {
            Attribute::UserPrincipalName => self.user_principal_name.as_deref(),
            Attribute::Mail => self.mail.as_deref(),
            Attribute::MailNickname => self.mail_nickname.as_deref(),
            Attribute::ProxyAddresses => None,
            Attribute::SamAccountName => self.sam_account_name.as_deref(),
            Attribute::DisplayName => self.display_name.as_deref(),
            Attribute::GivenName => self.given_name.as_deref(),
            Attribute::Surname => self.surname.as_deref(),
        }
    }
}

/// A cloud object that lint compares AD's values with: one that no AD object matches (a cloud user the
/// match engine pairs with no AD user, or any mail-enabled group or organisational contact, which
/// `plan` never matches), so any value it shares with an AD object is a conflict at the first export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudHolder {
    /// What kind of cloud object: a user, a group or an organisational contact.
    pub kind: ObjectKind,
    /// The Entra object id.
    pub id: String,
    /// `displayName`: names groups and contacts in findings, which have no userPrincipalName.
    pub display_name: Option<String>,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `mail`.
    pub mail: Option<String>,
    /// `proxyAddresses`.
    pub proxy_addresses: Vec<String>,
}

/// What lint needs from the tenant (with `--cloud`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantFacts {
    /// The tenant's verified domains.
    pub verified_domains: Vec<String>,
    /// The initial `*.onmicrosoft.com` domain, when known.
    pub initial_domain: Option<String>,
    /// The cloud objects no AD object matches.
    pub unmatched: Vec<CloudHolder>,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The position of the object in the input.
    pub object: usize,
    /// The rule.
    pub rule: RuleId,
    /// The attribute.
    pub attribute: Attribute,
    /// The value as found (empty for a blank).
    pub value: String,
    /// The value lint proposes, when one is safe (never for duplicates).
    pub proposed: Option<String>,
    /// What this case adds to the rule's reason (the other holder of a duplicate, the limit).
    pub detail: Option<String>,
}

impl Finding {
    /// The full reason: the rule's, then this case's.
    pub fn why(&self) -> String {
        match &self.detail {
            Some(detail) => format!("{} {detail}", self.rule.why()),
            None => self.rule.why().to_owned(),
        }
    }
}

/// The result of a lint run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Findings, sorted by object, attribute, rule and value.
    pub findings: Vec<Finding>,
    /// How many objects were checked.
    pub checked: usize,
    /// The objects skipped as IdFix skips them: position and reason.
    pub skipped: Vec<(usize, &'static str)>,
}

/// Runs every rule over the objects (and, with `tenant`, the tenant checks), in time linear in the
/// number of values.
pub fn lint(objects: &[LintObject], tlds: &TldList, tenant: Option<&TenantFacts>) -> LintReport {
    use rayon::prelude::*;
    let skipped: Vec<(usize, &'static str)> = objects
        .iter()
        .enumerate()
        .filter_map(|(position, object)| skip::skip_reason(object).map(|why| (position, why)))
        .collect();
    let mut in_scope = vec![true; objects.len()];
    for (position, _) in &skipped {
        if let Some(slot) = in_scope.get_mut(*position) {
            *slot = false;
        }
    }
    let verified = tenant.map(|tenant| {
        tenant
            .verified_domains
            .iter()
            .map(|domain| domain.to_ascii_lowercase())
            .collect::<rustc_hash::FxHashSet<String>>()
    });
    let mut findings: Vec<Finding> = objects
        .par_iter()
        .enumerate()
        .filter(|(position, _)| in_scope.get(*position).copied().unwrap_or(false))
        .flat_map_iter(|(position, object)| {
            rules::object_findings(position, object, tlds, verified.as_ref(), tenant)
        })
        .collect();
    let index = duplicates::AddressIndex::build(objects, &in_scope, tenant);
    findings.extend(index.findings(objects, &in_scope));
    findings.extend(duplicates::mail_nickname_findings(objects, &in_scope));
    // A proposal that another object already holds would trade one finding for a duplicate: drop it.
    for finding in &mut findings {
        let Some(proposed) = finding.proposed.clone() else {
            continue;
        };
        if let Some(holder) = index.other_holder(finding.attribute, &proposed, finding.object) {
            finding.proposed = None;
            let note = format!(
                "No value is proposed: the cleaned value `{proposed}` is held by {holder}."
            );
            finding.detail = Some(match finding.detail.take() {
                Some(detail) => format!("{detail} {note}"),
                None => note,
            });
        }
    }
    findings.sort_by(|a, b| {
        (a.object, a.attribute, a.rule, &a.value).cmp(&(b.object, b.attribute, b.rule, &b.value))
    });
    LintReport {
        checked: objects.len().saturating_sub(skipped.len()),
        findings,
        skipped,
    }
}

#[cfg(test)]
mod tests;
