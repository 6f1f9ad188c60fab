//! The simulation of steps: applies remediation steps to copies of the inputs, as `apply` would to the
//! directory and the tenant, and plans again, so the outcome after a change is the engine's own
//! prediction rather than a second set of rules.
//!
//! Only the users the changes can reach are copied and planned again ([`Replan::Reached`], found by
//! [`super::reach`]): at a million users a second plan of everyone held a copy of the changed side, a
//! second index and a second plan next to the first (2.4 GB more), while the changes of a strategy
//! reach a fraction of the users. Planning everyone again ([`Replan::Everyone`]) is kept as the
//! reference that tests and the `strategy` benchmark compare with.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::directory::{AttributeName, OnPremUser};
use crate::remediation::{Remediation, RemediationStep, StepSystem, StepValue, Strategy};
use crate::tenant::{CloudUser, TenantSnapshot};

use super::super::explain::reasons;
use super::super::plan::{self as engine, EngineSettings, Outcome, Plan, UserPlan};
use super::super::source_anchor::AnchorAttribute;
use super::super::source_anchor::CONSISTENCY_GUID;
use super::context::{IMMUTABLE_ID, USER_PRINCIPAL_NAME};
use super::reach::{Changes, OnPremKeys, Reach, ReachInputs, reach};

/// A user's remediation before the outcome after is known.
pub(super) struct Draft {
    pub(super) remediation: Remediation,
    pub(super) cloud: Option<usize>,
    /// No pairing rule found a cloud user: the reason is written once the re-plan is done.
    pub(super) unpaired: bool,
}

/// Applies steps to the inputs, as `apply` would to the directory and the tenant: what the outcome after
/// is predicted from. Steps naming an unknown DN or cloud user are skipped.
pub fn apply_steps<'s>(
    on_prem: &mut [OnPremUser],
    tenant: &mut TenantSnapshot,
    steps: impl IntoIterator<Item = &'s RemediationStep>,
) {
    let (ad, cloud): (Vec<&RemediationStep>, Vec<&RemediationStep>) = steps
        .into_iter()
        .partition(|step| step.system == StepSystem::Ad);
    apply_ad_steps(on_prem, &ad);
    apply_cloud_steps(tenant, &cloud);
}

/// Applies the AD steps (by DN, ignoring case).
pub fn apply_ad_steps(on_prem: &mut [OnPremUser], steps: &[&RemediationStep]) {
    if steps.is_empty() {
        return;
    }
    let by_dn: FxHashMap<String, usize> = on_prem
        .iter()
        .enumerate()
        .map(|(position, user)| (user.dn.to_ascii_lowercase(), position))
        .collect();
    for step in steps.iter().filter(|step| step.system == StepSystem::Ad) {
        if let Some(user) = by_dn
            .get(&step.target.to_ascii_lowercase())
            .and_then(|position| on_prem.get_mut(*position))
        {
            set_ad_attribute(user, &step.attribute, &step.after);
        }
    }
}

/// Applies the cloud steps (by user id), in order.
pub fn apply_cloud_steps(tenant: &mut TenantSnapshot, steps: &[&RemediationStep]) {
    if steps.is_empty() {
        return;
    }
    let by_id: FxHashMap<String, usize> = tenant
        .users
        .iter()
        .enumerate()
        .map(|(position, user)| (user.id.clone(), position))
        .collect();
    for step in steps.iter().filter(|step| step.system == StepSystem::Cloud) {
        if let Some(user) = by_id
            .get(&step.target)
            .and_then(|position| tenant.users.get_mut(*position))
        {
            apply_cloud_step(user, step);
        }
    }
}

/// Applies one cloud step to the user it names.
pub fn apply_cloud_step(user: &mut CloudUser, step: &RemediationStep) {
    let value = step.after.to_graph_text();
    if step.attribute.eq_ignore_ascii_case(IMMUTABLE_ID) {
        user.on_premises_immutable_id = value;
    } else if step.attribute.eq_ignore_ascii_case(USER_PRINCIPAL_NAME) {
        user.user_principal_name = value;
    }
}

/// The tenant with, of each user, only the properties the match engine reads: a second plan needs no
/// names, phones or the properties Graph returned beyond the typed ones, and copying those would cost
/// more than the plan itself.
fn matching_copy(tenant: &TenantSnapshot) -> TenantSnapshot {
    let users = tenant.users.par_iter().map(matching_user).collect();
    TenantSnapshot {
        users,
        ..global_copy(tenant)
    }
}

