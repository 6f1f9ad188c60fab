//! The users a strategy's changes can reach: every on-premises and cloud user whose outcome after the
//! changes can differ from the first plan's, and everything the engine reads to decide those users.
//!
//! The engine compares users across the inventory and the tenant through a few keys only
//! ([`super::super::rules`], [`super::super::plan`]):
//!
//! - the sourceAnchor with the onPremisesImmutableId (hard match, exactly) and with the other
//!   on-premises sourceAnchors (`duplicate-anchor`, exactly);
//! - addresses: an on-premises primary SMTP address, userPrincipalName as exported and as Entra sets it,
//!   SMTP proxy addresses and `mail`, with a cloud user's userPrincipalName and SMTP proxy addresses
//!   (soft match and create conflicts, ignoring case; Entra compares UPNs and addresses with each
//!   other);
//! - the objectSid with the onPremisesSecurityIdentifier (create conflicts, ignoring case);
//! - and, through a cloud user, every on-premises user that soft-matches it (`ambiguous`).
//!
//! The reach is the connected part of that key-sharing graph around the changed objects, with each
//! changed object's keys taken before and after its change. From an on-premises user it follows the
//! cloud users the tenant's index finds for each key (the first holder, the one the engine would take)
//! and the on-premises users with the same sourceAnchor; from a cloud user, every on-premises user
//! holding one of its keys ([`OnPremKeys`], built once). A cloud user that loses a value (a cleared
//! ImmutableID) hands it to the next cloud user holding it, so those are found with one pass over the
//! tenant ([`Changes::lost_holders`]). Whatever is reached is then decided by the engine exactly as in
//! a plan of everyone: each reached user's keys lead to every user that decides it, and each unreached
//! user's keys lead to nothing that changed. Keys are compared by hash: two values with the same hash
//! only reach more than needed, never less.
//!
//! Global inputs (domains, role assignments, the tenant's matching switches, the engine settings) are
//! carried whole by the caller.

use std::hash::Hasher as _;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use crate::directory::{OnPremUser, smtp_address};
use crate::remediation::{RemediationStep, StepSystem};
use crate::tenant::{CloudUser, TenantSnapshot};

use super::super::index::{CloudIndex, folded_hash, non_empty};
use super::super::plan::EngineSettings;
use super::super::source_anchor::source_anchor;
use super::super::upn::predict_upn;
use super::simulate::{apply_cloud_step, matching_user, set_ad_attribute};

/// What the engine compares a value with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// A sourceAnchor or an onPremisesImmutableId, compared exactly.
    Anchor,
    /// A userPrincipalName or an SMTP address, compared ignoring case.
    Address,
    /// An objectSid or an onPremisesSecurityIdentifier, compared ignoring case.
    SecurityIdentifier,
}

