//! The fixture directory every Samba DC of the test setup is seeded with.
//!
//! One deterministic description serves two purposes: `anchorsync-fixture` turns it into the objects
//! `scripts/samba-dc.sh` loads into a freshly provisioned DC, and tests ask it what they should find
//! (how many users an OU holds, who is a nested member of a group). Because the DC is provisioned with
//! a fixed domain SID and the fixture sets `objectGUID` and `objectSid` explicitly, the directory is the
//! same, byte for byte, on every run.
//!
//! Shape, under `OU=Fixture` of the domain:
//!
//! | OU | users | what it exercises |
//! |---|---|---|
//! | `Tokyo` | 12 | Japanese names in `cn`, `displayName`, `givenName`, `sn` |
//! | `Paris` | 12 | accented Latin names |
//! | `Sales`, and `Interns` inside it | 8 + 5 | nested OUs |
//! | `Excluded` | 4 | excluded-OU scoping |
//! | `Special` | 4 | DNs with `,` `+` `#`, identifiers whose bytes are valid UTF-8 |
//! | `Bulk` | 1,500 by default | paging |
//! | `Groups` | 0 | `All Staff` ⊃ `Tokyo Staff` ⊃ `Tokyo Interns`, `Europe Staff`, `Empty Group` |
//!
//! Every seventh user is disabled, every third has an `mS-DS-ConsistencyGuid` (half of those equal to
//! the objectGUID, as Entra Connect writes it, half different), and every user has one primary
//! `SMTP:` and several secondary `smtp:` proxy addresses.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The domain SID the DC is provisioned with. Its sub-authorities are the bytes `AAAA`, `BBBB`,
/// `CCCC`, so many user SIDs are valid UTF-8: a reader that guesses "text" from the bytes gets them
/// wrong.
pub const DOMAIN_SID: &str = "S-1-5-21-1094795585-1111638594-1128481603";
/// The realm of the test DC.
pub const REALM: &str = "CORP.EXAMPLE.COM";
/// The NetBIOS domain of the test DC.
pub const NETBIOS_DOMAIN: &str = "CORP";
/// The domain naming context of the test DC.
pub const DOMAIN_DN: &str = "DC=corp,DC=example,DC=com";
/// The default number of users in `OU=Bulk`.
pub const DEFAULT_BULK_USERS: usize = 1500;
/// RIDs of fixture users start here, far from the RIDs Samba hands out to objects tests create.
const FIRST_RID: u32 = 0x0020_0000;
/// The `objectGUID` of `OU=Special`'s `ascii guid` user: 16 bytes of printable ASCII.
pub const ASCII_OBJECT_GUID: [u8; 16] = *b"ABCDEFGHIJKLMNOP";
/// The `mS-DS-ConsistencyGuid` of `OU=Special`'s `ascii guid` user: 16 bytes of printable ASCII.
pub const ASCII_CONSISTENCY_GUID: [u8; 16] = *b"anchor-0123456!!";

/// `userAccountControl` of an enabled fixture user: NORMAL_ACCOUNT | PASSWD_NOTREQD (fixture users
/// have no password).
pub const UAC_ENABLED: u32 = 0x0200 | 0x0020;
/// `userAccountControl` of a disabled fixture user.
pub const UAC_DISABLED: u32 = UAC_ENABLED | 0x0002;

/// An attribute value: text or raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// UTF-8 text.
    Text(String),
    /// Bytes (objectGUID, objectSid, mS-DS-ConsistencyGuid).
    Binary(Vec<u8>),
}

impl Value {
    /// The value's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }
}

/// One object to add.
#[derive(Debug, Clone)]
pub struct FixtureObject {
    /// Its DN.
    pub dn: String,
    /// Attributes in the order they are added.
    pub attributes: Vec<(String, Vec<Value>)>,
}

impl FixtureObject {
    fn new(dn: String, object_class: &str) -> Self {
        Self {
            dn,
            attributes: vec![("objectClass".to_owned(), vec![text(object_class)])],
        }
    }

