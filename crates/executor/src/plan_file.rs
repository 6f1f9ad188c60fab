//! Reading the plan `apply` carries out ([`RemediationPlan`], docs/plan-format.md) and checking every
//! step before anything is read from or written to a server. A problem is an error naming the file,
//! the line and the user; nothing has happened yet when it is reported. Once connected, the plan's
//! targets are checked against the configured ones ([`PlanFile::check_targets`]).

use std::path::{Path, PathBuf};

use std::collections::{BTreeSet, HashMap};

use anchorsync_ad::dn::NormalizedDn;
use anchorsync_core::anchor::{AnchorSource, MAX_WEIGHTED_LENGTH, check_anchor};
use anchorsync_core::directory::is_binary_attribute;
use anchorsync_core::engine::source_anchor::encode_anchor;
use anchorsync_core::hint::Hint;
use anchorsync_core::remediation::{
    AnchorSettings, Remediation, RemediationPlan, RemediationStep, RemediationUser, StepPurpose,
    StepSystem, StepValue, Strategy,
};
use anchorsync_core::wording::count;
use anchorsync_store::{RunTargets, Step};
use sha2::Digest as _;

/// A plan read and checked.
#[derive(Debug)]
pub struct PlanFile {
    /// The file as given.
    pub path: PathBuf,
    /// SHA-256 of its bytes (hex): the same file resumes the same run.
    pub sha256: String,
    /// The plan's strategy.
    pub strategy: Option<Strategy>,
    /// The plan's sources.
    pub sources: Option<anchorsync_core::remediation::PlanSources>,
    /// The users with steps, in plan order.
    pub users: Vec<PlanUser>,
}

/// One user's steps.
#[derive(Debug)]
pub struct PlanUser {
    /// distinguishedName.
    pub dn: String,
    /// The steps, in order.
    pub steps: Vec<RemediationStep>,
}

impl PlanFile {
    /// Every step, in order, as the journal records it.
    pub fn steps(&self) -> Vec<Step> {
        self.users
            .iter()
            .flat_map(|user| {
                user.steps
                    .iter()
                    .map(|step| journal_step(Some(&user.dn), step))
            })
            .collect()
    }