impl KeyKind {
    /// The hash of a value of this kind: equal values (as the engine compares them) hash alike, and
    /// the kind is mixed in so that an address never meets an anchor.
    fn hash(self, value: &str) -> u64 {
        let (hash, salt) = match self {
            Self::Anchor => {
                let mut hasher = FxHasher::default();
                hasher.write(value.as_bytes());
                (hasher.finish(), 1u64)
            }
            Self::Address => (folded_hash(value), 2),
            Self::SecurityIdentifier => (folded_hash(value), 3),
        };
        hash ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Calls `visit` with every key the engine looks an on-premises user up by. `anchor` is its sourceAnchor
/// (when one can be read).
fn on_prem_keys(
    user: &OnPremUser,
    anchor: Option<&str>,
    tenant: &TenantSnapshot,
    visit: &mut dyn FnMut(KeyKind, &str),
) {
    if let Some(anchor) = anchor {
        visit(KeyKind::Anchor, anchor);
    }
    let mut address = |value: &str| {
        // The engine skips empty values; values of spaces it compares (trimmed), so they stay keys.
        if !value.is_empty() {
            visit(KeyKind::Address, value);
        }
    };
    if let Some(smtp) = user.primary_smtp() {
        address(smtp);
    }
    for proxy in &user.proxy_addresses {
        if let Some(smtp) = smtp_address(proxy) {
            address(smtp);
        }
    }
    if let Some(mail) = user.mail.as_deref() {
        address(mail);
    }
    let upn = predict_upn(user, tenant);
    if let Some(exported) = upn.exported.as_deref() {
        address(exported);
    }
    if let Some(value) = upn.value.as_deref() {
        address(value);
    }
    if let Some(sid) = &user.object_sid {
        visit(KeyKind::SecurityIdentifier, &sid.to_string());
    }
}

/// Calls `visit` with every key of a cloud user the tenant's index holds.
fn cloud_keys(user: &CloudUser, visit: &mut dyn FnMut(KeyKind, &str)) {
    if let Some(immutable_id) = non_empty(&user.on_premises_immutable_id) {
        visit(KeyKind::Anchor, immutable_id);
    }
    if let Some(upn) = non_empty(&user.user_principal_name) {
        visit(KeyKind::Address, upn);
    }
    for proxy in &user.proxy_addresses {
        if let Some(smtp) = smtp_address(proxy).filter(|smtp| !smtp.is_empty()) {
            visit(KeyKind::Address, smtp);
        }
    }
    if let Some(sid) = non_empty(&user.on_premises_security_identifier) {
        visit(KeyKind::SecurityIdentifier, sid);
    }
}

/// The on-premises users by the hash of each of their keys, as they are before any change: a list of
/// (hash, position) sorted on every core, so that building it costs a parallel sort and a lookup is a
/// binary search.
#[derive(Debug)]
pub struct OnPremKeys {
    by_hash: Vec<(u64, usize)>,
}

impl OnPremKeys {
    /// Indexes the inventory; `anchors` holds each user's sourceAnchor by position.
    pub fn new(on_prem: &[OnPremUser], anchors: &[Option<&str>], tenant: &TenantSnapshot) -> Self {
        let mut by_hash: Vec<(u64, usize)> = on_prem
            .par_iter()
            .enumerate()
            .flat_map_iter(|(position, user)| {
                let mut hashes: Vec<u64> = Vec::with_capacity(8);
                let anchor = anchors.get(position).copied().flatten();
                on_prem_keys(user, anchor, tenant, &mut |kind, value| {
                    hashes.push(kind.hash(value));
                });
                hashes.sort_unstable();
                hashes.dedup();
                hashes.into_iter().map(move |hash| (hash, position))
            })
            .collect();
        by_hash.par_sort_unstable();
        Self { by_hash }
    }

    /// The users holding a key with this hash, in inventory order.
    fn holders(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let start = self.by_hash.partition_point(|(h, _)| *h < hash);
        self.by_hash
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |(h, _)| *h == hash)
            .map(|(_, position)| *position)
    }

    /// How many keys are indexed.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether no key is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// The objects a set of steps changes, each as it is after them.
#[derive(Debug, Default)]
pub struct Changes {
    /// On-premises users an AD step names (by DN, ignoring case), with the steps applied.
    pub on_prem: FxHashMap<usize, OnPremUser>,
    /// Cloud users a cloud step names (by id), with the steps applied (the properties the engine reads).
    pub cloud: FxHashMap<usize, CloudUser>,
    /// Cloud users holding a value that a changed cloud user gives up: they may become the holder the
    /// engine finds.
    pub lost_holders: Vec<usize>,
}

impl Changes {
    /// Finds what `steps` change: one pass over the side each kind of step names.
    pub fn of(on_prem: &[OnPremUser], tenant: &TenantSnapshot, steps: &[&RemediationStep]) -> Self {
        let mut changes = Self::default();
        let (ad, cloud): (Vec<&RemediationStep>, Vec<&RemediationStep>) = steps
            .iter()
            .copied()
            .partition(|step| step.system == StepSystem::Ad);
        if !ad.is_empty() {
            // Steps name users by DN ignoring case; a folded hash finds every such user (and, on a
            // collision, one more, which only reaches further).
            let mut by_dn: FxHashMap<u64, Vec<&RemediationStep>> = FxHashMap::default();
            for step in &ad {
                by_dn
                    .entry(folded_hash(&step.target))
                    .or_default()
                    .push(step);
            }
            changes.on_prem = on_prem
                .par_iter()
                .enumerate()
                .filter_map(|(position, user)| {
                    let steps = by_dn.get(&folded_hash(&user.dn))?;
                    let mut changed = user.clone();
                    for step in steps {
                        set_ad_attribute(&mut changed, &step.attribute, &step.after);
                    }
                    Some((position, changed))
                })
                .collect();
        }
        if !cloud.is_empty() {
            let mut by_id: FxHashMap<&str, Vec<&RemediationStep>> = FxHashMap::default();
            for step in &cloud {
                by_id.entry(step.target.as_str()).or_default().push(step);
            }
            changes.cloud = tenant
                .users
                .par_iter()
                .enumerate()
                .filter_map(|(position, user)| {
                    let steps = by_id.get(user.id.as_str())?;
                    let mut changed = matching_user(user);
                    for step in steps {
                        apply_cloud_step(&mut changed, step);
                    }
                    Some((position, changed))
                })
                .collect();
            changes.lost_holders = lost_holders(tenant, &changes.cloud);
        }
        changes
    }
}

/// The cloud users holding a value (an ImmutableID, a userPrincipalName) that a changed cloud user had
/// and no longer has.
fn lost_holders(tenant: &TenantSnapshot, changed: &FxHashMap<usize, CloudUser>) -> Vec<usize> {
    let mut lost: FxHashSet<u64> = FxHashSet::default();
    for (position, after) in changed {
        let Some(before) = tenant.users.get(*position) else {
            continue;
        };
        if before.on_premises_immutable_id != after.on_premises_immutable_id
            && let Some(immutable_id) = non_empty(&before.on_premises_immutable_id)
        {
            lost.insert(KeyKind::Anchor.hash(immutable_id));
        }
        if before.user_principal_name != after.user_principal_name
            && let Some(upn) = non_empty(&before.user_principal_name)
        {
            lost.insert(KeyKind::Address.hash(upn));
        }
    }
    if lost.is_empty() {
        return Vec::new();
    }
    tenant
        .users
        .par_iter()
        .enumerate()
        .filter(|(_, user)| {
            let mut holds = false;
            cloud_keys(user, &mut |kind, value| {
                holds = holds || lost.contains(&kind.hash(value));
            });
            holds
        })
        .map(|(position, _)| position)
        .collect()
}

/// The users a re-plan must hold, by position, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// On-premises users.
    pub on_prem: Vec<usize>,
    /// Cloud users.
    pub cloud: Vec<usize>,
}

/// What [`reach`] reads.
#[derive(Debug, Clone, Copy)]
pub struct ReachInputs<'r, 'a> {
    /// The inventory.
    pub on_prem: &'a [OnPremUser],
    /// The tenant, indexed.
    pub index: &'r CloudIndex<'a>,
    /// The settings the plan was made with (the anchor of a changed user is read again).
    pub settings: &'r EngineSettings,
    /// Each user's sourceAnchor before the change, by position.
    pub anchors: &'r [Option<&'a str>],
    /// The inventory's keys.
    pub keys: &'r OnPremKeys,
}

