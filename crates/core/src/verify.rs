//! `anchorsync verify`: does every user's ImmutableID agree across AD (the sourceAnchor), Microsoft 365
//! (onPremisesImmutableId) and the identity provider (HENNGE Access Control's ImmutableID)?
//!
//! Federated sign-in sends the IdP's ImmutableID as the SAML NameID and Entra looks the user up by
//! it (docs/rules.md §4,
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp>): when
//! it is not the cloud onPremisesImmutableId, sign-in fails with AADSTS51004. And once AD becomes
//! the source, the first sync writes the sourceAnchor: every value must be the same before the
//! switch-over.
//!
//! Pairing: AD with cloud by the current anchor, else by the pairing rules of [`crate::engine::pairing`]
//! (primary SMTP, UPN; rules that disagree leave the user unpaired, with the reason); AD with the IdP by
//! userPrincipalName (the cloud user's or the AD user's), else by username (the AD userPrincipalName,
//! its prefix, or sAMAccountName).

use serde::{Deserialize, Serialize};

use crate::directory::{OnPremUser, trim};
use crate::engine::EngineSettings;
use crate::engine::index::{CloudIndex, FoldedMap, non_empty};
use crate::engine::pairing::{Pairing, PairingIndex, pair_user};
use crate::engine::source_anchor::{check_source_anchor, source_anchor};
use crate::tenant::TenantSnapshot;

/// The version of the verify report format.
pub const VERIFY_FORMAT_VERSION: u32 = 1;

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

/// Whether a user's values agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyStatus {
    /// Every value present agrees.
    Agree,
    /// Values differ.
    Disagree,
    /// No valid sourceAnchor in AD.
    NoAnchor,
    /// No cloud user pairs with the AD user (the first sync creates one).
    NoCloudUser,
    /// The IdP export was given but holds no user for this user of a federated domain.
    NotInIdp,
    /// The cloud user has no ImmutableID and its domain is managed: the first sync soft-matches it and
    /// writes the sourceAnchor (the `soft` strategy's intended state).
    SoftMatchPending,
}

impl VerifyStatus {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agree => "agree",
            Self::Disagree => "disagree",
            Self::NoAnchor => "no-anchor",
            Self::NoCloudUser => "no-cloud-user",
            Self::NotInIdp => "not-in-idp",
            Self::SoftMatchPending => "soft-match-pending",
        }
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
    /// The AD sourceAnchor.
    pub source_anchor: Option<String>,
    /// The paired cloud user.
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
    /// A federated user whose values disagree: sign-in fails with AADSTS51004.
    pub sign_in_risk: bool,
    /// Why: sentences.
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
    /// Users without a valid sourceAnchor.
    pub no_anchor: usize,
    /// Users without a cloud user.
    pub no_cloud_user: usize,
    /// Users the IdP export lacks.
    pub not_in_idp: usize,
    /// Managed-domain users whose cloud ImmutableID is empty: the first sync soft-matches them.
    pub soft_match_pending: usize,
    /// Federated users whose sign-in fails (AADSTS51004).
    pub sign_in_risks: usize,
    /// Whether an IdP export was compared.
    pub idp_compared: bool,
}

/// The whole verify report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// [`VERIFY_FORMAT_VERSION`].
    pub format_version: u32,
    /// Counts.
    pub summary: VerifySummary,
    /// One record per AD user, sorted by DN.
    pub users: Vec<VerifyRecord>,
}