    /// The plan's targets must be the configured ones: the tenant it was made against, and an AD scope
    /// that holds its DNs. Checked before anything is read. A plan that changes cloud users must say
    /// which tenant it was made against (`sources.cloud.tenantId`, read live or from a snapshot's
    /// `onPremisesSynchronization`): without it the check could be skipped by deleting one line.
    pub fn check_targets(&self, targets: &RunTargets) -> Result<(), PlanError> {
        let writes_cloud = self
            .users
            .iter()
            .flat_map(|user| &user.steps)
            .any(|step| step.system == StepSystem::Cloud);
        if writes_cloud && let Some(configured) = &targets.cloud {
            let planned = self
                .sources
                .as_ref()
                .and_then(|sources| sources.cloud.tenant_id.as_deref())
                .map(str::trim)
                .filter(|tenant| !tenant.is_empty())
                .ok_or_else(|| PlanError::NoTenant {
                    path: self.path.clone(),
                })?;
            if !planned.eq_ignore_ascii_case(configured.tenant_id.trim()) {
                return Err(PlanError::OtherTenant {
                    planned: planned.to_owned(),
                    configured: configured.tenant_id.clone(),
                });
            }
        }
        if let Some(ad) = &targets.ad
            && !ad.base_dns.is_empty()
        {
            let bases: Vec<NormalizedDn> =
                ad.base_dns.iter().map(|dn| NormalizedDn::new(dn)).collect();
            if let Some(outside) = self
                .users
                .iter()
                .flat_map(|user| &user.steps)
                .filter(|step| step.system == StepSystem::Ad)
                .find(|step| {
                    let dn = NormalizedDn::new(&step.target);
                    !bases.iter().any(|base| dn.is_within(base))
                })
            {
                return Err(PlanError::OutsideScope {
                    dn: outside.target.clone(),
                    base_dns: ad.base_dns.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether any user gets the federated three steps.
    pub fn federated_users(&self) -> impl Iterator<Item = &PlanUser> {
        self.users.iter().filter(|user| {
            user.steps
                .iter()
                .any(|step| step.purpose == StepPurpose::FederatedUpnAway)
        })
    }
}

/// A plan step as a journal step.
pub fn journal_step(user_dn: Option<&str>, step: &RemediationStep) -> Step {
    Step::set(
        user_dn.map(str::to_owned),
        step.system,
        step.target.clone(),
        Some(step.label.clone()),
        step.purpose,
        step.change(),
    )
}

/// Why a plan cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file cannot be read.
    #[error("cannot read the plan `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON, or not a plan.
    #[error("`{}` line {line} column {column}{}: not a plan `apply` can read", path.display(), user_suffix(user.as_deref()))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where serde stopped.
        line: usize,
        /// Where serde stopped.
        column: usize,
        /// The user whose entry it was in, when known.
        user: Option<String>,
        /// What it found.
        #[source]
        source: serde_json::Error,
    },
    /// A step that cannot be right.
    #[error("`{}` line {line}, user `{user}`, step {step}: {reason}", path.display())]
    Step {
        /// The file.
        path: PathBuf,
        /// The line of the user's entry.
        line: usize,
        /// The user.
        user: String,
        /// 1-based step of that user.
        step: usize,
        /// What is wrong.
        reason: String,
    },
    /// A format version this build does not know.
    #[error("`{}` has formatVersion {found}; this anchorsync reads version 1 (use a newer anchorsync)", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// The plan was made against another tenant than the configured one.
    #[error(
        "the plan was made against tenant `{planned}`, but the configuration points at tenant `{configured}`; \
         nothing was changed"
    )]
    OtherTenant {
        /// The plan's tenant.
        planned: String,
        /// The configured tenant.
        configured: String,
    },
    /// A plan that changes cloud users without saying which tenant it was made against.
    #[error(
        "`{}` does not say which tenant it was made against (`sources.cloud.tenantId`), so `apply` cannot \
         check that it is the configured one; nothing was changed",
        path.display()
    )]
    NoTenant {
        /// The file.
        path: PathBuf,
    },
    /// Two entries of the plan change the same object.
    #[error(
        "`{}` lines {first_line} and {second_line}: users `{first_user}` and `{second_user}` both change \
         {object}; a plan changes each object for one user only",
        path.display()
    )]
    SameObject {
        /// The file.
        path: PathBuf,
        /// The object, as the message names it (`the cloud user `id``, `the AD object `DN``).
        object: String,
        /// The first entry's line.
        first_line: usize,
        /// The first entry's user.
        first_user: String,
        /// The second entry's line.
        second_line: usize,
        /// The second entry's user.
        second_user: String,
    },
    /// The plan writes to a DN outside the configured `[ad]` scope.
    #[error(
        "the plan writes to `{dn}`, outside the configured `[ad]` base DNs ({}); nothing was changed",
        base_dns.iter().map(|dn| format!("`{dn}`")).collect::<Vec<_>>().join(", ")
    )]
    OutsideScope {
        /// The DN.
        dn: String,
        /// The configured base DNs.
        base_dns: Vec<String>,
    },
}

impl Hint for PlanError {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Syntax { .. } | Self::Step { .. } | Self::SameObject { .. } => Some(
                "`apply` takes the JSON of `anchorsync plan --strategy hard-ad|hard-cloud|soft --format json` \
                 or of `anchorsync lint --fix`; make the plan again rather than editing it by hand"
                    .to_owned(),
            ),
            Self::NoTenant { .. } => Some(
                "make the plan again with `anchorsync plan --strategy ...`: it records the tenant (`--cloud \
                 graph`, or a snapshot with its `onPremisesSynchronization`)"
                    .to_owned(),
            ),
            Self::Read { .. }
            | Self::Version { .. }
            | Self::OtherTenant { .. }
            | Self::OutsideScope { .. } => None,
        }
    }
}

fn user_suffix(user: Option<&str>) -> String {
    user.map(|user| format!(" (user `{user}`)"))
        .unwrap_or_default()
}

