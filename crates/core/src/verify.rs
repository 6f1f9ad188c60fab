//! `anchorsync verify`: does every user's ImmutableID agree across AD (the sourceAnchor), Microsoft 365
//! (onPremisesImmutableId) and the identity provider (HENNGE Access Control's ImmutableID)?
//!
//! Federated sign-in sends the IdP's ImmutableID as the SAML NameID and Entra looks the user up by
//! it (docs/rules.md §4,
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp>): when
//! it is not the cloud onPremisesImmutableId, sign-in fails with AADSTS51004. Once AD is the source,
//! the first sync writes the sourceAnchor, and the IdP (HENNGE's Directory Sync Tool reading AD) sends
//! it: every value must be the same by then.
//!
//! **One prediction.** Verify does not pair AD users with cloud users itself: it takes the match
//! engine's decision ([`crate::engine::plan()`]) for every user. Each record carries the engine's
//! `outcome` and the cloud user the engine names, and the status is derived from that one decision
//! ([`derive()`]), so `verify` and `plan` never say different things about what the first sync does.
//!
//! | outcome | status (before the IdP is compared) |
//! |---|---|
//! | `hard-match` | `agree`: the cloud ImmutableID is the sourceAnchor |
//! | `soft-match-smtp`, `soft-match-upn` | `soft-match-pending`: the first sync writes the sourceAnchor |
//! | `create` | `no-cloud-user`: the first sync creates one |
//! | `invalid-anchor` | `no-anchor` |
//! | every other outcome | `will-not-match`: the first sync will not match the user as intended |
//!
//! With an IdP export, an `agree` or `soft-match-pending` user becomes `disagree` when the IdP sends
//! another value, and `not-in-idp` when a user of a federated domain is missing from the export. A user
//! of a federated domain is flagged `signInRisk` when sign-in fails with AADSTS51004 now (the IdP's value
//! is not the cloud's) or after the switch-over (the IdP then sends the sourceAnchor, but the first sync
//! leaves the cloud user the engine names with another value).
//!
//! The IdP is paired with AD by userPrincipalName (the cloud user's or the AD user's), else by username
//! (the AD userPrincipalName, its prefix, or sAMAccountName): that pairing is the IdP's own, not a
//! prediction of Entra's.
//!
//! The JSON report is documented in `docs/verify-format.md`.

use serde::{Deserialize, Serialize};

use crate::directory::{OnPremUser, trim};
use crate::engine::explain::reasons as engine_reasons;
use crate::engine::index::{FoldedMap, non_empty};
use crate::engine::{Outcome, Plan, Summary, UserPlan};

/// The version of the verify report format. 2: records carry the engine's `outcome` and `cloudUserId`,
/// the `will-not-match` status, and `summary.outcomes`; `sourceAnchor` is the engine's (also when it
/// breaks the rules).
pub const VERIFY_FORMAT_VERSION: u32 = 2;

/// A user of the identity provider's export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpUser {
    /// The line in the export (for messages).
    pub line: usize,
    /// The sign-in name linked to Microsoft 365 (HAC: Login ID / UserPrincipalName / Email).
    pub user_principal_name: Option<String>,
    /// The IdP's own username.
    pub username: Option<String>,
    /// The ImmutableID the IdP sends.
    pub immutable_id: Option<String>,
}

/// Whether a user's values agree, derived from the engine's outcome and the values compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyStatus {
    /// The first sync hard-matches the user and every value present agrees.
    Agree,
    /// Values differ: the IdP sends another ImmutableID than the one Microsoft 365 holds or will hold.
    Disagree,
    /// The first sync soft-matches the user and writes the sourceAnchor into the cloud user.
    SoftMatchPending,
    /// The first sync creates a cloud user.
    NoCloudUser,
    /// The first sync will not match the user as intended: Entra refuses the match, cannot choose
    /// between candidates, creates a user whose values collide, or cannot export a duplicate anchor.
    WillNotMatch,
    /// No valid sourceAnchor in AD: the user is not exported.
    NoAnchor,
    /// The IdP export was given but holds no user for this user of a federated domain.
    NotInIdp,
}

