//! `plan --strategy`: for every on-premises user, the exact change a strategy makes to its pair
//! ([`super::pairing`]), or why the strategy cannot make it and which one would, and the outcome Entra
//! will give once the change is made (`matching-rules.md` §5, ISSUE6-DESIGN.md §2).
//!
//! | strategy | change | refused when |
//! |---|---|---|
//! | `hard-ad` | the AD anchor attribute := the cloud ImmutableID decoded | [`hard_ad_refusal`] |
//! | `hard-cloud` | onPremisesImmutableId := the sourceAnchor (three steps in a federated domain) | [`hard_cloud_refusal`] |
//! | `soft` | onPremisesImmutableId := null | [`soft_refusal`] |
//!
//! The outcome after is not reasoned about separately: [`remediate`] applies every fixable user's steps
//! to copies of the inputs ([`apply_steps`]) and runs the engine again, so the prediction is exactly
//! what `plan` reports once the changes are made, including how the changes of different users meet
//! (two users that would then soft-match one cloud user are `ambiguous`). A user whose change would not
//! give the strategy's match is reported as not fixable, with the outcome the engine predicts instead,
//! and the others are predicted again without its change.

use std::borrow::Cow;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::anchor::{AnchorSource, check_anchor};
use crate::directory::{AttributeName, OnPremUser, is_binary_attribute};
use crate::identifier::decode_canonical_base64;
use crate::remediation::{
    PairingConflict, Remediation, RemediationStep, StepPurpose, StepSystem, StepValue, Strategy,
};
use crate::tenant::{CloudUser, TenantSnapshot};

use super::explain::{reasons, role_list};
use super::index::non_empty;
use super::pairing::{JoinAttribute, MappingEntry, Pairing, PairingIndex, pair_all, same_folded};
use super::plan::{Outcome, Plan, UserPlan};
use super::source_anchor::{AnchorAttribute, AnchorEncoding, CONSISTENCY_GUID, OBJECT_GUID};

/// The Graph property a hard-cloud or soft step writes.
pub const IMMUTABLE_ID: &str = "onPremisesImmutableId";
/// The Graph property the federated workaround moves.
pub const USER_PRINCIPAL_NAME: &str = "userPrincipalName";

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

/// Why a strategy does nothing for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A sentence.
    pub reason: String,
    /// The strategy that would work.
    pub alternative: Option<Strategy>,
    /// Nothing needs doing: the user is already in the wanted state.
    pub nothing_to_do: bool,
}

impl Refusal {
    fn new(reason: impl Into<String>, alternative: Option<Strategy>) -> Self {
        Self {
            reason: reason.into(),
            alternative,
            nothing_to_do: false,
        }
    }

    fn done(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            alternative: None,
            nothing_to_do: true,
        }
    }
}

/// The pair a strategy works on.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    /// The on-premises user.
    pub user: &'a OnPremUser,
    /// Its plan.
    pub user_plan: &'a UserPlan,
    /// The cloud user's position.
    pub cloud: usize,
    /// The cloud user.
    pub cloud_user: &'a CloudUser,
}

fn label_of(cloud: &CloudUser) -> String {
    cloud
        .user_principal_name
        .clone()
        .unwrap_or_else(|| cloud.id.clone())
}

fn cloud_name(cloud: &CloudUser) -> String {
    format!("`{}`", label_of(cloud))
}

fn text_or_absent(value: Option<&str>) -> StepValue {
    value.map_or(StepValue::Absent, |text| StepValue::Text(text.to_owned()))
}

/// The AD attribute hard-ad writes: mS-DS-ConsistencyGuid for the default anchor (also when objectGUID
/// was read because it is empty), otherwise the configured attribute.
pub fn hard_ad_attribute(attribute: &AnchorAttribute) -> &str {
    match attribute {
        AnchorAttribute::ConsistencyGuid => CONSISTENCY_GUID,
        AnchorAttribute::Named(name) => name,
    }
}