    fn set(&mut self, name: &str, values: Vec<Value>) {
        self.attributes.push((name.to_owned(), values));
    }

    /// The values of one attribute (compared case-insensitively).
    pub fn values(&self, name: &str) -> &[Value] {
        self.attributes
            .iter()
            .find(|(attribute, _)| attribute.eq_ignore_ascii_case(name))
            .map_or(&[], |(_, values)| values.as_slice())
    }
}

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// A fixture user, as tests see it.
#[derive(Debug, Clone)]
pub struct FixtureUser {
    /// Its DN.
    pub dn: String,
    /// The OU it lives in (`Tokyo`, `Interns`, ...).
    pub ou: &'static str,
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `displayName`.
    pub display_name: String,
    /// `objectGUID` bytes.
    pub object_guid: [u8; 16],
    /// `objectSid` bytes.
    pub object_sid: Vec<u8>,
    /// `mS-DS-ConsistencyGuid`, when set.
    pub consistency_guid: Option<Vec<u8>>,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// `proxyAddresses`.
    pub proxy_addresses: Vec<String>,
}

/// The whole fixture: OUs, users and groups under `OU=Fixture,<domain>`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The domain DN.
    pub domain_dn: String,
    /// Users, in the order they are added.
    pub users: Vec<FixtureUser>,
    /// Every object, in the order to add them.
    pub objects: Vec<FixtureObject>,
    /// Nested members (users only, transitively) of each group, by group CN.
    pub group_members: Vec<(&'static str, Vec<String>)>,
}

const TOKYO: &[(&str, &str, &str)] = &[
    ("山田", "太郎", "yamada.taro"),
    ("佐藤", "花子", "sato.hanako"),
    ("鈴木", "一郎", "suzuki.ichiro"),
    ("高橋", "美咲", "takahashi.misaki"),
    ("田中", "健太", "tanaka.kenta"),
    ("伊藤", "さくら", "ito.sakura"),
    ("渡辺", "翔", "watanabe.sho"),
    ("山本", "陽菜", "yamamoto.hina"),
    ("中村", "大輔", "nakamura.daisuke"),
    ("小林", "結衣", "kobayashi.yui"),
    ("加藤", "蓮", "kato.ren"),
    ("吉田", "ひまり", "yoshida.himari"),
];

const PARIS: &[(&str, &str, &str)] = &[
    ("Lefèvre", "François", "francois.lefevre"),
    ("Müller", "José", "jose.muller"),
    ("Ångström", "Zoë", "zoe.angstrom"),
    ("Núñez", "Iñés", "ines.nunez"),
    ("Dvořák", "Antonín", "antonin.dvorak"),
    ("Łukasiewicz", "Jan", "jan.lukasiewicz"),
    ("Øster", "Søren", "soren.oster"),
    ("Gómez", "Raúl", "raul.gomez"),
    ("Çelik", "Ayşe", "ayse.celik"),
    ("Ðorđević", "Đorđe", "dorde.dordevic"),
    ("Strauß", "Jürgen", "jurgen.strauss"),
    ("Fabre", "Hélène", "helene.fabre"),
];

/// The OUs under `OU=Fixture`, parents before children, as RDN paths relative to it.
const OUS: &[(&str, &str)] = &[
    ("Tokyo", "OU=Tokyo"),
    ("Paris", "OU=Paris"),
    ("Sales", "OU=Sales"),
    ("Interns", "OU=Interns,OU=Sales"),
    ("Excluded", "OU=Excluded"),
    ("Special", "OU=Special"),
    ("Bulk", "OU=Bulk"),
    ("Groups", "OU=Groups"),
];

impl Fixture {
    /// The fixture with `bulk_users` users in `OU=Bulk`.
    pub fn new(bulk_users: usize) -> Self {
        Self::in_domain(DOMAIN_DN, bulk_users)
    }