impl VerifyStatus {
    /// Every status, in the order reports count them.
    pub const ALL: [Self; 7] = [
        Self::Agree,
        Self::Disagree,
        Self::SoftMatchPending,
        Self::NoCloudUser,
        Self::WillNotMatch,
        Self::NoAnchor,
        Self::NotInIdp,
    ];

    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agree => "agree",
            Self::Disagree => "disagree",
            Self::SoftMatchPending => "soft-match-pending",
            Self::NoCloudUser => "no-cloud-user",
            Self::WillNotMatch => "will-not-match",
            Self::NoAnchor => "no-anchor",
            Self::NotInIdp => "not-in-idp",
        }
    }

    /// The status the engine's outcome gives before the IdP is compared.
    pub fn of_outcome(outcome: Outcome) -> Self {
        match outcome {
            Outcome::HardMatch => Self::Agree,
            Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn => Self::SoftMatchPending,
            Outcome::Create => Self::NoCloudUser,
            Outcome::InvalidAnchor => Self::NoAnchor,
            Outcome::CreateWithConflict
            | Outcome::InvalidSoftMatch
            | Outcome::AdminRoleConflict
            | Outcome::HardMatchBlocked
            | Outcome::Ambiguous
            | Outcome::DuplicateAnchor => Self::WillNotMatch,
        }
    }

    /// Whether an administrator must act before the switch-over (exit status 1), as `plan` says for the
    /// same outcomes.
    pub fn needs_attention(self) -> bool {
        !matches!(
            self,
            Self::Agree | Self::SoftMatchPending | Self::NoCloudUser
        )
    }
}

impl std::fmt::Display for VerifyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One AD user's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRecord {
    /// distinguishedName.
    pub dn: String,
    /// The AD userPrincipalName.
    pub user_principal_name: Option<String>,
    /// The sourceAnchor, as the engine read it (null when it could not be read).
    pub source_anchor: Option<String>,
    /// What the first sync does: the engine's outcome, as `plan` reports it.
    pub outcome: Outcome,
    /// The cloud user the engine names (matched, or refusing the match), as `plan`'s `cloudUserId`.
    pub cloud_user_id: Option<String>,
    /// Its userPrincipalName.
    pub cloud_user_principal_name: Option<String>,
    /// Its onPremisesImmutableId.
    pub cloud_immutable_id: Option<String>,
    /// The IdP user's line in the export.
    pub idp_line: Option<usize>,
    /// The IdP's ImmutableID.
    pub idp_immutable_id: Option<String>,
    /// Whether the user signs in through a federated domain.
    pub federated: bool,
    /// The verdict.
    pub status: VerifyStatus,
    /// A federated user whose sign-in fails with AADSTS51004, now or after the switch-over.
    pub sign_in_risk: bool,
    /// Why: sentences. For `will-not-match` and `no-anchor`, the engine's reasons follow verify's own.
    pub reasons: Vec<String>,
}

/// Counts for the report's header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifySummary {
    /// AD users checked.
    pub users: usize,
    /// Users whose values agree.
    pub agree: usize,
    /// Users whose values disagree.
    pub disagree: usize,
    /// Users the first sync soft-matches.
    pub soft_match_pending: usize,
    /// Users the first sync creates in the cloud.
    pub no_cloud_user: usize,
    /// Users the first sync will not match as intended.
    pub will_not_match: usize,
    /// Users without a valid sourceAnchor.
    pub no_anchor: usize,
    /// Users the IdP export lacks.
    pub not_in_idp: usize,
    /// Federated users whose sign-in fails (AADSTS51004).
    pub sign_in_risks: usize,
    /// Whether an IdP export was compared.
    pub idp_compared: bool,
    /// The engine's outcomes, counted as `plan`'s `summary` counts them.
    pub outcomes: Summary,
}

