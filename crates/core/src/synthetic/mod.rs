//! Synthetic directory pairs: an AD inventory and a tenant snapshot of any size, with a controlled mix of
//! every outcome the match engine predicts, deterministic from a seed.
//!
//! The company is a Japanese firm with offices abroad: Japanese and Western names, several OUs,
//! proxyAddresses with primary and secondary addresses, a HENNGE-style tenant whose `example.co.jp`
//! domain is federated (users there carry an ImmutableID) next to the managed `example.com`, directory
//! roles, disabled accounts, guests and orphans.
//!
//! Every on-premises user belongs to a *case* built to produce one outcome, and the generator declares
//! that outcome: a test runs the engine over the result and compares ([`Synthetic::expected`]). Each case
//! is built from the seed and its own number only, so a million-user pair can be written one case at a
//! time ([`Generator::cases`]) and is the same whether built in memory or streamed.
//!
//! Tenant switches follow the mix: when it asks for `hard-match-blocked`,
//! `blockCloudObjectTakeoverThroughHardMatchEnabled` is on, and the `hard-match` cases are then all
//! already-synchronised users (which Entra joins even with the block on).

pub mod names;

use std::fmt;

use serde_json::{Map, Value, json};

use crate::directory::{DirectoryEntry, EntryError, OnPremUser};
use crate::engine::{Outcome, Summary};
use crate::identifier::{Sid, encode_base64};
use crate::tenant::{
    CloudUser, Domain, OnPremisesSynchronization, RoleAssignment, SyncFeatures, TenantSnapshot,
};

use names::{
    DEPARTMENTS, JAPANESE_FAMILY, JAPANESE_GIVEN, OFFICES, Office, Person, TITLES, WESTERN_FAMILY,
    WESTERN_GIVEN,
};

/// SplitMix64: a small generator whose sequence never changes with a dependency's version, so the same
/// seed gives the same files forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.below(items.len())).copied()
    }

    /// Sixteen random bytes.
    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        let (low, high) = bytes.split_at_mut(8);
        low.copy_from_slice(&self.next_u64().to_le_bytes());
        high.copy_from_slice(&self.next_u64().to_le_bytes());
        bytes
    }

    /// A random (version 4) GUID string, as Graph writes object ids.
    pub fn guid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.bytes16())
            .into_uuid()
            .to_string()
    }
}

/// How many users of each outcome to generate, as relative weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    weights: [(Outcome, u32); 11],
}

/// A `--mix` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// An item is not `outcome=weight`.
    #[error("`{item}` is not `outcome=weight` (for example `hard-match=30`)")]
    Syntax {
        /// The item.
        item: String,
    },
    /// Not an outcome's name.
    #[error("`{name}` is not an outcome; the outcomes are {}", Outcome::ALL.map(Outcome::as_str).join(", "))]
    UnknownOutcome {
        /// The name.
        name: String,
    },
    /// Every weight is zero.
    #[error("every weight is zero")]
    Empty,
}

impl Mix {
    /// A tenant in the middle of a HENNGE switch-over: mostly matches and creates, a few of every problem.
    pub fn realistic() -> Self {
        Self {
            weights: [
                (Outcome::HardMatch, 300),
                (Outcome::SoftMatchSmtp, 220),
                (Outcome::SoftMatchUpn, 50),
                (Outcome::Create, 250),
                (Outcome::CreateWithConflict, 40),
                (Outcome::InvalidSoftMatch, 60),
                (Outcome::AdminRoleConflict, 5),
                (Outcome::HardMatchBlocked, 20),
                (Outcome::Ambiguous, 15),
                (Outcome::InvalidAnchor, 15),
                (Outcome::DuplicateAnchor, 25),
            ],
        }
    }

    /// The same weight for every outcome.
    pub fn even() -> Self {
        Self {
            weights: Outcome::ALL.map(|outcome| (outcome, 1)),
        }
    }

