//! `hard-cloud`: write the sourceAnchor into the cloud user's onPremisesImmutableId, so that the first
//! sync hard-matches. In a federated domain Graph refuses to change the ImmutableID of a user signing in
//! there, so the user's UPN moves to the initial domain first and back after (three steps).

use crate::remediation::{RemediationStep, StepPurpose, StepSystem, StepValue, Strategy};
use crate::tenant::CloudUser;

use super::super::plan::Outcome;
use super::context::{
    Context, IMMUTABLE_ID, Pair, Refusal, USER_PRINCIPAL_NAME, already_hard_matched, cloud_name,
    label_of, text_or_absent,
};

/// hard-cloud preconditions, first failing one: a valid, unique sourceAnchor; a cloud-managed user
/// without directory roles; no other cloud user holding the value; not already matched.
pub fn hard_cloud_refusal<'p>(
    context: &Context<'p, '_>,
    pair: &Pair<'p>,
) -> Result<&'p str, Refusal> {
    if let Some(done) = already_hard_matched(pair) {
        return Err(done);
    }
    let outcome = pair.user_plan.outcome;
    let Some(anchor) = pair
        .user_plan
        .anchor
        .as_ref()
        .filter(|_| outcome != Outcome::InvalidAnchor)
    else {
        return Err(Refusal::new(
            "the user has no valid sourceAnchor to write into the cloud: write the cloud ImmutableID into \
             AD instead (hard-ad), or fix the anchor attribute",
            Some(Strategy::HardAd),
        ));
    };
    if outcome == Outcome::DuplicateAnchor {
        return Err(Refusal::new(
            format!(
                "another on-premises user has the same sourceAnchor `{}`: only one of them can be exported",
                anchor.value
            ),
            Some(Strategy::HardAd),
        ));
    }
    if pair.cloud_user.is_synced() {
        return Err(Refusal::new(
            format!(
                "{} is synchronised (onPremisesSyncEnabled is true): another sync client owns its \
                 ImmutableID and Graph refuses to change it",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardAd),
        ));
    }
    if let Some(roles) = context.holds_role(pair) {
        return Err(Refusal::new(
            format!(
                "{} holds the directory role {roles}: Graph refuses an app without a higher role to change \
                 its ImmutableID; change it by hand, grant the app the role, or write AD instead",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardAd),
        ));
    }
    if let Some(holder) = context
        .plan
        .index
        .by_immutable_id(&anchor.value)
        .filter(|holder| *holder != pair.cloud)
        .and_then(|holder| context.plan.index.user(holder))
    {
        return Err(Refusal::new(
            format!(
                "another cloud user, {}, already has the ImmutableID `{}`: Graph keeps it unique",
                cloud_name(holder),
                anchor.value
            ),
            Some(Strategy::HardAd),
        ));
    }
    if context.federated(pair.cloud_user).is_some() {
        let initial = context.plan.tenant.initial_domain();
        let away = initial.and_then(|initial| federated_away_upn(pair.cloud_user, &initial.id));
        match away {
            None => {
                return Err(Refusal::new(
                    "the cloud user's UPN is in a federated domain, and the snapshot lists no initial \
                     `onmicrosoft.com` domain to move it to while its ImmutableID changes",
                    Some(Strategy::HardAd),
                ));
            }
            Some(away) => {
                if let Some(holder) = context
                    .plan
                    .index
                    .by_user_principal_name(&away)
                    .filter(|holder| *holder != pair.cloud)
                    .and_then(|holder| context.plan.index.user(holder))
                {
                    return Err(Refusal::new(
                        format!(
                            "the UPN `{away}` that the federated workaround moves the user to belongs to {}",
                            cloud_name(holder)
                        ),
                        Some(Strategy::HardAd),
                    ));
                }
            }
        }
    }
    Ok(anchor.value.as_str())
}

/// The UPN a federated user moves to while its ImmutableID changes: its prefix at the initial domain.
pub fn federated_away_upn(cloud: &CloudUser, initial_domain: &str) -> Option<String> {
    let upn = cloud.user_principal_name.as_deref()?;
    let prefix = upn.rsplit_once('@').map_or(upn, |(prefix, _)| prefix);
    Some(format!("{prefix}@{initial_domain}"))
}

/// hard-cloud: set the ImmutableID, inside the three-step workaround in a federated domain.
pub fn hard_cloud_steps(
    context: &Context<'_, '_>,
    pair: &Pair<'_>,
    anchor: &str,
) -> Vec<RemediationStep> {
    let cloud = pair.cloud_user;
    let step = |attribute: &str, before: StepValue, after: StepValue, purpose| RemediationStep {
        system: StepSystem::Cloud,
        target: cloud.id.clone(),
        label: label_of(cloud),
        attribute: attribute.to_owned(),
        before,
        after,
        purpose,
    };
    let set = step(
        IMMUTABLE_ID,
        text_or_absent(cloud.on_premises_immutable_id.as_deref()),
        StepValue::Text(anchor.to_owned()),
        StepPurpose::SetImmutableId,
    );
    let away = context
        .federated(cloud)
        .and(context.plan.tenant.initial_domain())
        .and_then(|initial| federated_away_upn(cloud, &initial.id));
    match (away, cloud.user_principal_name.as_deref()) {
        (Some(away), Some(upn)) => vec![
            step(
                USER_PRINCIPAL_NAME,
                StepValue::Text(upn.to_owned()),
                StepValue::Text(away.clone()),
                StepPurpose::FederatedUpnAway,
            ),
            set,
            step(
                USER_PRINCIPAL_NAME,
                StepValue::Text(away),
                StepValue::Text(upn.to_owned()),
                StepPurpose::FederatedUpnBack,
            ),
        ],
        _ => vec![set],
    }
}