impl VerifySummary {
    /// The count of one status.
    pub fn get(&self, status: VerifyStatus) -> usize {
        match status {
            VerifyStatus::Agree => self.agree,
            VerifyStatus::Disagree => self.disagree,
            VerifyStatus::SoftMatchPending => self.soft_match_pending,
            VerifyStatus::NoCloudUser => self.no_cloud_user,
            VerifyStatus::WillNotMatch => self.will_not_match,
            VerifyStatus::NoAnchor => self.no_anchor,
            VerifyStatus::NotInIdp => self.not_in_idp,
        }
    }

    /// The counts in words: `200 users: 63 agree, 0 disagree, ...`, and how many the identity
    /// provider's export lacks when one was compared.
    pub fn describe(&self) -> String {
        use crate::wording::{count, one_or_many};
        let mut text = format!(
            "{}: {} {}, {} {}, {} soft-match at the first sync, {} {} a new cloud user, \
             {} will not match as intended, {} without a valid sourceAnchor",
            count(self.users, "user", "users"),
            self.agree,
            one_or_many(self.agree, "agrees", "agree"),
            self.disagree,
            one_or_many(self.disagree, "disagrees", "disagree"),
            self.soft_match_pending,
            self.no_cloud_user,
            one_or_many(self.no_cloud_user, "gets", "get"),
            self.will_not_match,
            self.no_anchor,
        );
        if self.idp_compared {
            text.push_str(&format!(
                ", {} missing from the identity provider's export",
                self.not_in_idp
            ));
        }
        text
    }

    fn slot(&mut self, status: VerifyStatus) -> &mut usize {
        match status {
            VerifyStatus::Agree => &mut self.agree,
            VerifyStatus::Disagree => &mut self.disagree,
            VerifyStatus::SoftMatchPending => &mut self.soft_match_pending,
            VerifyStatus::NoCloudUser => &mut self.no_cloud_user,
            VerifyStatus::WillNotMatch => &mut self.will_not_match,
            VerifyStatus::NoAnchor => &mut self.no_anchor,
            VerifyStatus::NotInIdp => &mut self.not_in_idp,
        }
    }
}

/// The whole verify report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// [`VERIFY_FORMAT_VERSION`].
    pub format_version: u32,
    /// Counts.
    pub summary: VerifySummary,
    /// One record per AD user, in the plan's order (by DN).
    pub users: Vec<VerifyRecord>,
}

impl VerifyReport {
    /// Whether anything needs attention (exit status 1): a status that does, or a sign-in risk.
    pub fn needs_attention(&self) -> bool {
        self.users
            .iter()
            .any(|user| user.status.needs_attention() || user.sign_in_risk)
    }
}

/// The cloud user the engine names, as verify compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedCloudUser<'a> {
    /// Its userPrincipalName, or its id when it has none (for sentences).
    pub label: &'a str,
    /// Its onPremisesImmutableId, when not empty.
    pub immutable_id: Option<&'a str>,
}

/// What the identity provider's export says about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpSide<'a> {
    /// No export was compared.
    NotCompared,
    /// The export holds no user for this one.
    Missing,
    /// The export's user.
    Found {
        /// Its line in the export.
        line: usize,
        /// The ImmutableID it sends, when not empty.
        immutable_id: Option<&'a str>,
    },
}

/// The engine's decision for one user and the values verify compares around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed<'a> {
    /// The engine's outcome.
    pub outcome: Outcome,
    /// The sourceAnchor the engine read (ignored for `invalid-anchor`).
    pub source_anchor: Option<&'a str>,
    /// The cloud user the engine names.
    pub cloud: Option<NamedCloudUser<'a>>,
    /// The federated domain the user signs in through, if any.
    pub federated_domain: Option<&'a str>,
    /// The identity provider's side.
    pub idp: IdpSide<'a>,
}

/// What verify concludes for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The status.
    pub status: VerifyStatus,
    /// Whether federated sign-in fails (AADSTS51004), now or after the switch-over.
    pub sign_in_risk: bool,
    /// Verify's sentences.
    pub reasons: Vec<String>,
}

fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), |value| format!("`{value}`"))
}