/// A cloud user with only the properties the match engine reads.
pub(super) fn matching_user(user: &CloudUser) -> CloudUser {
    CloudUser {
        id: user.id.clone(),
        user_principal_name: user.user_principal_name.clone(),
        mail: user.mail.clone(),
        mail_nickname: user.mail_nickname.clone(),
        proxy_addresses: user.proxy_addresses.clone(),
        account_enabled: user.account_enabled,
        on_premises_immutable_id: user.on_premises_immutable_id.clone(),
        on_premises_sync_enabled: user.on_premises_sync_enabled,
        on_premises_security_identifier: user.on_premises_security_identifier.clone(),
        on_premises_distinguished_name: user.on_premises_distinguished_name.clone(),
        ..CloudUser::default()
    }
}

/// The users at `positions` (sorted), each moved out of `changed` (sorted by position) when it is
/// there and copied with `copy` otherwise, in the same order. Written straight into one list: at a
/// million users every list of users is a hundred megabytes of fresh pages.
fn copies<T: Default + Send + Sync>(
    positions: &[usize],
    changed: Vec<(usize, T)>,
    copy: impl Fn(usize) -> Option<T> + Sync,
) -> Vec<T> {
    if changed
        .iter()
        .map(|(position, _)| position)
        .eq(positions.iter())
    {
        // The reached users are the changed ones: the list is the changed users themselves, taken over
        // in place rather than copied next to them (at a million users, a hundred megabytes less).
        return changed.into_iter().map(|(_, user)| user).collect();
    }
    let mut users: Vec<T> = positions
        .par_iter()
        .map(|position| {
            let is_changed = changed
                .binary_search_by_key(position, |(changed, _)| *changed)
                .is_ok();
            // A changed user's place is kept with an empty user and filled below.
            if is_changed {
                T::default()
            } else {
                copy(*position).unwrap_or_default()
            }
        })
        .collect();
    let mut slots = positions.iter().zip(users.iter_mut());
    for (position, user) in changed {
        if let Some((_, slot)) = slots.find(|(reached, _)| **reached == position) {
            *slot = user;
        }
    }
    users
}

/// An on-premises user with only what the match engine reads. With the default anchor
/// (mS-DS-ConsistencyGuid, else objectGUID) that is a few attributes; another anchor attribute may be
/// any attribute, so then the whole user is copied.
fn matching_on_prem(user: &OnPremUser, settings: &EngineSettings) -> OnPremUser {
    match settings.anchor_attribute {
        AnchorAttribute::ConsistencyGuid => OnPremUser {
            dn: user.dn.clone(),
            object_guid: user.object_guid,
            consistency_guid: user.consistency_guid.clone(),
            object_sid: user.object_sid.clone(),
            user_principal_name: user.user_principal_name.clone(),
            sam_account_name: user.sam_account_name.clone(),
            mail: user.mail.clone(),
            proxy_addresses: user.proxy_addresses.clone(),
            mail_nickname: user.mail_nickname.clone(),
            user_account_control: user.user_account_control,
            ..OnPremUser::default()
        },
        AnchorAttribute::Named(_) => user.clone(),
    }
}

/// The tenant without users: what every re-plan carries whole (domains, role assignments, the
/// matching switches; all small).
fn global_copy(tenant: &TenantSnapshot) -> TenantSnapshot {
    TenantSnapshot {
        domains: tenant.domains.clone(),
        role_assignments: tenant.role_assignments.clone(),
        on_premises_synchronization: tenant.on_premises_synchronization.clone(),
        // The engine does not read deleted users, groups or contacts.
        ..TenantSnapshot::default()
    }
}

/// Sets one AD attribute of a user to a step's value.
pub fn set_ad_attribute(user: &mut OnPremUser, attribute: &str, value: &StepValue) {
    if attribute.eq_ignore_ascii_case(CONSISTENCY_GUID) {
        user.consistency_guid = value.as_bytes().map(<[u8]>::to_vec);
        return;
    }
    let mut entry = user.to_entry();
    entry.attributes.retain(|name, _| !name.is(attribute));
    if let Some(bytes) = value.as_bytes() {
        entry
            .attributes
            .insert(AttributeName::new(attribute), vec![bytes.to_vec()]);
    }
    if let Ok(changed) = OnPremUser::from_entry(entry) {
        *user = changed;
    }
}