    /// `hard-match=30,create=10,...`; outcomes not named get weight 0.
    pub fn parse(text: &str) -> Result<Self, MixError> {
        let mut weights = Outcome::ALL.map(|outcome| (outcome, 0));
        for item in text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let (name, weight) = item.split_once('=').ok_or_else(|| MixError::Syntax {
                item: item.to_owned(),
            })?;
            let weight: u32 = weight.trim().parse().map_err(|_| MixError::Syntax {
                item: item.to_owned(),
            })?;
            let slot = weights
                .iter_mut()
                .find(|(outcome, _)| outcome.as_str() == name.trim())
                .ok_or_else(|| MixError::UnknownOutcome {
                    name: name.trim().to_owned(),
                })?;
            slot.1 = weight;
        }
        if weights.iter().all(|(_, weight)| *weight == 0) {
            return Err(MixError::Empty);
        }
        Ok(Self { weights })
    }

    /// The weight of an outcome.
    pub fn weight(&self, outcome: Outcome) -> u32 {
        self.weights
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, weight)| *weight)
    }

    /// How many on-premises users of each outcome make up `users`: proportional (largest remainder), at
    /// least one of every weighted outcome when there is room (two for `duplicate-anchor`, which comes in
    /// pairs), and an even number of `duplicate-anchor`.
    pub fn counts(&self, users: usize) -> Summary {
        let total: u64 = self
            .weights
            .iter()
            .map(|(_, w)| u64::from(*w))
            .sum::<u64>()
            .max(1);
        let users_u64 = users as u64;
        let mut counts: Vec<(Outcome, usize, u64)> = self
            .weights
            .iter()
            .map(|(outcome, weight)| {
                let exact = users_u64 * u64::from(*weight);
                (
                    *outcome,
                    usize::try_from(exact / total).unwrap_or(0),
                    exact % total,
                )
            })
            .collect();
        let mut left = users.saturating_sub(counts.iter().map(|(_, n, _)| n).sum());
        let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
        by_remainder.sort_by(|a, b| {
            let key = |i: &usize| counts.get(*i).map_or(0, |(_, _, r)| *r);
            key(b).cmp(&key(a)).then(a.cmp(b))
        });
        for index in by_remainder.iter().cycle().take(counts.len() * 2) {
            if left == 0 {
                break;
            }
            if let Some((outcome, n, _)) = counts.get_mut(*index)
                && self.weight(*outcome) > 0
            {
                *n += 1;
                left -= 1;
            }
        }
        let minimum = |outcome: Outcome| {
            if outcome == Outcome::DuplicateAnchor {
                2
            } else {
                1
            }
        };
        let needed: usize = counts
            .iter()
            .filter(|(outcome, _, _)| self.weight(*outcome) > 0)
            .map(|(outcome, _, _)| minimum(*outcome))
            .sum();
        if users >= needed {
            for position in 0..counts.len() {
                let Some(&(outcome, n, _)) = counts.get(position) else {
                    continue;
                };
                if self.weight(outcome) == 0 || n >= minimum(outcome) {
                    continue;
                }
                let want = minimum(outcome) - n;
                for _ in 0..want {
                    let donor = (0..counts.len())
                        .filter(|d| *d != position)
                        .max_by_key(|d| {
                            counts
                                .get(*d)
                                .map_or(0, |(o, n, _)| n.saturating_sub(minimum(*o)))
                        });
                    if let Some(donor) = donor
                        && let Some((o, n, _)) = counts.get_mut(donor)
                        && *n > minimum(*o)
                    {
                        *n -= 1;
                        if let Some((_, n, _)) = counts.get_mut(position) {
                            *n += 1;
                        }
                    }
                }
            }
        }
        let mut summary = Summary::default();
        for (outcome, n, _) in &counts {
            *summary.slot(*outcome) = *n;
        }
        if !summary.duplicate_anchor.is_multiple_of(2) {
            summary.duplicate_anchor -= 1;
            let receiver = Outcome::ALL
                .into_iter()
                .filter(|o| *o != Outcome::DuplicateAnchor)
                .max_by_key(|o| (self.weight(*o), summary.get(*o)))
                .unwrap_or(Outcome::Create);
            *summary.slot(receiver) += 1;
        }
        summary
    }
}

