//! The sentences of a plan: each reason and warning names the attributes and values that decided.
//!
//! Sentences are written when a plan is rendered, not stored with it: a million-user plan keeps only
//! typed decisions in memory.

use std::fmt::Write as _;

use crate::directory::OnPremUser;
use crate::tenant::CloudUser;

use super::index::non_empty;
use super::plan::{Caution, Outcome, Plan, UserPlan};
use super::rules::{
    Candidate, Conflict, ConflictAttribute, HardMatch, MatchedBy, SmtpMatchScope, SoftMatch,
};
use super::source_anchor::{AnchorNote, AnchorProblem, SourceAnchor};
use super::upn::{QUARANTINE_DIGITS, UpnPrediction, UpnRewrite, UpnSource, predict_upn};

/// Names of common built-in directory roles by template id (Microsoft Entra "built-in roles" reference).
const ROLE_NAMES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
    ),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
    ),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"),
];

/// A role's name when it is a well-known built-in role, its id otherwise.
pub fn role_name(role_definition_id: &str) -> &str {
    ROLE_NAMES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(role_definition_id))
        .map_or(role_definition_id, |(_, name)| name)
}

/// `Global Administrator, `0000...`` for a list of roleDefinitionIds.
pub fn role_list<S: AsRef<str>>(roles: &[S]) -> String {
    roles
        .iter()
        .map(|role| {
            let name = role_name(role.as_ref());
            if name == role.as_ref() {
                format!("`{name}`")
            } else {
                name.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How an on-premises user is named in a sentence: its DN.
fn on_prem_label(plan: &Plan<'_>, position: usize) -> String {
    plan.on_prem.get(position).map_or_else(
        || format!("user #{position}"),
        |user| format!("`{}`", user.dn),
    )
}

/// `` `upn` (id `...`) `` for a cloud user.
fn cloud_label(plan: &Plan<'_>, position: usize) -> String {
    match plan.index.user(position) {
        Some(user) => match non_empty(&user.user_principal_name) {
            Some(upn) => format!("`{upn}` (id `{}`)", user.id),
            None => format!("id `{}`", user.id),
        },
        None => format!("#{position}"),
    }
}

/// At most three names, then how many more.
fn some_of(names: Vec<String>) -> String {
    let total = names.len();
    let mut shown: Vec<String> = names.into_iter().take(3).collect();
    if total > 3 {
        shown.push(format!("{} more", total - 3));
    }
    match shown.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn on_off(value: bool) -> &'static str {
    if value { "on" } else { "off" }
}

fn anchor_origin(anchor: &SourceAnchor) -> String {
    let value = &anchor.value;
    if anchor.fallback {
        format!(
            "sourceAnchor `{value}` is objectGUID, Base64-encoded: mS-DS-ConsistencyGuid is empty, and Entra Connect \
             writes objectGUID into it before the first export."
        )
    } else if anchor.base64 {
        format!(
            "sourceAnchor `{value}` is {}, Base64-encoded.",
            anchor.attribute
        )
    } else {
        format!(
            "sourceAnchor `{value}` is {} as it is (a string attribute).",
            anchor.attribute
        )
    }
}

fn anchor_problem(problem: &AnchorProblem, anchor: Option<&SourceAnchor>) -> String {
    const STOP: &str = "Entra Connect does not export the user until this is fixed.";
    match problem {
        AnchorProblem::Missing {
            attribute,
            fallback: Some(fallback),
        } => format!(
            "{attribute} and {fallback} are both empty: the user has no sourceAnchor. {STOP}"
        ),
        AnchorProblem::Missing {
            attribute,
            fallback: None,
        } => format!("{attribute} is empty: the user has no sourceAnchor. {STOP}"),
        AnchorProblem::MultiValued { attribute, count } => format!(
            "{attribute} has {count} values, and a sourceAnchor must be a single value. {STOP}"
        ),
        AnchorProblem::NotText { attribute } => format!(
            "{attribute} holds bytes that are not UTF-8 text, and --anchor-encoding raw copies the value as text: \
             use --anchor-encoding auto (Entra Connect) or base64 (HENNGE) for a binary attribute. {STOP}"
        ),
        AnchorProblem::BrokenRules { violations } => {
            let rules = violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            match anchor {
                Some(anchor) => format!(
                    "sourceAnchor `{}` (from {}) breaks the sourceAnchor rules: {rules}. {STOP}",
                    anchor.value, anchor.attribute
                ),
                None => format!("The sourceAnchor breaks the sourceAnchor rules: {rules}. {STOP}"),
            }
        }
    }
}

fn hard_match_sentence(plan: &Plan<'_>, hard: HardMatch, anchor: &str) -> String {
    let who = cloud_label(plan, hard.cloud());
    match hard {
        HardMatch::Takeover { .. } => format!(
            "Cloud user {who} has onPremisesImmutableId `{anchor}` and is cloud-managed, and \
             blockCloudObjectTakeoverThroughHardMatchEnabled is off: Entra hard-matches it, and AD becomes its source."
        ),
        HardMatch::Join { .. } => format!(
            "Cloud user {who} has onPremisesImmutableId `{anchor}` and is already synchronised \
             (onPremisesSyncEnabled true): Entra Connect joins it, whatever blockCloudObjectTakeoverThroughHardMatchEnabled says."
        ),
        HardMatch::Blocked { .. } => format!(
            "Cloud user {who} has onPremisesImmutableId `{anchor}` but is cloud-managed, and \
             blockCloudObjectTakeoverThroughHardMatchEnabled is on: Entra refuses the takeover (InvalidHardMatch) and \
             the user is not exported. Turn the block off while matching, and on again afterwards."
        ),
    }
}

/// How a candidate was found, as the start of a sentence.
fn candidate_found(
    plan: &Plan<'_>,
    user: &OnPremUser,
    upn: Option<&str>,
    candidate: Candidate,
) -> String {
    let who = cloud_label(plan, candidate.cloud);
    let smtp = user.primary_smtp().unwrap_or_default();
    let upn = upn.unwrap_or_default();
    match candidate.by {
        MatchedBy::PrimarySmtp => {
            format!(
                "Its primary SMTP address `{smtp}` is the primary SMTP address of cloud user {who}"
            )
        }
        MatchedBy::SecondaryProxyAddress => {
            format!(
                "Its primary SMTP address `{smtp}` is a secondary proxy address of cloud user {who}"
            )
        }
        MatchedBy::UpnToPrimarySmtp => format!(
            "Its userPrincipalName `{upn}` is the primary SMTP address of cloud user {who} (a soft-match case \
             Sander Berkouwer lists in \"The Hard Part of Soft Matching\")"
        ),
        MatchedBy::PrimarySmtpToUpn => format!(
            "Its primary SMTP address `{smtp}` is the userPrincipalName of cloud user {who} (a soft-match case \
             Sander Berkouwer lists in \"The Hard Part of Soft Matching\")"
        ),
        MatchedBy::UserPrincipalName => {
            let no_smtp = if smtp.is_empty() {
                "It has no primary SMTP address".to_owned()
            } else {
                format!("No cloud user holds its primary SMTP address `{smtp}`")
            };
            format!(
                "{no_smtp}, and its userPrincipalName `{upn}` is the userPrincipalName of cloud user {who}"
            )
        }
    }
}

fn candidate_short(
    plan: &Plan<'_>,
    user: &OnPremUser,
    upn: Option<&str>,
    candidate: Candidate,
) -> String {
    let who = cloud_label(plan, candidate.cloud);
    let smtp = user.primary_smtp().unwrap_or_default();
    let upn = upn.unwrap_or_default();
    match candidate.by {
        MatchedBy::PrimarySmtp => format!("{who} by primary SMTP address `{smtp}`"),
        MatchedBy::SecondaryProxyAddress => format!("{who} by secondary proxy address `{smtp}`"),
        MatchedBy::UpnToPrimarySmtp => format!("{who} by its primary SMTP address `{upn}`"),
        MatchedBy::PrimarySmtpToUpn => format!("{who} by its userPrincipalName `{smtp}`"),
        MatchedBy::UserPrincipalName => format!("{who} by userPrincipalName `{upn}`"),
    }
}

fn conflict_sentence(plan: &Plan<'_>, conflict: &Conflict, predicted: Option<&str>) -> String {
    let who = cloud_label(plan, conflict.cloud);
    let value = &conflict.value;
    match conflict.attribute {
        ConflictAttribute::OnPremiseSecurityIdentifier => {
            let current = plan
                .index
                .user(conflict.cloud)
                .and_then(|cloud| non_empty(&cloud.on_premises_immutable_id))
                .map_or_else(|| "none".to_owned(), |id| format!("`{id}`"));
            format!(
                "Its objectSid `{value}` is the onPremisesSecurityIdentifier of cloud user {who}, whose \
                 onPremisesImmutableId ({current}) is not this sourceAnchor: the export fails with \
                 AttributeValueMustBeUnique (OnPremiseSecurityIdentifier) and no user is created. This usually means \
                 the same person is provisioned again: make the AD anchor equal that user's onPremisesImmutableId \
                 (Microsoft's \"When you have an existing tenant\" page)."
            )
        }
        ConflictAttribute::UserPrincipalName => format!(
            "Its userPrincipalName `{value}` already belongs to cloud user {who}, which it does not match: \
             duplicate-attribute resiliency gives the new user `{}` ({QUARANTINE_DIGITS} are four digits Entra picks) \
             and records the conflict in onPremisesProvisioningErrors.",
            predicted.unwrap_or("<prefix>####@<initial domain>")
        ),
        ConflictAttribute::ProxyAddresses => format!(
            "Its proxy address `{value}` already belongs to cloud user {who}: Entra drops it from the new user \
             (duplicate-attribute resiliency) until the conflict is resolved."
        ),
    }
}

fn upn_rewrite_sentence(upn: &UpnPrediction<'_>) -> Option<String> {
    let rewrite = upn.rewrite.as_ref()?;
    let exported = upn.exported.as_deref().unwrap_or_default();
    let why = match rewrite {
        UpnRewrite::DomainNotInTenant { suffix } => {
            format!("ends in `{suffix}`, which is not a domain of the tenant")
        }
        UpnRewrite::DomainNotVerified { suffix } => {
            format!("ends in `{suffix}`, a domain of the tenant that is not verified")
        }
        UpnRewrite::Malformed => "contains whitespace or no `@`".to_owned(),
    };
    Some(match (&upn.value, &upn.nickname) {
        (Some(value), Some((nickname, source))) => format!(
            "userPrincipalName `{exported}` {why}: Entra sets `{value}` instead (mailNickname `{nickname}`, from {}).",
            source.describe()
        ),
        _ => format!(
            "userPrincipalName `{exported}` {why}: Entra sets `<mailNickname>@<initial domain>` instead, and this \
             plan cannot say which (no mailNickname source, or no initial domain in the snapshot)."
        ),
    })
}

fn soft_match_sentences(
    plan: &Plan<'_>,
    user_plan: &UserPlan,
    user: &OnPremUser,
    upn: Option<&str>,
    reasons: &mut Vec<String>,
) {
    let Some(soft) = &user_plan.soft_match else {
        return;
    };
    let secondary = super::plan::candidates_of(soft)
        .iter()
        .any(|candidate| candidate.by == MatchedBy::SecondaryProxyAddress);
    let anchor = user_plan
        .anchor
        .as_ref()
        .map_or("", |anchor| anchor.value.as_str());
    let details = user_plan.details();
    match soft {
        SoftMatch::Matched(candidate) if details.contested_with.is_empty() => {
            let stage = if candidate.by.is_smtp() {
                "by SMTP".to_owned()
            } else {
                "by UPN (softMatchOnUpnEnabled is on)".to_owned()
            };
            reasons.push(format!(
                "{}, which has no onPremisesImmutableId and no directory role: Entra soft-matches it {stage} and writes \
                 `{anchor}` into its onPremisesImmutableId.",
                candidate_found(plan, user, upn, *candidate)
            ));
        }
        SoftMatch::Matched(candidate) => {
            reasons.push(format!("{}.", candidate_found(plan, user, upn, *candidate)));
            let others = details
                .contested_with
                .iter()
                .map(|other| on_prem_label(plan, *other))
                .collect();
            reasons.push(format!(
                "That cloud user is also the soft-match candidate of {}: only the first of them exported matches it, \
                 the others get InvalidSoftMatch or a duplicate, and the export order cannot be predicted.",
                some_of(others)
            ));
        }
        SoftMatch::Ambiguous(candidates) => {
            let found = candidates
                .iter()
                .map(|candidate| candidate_short(plan, user, upn, *candidate))
                .collect();
            reasons.push(format!(
                "Different cloud users are soft-match candidates: {}. Entra tries SMTP before UPN, but anchorsync \
                 reports rules that disagree instead of guessing which pair is meant.",
                some_of(found)
            ));
        }
        SoftMatch::AdminRoleConflict { candidate, roles } => {
            let also = refused_immutable_id(plan, *candidate)
                .map(|id| format!(" It also has onPremisesImmutableId `{id}`."))
                .unwrap_or_default();
            reasons.push(format!(
                "{}, which holds the directory role {}: Entra does not match on-premises users onto cloud users with an \
                 admin role, and creates a second user instead (remove the role while matching, then add it \
                 back).{also}",
                candidate_found(plan, user, upn, *candidate),
                role_list(roles)
            ));
        }
        SoftMatch::InvalidSoftMatch {
            candidate,
            immutable_id,
        } => {
            reasons.push(format!(
                "{}, which already has onPremisesImmutableId `{immutable_id}`: Entra refuses the soft match \
                 (InvalidSoftMatch); with duplicate-attribute resiliency it may instead create a second user and \
                 quarantine the shared values (AttributeValueMustBeUnique on ProxyAddresses or \
                 OnPremiseSecurityIdentifier; Microsoft's \"When you have an existing tenant\" page).",
                candidate_found(plan, user, upn, *candidate)
            ));
            reasons.push(match details.immutable_id_holder {
                Some(holder) => format!(
                    "`{immutable_id}` is the sourceAnchor of {} in this inventory.",
                    on_prem_label(plan, holder)
                ),
                None => format!(
                    "No on-premises user in this inventory has sourceAnchor `{immutable_id}`: it was set by another \
                     source (HENNGE Access Control, a previous sync, or by hand)."
                ),
            });
        }
        SoftMatch::Blocked { candidates } => {
            let found: Vec<String> = candidates
                .iter()
                .map(|candidate| candidate_short(plan, user, upn, *candidate))
                .collect();
            if found.is_empty() {
                reasons
                    .push("blockSoftMatchEnabled is on, so Entra does not soft match.".to_owned());
            } else {
                reasons.push(format!(
                    "blockSoftMatchEnabled is on, so Entra does not soft match, although cloud user {} would be a \
                     candidate.",
                    some_of(found)
                ));
            }
        }
        SoftMatch::NoCandidate { upn_ignored } => {
            if let Some(cloud) = upn_ignored {
                reasons.push(format!(
                    "Cloud user {} has the same userPrincipalName `{}`, but softMatchOnUpnEnabled is off, so Entra does \
                     not soft match by UPN.",
                    cloud_label(plan, *cloud),
                    upn.unwrap_or_default()
                ));
            }
        }
    }
    if secondary {
        reasons.push(SECONDARY_PROXY_CHOICE.to_owned());
    }
}

/// The choice behind a match on a secondary cloud proxy address, said where it decided.
const SECONDARY_PROXY_CHOICE: &str = "A secondary cloud proxy address counts as an SMTP match here: anchorsync \
     compares with every cloud proxy address, as Microsoft's InvalidSoftMatch example does, while Entra Connect's \
     existing-tenant page names only primary addresses (`--smtp-match primary` plans that reading).";

fn refused_immutable_id<'t>(plan: &Plan<'t>, candidate: Candidate) -> Option<&'t str> {
    plan.index
        .user(candidate.cloud)
        .and_then(|cloud| non_empty(&cloud.on_premises_immutable_id))
}

/// The reasons for one user's outcome, in the order Entra applies its rules.
pub fn reasons(plan: &Plan<'_>, user_plan: &UserPlan) -> Vec<String> {
    let mut reasons = Vec::new();
    let Some(user) = plan.on_prem.get(user_plan.user) else {
        return reasons;
    };
    let details = user_plan.details();
    if let Some(anchor) = &user_plan.anchor
        && details.anchor_problem.is_none()
    {
        reasons.push(anchor_origin(anchor));
    }
    if let Some(problem) = &details.anchor_problem {
        reasons.push(anchor_problem(problem, user_plan.anchor.as_ref()));
        return reasons;
    }
    let upn = predict_upn(user, plan.tenant);
    let anchor = user_plan
        .anchor
        .as_ref()
        .map_or("", |anchor| anchor.value.as_str());
    if !details.duplicates.is_empty() {
        let others = details
            .duplicates
            .iter()
            .map(|other| on_prem_label(plan, *other))
            .collect();
        reasons.push(format!(
            "It is also the sourceAnchor of {}: a sourceAnchor must be unique, so only the first of them Entra Connect \
             exports gets it, and the others fail to export.",
            some_of(others)
        ));
        if let Some(hard) = user_plan.hard_match {
            reasons.push(format!(
                "Cloud user {} has onPremisesImmutableId `{anchor}`: whichever is exported first hard-matches it.",
                cloud_label(plan, hard.cloud())
            ));
        }
        return reasons;
    }
    if let Some(hard) = user_plan.hard_match {
        reasons.push(hard_match_sentence(plan, hard, anchor));
        if let Some(sentence) = upn_rewrite_sentence(&upn) {
            reasons.push(sentence);
        }
        return reasons;
    }
    reasons.push(format!(
        "No cloud user has onPremisesImmutableId `{anchor}`, so there is no hard match."
    ));
    soft_match_sentences(plan, user_plan, user, upn.exported.as_deref(), &mut reasons);
    match user_plan.outcome {
        Outcome::Create => {
            let blocked = matches!(user_plan.soft_match, Some(SoftMatch::Blocked { .. }));
            if !blocked {
                let smtp = user
                    .primary_smtp()
                    .map(|smtp| format!("its primary SMTP address `{smtp}`"));
                let exported = upn
                    .exported
                    .as_deref()
                    .map(|upn| format!("its userPrincipalName `{upn}`"));
                let keys: Vec<String> = smtp.into_iter().chain(exported).collect();
                if !keys.is_empty() {
                    reasons.push(format!("No cloud user holds {}.", keys.join(" or ")));
                }
            }
            reasons.push("Entra creates a new cloud user.".to_owned());
        }
        Outcome::CreateWithConflict => {
            reasons
                .push("Entra creates a new cloud user, but a value it needs is taken.".to_owned());
            for conflict in &details.conflicts {
                reasons.push(conflict_sentence(
                    plan,
                    conflict,
                    user_plan.predicted_upn(user),
                ));
            }
        }
        _ => {}
    }
    if let Some(sentence) = upn_rewrite_sentence(&upn) {
        reasons.push(sentence);
    }
    if upn.source == UpnSource::SamAccountName
        && let Some(exported) = &upn.exported
    {
        reasons.push(format!(
            "The user has no userPrincipalName: Entra Connect's default rule exports `{exported}` \
             (sAMAccountName@AD domain)."
        ));
    }
    reasons
}

fn caution_sentence(plan: &Plan<'_>, user_plan: &UserPlan, caution: &Caution) -> String {
    let predicted_upn = plan
        .on_prem
        .get(user_plan.user)
        .and_then(|user| user_plan.predicted_upn(user))
        .unwrap_or_default();
    let anchor = user_plan
        .anchor
        .as_ref()
        .map_or("", |anchor| anchor.value.as_str());
    match caution {
        Caution::Disabled {
            user_account_control,
            cloud_enabled,
        } => {
            let mut text = format!(
                "The account is disabled in AD (userAccountControl `{user_account_control}`): the cloud user will be \
                 disabled too."
            );
            if let Some(cloud) = cloud_enabled {
                let _ = write!(
                    text,
                    " Cloud user {} is enabled today (accountEnabled true): the first sync disables it, and its owner \
                     can no longer sign in.",
                    cloud_label(plan, *cloud)
                );
            }
            text
        }
        Caution::Anchor(AnchorNote::ConsistencyGuidLength { len }) => format!(
            "mS-DS-ConsistencyGuid holds {}, not the 16 of a GUID: Entra Connect did not write it; find out \
             what did before trusting it as the anchor.",
            crate::wording::count(*len, "byte", "bytes")
        ),
        Caution::Anchor(AnchorNote::NameBasedAttribute { attribute }) => format!(
            "The anchor attribute {attribute} holds a name or address: it changes when the person is renamed, and a \
             sourceAnchor must never change."
        ),
        Caution::Anchor(AnchorNote::NameBasedValue) => format!(
            "sourceAnchor `{anchor}` looks like an address or a name, which change when people do."
        ),
        Caution::Anchor(AnchorNote::Whitespace) => format!(
            "sourceAnchor `{anchor}` has leading or trailing whitespace, which copy and paste and many tools lose."
        ),
        Caution::AnchorCaseOnly { others } => format!(
            "sourceAnchor `{anchor}` differs only by case from the sourceAnchor of {}: Entra tells them apart, but \
             identity providers and tools that ignore case do not.",
            some_of(others.iter().map(|other| on_prem_label(plan, *other)).collect())
        ),
        Caution::ImmutableIdCaseOnly { cloud } => format!(
            "Cloud user {} has onPremisesImmutableId `{}`, which differs from sourceAnchor `{anchor}` only by case: \
             Entra compares case-sensitively, so this is not a hard match.",
            cloud_label(plan, *cloud),
            plan.index
                .user(*cloud)
                .and_then(|user| user.on_premises_immutable_id.as_deref())
                .unwrap_or_default()
        ),
        Caution::TargetHoldsRoles { cloud, roles } => format!(
            "Cloud user {} holds the directory role {}: after the match, whoever controls the AD account controls \
             this administrator, and Microsoft recommends against synchronising on-premises accounts with existing \
             administrative accounts.",
            cloud_label(plan, *cloud),
            role_list(roles)
        ),
        Caution::FederatedImmutableId { domain } => format!(
            "`{}` is in the federated domain `{domain}`: after the first sync its onPremisesImmutableId is `{anchor}`, \
             and the identity provider must send exactly that as the ImmutableID (SAML NameID), or sign-in fails with \
             AADSTS51004.",
            predicted_upn
        ),
        Caution::SyncedElsewhere { cloud } => {
            let synced_from = plan
                .index
                .user(*cloud)
                .and_then(|user| non_empty(&user.on_premises_distinguished_name));
            match synced_from {
                Some(dn) => format!(
                    "Cloud user {} is already synchronised from `{dn}` (onPremisesDistinguishedName), another object \
                     than this one: two sources would overwrite each other; stop the other synchronisation before the \
                     first export.",
                    cloud_label(plan, *cloud)
                ),
                None => format!(
                    "Cloud user {} is already synchronised (onPremisesSyncEnabled true) by a sync client that does not \
                     report onPremisesDistinguishedName: make sure that synchronisation is stopped before the first \
                     export, or both will overwrite each other.",
                    cloud_label(plan, *cloud)
                ),
            }
        }
        Caution::SignInNameChanges { cloud } => format!(
            "The sign-in name of cloud user {} changes to `{}`: tell the user before the first sync.",
            cloud_label(plan, *cloud),
            predicted_upn
        ),
        Caution::UpnTaken { cloud } => format!(
            "userPrincipalName `{}` already belongs to cloud user {}: Entra cannot apply it, records the conflict in \
             onPremisesProvisioningErrors and gives the matched user a quarantine value instead.",
            predicted_upn,
            cloud_label(plan, *cloud)
        ),
        Caution::ProxyAddressesLost { cloud, addresses } => format!(
            "The first sync replaces the proxy addresses of cloud user {}: {} {} only in the cloud and {} receiving \
             mail unless added to proxyAddresses in AD.",
            cloud_label(plan, *cloud),
            addresses
                .iter()
                .map(|address| format!("`{address}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if addresses.len() == 1 { "exists" } else { "exist" },
            if addresses.len() == 1 { "stops" } else { "stop" },
        ),
        Caution::UpnFromSamAccountName => {
            "The user has no userPrincipalName: set one in AD (a verified domain) rather than rely on \
             sAMAccountName@AD domain."
                .to_owned()
        }
        Caution::NoUpn => "The user has neither userPrincipalName nor sAMAccountName: Entra Connect's default rule \
                           cannot export it (AccountName is not present)."
            .to_owned(),
        Caution::NoInitialDomain => "The snapshot lists no initial *.onmicrosoft.com domain, so the userPrincipalName \
                                     Entra will set cannot be predicted."
            .to_owned(),
    }
}

/// The warnings for one user.
pub fn warnings(plan: &Plan<'_>, user_plan: &UserPlan) -> Vec<String> {
    user_plan
        .cautions
        .iter()
        .map(|caution| caution_sentence(plan, user_plan, caution))
        .collect()
}

/// The warnings for a cloud user no on-premises user reaches.
pub fn cloud_only_warnings(plan: &Plan<'_>, cloud: &CloudUser) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(id) = non_empty(&cloud.on_premises_immutable_id) {
        let federated = cloud
            .user_principal_name
            .as_deref()
            .and_then(|upn| plan.tenant.domain_of(upn))
            .filter(|domain| domain.is_federated());
        let mut text = format!(
            "It carries onPremisesImmutableId `{id}`, and no on-premises user in this inventory has that sourceAnchor."
        );
        if let Some(domain) = federated {
            let _ = write!(
                text,
                " Its userPrincipalName is in the federated domain `{}`, so its sign-in depends on the identity \
                 provider sending `{id}`.",
                domain.id
            );
        }
        text.push_str(
            " If this person has an AD account, its anchor does not match; if not, nobody maintains this user once AD \
             is the source.",
        );
        warnings.push(text);
    }
    if cloud.is_synced() {
        let from = non_empty(&cloud.on_premises_distinguished_name)
            .map(|dn| format!(" from `{dn}`"))
            .unwrap_or_default();
        warnings.push(format!(
            "It is synchronised (onPremisesSyncEnabled true){from}, but no on-premises user in this inventory reaches \
             it: check the scope of the inventory; if its source stops, it stays behind as an orphan."
        ));
    }
    warnings
}

/// A one-line description of the matching switches, for reports.
pub fn switches(plan: &Plan<'_>) -> String {
    format!(
        "blockSoftMatchEnabled {}, blockCloudObjectTakeoverThroughHardMatchEnabled {}, softMatchOnUpnEnabled {}, SMTP \
         soft match against {}",
        on_off(plan.features.block_soft_match()),
        on_off(plan.features.block_hard_match_takeover()),
        on_off(plan.features.soft_match_on_upn()),
        match plan.settings.smtp_match {
            SmtpMatchScope::AnyProxyAddress => "any cloud proxy address",
            SmtpMatchScope::Primary => "cloud primary SMTP addresses only",
        }
    )
}
