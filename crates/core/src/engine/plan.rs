//! The evaluation: every on-premises user gets exactly one [`Outcome`], the typed facts that decided it,
//! and the cautions an administrator should read even when the outcome is fine.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::directory::OnPremUser;
use crate::remediation::{PlanSources, Remediation, Strategy};
use crate::tenant::{SyncFeatures, TenantSnapshot};

use super::changes::cloud_only_proxy_addresses;
use super::index::{CloudIndex, FoldedMap, eq_folded, keep_first, non_empty};
use super::rules::{
    Candidate, Conflict, ConflictAttribute, HardMatch, SmtpMatchScope, SoftMatch, SoftMatchKeys,
    create_conflicts_with, hard_match, soft_match,
};
use super::source_anchor::{
    AnchorAttribute, AnchorEncoding, AnchorNote, AnchorProblem, SourceAnchor, check_source_anchor,
    source_anchor,
};
use super::upn::{UpnPrediction, UpnSource, predict_upn, quarantined_upn};

/// What Entra will do with an on-premises user on its first export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A cloud user with the same onPremisesImmutableId becomes managed from AD.
    HardMatch,
    /// A cloud user is matched by SMTP address.
    SoftMatchSmtp,
    /// A cloud user is matched by userPrincipalName.
    SoftMatchUpn,
    /// A new cloud user is created.
    Create,
    /// A new cloud user is created, but a value it needs is taken.
    CreateWithConflict,
    /// The soft-match candidate already has another onPremisesImmutableId.
    InvalidSoftMatch,
    /// The soft-match candidate holds a directory role.
    AdminRoleConflict,
    /// The hard-match target is cloud-managed and the tenant blocks takeovers.
    HardMatchBlocked,
    /// Several cloud users are candidates, or several on-premises users want one.
    Ambiguous,
    /// The sourceAnchor is missing or breaks the rules.
    InvalidAnchor,
    /// Another on-premises user has the same sourceAnchor.
    DuplicateAnchor,
}

impl Outcome {
    /// Every outcome, in the order plans count them.
    pub const ALL: [Self; 11] = [
        Self::HardMatch,
        Self::SoftMatchSmtp,
        Self::SoftMatchUpn,
        Self::Create,
        Self::CreateWithConflict,
        Self::InvalidSoftMatch,
        Self::AdminRoleConflict,
        Self::HardMatchBlocked,
        Self::Ambiguous,
        Self::InvalidAnchor,
        Self::DuplicateAnchor,
    ];

