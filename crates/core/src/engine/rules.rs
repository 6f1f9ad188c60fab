//! Rule §3: how Entra treats a new on-premises user, one function per rule.
//!
//! 1. [`hard_match`]: a cloud user whose onPremisesImmutableId equals the sourceAnchor exactly.
//! 2. [`smtp_candidates`] and [`upn_candidates`], judged by [`soft_match`] with
//!    [`refused_for_role`] and [`refused_for_immutable_id`].
//! 3. With no match, [`create_conflicts`]: [`upn_conflict`], [`proxy_address_conflicts`] and
//!    [`security_identifier_conflict`].

use serde::{Deserialize, Serialize};

use crate::directory::{OnPremUser, smtp_address};
use crate::tenant::SyncFeatures;

use super::index::{AddressHolders, CloudIndex, eq_folded, non_empty};

/// What a hard match finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardMatch {
    /// The cloud user is already synchronised with this anchor: Entra Connect joins it, even when
    /// `blockCloudObjectTakeoverThroughHardMatchEnabled` is set.
    Join {
        /// The cloud user.
        cloud: usize,
    },
    /// A cloud-managed user is taken over: AD becomes its source.
    Takeover {
        /// The cloud user.
        cloud: usize,
    },
    /// A cloud-managed user would be taken over, but the tenant blocks it (InvalidHardMatch).
    Blocked {
        /// The cloud user.
        cloud: usize,
    },
}

impl HardMatch {
    /// The cloud user found.
    pub fn cloud(self) -> usize {
        match self {
            Self::Join { cloud } | Self::Takeover { cloud } | Self::Blocked { cloud } => cloud,
        }
    }
}

/// Rule §3.1: hard match on the exact sourceAnchor.
pub fn hard_match(
    index: &CloudIndex<'_>,
    features: &SyncFeatures,
    anchor: &str,
) -> Option<HardMatch> {
    let cloud = index.by_immutable_id(anchor)?;
    let user = index.user(cloud)?;
    Some(if user.is_synced() {
        HardMatch::Join { cloud }
    } else if features.block_hard_match_takeover() {
        HardMatch::Blocked { cloud }
    } else {
        HardMatch::Takeover { cloud }
    })
}

/// Which cloud proxy addresses an on-premises primary SMTP address is compared with.
///
/// **Choice:** Microsoft's "existing tenant" page says only primary addresses are evaluated, while
/// its InvalidSoftMatch example matches on a shared secondary address (docs/rules.md §3.2).
/// anchorsync compares with every cloud proxy address by default; `primary` compares with the cloud
/// user's primary SMTP address only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SmtpMatchScope {
    /// Any cloud proxy address, primary or secondary.
    #[default]
    AnyProxyAddress,
    /// Only the cloud user's primary (`SMTP:`) address.
    Primary,
}

impl SmtpMatchScope {
    /// The spelling used on the command line and in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnyProxyAddress => "any-proxy-address",
            Self::Primary => "primary",
        }
    }
}

/// How a soft-match candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// The on-premises primary SMTP address is the cloud user's primary SMTP address.
    PrimarySmtp,
    /// The on-premises primary SMTP address is one of the cloud user's secondary proxy addresses.
    SecondaryProxyAddress,
    /// The on-premises userPrincipalName is the cloud user's primary SMTP address (docs/rules.md
    /// §3.2).
    UpnToPrimarySmtp,
    /// The on-premises primary SMTP address is the cloud user's userPrincipalName (docs/rules.md
    /// §3.2).
    PrimarySmtpToUpn,
    /// The userPrincipalNames are equal.
    UserPrincipalName,
}

impl MatchedBy {
    /// Whether this is an SMTP soft match (Entra's first stage) rather than a UPN one.
    pub fn is_smtp(self) -> bool {
        !matches!(self, Self::UserPrincipalName)
    }
}

/// A cloud user that soft matching could pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The cloud user.
    pub cloud: usize,
    /// How it was found.
    pub by: MatchedBy,
}