    /// `OU=Fixture,<domain>`: the root of the fixture.
    pub fn root(&self) -> String {
        format!("OU=Fixture,{}", self.domain_dn)
    }

    /// The DN of an OU of the fixture by its name (`Tokyo`, `Interns`...).
    pub fn ou(&self, name: &str) -> String {
        let path = OUS
            .iter()
            .find(|(ou, _)| *ou == name)
            .map_or(name, |(_, path)| path);
        format!("{path},{}", self.root())
    }

    /// The DN of a group by its CN.
    pub fn group(&self, cn: &str) -> String {
        format!("CN={cn},{}", self.ou("Groups"))
    }

    /// Users whose DN lies in the subtree of `dn` (case-insensitive suffix match on RDN boundaries).
    pub fn users_under(&self, dn: &str) -> Vec<&FixtureUser> {
        let suffix = format!(",{}", dn.to_lowercase());
        self.users
            .iter()
            .filter(|user| user.dn.to_lowercase().ends_with(&suffix))
            .collect()
    }

    /// The nested user members of a group by CN.
    pub fn nested_members(&self, cn: &str) -> Vec<String> {
        self.group_members
            .iter()
            .find(|(group, _)| *group == cn)
            .map(|(_, members)| members.clone())
            .unwrap_or_default()
    }

    fn in_domain(domain_dn: &str, bulk_users: usize) -> Self {
        let mut fixture = Self {
            domain_dn: domain_dn.to_owned(),
            users: Vec::new(),
            objects: Vec::new(),
            group_members: Vec::new(),
        };
        let root = fixture.root();
        fixture
            .objects
            .push(FixtureObject::new(root.clone(), "organizationalUnit"));
        for (_, path) in OUS {
            fixture.objects.push(FixtureObject::new(
                format!("{path},{root}"),
                "organizationalUnit",
            ));
        }
        let mut index = 0usize;
        for (sn, given, sam) in TOKYO {
            let cn = format!("{sn} {given}");
            fixture.add_user(index, "Tokyo", &cn, given, sn, sam, "東京本社");
            index += 1;
        }
        for (sn, given, sam) in PARIS {
            let cn = format!("{given} {sn}");
            fixture.add_user(index, "Paris", &cn, given, sn, sam, "Paris La Défense");
            index += 1;
        }
        for n in 0..8 {
            let sam = format!("sales{n:02}");
            let cn = format!("Sales Person {n:02}");
            fixture.add_user(
                index,
                "Sales",
                &cn,
                "Sales",
                &format!("Person {n:02}"),
                &sam,
                "Osaka",
            );
            index += 1;
        }
        for n in 0..5 {
            let sam = format!("intern{n:02}");
            let cn = format!("Intern {n:02}");
            fixture.add_user(
                index,
                "Interns",
                &cn,
                "Intern",
                &format!("{n:02}"),
                &sam,
                "Osaka",
            );
            index += 1;
        }
        for n in 0..4 {
            let sam = format!("excluded{n:02}");
            let cn = format!("Excluded {n:02}");
            fixture.add_user(
                index,
                "Excluded",
                &cn,
                "Excluded",
                &format!("{n:02}"),
                &sam,
                "Nagoya",
            );
            index += 1;
        }
        // DN edge cases: escaped characters in the RDN.
        let special = [
            ("Doe\\, John", "John", "Doe", "john.doe"),
            ("Smith\\+Jones", "Alex", "Smith+Jones", "alex.smithjones"),
            ("\\#Hash Tag", "Hash", "Tag", "hash.tag"),
            ("ascii guid", "Ascii", "Guid", "ascii.guid"),
        ];
        for (cn, given, sn, sam) in special {
            fixture.add_user(index, "Special", cn, given, sn, sam, "Kyoto");
            index += 1;
        }
        for n in 0..bulk_users {
            let sam = format!("bulk{n:06}");
            let cn = format!("Bulk User {n:06}");
            fixture.add_user(
                index,
                "Bulk",
                &cn,
                "Bulk",
                &format!("User {n:06}"),
                &sam,
                "Sapporo",
            );
            index += 1;
        }
        fixture.add_groups();
        fixture
    }