/// The value an AD attribute holds now, as a step's `before`.
pub fn ad_value(user: &OnPremUser, attribute: &str) -> StepValue {
    let values = user.attribute_values(attribute);
    match values.into_iter().find(|value| !value.is_empty()) {
        None => StepValue::Absent,
        Some(bytes) if is_binary_attribute(attribute) => StepValue::Bytes(bytes),
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => StepValue::Text(text),
            Err(error) => StepValue::Bytes(error.into_bytes()),
        },
    }
}

/// hard-ad: the value the AD anchor attribute must get so that its sourceAnchor is the cloud
/// ImmutableID, or why no value can.
pub fn hard_ad_value(
    immutable_id: &str,
    attribute: &AnchorAttribute,
    encoding: AnchorEncoding,
) -> Result<StepValue, Refusal> {
    let name = hard_ad_attribute(attribute);
    if name.eq_ignore_ascii_case(OBJECT_GUID) || name.eq_ignore_ascii_case("objectSid") {
        return Err(Refusal::new(
            format!(
                "the anchor attribute `{name}` is set by AD and cannot be written: choose \
                 `mS-DS-ConsistencyGuid` as the anchor attribute, or change the cloud side"
            ),
            Some(Strategy::HardCloud),
        ));
    }
    let binary = is_binary_attribute(name);
    let decodes = match encoding {
        AnchorEncoding::Auto => binary,
        AnchorEncoding::Base64 => true,
        AnchorEncoding::Raw => false,
    };
    if !decodes {
        // The attribute's text is the sourceAnchor itself.
        let check = check_anchor(immutable_id, AnchorSource::String);
        if !check.valid {
            let problems: Vec<String> = check.errors.iter().map(ToString::to_string).collect();
            return Err(Refusal::new(
                format!(
                    "the cloud ImmutableID `{immutable_id}` cannot be the value of the string attribute \
                     `{name}`: {}",
                    problems.join("; ")
                ),
                Some(Strategy::HardCloud),
            ));
        }
        return Ok(StepValue::Text(immutable_id.to_owned()));
    }
    let bytes = decode_canonical_base64(immutable_id).map_err(|error| {
        Refusal::new(
            format!(
                "the cloud ImmutableID `{immutable_id}` is not canonical Base64 ({error}), so no AD \
                 value encodes to it; clear it (soft) or replace it with the sourceAnchor (hard-cloud)"
            ),
            Some(Strategy::Soft),
        )
    })?;
    if binary {
        if name.eq_ignore_ascii_case(CONSISTENCY_GUID) && bytes.len() != 16 {
            return Err(Refusal::new(
                format!(
                    "the cloud ImmutableID `{immutable_id}` decodes to {}, not the 16 of a GUID \
                     that `{name}` holds: it was not made from a GUID",
                    crate::wording::count(bytes.len(), "byte", "bytes")
                ),
                Some(Strategy::HardCloud),
            ));
        }
        return Ok(StepValue::Bytes(bytes));
    }
    match String::from_utf8(bytes) {
        Ok(text) if !text.is_empty() && !text.chars().any(char::is_control) => {
            Ok(StepValue::Text(text))
        }
        _ => Err(Refusal::new(
            format!(
                "the cloud ImmutableID `{immutable_id}` decodes to bytes that are not printable text, \
                 which the string attribute `{name}` cannot hold"
            ),
            Some(Strategy::HardCloud),
        )),
    }
}

/// The inputs every precondition reads.
#[derive(Debug)]
pub struct Context<'p, 'a> {
    /// The plan of the inputs as they are.
    pub plan: &'p Plan<'a>,
    /// The on-premises users holding each sourceAnchor value.
    pub anchor_holders: FxHashMap<&'p str, Vec<usize>>,
}

impl<'p, 'a> Context<'p, 'a> {
    /// Indexes the plan's sourceAnchors.
    pub fn new(plan: &'p Plan<'a>) -> Self {
        let mut anchor_holders: FxHashMap<&'p str, Vec<usize>> = FxHashMap::default();
        for user in &plan.users {
            if let Some(anchor) = &user.anchor {
                anchor_holders
                    .entry(anchor.value.as_str())
                    .or_default()
                    .push(user.user);
            }
        }
        Self {
            plan,
            anchor_holders,
        }
    }