impl Default for Mix {
    fn default() -> Self {
        Self::realistic()
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .weights
            .iter()
            .filter(|(_, weight)| *weight > 0)
            .map(|(outcome, weight)| format!("{outcome}={weight}"))
            .collect();
        f.write_str(&items.join(","))
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticConfig {
    /// On-premises users.
    pub users: usize,
    /// Cloud users in the snapshot; the cases' own are padded with cloud-only users up to this number
    /// (default: as many as on-premises users).
    pub cloud_users: Option<usize>,
    /// The seed.
    pub seed: u64,
    /// The outcome mix.
    pub mix: Mix,
    /// The tenant's name: `<tenant>.onmicrosoft.com`.
    pub tenant: String,
}

impl SyntheticConfig {
    /// `users` on-premises users and as many cloud users, realistic mix.
    pub fn new(users: usize, seed: u64) -> Self {
        Self {
            users,
            cloud_users: None,
            seed,
            mix: Mix::realistic(),
            tenant: "example".to_owned(),
        }
    }

    /// The bundled demo: about 200 users of a HENNGE-style tenant, every outcome.
    pub fn demo() -> Self {
        Self {
            users: 200,
            cloud_users: Some(220),
            seed: 2026,
            mix: Mix::parse(
                "hard-match=60,soft-match-smtp=30,soft-match-upn=10,create=30,create-with-conflict=12,\
                 invalid-soft-match=20,admin-role-conflict=4,hard-match-blocked=8,ambiguous=6,invalid-anchor=6,\
                 duplicate-anchor=6",
            )
            .unwrap_or_default(),
            tenant: "example".to_owned(),
        }
    }
}

/// One case: the on-premises users and cloud users built to give one outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The outcome every on-premises user of the case gets.
    pub outcome: Outcome,
    /// The on-premises users (one, or two for `duplicate-anchor`).
    pub entries: Vec<DirectoryEntry>,
    /// The cloud users the case needs.
    pub cloud_users: Vec<CloudUser>,
    /// Directory roles the case's cloud users hold.
    pub role_assignments: Vec<RoleAssignment>,
}

/// A whole pair in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    /// Every LDIF entry: OUs and computers first, then the users.
    pub entries: Vec<DirectoryEntry>,
    /// The tenant.
    pub tenant: TenantSnapshot,
    /// The DN of every on-premises user and the outcome it was built for, in generation order.
    pub expected: Vec<(String, Outcome)>,
}

impl Synthetic {
    /// The user entries typed, as a reader would return them.
    pub fn users(&self) -> Result<Vec<OnPremUser>, EntryError> {
        self.entries
            .iter()
            .filter(|entry| is_user(entry))
            .cloned()
            .map(OnPremUser::from_entry)
            .collect()
    }
}

fn is_user(entry: &DirectoryEntry) -> bool {
    let classes = entry.values("objectClass");
    classes.iter().any(|c| c.eq_ignore_ascii_case(b"user"))
        && !classes.iter().any(|c| c.eq_ignore_ascii_case(b"computer"))
}

const AD_DOMAIN: &str = "corp.example.local";
const AD_BASE: &str = "DC=corp,DC=example,DC=local";
const FEDERATED: &str = "example.co.jp";
const MANAGED: &str = "example.com";
const DOMAIN_SID: &str = "S-1-5-21-1004336348-1177238915-682003330";
const OTHER_DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const ADMIN_ROLES: &[&str] = &[
    GLOBAL_ADMINISTRATOR,
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
];

/// Builds a synthetic pair, case by case.
#[derive(Debug, Clone)]
pub struct Generator {
    config: SyntheticConfig,
    cases: Vec<Outcome>,
    counts: Summary,
    block_hard_match: bool,
    tenant_id: String,
}

/// How many cloud users a case of this outcome brings.
fn cloud_users_of(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Create | Outcome::InvalidAnchor | Outcome::DuplicateAnchor => 0,
        Outcome::Ambiguous => 2,
        _ => 1,
    }
}

/// A person with everything an account needs.
struct Profile {
    person: Person,
    office: Office,
    department: (&'static str, &'static str),
    title: (&'static str, &'static str),
    number: usize,
    local: String,
    sam: String,
    dn: String,
    object_guid: [u8; 16],
    sid: String,
    disabled: bool,
    phone: Option<String>,
    mobile: Option<String>,
    mail_nickname: bool,
}

/// What an AD account of a case looks like.
struct Account<'p> {
    profile: &'p Profile,
    upn: Option<String>,
    primary: Option<String>,
    secondary: Vec<String>,
    consistency_guid: Option<Vec<u8>>,
    object_guid: bool,
}