    #[allow(clippy::too_many_arguments)]
    fn add_user(
        &mut self,
        index: usize,
        ou: &'static str,
        cn: &str,
        given: &str,
        sn: &str,
        sam: &str,
        office: &str,
    ) {
        let dn = format!("CN={cn},{}", self.ou(ou));
        let mut object_guid = fixture_guid(index as u64);
        let mut consistency_guid = match index % 6 {
            0 => Some(object_guid.to_vec()),
            3 => Some(fixture_guid(1_000_000 + index as u64).to_vec()),
            _ => None,
        };
        if sam == "ascii.guid" {
            object_guid = ASCII_OBJECT_GUID;
            consistency_guid = Some(ASCII_CONSISTENCY_GUID.to_vec());
        }
        let rid = FIRST_RID + u32::try_from(index).unwrap_or(u32::MAX);
        let object_sid = sid_bytes(rid);
        let disabled = index % 7 == 6;
        let proxy_addresses = vec![
            format!("SMTP:{sam}@example.com"),
            format!("smtp:{sam}@corp.example.com"),
            format!("smtp:{sam}@example.mail.onmicrosoft.com"),
            format!("sip:{sam}@example.com"),
        ];
        let display_name = cn.replace('\\', "");
        let mut object = FixtureObject::new(dn.clone(), "user");
        object.set("objectGUID", vec![Value::Binary(object_guid.to_vec())]);
        object.set("objectSid", vec![Value::Binary(object_sid.clone())]);
        object.set("sAMAccountName", vec![text(sam)]);
        object.set(
            "userPrincipalName",
            vec![text(format!("{sam}@corp.example.com"))],
        );
        object.set("givenName", vec![text(given)]);
        object.set("sn", vec![text(sn)]);
        object.set("displayName", vec![text(display_name.clone())]);
        object.set("mail", vec![text(format!("{sam}@example.com"))]);
        object.set(
            "proxyAddresses",
            proxy_addresses.iter().map(|a| text(a.clone())).collect(),
        );
        object.set("mailNickname", vec![text(sam)]);
        object.set(
            "title",
            vec![text(if index.is_multiple_of(2) {
                "Engineer"
            } else {
                "Consultant"
            })],
        );
        object.set("department", vec![text(ou)]);
        object.set("employeeID", vec![text(format!("E{index:06}"))]);
        object.set("employeeNumber", vec![text(format!("{}", 100_000 + index))]);
        object.set(
            "telephoneNumber",
            vec![text(format!("+81 3 5555 {:04}", index % 10_000))],
        );
        object.set(
            "mobile",
            vec![text(format!("+81 90 5555 {:04}", index % 10_000))],
        );
        object.set("physicalDeliveryOfficeName", vec![text(office)]);
        object.set(
            "userAccountControl",
            vec![text(
                (if disabled { UAC_DISABLED } else { UAC_ENABLED }).to_string(),
            )],
        );
        if let Some(bytes) = &consistency_guid {
            object.set("mS-DS-ConsistencyGuid", vec![Value::Binary(bytes.clone())]);
        }
        self.objects.push(object);
        self.users.push(FixtureUser {
            dn,
            ou,
            sam_account_name: sam.to_owned(),
            display_name,
            object_guid,
            object_sid,
            consistency_guid,
            disabled,
            proxy_addresses,
        });
    }