/// The values of an on-premises user that soft matching compares, with who holds them in the cloud,
/// looked up once.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftMatchKeys<'u> {
    /// The primary SMTP address: `SMTP:` in proxyAddresses, or `mail`.
    pub primary_smtp: Option<&'u str>,
    /// The userPrincipalName as exported.
    pub user_principal_name: Option<&'u str>,
    smtp_holders: AddressHolders,
    upn_holders: AddressHolders,
}

impl<'u> SoftMatchKeys<'u> {
    /// Looks the keys up (once each, once in all when they are the same address).
    pub fn lookup(
        index: &CloudIndex<'_>,
        primary_smtp: Option<&'u str>,
        user_principal_name: Option<&'u str>,
    ) -> Self {
        let primary_smtp = primary_smtp.filter(|smtp| !smtp.is_empty());
        let user_principal_name = user_principal_name.filter(|upn| !upn.is_empty());
        let smtp_holders = primary_smtp
            .map(|smtp| index.address(smtp))
            .unwrap_or_default();
        let upn_holders = match (user_principal_name, primary_smtp) {
            (Some(upn), Some(smtp)) if eq_folded(upn, smtp) => smtp_holders,
            (Some(upn), _) => index.address(upn),
            (None, _) => AddressHolders::default(),
        };
        Self {
            primary_smtp,
            user_principal_name,
            smtp_holders,
            upn_holders,
        }
    }

    /// The keys of a user; `exported_upn` is the UPN Entra Connect exports.
    pub fn of(index: &CloudIndex<'_>, user: &'u OnPremUser, exported_upn: Option<&'u str>) -> Self {
        Self::lookup(index, user.primary_smtp(), exported_upn)
    }

    /// Who holds an address: from the keys already looked up when it is one of them.
    pub fn holders(&self, index: &CloudIndex<'_>, address: &str) -> AddressHolders {
        if self
            .primary_smtp
            .is_some_and(|smtp| eq_folded(smtp, address))
        {
            self.smtp_holders
        } else if self
            .user_principal_name
            .is_some_and(|upn| eq_folded(upn, address))
        {
            self.upn_holders
        } else {
            index.address(address)
        }
    }
}

fn push_candidate(candidates: &mut Vec<Candidate>, cloud: Option<usize>, by: MatchedBy) {
    if let Some(cloud) = cloud
        && !candidates.iter().any(|candidate| candidate.cloud == cloud)
    {
        candidates.push(Candidate { cloud, by });
    }
}

/// Rule §3.2, SMTP stage: the cloud users the primary SMTP address finds, including the cross
/// cases (UPN against a cloud primary SMTP address, primary SMTP address against a cloud UPN).
pub fn smtp_candidates(
    _index: &CloudIndex<'_>,
    keys: SoftMatchKeys<'_>,
    scope: SmtpMatchScope,
) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    if keys.primary_smtp.is_some() {
        push_candidate(
            &mut candidates,
            keys.smtp_holders.primary_smtp,
            MatchedBy::PrimarySmtp,
        );
        if scope == SmtpMatchScope::AnyProxyAddress {
            push_candidate(
                &mut candidates,
                keys.smtp_holders.proxy_address,
                MatchedBy::SecondaryProxyAddress,
            );
        }
    }
    if keys.user_principal_name.is_some() {
        push_candidate(
            &mut candidates,
            keys.upn_holders.primary_smtp,
            MatchedBy::UpnToPrimarySmtp,
        );
    }
    if keys.primary_smtp.is_some() {
        push_candidate(
            &mut candidates,
            keys.smtp_holders.user_principal_name,
            MatchedBy::PrimarySmtpToUpn,
        );
    }
    candidates
}

/// Rule §3.2, UPN stage: the cloud user with the same userPrincipalName (not gated here: [`soft_match`]
/// applies `softMatchOnUpnEnabled`).
pub fn upn_candidates(_index: &CloudIndex<'_>, keys: SoftMatchKeys<'_>) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    if keys.user_principal_name.is_some() {
        push_candidate(
            &mut candidates,
            keys.upn_holders.user_principal_name,
            MatchedBy::UserPrincipalName,
        );
    }
    candidates
}

/// Rule §3.2: a candidate holding any directory role is refused (Entra does not match on-premises users
/// onto cloud administrators). Returns its roleDefinitionIds.
pub fn refused_for_role<'t>(index: &CloudIndex<'t>, candidate: Candidate) -> Option<Vec<&'t str>> {
    index
        .holds_role(candidate.cloud)
        .then(|| index.roles_of(candidate.cloud))
}