impl Generator {
    /// Plans the cases: counts per outcome from the mix, in an order shuffled by the seed.
    pub fn new(config: SyntheticConfig) -> Self {
        let counts = config.mix.counts(config.users);
        let mut cases: Vec<Outcome> = Vec::with_capacity(config.users);
        for outcome in Outcome::ALL {
            let users = counts.get(outcome);
            let count = if outcome == Outcome::DuplicateAnchor {
                users / 2
            } else {
                users
            };
            cases.extend(std::iter::repeat_n(outcome, count));
        }
        let mut rng = Rng::new(config.seed ^ 0x5EED_CA5E);
        for i in (1..cases.len()).rev() {
            let j = rng.below(i + 1);
            cases.swap(i, j);
        }
        let tenant_id = Rng::new(config.seed ^ 0x7E4A_4171).guid();
        Self {
            block_hard_match: counts.hard_match_blocked > 0,
            counts,
            cases,
            config,
            tenant_id,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SyntheticConfig {
        &self.config
    }

    /// How many on-premises users of each outcome the pair holds.
    pub fn expected_summary(&self) -> Summary {
        self.counts
    }

    /// How many cloud users the snapshot holds.
    pub fn cloud_user_count(&self) -> usize {
        self.config
            .cloud_users
            .unwrap_or(self.config.users)
            .max(self.case_cloud_users())
    }

    fn case_cloud_users(&self) -> usize {
        self.cases
            .iter()
            .map(|outcome| cloud_users_of(*outcome))
            .sum()
    }

    /// The tenant's initial domain.
    pub fn initial_domain(&self) -> String {
        format!("{}.onmicrosoft.com", self.config.tenant)
    }

    /// The tenant's domains: the initial one, the federated `example.co.jp`, the managed `example.com`,
    /// and an unverified `lab.example.com`.
    pub fn domains(&self) -> Vec<Domain> {
        let domain =
            |id: &str, federated: bool, verified: bool, initial: bool, default: bool| Domain {
                id: id.to_owned(),
                authentication_type: if federated { "Federated" } else { "Managed" }.to_owned(),
                availability_status: None,
                is_admin_managed: true,
                is_default: default,
                is_initial: initial,
                is_root: !initial,
                is_verified: verified,
                supported_services: if verified {
                    vec!["Email".to_owned(), "OfficeCommunicationsOnline".to_owned()]
                } else {
                    Vec::new()
                },
                other: Map::new(),
            };
        vec![
            domain(&self.initial_domain(), false, true, true, true),
            domain(FEDERATED, true, true, false, false),
            domain(MANAGED, false, true, false, false),
            domain("lab.example.com", false, false, false, false),
        ]
    }

    /// `onPremisesSynchronization` with the switches the mix needs.
    pub fn synchronization(&self) -> OnPremisesSynchronization {
        let mut other = Map::new();
        for (feature, value) in [
            ("passwordSyncEnabled", false),
            ("quarantineUponUpnConflictEnabled", true),
            ("quarantineUponProxyAddressesConflictEnabled", true),
            ("synchronizeUpnForManagedUsersEnabled", true),
        ] {
            other.insert(feature.to_owned(), Value::Bool(value));
        }
        OnPremisesSynchronization {
            id: self.tenant_id.clone(),
            configuration: Some(json!({
                "accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}
            })),
            features: SyncFeatures {
                block_soft_match_enabled: Some(false),
                block_cloud_object_takeover_through_hard_match_enabled: Some(self.block_hard_match),
                soft_match_on_upn_enabled: Some(true),
                other,
            },
            other: Map::new(),
        }
    }

    /// The entries before the users: the OUs and a few computers (which readers skip).
    pub fn preamble(&self) -> Vec<DirectoryEntry> {
        let mut entries = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for office in OFFICES {
            for depth in (0..office.ous.len()).rev() {
                let Some(ous) = office.ous.get(depth..) else {
                    continue;
                };
                let dn = ou_dn(ous);
                if seen.contains(&dn) {
                    continue;
                }
                seen.push(dn.clone());
                let mut entry = DirectoryEntry::new(dn);
                entry.push("objectClass", "top");
                entry.push("objectClass", "organizationalUnit");
                entry.push("ou", ous.first().copied().unwrap_or_default());
                entries.push(entry);
            }
        }
        let mut rng = Rng::new(self.config.seed ^ 0xC0_FFEE);
        for number in 1..=3 {
            let mut entry = DirectoryEntry::new(format!("CN=PC{number:04},OU=Computers,{AD_BASE}"));
            for class in ["top", "person", "organizationalPerson", "user", "computer"] {
                entry.push("objectClass", class);
            }
            entry.push("objectGUID", rng.bytes16().to_vec());
            entry.push("sAMAccountName", format!("PC{number:04}$"));
            entry.push("userAccountControl", "4096");
            entries.push(entry);
        }
        entries
    }

    /// Every case, in order. Each is built from the seed and its number alone.
    pub fn cases(&self) -> impl Iterator<Item = Case> + '_ {
        self.cases
            .iter()
            .enumerate()
            .map(|(number, outcome)| self.case(number, *outcome))
    }

    /// The cloud users no case needs, up to [`Generator::cloud_user_count`], and their role assignments.
    pub fn cloud_only(&self) -> impl Iterator<Item = (CloudUser, Option<RoleAssignment>)> + '_ {
        let padding = self
            .cloud_user_count()
            .saturating_sub(self.case_cloud_users());
        (0..padding).map(move |number| self.cloud_only_user(number))
    }