/// Reads and checks a plan.
pub fn read(path: &Path) -> Result<PlanFile, PlanError> {
    let bytes = std::fs::read(path).map_err(|source| PlanError::Read {
        path: path.to_owned(),
        source,
    })?;
    let sha256 = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<String>();
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let plan: RemediationPlan = serde_json::from_str(text).map_err(|source| PlanError::Syntax {
        path: path.to_owned(),
        line: source.line(),
        column: source.column(),
        user: user_at(text, source.line(), source.column()),
        source,
    })?;
    if plan.format_version != 1 {
        return Err(PlanError::Version {
            path: path.to_owned(),
            found: plan.format_version,
        });
    }
    let mut users = Vec::new();
    let mut owners = Owners::default();
    for (entry, remediation) in plan.fixable() {
        let dn = entry.dn.as_str();
        let line = line_of_user(text, dn);
        let step_error = |index: usize, reason: String| PlanError::Step {
            path: path.to_owned(),
            line,
            user: dn.to_owned(),
            step: index + 1,
            reason,
        };
        for (index, step) in remediation.steps.iter().enumerate() {
            check_step(step, &remediation.steps, index)
                .map_err(|reason| step_error(index, reason))?;
            check_belongs(step, entry, remediation).map_err(|reason| step_error(index, reason))?;
            check_value(step, entry, plan.settings.as_ref())
                .map_err(|reason| step_error(index, reason))?;
        }
        owners.claim(entry, remediation, line, path)?;
        users.push(PlanUser {
            dn: dn.to_owned(),
            steps: remediation.steps.clone(),
        });
    }
    Ok(PlanFile {
        path: path.to_owned(),
        sha256,
        strategy: plan.strategy,
        sources: plan.sources,
        users,
    })
}