    /// The outcome's name in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HardMatch => "hard-match",
            Self::SoftMatchSmtp => "soft-match-smtp",
            Self::SoftMatchUpn => "soft-match-upn",
            Self::Create => "create",
            Self::CreateWithConflict => "create-with-conflict",
            Self::InvalidSoftMatch => "invalid-soft-match",
            Self::AdminRoleConflict => "admin-role-conflict",
            Self::HardMatchBlocked => "hard-match-blocked",
            Self::Ambiguous => "ambiguous",
            Self::InvalidAnchor => "invalid-anchor",
            Self::DuplicateAnchor => "duplicate-anchor",
        }
    }

    /// Whether an administrator must act before the first sync: everything but a match or a clean create.
    pub fn needs_attention(self) -> bool {
        !matches!(
            self,
            Self::HardMatch | Self::SoftMatchSmtp | Self::SoftMatchUpn | Self::Create
        )
    }

    /// Whether a cloud user is taken over and its attributes overwritten.
    pub fn is_match(self) -> bool {
        matches!(
            self,
            Self::HardMatch | Self::SoftMatchSmtp | Self::SoftMatchUpn
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The settings a plan is made with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineSettings {
    /// The anchor attribute.
    pub anchor_attribute: AnchorAttribute,
    /// How its bytes become text.
    pub anchor_encoding: AnchorEncoding,
    /// Which cloud proxy addresses SMTP soft matching compares with.
    pub smtp_match: SmtpMatchScope,
}

/// Something an administrator should read about a user whatever its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caution {
    /// The AD account is disabled; `cloud_enabled` names a matched cloud user that is enabled today.
    Disabled {
        /// userAccountControl.
        user_account_control: u32,
        /// A matched cloud user that is enabled today.
        cloud_enabled: Option<usize>,
    },
    /// A finding about the sourceAnchor value.
    Anchor(AnchorNote),
    /// Other on-premises users whose sourceAnchor differs only by case.
    AnchorCaseOnly {
        /// Their positions in the inventory.
        others: Vec<usize>,
    },
    /// A cloud user whose onPremisesImmutableId differs from the sourceAnchor only by case.
    ImmutableIdCaseOnly {
        /// The cloud user.
        cloud: usize,
    },
    /// The hard-match target holds directory roles.
    TargetHoldsRoles {
        /// The cloud user.
        cloud: usize,
        /// Its roleDefinitionIds.
        roles: Vec<String>,
    },
    /// The user's UPN is in a federated domain and its ImmutableID changes with the first sync.
    FederatedImmutableId {
        /// The federated domain.
        domain: String,
    },
    /// The hard-match target is already synchronised, from another object.
    SyncedElsewhere {
        /// The cloud user.
        cloud: usize,
    },
    /// The matched cloud user's sign-in name changes.
    SignInNameChanges {
        /// The cloud user.
        cloud: usize,
    },
    /// The predicted UPN already belongs to a cloud user other than the matched one.
    UpnTaken {
        /// The holder.
        cloud: usize,
    },
    /// Proxy addresses that only the matched cloud user has, which the first sync removes.
    ProxyAddressesLost {
        /// The cloud user.
        cloud: usize,
        /// The addresses, as the cloud has them.
        addresses: Vec<String>,
    },
    /// No userPrincipalName: Entra Connect exports sAMAccountName@AD domain.
    UpnFromSamAccountName,
    /// Neither userPrincipalName nor sAMAccountName.
    NoUpn,
    /// The UPN must be rewritten to the initial domain, which the snapshot does not list.
    NoInitialDomain,
}

/// The userPrincipalName the cloud user will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredictedUpn {
    /// None can be predicted (no userPrincipalName or sAMAccountName, or no initial domain).
    Unknown,
    /// The on-premises userPrincipalName, kept.
    OnPremises,
    /// Another value: Entra's rewrite to the initial domain, its duplicate-attribute quarantine, or
    /// sAMAccountName@AD domain.
    Other(String),
}

/// The rarer findings of a user, boxed so that the common case costs one pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// Why the sourceAnchor is unusable.
    pub anchor_problem: Option<AnchorProblem>,
    /// Other on-premises users with the same sourceAnchor.
    pub duplicates: Vec<usize>,
    /// Other on-premises users that soft-match the same cloud user.
    pub contested_with: Vec<usize>,
    /// Values of a new user that cloud users already hold.
    pub conflicts: Vec<Conflict>,
    /// For `invalid-soft-match`: the on-premises user whose sourceAnchor is the candidate's value.
    pub immutable_id_holder: Option<usize>,
}

impl Caution {
    /// Whether the caution is about what a hard or soft match does to the cloud user.
    fn follows_a_match(&self) -> bool {
        matches!(
            self,
            Self::SignInNameChanges { .. }
                | Self::UpnTaken { .. }
                | Self::ProxyAddressesLost { .. }
                | Self::FederatedImmutableId { .. }
        )
    }
}

/// Everything the engine decided for one on-premises user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPlan {
    /// Position of the user in the inventory.
    pub user: usize,
    /// The outcome.
    pub outcome: Outcome,
    /// For `create-with-conflict`: the attribute Entra reports.
    pub conflict_attribute: Option<ConflictAttribute>,
    /// The cloud user matched, or the one that refused the match.
    pub cloud_user: Option<usize>,
    /// The sourceAnchor, when one could be read (also when it breaks the rules).
    pub anchor: Option<SourceAnchor>,
    /// The UPN the cloud user will carry (with the duplicate-attribute quarantine applied).
    pub predicted_upn: PredictedUpn,
    /// The hard match found (also for `duplicate-anchor`, where it is only informative).
    pub hard_match: Option<HardMatch>,
    /// What soft matching decided, when it was reached.
    pub soft_match: Option<SoftMatch>,
    /// The rarer findings.
    pub details: Option<Box<Details>>,
    /// What an administrator should read.
    pub cautions: Vec<Caution>,
}

const NO_DETAILS: &Details = &Details {
    anchor_problem: None,
    duplicates: Vec::new(),
    contested_with: Vec::new(),
    conflicts: Vec::new(),
    immutable_id_holder: None,
};