    fn add_groups(&mut self) {
        let users_in = |ou: &str, range: std::ops::Range<usize>| -> Vec<String> {
            self.users
                .iter()
                .filter(|user| user.ou == ou)
                .skip(range.start)
                .take(range.len())
                .map(|user| user.dn.clone())
                .collect()
        };
        let tokyo_interns = users_in("Tokyo", 6..9);
        let tokyo_direct = users_in("Tokyo", 0..6);
        let europe = users_in("Paris", 0..5);
        let sales_lead = users_in("Sales", 0..1);
        let groups: Vec<(&'static str, Vec<String>, Vec<&'static str>)> = vec![
            ("Tokyo Interns", tokyo_interns.clone(), vec![]),
            ("Tokyo Staff", tokyo_direct.clone(), vec!["Tokyo Interns"]),
            ("Europe Staff", europe.clone(), vec![]),
            (
                "All Staff",
                sales_lead.clone(),
                vec!["Tokyo Staff", "Europe Staff"],
            ),
            ("Empty Group", vec![], vec![]),
        ];
        for (cn, users, nested) in &groups {
            let mut object = FixtureObject::new(self.group(cn), "group");
            object.set("sAMAccountName", vec![text(cn.replace(' ', "-"))]);
            let mut members: Vec<Value> = users.iter().map(|dn| text(dn.clone())).collect();
            members.extend(nested.iter().map(|group| text(self.group(group))));
            if !members.is_empty() {
                object.set("member", members);
            }
            self.objects.push(object);
        }
        let tokyo_staff: Vec<String> = tokyo_direct.iter().chain(&tokyo_interns).cloned().collect();
        let all_staff: Vec<String> = sales_lead
            .iter()
            .chain(&tokyo_staff)
            .chain(&europe)
            .cloned()
            .collect();
        self.group_members = vec![
            ("Tokyo Interns", tokyo_interns),
            ("Tokyo Staff", tokyo_staff),
            ("Europe Staff", europe),
            ("All Staff", all_staff),
            ("Empty Group", vec![]),
        ];
    }

    /// The fixture as JSON for `scripts/samba-load-fixture.py`: every value Base64 so that nothing
    /// needs escaping.
    pub fn to_json(&self) -> String {
        let mut out = String::from("[\n");
        for (position, object) in self.objects.iter().enumerate() {
            out.push_str("{\"dn\":\"");
            out.push_str(&STANDARD.encode(object.dn.as_bytes()));
            out.push_str("\",\"attributes\":[");
            for (n, (name, values)) in object.attributes.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str("[\"");
                out.push_str(name);
                out.push_str("\",[");
                for (m, value) in values.iter().enumerate() {
                    if m > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(&STANDARD.encode(value.bytes()));
                    out.push('"');
                }
                out.push_str("]]");
            }
            out.push_str("]}");
            if position + 1 < self.objects.len() {
                out.push(',');
            }
            out.push('\n');
        }
        out.push_str("]\n");
        out
    }
}

/// A deterministic, random-looking GUID for fixture object `n` (splitmix64).
fn fixture_guid(n: u64) -> [u8; 16] {
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED_A5C0;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next().to_le_bytes());
    bytes[8..].copy_from_slice(&next().to_le_bytes());
    bytes
}

/// The binary SID `DOMAIN_SID-rid`.
pub fn sid_bytes(rid: u32) -> Vec<u8> {
    let mut bytes = vec![1u8, 5, 0, 0, 0, 0, 0, 5];
    for sub in [21u32, 1_094_795_585, 1_111_638_594, 1_128_481_603, rid] {
        bytes.extend_from_slice(&sub.to_le_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_is_deterministic_and_shaped_as_documented() {
        let a = Fixture::new(20);
        let b = Fixture::new(20);
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(a.users.len(), 12 + 12 + 8 + 5 + 4 + 4 + 20);
        assert_eq!(a.users_under(&a.ou("Sales")).len(), 13);
        assert_eq!(a.nested_members("All Staff").len(), 1 + 9 + 5);
        assert!(std::str::from_utf8(&a.users[0].object_sid).is_ok());
        let mut guids: Vec<_> = a.users.iter().map(|u| u.object_guid).collect();
        guids.sort_unstable();
        guids.dedup();
        assert_eq!(guids.len(), a.users.len());
    }
}