/// Which entry of the plan changes which object: each object belongs to one entry.
#[derive(Default)]
struct Owners<'p> {
    /// Normalised DN → (line, DN) of the entry.
    dns: HashMap<NormalizedDn, (usize, &'p str)>,
    /// Lowercase cloud user id → (line, DN) of the entry whose steps write it.
    cloud_users: HashMap<String, (usize, &'p str)>,
}

impl<'p> Owners<'p> {
    fn claim(
        &mut self,
        entry: &'p RemediationUser,
        remediation: &'p Remediation,
        line: usize,
        path: &Path,
    ) -> Result<(), PlanError> {
        let twice = |object: String, first: (usize, &str)| PlanError::SameObject {
            path: path.to_owned(),
            object,
            first_line: first.0,
            first_user: first.1.to_owned(),
            second_line: line,
            second_user: entry.dn.clone(),
        };
        if let Some(first) = self
            .dns
            .insert(NormalizedDn::new(&entry.dn), (line, &entry.dn))
        {
            return Err(twice(format!("the AD object `{}`", entry.dn), first));
        }
        let cloud_ids: BTreeSet<String> = remediation
            .steps
            .iter()
            .filter(|step| step.system == StepSystem::Cloud)
            .map(|step| step.target.to_lowercase())
            .collect();
        for id in cloud_ids {
            let object = format!("the cloud user `{id}`");
            if let Some(first) = self.cloud_users.insert(id, (line, &entry.dn)) {
                return Err(twice(object, first));
            }
        }
        Ok(())
    }
}

/// A step changes its own entry's objects: an AD step the entry's DN, a cloud step the cloud user the
/// entry is paired with; a `set-immutable-id` step writes the entry's sourceAnchor. A plan is input:
/// an edited target would otherwise write to another person while every message named this one.
fn check_belongs(
    step: &RemediationStep,
    entry: &RemediationUser,
    remediation: &Remediation,
) -> Result<(), String> {
    match step.system {
        StepSystem::Ad => {
            if NormalizedDn::new(&step.target) != NormalizedDn::new(&entry.dn) {
                return Err(format!(
                    "the step writes to the AD object `{}`, not to this entry's user; a step may only \
                     change its own user",
                    step.target
                ));
            }
        }
        StepSystem::Cloud => {
            let Some(paired) = remediation.paired_cloud_user_id.as_deref() else {
                return Err(format!(
                    "the step writes to the cloud user `{}`, but the entry names no paired cloud user \
                     (`remediation.pairedCloudUserId`)",
                    step.target
                ));
            };
            if !step.target.eq_ignore_ascii_case(paired) {
                return Err(format!(
                    "the step writes to the cloud user `{}`, but this entry is paired with `{paired}`; a \
                     step may only change its own user",
                    step.target
                ));
            }
            if step.purpose == StepPurpose::SetImmutableId {
                let planned = entry.source_anchor.as_deref();
                let after = match &step.after {
                    StepValue::Text(text) => Some(text.as_str()),
                    _ => None,
                };
                if planned.is_none() || planned != after {
                    return Err(format!(
                        "the step sets `{}`, but this entry's sourceAnchor is `{}`; `set-immutable-id` \
                         writes the entry's own sourceAnchor",
                        excerpt(&step.after.display()),
                        planned.map_or_else(|| "(none)".to_owned(), excerpt)
                    ));
                }
            }
        }
        StepSystem::Tenant => {}
    }
    Ok(())
}

/// Longest value a message quotes whole.
const QUOTED: usize = 80;

fn excerpt(text: &str) -> String {
    anchorsync_core::wording::excerpt(text, QUOTED).into_owned()
}

/// Values the servers would refuse, or that no sourceAnchor can be, are refused here, before anything
/// is sent: an ImmutableID must follow the sourceAnchor rules for how the plan reads anchors (canonical
/// Base64 for a binary attribute, the string rules otherwise: no `$`/`_`, no control characters,
/// under 60 weighted characters), an AD anchor value must make such a sourceAnchor, and a
/// userPrincipalName must fit Graph's lengths.
fn check_value(
    step: &RemediationStep,
    entry: &RemediationUser,
    settings: Option<&AnchorSettings>,
) -> Result<(), String> {
    let (value, attribute, base64) = match step.purpose {
        StepPurpose::SetImmutableId | StepPurpose::SetAnchor => {
            let Some(settings) = settings else {
                return Err(format!(
                    "the plan has no `settings` (`anchorAttribute`, `anchorEncoding`), so the `{}` value \
                     cannot be checked against the sourceAnchor rules",
                    step.purpose.as_str()
                ));
            };
            let encoding = settings.anchor_encoding;
            if step.purpose == StepPurpose::SetAnchor {
                let Some(bytes) = step.after.as_bytes() else {
                    return Ok(());
                };
                let (value, base64) =
                    encode_anchor(&step.attribute, bytes, encoding).ok_or_else(|| {
                        format!(
                            "the `after` value of `{}` is not UTF-8 text, which the plan's encoding `{}` \
                             needs",
                            step.attribute,
                            encoding.as_str()
                        )
                    })?;
                (value, step.attribute.as_str(), base64)
            } else {
                let StepValue::Text(value) = &step.after else {
                    return Ok(());
                };
                let attribute = entry
                    .anchor_attribute
                    .as_deref()
                    .unwrap_or(&settings.anchor_attribute);
                let base64 =
                    encode_anchor(attribute, &[], encoding).is_some_and(|(_, base64)| base64);
                (value.clone(), attribute, base64)
            }
        }
        StepPurpose::FederatedUpnAway | StepPurpose::FederatedUpnBack => {
            for value in [&step.before, &step.after] {
                if let StepValue::Text(upn) = value {
                    check_upn(upn)?;
                }
            }
            return Ok(());
        }
        // lint's fixes are values its own rules proposed or the user typed in the findings CSV: the
        // UPN limits Graph enforces once the value syncs are checked here too.
        StepPurpose::LintFix => {
            if step.attribute.eq_ignore_ascii_case("userPrincipalName")
                && let StepValue::Text(upn) = &step.after
            {
                check_upn(upn)?;
            }
            return Ok(());
        }
        StepPurpose::Sync => {
            return Err(
                "a `sync` step is never in a plan file: `sync --apply` builds its own run"
                    .to_owned(),
            );
        }
        StepPurpose::ClearImmutableId | StepPurpose::SetTenantFeature => return Ok(()),
    };
    // Four bytes per character at most: longer than this, the weighted length is 60 or more whatever
    // the characters, and a huge value is refused without being scanned.
    if value.len() >= 4 * MAX_WEIGHTED_LENGTH {
        return Err(format!(
            "`{}` cannot be a sourceAnchor: it is {} long, and the weighted length of a sourceAnchor is \
             under {MAX_WEIGHTED_LENGTH}",
            excerpt(&value),
            count(value.len(), "byte", "bytes")
        ));
    }
    let source = if base64 {
        AnchorSource::Binary
    } else {
        AnchorSource::String
    };
    let check = check_anchor(&value, source);
    if !check.valid {
        let reasons: Vec<String> = check.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "`{}` cannot be a sourceAnchor (the {} of `{attribute}`): {}",
            excerpt(&value),
            if base64 { "Base64" } else { "text" },
            reasons.join("; ")
        ));
    }
    Ok(())
}