impl UserPlan {
    fn new(user: usize) -> Self {
        Self {
            user,
            outcome: Outcome::Create,
            conflict_attribute: None,
            cloud_user: None,
            anchor: None,
            predicted_upn: PredictedUpn::Unknown,
            hard_match: None,
            soft_match: None,
            details: None,
            cautions: Vec::new(),
        }
    }

    /// The rarer findings (empty ones when there are none).
    pub fn details(&self) -> &Details {
        self.details.as_deref().unwrap_or(NO_DETAILS)
    }

    fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Box::default)
    }

    /// The predicted userPrincipalName, given the user this plan is for.
    pub fn predicted_upn<'u>(&'u self, user: &'u OnPremUser) -> Option<&'u str> {
        match &self.predicted_upn {
            PredictedUpn::Unknown => None,
            PredictedUpn::OnPremises => user.user_principal_name.as_deref(),
            PredictedUpn::Other(upn) => Some(upn),
        }
    }

    /// The cloud users that compete for this user: the candidates of an ambiguous soft match, and the
    /// holders of the values a new user collides on. Sorted by position, without repeats.
    pub fn conflicting_cloud_users(&self) -> Vec<usize> {
        let mut users: Vec<usize> = self
            .details()
            .conflicts
            .iter()
            .map(|conflict| conflict.cloud)
            .collect();
        if let Some(SoftMatch::Ambiguous(candidates)) = &self.soft_match {
            users.extend(candidates.iter().map(|candidate| candidate.cloud));
        }
        users.sort_unstable();
        users.dedup();
        users
    }
}

fn predicted(user: &OnPremUser, value: Option<&str>) -> PredictedUpn {
    match value {
        None => PredictedUpn::Unknown,
        Some(value) if user.user_principal_name.as_deref() == Some(value) => {
            PredictedUpn::OnPremises
        }
        Some(value) => PredictedUpn::Other(value.to_owned()),
    }
}

/// The sourceAnchors of the inventory, for duplicates and case-only differences.
///
/// Exact values are found through a list of (hash, position) sorted on every core: building it costs
/// a parallel sort instead of a million inserts into one hash map, and duplicates are neighbours in it.
struct AnchorIndex<'a> {
    anchors: &'a [Result<SourceAnchor, AnchorProblem>],
    by_hash: Vec<(u64, usize)>,
    /// Per position, whether another user's anchor has the same hash: almost nobody's, so the duplicate
    /// check of almost every user is one bit instead of a binary search over a million hashes.
    shares_hash: Vec<bool>,
    folded: FoldedMap<'a, Option<usize>>,
    folded_repeated: FxHashMap<usize, Vec<usize>>,
}

fn exact_hash(value: &str) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(value.as_bytes());
    hasher.finish()
}

impl<'a> AnchorIndex<'a> {
    fn new(anchors: &'a [Result<SourceAnchor, AnchorProblem>]) -> Self {
        let mut by_hash: Vec<(u64, usize)> = anchors
            .par_iter()
            .enumerate()
            .filter_map(|(position, anchor)| {
                anchor
                    .as_ref()
                    .ok()
                    .map(|anchor| (exact_hash(&anchor.value), position))
            })
            .collect();
        by_hash.par_sort_unstable();
        // Equal hashes are neighbours once sorted.
        let mut shares_hash = vec![false; anchors.len()];
        for run in by_hash.chunk_by(|(a, _), (b, _)| a == b) {
            if run.len() > 1 {
                for (_, position) in run {
                    if let Some(flag) = shares_hash.get_mut(*position) {
                        *flag = true;
                    }
                }
            }
        }
        let mut index = Self {
            anchors,
            by_hash,
            shares_hash,
            folded: FoldedMap::default(),
            folded_repeated: FxHashMap::default(),
        };
        for (position, anchor) in anchors.iter().enumerate() {
            // Case-only differences matter between values people type (employeeID, names); Base64 of
            // binary values that differ only by case are unrelated bytes that no tool folds together.
            let Ok(anchor) = anchor else { continue };
            if anchor.base64 {
                continue;
            }
            let first = keep_first(&mut index.folded, &anchor.value, position);
            if first != position {
                index
                    .folded_repeated
                    .entry(first)
                    .or_insert_with(|| vec![first])
                    .push(position);
            }
        }
        index
    }