/// Derives the status, the sign-in risk and the sentences from the engine's decision: the one place
/// where verify decides anything, and it decides only how the values compare.
pub fn derive(observed: &Observed<'_>) -> Verdict {
    let outcome = observed.outcome;
    let anchor = observed
        .source_anchor
        .filter(|_| outcome != Outcome::InvalidAnchor);
    let cloud_value = observed.cloud.and_then(|cloud| cloud.immutable_id);
    let label = observed.cloud.map(|cloud| cloud.label);
    let mut status = VerifyStatus::of_outcome(outcome);
    let mut reasons = vec![match status {
        VerifyStatus::Agree => format!(
            "The first sync hard-matches `{}`: its ImmutableID is the AD sourceAnchor {}.",
            label.unwrap_or("?"),
            quoted(anchor)
        ),
        VerifyStatus::SoftMatchPending => format!(
            "The first sync soft-matches `{}` ({outcome}) and writes the AD sourceAnchor {} into its \
             ImmutableID.",
            label.unwrap_or("?"),
            quoted(anchor)
        ),
        VerifyStatus::NoCloudUser => format!(
            "The first sync creates a cloud user with the ImmutableID {} ({outcome}).",
            quoted(anchor)
        ),
        VerifyStatus::NoAnchor => {
            format!("No valid sourceAnchor: the first sync does not export this user ({outcome}).")
        }
        _ => format!(
            "The first sync will not match this user as intended ({outcome}): `plan` says why, below."
        ),
    }];
    if status == VerifyStatus::WillNotMatch
        && let Some(label) = label
        && cloud_value != anchor
    {
        reasons.push(format!(
            "The AD sourceAnchor {} is not the Microsoft 365 ImmutableID ({}) of `{label}`.",
            quoted(anchor),
            quoted(cloud_value)
        ));
    }
    let federated = observed.federated_domain;
    let mut fails_now = false;
    match observed.idp {
        IdpSide::NotCompared => {}
        // The IdP signs in the users of federated domains; the others need not be in its list.
        IdpSide::Missing if federated.is_some() => {
            reasons.push("The identity provider's export has no user for it.".to_owned());
            if matches!(status, VerifyStatus::Agree | VerifyStatus::SoftMatchPending) {
                status = VerifyStatus::NotInIdp;
                fails_now = true;
            }
        }
        IdpSide::Missing => {}
        IdpSide::Found { line, immutable_id } => {
            // Until the switch-over the IdP must send the cloud's value; where the cloud has none yet,
            // the first sync writes the sourceAnchor, which the IdP must then send.
            let expected = cloud_value.or(anchor);
            if immutable_id.is_none() || immutable_id != expected {
                reasons.push(format!(
                    "The identity provider (line {line}) sends the ImmutableID {}, but Microsoft 365 \
                     holds {}{}.",
                    quoted(immutable_id),
                    quoted(cloud_value),
                    match (cloud_value, anchor) {
                        (None, Some(anchor)) => format!(" (the first sync writes `{anchor}`)"),
                        _ => String::new(),
                    }
                ));
                if matches!(status, VerifyStatus::Agree | VerifyStatus::SoftMatchPending) {
                    status = VerifyStatus::Disagree;
                }
                fails_now = cloud_value.is_some();
            }
        }
    }
    // After the switch-over the IdP sends the sourceAnchor; a cloud user the first sync does not match
    // keeps its own value.
    let fails_after = observed.cloud.is_some()
        && !outcome.is_match()
        && anchor.is_some()
        && cloud_value != anchor;
    let sign_in_risk = federated.is_some() && (fails_now || fails_after);
    if let (true, Some(domain)) = (sign_in_risk, federated) {
        let when = match (fails_now, fails_after) {
            (true, true) => "now and after the switch-over",
            (true, false) => "now, until the identity provider sends the value Microsoft 365 holds",
            _ => "after the switch-over, when the identity provider sends the AD sourceAnchor",
        };
        reasons.push(format!(
            "`{domain}` is federated: sign-in fails with AADSTS51004 {when}. AD, Microsoft 365 and \
             the identity provider must hold the same ImmutableID."
        ));
    }
    Verdict {
        status,
        sign_in_risk,
        reasons,
    }
}

