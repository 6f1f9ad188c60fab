//! `hard-ad`: write the cloud user's ImmutableID, decoded, into the AD anchor attribute, so that the
//! sourceAnchor AD exports is the value the cloud user already has. One AD step; refused when AD sets the
//! attribute itself, when no AD value encodes to the ImmutableID, or when another object holds it.

use crate::anchor::{AnchorSource, check_anchor};
use crate::directory::{OnPremUser, is_binary_attribute};
use crate::identifier::decode_canonical_base64;
use crate::remediation::{RemediationStep, StepPurpose, StepSystem, StepValue, Strategy};

use super::super::index::non_empty;
use super::super::source_anchor::{AnchorAttribute, AnchorEncoding, CONSISTENCY_GUID, OBJECT_GUID};
use super::context::{Context, Pair, Refusal, already_hard_matched, cloud_name};

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
