//! The objects lint skips: the well-known ones IdFix skips (its `Skip()` rules, multi-tenant set), and
//! those Entra Connect's out-of-box rules never export (`cloudFiltered`), so a finding on them would be
//! noise. IdFix's list: <https://github.com/microsoft/idfix> (`src/IdFix/Settings/Constants.cs`,
//! `Rules/MultiTenantRuleCollection.cs`); Connect's: the "In from AD - User Join" rule
//! (<https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/concept-azure-ad-connect-sync-default-configuration>).

use super::{LintObject, ObjectKind};

/// CN prefixes of Exchange, Kerberos and service accounts IdFix skips (compared case-insensitively).
const CN_PREFIXES: &[&str] = &[
    "Admini",
    "CAS_{",
    "DiscoverySearchMailbox",
    "FederatedEmail",
    "Guest",
    "HTTPConnector",
    "krbtgt",
    "iusr_",
    "iwam",
    "msol",
    "support_",
    "SystemMailbox",
    "WWIOadmini",
    "HealthMailbox",
    "Exchange Online-ApplicationAccount",
];

/// `msExchRecipientTypeDetails` values of system mailboxes and the like that IdFix skips.
const SKIPPED_RECIPIENT_TYPES: &[i64] = &[
    0x1000,
    0x2000,
    0x4000,
    0x40_0000,
    0x80_0000,
    0x100_0000,
    0x2000_0000,
];

/// The group type bit of a security group.
const SECURITY_GROUP: i64 = 0x8000_0000;

fn starts_with_ignoring_case(value: &str, prefix: &str) -> bool {
    value
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// The object's common name: `cn`, or the first RDN's value.
fn common_name(object: &LintObject) -> &str {
    if let Some(cn) = object.cn.as_deref() {
        return cn;
    }
    let first = object.dn.split(',').next().unwrap_or_default();
    first.split_once('=').map_or(first, |(_, value)| value)
}

/// Why lint skips an object, or `None` when it checks it.
pub fn skip_reason(object: &LintObject) -> Option<&'static str> {
    let cn = common_name(object);
    if CN_PREFIXES
        .iter()
        .any(|prefix| starts_with_ignoring_case(cn, prefix))
    {
        return Some("a well-known system or service account (by its CN), as IdFix skips it");
    }
    if cn.ends_with('$') {
        return Some("its CN ends in `$` (a machine or hidden account), as IdFix skips it");
    }
    if object.dn.contains("\\0ACNF:") || object.dn.contains("\nCNF:") {
        return Some(
            "a replication conflict object (`CNF:` in the DN): Entra Connect never exports it",
        );
    }
    if object.critical_system_object {
        return Some("isCriticalSystemObject is TRUE: Entra Connect never exports it");
    }
    match object.kind() {
        ObjectKind::User => user_skip_reason(object),
        ObjectKind::Group => {
            let security = object
                .group_type
                .is_some_and(|group_type| group_type & SECURITY_GROUP != 0);
            let has_mail = object
                .mail
                .as_deref()
                .is_some_and(|mail| !mail.trim().is_empty());
            if security && !has_mail && object.proxy_addresses.is_empty() {
                Some("a security group without mail or proxy addresses: no address to check")
            } else if !security && object.proxy_addresses.is_empty() && !has_mail {
                Some("a distribution group without proxy addresses, as IdFix skips it")
            } else {
                None
            }
        }
        ObjectKind::Contact => (!object.is_mail_enabled())
            .then_some("a contact without mail or proxy addresses: no address to check"),
    }
}

fn user_skip_reason(object: &LintObject) -> Option<&'static str> {
    let sam = object.sam_account_name.as_deref().unwrap_or_default();
    if ["CAS_", "SUPPORT_", "MSOL_", "AAD_"]
        .iter()
        .any(|prefix| starts_with_ignoring_case(sam, prefix))
    {
        return Some("sAMAccountName marks a service account (CAS_, SUPPORT_, MSOL_, AAD_)");
    }
    let nickname = object.mail_nickname.as_deref().unwrap_or_default();
    if ["CAS_", "SYSTEMMAILBOX"]
        .iter()
        .any(|prefix| starts_with_ignoring_case(nickname, prefix))
    {
        return Some("mailNickname marks an Exchange system mailbox");
    }
    let display = object.display_name.as_deref().unwrap_or_default();
    if object.hidden_from_address_lists && starts_with_ignoring_case(display, "MSOL") {
        return Some("a hidden MSOL service account, as IdFix skips it");
    }
    if object
        .recipient_type_details
        .is_some_and(|details| SKIPPED_RECIPIENT_TYPES.contains(&details))
    {
        return Some("msExchRecipientTypeDetails marks a system or arbitration mailbox");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(cn: &str) -> LintObject {
        LintObject {
            dn: format!("CN={cn},CN=Users,DC=corp,DC=example"),
            kind: Some(ObjectKind::User),
            user_principal_name: Some(format!("{cn}@example.com")),
            ..LintObject::default()
        }
    }

    #[test]
    fn well_known_objects_are_skipped_and_ordinary_ones_checked() {
        for cn in [
            "krbtgt",
            "Administrator",
            "Guest",
            "HealthMailbox0a1b",
            "SystemMailbox{1f05}",
            "svc$",
        ] {
            assert!(skip_reason(&user(cn)).is_some(), "{cn}");
        }
        for cn in ["Taro Yamada", "Adam", "Gus"] {
            assert_eq!(skip_reason(&user(cn)), None, "{cn}");
        }
        let mut critical = user("Taro");
        critical.critical_system_object = true;
        assert!(skip_reason(&critical).is_some());
        let mut conflict = user("Taro");
        conflict.dn = "CN=Taro\\0ACNF:5a8e,CN=Users,DC=corp".into();
        assert!(skip_reason(&conflict).is_some());
        let mut msol = user("Sync");
        msol.sam_account_name = Some("MSOL_0123abcd".into());
        assert!(skip_reason(&msol).is_some());
        let mut arbitration = user("Mailbox");
        arbitration.recipient_type_details = Some(0x80_0000);
        assert!(skip_reason(&arbitration).is_some());
        arbitration.recipient_type_details = Some(1);
        assert_eq!(skip_reason(&arbitration), None);
    }

    #[test]
    fn groups_and_contacts_are_checked_only_when_they_hold_addresses() {
        let mut group = LintObject {
            dn: "CN=Sales,OU=Groups,DC=corp".into(),
            kind: Some(ObjectKind::Group),
            group_type: Some(-2_147_483_646),
            ..LintObject::default()
        };
        assert!(skip_reason(&group).is_some());
        group.mail = Some("sales@example.com".into());
        assert_eq!(skip_reason(&group), None);
        let mut contact = LintObject {
            dn: "CN=Partner,OU=Contacts,DC=corp".into(),
            kind: Some(ObjectKind::Contact),
            ..LintObject::default()
        };
        assert!(skip_reason(&contact).is_some());
        contact.proxy_addresses = vec!["SMTP:partner@example.net".into()];
        assert_eq!(skip_reason(&contact), None);
    }
}
