//! `plan --strategy`: for every on-premises user, the exact change a strategy makes to its pair
//! ([`super::pairing`]), or why the strategy cannot make it and which one would, and the outcome
//! Entra will give once the change is made (docs/rules.md §5).
//!
//! One module per strategy, each with its preconditions and its steps:
//!
//! | strategy | change | refused when |
//! |---|---|---|
//! | `hard-ad` ([`hard_ad`]) | the AD anchor attribute := the cloud ImmutableID decoded | [`hard_ad_refusal`] |
//! | `hard-cloud` ([`hard_cloud`]) | onPremisesImmutableId := the sourceAnchor (three steps in a federated domain) | [`hard_cloud_refusal`] |
//! | `soft` ([`soft`]) | onPremisesImmutableId := null | [`soft_refusal`] |
//!
//! The outcome after is not reasoned about separately: [`remediate`] applies every fixable user's steps
//! to copies of the users those changes can reach ([`simulate`], [`apply_steps`]) and runs the engine
//! again on them, so the prediction is exactly what `plan` reports once the changes are made, including
//! how the changes of different users meet (two users that would then soft-match one cloud user are
//! `ambiguous`). What a change can reach is found by [`reach`]: every user that shares a matching key
//! (sourceAnchor and ImmutableID, addresses and UPNs, SIDs) with a changed object, before or after the
//! change, and transitively whatever decides those; every other user keeps the first plan's outcome. The
//! re-plan of everyone ([`Replan::Everyone`]) stays as the reference the tests compare with. A user
//! whose change would not give the strategy's match is reported as not fixable, with the outcome the
//! engine predicts instead, and the others are predicted again without its change.
//!
//! This module holds what the strategies share (the pair, the context, the refusal) and the pairing of
//! every user before a strategy runs.

pub mod context;
pub mod hard_ad;
pub mod hard_cloud;
pub mod reach;
pub mod simulate;
pub mod soft;
#[cfg(test)]
mod tests;

use rayon::prelude::*;

use crate::remediation::{PairingConflict, PlanSources, Remediation, RemediationStep, Strategy};

use super::pairing::{JoinAttribute, MappingEntry, Pairing, PairingIndex, pair_all};
use super::plan::{Plan, PlanRemediation};

pub use context::{Context, IMMUTABLE_ID, Pair, Refusal, USER_PRINCIPAL_NAME};
pub use hard_ad::{ad_value, hard_ad_attribute, hard_ad_refusal, hard_ad_steps, hard_ad_value};
pub use hard_cloud::{federated_away_upn, hard_cloud_refusal, hard_cloud_steps};
pub use simulate::{
    Replan, Replanned, apply_ad_steps, apply_cloud_step, apply_cloud_steps, apply_steps,
    set_ad_attribute,
};
pub use soft::{soft_refusal, soft_steps};

use context::cloud_name;
use simulate::Draft;

/// What `plan --strategy` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyOptions {
    /// The strategy.
    pub strategy: Strategy,
    /// The mapping file's entries (`--mapping`).
    pub mapping: Vec<MappingEntry>,
    /// The join attribute (`--join-attribute`).
    pub join: Option<JoinAttribute>,
}

/// The steps a strategy takes for a pair, or why none.
pub fn steps_for(
    strategy: Strategy,
    context: &Context<'_, '_>,
    pair: &Pair<'_>,
) -> Result<Vec<RemediationStep>, Refusal> {
    match strategy {
        Strategy::HardAd => {
            hard_ad_refusal(context, pair).map(|value| hard_ad_steps(context, pair, value))
        }
        Strategy::HardCloud => {
            hard_cloud_refusal(context, pair).map(|anchor| hard_cloud_steps(context, pair, anchor))
        }
        Strategy::Soft => soft_refusal(context, pair).map(|()| soft_steps(pair)),
        // Lint's fixes are data-quality changes `lint --fix` writes, not a way to pair identities.
        Strategy::Lint => Err(Refusal::new(
            "`lint` fixes are written by `anchorsync lint --fix`, not planned per pair",
            None,
        )),
    }
}

/// Every on-premises user's remediation, by position in the inventory.
pub fn remediate(plan: &Plan<'_>, options: &StrategyOptions) -> Vec<Remediation> {
    remediate_with(plan, options, Replan::Reached).0
}