    /// Every user with exactly this value, in inventory order.
    fn with_value<'s>(&'s self, value: &'s str) -> impl Iterator<Item = usize> + 's {
        let hash = exact_hash(value);
        let start = self.by_hash.partition_point(|(h, _)| *h < hash);
        self.by_hash
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |(h, _)| *h == hash)
            .map(|(_, position)| *position)
            .filter(move |position| {
                self.anchors
                    .get(*position)
                    .and_then(|anchor| anchor.as_ref().ok())
                    .is_some_and(|anchor| anchor.value == value)
            })
    }

    /// The other users with exactly this value.
    fn duplicates(&self, position: usize, value: &str) -> Vec<usize> {
        if !self.shares_hash.get(position).copied().unwrap_or(true) {
            return Vec::new();
        }
        self.with_value(value).filter(|p| *p != position).collect()
    }

    /// The other users whose value differs only by case.
    fn case_only(
        &self,
        position: usize,
        value: &str,
        anchors: &[Result<SourceAnchor, AnchorProblem>],
    ) -> Vec<usize> {
        if self.folded_repeated.is_empty() {
            return Vec::new();
        }
        self.folded
            .get(value)
            .copied()
            .flatten()
            .and_then(|first| self.folded_repeated.get(&first))
            .map(|all| {
                all.iter()
                    .copied()
                    .filter(|other| {
                        *other != position
                            && anchors
                                .get(*other)
                                .and_then(|a| a.as_ref().ok())
                                .is_some_and(|a| a.value != value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first user with exactly this value.
    fn holder(&self, value: &str) -> Option<usize> {
        self.with_value(value).next()
    }
}

/// A finished plan: the decisions per user, sorted by DN, and the cloud users nobody reaches.
#[derive(Debug)]
pub struct Plan<'a> {
    /// The on-premises inventory.
    pub on_prem: &'a [OnPremUser],
    /// The tenant.
    pub tenant: &'a TenantSnapshot,
    /// The tenant indexed.
    pub index: CloudIndex<'a>,
    /// The settings used.
    pub settings: EngineSettings,
    /// The tenant's matching switches.
    pub features: SyncFeatures,
    /// One decision per on-premises user, sorted by DN.
    pub users: Vec<UserPlan>,
    /// Positions of the cloud users no on-premises user reaches, sorted by userPrincipalName and id.
    pub cloud_only: Vec<usize>,
    /// With `--strategy`: what the strategy does, per user by position in the inventory, and where the
    /// plan's sides were read from ([`Plan::with_strategy`]).
    pub remediation: Option<PlanRemediation>,
}

/// The strategy part of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRemediation {
    /// The strategy.
    pub strategy: Strategy,
    /// Where the sides were read from.
    pub sources: Option<PlanSources>,
    /// One remediation per on-premises user, by position in the inventory.
    pub users: Vec<Remediation>,
}

impl Plan<'_> {
    /// A user's remediation, when the plan has a strategy.
    pub fn remediation_of(&self, user_plan: &UserPlan) -> Option<&Remediation> {
        self.remediation
            .as_ref()
            .and_then(|remediation| remediation.users.get(user_plan.user))
    }
}

impl Plan<'_> {
    /// How many users got each outcome, in [`Outcome::ALL`] order.
    pub fn counts(&self) -> [(Outcome, usize); 11] {
        let mut counts = Outcome::ALL.map(|outcome| (outcome, 0));
        for user in &self.users {
            if let Some(slot) = counts
                .iter_mut()
                .find(|(outcome, _)| *outcome == user.outcome)
            {
                slot.1 += 1;
            }
        }
        counts
    }

    /// Whether any user needs attention (exit status 1).
    pub fn needs_attention(&self) -> bool {
        self.users.iter().any(|user| user.outcome.needs_attention())
    }
}

/// Runs the engine over an inventory and a tenant.
///
/// Precedence, first that applies: `invalid-anchor`, `duplicate-anchor` (both stop the export, so no
/// matching happens), `hard-match-blocked` / `hard-match`, then soft matching: `ambiguous`,
/// `admin-role-conflict`, `invalid-soft-match`, `soft-match-smtp` / `soft-match-upn`, and finally
/// `create-with-conflict` / `create`. Two on-premises users that soft-match the same cloud user are both
/// `ambiguous`: only the first exported wins, and the export order cannot be known.
pub fn plan<'a>(
    on_prem: &'a [OnPremUser],
    tenant: &'a TenantSnapshot,
    settings: &EngineSettings,
) -> Plan<'a> {
    plan_with(on_prem, CloudIndex::new(tenant), settings)
}