    fn holds_role(&self, pair: &Pair<'_>) -> Option<String> {
        let roles = self.plan.index.roles_of(pair.cloud);
        (!roles.is_empty()).then(|| role_list(&roles))
    }

    fn federated(&self, cloud: &CloudUser) -> Option<String> {
        cloud
            .user_principal_name
            .as_deref()
            .and_then(|upn| self.plan.tenant.domain_of(upn))
            .filter(|domain| domain.is_federated())
            .map(|domain| domain.id.clone())
    }
}

/// Whether the pair already hard-matches (the anchor is the cloud user's ImmutableID).
fn already_hard_matched(pair: &Pair<'_>) -> Option<Refusal> {
    let anchor = pair.user_plan.anchor.as_ref()?;
    (non_empty(&pair.cloud_user.on_premises_immutable_id) == Some(anchor.value.as_str())).then(|| {
        let blocked = pair.user_plan.outcome == Outcome::HardMatchBlocked;
        Refusal::done(if blocked {
            format!(
                "nothing to do: the sourceAnchor `{}` already is the ImmutableID of {}; the tenant's \
                 blockCloudObjectTakeoverThroughHardMatchEnabled still blocks the takeover (`anchorsync \
                 tenant matching --block-hard-match off` while matching)",
                anchor.value,
                cloud_name(pair.cloud_user)
            )
        } else {
            format!(
                "nothing to do: already a hard match (the sourceAnchor `{}` is the ImmutableID of {})",
                anchor.value,
                cloud_name(pair.cloud_user)
            )
        })
    })
}

/// hard-ad preconditions, first failing one: the cloud user has an ImmutableID that decodes to a value
/// the anchor attribute can hold, no other AD object holds it, and the user does not hold it already.
pub fn hard_ad_refusal(context: &Context<'_, '_>, pair: &Pair<'_>) -> Result<StepValue, Refusal> {
    if let Some(done) = already_hard_matched(pair) {
        return Err(done);
    }
    let Some(immutable_id) = non_empty(&pair.cloud_user.on_premises_immutable_id) else {
        return Err(Refusal::new(
            format!(
                "{} has no ImmutableID to copy into AD: set it from the sourceAnchor (hard-cloud) or let \
                 the first sync soft-match (soft)",
                cloud_name(pair.cloud_user)
            ),
            Some(Strategy::HardCloud),
        ));
    };
    let settings = &context.plan.settings;
    let value = hard_ad_value(
        immutable_id,
        &settings.anchor_attribute,
        settings.anchor_encoding,
    )?;
    let others: Vec<&str> = context
        .anchor_holders
        .get(immutable_id)
        .into_iter()
        .flatten()
        .filter(|other| **other != pair.user_plan.user)
        .filter_map(|other| context.plan.on_prem.get(*other))
        .map(|other| other.dn.as_str())
        .collect();
    if let Some(other) = others.first() {
        return Err(Refusal::new(
            format!(
                "another AD object, `{other}`, already has the sourceAnchor `{immutable_id}`: two objects \
                 cannot share it"
            ),
            Some(Strategy::HardCloud),
        ));
    }
    Ok(value)
}

/// hard-ad: the one AD step.
pub fn hard_ad_steps(
    context: &Context<'_, '_>,
    pair: &Pair<'_>,
    after: StepValue,
) -> Vec<RemediationStep> {
    let attribute = hard_ad_attribute(&context.plan.settings.anchor_attribute).to_owned();
    vec![RemediationStep {
        system: StepSystem::Ad,
        target: pair.user.dn.clone(),
        label: pair
            .user
            .user_principal_name
            .clone()
            .unwrap_or_else(|| pair.user.dn.clone()),
        before: ad_value(pair.user, &attribute),
        attribute,
        after,
        purpose: StepPurpose::SetAnchor,
    }]
}

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
    }
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
        // The engine does not read deleted users.
        deleted_users: Vec::new(),
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
    };
    wanted && after.cloud_user == Some(cloud)
}

/// A user's remediation before the outcome after is known.
struct Draft {
    remediation: Remediation,
    cloud: Option<usize>,
}

