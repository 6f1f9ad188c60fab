//! Pairing (docs/rules.md §5): which cloud user an on-premises user *should* become, so a strategy
//! knows whose ImmutableID to change. This is not Entra's matching ([`super::rules`]): it is the
//! administrator's intent, found by these rules, each its own function:
//!
//! 1. [`by_mapping`]: an explicit mapping file (`--mapping FILE`);
//! 2. [`by_source_anchor`]: the cloud user whose onPremisesImmutableId already is the sourceAnchor;
//! 3. [`by_primary_smtp`]: the cloud user with the same primary SMTP address;
//! 4. [`by_user_principal_name`]: the cloud user with the same userPrincipalName;
//! 5. [`by_join_attribute`]: optionally, a join attribute (`--join-attribute employeeId`).
//!
//! [`pair_user`] combines them: the rules that find one cloud user give the pair; rules that find
//! different cloud users are a [`Pairing::Conflict`], never guessed. A mapping overrides the automatic
//! rules (their disagreement is kept as a warning). [`pair_all`] then makes a cloud user paired with two
//! on-premises users a conflict for both.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::directory::{OnPremUser, trim};
use crate::identifier::ObjectGuid;
use crate::tenant::{CloudUser, TenantSnapshot};

use super::index::{CloudIndex, FoldedMap, eq_folded, non_empty};

/// A pairing rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PairingRule {
    /// The mapping file.
    #[serde(rename = "mapping")]
    Mapping,
    /// The current anchor: onPremisesImmutableId equals the sourceAnchor.
    #[serde(rename = "sourceAnchor")]
    SourceAnchor,
    /// The primary SMTP addresses are equal.
    #[serde(rename = "primarySmtp")]
    PrimarySmtp,
    /// The userPrincipalNames are equal.
    #[serde(rename = "userPrincipalName")]
    UserPrincipalName,
    /// The join attribute's values are equal.
    #[serde(rename = "joinAttribute")]
    JoinAttribute,
}

impl PairingRule {
    /// The name in plans (`pairedBy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mapping => "mapping",
            Self::SourceAnchor => "sourceAnchor",
            Self::PrimarySmtp => "primarySmtp",
            Self::UserPrincipalName => "userPrincipalName",
            Self::JoinAttribute => "joinAttribute",
        }
    }

    /// How a sentence names the rule.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Mapping => "the mapping file",
            Self::SourceAnchor => "the current anchor",
            Self::PrimarySmtp => "the primary SMTP address",
            Self::UserPrincipalName => "the userPrincipalName",
            Self::JoinAttribute => "the join attribute",
        }
    }
}

/// How a mapping file names the on-premises user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnPremKey {
    /// distinguishedName (case-insensitive).
    Dn(String),
    /// userPrincipalName (case-insensitive).
    UserPrincipalName(String),
    /// sAMAccountName (case-insensitive).
    SamAccountName(String),
    /// objectGUID.
    ObjectGuid(ObjectGuid),
}

/// How a mapping file names the cloud user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudKey {
    /// The object id.
    Id(String),
    /// The userPrincipalName (case-insensitive).
    UserPrincipalName(String),
}

impl CloudKey {
    /// The value as written.
    pub fn value(&self) -> &str {
        match self {
            Self::Id(value) | Self::UserPrincipalName(value) => value,
        }
    }
}

/// One line of a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingEntry {
    /// The line in the file (for messages).
    pub line: usize,
    /// The on-premises user.
    pub on_prem: OnPremKey,
    /// The cloud user it should become.
    pub cloud: CloudKey,
}

/// The join attribute: an AD attribute compared with a cloud property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAttribute {
    /// The AD attribute (`employeeID`).
    pub ad: String,
    /// The Graph property (`employeeId`, or `onPremisesExtensionAttributes/extensionAttribute1`).
    pub cloud: String,
}