/// [`remediate`], predicting the outcome after the changes as `replan` says, with how much it planned
/// again.
pub fn remediate_with(
    plan: &Plan<'_>,
    options: &StrategyOptions,
    replan: Replan,
) -> (Vec<Remediation>, Replanned) {
    let strategy = options.strategy;
    let context = Context::for_strategy(plan, strategy);
    let pairing_index = PairingIndex::new(plan.tenant, &options.mapping, options.join.clone());
    let mut slot_of = vec![usize::MAX; plan.on_prem.len()];
    for (slot, user) in plan.users.iter().enumerate() {
        if let Some(entry) = slot_of.get_mut(user.user) {
            *entry = slot;
        }
    }
    let anchors: Vec<Option<&str>> = slot_of
        .iter()
        .map(|slot| {
            plan.users
                .get(*slot)
                .and_then(|user| user.anchor.as_ref())
                .map(|anchor| anchor.value.as_str())
        })
        .collect();
    let pairings = pair_all(&plan.index, &pairing_index, plan.on_prem, &anchors);
    let mut drafts: Vec<Draft> = pairings
        .par_iter()
        .enumerate()
        .map(|(position, pairing)| {
            let mut remediation = Remediation {
                strategy,
                paired_by: Vec::new(),
                paired_cloud_user_id: None,
                fixable: false,
                reason: None,
                alternative: None,
                outcome_after: None,
                steps: Vec::new(),
                pairing_conflicts: Vec::new(),
            };
            let conflict = |rule: &str, cloud: usize, other_dn: Option<String>| {
                plan.index.user(cloud).map(|user| PairingConflict {
                    rule: rule.to_owned(),
                    cloud_user_id: user.id.clone(),
                    user_principal_name: user.user_principal_name.clone(),
                    other_dn,
                })
            };
            let (Some(user), Some(user_plan)) = (
                plan.on_prem.get(position),
                slot_of.get(position).and_then(|slot| plan.users.get(*slot)),
            ) else {
                return Draft {
                    remediation,
                    cloud: None,
                    unpaired: false,
                };
            };
            let mut unpaired = false;
            let cloud = match pairing {
                Pairing::Unpaired => {
                    // The reason is written after the re-plan (`unpaired_reason`): it needs only the
                    // first plan, and half a million sentences need not be alive during the re-plan.
                    unpaired = true;
                    None
                }
                Pairing::MappingMissing { line, key } => {
                    remediation.reason = Some(format!(
                        "the mapping file's line {line} names the cloud user `{key}`, which the tenant \
                         does not hold"
                    ));
                    None
                }
                Pairing::Conflict {
                    findings,
                    shared_with,
                } => {
                    remediation.pairing_conflicts = findings
                        .iter()
                        .filter_map(|finding| conflict(finding.rule.as_str(), finding.cloud, None))
                        .collect();
                    let others: Vec<&str> = shared_with
                        .iter()
                        .filter_map(|other| plan.on_prem.get(*other))
                        .map(|other| other.dn.as_str())
                        .collect();
                    if let (false, Some(first)) = (others.is_empty(), findings.first()) {
                        remediation.pairing_conflicts.extend(others.iter().filter_map(|dn| {
                            conflict("pairedTwice", first.cloud, Some((*dn).to_owned()))
                        }));
                        remediation.reason = Some(format!(
                            "pairing conflict: the cloud user {} is paired with other on-premises users too \
                             ({}); name the right pair in a mapping file (`--mapping`)",
                            plan.index
                                .user(first.cloud)
                                .map(cloud_name)
                                .unwrap_or_default(),
                            others
                                .iter()
                                .map(|dn| format!("`{dn}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    } else {
                        let found: Vec<String> = findings
                            .iter()
                            .map(|finding| {
                                format!(
                                    "{} finds {}",
                                    finding.rule.describe(),
                                    plan.index
                                        .user(finding.cloud)
                                        .map(cloud_name)
                                        .unwrap_or_default()
                                )
                            })
                            .collect();
                        remediation.reason = Some(format!(
                            "pairing conflict: {}; name the right pair in a mapping file (`--mapping`)",
                            found.join(", ")
                        ));
                    }
                    None
                }
                Pairing::Paired {
                    cloud,
                    by,
                    overridden,
                } => {
                    remediation.paired_by = by.iter().map(|rule| rule.as_str().to_owned()).collect();
                    remediation.paired_cloud_user_id =
                        plan.index.user(*cloud).map(|user| user.id.clone());
                    remediation.pairing_conflicts = overridden
                        .iter()
                        .filter_map(|finding| conflict(finding.rule.as_str(), finding.cloud, None))
                        .collect();
                    Some(*cloud)
                }
            };
            if let Some(cloud) = cloud
                && let Some(cloud_user) = plan.index.user(cloud)
            {
                let pair = Pair {
                    user,
                    user_plan,
                    cloud,
                    cloud_user,
                };
                match steps_for(strategy, &context, &pair) {
                    Ok(steps) => {
                        remediation.fixable = true;
                        remediation.steps = steps;
                    }
                    Err(refusal) => {
                        remediation.reason = Some(refusal.reason);
                        remediation.alternative = refusal.alternative;
                    }
                }
            }
            Draft {
                remediation,
                cloud,
                unpaired,
            }
        })
        .collect();
    // What only the drafts needed goes before the re-plan: at a million users, hundreds of megabytes.
    drop((pairings, pairing_index, context));
    let replanned = simulate::predict_outcomes_after(plan, strategy, &mut drafts, replan, &anchors);
    let remediations = drafts
        .into_iter()
        .enumerate()
        .map(|(position, draft)| {
            let mut remediation = draft.remediation;
            if draft.unpaired
                && let Some(user_plan) =
                    slot_of.get(position).and_then(|slot| plan.users.get(*slot))
            {
                remediation.reason = Some(unpaired_reason(plan, user_plan));
            }
            remediation
        })
        .collect();
    (remediations, replanned)
}

/// Why there is nothing to do for a user no pairing rule pairs with a cloud user.
fn unpaired_reason(plan: &Plan<'_>, user_plan: &super::plan::UserPlan) -> String {
    let matched = user_plan
        .cloud_user
        .filter(|_| user_plan.outcome.is_match())
        .and_then(|cloud| plan.index.user(cloud));
    match matched {
        Some(cloud) => format!(
            "nothing to do: no pairing rule finds a cloud user, and the first sync already gives `{}` \
             with {} (name another pair in `--mapping` if that is wrong)",
            user_plan.outcome,
            cloud_name(cloud)
        ),
        None => format!(
            "no cloud user pairs with this user (no mapping, current anchor, primary SMTP address, UPN \
             or join attribute in common): nothing to fix; the first sync gives {}",
            user_plan.outcome
        ),
    }
}

impl Plan<'_> {
    /// Adds what a strategy does for every user (`plan --strategy`).
    pub fn with_strategy(
        mut self,
        options: &StrategyOptions,
        sources: Option<PlanSources>,
    ) -> Self {
        let users = remediate(&self, options);
        self.remediation = Some(PlanRemediation {
            strategy: options.strategy,
            sources,
            users,
        });
        self
    }
}