/// The IdP users by sign-in name and by username.
struct IdpIndex<'i> {
    users: &'i [IdpUser],
    by_upn: FoldedMap<'i, Option<usize>>,
    by_username: FoldedMap<'i, Option<usize>>,
}

impl<'i> IdpIndex<'i> {
    fn new(users: &'i [IdpUser]) -> Self {
        let mut by_upn: FoldedMap<'i, Option<usize>> = FoldedMap::default();
        let mut by_username: FoldedMap<'i, Option<usize>> = FoldedMap::default();
        for (position, user) in users.iter().enumerate() {
            if let Some(upn) = non_empty(&user.user_principal_name) {
                by_upn.entry(upn).get_or_insert(position);
            }
            if let Some(name) = non_empty(&user.username) {
                by_username.entry(name).get_or_insert(position);
            }
        }
        Self {
            users,
            by_upn,
            by_username,
        }
    }

    fn find(&self, names: &[Option<&str>], usernames: &[Option<&str>]) -> Option<&'i IdpUser> {
        let lookup = |map: &FoldedMap<'i, Option<usize>>, keys: &[Option<&str>]| {
            keys.iter()
                .flatten()
                .filter(|key| !trim(key).is_empty())
                .find_map(|key| map.get(key).copied().flatten())
        };
        lookup(&self.by_upn, names)
            .or_else(|| lookup(&self.by_username, usernames))
            .and_then(|position| self.users.get(position))
    }
}

/// Compares AD, the tenant and (when given) the IdP's export, user by user, around the engine's
/// decisions in `plan` (made with [`crate::engine::plan()`] over the same inputs).
pub fn verify(plan: &Plan<'_>, idp: Option<&[IdpUser]>) -> VerifyReport {
    let idp_index = idp.map(IdpIndex::new);
    let users: Vec<VerifyRecord> = plan
        .users
        .iter()
        .filter_map(|user_plan| verify_user(plan, user_plan, idp_index.as_ref()))
        .collect();
    let mut summary = VerifySummary {
        users: users.len(),
        idp_compared: idp.is_some(),
        outcomes: plan.summary(),
        ..VerifySummary::default()
    };
    for user in &users {
        *summary.slot(user.status) += 1;
        summary.sign_in_risks += usize::from(user.sign_in_risk);
    }
    VerifyReport {
        format_version: VERIFY_FORMAT_VERSION,
        summary,
        users,
    }
}