impl JoinAttribute {
    /// Reads `--join-attribute`: `employeeId` (AD employeeID ↔ cloud employeeId), `extensionAttributeN`
    /// (AD extensionAttributeN ↔ onPremisesExtensionAttributes), or `AD=CLOUD` for any other pair.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some((ad, cloud)) = text.split_once('=') {
            let (ad, cloud) = (ad.trim(), cloud.trim());
            return (!ad.is_empty() && !cloud.is_empty()).then(|| Self {
                ad: ad.to_owned(),
                cloud: cloud.to_owned(),
            });
        }
        if text.is_empty() {
            return None;
        }
        if text.eq_ignore_ascii_case("employeeId") {
            return Some(Self {
                ad: "employeeID".to_owned(),
                cloud: "employeeId".to_owned(),
            });
        }
        let lower = text.to_ascii_lowercase();
        if let Some(number) = lower.strip_prefix("extensionattribute")
            && number.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n))
        {
            return Some(Self {
                ad: format!("extensionAttribute{number}"),
                cloud: format!("onPremisesExtensionAttributes/extensionAttribute{number}"),
            });
        }
        Some(Self {
            ad: text.to_owned(),
            cloud: text.to_owned(),
        })
    }

    /// The cloud user's value of the property.
    pub fn cloud_value<'c>(&self, user: &'c CloudUser) -> Option<&'c str> {
        if self.cloud.eq_ignore_ascii_case("employeeId") {
            return non_empty(&user.employee_id);
        }
        let mut path = self.cloud.split('/');
        let first = path.next()?;
        let mut value = user
            .other
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(first))
            .map(|(_, value)| value)?;
        for part in path {
            value = value
                .as_object()?
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(part))
                .map(|(_, value)| value)?;
        }
        value.as_str().filter(|text| !trim(text).is_empty())
    }

    /// The on-premises user's value of the attribute (single-valued text).
    pub fn ad_value(&self, user: &OnPremUser) -> Option<String> {
        let values = user.attribute_values(&self.ad);
        match values.as_slice() {
            [value] => String::from_utf8(value.clone())
                .ok()
                .filter(|text| !trim(text).is_empty()),
            _ => None,
        }
    }
}

/// What a pairing needs besides the engine's index: the mapping file and the join attribute, indexed.
#[derive(Debug, Default)]
pub struct PairingIndex<'t> {
    by_id: FxHashMap<&'t str, usize>,
    mapping: Vec<MappingEntry>,
    mapping_dn: FoldedMap<'t, Option<usize>>,
    mapping_upn: FoldedMap<'t, Option<usize>>,
    mapping_sam: FoldedMap<'t, Option<usize>>,
    mapping_guid: FxHashMap<ObjectGuid, usize>,
    join: Option<JoinAttribute>,
    join_values: FoldedMap<'t, Vec<usize>>,
}

impl<'t> PairingIndex<'t> {
    /// Indexes the mapping entries (the first entry for an on-premises key wins; a repeated key is the
    /// reader's to refuse) and the join attribute's cloud values.
    pub fn new(
        tenant: &'t TenantSnapshot,
        mapping: &'t [MappingEntry],
        join: Option<JoinAttribute>,
    ) -> Self {
        let mut index = Self {
            by_id: tenant
                .users
                .iter()
                .enumerate()
                .map(|(position, user)| (user.id.as_str(), position))
                .collect(),
            mapping: mapping.to_vec(),
            ..Self::default()
        };
        for (number, entry) in mapping.iter().enumerate() {
            match &entry.on_prem {
                OnPremKey::Dn(dn) => {
                    index.mapping_dn.entry(dn).get_or_insert(number);
                }
                OnPremKey::UserPrincipalName(upn) => {
                    index.mapping_upn.entry(upn).get_or_insert(number);
                }
                OnPremKey::SamAccountName(sam) => {
                    index.mapping_sam.entry(sam).get_or_insert(number);
                }
                OnPremKey::ObjectGuid(guid) => {
                    index.mapping_guid.entry(*guid).or_insert(number);
                }
            }
        }
        if let Some(join) = &join {
            for (position, user) in tenant.users.iter().enumerate() {
                if let Some(value) = join.cloud_value(user) {
                    index.join_values.entry(value).push(position);
                }
            }
        }
        index.join = join;
        index
    }

    /// The cloud user with this object id.
    pub fn by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The join attribute, when one is configured.
    pub fn join(&self) -> Option<&JoinAttribute> {
        self.join.as_ref()
    }
}

/// What the mapping file says about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingFinding {
    /// It names this cloud user.
    Found(usize),
    /// It names a cloud user the tenant does not hold.
    Missing {
        /// The line of the mapping file.
        line: usize,
        /// The cloud key as written.
        key: String,
    },
}