/// Rule §3.2: a candidate that already has an onPremisesImmutableId cannot be taken (InvalidSoftMatch).
/// Returns that value.
pub fn refused_for_immutable_id<'t>(
    index: &CloudIndex<'t>,
    candidate: Candidate,
) -> Option<&'t str> {
    index
        .user(candidate.cloud)
        .and_then(|user| non_empty(&user.on_premises_immutable_id))
}

/// What soft matching decides for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftMatch {
    /// `blockSoftMatchEnabled`: no soft matching at all. The candidates it would have considered.
    Blocked {
        /// Cloud users that hold the user's SMTP address or UPN.
        candidates: Vec<Candidate>,
    },
    /// Nobody to match.
    NoCandidate {
        /// A cloud user with the same UPN that `softMatchOnUpnEnabled` being off leaves alone.
        upn_ignored: Option<usize>,
    },
    /// Entra matches this cloud user.
    Matched(Candidate),
    /// Different cloud users are candidates.
    Ambiguous(Vec<Candidate>),
    /// The candidate holds a directory role.
    AdminRoleConflict {
        /// The candidate.
        candidate: Candidate,
        /// Its roleDefinitionIds.
        roles: Vec<String>,
    },
    /// The candidate already has an onPremisesImmutableId.
    InvalidSoftMatch {
        /// The candidate.
        candidate: Candidate,
        /// Its onPremisesImmutableId.
        immutable_id: String,
    },
}

/// Rule §3.2 as a whole: SMTP first, then UPN when enabled, a single candidate judged by the refusals.
///
/// Two different candidates are reported as ambiguous even though Entra would try SMTP first:
/// docs/rules.md §3.2: rules that disagree are reported, never guessed. A role wins over an
/// onPremisesImmutableId when a candidate has both (**choice**): both refuse the match, and the
/// role is the fact an administrator must decide on.
pub fn soft_match(
    index: &CloudIndex<'_>,
    features: &SyncFeatures,
    keys: SoftMatchKeys<'_>,
    scope: SmtpMatchScope,
) -> SoftMatch {
    let mut candidates = smtp_candidates(index, keys, scope);
    let by_upn = upn_candidates(index, keys);
    if features.block_soft_match() {
        for candidate in by_upn {
            push_candidate(&mut candidates, Some(candidate.cloud), candidate.by);
        }
        return SoftMatch::Blocked { candidates };
    }
    let mut upn_ignored = None;
    for candidate in by_upn {
        if features.soft_match_on_upn() {
            push_candidate(&mut candidates, Some(candidate.cloud), candidate.by);
        } else if !candidates.iter().any(|c| c.cloud == candidate.cloud) {
            upn_ignored = Some(candidate.cloud);
        }
    }
    match candidates.as_slice() {
        [] => SoftMatch::NoCandidate { upn_ignored },
        [candidate] => judge_candidate(index, *candidate),
        _ => SoftMatch::Ambiguous(candidates),
    }
}

/// Applies the refusals to the single candidate.
pub fn judge_candidate(index: &CloudIndex<'_>, candidate: Candidate) -> SoftMatch {
    if let Some(roles) = refused_for_role(index, candidate) {
        return SoftMatch::AdminRoleConflict {
            candidate,
            roles: roles.into_iter().map(str::to_owned).collect(),
        };
    }
    if let Some(immutable_id) = refused_for_immutable_id(index, candidate) {
        return SoftMatch::InvalidSoftMatch {
            candidate,
            immutable_id: immutable_id.to_owned(),
        };
    }
    SoftMatch::Matched(candidate)
}

/// The attribute a create collides on (Entra's AttributeConflictName).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConflictAttribute {
    /// The objectSid is another cloud user's onPremisesSecurityIdentifier: the export fails.
    OnPremiseSecurityIdentifier,
    /// The UPN is taken: the new user gets a quarantine UPN.
    UserPrincipalName,
    /// A proxy address is taken: Entra drops it from the new user.
    ProxyAddresses,
}