/// Every on-premises user's remediation, by position in the inventory.
pub fn remediate(plan: &Plan<'_>, options: &StrategyOptions) -> Vec<Remediation> {
    let strategy = options.strategy;
    let context = Context::new(plan);
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
                };
            };
            let cloud = match pairing {
                Pairing::Unpaired => {
                    let matched = user_plan
                        .cloud_user
                        .filter(|_| user_plan.outcome.is_match())
                        .and_then(|cloud| plan.index.user(cloud));
                    remediation.reason = Some(match matched {
                        Some(cloud) => format!(
                            "nothing to do: no pairing rule finds a cloud user, and the first sync already \
                             gives `{}` with {} (name another pair in `--mapping` if that is wrong)",
                            user_plan.outcome,
                            cloud_name(cloud)
                        ),
                        None => format!(
                            "no cloud user pairs with this user (no mapping, current anchor, primary SMTP \
                             address, UPN or join attribute in common): nothing to fix; the first sync \
                             gives {}",
                            user_plan.outcome
                        ),
                    });
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
            Draft { remediation, cloud }
        })
        .collect();
    predict_outcomes_after(plan, strategy, &mut drafts);
    drafts.into_iter().map(|draft| draft.remediation).collect()
}

/// Fills `outcomeAfter` by planning again on the inputs with every fixable user's steps applied. A
/// fixable user whose change would not reach the strategy's match is made not fixable, and the rest are
/// planned again without its change (a few rounds at most: each round only removes changes).
fn predict_outcomes_after(plan: &Plan<'_>, strategy: Strategy, drafts: &mut [Draft]) {
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
        let after = super::plan::plan(&on_prem, &tenant, &plan.settings);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineSettings, plan};
    use crate::identifier::encode_base64;
    use crate::tenant::{Domain, OnPremisesSynchronization, RoleAssignment, SyncFeatures};

    const GUID_A: [u8; 16] = [
        0x88, 0x68, 0x66, 0x88, 1, 1, 0x11, 0x11, 0xbb, 0xbb, 0x12, 0x34, 0x56, 0x78, 0x90, 0xab,
    ];
    const GUID_B: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const GUID_C: [u8; 16] = [
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    ];

    fn ad(cn: &str, upn: &str, guid: [u8; 16]) -> OnPremUser {
        OnPremUser {
            dn: format!("CN={cn},DC=corp"),
            user_principal_name: Some(upn.into()),
            proxy_addresses: vec![format!("SMTP:{upn}")],
            consistency_guid: Some(guid.to_vec()),
            ..OnPremUser::default()
        }
    }

    fn cloud(id: &str, upn: &str, immutable_id: Option<&str>) -> CloudUser {
        CloudUser {
            id: id.into(),
            user_principal_name: Some(upn.into()),
            proxy_addresses: vec![format!("SMTP:{upn}")],
            on_premises_immutable_id: immutable_id.map(Into::into),
            account_enabled: Some(true),
            ..CloudUser::default()
        }
    }

    fn tenant(users: Vec<CloudUser>) -> TenantSnapshot {
        let domain = |id: &str, federated: bool, initial: bool| Domain {
            id: id.into(),
            authentication_type: if federated { "Federated" } else { "Managed" }.into(),
            is_initial: initial,
            is_verified: true,
            ..Domain::default()
        };
        TenantSnapshot {
            users,
            domains: vec![
                domain("contoso.onmicrosoft.com", false, true),
                domain("example.com", false, false),
                domain("example.co.jp", true, false),
            ],
            ..TenantSnapshot::default()
        }
    }

    fn with_features(
        mut tenant: TenantSnapshot,
        soft_blocked: bool,
        hard_blocked: bool,
    ) -> TenantSnapshot {
        tenant.on_premises_synchronization = Some(OnPremisesSynchronization {
            id: "t".into(),
            features: SyncFeatures {
                block_soft_match_enabled: Some(soft_blocked),
                block_cloud_object_takeover_through_hard_match_enabled: Some(hard_blocked),
                ..SyncFeatures::default()
            },
            ..OnPremisesSynchronization::default()
        });
        tenant
    }

    fn admin(tenant: &mut TenantSnapshot, id: &str) {
        tenant.role_assignments.push(RoleAssignment {
            id: format!("r-{id}"),
            principal_id: id.into(),
            role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
            ..RoleAssignment::default()
        });
    }

    fn run_with(
        users: &[OnPremUser],
        tenant: &TenantSnapshot,
        strategy: Strategy,
        settings: &EngineSettings,
    ) -> Vec<Remediation> {
        let options = StrategyOptions {
            strategy,
            mapping: Vec::new(),
            join: None,
        };
        let plan = plan(users, tenant, settings).with_strategy(&options, None);
        plan.remediation.map(|r| r.users).unwrap_or_default()
    }

    fn run(users: &[OnPremUser], tenant: &TenantSnapshot, strategy: Strategy) -> Vec<Remediation> {
        run_with(users, tenant, strategy, &EngineSettings::default())
    }

    fn refused(remediation: &Remediation) -> (&str, Option<Strategy>) {
        assert!(!remediation.fixable, "{remediation:?}");
        assert!(remediation.steps.is_empty());
        (
            remediation.reason.as_deref().unwrap_or(""),
            remediation.alternative,
        )
    }

    #[test]
    fn hard_ad_writes_the_decoded_bytes_and_predicts_a_hard_match() {
        let cloud_id = encode_base64(&GUID_B);
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let tenant = tenant(vec![cloud("c1", "taro@example.com", Some(&cloud_id))]);
        let [r] = run(&users, &tenant, Strategy::HardAd).try_into().unwrap();
        assert!(r.fixable, "{r:?}");
        assert_eq!(r.paired_by, ["primarySmtp", "userPrincipalName"]);
        assert_eq!(r.outcome_after.map(Outcome::as_str), Some("hard-match"));
        assert_eq!(
            r.steps,
            [RemediationStep {
                system: StepSystem::Ad,
                target: "CN=Taro,DC=corp".into(),
                label: "taro@example.com".into(),
                attribute: "mS-DS-ConsistencyGuid".into(),
                before: StepValue::Bytes(GUID_A.to_vec()),
                after: StepValue::Bytes(GUID_B.to_vec()),
                purpose: StepPurpose::SetAnchor,
            }]
        );
    }

    #[test]
    fn hard_ad_under_base64_writes_the_decoded_text_of_a_string_attribute() {
        let mut user = ad("Taro", "taro@example.com", GUID_A);
        user.employee_id = Some("E1".into());
        let settings = EngineSettings {
            anchor_attribute: AnchorAttribute::Named("employeeID".into()),
            anchor_encoding: AnchorEncoding::Base64,
            ..EngineSettings::default()
        };
        let tenant = tenant(vec![cloud(
            "c1",
            "taro@example.com",
            Some(&encode_base64(b"E10023")),
        )]);
        let [r] = run_with(&[user], &tenant, Strategy::HardAd, &settings)
            .try_into()
            .unwrap();
        assert!(r.fixable, "{r:?}");
        assert_eq!(r.steps[0].attribute, "employeeID");
        assert_eq!(r.steps[0].before, StepValue::Text("E1".into()));
        assert_eq!(r.steps[0].after, StepValue::Text("E10023".into()));
        assert_eq!(r.outcome_after.map(Outcome::as_str), Some("hard-match"));
    }

    #[test]
    fn hard_ad_refusals_name_the_strategy_that_works() {
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let case = |immutable_id: Option<&str>| {
            let tenant = tenant(vec![cloud("c1", "taro@example.com", immutable_id)]);
            let [r] = run(&users, &tenant, Strategy::HardAd).try_into().unwrap();
            r
        };
        let r = case(None);
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("no ImmutableID"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardCloud));
        let r = case(Some("260051"));
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("not canonical Base64"), "{reason}");
        assert_eq!(alternative, Some(Strategy::Soft));
        let r = case(Some("AQID"));
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("3 bytes"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardCloud));
        // Already the value: nothing to do.
        let r = case(Some(&encode_base64(&GUID_A)));
        let (reason, alternative) = refused(&r);
        assert!(reason.starts_with("nothing to do"), "{reason}");
        assert_eq!(
            (alternative, r.outcome_after.map(Outcome::as_str)),
            (None, Some("hard-match"))
        );
    }

    #[test]
    fn hard_ad_refuses_object_guid_and_a_value_another_object_holds() {
        let users = [
            ad("Taro", "taro@example.com", GUID_A),
            ad("Other", "other@example.com", GUID_B),
        ];
        let tenant = tenant(vec![cloud(
            "c1",
            "taro@example.com",
            Some(&encode_base64(&GUID_B)),
        )]);
        let r = run(&users, &tenant, Strategy::HardAd);
        // Other already hard-matches c1, and Taro pairs with c1 by address: c1 is paired twice.
        let (reason, _) = refused(&r[1]);
        assert!(reason.contains("pairing conflict"), "{reason}");
        assert_eq!(
            r[1].pairing_conflicts.len(),
            2,
            "{:?}",
            r[1].pairing_conflicts
        );
        let (reason, alternative) = refused(&r[0]);
        assert!(
            reason.contains("paired with other on-premises users"),
            "{reason}"
        );
        assert_eq!(alternative, None);
        // With the mapping naming Taro's pair, the other object's anchor refuses the write.
        let options = StrategyOptions {
            strategy: Strategy::HardAd,
            mapping: vec![MappingEntry {
                line: 2,
                on_prem: super::super::pairing::OnPremKey::Dn("CN=Taro,DC=corp".into()),
                cloud: super::super::pairing::CloudKey::Id("c1".into()),
            }],
            join: None,
        };
        let settings = EngineSettings::default();
        let plan = plan(&users, &tenant, &settings).with_strategy(&options, None);
        let users_r = plan.remediation.map(|r| r.users).unwrap_or_default();
        let (reason, alternative) = refused(&users_r[0]);
        assert!(
            reason.contains("another AD object, `CN=Other,DC=corp`"),
            "{reason}"
        );
        assert_eq!(alternative, Some(Strategy::HardCloud));
        // objectGUID is not writable.
        let mut taro = ad("Taro", "taro@example.com", GUID_A);
        taro.object_guid = Some(crate::identifier::ObjectGuid::from_ad_bytes(GUID_A));
        let settings = EngineSettings {
            anchor_attribute: AnchorAttribute::Named("objectGUID".into()),
            ..EngineSettings::default()
        };
        let tenant = tenant_with(cloud(
            "c1",
            "taro@example.com",
            Some(&encode_base64(&GUID_C)),
        ));
        let [r] = run_with(&[taro], &tenant, Strategy::HardAd, &settings)
            .try_into()
            .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("cannot be written"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardCloud));
    }

    fn tenant_with(user: CloudUser) -> TenantSnapshot {
        tenant(vec![user])
    }

    #[test]
    fn hard_ad_under_raw_refuses_a_value_a_string_attribute_cannot_be() {
        let mut user = ad("Taro", "taro@example.com", GUID_A);
        user.employee_id = Some("E1".into());
        let settings = EngineSettings {
            anchor_attribute: AnchorAttribute::Named("employeeID".into()),
            ..EngineSettings::default()
        };
        let tenant = tenant_with(cloud(
            "c1",
            "taro@example.com",
            Some(&encode_base64(&GUID_B)),
        ));
        let [r] = run_with(&[user], &tenant, Strategy::HardAd, &settings)
            .try_into()
            .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("string attribute `employeeID`"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardCloud));
    }

    #[test]
    fn hard_cloud_sets_the_anchor_and_moves_a_federated_upn_away_and_back() {
        let managed = ad("Taro", "taro@example.com", GUID_A);
        let federated = ad("Hanako", "hanako@example.co.jp", GUID_B);
        let tenant = tenant(vec![
            cloud("c1", "taro@example.com", None),
            cloud("c2", "hanako@example.co.jp", Some("aGFuYWtv")),
        ]);
        let r = run(&[managed, federated], &tenant, Strategy::HardCloud);
        assert!(r[0].fixable && r[1].fixable, "{r:?}");
        assert_eq!(r[0].steps.len(), 1);
        assert_eq!(r[0].steps[0].before, StepValue::Absent);
        assert_eq!(r[0].steps[0].after, StepValue::Text(encode_base64(&GUID_A)));
        assert_eq!(r[0].outcome_after.map(Outcome::as_str), Some("hard-match"));
        let purposes: Vec<_> = r[1].steps.iter().map(|s| s.purpose).collect();
        assert_eq!(
            purposes,
            [
                StepPurpose::FederatedUpnAway,
                StepPurpose::SetImmutableId,
                StepPurpose::FederatedUpnBack
            ]
        );
        assert_eq!(
            r[1].steps[0].after,
            StepValue::Text("hanako@contoso.onmicrosoft.com".into())
        );
        assert_eq!(r[1].steps[1].before, StepValue::Text("aGFuYWtv".into()));
        assert_eq!(
            r[1].steps[2].after,
            StepValue::Text("hanako@example.co.jp".into())
        );
        assert_eq!(r[1].outcome_after.map(Outcome::as_str), Some("hard-match"));
    }

    #[test]
    fn hard_cloud_predicts_blocked_when_the_tenant_blocks_takeovers() {
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let tenant = with_features(
            tenant_with(cloud("c1", "taro@example.com", None)),
            false,
            true,
        );
        let [r] = run(&users, &tenant, Strategy::HardCloud)
            .try_into()
            .unwrap();
        assert!(r.fixable);
        assert_eq!(
            r.outcome_after.map(Outcome::as_str),
            Some("hard-match-blocked")
        );
    }

    #[test]
    fn hard_cloud_refusals() {
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let mut synced = cloud("c1", "taro@example.com", None);
        synced.on_premises_sync_enabled = Some(true);
        let [r] = run(&users, &tenant_with(synced), Strategy::HardCloud)
            .try_into()
            .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("synchronised"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardAd));
        let mut with_admin = tenant_with(cloud("c1", "taro@example.com", None));
        admin(&mut with_admin, "c1");
        let [r] = run(&users, &with_admin, Strategy::HardCloud)
            .try_into()
            .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("Global Administrator"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardAd));
        // Another cloud user holds the anchor: c2 is found by anchor, c1 by address, a pairing conflict;
        // the mapping settles it and the holder refuses.
        let two = tenant(vec![
            cloud("c1", "taro@example.com", None),
            cloud("c2", "ghost@example.com", Some(&encode_base64(&GUID_A))),
        ]);
        let [r] = run(&users, &two, Strategy::HardCloud).try_into().unwrap();
        let (reason, _) = refused(&r);
        assert!(
            reason.starts_with("pairing conflict: the current anchor finds `ghost@example.com`"),
            "{reason}"
        );
        // No valid anchor.
        let mut broken = ad("Taro", "taro@example.com", GUID_A);
        broken.consistency_guid = None;
        let [r] = run(
            &[broken],
            &tenant_with(cloud("c1", "taro@example.com", None)),
            Strategy::HardCloud,
        )
        .try_into()
        .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("no valid sourceAnchor"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardAd));
    }

    #[test]
    fn soft_clears_the_immutable_id_and_predicts_the_soft_match() {
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let tenant = tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv")));
        let [r] = run(&users, &tenant, Strategy::Soft).try_into().unwrap();
        assert!(r.fixable, "{r:?}");
        assert_eq!(r.steps[0].purpose, StepPurpose::ClearImmutableId);
        assert_eq!(r.steps[0].after, StepValue::Absent);
        assert_eq!(
            r.outcome_after.map(Outcome::as_str),
            Some("soft-match-smtp")
        );
    }

    #[test]
    fn soft_refusals() {
        let users = [ad("Hanako", "hanako@example.co.jp", GUID_A)];
        let tenant_f = tenant_with(cloud("c1", "hanako@example.co.jp", Some("aGFuYWtv")));
        let [r] = run(&users, &tenant_f, Strategy::Soft).try_into().unwrap();
        let (reason, alternative) = refused(&r);
        assert!(
            reason.contains("federated domain `example.co.jp`"),
            "{reason}"
        );
        assert_eq!(alternative, Some(Strategy::HardAd));
        let users = [ad("Taro", "taro@example.com", GUID_A)];
        let mut admin_tenant = tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv")));
        admin(&mut admin_tenant, "c1");
        let [r] = run(&users, &admin_tenant, Strategy::Soft)
            .try_into()
            .unwrap();
        let (reason, alternative) = refused(&r);
        assert!(
            reason.contains("never soft-matches onto an admin"),
            "{reason}"
        );
        assert_eq!(alternative, Some(Strategy::HardAd));
        let blocked = with_features(
            tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv"))),
            true,
            false,
        );
        let [r] = run(&users, &blocked, Strategy::Soft).try_into().unwrap();
        let (reason, alternative) = refused(&r);
        assert!(reason.contains("blockSoftMatchEnabled"), "{reason}");
        assert_eq!(alternative, Some(Strategy::HardCloud));
        // Paired by the join attribute only: no address in common, so no soft match would find it.
        let mut user = ad("Taro", "taro@corp.local", GUID_A);
        user.employee_id = Some("E1".into());
        let mut c = cloud("c1", "t.yamada@example.com", Some("aGFuYWtv"));
        c.employee_id = Some("E1".into());
        let options = StrategyOptions {
            strategy: Strategy::Soft,
            mapping: Vec::new(),
            join: JoinAttribute::parse("employeeId"),
        };
        let tenant = tenant_with(c);
        let settings = EngineSettings::default();
        let users = [user];
        let plan = plan(&users, &tenant, &settings).with_strategy(&options, None);
        let r = &plan.remediation.as_ref().unwrap().users[0];
        assert_eq!(r.paired_by, ["joinAttribute"]);
        let (reason, alternative) = refused(r);
        assert!(
            reason.contains("neither the primary SMTP address nor the userPrincipalName"),
            "{reason}"
        );
        assert_eq!(alternative, Some(Strategy::HardCloud));
    }

    #[test]
    fn a_change_that_would_end_ambiguous_is_not_fixable() {
        // Taro pairs with c1 by UPN; Jiro's primary address is a secondary address of c1. Once c1's
        // ImmutableID is cleared both soft-match c1: ambiguous, so the clear fixes nothing.
        let mut taro = ad("Taro", "taro@example.com", GUID_A);
        taro.proxy_addresses = vec!["SMTP:taro.y@example.com".into()];
        let mut jiro = ad("Jiro", "jiro@example.com", GUID_B);
        jiro.proxy_addresses = vec!["SMTP:sales@example.com".into()];
        let mut c1 = cloud("c1", "taro@example.com", Some("aGFuYWtv"));
        c1.proxy_addresses.push("smtp:sales@example.com".into());
        let tenant = tenant_with(c1);
        let r = run(&[jiro, taro], &tenant, Strategy::Soft);
        let (reason, _) = refused(&r[1]);
        assert!(reason.contains("would then give `ambiguous`"), "{reason}");
        assert_eq!(
            r[1].outcome_after.map(Outcome::as_str),
            Some("invalid-soft-match")
        );
    }

    #[test]
    fn applying_steps_changes_ad_and_cloud_values() {
        let mut users = vec![ad("Taro", "taro@example.com", GUID_A)];
        let mut tenant = tenant_with(cloud("c1", "taro@example.com", None));
        let steps = [
            RemediationStep {
                system: StepSystem::Ad,
                target: "cn=taro,dc=corp".into(),
                label: String::new(),
                attribute: "employeeNumber".into(),
                before: StepValue::Absent,
                after: StepValue::Text("42".into()),
                purpose: StepPurpose::SetAnchor,
            },
            RemediationStep {
                system: StepSystem::Cloud,
                target: "c1".into(),
                label: String::new(),
                attribute: IMMUTABLE_ID.into(),
                before: StepValue::Absent,
                after: StepValue::Text("x".into()),
                purpose: StepPurpose::SetImmutableId,
            },
        ];
        apply_steps(&mut users, &mut tenant, &steps);
        assert_eq!(users[0].employee_number.as_deref(), Some("42"));
        assert_eq!(
            tenant.users[0].on_premises_immutable_id.as_deref(),
            Some("x")
        );
    }
}