/// How the outcome after the changes is predicted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Replan {
    /// Plan again only the users the changes can reach ([`super::reach`]), with everything that
    /// decides them; every other user keeps the first plan's outcome. What `plan --strategy` does.
    #[default]
    Reached,
    /// Plan every user again on copies of the changed side: the reference [`Replan::Reached`] is
    /// checked against (tests, benchmarks).
    Everyone,
}

/// How much a prediction planned again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replanned {
    /// How many times the engine ran (a change that would not be enough is dropped, and the rest are
    /// planned again).
    pub rounds: usize,
    /// The most on-premises users one of those runs decided.
    pub on_prem_users: usize,
    /// The most cloud users one of those runs held.
    pub cloud_users: usize,
}

/// Whether an outcome after the change is what the strategy is for, with the paired cloud user.
fn reaches(strategy: Strategy, after: &UserPlan, after_cloud: Option<usize>, cloud: usize) -> bool {
    let wanted = match strategy {
        Strategy::HardAd | Strategy::HardCloud => {
            matches!(
                after.outcome,
                Outcome::HardMatch | Outcome::HardMatchBlocked
            )
        }
        Strategy::Soft => matches!(
            after.outcome,
            Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn
        ),
        Strategy::Lint => false,
    };
    wanted && after_cloud == Some(cloud)
}

/// The inputs of one re-plan: the changed side copied with the steps applied, and where its users are
/// in the plan's inputs (none: all of them, in place).
struct AfterInputs<'p> {
    on_prem: Cow<'p, [OnPremUser]>,
    tenant: Cow<'p, TenantSnapshot>,
    reached: Option<Reach>,
}

impl AfterInputs<'_> {
    /// Every user, with the changed side copied (only the properties the engine reads, of cloud users).
    fn everyone<'p>(
        plan: &Plan<'p>,
        ad: &[&RemediationStep],
        cloud: &[&RemediationStep],
    ) -> AfterInputs<'p> {
        // Only the side that changes is copied.
        let on_prem: Cow<'p, [OnPremUser]> = if ad.is_empty() {
            Cow::Borrowed(plan.on_prem)
        } else {
            let mut users = plan.on_prem.to_vec();
            apply_ad_steps(&mut users, ad);
            Cow::Owned(users)
        };
        let tenant: Cow<'p, TenantSnapshot> = if cloud.is_empty() {
            Cow::Borrowed(plan.tenant)
        } else {
            let mut snapshot = matching_copy(plan.tenant);
            apply_cloud_steps(&mut snapshot, cloud);
            Cow::Owned(snapshot)
        };
        AfterInputs {
            on_prem,
            tenant,
            reached: None,
        }
    }

    /// The reached users only, in the plan's order: the changed ones moved out of `changes` (the steps
    /// applied), the others copied with what the engine reads.
    fn reached<'p>(plan: &Plan<'p>, reached: Reach, changes: Changes) -> AfterInputs<'p> {
        let Changes {
            on_prem: changed_on_prem,
            cloud: changed_cloud,
            ..
        } = changes;
        let settings = &plan.settings;
        let users = copies(&reached.on_prem, changed_on_prem, |position| {
            plan.on_prem
                .get(position)
                .map(|user| matching_on_prem(user, settings))
        });
        let cloud_users = copies(&reached.cloud, changed_cloud, |position| {
            plan.tenant.users.get(position).map(matching_user)
        });
        AfterInputs {
            on_prem: Cow::Owned(users),
            tenant: Cow::Owned(TenantSnapshot {
                users: cloud_users,
                ..global_copy(plan.tenant)
            }),
            reached: Some(reached),
        }
    }

    /// The plan's position of the re-plan's on-premises user.
    fn on_prem_position(&self, position: usize) -> Option<usize> {
        match &self.reached {
            None => Some(position),
            Some(reached) => reached.on_prem.get(position).copied(),
        }
    }

    /// The plan's position of the re-plan's cloud user.
    fn cloud_position(&self, position: usize) -> Option<usize> {
        match &self.reached {
            None => Some(position),
            Some(reached) => reached.cloud.get(position).copied(),
        }
    }
}