/// Every user whose outcome can differ once `changes` are made, with everything that decides them.
/// `seeds` are on-premises users to hold whatever reaches them (the users whose change is checked).
pub fn reach(inputs: &ReachInputs<'_, '_>, changes: &Changes, seeds: &[usize]) -> Reach {
    let tenant = inputs.index.tenant();
    let mut on_prem_seen = vec![false; inputs.on_prem.len()];
    let mut cloud_seen = vec![false; tenant.users.len()];
    let mut on_prem_queue: Vec<usize> = Vec::new();
    let mut cloud_queue: Vec<usize> = Vec::new();
    let mut looked_up: FxHashSet<u64> = FxHashSet::default();
    let mut reached = Reach::default();

    let enqueue = |position: usize, seen: &mut [bool], queue: &mut Vec<usize>| {
        if let Some(slot) = seen.get_mut(position)
            && !*slot
        {
            *slot = true;
            queue.push(position);
        }
    };
    for position in seeds.iter().chain(changes.on_prem.keys()) {
        enqueue(*position, &mut on_prem_seen, &mut on_prem_queue);
    }
    for position in changes.cloud.keys().chain(&changes.lost_holders) {
        enqueue(*position, &mut cloud_seen, &mut cloud_queue);
    }

    while !on_prem_queue.is_empty() || !cloud_queue.is_empty() {
        while let Some(position) = on_prem_queue.pop() {
            reached.on_prem.push(position);
            let Some(before) = inputs.on_prem.get(position) else {
                continue;
            };
            let before_anchor = inputs.anchors.get(position).copied().flatten();
            let after = changes.on_prem.get(&position);
            let after_anchor = after.and_then(|user| {
                source_anchor(
                    user,
                    &inputs.settings.anchor_attribute,
                    inputs.settings.anchor_encoding,
                )
                .ok()
                .map(|anchor| anchor.value)
            });
            let mut follow = |kind: KeyKind, value: &str| match kind {
                KeyKind::Anchor => {
                    if let Some(cloud) = inputs.index.by_immutable_id(value) {
                        enqueue(cloud, &mut cloud_seen, &mut cloud_queue);
                    }
                    // Other on-premises users with this sourceAnchor: `duplicate-anchor`.
                    let hash = kind.hash(value);
                    if looked_up.insert(hash) {
                        for other in inputs.keys.holders(hash) {
                            enqueue(other, &mut on_prem_seen, &mut on_prem_queue);
                        }
                    }
                }
                KeyKind::Address => {
                    let holders = inputs.index.address(value);
                    for cloud in [
                        holders.user_principal_name,
                        holders.primary_smtp,
                        holders.proxy_address,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        enqueue(cloud, &mut cloud_seen, &mut cloud_queue);
                    }
                }
                KeyKind::SecurityIdentifier => {
                    if let Some(cloud) = inputs.index.by_security_identifier(value) {
                        enqueue(cloud, &mut cloud_seen, &mut cloud_queue);
                    }
                }
            };
            on_prem_keys(before, before_anchor, tenant, &mut follow);
            if let Some(after) = after {
                on_prem_keys(after, after_anchor.as_deref(), tenant, &mut follow);
            }
        }
        while let Some(position) = cloud_queue.pop() {
            reached.cloud.push(position);
            let mut follow = |kind: KeyKind, value: &str| {
                let hash = kind.hash(value);
                if looked_up.insert(hash) {
                    for other in inputs.keys.holders(hash) {
                        enqueue(other, &mut on_prem_seen, &mut on_prem_queue);
                    }
                }
            };
            if let Some(before) = tenant.users.get(position) {
                cloud_keys(before, &mut follow);
            }
            if let Some(after) = changes.cloud.get(&position) {
                cloud_keys(after, &mut follow);
            }
        }
    }
    reached.on_prem.sort_unstable();
    reached.cloud.sort_unstable();
    reached
}