/// Graph's limits on a userPrincipalName: 64 characters before `@`, 48 after, no control characters.
fn check_upn(upn: &str) -> Result<(), String> {
    let (prefix, domain) = upn.rsplit_once('@').unwrap_or((upn, ""));
    if prefix.chars().count() > 64
        || domain.chars().count() > 48
        || upn.chars().any(char::is_control)
    {
        return Err(format!(
            "`{}` is not a userPrincipalName Microsoft Graph accepts (at most 64 characters before `@` \
             and 48 after, no control characters)",
            excerpt(upn)
        ));
    }
    Ok(())
}

/// The GUID-valued attributes: a value for them is 16 bytes.
fn is_guid_attribute(attribute: &str) -> bool {
    ["mS-DS-ConsistencyGuid", "objectGUID"]
        .iter()
        .any(|name| name.eq_ignore_ascii_case(attribute))
}

fn check_step(
    step: &RemediationStep,
    steps: &[RemediationStep],
    index: usize,
) -> Result<(), String> {
    if step.target.trim().is_empty() {
        return Err("the target is empty".to_owned());
    }
    let expected_system = match step.purpose {
        StepPurpose::SetAnchor | StepPurpose::LintFix => StepSystem::Ad,
        StepPurpose::SetTenantFeature => {
            return Err(
                "a plan does not switch tenant features; `anchorsync tenant matching` does"
                    .to_owned(),
            );
        }
        StepPurpose::Sync => {
            return Err(
                "a plan does not hold sync writes; `anchorsync sync --apply` makes them".to_owned(),
            );
        }
        _ => StepSystem::Cloud,
    };
    if step.system != expected_system {
        return Err(format!(
            "a `{}` step must be for `{}`, not `{}`",
            step.purpose.as_str(),
            expected_system.as_str(),
            step.system.as_str()
        ));
    }
    match step.system {
        StepSystem::Ad => check_ad_step(step),
        StepSystem::Cloud => check_cloud_step(step, steps, index),
        StepSystem::Tenant => Err("a plan does not write to the tenant's settings".to_owned()),
    }
}

fn check_ad_step(step: &RemediationStep) -> Result<(), String> {
    if step.attribute.eq_ignore_ascii_case("objectGUID") {
        return Err("`objectGUID` cannot be written; the anchor attribute to write is `mS-DS-ConsistencyGuid`".to_owned());
    }
    if step.attribute.trim().is_empty() {
        return Err("the attribute is empty".to_owned());
    }
    for (name, value) in [("before", &step.before), ("after", &step.after)] {
        if is_binary_attribute(&step.attribute) && matches!(value, StepValue::Text(_)) {
            return Err(format!(
                "`{}` is binary, so its `{name}` value must be `{{\"base64\": ...}}` or null, not text",
                step.attribute
            ));
        }
        if is_guid_attribute(&step.attribute)
            && let StepValue::Bytes(bytes) = value
            && bytes.len() != 16
        {
            return Err(format!(
                "the `{name}` value of `{}` is {}; a GUID is 16",
                step.attribute,
                count(bytes.len(), "byte", "bytes")
            ));
        }
    }
    if step.after.is_absent() && step.before.is_absent() {
        return Err("`before` and `after` are both empty: nothing to do".to_owned());
    }
    if step.purpose == StepPurpose::LintFix
        && (is_binary_attribute(&step.attribute)
            || ["distinguishedName", "objectSid", "cn", "name"]
                .iter()
                .any(|name| name.eq_ignore_ascii_case(&step.attribute)))
    {
        return Err(format!(
            "a `lint-fix` step changes text attributes, not `{}`",
            step.attribute
        ));
    }
    Ok(())
}