    /// Builds the whole pair in memory.
    pub fn build(&self) -> Synthetic {
        let mut entries = self.preamble();
        let mut tenant = TenantSnapshot {
            users: Vec::with_capacity(self.cloud_user_count()),
            domains: self.domains(),
            role_assignments: Vec::new(),
            on_premises_synchronization: Some(self.synchronization()),
            deleted_users: Vec::new(),
        };
        let mut expected = Vec::with_capacity(self.config.users);
        for case in self.cases() {
            expected.extend(
                case.entries
                    .iter()
                    .map(|entry| (entry.dn.clone(), case.outcome)),
            );
            entries.extend(case.entries);
            tenant.users.extend(case.cloud_users);
            tenant.role_assignments.extend(case.role_assignments);
        }
        for (user, role) in self.cloud_only() {
            tenant.users.push(user);
            tenant.role_assignments.extend(role);
        }
        Synthetic {
            entries,
            tenant,
            expected,
        }
    }

    fn profile(&self, rng: &mut Rng, number: usize, suffix: &str) -> Profile {
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
    fn twin(&self, rng: &mut Rng, profile: &Profile, suffix: &str) -> Profile {
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

    fn entry(&self, account: &Account<'_>) -> DirectoryEntry {
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
    fn cloud_user(
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

    fn synced(&self, user: &mut CloudUser, dn: &str, sid: &str, sam: &str, upn: &str) {
        user.on_premises_sync_enabled = Some(true);
        user.on_premises_distinguished_name = Some(dn.to_owned());
        user.on_premises_security_identifier = Some(sid.to_owned());
        user.on_premises_sam_account_name = Some(sam.to_owned());
        user.on_premises_user_principal_name = Some(upn.to_owned());
        user.on_premises_domain_name = Some(AD_DOMAIN.to_owned());
        user.on_premises_last_sync_date_time = Some("2026-10-31T21:00:00Z".to_owned());
    }

    fn role(&self, rng: &mut Rng, principal: &str, role: &str) -> RoleAssignment {
        RoleAssignment {
            id: rng.guid(),
            principal_id: principal.to_owned(),
            role_definition_id: role.to_owned(),
            directory_scope_id: Some("/".to_owned()),
            other: Map::new(),
        }
    }

    /// One case. Values that must not collide with other cases carry the case number.
    fn case(&self, number: usize, outcome: Outcome) -> Case {
        let mut rng = Rng::new(
            self.config.seed.wrapping_mul(0x100_0000_01B3)
                ^ (number as u64).wrapping_mul(0x9E37_79B9),
        );
        let profile = self.profile(&mut rng, number, "");
        let local = profile.local.clone();
        let initial = self.initial_domain();
        let alt = format!("{}{}", profile.person.given_ascii, number);
        let mut account = Account {
            profile: &profile,
            upn: Some(format!("{local}@{MANAGED}")),
            primary: Some(format!("{local}@{MANAGED}")),
            secondary: Vec::new(),
            consistency_guid: None,
            object_guid: true,
        };
        if rng.chance(30) {
            account.secondary.push(format!(
                "{}.{}{number}@{MANAGED}",
                profile.person.family_ascii, alt
            ));
        }
        let mut cloud_users = Vec::new();
        let mut role_assignments = Vec::new();
        let mut entries = Vec::new();
        match outcome {
            Outcome::HardMatch => {
                if self.block_hard_match || rng.chance(30) {
                    // Already synchronised (a Connect reinstall): joined even with the block on.
                    account.consistency_guid = Some(profile.object_guid.to_vec());
                    let upn = format!("{local}@{MANAGED}");
                    let mut cloud = self.cloud_user(
                        &mut rng,
                        &profile,
                        &upn,
                        vec![format!("SMTP:{local}@{MANAGED}")],
                    );
                    cloud.on_premises_immutable_id = Some(encode_base64(&profile.object_guid));
                    let synced_from = if rng.chance(10) {
                        format!(
                            "CN={},OU=Old,DC=legacy,DC=example,DC=local",
                            escape_rdn(&profile.sam)
                        )
                    } else {
                        profile.dn.clone()
                    };
                    self.synced(&mut cloud, &synced_from, &profile.sid, &profile.sam, &upn);
                    cloud_users.push(cloud);
                } else {
                    // HENNGE switch-over done right: mS-DS-ConsistencyGuid holds the cloud ImmutableID.
                    let anchor = rng.bytes16();
                    account.consistency_guid = Some(anchor.to_vec());
                    account.upn = Some(format!("{local}@{FEDERATED}"));
                    account.primary = Some(format!("{local}@{FEDERATED}"));
                    let mut proxies = vec![format!("SMTP:{local}@{FEDERATED}")];
                    if rng.chance(10) {
                        proxies.push(format!("smtp:{alt}.team@{FEDERATED}"));
                    }
                    let mut cloud = self.cloud_user(
                        &mut rng,
                        &profile,
                        &format!("{local}@{FEDERATED}"),
                        proxies,
                    );
                    cloud.on_premises_immutable_id = Some(encode_base64(&anchor));
                    cloud_users.push(cloud);
                }
            }
            Outcome::HardMatchBlocked => {
                let anchor = rng.bytes16();
                account.consistency_guid = Some(anchor.to_vec());
                account.upn = Some(format!("{local}@{FEDERATED}"));
                account.primary = Some(format!("{local}@{FEDERATED}"));
                let mut cloud = self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{FEDERATED}"),
                    vec![format!("SMTP:{local}@{FEDERATED}")],
                );
                cloud.on_premises_immutable_id = Some(encode_base64(&anchor));
                cloud_users.push(cloud);
            }
            Outcome::SoftMatchSmtp => {
                let primary = format!("{local}@{MANAGED}");
                let (upn, proxies) = match rng.below(4) {
                    0 => (format!("{alt}@{initial}"), vec![format!("SMTP:{primary}")]),
                    1 => (
                        format!("{alt}@{MANAGED}"),
                        vec![format!("SMTP:{alt}@{MANAGED}"), format!("smtp:{primary}")],
                    ),
                    2 => {
                        // Seed 004: the on-premises UPN is the cloud primary SMTP address.
                        account.primary = Some(format!("{alt}.mail@{MANAGED}"));
                        (format!("{alt}@{initial}"), vec![format!("SMTP:{primary}")])
                    }
                    _ => {
                        // Seed 004: the on-premises primary SMTP address is the cloud UPN.
                        account.upn = Some(format!("{alt}.upn@{MANAGED}"));
                        (primary.clone(), Vec::new())
                    }
                };
                cloud_users.push(self.cloud_user(&mut rng, &profile, &upn, proxies));
            }
            Outcome::SoftMatchUpn => {
                account.primary = rng.chance(70).then(|| format!("{alt}.mail@{MANAGED}"));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{MANAGED}"),
                    Vec::new(),
                ));
            }
            Outcome::Create => match rng.below(4) {
                0 => {
                    account.upn = Some(format!("{local}@{FEDERATED}"));
                    account.primary = Some(format!("{local}@{FEDERATED}"));
                }
                1 => account.upn = Some(format!("{}@{AD_DOMAIN}", profile.sam)),
                _ => {}
            },
            Outcome::CreateWithConflict => {
                let other = self.profile(&mut rng, number, ".other");
                match rng.below(3) {
                    0 => {
                        // The UPN Entra would give (mailNickname@initial domain) is a cloud-only account's.
                        account.upn = Some(format!("{}@{AD_DOMAIN}", profile.sam));
                        account.secondary.clear();
                        let nickname = format!("{local}@{initial}");
                        cloud_users.push(self.cloud_user(&mut rng, &other, &nickname, Vec::new()));
                    }
                    1 => {
                        let alias =
                            format!("{}.sales{number}@{MANAGED}", profile.person.family_ascii);
                        account.secondary = vec![alias.clone()];
                        cloud_users.push(self.cloud_user(
                            &mut rng,
                            &other,
                            &format!("{}@{MANAGED}", other.local),
                            vec![
                                format!("SMTP:{}@{MANAGED}", other.local),
                                format!("smtp:{alias}"),
                            ],
                        ));
                    }
                    _ => {
                        // The same person provisioned again: a synced cloud user with this objectSid under
                        // an older anchor.
                        let other = self.twin(&mut rng, &profile, ".old");
                        let old = format!("{}@{MANAGED}", other.local);
                        let mut cloud =
                            self.cloud_user(&mut rng, &other, &old, vec![format!("SMTP:{old}")]);
                        cloud.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                        self.synced(
                            &mut cloud,
                            &format!("CN={},OU=Old,{AD_BASE}", escape_rdn(&other.sam)),
                            &profile.sid,
                            &other.sam,
                            &old,
                        );
                        cloud_users.push(cloud);
                    }
                }
            }
            Outcome::InvalidSoftMatch => {
                // HENNGE's case: a federated user carries the ImmutableID HENNGE Access Control gave it.
                account.upn = Some(format!("{local}@{FEDERATED}"));
                account.primary = Some(format!("{local}@{FEDERATED}"));
                let mut cloud = self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{FEDERATED}"),
                    vec![format!("SMTP:{local}@{FEDERATED}")],
                );
                cloud.on_premises_immutable_id = Some(if rng.chance(80) {
                    encode_base64(&rng.bytes16())
                } else {
                    format!("{:08}", 10_000_000 + number)
                });
                cloud_users.push(cloud);
            }
            Outcome::AdminRoleConflict => {
                let upn = format!("{local}@{MANAGED}");
                let cloud = self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                let role = rng.pick(ADMIN_ROLES).unwrap_or(GLOBAL_ADMINISTRATOR);
                role_assignments.push(self.role(&mut rng, &cloud.id, role));
                cloud_users.push(cloud);
            }
            Outcome::Ambiguous => {
                let other = self.profile(&mut rng, number, ".other");
                account.upn = Some(format!("{alt}.upn@{MANAGED}"));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{alt}@{initial}"),
                    vec![format!("SMTP:{local}@{MANAGED}")],
                ));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &other,
                    &format!("{alt}.upn@{MANAGED}"),
                    Vec::new(),
                ));
            }
            Outcome::InvalidAnchor => {
                if rng.chance(50) {
                    // Something other than Entra Connect wrote a long value into mS-DS-ConsistencyGuid.
                    let mut long = Vec::with_capacity(48);
                    for _ in 0..3 {
                        long.extend_from_slice(&rng.bytes16());
                    }
                    long.truncate(45);
                    account.consistency_guid = Some(long);
                } else {
                    account.object_guid = false;
                }
            }
            Outcome::DuplicateAnchor => {
                // An administrator copied an account, mS-DS-ConsistencyGuid included.
                let anchor = rng.bytes16().to_vec();
                account.consistency_guid = Some(anchor.clone());
                let twin = self.twin(&mut rng, &profile, ".adm");
                let twin_account = Account {
                    profile: &twin,
                    upn: Some(format!("{}@{MANAGED}", twin.local)),
                    primary: None,
                    secondary: Vec::new(),
                    consistency_guid: Some(anchor),
                    object_guid: true,
                };
                entries.push(self.entry(&twin_account));
            }
        }
        entries.insert(0, self.entry(&account));
        Case {
            outcome,
            entries,
            cloud_users,
            role_assignments,
        }
    }

    /// A cloud user no on-premises user reaches: leavers with a HENNGE-era ImmutableID, cloud-only staff,
    /// service accounts (some administrators), guests and orphans of an older sync.
    fn cloud_only_user(&self, number: usize) -> (CloudUser, Option<RoleAssignment>) {
        let mut rng = Rng::new(
            self.config.seed.wrapping_mul(0xC1_0D00)
                ^ (number as u64).wrapping_mul(0xA076_1D64_78BD_642F),
        );
        let profile = self.profile(&mut rng, number, ".c");
        let local = profile.local.clone();
        let initial = self.initial_domain();
        let mut role = None;
        let user = match rng.below(20) {
            0..=7 => {
                let upn = format!("{local}@{FEDERATED}");
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                user.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                user.account_enabled = Some(rng.chance(30));
                user
            }
            8..=13 => {
                let upn = format!("{local}@{MANAGED}");
                self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")])
            }
            14..=15 => {
                let upn = format!("svc-{number}@{initial}");
                let mut user = self.cloud_user(&mut rng, &profile, &upn, Vec::new());
                user.display_name = Some(format!("Service account {number}"));
                if number.is_multiple_of(25) {
                    role = Some(self.role(&mut rng, &user.id, GLOBAL_ADMINISTRATOR));
                }
                user
            }
            16..=18 => {
                let address = format!("{local}@partner.example.net");
                let upn = format!("{}_partner.example.net#EXT#@{initial}", local);
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{address}")]);
                user.user_type = Some("Guest".to_owned());
                user.mail = Some(address);
                user
            }
            _ => {
                let upn = format!("{local}@{MANAGED}");
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                user.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                let sid = format!("{OTHER_DOMAIN_SID}-{}", 5000 + number);
                self.synced(
                    &mut user,
                    &format!(
                        "CN={},OU=Staff,DC=legacy,DC=example,DC=local",
                        escape_rdn(&profile.sam)
                    ),
                    &sid,
                    &profile.sam,
                    &upn,
                );
                user
            }
        };
        (user, role)
    }
}

