//! The people and their accounts: a profile per person (name, office, department, identifiers), its AD
//! entry and its cloud user, the synchronised state of a cloud user, role assignments, and DNs.

use serde_json::Map;

use crate::directory::DirectoryEntry;
use crate::identifier::Sid;
use crate::tenant::{CloudUser, RoleAssignment};

use super::names::{
    DEPARTMENTS, JAPANESE_FAMILY, JAPANESE_GIVEN, OFFICES, Office, Person, TITLES, WESTERN_FAMILY,
    WESTERN_GIVEN,
};
use super::{AD_BASE, AD_DOMAIN, DOMAIN_SID, Generator, Rng};

/// A person with everything an account needs.
pub(super) struct Profile {
    pub(super) person: Person,
    pub(super) office: Office,
    pub(super) department: (&'static str, &'static str),
    pub(super) title: (&'static str, &'static str),
    pub(super) number: usize,
    pub(super) local: String,
    pub(super) sam: String,
    pub(super) dn: String,
    pub(super) object_guid: [u8; 16],
    pub(super) sid: String,
    pub(super) disabled: bool,
    pub(super) phone: Option<String>,
    pub(super) mobile: Option<String>,
    pub(super) mail_nickname: bool,
}

/// What an AD account of a case looks like.
pub(super) struct Account<'p> {
    pub(super) profile: &'p Profile,
    pub(super) upn: Option<String>,
    pub(super) primary: Option<String>,
    pub(super) secondary: Vec<String>,
    pub(super) consistency_guid: Option<Vec<u8>>,
    pub(super) object_guid: bool,
}

impl Generator {
    pub(super) fn profile(&self, rng: &mut Rng, number: usize, suffix: &str) -> Profile {
        let office = rng.pick(OFFICES).unwrap_or(Office {
            ous: &["Users"],
            country: "JP",
            phone_prefix: "+81 3-5555-",
            name: "東京本社",
            japanese: true,
        });
        let japanese = if office.japanese {
            rng.chance(92)
        } else {
            rng.chance(10)
        };
        let person = if japanese {
            let (family, family_ascii) = rng.pick(JAPANESE_FAMILY).unwrap_or(("山田", "yamada"));
            let (given, given_ascii) = rng.pick(JAPANESE_GIVEN).unwrap_or(("太郎", "taro"));
            Person {
                given,
                family,
                given_ascii,
                family_ascii,
                family_first: true,
            }
        } else {
            let (family, family_ascii) = rng.pick(WESTERN_FAMILY).unwrap_or(("Smith", "smith"));
            let (given, given_ascii) = rng.pick(WESTERN_GIVEN).unwrap_or(("Emma", "emma"));
            Person {
                given,
                family,
                given_ascii,
                family_ascii,
                family_first: false,
            }
        };
        let local = format!(
            "{}.{}{number}{suffix}",
            person.given_ascii, person.family_ascii
        );
        let initial: String = person.given_ascii.chars().take(1).collect();
        let sam: String = format!("{initial}{}{number}{suffix}", person.family_ascii)
            .chars()
            .take(20)
            .collect();
        let label = if suffix.is_empty() {
            format!("{} {number}", person.display_name())
        } else {
            format!(
                "{} {number} ({})",
                person.display_name(),
                suffix.trim_start_matches('.')
            )
        };
        let dn = format!("CN={},{}", escape_rdn(&label), ou_dn(office.ous));
        let rid = 1100 + number * 2 + usize::from(!suffix.is_empty());
        let extension = 1000 + rng.below(9000);
        Profile {
            person,
            office,
            department: rng.pick(DEPARTMENTS).unwrap_or(("営業部", "Sales")),
            title: rng.pick(TITLES).unwrap_or(("担当", "Staff")),
            number,
            local,
            sam,
            dn,
            object_guid: rng.bytes16(),
            sid: format!("{DOMAIN_SID}-{rid}"),
            disabled: rng.chance(4),
            phone: rng
                .chance(70)
                .then(|| format!("{}{extension}", office.phone_prefix)),
            mobile: rng
                .chance(30)
                .then(|| format!("+81 90-{:04}-{:04}", rng.below(10000), rng.below(10000))),
            mail_nickname: rng.chance(50),
        }
    }

    /// A second account of the same person (an admin account, a re-hire): same name, its own number,
    /// DN, identifiers and SID.
    pub(super) fn twin(&self, rng: &mut Rng, profile: &Profile, suffix: &str) -> Profile {
        let mut twin = self.profile(rng, profile.number, suffix);
        let person = profile.person;
        let number = profile.number;
        twin.person = person;
        twin.office = profile.office;
        twin.local = format!(
            "{}.{}{number}{suffix}",
            person.given_ascii, person.family_ascii
        );
        let initial: String = person.given_ascii.chars().take(1).collect();
        twin.sam = format!("{initial}{}{number}{suffix}", person.family_ascii)
            .chars()
            .take(20)
            .collect();
        let label = format!(
            "{} {number} ({})",
            person.display_name(),
            suffix.trim_start_matches('.')
        );
        twin.dn = format!("CN={},{}", escape_rdn(&label), ou_dn(profile.office.ous));
        twin
    }