fn check_cloud_step(
    step: &RemediationStep,
    steps: &[RemediationStep],
    index: usize,
) -> Result<(), String> {
    let attribute = match step.purpose {
        StepPurpose::SetImmutableId | StepPurpose::ClearImmutableId => "onPremisesImmutableId",
        _ => "userPrincipalName",
    };
    if step.attribute != attribute {
        return Err(format!(
            "a `{}` step changes `{attribute}`, not `{}`",
            step.purpose.as_str(),
            step.attribute
        ));
    }
    for (name, value) in [("before", &step.before), ("after", &step.after)] {
        if let StepValue::Bytes(_) = value {
            return Err(format!(
                "the `{name}` value is bytes; Microsoft 365 values are text"
            ));
        }
    }
    match step.purpose {
        StepPurpose::SetImmutableId => match &step.after {
            StepValue::Text(value) if !value.is_empty() => {
                if value.contains(['$', '_']) {
                    return Err(format!(
                        "`{}` contains `$` or `_`, which onPremisesImmutableId refuses",
                        excerpt(value)
                    ));
                }
            }
            _ => return Err("`set-immutable-id` needs a non-empty `after` value".to_owned()),
        },
        StepPurpose::ClearImmutableId => {
            if !step.after.is_absent() {
                return Err("`clear-immutable-id` must have `after` null".to_owned());
            }
        }
        StepPurpose::FederatedUpnAway => {
            let back = steps.iter().skip(index + 1).find(|later| {
                later.purpose == StepPurpose::FederatedUpnBack && later.target == step.target
            });
            match back {
                Some(back) if back.before == step.after && back.after == step.before => {}
                Some(_) => {
                    return Err(
                        "the `federated-upn-back` step does not move the UPN back to where it was"
                            .to_owned(),
                    );
                }
                None => {
                    return Err(
                        "a `federated-upn-away` step needs a `federated-upn-back` step after it"
                            .to_owned(),
                    );
                }
            }
            upn_value(&step.before)?;
            upn_value(&step.after)?;
        }
        StepPurpose::FederatedUpnBack => {
            upn_value(&step.before)?;
            upn_value(&step.after)?;
        }
        StepPurpose::SetAnchor
        | StepPurpose::SetTenantFeature
        | StepPurpose::LintFix
        | StepPurpose::Sync => {}
    }
    Ok(())
}

fn upn_value(value: &StepValue) -> Result<(), String> {
    match value {
        StepValue::Text(upn) if upn.contains('@') => Ok(()),
        other => Err(format!(
            "`{}` is not a userPrincipalName",
            excerpt(&other.display())
        )),
    }
}

/// The line on which the user's entry names its DN (the first mention).
fn line_of_user(text: &str, dn: &str) -> usize {
    let quoted = serde_json::to_string(dn).unwrap_or_default();
    text.find(&quoted).map_or(0, |offset| line_at(text, offset))
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count() + 1)
}