/// [`plan()`] with the tenant already indexed: a caller can index the tenant while the on-premises side
/// is still being read.
pub fn plan_with<'a>(
    on_prem: &'a [OnPremUser],
    index: CloudIndex<'a>,
    settings: &EngineSettings,
) -> Plan<'a> {
    let tenant = index.tenant();
    let (anchors, order) = rayon::join(
        || {
            on_prem
                .par_iter()
                .map(|user| {
                    source_anchor(user, &settings.anchor_attribute, settings.anchor_encoding)
                })
                .collect::<Vec<_>>()
        },
        // Plans list users by DN.
        || dn_order(on_prem),
    );
    let features = tenant.features();
    let anchor_index = AnchorIndex::new(&anchors);
    let evaluator = Evaluator {
        on_prem,
        tenant,
        index: &index,
        features: &features,
        settings,
        anchors: &anchors,
        anchor_index: &anchor_index,
    };
    // Decided in inventory order, which is memory order: users are read one after the other instead of
    // jumping around a gigabyte of them, and only the finished plans are put in DN order.
    let mut by_position: Vec<UserPlan> = (0..on_prem.len())
        .into_par_iter()
        .map(|position| evaluator.evaluate(position))
        .collect();
    resolve_contested(&mut by_position);
    // The anchors move into the plans now that nothing borrows them any more: no copies.
    for (user, anchor) in by_position.iter_mut().zip(anchors) {
        if user.anchor.is_none() {
            user.anchor = anchor.ok();
        }
    }
    let mut users = by_position;
    permute(&mut users, &order);
    let cloud_only = unreached_cloud_users(tenant, &users);
    Plan {
        on_prem,
        tenant,
        index,
        settings: settings.clone(),
        features,
        users,
        cloud_only,
        remediation: None,
    }
}

/// The positions of the users in DN order (ties in inventory order). Sorting compares the first 32
/// bytes of each DN held next to the position, and reads the DNs themselves only on ties: a million DNs
/// scattered in memory would otherwise cost a cache miss per comparison.
fn dn_order(on_prem: &[OnPremUser]) -> Vec<usize> {
    let dn = |position: usize| on_prem.get(position).map_or("", |user| user.dn.as_str());
    // The prefix as two big-endian integers: they order like the bytes, and compare without a call.
    let mut keys: Vec<(u128, u128, usize)> = on_prem
        .par_iter()
        .enumerate()
        .map(|(position, user)| {
            let mut prefix = [0u8; 32];
            let bytes = user.dn.as_bytes();
            let length = bytes.len().min(prefix.len());
            if let (Some(to), Some(from)) = (prefix.get_mut(..length), bytes.get(..length)) {
                to.copy_from_slice(from);
            }
            let (high, low) = prefix.split_at(16);
            let word = |half: &[u8]| u128::from_be_bytes(half.try_into().unwrap_or([0; 16]));
            (word(high), word(low), position)
        })
        .collect();
    keys.par_sort_unstable_by(|(a1, a2, i), (b1, b2, j)| {
        (a1, a2)
            .cmp(&(b1, b2))
            .then_with(|| dn(*i).cmp(dn(*j)))
            .then(i.cmp(j))
    });
    keys.into_iter().map(|(_, _, position)| position).collect()
}

/// Rearranges `items` so that `items[i]` becomes the item that was at `order[i]`, in place (a million
/// plans are not copied into a second list), following each cycle of the permutation with swaps.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        if placed.get(start).copied().unwrap_or(true) {
            continue;
        }
        let mut current = start;
        loop {
            if let Some(done) = placed.get_mut(current) {
                *done = true;
            }
            let Some(&next) = order.get(current) else {
                break;
            };
            if next == start || next >= items.len() {
                break;
            }
            items.swap(current, next);
            current = next;
        }
    }
}