impl VerifyReport {
    /// Whether anything disagrees (exit status 1): a disagreement, or a federated user the IdP lacks.
    pub fn has_disagreement(&self) -> bool {
        self.users.iter().any(|user| {
            user.status == VerifyStatus::Disagree
                || user.sign_in_risk
                || (user.status == VerifyStatus::NotInIdp && user.federated)
        })
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

/// Compares AD, the tenant and (when given) the IdP's export, user by user.
pub fn verify(
    on_prem: &[OnPremUser],
    tenant: &TenantSnapshot,
    idp: Option<&[IdpUser]>,
    settings: &EngineSettings,
) -> VerifyReport {
    let index = CloudIndex::new(tenant);
    let pairing = PairingIndex::new(tenant, &[], None);
    let idp_index = idp.map(IdpIndex::new);
    let mut users: Vec<VerifyRecord> = on_prem
        .iter()
        .map(|user| verify_user(user, tenant, &index, &pairing, idp_index.as_ref(), settings))
        .collect();
    users.sort_by(|a, b| a.dn.cmp(&b.dn));
    let mut summary = VerifySummary {
        users: users.len(),
        idp_compared: idp.is_some(),
        ..VerifySummary::default()
    };
    for user in &users {
        *match user.status {
            VerifyStatus::Agree => &mut summary.agree,
            VerifyStatus::Disagree => &mut summary.disagree,
            VerifyStatus::NoAnchor => &mut summary.no_anchor,
            VerifyStatus::NoCloudUser => &mut summary.no_cloud_user,
            VerifyStatus::NotInIdp => &mut summary.not_in_idp,
            VerifyStatus::SoftMatchPending => &mut summary.soft_match_pending,
        } += 1;
        summary.sign_in_risks += usize::from(user.sign_in_risk);
    }
    VerifyReport {
        format_version: VERIFY_FORMAT_VERSION,
        summary,
        users,
    }
}

fn verify_user(
    user: &OnPremUser,
    tenant: &TenantSnapshot,
    index: &CloudIndex<'_>,
    pairing: &PairingIndex<'_>,
    idp: Option<&IdpIndex<'_>>,
    settings: &EngineSettings,
) -> VerifyRecord {
    let mut reasons = Vec::new();
    let anchor = source_anchor(user, &settings.anchor_attribute, settings.anchor_encoding)
        .ok()
        .filter(|anchor| check_source_anchor(anchor).is_ok());
    let anchor_value = anchor.as_ref().map(|anchor| anchor.value.as_str());
    let cloud = match pair_user(index, pairing, user, anchor_value) {
        Pairing::Paired { cloud, .. } => index.user(cloud),
        Pairing::Conflict { findings, .. } => {
            let found: Vec<String> = findings
                .iter()
                .filter_map(|finding| {
                    index.user(finding.cloud).map(|cloud| {
                        format!(
                            "{} finds `{}`",
                            finding.rule.describe(),
                            cloud.user_principal_name.as_deref().unwrap_or(&cloud.id)
                        )
                    })
                })
                .collect();
            reasons.push(format!(
                "the pairing rules disagree ({}): no cloud user compared",
                found.join(", ")
            ));
            None
        }
        Pairing::Unpaired | Pairing::MappingMissing { .. } => None,
    };
    let cloud_upn = cloud.and_then(|cloud| cloud.user_principal_name.as_deref());
    let federated = cloud_upn
        .or(user.user_principal_name.as_deref())
        .and_then(|upn| tenant.domain_of(upn))
        .filter(|domain| domain.is_federated())
        .map(|domain| domain.id.clone());
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
    let mut status = VerifyStatus::Agree;
    match (anchor_value, cloud) {
        (None, _) => {
            status = VerifyStatus::NoAnchor;
            reasons.push(format!(
                "no valid sourceAnchor in `{}` (or its fallback)",
                settings.anchor_attribute.name()
            ));
        }
        (Some(_), None) => {
            status = VerifyStatus::NoCloudUser;
            reasons
                .push("no cloud user pairs with this user: the first sync creates one".to_owned());
        }
        (Some(anchor), Some(cloud)) => {
            let shown = |value: Option<&str>| value.map_or("none".to_owned(), |v| format!("`{v}`"));
            if cloud_immutable_id.is_none() && federated.is_none() {
                status = VerifyStatus::SoftMatchPending;
                reasons.push(format!(
                    "`{}` has no ImmutableID and is in a managed domain: the first sync soft-matches it \
                     and writes the sourceAnchor `{anchor}`",
                    cloud.user_principal_name.as_deref().unwrap_or(&cloud.id)
                ));
            } else if cloud_immutable_id != Some(anchor) {
                status = VerifyStatus::Disagree;
                reasons.push(format!(
                    "the AD sourceAnchor `{anchor}` is not the Microsoft 365 ImmutableID ({}) of `{}`",
                    shown(cloud_immutable_id),
                    cloud.user_principal_name.as_deref().unwrap_or(&cloud.id)
                ));
            }
        }
    }
    if idp.is_some() {
        match idp_user {
            // The IdP signs in the users of federated domains; the others need not be in its list.
            None if federated.is_some() => {
                if matches!(status, VerifyStatus::Agree | VerifyStatus::SoftMatchPending) {
                    status = VerifyStatus::NotInIdp;
                }
                reasons.push("the identity provider's export has no user for it".to_owned());
            }
            None => {}
            Some(idp_user) => {
                let expected = cloud_immutable_id.or(anchor_value);
                if idp_immutable_id != expected || idp_immutable_id.is_none() {
                    if matches!(status, VerifyStatus::Agree | VerifyStatus::SoftMatchPending) {
                        status = VerifyStatus::Disagree;
                    }
                    reasons.push(format!(
                        "the identity provider (line {}) sends the ImmutableID {}, but Microsoft 365 holds {}",
                        idp_user.line,
                        idp_immutable_id.map_or("none".to_owned(), |v| format!("`{v}`")),
                        cloud_immutable_id.map_or("none".to_owned(), |v| format!("`{v}`")),
                    ));
                }
            }
        }
    }
    let sign_in_risk = federated.is_some()
        && (status == VerifyStatus::Disagree
            || (status == VerifyStatus::NotInIdp && idp.is_some()));
    if let (true, Some(domain)) = (sign_in_risk, &federated) {
        reasons.push(format!(
            "`{domain}` is federated: the identity provider's ImmutableID must equal Microsoft 365's \
             and, after the switch-over, the AD sourceAnchor, or sign-in fails with AADSTS51004"
        ));
    }
    VerifyRecord {
        dn: user.dn.clone(),
        user_principal_name: user.user_principal_name.clone(),
        source_anchor: anchor_value.map(str::to_owned),
        cloud_user_id: cloud.map(|cloud| cloud.id.clone()),
        cloud_user_principal_name: cloud_upn.map(str::to_owned),
        cloud_immutable_id: cloud_immutable_id.map(str::to_owned),
        idp_line: idp_user.map(|user| user.line),
        idp_immutable_id: idp_immutable_id.map(str::to_owned),
        federated: federated.is_some(),
        status,
        sign_in_risk,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::{CloudUser, Domain};

    const A: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const A64: &str = "AQIDBAUGBwgJCgsMDQ4PEA==";

    fn ad(upn: &str) -> OnPremUser {
        OnPremUser {
            dn: format!("CN={upn},DC=corp"),
            user_principal_name: Some(upn.into()),
            sam_account_name: upn.split('@').next().map(Into::into),
            consistency_guid: Some(A.to_vec()),
            ..OnPremUser::default()
        }
    }

    fn tenant(upn: &str, immutable_id: Option<&str>) -> TenantSnapshot {
        TenantSnapshot {
            users: vec![CloudUser {
                id: "c1".into(),
                user_principal_name: Some(upn.into()),
                on_premises_immutable_id: immutable_id.map(Into::into),
                ..CloudUser::default()
            }],
            domains: vec![Domain {
                id: "example.co.jp".into(),
                authentication_type: "Federated".into(),
                is_verified: true,
                ..Domain::default()
            }],
            ..TenantSnapshot::default()
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

    #[test]
    fn all_three_agree() {
        let report = verify(
            &[ad("taro@example.co.jp")],
            &tenant("taro@example.co.jp", Some(A64)),
            Some(&[idp(Some("TARO@example.co.jp"), None, A64)]),
            &EngineSettings::default(),
        );
        assert_eq!(report.users[0].status, VerifyStatus::Agree);
        assert!(!report.has_disagreement());
        assert_eq!(report.summary.agree, 1);
    }

    #[test]
    fn an_idp_disagreement_on_a_federated_user_is_a_sign_in_risk() {
        let report = verify(
            &[ad("taro@example.co.jp")],
            &tenant("taro@example.co.jp", Some(A64)),
            Some(&[idp(None, Some("taro"), "10000183")]),
            &EngineSettings::default(),
        );
        let user = &report.users[0];
        assert_eq!(
            (user.status, user.sign_in_risk),
            (VerifyStatus::Disagree, true)
        );
        assert_eq!(user.idp_immutable_id.as_deref(), Some("10000183"));
        assert!(user.reasons.iter().any(|r| r.contains("AADSTS51004")));
        assert!(report.has_disagreement());
    }

    #[test]
    fn ad_and_cloud_disagreeing_without_an_idp_export() {
        let report = verify(
            &[ad("taro@example.com")],
            &tenant("taro@example.com", Some("10000183")),
            None,
            &EngineSettings::default(),
        );
        let user = &report.users[0];
        assert_eq!(
            (user.status, user.sign_in_risk),
            (VerifyStatus::Disagree, false)
        );
        assert!(report.has_disagreement());
        let missing = verify(
            &[ad("hanako@example.com")],
            &tenant("taro@example.com", Some(A64)),
            None,
            &EngineSettings::default(),
        );
        // Paired by the anchor although the names differ.
        assert_eq!(missing.users[0].status, VerifyStatus::Agree);
        let pending = verify(
            &[ad("taro@example.com")],
            &tenant("taro@example.com", None),
            None,
            &EngineSettings::default(),
        );
        assert_eq!(pending.users[0].status, VerifyStatus::SoftMatchPending);
        assert!(!pending.has_disagreement());
        let nobody = verify(
            &[ad("hanako@example.com")],
            &tenant("taro@example.com", None),
            None,
            &EngineSettings::default(),
        );
        assert_eq!(nobody.users[0].status, VerifyStatus::NoCloudUser);
        assert!(!nobody.has_disagreement());
    }
}
