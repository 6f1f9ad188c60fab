//! `soft`: clear the cloud user's onPremisesImmutableId, so that the first sync soft-matches it by
//! primary SMTP address or UPN. Refused wherever Entra would not soft-match afterwards (a role, a
//! federated domain, soft matching blocked, nothing equal on both sides).

use crate::remediation::{RemediationStep, StepPurpose, StepSystem, StepValue, Strategy};

use super::super::index::non_empty;
use super::super::pairing::same_folded;
use super::super::plan::Outcome;
use super::context::{Context, IMMUTABLE_ID, Pair, Refusal, cloud_name, label_of, text_or_absent};

/// soft preconditions, first failing one: a sourceAnchor that is exported, a cloud-managed user without
/// directory roles outside a federated domain, soft matching allowed, and a UPN or primary SMTP address
/// equal on both sides.
pub fn soft_refusal(context: &Context<'_, '_>, pair: &Pair<'_>) -> Result<(), Refusal> {
    let outcome = pair.user_plan.outcome;
    if outcome == Outcome::HardMatch && pair.user_plan.cloud_user == Some(pair.cloud) {
        return Err(Refusal::done(format!(
            "nothing to do: already a hard match with {}",
            cloud_name(pair.cloud_user)
        )));
    }
    let immutable_id = non_empty(&pair.cloud_user.on_premises_immutable_id);
    if immutable_id.is_none()
        && matches!(outcome, Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn)
        && pair.user_plan.cloud_user == Some(pair.cloud)
    {
        return Err(Refusal::done(format!(
            "nothing to do: {} has no ImmutableID and the first sync soft-matches it",
            cloud_name(pair.cloud_user)
        )));
    }
    if matches!(outcome, Outcome::InvalidAnchor | Outcome::DuplicateAnchor) {
        return Err(Refusal::new(
            "the user's sourceAnchor is missing, invalid or shared, so it is never exported and no soft \
             match happens: write the cloud ImmutableID into AD instead (hard-ad)",
            Some(Strategy::HardAd),
        ));
    }
    if pair.cloud_user.is_synced() {
        return Err(Refusal::new(
            format!(
                "{} is synchronised (onPremisesSyncEnabled is true): another sync client owns its \
                 ImmutableID and Graph refuses to clear it",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardAd),
        ));
    }
    if let Some(domain) = context.federated(pair.cloud_user) {
        return Err(Refusal::new(
            format!(
                "{} signs in through the federated domain `{domain}`: its ImmutableID cannot be cleared \
                 until federation is switched off (HENNGE: 30-60 minutes without sign-in); write the \
                 ImmutableID into AD instead (hard-ad)",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardAd),
        ));
    }
    if let Some(roles) = context.holds_role(pair) {
        return Err(Refusal::new(
            format!(
                "{} holds the directory role {roles}: Entra never soft-matches onto an admin \
                 (admin-role-conflict); a hard match does",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardAd),
        ));
    }
    let features = &context.plan.features;
    if features.block_soft_match() {
        return Err(Refusal::new(
            "the tenant blocks soft matching (blockSoftMatchEnabled): switch it off first (`anchorsync \
             tenant matching --block-soft-match off`), or match by ImmutableID",
            Some(Strategy::HardCloud),
        ));
    }
    let smtp_equal = same_folded(pair.user.primary_smtp(), pair.cloud_user.primary_smtp());
    let upn_equal = features.soft_match_on_upn()
        && same_folded(
            pair.user.user_principal_name.as_deref(),
            pair.cloud_user.user_principal_name.as_deref(),
        );
    if !smtp_equal && !upn_equal {
        return Err(Refusal::new(
            format!(
                "neither the primary SMTP address nor the userPrincipalName is the same on both sides \
                 ({} has `{}` and `{}`), so the first sync would not soft-match it",
                cloud_name(pair.cloud_user),
                pair.cloud_user
                    .primary_smtp()
                    .unwrap_or("no primary SMTP address"),
                pair.cloud_user
                    .user_principal_name
                    .as_deref()
                    .unwrap_or("no UPN"),
            ),
            Some(Strategy::HardCloud),
        ));
    }
    if immutable_id.is_none() {
        return Err(Refusal::new(
            format!(
                "{} has no ImmutableID to clear; the first sync still gives `{outcome}`",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardCloud),
        ));
    }
    Ok(())
}

/// soft: clear the ImmutableID.
pub fn soft_steps(pair: &Pair<'_>) -> Vec<RemediationStep> {
    let cloud = pair.cloud_user;
    vec![RemediationStep {
        system: StepSystem::Cloud,
        target: cloud.id.clone(),
        label: label_of(cloud),
        attribute: IMMUTABLE_ID.to_owned(),
        before: text_or_absent(cloud.on_premises_immutable_id.as_deref()),
        after: StepValue::Absent,
        purpose: StepPurpose::ClearImmutableId,
    }]
}