/// The DN of the user entry that contains `line`:`column`: the last `"dn": "..."` before it.
fn user_at(text: &str, line: usize, column: usize) -> Option<String> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map(|(at, _)| at + 1)?
    };
    let offset = (line_start + column).min(text.len());
    let before = text.get(..offset)?;
    let key = before.rfind("\"dn\"")?;
    let rest = text.get(key + 4..)?.trim_start().strip_prefix(':')?;
    serde_json::Deserializer::from_str(rest.trim_start())
        .into_iter::<String>()
        .next()
        .and_then(Result::ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with_step(step: &str) -> String {
        format!(
            r#"{{"formatVersion": 1, "strategy": "hard-ad",
 "settings": {{"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"}}, "users": [
  {{"dn": "CN=Ok,DC=corp", "remediation": {{"strategy": "hard-ad", "fixable": true, "steps": []}}}},
  {{"dn": "CN=Taro,DC=corp", "sourceAnchor": "iGhmiAEBERG7uxI0VniQqw==",
   "remediation": {{"strategy": "hard-ad", "fixable": true, "pairedCloudUserId": "c1", "steps": [
     {step}
   ]}}}}
]}}"#
        )
    }

    fn cloud_set(target: &str, after: &str) -> String {
        format!(
            r#"{{"system": "cloud", "target": "{target}", "label": "taro@x.com", "attribute": "onPremisesImmutableId",
        "before": null, "after": "{after}", "purpose": "set-immutable-id"}}"#
        )
    }

    #[test]
    fn a_step_writes_only_its_own_entrys_objects_issue_12() {
        // Another cloud user than the entry's pair, in any case of its id.
        let error = error_of(&plan_with_step(&cloud_set(
            "c2",
            "iGhmiAEBERG7uxI0VniQqw==",
        )));
        assert!(
            error.contains("writes to the cloud user `c2`, but this entry is paired with `c1`"),
            "{error}"
        );
        assert!(error.contains("user `CN=Taro,DC=corp`, step 1"), "{error}");
        assert!(
            read_text(&plan_with_step(&cloud_set(
                "C1",
                "iGhmiAEBERG7uxI0VniQqw=="
            )))
            .is_ok()
        );
        // Another DN, and the same DN written differently (as AD compares DNs: the same object).
        let ad = |target: &str| {
            format!(
                r#"{{"system": "ad", "target": "{target}", "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
        "before": null, "after": {{"base64": "iGhmiAEBERG7uxI0VniQqw=="}}, "purpose": "set-anchor"}}"#
            )
        };
        let error = error_of(&plan_with_step(&ad("CN=Hanako,DC=corp")));
        assert!(
            error.contains("writes to the AD object `CN=Hanako,DC=corp`"),
            "{error}"
        );
        assert!(read_text(&plan_with_step(&ad("cn=taro, dc=CORP"))).is_ok());
        // An ImmutableID other than the entry's sourceAnchor.
        let error = error_of(&plan_with_step(&cloud_set(
            "c1",
            "qgCqABG7IszdM0TuRO5E7g==",
        )));
        assert!(
            error.contains("this entry's sourceAnchor is `iGhmiAEBERG7uxI0VniQqw==`"),
            "{error}"
        );
        // No pair named at all.
        let unpaired = plan_with_step(&cloud_set("c1", "iGhmiAEBERG7uxI0VniQqw=="))
            .replace(r#""pairedCloudUserId": "c1", "#, "");
        assert!(error_of(&unpaired).contains("names no paired cloud user"));
    }

    #[test]
    fn two_entries_changing_one_object_are_refused_issue_12() {
        let text = r#"{"formatVersion": 1, "strategy": "soft",
 "settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"}, "users": [
  {"dn": "CN=A,DC=corp", "remediation": {"strategy": "soft", "fixable": true, "pairedCloudUserId": "c1", "steps": [
    {"system": "cloud", "target": "c1", "label": "a", "attribute": "onPremisesImmutableId", "before": "x", "after": null, "purpose": "clear-immutable-id"}]}},
  {"dn": "CN=B,DC=corp", "remediation": {"strategy": "soft", "fixable": true, "pairedCloudUserId": "C1", "steps": [
    {"system": "cloud", "target": "C1", "label": "b", "attribute": "onPremisesImmutableId", "before": "x", "after": null, "purpose": "clear-immutable-id"}]}}
]}"#;
        let error = error_of(text);
        assert!(
            error.starts_with("`plan.json` lines 3 and 5: users `CN=A,DC=corp` and `CN=B,DC=corp` both change the cloud user `c1`"),
            "{error}"
        );
        let same_dn = text
            .replace("CN=B,DC=corp", "cn=a,DC=CORP")
            .replace(r#""C1""#, r#""c2""#);
        assert!(error_of(&same_dn).contains("both change the AD object `cn=a,DC=CORP`"));
    }

    #[test]
    fn values_are_checked_before_anything_is_sent_issue_12() {
        let long = "A".repeat(1 << 20);
        let plan = |after: &str| {
            plan_with_step(&cloud_set("c1", after)).replace(
                r#""sourceAnchor": "iGhmiAEBERG7uxI0VniQqw==""#,
                &format!(r#""sourceAnchor": "{after}""#),
            )
        };
        for (after, expected) in [
            ("iGhmiAEBERG7uxI0VniQqw", "the `=` padding is missing"),
            ("iGhmiAEBERG7uxI0VniQqx==", "bits that encoding never sets"),
            ("iGhmiAEBERG7uxI0Vni-qw==", "base64url"),
            ("abc def", "not in the Base64 alphabet"),
            (long.as_str(), "1,048,576 bytes long"),
        ] {
            let error = error_of(&plan(after));
            assert!(
                error.contains("cannot be a sourceAnchor"),
                "{after:.40}: {error:.400}"
            );
            assert!(error.contains(expected), "{after:.40}: {error:.400}");
            assert!(
                error.len() < 2_000,
                "the value is quoted whole: {} bytes",
                error.len()
            );
        }
        // A string anchor attribute (raw): the string rules, which a numeric id passes.
        let raw = plan("E10023")
            .replace(r#""anchorEncoding": "auto""#, r#""anchorEncoding": "raw""#)
            .replace("mS-DS-ConsistencyGuid", "employeeID");
        assert!(read_text(&raw).is_ok());
        let raw = plan("E1$0023")
            .replace(r#""anchorEncoding": "auto""#, r#""anchorEncoding": "raw""#)
            .replace("mS-DS-ConsistencyGuid", "employeeID");
        assert!(error_of(&raw).contains("`$` or `_`"));
        // Without the plan's settings, the value cannot be checked: refused.
        let bare = plan_with_step(&cloud_set("c1", "iGhmiAEBERG7uxI0VniQqw==")).replace(
            r#""settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"}, "#,
            "",
        );
        assert!(error_of(&bare).contains("the plan has no `settings`"));
    }

    fn read_text(text: &str) -> Result<PlanFile, PlanError> {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plan.json");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    fn error_of(text: &str) -> String {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plan.json");
        std::fs::write(&path, text).unwrap();
        let error = read(&path).unwrap_err();
        crate::chain(&error).replace(&path.display().to_string(), "plan.json")
    }

    #[test]
    fn bad_base64_names_the_file_line_and_user() {
        let text = plan_with_step(
            r#"{"system": "ad", "target": "CN=Taro,DC=corp", "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
        "before": null, "after": {"base64": "AQI"}, "purpose": "set-anchor"}"#,
        );
        let error = error_of(&text);
        assert!(error.starts_with("`plan.json` line 7 column "), "{error}");
        assert!(error.contains("(user `CN=Taro,DC=corp`)"), "{error}");
        assert!(error.contains("not canonical Base64"), "{error}");
    }

    #[test]
    fn a_wrong_length_guid_names_the_user_and_step() {
        let text = plan_with_step(
            r#"{"system": "ad", "target": "CN=Taro,DC=corp", "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
        "before": null, "after": {"base64": "AQID"}, "purpose": "set-anchor"}"#,
        );
        assert_eq!(
            error_of(&text),
            "`plan.json` line 4, user `CN=Taro,DC=corp`, step 1: the `after` value of `mS-DS-ConsistencyGuid` is 3 bytes; a GUID is 16"
        );
    }

    #[test]
    fn steps_that_cannot_be_right_are_refused() {
        let cases = [
            (
                r#"{"system": "cloud", "target": "id", "label": "t", "attribute": "onPremisesImmutableId", "before": null, "after": "a_b", "purpose": "set-immutable-id"}"#,
                "contains `$` or `_`",
            ),
            (
                r#"{"system": "ad", "target": "id", "label": "t", "attribute": "onPremisesImmutableId", "before": null, "after": "ab", "purpose": "set-immutable-id"}"#,
                "must be for `cloud`",
            ),
            (
                r#"{"system": "cloud", "target": "id", "label": "t", "attribute": "userPrincipalName", "before": "a@x.com", "after": "a@t.onmicrosoft.com", "purpose": "federated-upn-away"}"#,
                "needs a `federated-upn-back` step",
            ),
            (
                r#"{"system": "ad", "target": "CN=T", "label": "t", "attribute": "objectGUID", "before": null, "after": {"base64": "AQID"}, "purpose": "set-anchor"}"#,
                "cannot be written",
            ),
            (
                r#"{"system": "ad", "target": "CN=T", "label": "t", "attribute": "mS-DS-ConsistencyGuid", "before": null, "after": "text", "purpose": "set-anchor"}"#,
                "must be `{\"base64\": ...}`",
            ),
        ];
        for (step, expected) in cases {
            let error = error_of(&plan_with_step(step));
            assert!(error.contains(expected), "{error}");
            assert!(error.contains("user `CN=Taro,DC=corp`"), "{error}");
        }
    }

    #[test]
    fn a_good_plan_reads_with_its_hash_and_steps() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plan.json");
        std::fs::write(
            &path,
            plan_with_step(
                r#"{"system": "ad", "target": "CN=Taro,DC=corp", "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
        "before": null, "after": {"base64": "iGhmiAEBERG7uxI0VniQqw=="}, "purpose": "set-anchor"}"#,
            ),
        )
        .unwrap();
        let plan = read(&path).unwrap();
        assert_eq!(plan.sha256.len(), 64);
        assert_eq!(plan.users.len(), 1);
        let steps = plan.steps();
        assert_eq!(steps[0].user_dn.as_deref(), Some("CN=Taro,DC=corp"));
        assert_eq!(steps[0].purpose, StepPurpose::SetAnchor);
    }
}