/// Two or more on-premises users soft-matching one cloud user become `ambiguous`.
fn resolve_contested(users: &mut [UserPlan]) {
    let mut claims: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for (slot, user) in users.iter().enumerate() {
        if matches!(user.outcome, Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn)
            && let Some(cloud) = user.cloud_user
        {
            claims.entry(cloud).or_default().push(slot);
        }
    }
    for slots in claims.values().filter(|slots| slots.len() > 1) {
        let positions: Vec<usize> = slots
            .iter()
            .filter_map(|slot| users.get(*slot).map(|user| user.user))
            .collect();
        for slot in slots {
            if let Some(user) = users.get_mut(*slot) {
                user.outcome = Outcome::Ambiguous;
                // What the match would have done no longer happens.
                user.cautions.retain(|caution| !caution.follows_a_match());
                for caution in &mut user.cautions {
                    if let Caution::Disabled { cloud_enabled, .. } = caution {
                        *cloud_enabled = None;
                    }
                }
                let position = user.user;
                let details = user.details_mut();
                details.contested_with = positions
                    .iter()
                    .copied()
                    .filter(|p| *p != position)
                    .collect();
                details.contested_with.sort_unstable();
            }
        }
    }
}

/// The cloud users no on-premises user matches, is refused by, or weighs as a candidate.
fn unreached_cloud_users(tenant: &TenantSnapshot, users: &[UserPlan]) -> Vec<usize> {
    let mut reached = vec![false; tenant.users.len()];
    let mut mark = |cloud: usize| {
        if let Some(slot) = reached.get_mut(cloud) {
            *slot = true;
        }
    };
    for user in users {
        if let Some(cloud) = user.cloud_user {
            mark(cloud);
        }
        if let Some(hard) = user.hard_match {
            mark(hard.cloud());
        }
        if let Some(SoftMatch::Ambiguous(candidates)) = &user.soft_match {
            candidates
                .iter()
                .for_each(|candidate| mark(candidate.cloud));
        }
    }
    let mut unreached: Vec<usize> = reached
        .iter()
        .enumerate()
        .filter(|(_, reached)| !**reached)
        .map(|(position, _)| position)
        .collect();
    unreached.sort_unstable_by(|a, b| {
        let key = |position: &usize| {
            tenant.users.get(*position).map(|user| {
                (
                    user.user_principal_name.as_deref().unwrap_or(""),
                    user.id.as_str(),
                )
            })
        };
        key(a).cmp(&key(b)).then(a.cmp(b))
    });
    unreached
}

struct Evaluator<'e, 'a> {
    on_prem: &'a [OnPremUser],
    tenant: &'a TenantSnapshot,
    index: &'e CloudIndex<'a>,
    features: &'e SyncFeatures,
    settings: &'e EngineSettings,
    anchors: &'e [Result<SourceAnchor, AnchorProblem>],
    anchor_index: &'e AnchorIndex<'e>,
}

impl Evaluator<'_, '_> {
    fn evaluate(&self, position: usize) -> UserPlan {
        let mut plan = UserPlan::new(position);
        let Some(user) = self.on_prem.get(position) else {
            return plan;
        };
        let upn = predict_upn(user, self.tenant);
        plan.predicted_upn = predicted(user, upn.value.as_deref());
        self.decide(&mut plan, user, &upn);
        self.add_cautions(&mut plan, user, &upn);
        plan
    }

