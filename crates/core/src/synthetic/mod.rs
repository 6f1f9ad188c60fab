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
//!
//! [`rng`] draws the numbers, [`mix`] decides how many users of each outcome, [`names`] holds the people,
//! `accounts` builds their AD entries and cloud users, and `cases` builds one case per outcome.

mod accounts;
mod cases;
pub mod mix;
pub mod names;
pub mod rng;

use serde_json::{Map, Value, json};

use crate::directory::{DirectoryEntry, EntryError, OnPremUser};
use crate::engine::{Outcome, Summary};
use crate::tenant::{
    CloudUser, Domain, OnPremisesSynchronization, RoleAssignment, SyncFeatures, TenantSnapshot,
};

use accounts::ou_dn;
use cases::cloud_users_of;
use names::OFFICES;

pub use mix::{Mix, MixError};
pub use rng::Rng;

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
            ..TenantSnapshot::default()
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