    pub(super) fn entry(&self, account: &Account<'_>) -> DirectoryEntry {
        let profile = account.profile;
        let person = &profile.person;
        let mut entry = DirectoryEntry::new(profile.dn.clone());
        for class in ["top", "person", "organizationalPerson", "user"] {
            entry.push("objectClass", class);
        }
        let cn = profile
            .dn
            .strip_prefix("CN=")
            .and_then(|rest| rest.split(",OU=").next())
            .unwrap_or_default()
            .replace('\\', "");
        entry.push("cn", cn);
        entry.push("sAMAccountName", profile.sam.as_str());
        if let Some(upn) = &account.upn {
            entry.push("userPrincipalName", upn.as_str());
        }
        entry.push("givenName", person.given);
        entry.push("sn", person.family);
        entry.push("displayName", person.display_name());
        if let Some(primary) = &account.primary {
            entry.push("mail", primary.as_str());
            entry.push("proxyAddresses", format!("SMTP:{primary}"));
            if profile.mail_nickname
                && let Some(prefix) = primary.split('@').next()
            {
                entry.push("mailNickname", prefix);
            }
        }
        for secondary in &account.secondary {
            entry.push("proxyAddresses", format!("smtp:{secondary}"));
        }
        if account.object_guid {
            entry.push("objectGUID", profile.object_guid.to_vec());
        }
        if let Some(guid) = &account.consistency_guid {
            entry.push("mS-DS-ConsistencyGuid", guid.clone());
        }
        if let Ok(sid) = profile.sid.parse::<Sid>() {
            entry.push("objectSid", sid.to_bytes());
        }
        entry.push(
            "userAccountControl",
            if profile.disabled { "514" } else { "512" },
        );
        let japanese = person.family_first;
        entry.push(
            "department",
            if japanese {
                profile.department.0
            } else {
                profile.department.1
            },
        );
        entry.push(
            "title",
            if japanese {
                profile.title.0
            } else {
                profile.title.1
            },
        );
        entry.push("employeeID", format!("E{:07}", profile.number));
        entry.push("physicalDeliveryOfficeName", profile.office.name);
        if let Some(phone) = &profile.phone {
            entry.push("telephoneNumber", phone.as_str());
        }
        if let Some(mobile) = &profile.mobile {
            entry.push("mobile", mobile.as_str());
        }
        entry.push("whenChanged", "20261101090000.0Z");
        entry.push("uSNChanged", (20000 + profile.number).to_string());
        entry
    }

    /// A cloud user for a profile: the same person as the cloud knows it, with the drift a cloud-managed
    /// account accumulates (ASCII display name, English title, a phone only in the cloud...).
    pub(super) fn cloud_user(
        &self,
        rng: &mut Rng,
        profile: &Profile,
        upn: &str,
        proxies: Vec<String>,
    ) -> CloudUser {
        let person = &profile.person;
        let mail = proxies
            .iter()
            .find_map(|proxy| proxy.strip_prefix("SMTP:"))
            .map(str::to_owned);
        CloudUser {
            id: rng.guid(),
            user_principal_name: Some(upn.to_owned()),
            display_name: Some(if rng.chance(40) {
                person.display_name_ascii()
            } else {
                person.display_name()
            }),
            given_name: Some(person.given.to_owned()),
            surname: Some(person.family.to_owned()),
            mail_nickname: upn.split('@').next().map(str::to_owned),
            mail,
            proxy_addresses: proxies,
            other_mails: Vec::new(),
            account_enabled: Some(true),
            user_type: Some("Member".to_owned()),
            created_date_time: Some(format!(
                "20{:02}-{:02}-{:02}T09:00:00Z",
                18 + rng.below(7),
                1 + rng.below(12),
                1 + rng.below(28)
            )),
            job_title: rng.chance(70).then(|| profile.title.1.to_owned()),
            department: rng.chance(60).then(|| profile.department.1.to_owned()),
            employee_id: rng.chance(50).then(|| format!("E{:07}", profile.number)),
            mobile_phone: if rng.chance(20) {
                Some(format!(
                    "+81 80-{:04}-{:04}",
                    rng.below(10000),
                    rng.below(10000)
                ))
            } else {
                profile.mobile.clone()
            },
            business_phones: profile.phone.iter().cloned().collect(),
            office_location: rng.chance(50).then(|| profile.office.name.to_owned()),
            usage_location: Some(profile.office.country.to_owned()),
            ..CloudUser::default()
        }
    }

    pub(super) fn synced(&self, user: &mut CloudUser, dn: &str, sid: &str, sam: &str, upn: &str) {
        user.on_premises_sync_enabled = Some(true);
        user.on_premises_distinguished_name = Some(dn.to_owned());
        user.on_premises_security_identifier = Some(sid.to_owned());
        user.on_premises_sam_account_name = Some(sam.to_owned());
        user.on_premises_user_principal_name = Some(upn.to_owned());
        user.on_premises_domain_name = Some(AD_DOMAIN.to_owned());
        user.on_premises_last_sync_date_time = Some("2026-10-31T21:00:00Z".to_owned());
    }

    pub(super) fn role(&self, rng: &mut Rng, principal: &str, role: &str) -> RoleAssignment {
        RoleAssignment {
            id: rng.guid(),
            principal_id: principal.to_owned(),
            role_definition_id: role.to_owned(),
            directory_scope_id: Some("/".to_owned()),
            other: Map::new(),
        }
    }
}

pub(super) fn ou_dn(ous: &[&str]) -> String {
    let mut dn: String = ous
        .iter()
        .map(|ou| format!("OU={},", escape_rdn(ou)))
        .collect();
    dn.push_str(AD_BASE);
    dn
}

/// Escapes the characters RFC 4514 requires in an RDN value.
pub(super) fn escape_rdn(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for (position, character) in value.chars().enumerate() {
        let special = matches!(character, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (position == 0 && matches!(character, '#' | ' '));
        if special {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}