/// Rule 1: the mapping file's entry for this user, by DN, userPrincipalName, sAMAccountName or objectGUID.
pub fn by_mapping(
    pairing: &PairingIndex<'_>,
    index: &CloudIndex<'_>,
    user: &OnPremUser,
) -> Option<MappingFinding> {
    let number = pairing
        .mapping_dn
        .get(&user.dn)
        .copied()
        .flatten()
        .or_else(|| {
            user.user_principal_name
                .as_deref()
                .and_then(|upn| pairing.mapping_upn.get(upn).copied().flatten())
        })
        .or_else(|| {
            user.sam_account_name
                .as_deref()
                .and_then(|sam| pairing.mapping_sam.get(sam).copied().flatten())
        })
        .or_else(|| {
            user.object_guid
                .and_then(|guid| pairing.mapping_guid.get(&guid).copied())
        })?;
    let entry = pairing.mapping.get(number)?;
    let found = match &entry.cloud {
        CloudKey::Id(id) => pairing.by_id(id),
        CloudKey::UserPrincipalName(upn) => index.by_user_principal_name(upn),
    };
    Some(match found {
        Some(cloud) => MappingFinding::Found(cloud),
        None => MappingFinding::Missing {
            line: entry.line,
            key: entry.cloud.value().to_owned(),
        },
    })
}

/// Rule 2: the cloud user whose onPremisesImmutableId is exactly the sourceAnchor.
pub fn by_source_anchor(index: &CloudIndex<'_>, anchor: Option<&str>) -> Option<usize> {
    anchor.and_then(|anchor| index.by_immutable_id(anchor))
}

/// Rule 3: the cloud user whose primary SMTP address is the on-premises primary SMTP address
/// (case-insensitive).
pub fn by_primary_smtp(index: &CloudIndex<'_>, user: &OnPremUser) -> Option<usize> {
    let address = user.primary_smtp().filter(|a| !trim(a).is_empty())?;
    index.by_primary_smtp(address)
}

/// Rule 4: the cloud user with the same userPrincipalName (case-insensitive).
pub fn by_user_principal_name(index: &CloudIndex<'_>, user: &OnPremUser) -> Option<usize> {
    let upn = user
        .user_principal_name
        .as_deref()
        .filter(|u| !trim(u).is_empty())?;
    index.by_user_principal_name(upn)
}

/// Rule 5: the cloud users whose join property equals the on-premises join attribute (case-insensitive).
/// Several when the tenant repeats the value: then the rule cannot decide.
pub fn by_join_attribute(pairing: &PairingIndex<'_>, user: &OnPremUser) -> Vec<usize> {
    let Some(join) = pairing.join() else {
        return Vec::new();
    };
    join.ad_value(user)
        .and_then(|value| pairing.join_values.get(&value).cloned())
        .unwrap_or_default()
}

/// One rule's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: PairingRule,
    /// The cloud user it found.
    pub cloud: usize,
}

/// Who an on-premises user pairs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pairing {
    /// No rule finds a cloud user.
    Unpaired,
    /// The pair.
    Paired {
        /// The cloud user.
        cloud: usize,
        /// Every rule that found it.
        by: Vec<PairingRule>,
        /// With a mapping: the automatic rules that found another cloud user (a warning).
        overridden: Vec<Finding>,
    },
    /// The rules disagree, or the cloud user is paired with other on-premises users too.
    Conflict {
        /// What each rule found.
        findings: Vec<Finding>,
        /// Other on-premises users paired with the same cloud user (positions).
        shared_with: Vec<usize>,
    },
    /// The mapping file names a cloud user that does not exist.
    MappingMissing {
        /// The mapping file's line.
        line: usize,
        /// The cloud key as written.
        key: String,
    },
}

impl Pairing {
    /// The paired cloud user.
    pub fn cloud(&self) -> Option<usize> {
        match self {
            Self::Paired { cloud, .. } => Some(*cloud),
            _ => None,
        }
    }
}