fn verify_user(
    plan: &Plan<'_>,
    user_plan: &UserPlan,
    idp: Option<&IdpIndex<'_>>,
) -> Option<VerifyRecord> {
    let user: &OnPremUser = plan.on_prem.get(user_plan.user)?;
    let cloud = user_plan
        .cloud_user
        .and_then(|position| plan.index.user(position));
    let cloud_upn = cloud.and_then(|cloud| cloud.user_principal_name.as_deref());
    let federated = cloud_upn
        .or(user.user_principal_name.as_deref())
        .and_then(|upn| plan.tenant.domain_of(upn))
        .filter(|domain| domain.is_federated())
        .map(|domain| domain.id.as_str());
    let cloud_immutable_id = cloud.and_then(|cloud| non_empty(&cloud.on_premises_immutable_id));
    let upn_prefix = user
        .user_principal_name
        .as_deref()
        .and_then(|upn| upn.rsplit_once('@').map(|(prefix, _)| prefix));
    let idp_user = idp.and_then(|idp| {
        idp.find(
            &[cloud_upn, user.user_principal_name.as_deref()],
            &[
                user.user_principal_name.as_deref(),
                upn_prefix,
                user.sam_account_name.as_deref(),
            ],
        )
    });
    let idp_immutable_id = idp_user.and_then(|idp| non_empty(&idp.immutable_id));
    let source_anchor = user_plan
        .anchor
        .as_ref()
        .map(|anchor| anchor.value.as_str());
    let verdict = derive(&Observed {
        outcome: user_plan.outcome,
        source_anchor,
        cloud: cloud.map(|cloud| NamedCloudUser {
            label: cloud.user_principal_name.as_deref().unwrap_or(&cloud.id),
            immutable_id: cloud_immutable_id,
        }),
        federated_domain: federated,
        idp: match (idp, idp_user) {
            (None, _) => IdpSide::NotCompared,
            (Some(_), None) => IdpSide::Missing,
            (Some(_), Some(found)) => IdpSide::Found {
                line: found.line,
                immutable_id: idp_immutable_id,
            },
        },
    });
    let mut reasons = verdict.reasons;
    // Why the first sync does not do what was intended is the engine's to say, in `plan`'s words.
    if matches!(
        verdict.status,
        VerifyStatus::WillNotMatch | VerifyStatus::NoAnchor
    ) {
        reasons.extend(engine_reasons(plan, user_plan));
    }
    Some(VerifyRecord {
        dn: user.dn.clone(),
        user_principal_name: user.user_principal_name.clone(),
        source_anchor: source_anchor.map(str::to_owned),
        outcome: user_plan.outcome,
        cloud_user_id: cloud.map(|cloud| cloud.id.clone()),
        cloud_user_principal_name: cloud_upn.map(str::to_owned),
        cloud_immutable_id: cloud_immutable_id.map(str::to_owned),
        idp_line: idp_user.map(|user| user.line),
        idp_immutable_id: idp_immutable_id.map(str::to_owned),
        federated: federated.is_some(),
        status: verdict.status,
        sign_in_risk: verdict.sign_in_risk,
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineSettings, plan};
    use crate::tenant::{CloudUser, Domain, TenantSnapshot};

    const A: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const A64: &str = "AQIDBAUGBwgJCgsMDQ4PEA==";
    const OTHER: &str = "EBAPDg0MCwoJCAcGBQQDAg==";

    fn observed(outcome: Outcome, cloud: Option<Option<&'static str>>) -> Observed<'static> {
        Observed {
            outcome,
            source_anchor: Some(A64),
            cloud: cloud.map(|immutable_id| NamedCloudUser {
                label: "taro@example.co.jp",
                immutable_id,
            }),
            federated_domain: None,
            idp: IdpSide::NotCompared,
        }
    }

    #[test]
    fn every_outcome_gives_one_status_before_the_idp_is_compared() {
        let expected = [
            (Outcome::HardMatch, VerifyStatus::Agree),
            (Outcome::SoftMatchSmtp, VerifyStatus::SoftMatchPending),
            (Outcome::SoftMatchUpn, VerifyStatus::SoftMatchPending),
            (Outcome::Create, VerifyStatus::NoCloudUser),
            (Outcome::CreateWithConflict, VerifyStatus::WillNotMatch),
            (Outcome::InvalidSoftMatch, VerifyStatus::WillNotMatch),
            (Outcome::AdminRoleConflict, VerifyStatus::WillNotMatch),
            (Outcome::HardMatchBlocked, VerifyStatus::WillNotMatch),
            (Outcome::Ambiguous, VerifyStatus::WillNotMatch),
            (Outcome::InvalidAnchor, VerifyStatus::NoAnchor),
            (Outcome::DuplicateAnchor, VerifyStatus::WillNotMatch),
        ];
        assert_eq!(expected.len(), Outcome::ALL.len());
        for (outcome, status) in expected {
            assert_eq!(VerifyStatus::of_outcome(outcome), status, "{outcome}");
            let verdict = derive(&observed(outcome, None));
            assert_eq!(verdict.status, status, "{outcome}");
            // Attention exactly where `plan` asks for it.
            assert_eq!(
                status.needs_attention(),
                outcome.needs_attention(),
                "{outcome}"
            );
            assert!(!verdict.sign_in_risk, "not federated: {outcome}");
        }
    }

    #[test]
    fn a_hard_match_with_the_idp_sending_another_value_fails_now() {
        let mut user = observed(Outcome::HardMatch, Some(Some(A64)));
        user.federated_domain = Some("example.co.jp");
        user.idp = IdpSide::Found {
            line: 3,
            immutable_id: Some(A64),
        };
        let agree = derive(&user);
        assert_eq!(
            (agree.status, agree.sign_in_risk),
            (VerifyStatus::Agree, false)
        );
        user.idp = IdpSide::Found {
            line: 3,
            immutable_id: Some("10000183"),
        };
        let verdict = derive(&user);
        assert_eq!(
            (verdict.status, verdict.sign_in_risk),
            (VerifyStatus::Disagree, true)
        );
        let text = verdict.reasons.join(" ");
        assert!(
            text.contains("line 3") && text.contains("`10000183`"),
            "{text}"
        );
        assert!(text.contains("AADSTS51004 now"), "{text}");
        // The same disagreement in a managed domain is no sign-in risk.
        user.federated_domain = None;
        let managed = derive(&user);
        assert_eq!(
            (managed.status, managed.sign_in_risk),
            (VerifyStatus::Disagree, false)
        );
    }

    #[test]
    fn a_refused_match_keeps_the_cloud_value_and_fails_after_the_switch_over() {
        // HENNGE's value in the cloud and in the IdP, another anchor in AD: sign-in works today, and
        // fails once the IdP sends the AD value while the refused cloud user keeps its own.
        let mut user = observed(Outcome::InvalidSoftMatch, Some(Some(OTHER)));
        user.federated_domain = Some("example.co.jp");
        user.idp = IdpSide::Found {
            line: 2,
            immutable_id: Some(OTHER),
        };
        let verdict = derive(&user);
        assert_eq!(
            (verdict.status, verdict.sign_in_risk),
            (VerifyStatus::WillNotMatch, true)
        );
        let text = verdict.reasons.join(" ");
        assert!(text.contains("after the switch-over"), "{text}");
        assert!(text.contains(&format!(
            "`{A64}` is not the Microsoft 365 ImmutableID (`{OTHER}`)"
        )));
        // A blocked hard match has the same value on both sides: no sign-in risk, still not matched.
        let mut blocked = observed(Outcome::HardMatchBlocked, Some(Some(A64)));
        blocked.federated_domain = Some("example.co.jp");
        let verdict = derive(&blocked);
        assert_eq!(
            (verdict.status, verdict.sign_in_risk),
            (VerifyStatus::WillNotMatch, false)
        );
    }

    #[test]
    fn a_federated_user_missing_from_the_idp_export() {
        let mut user = observed(Outcome::SoftMatchSmtp, Some(None));
        user.federated_domain = Some("example.co.jp");
        user.idp = IdpSide::Missing;
        let verdict = derive(&user);
        assert_eq!(
            (verdict.status, verdict.sign_in_risk),
            (VerifyStatus::NotInIdp, true)
        );
        // A managed-domain user need not be in the IdP's list.
        user.federated_domain = None;
        assert_eq!(derive(&user).status, VerifyStatus::SoftMatchPending);
        // A soft match whose IdP already sends the anchor agrees with what the first sync writes.
        user.federated_domain = Some("example.co.jp");
        user.idp = IdpSide::Found {
            line: 2,
            immutable_id: Some(A64),
        };
        let verdict = derive(&user);
        assert_eq!(
            (verdict.status, verdict.sign_in_risk),
            (VerifyStatus::SoftMatchPending, false)
        );
    }

    fn ad(upn: &str) -> OnPremUser {
        OnPremUser {
            dn: format!("CN={upn},DC=corp"),
            user_principal_name: Some(upn.into()),
            sam_account_name: upn.split('@').next().map(Into::into),
            consistency_guid: Some(A.to_vec()),
            ..OnPremUser::default()
        }
    }

    fn tenant(users: Vec<CloudUser>) -> TenantSnapshot {
        TenantSnapshot {
            users,
            domains: vec![Domain {
                id: "example.co.jp".into(),
                authentication_type: "Federated".into(),
                is_verified: true,
                ..Domain::default()
            }],
            ..TenantSnapshot::default()
        }
    }

    fn cloud(id: &str, upn: &str, immutable_id: Option<&str>) -> CloudUser {
        CloudUser {
            id: id.into(),
            user_principal_name: Some(upn.into()),
            mail: Some(upn.into()),
            proxy_addresses: vec![format!("SMTP:{upn}")],
            on_premises_immutable_id: immutable_id.map(Into::into),
            ..CloudUser::default()
        }
    }

    fn idp(upn: Option<&str>, username: Option<&str>, id: &str) -> IdpUser {
        IdpUser {
            line: 2,
            user_principal_name: upn.map(Into::into),
            username: username.map(Into::into),
            immutable_id: Some(id.into()),
        }
    }

    fn run(
        on_prem: &[OnPremUser],
        tenant: &TenantSnapshot,
        idp: Option<&[IdpUser]>,
    ) -> VerifyReport {
        verify(&plan(on_prem, tenant, &EngineSettings::default()), idp)
    }

    #[test]
    fn all_three_agree_on_a_hard_match() {
        let on_prem = [ad("taro@example.co.jp")];
        let tenant = tenant(vec![cloud("c1", "taro@example.co.jp", Some(A64))]);
        let report = run(
            &on_prem,
            &tenant,
            Some(&[idp(Some("TARO@example.co.jp"), None, A64)]),
        );
        let user = &report.users[0];
        assert_eq!(
            (user.status, user.outcome, user.cloud_user_id.as_deref()),
            (VerifyStatus::Agree, Outcome::HardMatch, Some("c1"))
        );
        assert!(!report.needs_attention());
        assert_eq!(report.summary.agree, 1);
        assert_eq!(report.summary.outcomes.hard_match, 1);
    }

    #[test]
    fn the_engine_names_the_cloud_user_and_the_username_finds_the_idp_user() {
        // Paired by the anchor although the names differ; the IdP user found by username.
        let on_prem = [ad("hanako@example.com")];
        let tenant = tenant(vec![cloud("c1", "taro@example.com", Some(A64))]);
        let report = run(&on_prem, &tenant, Some(&[idp(None, Some("hanako"), A64)]));
        let user = &report.users[0];
        assert_eq!(user.status, VerifyStatus::Agree);
        assert_eq!(
            user.cloud_user_principal_name.as_deref(),
            Some("taro@example.com")
        );
        assert_eq!(user.idp_line, Some(2));
        // A soft match on a managed domain, and nobody to match.
        let pending = run(
            &[ad("taro@example.com")],
            &self::tenant(vec![cloud("c1", "taro@example.com", None)]),
            None,
        );
        assert_eq!(pending.users[0].status, VerifyStatus::SoftMatchPending);
        assert_eq!(pending.users[0].outcome, Outcome::SoftMatchSmtp);
        assert!(!pending.needs_attention());
        let nobody = run(
            &[ad("hanako@example.com")],
            &self::tenant(vec![cloud("c1", "taro@example.com", None)]),
            None,
        );
        assert_eq!(nobody.users[0].status, VerifyStatus::NoCloudUser);
        assert_eq!(nobody.users[0].cloud_user_id, None);
    }

    #[test]
    fn an_admin_candidate_is_not_a_pending_soft_match() {
        // The engine refuses to soft-match onto a cloud admin: verify says so, with the engine's words.
        let on_prem = [ad("taro@example.com")];
        let mut tenant = tenant(vec![cloud("c1", "taro@example.com", None)]);
        tenant.role_assignments = vec![crate::tenant::RoleAssignment {
            principal_id: "c1".into(),
            role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
            ..Default::default()
        }];
        let report = run(&on_prem, &tenant, None);
        let user = &report.users[0];
        assert_eq!(
            (user.outcome, user.status, user.cloud_user_id.as_deref()),
            (
                Outcome::AdminRoleConflict,
                VerifyStatus::WillNotMatch,
                Some("c1")
            )
        );
        assert!(
            user.reasons
                .iter()
                .any(|reason| reason.contains("Global Administrator")),
            "{:?}",
            user.reasons
        );
        assert!(report.needs_attention());
        assert_eq!(report.summary.will_not_match, 1);
    }
}
