//! The simulation of steps: applies remediation steps to copies of the inputs, as `apply` would to the
//! directory and the tenant, and plans again, so the outcome after a change is the engine's own
//! prediction rather than a second set of rules.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::directory::{AttributeName, OnPremUser};
use crate::remediation::{Remediation, RemediationStep, StepSystem, StepValue, Strategy};
use crate::tenant::{CloudUser, TenantSnapshot};

use super::super::explain::reasons;
use super::super::plan::{self as engine, Outcome, Plan, UserPlan};
use super::super::source_anchor::CONSISTENCY_GUID;
use super::context::{IMMUTABLE_ID, USER_PRINCIPAL_NAME};

/// A user's remediation before the outcome after is known.
pub(super) struct Draft {
    pub(super) remediation: Remediation,
    pub(super) cloud: Option<usize>,
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
        let Some(user) = by_id
            .get(&step.target)
            .and_then(|position| tenant.users.get_mut(*position))
        else {
            continue;
        };
        let value = step.after.to_graph_text();
        if step.attribute.eq_ignore_ascii_case(IMMUTABLE_ID) {
            user.on_premises_immutable_id = value;
        } else if step.attribute.eq_ignore_ascii_case(USER_PRINCIPAL_NAME) {
            user.user_principal_name = value;
        }
    }
}

/// The tenant with, of each user, only the properties the match engine reads: a second plan needs no
/// names, phones or the properties Graph returned beyond the typed ones, and copying those would cost
/// more than the plan itself.
fn matching_copy(tenant: &TenantSnapshot) -> TenantSnapshot {
    let users = tenant
        .users
        .par_iter()
        .map(|user| CloudUser {
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
        })
        .collect();
    TenantSnapshot {
        users,
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

/// Whether an outcome after the change is what the strategy is for, with the paired cloud user.
fn reaches(strategy: Strategy, after: &UserPlan, cloud: usize) -> bool {
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
    wanted && after.cloud_user == Some(cloud)
}

/// Fills `outcomeAfter` by planning again on the inputs with every fixable user's steps applied. A
/// fixable user whose change would not reach the strategy's match is made not fixable, and the rest are
/// planned again without its change (a few rounds at most: each round only removes changes).
pub(super) fn predict_outcomes_after(plan: &Plan<'_>, strategy: Strategy, drafts: &mut [Draft]) {
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let steps: Vec<&RemediationStep> = drafts
            .iter()
            .filter(|draft| draft.remediation.fixable)
            .flat_map(|draft| draft.remediation.steps.iter())
            .collect();
        let (ad, cloud): (Vec<&RemediationStep>, Vec<&RemediationStep>) = steps
            .into_iter()
            .partition(|step| step.system == StepSystem::Ad);
        // Only the side that changes is copied.
        let on_prem: Cow<'_, [OnPremUser]> = if ad.is_empty() {
            Cow::Borrowed(plan.on_prem)
        } else {
            let mut users = plan.on_prem.to_vec();
            apply_ad_steps(&mut users, &ad);
            Cow::Owned(users)
        };
        let tenant: Cow<'_, TenantSnapshot> = if cloud.is_empty() {
            Cow::Borrowed(plan.tenant)
        } else {
            let mut snapshot = matching_copy(plan.tenant);
            apply_cloud_steps(&mut snapshot, &cloud);
            Cow::Owned(snapshot)
        };
        let after = engine::plan(&on_prem, &tenant, &plan.settings);
        let mut by_position: Vec<Option<&UserPlan>> = vec![None; on_prem.len()];
        for user in &after.users {
            if let Some(slot) = by_position.get_mut(user.user) {
                *slot = Some(user);
            }
        }
        let mut dropped = false;
        for (position, draft) in drafts.iter_mut().enumerate() {
            let Some(after_user) = by_position.get(position).copied().flatten() else {
                continue;
            };
            draft.remediation.outcome_after = Some(after_user.outcome);
            if round + 1 < ROUNDS
                && draft.remediation.fixable
                && draft
                    .cloud
                    .is_none_or(|cloud| !reaches(strategy, after_user, cloud))
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
}