fn ou_dn(ous: &[&str]) -> String {
    let mut dn: String = ous
        .iter()
        .map(|ou| format!("OU={},", escape_rdn(ou)))
        .collect();
    dn.push_str(AD_BASE);
    dn
}

/// Escapes the characters RFC 4514 requires in an RDN value.
fn escape_rdn(value: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_stable() {
        let mut rng = Rng::new(1);
        // SplitMix64's published sequence for seed 1.
        assert_eq!(rng.next_u64(), 0x910A_2DEC_8902_5CC1);
        assert_eq!(rng.next_u64(), 0xBEEB_8DA1_658E_EC67);
    }

    #[test]
    fn counts_are_exact_and_cover_every_outcome() {
        for users in [11, 12, 23, 200, 1000, 12345] {
            let counts = Mix::realistic().counts(users);
            let total: usize = Outcome::ALL.iter().map(|o| counts.get(*o)).sum();
            assert_eq!(total, users, "{users}");
            assert_eq!(counts.duplicate_anchor % 2, 0);
            if users >= 12 {
                for outcome in Outcome::ALL {
                    assert!(
                        counts.get(outcome) > 0,
                        "{outcome} missing at {users}: {counts:?}"
                    );
                }
            }
        }
        let only = Mix::parse("create=1").unwrap().counts(7);
        assert_eq!(only.create, 7);
    }

    #[test]
    fn mix_parse_errors_name_the_item() {
        assert_eq!(
            Mix::parse("create").unwrap_err().to_string(),
            "`create` is not `outcome=weight` (for example `hard-match=30`)"
        );
        assert!(
            Mix::parse("soft=1")
                .unwrap_err()
                .to_string()
                .starts_with("`soft` is not an outcome")
        );
        assert_eq!(Mix::parse("create=0").unwrap_err(), MixError::Empty);
        assert_eq!(
            Mix::parse(&Mix::realistic().to_string()).unwrap(),
            Mix::realistic()
        );
    }

    #[test]
    fn same_seed_same_pair_and_streaming_equals_building() {
        let generator = Generator::new(SyntheticConfig::new(300, 7));
        let built = generator.build();
        assert_eq!(built, Generator::new(SyntheticConfig::new(300, 7)).build());
        assert_ne!(built, Generator::new(SyntheticConfig::new(300, 8)).build());
        assert_eq!(built.expected.len(), 300);
        assert_eq!(built.tenant.users.len(), generator.cloud_user_count());
        assert_eq!(built.users().unwrap().len(), 300);
        let mut dns: Vec<&String> = built.expected.iter().map(|(dn, _)| dn).collect();
        dns.sort();
        dns.dedup();
        assert_eq!(dns.len(), 300, "DNs are unique");
    }
}