    /// The outcome and the facts that decided it.
    fn decide(&self, plan: &mut UserPlan, user: &OnPremUser, upn: &UpnPrediction<'_>) {
        let position = plan.user;
        let anchor = match self.anchors.get(position) {
            Some(Ok(anchor)) => anchor,
            Some(Err(problem)) => {
                plan.outcome = Outcome::InvalidAnchor;
                plan.details_mut().anchor_problem = Some(problem.clone());
                return;
            }
            None => return,
        };
        match check_source_anchor(anchor) {
            Ok(notes) => plan.cautions.extend(notes.into_iter().map(Caution::Anchor)),
            Err(problem) => {
                plan.outcome = Outcome::InvalidAnchor;
                plan.details_mut().anchor_problem = Some(problem);
                return;
            }
        }
        let others = self
            .anchor_index
            .case_only(position, &anchor.value, self.anchors);
        if !others.is_empty() {
            plan.cautions.push(Caution::AnchorCaseOnly { others });
        }
        plan.hard_match = hard_match(self.index, self.features, &anchor.value);
        let duplicates = self.anchor_index.duplicates(position, &anchor.value);
        if !duplicates.is_empty() {
            plan.outcome = Outcome::DuplicateAnchor;
            plan.details_mut().duplicates = duplicates;
            return;
        }
        if let Some(hard) = plan.hard_match {
            plan.cloud_user = Some(hard.cloud());
            plan.outcome = match hard {
                HardMatch::Blocked { .. } => Outcome::HardMatchBlocked,
                HardMatch::Join { .. } | HardMatch::Takeover { .. } => Outcome::HardMatch,
            };
            return;
        }
        if let Some(cloud) = self.index.by_immutable_id_ignoring_case(&anchor.value) {
            plan.cautions.push(Caution::ImmutableIdCaseOnly { cloud });
        }
        let keys = SoftMatchKeys::of(self.index, user, upn.exported.as_deref());
        let soft = soft_match(self.index, self.features, keys, self.settings.smtp_match);
        match &soft {
            SoftMatch::Matched(candidate) => {
                plan.cloud_user = Some(candidate.cloud);
                plan.outcome = if candidate.by.is_smtp() {
                    Outcome::SoftMatchSmtp
                } else {
                    Outcome::SoftMatchUpn
                };
            }
            SoftMatch::Ambiguous(_) => plan.outcome = Outcome::Ambiguous,
            SoftMatch::AdminRoleConflict { candidate, .. } => {
                plan.cloud_user = Some(candidate.cloud);
                plan.outcome = Outcome::AdminRoleConflict;
            }
            SoftMatch::InvalidSoftMatch {
                candidate,
                immutable_id,
            } => {
                plan.cloud_user = Some(candidate.cloud);
                plan.outcome = Outcome::InvalidSoftMatch;
                plan.details_mut().immutable_id_holder = self.anchor_index.holder(immutable_id);
            }
            SoftMatch::Blocked { .. } | SoftMatch::NoCandidate { .. } => {
                let conflicts =
                    create_conflicts_with(self.index, user, upn.value.as_deref(), &keys);
                match conflicts.iter().map(|conflict| conflict.attribute).min() {
                    Some(attribute) => {
                        plan.outcome = Outcome::CreateWithConflict;
                        plan.conflict_attribute = Some(attribute);
                    }
                    None => plan.outcome = Outcome::Create,
                }
                let upn_taken = conflicts
                    .iter()
                    .any(|conflict| conflict.attribute == ConflictAttribute::UserPrincipalName);
                if upn_taken
                    && let (Some(value), Some(initial)) = (&upn.value, self.tenant.initial_domain())
                {
                    plan.predicted_upn = PredictedUpn::Other(quarantined_upn(value, &initial.id));
                }
                if !conflicts.is_empty() {
                    plan.details_mut().conflicts = conflicts;
                }
            }
        }
        plan.soft_match = Some(soft);
    }