impl ConflictAttribute {
    /// Entra's name for the attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnPremiseSecurityIdentifier => "OnPremiseSecurityIdentifier",
            Self::UserPrincipalName => "UserPrincipalName",
            Self::ProxyAddresses => "ProxyAddresses",
        }
    }
}

/// One value of a new user that a cloud user already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Which attribute.
    pub attribute: ConflictAttribute,
    /// The cloud user that holds the value.
    pub cloud: usize,
    /// The value, as the on-premises user has it.
    pub value: String,
}

/// Rule §3.3: the predicted UPN is already another cloud user's.
pub fn upn_conflict(index: &CloudIndex<'_>, predicted_upn: &str) -> Option<Conflict> {
    upn_conflict_with(index, predicted_upn, &SoftMatchKeys::default())
}

fn upn_conflict_with(
    index: &CloudIndex<'_>,
    predicted_upn: &str,
    keys: &SoftMatchKeys<'_>,
) -> Option<Conflict> {
    keys.holders(index, predicted_upn)
        .user_principal_name
        .map(|cloud| Conflict {
            attribute: ConflictAttribute::UserPrincipalName,
            cloud,
            value: predicted_upn.to_owned(),
        })
}

/// Rule §3.3: SMTP proxy addresses (and `mail`) that cloud users already hold, one per address.
pub fn proxy_address_conflicts(index: &CloudIndex<'_>, user: &OnPremUser) -> Vec<Conflict> {
    proxy_address_conflicts_with(index, user, &SoftMatchKeys::default())
}

fn proxy_address_conflicts_with(
    index: &CloudIndex<'_>,
    user: &OnPremUser,
    keys: &SoftMatchKeys<'_>,
) -> Vec<Conflict> {
    let mut seen: Vec<&str> = Vec::new();
    let mut conflicts = Vec::new();
    let addresses = user
        .proxy_addresses
        .iter()
        .filter_map(|address| smtp_address(address).map(|smtp| (smtp, address.as_str())))
        .chain(user.mail.as_deref().map(|mail| (mail, mail)));
    for (smtp, written) in addresses {
        if smtp.is_empty() || seen.iter().any(|known| eq_folded(known, smtp)) {
            continue;
        }
        if let Some(cloud) = keys.holders(index, smtp).proxy_address {
            conflicts.push(Conflict {
                attribute: ConflictAttribute::ProxyAddresses,
                cloud,
                value: written.to_owned(),
            });
        }
        seen.push(smtp);
    }
    conflicts
}