/// Combines the rules for one user: a mapping wins (disagreement kept as a warning); otherwise the
/// rules that find a cloud user must all find the same one.
pub fn pair_user(
    index: &CloudIndex<'_>,
    pairing: &PairingIndex<'_>,
    user: &OnPremUser,
    anchor: Option<&str>,
) -> Pairing {
    let mut findings = Vec::new();
    let mut push = |rule, cloud: Option<usize>| {
        if let Some(cloud) = cloud {
            findings.push(Finding { rule, cloud });
        }
    };
    push(PairingRule::SourceAnchor, by_source_anchor(index, anchor));
    push(PairingRule::PrimarySmtp, by_primary_smtp(index, user));
    push(
        PairingRule::UserPrincipalName,
        by_user_principal_name(index, user),
    );
    for cloud in by_join_attribute(pairing, user) {
        findings.push(Finding {
            rule: PairingRule::JoinAttribute,
            cloud,
        });
    }
    match by_mapping(pairing, index, user) {
        Some(MappingFinding::Missing { line, key }) => {
            return Pairing::MappingMissing { line, key };
        }
        Some(MappingFinding::Found(cloud)) => {
            let mut by = vec![PairingRule::Mapping];
            let mut overridden = Vec::new();
            for finding in findings {
                if finding.cloud == cloud {
                    by.push(finding.rule);
                } else {
                    overridden.push(finding);
                }
            }
            by.dedup();
            return Pairing::Paired {
                cloud,
                by,
                overridden,
            };
        }
        None => {}
    }
    let Some(first) = findings.first().copied() else {
        return Pairing::Unpaired;
    };
    if findings.iter().all(|finding| finding.cloud == first.cloud) {
        let mut by: Vec<PairingRule> = findings.iter().map(|finding| finding.rule).collect();
        by.dedup();
        Pairing::Paired {
            cloud: first.cloud,
            by,
            overridden: Vec::new(),
        }
    } else {
        Pairing::Conflict {
            findings,
            shared_with: Vec::new(),
        }
    }
}

/// Pairs every on-premises user (by position), then turns a cloud user paired with several on-premises
/// users into a conflict for each of them (except the one a mapping names, when exactly one does).
pub fn pair_all(
    index: &CloudIndex<'_>,
    pairing: &PairingIndex<'_>,
    on_prem: &[OnPremUser],
    anchors: &[Option<&str>],
) -> Vec<Pairing> {
    let mut pairings: Vec<Pairing> = on_prem
        .par_iter()
        .enumerate()
        .map(|(position, user)| {
            pair_user(
                index,
                pairing,
                user,
                anchors.get(position).copied().flatten(),
            )
        })
        .collect();
    // The claims grouped by cloud user with a parallel sort: a million users would otherwise be a
    // million small lists in one hash map, built on one core.
    let mut claims: Vec<(usize, usize)> = pairings
        .par_iter()
        .enumerate()
        .filter_map(|(position, pairing)| pairing.cloud().map(|cloud| (cloud, position)))
        .collect();
    claims.par_sort_unstable();
    let shared: Vec<Vec<usize>> = claims
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|claim| claim.len() > 1)
        .map(|claim| claim.iter().map(|(_, position)| *position).collect())
        .collect();
    drop(claims);
    for positions in &shared {
        // One explicit mapping among the claims wins: the administrator said so.
        let mapped: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|position| {
                matches!(pairings.get(*position), Some(Pairing::Paired { by, .. }) if by.contains(&PairingRule::Mapping))
            })
            .collect();
        let winner = match mapped.as_slice() {
            [only] => Some(*only),
            _ => None,
        };
        for position in positions
            .iter()
            .filter(|position| Some(**position) != winner)
        {
            let Some(slot) = pairings.get_mut(*position) else {
                continue;
            };
            if let Pairing::Paired { cloud, by, .. } = slot {
                let findings = by
                    .iter()
                    .map(|rule| Finding {
                        rule: *rule,
                        cloud: *cloud,
                    })
                    .collect();
                *slot = Pairing::Conflict {
                    findings,
                    shared_with: positions
                        .iter()
                        .copied()
                        .filter(|other| other != position)
                        .collect(),
                };
            }
        }
    }
    pairings
}