    /// The cautions that depend on the final outcome.
    fn add_cautions(&self, plan: &mut UserPlan, user: &OnPremUser, upn: &UpnPrediction<'_>) {
        let matched = plan.outcome.is_match().then_some(plan.cloud_user).flatten();
        if user.is_disabled() {
            plan.cautions.insert(
                0,
                Caution::Disabled {
                    user_account_control: user.user_account_control.unwrap_or_default(),
                    cloud_enabled: matched.filter(|cloud| {
                        self.index
                            .user(*cloud)
                            .is_some_and(|cloud| cloud.account_enabled == Some(true))
                    }),
                },
            );
        }
        match upn.source {
            UpnSource::SamAccountName => plan.cautions.push(Caution::UpnFromSamAccountName),
            UpnSource::Missing => plan.cautions.push(Caution::NoUpn),
            UpnSource::UserPrincipalName => {}
        }
        if upn.rewrite.is_some() && upn.value.is_none() && self.tenant.initial_domain().is_none() {
            plan.cautions.push(Caution::NoInitialDomain);
        }
        if let Some(hard) = plan.hard_match
            && plan.outcome != Outcome::DuplicateAnchor
        {
            let roles = self.index.roles_of(hard.cloud());
            if !roles.is_empty() {
                plan.cautions.push(Caution::TargetHoldsRoles {
                    cloud: hard.cloud(),
                    roles: roles.into_iter().map(str::to_owned).collect(),
                });
            }
            if let HardMatch::Join { cloud } = hard
                && self.index.user(cloud).is_some_and(|cloud| {
                    !cloud
                        .on_premises_distinguished_name
                        .as_deref()
                        .is_some_and(|dn| dn.eq_ignore_ascii_case(&user.dn))
                })
            {
                plan.cautions.push(Caution::SyncedElsewhere { cloud });
            }
        }
        // Borrowing the one field keeps `cautions` free to grow.
        let predicted_upn = match &plan.predicted_upn {
            PredictedUpn::Unknown => None,
            PredictedUpn::OnPremises => user.user_principal_name.as_deref(),
            PredictedUpn::Other(upn) => Some(upn.as_str()),
        };
        if let Some(cloud) = matched
            && let Some(cloud_user) = self.index.user(cloud)
        {
            if let Some(upn) = predicted_upn {
                let current = cloud_user.user_principal_name.as_deref().unwrap_or("");
                if !eq_folded(current, upn) {
                    plan.cautions.push(Caution::SignInNameChanges { cloud });
                    if let Some(holder) = self
                        .index
                        .by_user_principal_name(upn)
                        .filter(|h| *h != cloud)
                    {
                        plan.cautions.push(Caution::UpnTaken { cloud: holder });
                    }
                }
            }
            let lost = cloud_only_proxy_addresses(user, cloud_user);
            if !lost.is_empty() {
                plan.cautions.push(Caution::ProxyAddressesLost {
                    cloud,
                    addresses: lost.into_iter().map(str::to_owned).collect(),
                });
            }
        }
        // The ImmutableID a federated user signs in with changes when one is written for the first time.
        let immutable_id_written = match plan.outcome {
            Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn => plan
                .cloud_user
                .and_then(|cloud| self.index.user(cloud))
                .is_some_and(|cloud| non_empty(&cloud.on_premises_immutable_id).is_none()),
            Outcome::Create | Outcome::CreateWithConflict => {
                plan.conflict_attribute != Some(ConflictAttribute::OnPremiseSecurityIdentifier)
            }
            _ => false,
        };
        if immutable_id_written
            && let Some(domain) = predicted_upn
                .and_then(|upn| self.tenant.domain_of(upn))
                .filter(|domain| domain.is_federated())
        {
            plan.cautions.push(Caution::FederatedImmutableId {
                domain: domain.id.clone(),
            });
        }
    }
}

/// The candidates a soft match weighed, for reasons: the matched or refused one, or all of an ambiguous
/// or blocked decision.
pub fn candidates_of(soft: &SoftMatch) -> Vec<Candidate> {
    match soft {
        SoftMatch::Matched(candidate)
        | SoftMatch::AdminRoleConflict { candidate, .. }
        | SoftMatch::InvalidSoftMatch { candidate, .. } => vec![*candidate],
        SoftMatch::Ambiguous(candidates) | SoftMatch::Blocked { candidates } => candidates.clone(),
        SoftMatch::NoCandidate { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_gathers_in_place() {
        let orders: [&[usize]; 4] = [&[2, 0, 1, 3], &[0, 1, 2, 3], &[3, 2, 1, 0], &[1, 3, 0, 2]];
        for order in orders {
            let mut items = vec!['a', 'b', 'c', 'd'];
            let expected: Vec<char> = order.iter().map(|i| items[*i]).collect();
            permute(&mut items, order);
            assert_eq!(items, expected, "{order:?}");
        }
    }

    #[test]
    fn dn_order_is_byte_order_with_ties_in_inventory_order() {
        let dns = [
            "CN=山田 太郎 12,OU=Users,OU=Tokyo,DC=corp",
            "CN=山田 太郎 12,OU=Users,OU=Osaka,DC=corp",
            "CN=山田 太郎 1,OU=Users,OU=Tokyo,DC=corp",
            "CN=A",
            "CN=A,OU=B",
            "CN=A",
            "",
            "CN=Very Long Common Name That Goes Past Thirty-Two Bytes,OU=Z",
            "CN=Very Long Common Name That Goes Past Thirty-Two Bytes,OU=A",
        ];
        let users: Vec<OnPremUser> = dns
            .iter()
            .map(|dn| OnPremUser {
                dn: (*dn).to_owned(),
                ..OnPremUser::default()
            })
            .collect();
        let mut expected: Vec<usize> = (0..dns.len()).collect();
        expected.sort_by(|a, b| dns[*a].cmp(dns[*b]).then(a.cmp(b)));
        assert_eq!(dn_order(&users), expected);
    }
}
