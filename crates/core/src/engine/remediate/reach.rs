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
//! The reach is the part of that key-sharing graph connected to the changed objects, with each changed
//! object's keys taken before and after its change, and with the edges the engine reads: from an
//! on-premises user, the cloud users the tenant's index finds for each key (the first holder, the one
//! the engine takes) and the on-premises users with the same sourceAnchor; from a cloud user, every
//! on-premises user holding one of its keys ([`OnPremKeys`], built once). Two cloud users sharing a
//! value are not followed from one to the other, since the engine only ever reads the first, except
//! where a change makes the next one first: a cloud user that gives up a value (a cleared ImmutableID)
//! hands it on, so the other holders are found with one pass over the tenant
//! ([`Changes::lost_holders`]). Whatever is reached is then decided by the engine exactly as in a plan
//! of everyone: each reached user's keys lead to every user that decides it, and each unreached user's
//! keys lead to nothing that changed. Keys are compared by hash: two values with the same hash only
//! reach more than needed, never less.
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
        use std::fmt::Write as _;
        // Formatted into a reused buffer: this runs for every user of the inventory.
        thread_local! {
            static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        TEXT.with_borrow_mut(|text| {
            text.clear();
            if write!(text, "{sid}").is_ok() {
                visit(KeyKind::SecurityIdentifier, text);
            }
        });
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

/// The on-premises users by the hash of each of their keys, as they are before any change: one sorted
/// list of 64-bit entries, each a key's hash with its low bits replaced by the user's position, so that
/// building it costs a parallel sort of 8 bytes per key. The hash bits left (44 at a million users)
/// still tell keys apart; when two keys share them, a lookup only reaches more users than needed. A
/// table of where each run of top bits starts makes a lookup one jump and a short scan rather than a
/// binary search through megabytes.
#[derive(Debug)]
pub struct OnPremKeys {
    entries: Vec<u64>,
    /// The low bits that hold the position.
    position_bits: u64,
    /// For each value of an entry's top `64 - shift` bits, the first entry with it (and one more
    /// element: the end).
    starts: Vec<usize>,
    shift: u32,
}

impl OnPremKeys {
    /// Indexes the inventory; `anchors` holds each user's sourceAnchor by position.
    pub fn new(on_prem: &[OnPremUser], anchors: &[Option<&str>], tenant: &TenantSnapshot) -> Self {
        let position_bits = (on_prem.len() as u64).next_power_of_two().max(2) - 1;
        let mut entries: Vec<u64> = on_prem
            .par_iter()
            .enumerate()
            .flat_map_iter(|(position, user)| {
                let mut hashes: Vec<u64> = Vec::with_capacity(8);
                let anchor = anchors.get(position).copied().flatten();
                on_prem_keys(user, anchor, tenant, &mut |kind, value| {
                    hashes.push(kind.hash(value) & !position_bits);
                });
                hashes.sort_unstable();
                hashes.dedup();
                hashes.into_iter().map(move |hash| hash | position as u64)
            })
            .collect();
        entries.par_sort_unstable();
        // About four entries per run of top bits, at most 2^20 runs (8 MiB of starts).
        let top_bits = entries.len().max(2).ilog2().saturating_sub(2).clamp(1, 20);
        let shift = 64 - top_bits;
        let mut starts = Vec::with_capacity((1usize << top_bits) + 1);
        let mut entry = 0;
        for top in 0..(1u64 << top_bits) {
            while entries.get(entry).is_some_and(|value| value >> shift < top) {
                entry += 1;
            }
            starts.push(entry);
        }
        starts.push(entries.len());
        Self {
            entries,
            position_bits,
            starts,
            shift,
        }
    }

    /// The users holding a key with this hash, in inventory order.
    fn holders(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let key = hash & !self.position_bits;
        let top = usize::try_from(key >> self.shift).unwrap_or_default();
        let (from, to) = (
            self.starts.get(top).copied().unwrap_or_default(),
            self.starts.get(top + 1).copied().unwrap_or_default(),
        );
        let run = self.entries.get(from..to).unwrap_or_default();
        let start = run.partition_point(|entry| *entry < key);
        run.get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |entry| **entry & !self.position_bits == key)
            .filter_map(|entry| usize::try_from(entry & self.position_bits).ok())
    }

    /// How many keys are indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The objects a set of steps changes, each as it is after them.
///
/// A step names its object as [`super::apply_ad_steps`] and [`super::apply_cloud_steps`] find it: an
/// AD step the last user with its DN (ignoring case), a cloud step the last user with its id. So the
/// changed users here are exactly those a copy of everyone with the steps applied would change.
#[derive(Debug, Default)]
pub struct Changes {
    /// Changed on-premises users by position, sorted, with the steps applied.
    pub on_prem: Vec<(usize, OnPremUser)>,
    /// Changed cloud users by position, sorted, with the steps applied (the properties the engine
    /// reads).
    pub cloud: Vec<(usize, CloudUser)>,
    /// Cloud users holding a value that a changed cloud user gives up: they may become the holder the
    /// engine finds.
    pub lost_holders: Vec<usize>,
}

impl Changes {
    /// The changed on-premises user at this position, as it is after the steps.
    pub fn on_prem_after(&self, position: usize) -> Option<&OnPremUser> {
        self.on_prem
            .binary_search_by_key(&position, |(changed, _)| *changed)
            .ok()
            .and_then(|slot| self.on_prem.get(slot))
            .map(|(_, user)| user)
    }

    /// The changed cloud user at this position, as it is after the steps.
    pub fn cloud_after(&self, position: usize) -> Option<&CloudUser> {
        self.cloud
            .binary_search_by_key(&position, |(changed, _)| *changed)
            .ok()
            .and_then(|slot| self.cloud.get(slot))
            .map(|(_, user)| user)
    }

    /// Finds what `steps` change: one pass over the side each kind of step names.
    pub fn of(on_prem: &[OnPremUser], tenant: &TenantSnapshot, steps: &[&RemediationStep]) -> Self {
        let mut changes = Self::default();
        let (ad, cloud): (Vec<&RemediationStep>, Vec<&RemediationStep>) = steps
            .iter()
            .copied()
            .partition(|step| step.system == StepSystem::Ad);
        if !ad.is_empty() {
            // Candidates by a folded hash of the DN (no lowercase copy of a million DNs), then by the
            // comparison `apply` makes; the last user with a DN is the one its steps change.
            let mut by_dn: FxHashMap<u64, Vec<&RemediationStep>> = FxHashMap::default();
            for step in &ad {
                by_dn
                    .entry(folded_hash(&step.target))
                    .or_default()
                    .push(step);
            }
            let named: Vec<(usize, Vec<&RemediationStep>)> = on_prem
                .par_iter()
                .enumerate()
                .filter_map(|(position, user)| {
                    let steps: Vec<&RemediationStep> = by_dn
                        .get(&folded_hash(&user.dn))?
                        .iter()
                        .copied()
                        .filter(|step| step.target.eq_ignore_ascii_case(&user.dn))
                        .collect();
                    (!steps.is_empty()).then_some((position, steps))
                })
                .collect();
            let mut last: FxHashMap<String, usize> = FxHashMap::default();
            for (slot, (position, _)) in named.iter().enumerate() {
                if let Some(user) = on_prem.get(*position) {
                    last.insert(user.dn.to_ascii_lowercase(), slot);
                }
            }
            let kept: FxHashSet<usize> = last.into_values().collect();
            let named: Vec<(usize, Vec<&RemediationStep>)> = named
                .into_iter()
                .enumerate()
                .filter(|(slot, _)| kept.contains(slot))
                .map(|(_, named)| named)
                .collect();
            // Indexed, so the users are written straight into one list.
            changes.on_prem = named
                .into_par_iter()
                .map(|(position, steps)| {
                    let mut changed = on_prem.get(position).cloned().unwrap_or_default();
                    for step in steps {
                        set_ad_attribute(&mut changed, &step.attribute, &step.after);
                    }
                    (position, changed)
                })
                .collect();
        }
        if !cloud.is_empty() {
            let mut by_id: FxHashMap<&str, Vec<&RemediationStep>> = FxHashMap::default();
            for step in &cloud {
                by_id.entry(step.target.as_str()).or_default().push(step);
            }
            let named: Vec<usize> = tenant
                .users
                .par_iter()
                .enumerate()
                .filter(|(_, user)| by_id.contains_key(user.id.as_str()))
                .map(|(position, _)| position)
                .collect();
            let mut last: FxHashMap<&str, usize> = FxHashMap::default();
            for position in named {
                if let Some(user) = tenant.users.get(position) {
                    last.insert(user.id.as_str(), position);
                }
            }
            let mut kept: Vec<(usize, &str)> = last
                .into_iter()
                .map(|(id, position)| (position, id))
                .collect();
            kept.sort_unstable();
            changes.cloud = kept
                .into_par_iter()
                .map(|(position, id)| {
                    let mut changed = tenant
                        .users
                        .get(position)
                        .map(matching_user)
                        .unwrap_or_default();
                    for step in by_id.get(id).into_iter().flatten() {
                        apply_cloud_step(&mut changed, step);
                    }
                    (position, changed)
                })
                .collect();
            changes.lost_holders = lost_holders(tenant, &changes.cloud);
        }
        changes
    }
}

/// The cloud users holding a value (an ImmutableID, a userPrincipalName) that a changed cloud user had
/// and no longer has.
fn lost_holders(tenant: &TenantSnapshot, changed: &[(usize, CloudUser)]) -> Vec<usize> {
    let mut lost_anchors: FxHashSet<u64> = FxHashSet::default();
    let mut lost_addresses: FxHashSet<u64> = FxHashSet::default();
    for (position, after) in changed {
        let Some(before) = tenant.users.get(*position) else {
            continue;
        };
        if before.on_premises_immutable_id != after.on_premises_immutable_id
            && let Some(immutable_id) = non_empty(&before.on_premises_immutable_id)
        {
            lost_anchors.insert(KeyKind::Anchor.hash(immutable_id));
        }
        if before.user_principal_name != after.user_principal_name
            && let Some(upn) = non_empty(&before.user_principal_name)
        {
            lost_addresses.insert(KeyKind::Address.hash(upn));
        }
    }
    if lost_anchors.is_empty() && lost_addresses.is_empty() {
        return Vec::new();
    }
    // Only the kinds of value given up are compared: an ImmutableID is one hash per user.
    tenant
        .users
        .par_iter()
        .enumerate()
        .filter(|(_, user)| {
            let mut holds = false;
            if !lost_anchors.is_empty()
                && let Some(immutable_id) = non_empty(&user.on_premises_immutable_id)
            {
                holds = lost_anchors.contains(&KeyKind::Anchor.hash(immutable_id));
            }
            if !holds && !lost_addresses.is_empty() {
                cloud_keys(user, &mut |kind, value| {
                    holds = holds
                        || (kind == KeyKind::Address && lost_addresses.contains(&kind.hash(value)));
                });
            }
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

/// What one reached user's keys lead to.
enum Found {
    /// A cloud user the tenant's index finds for a key.
    Cloud(usize),
    /// A key to look up among the on-premises users.
    Key(u64),
}

/// Every user whose outcome can differ once `changes` are made, with everything that decides them.
/// `seeds` are on-premises users to hold whatever reaches them (the users whose change is checked).
///
/// Breadth first, one level at a time: the users of a level are followed on every core, and what they
/// find is marked (and becomes the next level) on one.
pub fn reach(inputs: &ReachInputs<'_, '_>, changes: &Changes, seeds: &[usize]) -> Reach {
    let tenant = inputs.index.tenant();
    let mut on_prem_seen = vec![false; inputs.on_prem.len()];
    let mut cloud_seen = vec![false; tenant.users.len()];
    let mut looked_up: FxHashSet<u64> = FxHashSet::default();
    let mut reached = Reach::default();
    let mark = |position: usize, seen: &mut [bool], level: &mut Vec<usize>| {
        if let Some(slot) = seen.get_mut(position)
            && !*slot
        {
            *slot = true;
            level.push(position);
        }
    };
    let mut on_prem_level: Vec<usize> = Vec::new();
    let mut cloud_level: Vec<usize> = Vec::new();
    for position in seeds
        .iter()
        .chain(changes.on_prem.iter().map(|(position, _)| position))
    {
        mark(*position, &mut on_prem_seen, &mut on_prem_level);
    }
    for position in changes
        .cloud
        .iter()
        .map(|(position, _)| position)
        .chain(&changes.lost_holders)
    {
        mark(*position, &mut cloud_seen, &mut cloud_level);
    }
    while !on_prem_level.is_empty() || !cloud_level.is_empty() {
        let found: Vec<Found> = on_prem_level
            .par_iter()
            .flat_map_iter(|position| on_prem_leads(inputs, changes, *position))
            .chain(
                cloud_level
                    .par_iter()
                    .flat_map_iter(|position| cloud_leads(tenant, changes, *position)),
            )
            .collect();
        reached.on_prem.append(&mut on_prem_level);
        reached.cloud.append(&mut cloud_level);
        let mut keys: Vec<u64> = Vec::new();
        for found in found {
            match found {
                Found::Cloud(cloud) => mark(cloud, &mut cloud_seen, &mut cloud_level),
                Found::Key(hash) => {
                    if looked_up.insert(hash) {
                        keys.push(hash);
                    }
                }
            }
        }
        let holders: Vec<usize> = keys
            .par_iter()
            .flat_map_iter(|hash| inputs.keys.holders(*hash))
            .collect();
        for position in holders {
            mark(position, &mut on_prem_seen, &mut on_prem_level);
        }
    }
    reached.on_prem.sort_unstable();
    reached.cloud.sort_unstable();
    reached
}

/// Where an on-premises user's keys, before and after its change, lead: the cloud users the engine
/// would find for each, and its sourceAnchors (the other on-premises users with one are
/// `duplicate-anchor` with it).
fn on_prem_leads(inputs: &ReachInputs<'_, '_>, changes: &Changes, position: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let Some(before) = inputs.on_prem.get(position) else {
        return found;
    };
    let tenant = inputs.index.tenant();
    let mut follow = |kind: KeyKind, value: &str| match kind {
        KeyKind::Anchor => {
            found.extend(inputs.index.by_immutable_id(value).map(Found::Cloud));
            found.push(Found::Key(kind.hash(value)));
        }
        KeyKind::Address => {
            let holders = inputs.index.address(value);
            found.extend(
                [
                    holders.user_principal_name,
                    holders.primary_smtp,
                    holders.proxy_address,
                ]
                .into_iter()
                .flatten()
                .map(Found::Cloud),
            );
        }
        KeyKind::SecurityIdentifier => {
            found.extend(inputs.index.by_security_identifier(value).map(Found::Cloud));
        }
    };
    let before_anchor = inputs.anchors.get(position).copied().flatten();
    on_prem_keys(before, before_anchor, tenant, &mut follow);
    if let Some(after) = changes.on_prem_after(position) {
        let settings = inputs.settings;
        let anchor = source_anchor(after, &settings.anchor_attribute, settings.anchor_encoding)
            .ok()
            .map(|anchor| anchor.value);
        on_prem_keys(after, anchor.as_deref(), tenant, &mut follow);
    }
    found
}

/// Where a cloud user's keys, before and after its change, lead: every on-premises user holding one.
fn cloud_leads(tenant: &TenantSnapshot, changes: &Changes, position: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let mut follow = |kind: KeyKind, value: &str| found.push(Found::Key(kind.hash(value)));
    if let Some(before) = tenant.users.get(position) {
        cloud_keys(before, &mut follow);
    }
    if let Some(after) = changes.cloud_after(position) {
        cloud_keys(after, &mut follow);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Generator, SyntheticConfig};

    #[test]
    fn every_key_finds_its_holders_and_only_them_in_inventory_order() {
        let synthetic = Generator::new(SyntheticConfig::new(3_000, 5)).build();
        let users = synthetic.users().unwrap();
        let settings = EngineSettings::default();
        let anchors: Vec<Option<String>> = users
            .iter()
            .map(|user| {
                source_anchor(user, &settings.anchor_attribute, settings.anchor_encoding)
                    .ok()
                    .map(|anchor| anchor.value)
            })
            .collect();
        let anchors: Vec<Option<&str>> = anchors.iter().map(Option::as_deref).collect();
        let keys = OnPremKeys::new(&users, &anchors, &synthetic.tenant);
        let mut expected: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        for (position, user) in users.iter().enumerate() {
            let mut hashes = Vec::new();
            on_prem_keys(
                user,
                anchors[position],
                &synthetic.tenant,
                &mut |kind, value| {
                    hashes.push(kind.hash(value));
                },
            );
            hashes.sort_unstable();
            hashes.dedup();
            for hash in hashes {
                expected.entry(hash).or_default().push(position);
            }
        }
        assert!(keys.len() > users.len());
        for (hash, holders) in &expected {
            assert_eq!(&keys.holders(*hash).collect::<Vec<_>>(), holders);
        }
        assert_eq!(
            keys.holders(KeyKind::Address.hash("nobody@nowhere.invalid"))
                .count(),
            0
        );
    }
}