/// Whether two optional values are equal ignoring case (both present).
pub fn same_folded(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if !trim(a).is_empty() && eq_folded(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::CloudUser;

    fn cloud(id: &str, upn: &str, primary: &str, immutable_id: Option<&str>) -> CloudUser {
        CloudUser {
            id: id.into(),
            user_principal_name: Some(upn.into()),
            proxy_addresses: vec![format!("SMTP:{primary}")],
            on_premises_immutable_id: immutable_id.map(Into::into),
            ..CloudUser::default()
        }
    }

    fn ad(dn: &str, upn: &str, primary: &str) -> OnPremUser {
        OnPremUser {
            dn: dn.into(),
            user_principal_name: Some(upn.into()),
            proxy_addresses: vec![format!("SMTP:{primary}")],
            sam_account_name: Some(dn.trim_start_matches("CN=").into()),
            ..OnPremUser::default()
        }
    }

    fn tenant() -> TenantSnapshot {
        let mut taro = cloud(
            "c1",
            "taro@example.com",
            "taro@example.com",
            Some("AAAAAAAAAAAAAAAAAAAAAA=="),
        );
        taro.employee_id = Some("E100".into());
        let mut hanako = cloud("c2", "hanako@example.com", "h.sato@example.com", None);
        hanako.other.insert(
            "onPremisesExtensionAttributes".into(),
            serde_json::json!({"extensionAttribute3": "X-7"}),
        );
        TenantSnapshot {
            users: vec![
                taro,
                hanako,
                cloud("c3", "jiro@example.com", "jiro@example.com", None),
                cloud("c4", "twin1@example.com", "twin1@example.com", None),
            ],
            ..TenantSnapshot::default()
        }
    }

    #[test]
    fn mapping_rule_finds_by_every_on_premises_key_and_reports_unknown_cloud_users() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let guid = ObjectGuid::parse_guid_string("88666888-0101-1111-bbbb-1234567890ab").unwrap();
        let mapping = vec![
            MappingEntry {
                line: 2,
                on_prem: OnPremKey::Dn("cn=A".into()),
                cloud: CloudKey::Id("c2".into()),
            },
            MappingEntry {
                line: 3,
                on_prem: OnPremKey::UserPrincipalName("B@corp".into()),
                cloud: CloudKey::UserPrincipalName("JIRO@example.com".into()),
            },
            MappingEntry {
                line: 4,
                on_prem: OnPremKey::SamAccountName("c".into()),
                cloud: CloudKey::Id("nobody".into()),
            },
            MappingEntry {
                line: 5,
                on_prem: OnPremKey::ObjectGuid(guid),
                cloud: CloudKey::Id("c1".into()),
            },
        ];
        let pairing = PairingIndex::new(&tenant, &mapping, None);
        let a = ad("CN=A", "a@corp", "a@corp");
        let b = ad("CN=B", "b@corp", "b@corp");
        let c = ad("CN=C", "c@corp", "c@corp");
        let mut d = ad("CN=D", "d@corp", "d@corp");
        d.object_guid = Some(guid);
        assert_eq!(
            by_mapping(&pairing, &index, &a),
            Some(MappingFinding::Found(1))
        );
        assert_eq!(
            by_mapping(&pairing, &index, &b),
            Some(MappingFinding::Found(2))
        );
        assert_eq!(
            by_mapping(&pairing, &index, &c),
            Some(MappingFinding::Missing {
                line: 4,
                key: "nobody".into()
            })
        );
        assert_eq!(
            by_mapping(&pairing, &index, &d),
            Some(MappingFinding::Found(0))
        );
        assert_eq!(
            by_mapping(&pairing, &index, &ad("CN=E", "e@corp", "e@corp")),
            None
        );
    }

    #[test]
    fn source_anchor_rule_is_exact() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        assert_eq!(
            by_source_anchor(&index, Some("AAAAAAAAAAAAAAAAAAAAAA==")),
            Some(0)
        );
        assert_eq!(
            by_source_anchor(&index, Some("aAAAAAAAAAAAAAAAAAAAAA==")),
            None
        );
        assert_eq!(by_source_anchor(&index, None), None);
    }

    #[test]
    fn primary_smtp_rule_compares_primary_addresses_ignoring_case() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let user = ad("CN=H", "hanako@corp.local", "H.Sato@Example.com");
        assert_eq!(by_primary_smtp(&index, &user), Some(1));
        // hanako@example.com is hanako's UPN, not a primary SMTP address.
        let user = ad("CN=H", "x@corp.local", "hanako@example.com");
        assert_eq!(by_primary_smtp(&index, &user), None);
        // Without proxyAddresses, mail is the primary address.
        let user = OnPremUser {
            mail: Some("jiro@EXAMPLE.com".into()),
            ..OnPremUser::default()
        };
        assert_eq!(by_primary_smtp(&index, &user), Some(2));
    }

    #[test]
    fn user_principal_name_rule_ignores_case() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let user = ad("CN=H", "Hanako@Example.COM", "other@corp");
        assert_eq!(by_user_principal_name(&index, &user), Some(1));
        assert_eq!(by_user_principal_name(&index, &OnPremUser::default()), None);
    }

    #[test]
    fn join_attribute_rule_reads_employee_id_and_extension_attributes() {
        let tenant = tenant();
        let employee = JoinAttribute::parse("employeeId").unwrap();
        assert_eq!(employee.ad, "employeeID");
        let pairing = PairingIndex::new(&tenant, &[], Some(employee));
        let user = OnPremUser {
            employee_id: Some("e100".into()),
            ..OnPremUser::default()
        };
        assert_eq!(by_join_attribute(&pairing, &user), vec![0]);
        let extension = JoinAttribute::parse("extensionAttribute3").unwrap();
        assert_eq!(
            extension.cloud,
            "onPremisesExtensionAttributes/extensionAttribute3"
        );
        let pairing = PairingIndex::new(&tenant, &[], Some(extension));
        let mut user = OnPremUser::default();
        user.set_profile(
            crate::directory::ProfileAttribute::ExtensionAttribute3,
            Some("x-7".into()),
        );
        assert_eq!(by_join_attribute(&pairing, &user), vec![1]);
        assert_eq!(
            JoinAttribute::parse("employeeNumber=employeeId"),
            Some(JoinAttribute {
                ad: "employeeNumber".into(),
                cloud: "employeeId".into()
            })
        );
        assert_eq!(JoinAttribute::parse("="), None);
        let none = PairingIndex::new(&tenant, &[], None);
        assert!(by_join_attribute(&none, &user).is_empty());
    }

    #[test]
    fn agreeing_rules_pair_and_disagreeing_rules_conflict() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let pairing = PairingIndex::new(&tenant, &[], None);
        let agree = ad("CN=T", "taro@example.com", "taro@example.com");
        assert_eq!(
            pair_user(&index, &pairing, &agree, Some("AAAAAAAAAAAAAAAAAAAAAA==")),
            Pairing::Paired {
                cloud: 0,
                by: vec![
                    PairingRule::SourceAnchor,
                    PairingRule::PrimarySmtp,
                    PairingRule::UserPrincipalName
                ],
                overridden: vec![]
            }
        );
        // SMTP says hanako, UPN says jiro: reported, not guessed.
        let disagree = ad("CN=X", "jiro@example.com", "h.sato@example.com");
        assert_eq!(
            pair_user(&index, &pairing, &disagree, None),
            Pairing::Conflict {
                findings: vec![
                    Finding {
                        rule: PairingRule::PrimarySmtp,
                        cloud: 1
                    },
                    Finding {
                        rule: PairingRule::UserPrincipalName,
                        cloud: 2
                    }
                ],
                shared_with: vec![]
            }
        );
        assert_eq!(
            pair_user(&index, &pairing, &ad("CN=N", "n@corp", "n@corp"), None),
            Pairing::Unpaired
        );
    }

    #[test]
    fn a_mapping_overrides_and_keeps_the_disagreement() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let mapping = vec![MappingEntry {
            line: 2,
            on_prem: OnPremKey::Dn("CN=X".into()),
            cloud: CloudKey::Id("c2".into()),
        }];
        let pairing = PairingIndex::new(&tenant, &mapping, None);
        let user = ad("CN=X", "jiro@example.com", "h.sato@example.com");
        assert_eq!(
            pair_user(&index, &pairing, &user, None),
            Pairing::Paired {
                cloud: 1,
                by: vec![PairingRule::Mapping, PairingRule::PrimarySmtp],
                overridden: vec![Finding {
                    rule: PairingRule::UserPrincipalName,
                    cloud: 2
                }]
            }
        );
    }

    #[test]
    fn a_cloud_user_paired_twice_is_a_conflict_for_both() {
        let tenant = tenant();
        let index = CloudIndex::new(&tenant);
        let pairing = PairingIndex::new(&tenant, &[], None);
        let users = vec![
            ad("CN=One", "twin1@example.com", "one@corp"),
            ad("CN=Two", "two@corp", "twin1@example.com"),
            ad("CN=Three", "jiro@example.com", "three@corp"),
        ];
        let pairings = pair_all(&index, &pairing, &users, &[None, None, None]);
        assert!(
            matches!(&pairings[0], Pairing::Conflict { shared_with, .. } if shared_with == &[1])
        );
        assert!(
            matches!(&pairings[1], Pairing::Conflict { shared_with, .. } if shared_with == &[0])
        );
        assert_eq!(pairings[2].cloud(), Some(2));
    }
}