/// Fills `outcomeAfter` by planning again with every fixable user's steps applied (`replan` says
/// which users). A fixable user whose change would not reach the strategy's match is made not
/// fixable, and the rest are planned again without its change (a few rounds at most: each round only
/// removes changes). `anchors` holds each on-premises user's sourceAnchor by position.
pub(super) fn predict_outcomes_after(
    plan: &Plan<'_>,
    strategy: Strategy,
    drafts: &mut [Draft],
    replan: Replan,
    anchors: &[Option<&str>],
) -> Replanned {
    const ROUNDS: usize = 4;
    let mut replanned = Replanned::default();
    // The first plan's outcomes by position: what every user no change reaches keeps.
    let mut first: Vec<Option<Outcome>> = Vec::new();
    if replan == Replan::Reached {
        first = vec![None; plan.on_prem.len()];
        for user in &plan.users {
            if let Some(slot) = first.get_mut(user.user) {
                *slot = Some(user.outcome);
            }
        }
    }
    for round in 0..ROUNDS {
        let steps: Vec<&RemediationStep> = drafts
            .iter()
            .filter(|draft| draft.remediation.fixable)
            .flat_map(|draft| draft.remediation.steps.iter())
            .collect();
        let inputs = match replan {
            Replan::Everyone => {
                // Only the reference re-plan needs the steps by side; `Changes::of` sorts them itself.
                let (ad, cloud): (Vec<&RemediationStep>, Vec<&RemediationStep>) = steps
                    .iter()
                    .copied()
                    .partition(|step| step.system == StepSystem::Ad);
                AfterInputs::everyone(plan, &ad, &cloud)
            }
            Replan::Reached => {
                let seeds: Vec<usize> = drafts
                    .iter()
                    .enumerate()
                    .filter(|(_, draft)| draft.remediation.fixable)
                    .map(|(position, _)| position)
                    .collect();
                if seeds.is_empty() {
                    // No change: every user keeps the first plan's outcome.
                    AfterInputs::reached(plan, Reach::default(), Changes::default())
                } else {
                    // Built again in a later round rather than kept: one round is the rule, and the
                    // index of a million users' keys is better freed before the re-plan, the peak.
                    let keys = OnPremKeys::new(plan.on_prem, anchors, plan.tenant);
                    let changes = Changes::of(plan.on_prem, plan.tenant, &steps);
                    let inputs = ReachInputs {
                        on_prem: plan.on_prem,
                        index: &plan.index,
                        settings: &plan.settings,
                        anchors,
                        keys: &keys,
                    };
                    let reached = reach(&inputs, &changes, &seeds);
                    AfterInputs::reached(plan, reached, changes)
                }
            }
        };
        let after = engine::plan(&inputs.on_prem, &inputs.tenant, &plan.settings);
        replanned.rounds = round + 1;
        replanned.on_prem_users = replanned.on_prem_users.max(inputs.on_prem.len());
        replanned.cloud_users = replanned.cloud_users.max(inputs.tenant.users.len());
        if inputs.reached.is_some() {
            for (draft, outcome) in drafts.iter_mut().zip(&first) {
                draft.remediation.outcome_after = *outcome;
            }
        }
        let mut dropped = false;
        for after_user in &after.users {
            let Some(draft) = inputs
                .on_prem_position(after_user.user)
                .and_then(|position| drafts.get_mut(position))
            else {
                continue;
            };
            draft.remediation.outcome_after = Some(after_user.outcome);
            let after_cloud = after_user
                .cloud_user
                .and_then(|cloud| inputs.cloud_position(cloud));
            if round + 1 < ROUNDS
                && draft.remediation.fixable
                && draft
                    .cloud
                    .is_none_or(|cloud| !reaches(strategy, after_user, after_cloud, cloud))
            {
                let why = reasons(&after, after_user).into_iter().next();
                draft.remediation.fixable = false;
                draft.remediation.steps.clear();
                draft.remediation.reason = Some(match why {
                    Some(why) => format!(
                        "the change would not be enough: the first sync would then give `{}` ({why})",
                        after_user.outcome
                    ),
                    None => format!(
                        "the change would not be enough: the first sync would then give `{}`",
                        after_user.outcome
                    ),
                });
                dropped = true;
            }
        }
        if !dropped {
            break;
        }
    }
    replanned
}