/// Rule §3.3: the objectSid is already the onPremisesSecurityIdentifier of a cloud user (which, since no
/// hard match found it, carries a different anchor).
pub fn security_identifier_conflict(index: &CloudIndex<'_>, user: &OnPremUser) -> Option<Conflict> {
    use std::fmt::Write as _;
    let sid = user.object_sid.as_ref()?;
    if !index.has_security_identifiers() {
        return None;
    }
    // Formatted into a reused buffer: this runs for every user that no match claims.
    thread_local! {
        static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    TEXT.with_borrow_mut(|text| {
        text.clear();
        write!(text, "{sid}").ok()?;
        index.by_security_identifier(text).map(|cloud| Conflict {
            attribute: ConflictAttribute::OnPremiseSecurityIdentifier,
            cloud,
            value: text.clone(),
        })
    })
}

/// Rule §3.3 as a whole, most severe first: a SID conflict stops the export, a UPN conflict changes
/// the sign-in name, a proxy conflict drops an address (**choice:** this order decides
/// `conflictAttribute` when there are several; all are listed in the reasons).
pub fn create_conflicts(
    index: &CloudIndex<'_>,
    user: &OnPremUser,
    predicted_upn: Option<&str>,
) -> Vec<Conflict> {
    create_conflicts_with(index, user, predicted_upn, &SoftMatchKeys::default())
}

/// [`create_conflicts`] reusing the lookups soft matching already made.
pub fn create_conflicts_with(
    index: &CloudIndex<'_>,
    user: &OnPremUser,
    predicted_upn: Option<&str>,
    keys: &SoftMatchKeys<'_>,
) -> Vec<Conflict> {
    let mut conflicts: Vec<Conflict> = security_identifier_conflict(index, user)
        .into_iter()
        .chain(predicted_upn.and_then(|upn| upn_conflict_with(index, upn, keys)))
        .collect();
    conflicts.extend(proxy_address_conflicts_with(index, user, keys));
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::Sid;
    use crate::tenant::{CloudUser, OnPremisesSynchronization, RoleAssignment, TenantSnapshot};

    fn cloud(id: &str, upn: &str, proxies: &[&str]) -> CloudUser {
        CloudUser {
            id: id.into(),
            user_principal_name: Some(upn.into()),
            proxy_addresses: proxies.iter().map(|p| (*p).to_owned()).collect(),
            ..CloudUser::default()
        }
    }

    fn features(block_soft: bool, block_hard: bool, upn: Option<bool>) -> SyncFeatures {
        SyncFeatures {
            block_soft_match_enabled: Some(block_soft),
            block_cloud_object_takeover_through_hard_match_enabled: Some(block_hard),
            soft_match_on_upn_enabled: upn,
            ..SyncFeatures::default()
        }
    }

    fn keys<'a>(
        index: &CloudIndex<'_>,
        smtp: Option<&'a str>,
        upn: Option<&'a str>,
    ) -> SoftMatchKeys<'a> {
        SoftMatchKeys::lookup(index, smtp, upn)
    }

    #[test]
    fn hard_match_takeover_blocked_and_join() {
        let mut synced = cloud("s", "s@x.com", &[]);
        synced.on_premises_immutable_id = Some("SYNCED==".into());
        synced.on_premises_sync_enabled = Some(true);
        let mut managed = cloud("m", "m@x.com", &[]);
        managed.on_premises_immutable_id = Some("MANAGED=".into());
        let tenant = TenantSnapshot {
            users: vec![synced, managed],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let open = features(false, false, None);
        let closed = features(false, true, None);
        assert_eq!(
            hard_match(&index, &open, "MANAGED="),
            Some(HardMatch::Takeover { cloud: 1 })
        );
        assert_eq!(
            hard_match(&index, &closed, "MANAGED="),
            Some(HardMatch::Blocked { cloud: 1 })
        );
        assert_eq!(
            hard_match(&index, &closed, "SYNCED=="),
            Some(HardMatch::Join { cloud: 0 })
        );
        assert_eq!(
            hard_match(&index, &open, "managed="),
            None,
            "case-sensitive"
        );
    }

    #[test]
    fn smtp_stage_finds_primary_secondary_and_seed_004_cross_cases() {
        let tenant = TenantSnapshot {
            users: vec![
                cloud("p", "p@x.com", &["SMTP:taro@x.com"]),
                cloud("s", "s@x.com", &["SMTP:s@x.com", "smtp:hanako@x.com"]),
                cloud("u", "jiro.upn@x.com", &["SMTP:jiro@x.com"]),
                cloud("v", "saburo@x.com", &[]),
            ],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let any = SmtpMatchScope::AnyProxyAddress;
        let found = |smtp, upn, scope| smtp_candidates(&index, keys(&index, smtp, upn), scope);
        assert_eq!(
            found(Some("TARO@x.com"), None, any),
            vec![Candidate {
                cloud: 0,
                by: MatchedBy::PrimarySmtp
            }]
        );
        assert_eq!(
            found(Some("hanako@x.com"), None, any),
            vec![Candidate {
                cloud: 1,
                by: MatchedBy::SecondaryProxyAddress
            }]
        );
        assert!(found(Some("hanako@x.com"), None, SmtpMatchScope::Primary).is_empty());
        assert_eq!(
            found(Some("other@x.com"), Some("jiro@x.com"), any),
            vec![Candidate {
                cloud: 2,
                by: MatchedBy::UpnToPrimarySmtp
            }]
        );
        assert_eq!(
            found(Some("saburo@x.com"), None, any),
            vec![Candidate {
                cloud: 3,
                by: MatchedBy::PrimarySmtpToUpn
            }]
        );
    }

    #[test]
    fn upn_stage_is_gated_by_soft_match_on_upn() {
        let tenant = TenantSnapshot {
            users: vec![cloud("u", "taro@x.com", &[])],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let k = keys(&index, Some("t.yamada@x.com"), Some("Taro@x.com"));
        let scope = SmtpMatchScope::AnyProxyAddress;
        assert_eq!(
            soft_match(&index, &features(false, false, None), k, scope),
            SoftMatch::Matched(Candidate {
                cloud: 0,
                by: MatchedBy::UserPrincipalName
            })
        );
        assert_eq!(
            soft_match(&index, &features(false, false, Some(false)), k, scope),
            SoftMatch::NoCandidate {
                upn_ignored: Some(0)
            }
        );
    }

    #[test]
    fn block_soft_match_skips_everything() {
        let tenant = TenantSnapshot {
            users: vec![cloud("u", "taro@x.com", &["SMTP:taro@x.com"])],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let result = soft_match(
            &index,
            &features(true, false, None),
            keys(&index, Some("taro@x.com"), Some("taro@x.com")),
            SmtpMatchScope::AnyProxyAddress,
        );
        assert!(matches!(result, SoftMatch::Blocked { candidates } if candidates.len() == 1));
    }

    #[test]
    fn refusals_role_then_immutable_id() {
        let mut admin = cloud("a", "admin@x.com", &["SMTP:admin@x.com"]);
        admin.on_premises_immutable_id = Some("HENNGE==".into());
        let mut federated = cloud("f", "fed@x.com", &["SMTP:fed@x.com"]);
        federated.on_premises_immutable_id = Some("HENNGE2=".into());
        let tenant = TenantSnapshot {
            users: vec![admin, federated],
            role_assignments: vec![RoleAssignment {
                id: "1".into(),
                principal_id: "a".into(),
                role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
                ..RoleAssignment::default()
            }],
            on_premises_synchronization: Some(OnPremisesSynchronization::default()),
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let admin = Candidate {
            cloud: 0,
            by: MatchedBy::PrimarySmtp,
        };
        let federated = Candidate {
            cloud: 1,
            by: MatchedBy::PrimarySmtp,
        };
        assert!(refused_for_role(&index, admin).is_some());
        assert!(refused_for_role(&index, federated).is_none());
        assert_eq!(
            refused_for_immutable_id(&index, federated),
            Some("HENNGE2=")
        );
        assert!(matches!(
            judge_candidate(&index, admin),
            SoftMatch::AdminRoleConflict { .. }
        ));
        assert!(matches!(
            judge_candidate(&index, federated),
            SoftMatch::InvalidSoftMatch { .. }
        ));
    }

    #[test]
    fn two_candidates_are_ambiguous() {
        let tenant = TenantSnapshot {
            users: vec![
                cloud("a", "a@x.com", &["SMTP:taro@x.com"]),
                cloud("b", "taro.yamada@x.com", &[]),
            ],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let result = soft_match(
            &index,
            &features(false, false, None),
            keys(&index, Some("taro@x.com"), Some("taro.yamada@x.com")),
            SmtpMatchScope::AnyProxyAddress,
        );
        assert!(matches!(result, SoftMatch::Ambiguous(c) if c.len() == 2));
    }

    #[test]
    fn create_conflicts_most_severe_first() {
        let sid: Sid = "S-1-5-21-1-2-3-1105".parse().unwrap();
        let mut holder = cloud("h", "taro@x.com", &["SMTP:t@x.com", "smtp:alias@x.com"]);
        holder.on_premises_security_identifier = Some(sid.to_string());
        let tenant = TenantSnapshot {
            users: vec![holder],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        let user = OnPremUser {
            object_sid: Some(sid),
            proxy_addresses: vec!["SMTP:new@x.com".into(), "smtp:Alias@x.com".into()],
            mail: Some("new@x.com".into()),
            ..OnPremUser::default()
        };
        let conflicts = create_conflicts(&index, &user, Some("TARO@x.com"));
        let attributes: Vec<_> = conflicts.iter().map(|c| c.attribute).collect();
        assert_eq!(
            attributes,
            [
                ConflictAttribute::OnPremiseSecurityIdentifier,
                ConflictAttribute::UserPrincipalName,
                ConflictAttribute::ProxyAddresses
            ]
        );
        assert_eq!(conflicts[2].value, "smtp:Alias@x.com");
    }
}
