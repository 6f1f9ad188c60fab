//! Reading the plan `apply` carries out ([`RemediationPlan`], docs/plan-format.md) and checking every
//! step before anything is read from or written to a server. A problem is an error naming the file,
//! the line and the user; nothing has happened yet when it is reported. Once connected, the plan's
//! targets are checked against the configured ones ([`PlanFile::check_targets`]).

use std::path::{Path, PathBuf};

use anchorsync_ad::dn::NormalizedDn;
use anchorsync_core::directory::is_binary_attribute;
use anchorsync_core::hint::Hint;
use anchorsync_core::remediation::{
    RemediationPlan, RemediationStep, StepPurpose, StepSystem, StepValue, Strategy,
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

    /// The plan's targets must be the configured ones: the tenant it was read from (when read live),
    /// and an AD scope that holds its DNs. Checked before anything is read.
    pub fn check_targets(&self, targets: &RunTargets) -> Result<(), PlanError> {
        if let Some(sources) = &self.sources
            && sources.cloud.kind == "graph"
            && let (Some(planned), Some(configured)) = (&sources.cloud.tenant_id, &targets.cloud)
            && !planned.eq_ignore_ascii_case(&configured.tenant_id)
        {
            return Err(PlanError::OtherTenant {
                planned: planned.clone(),
                configured: configured.tenant_id.clone(),
            });
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
            Self::Syntax { .. } | Self::Step { .. } => Some(
                "`apply` takes the JSON of `anchorsync plan --strategy hard-ad|hard-cloud|soft --format json` \
                 or of `anchorsync lint --fix`; make the plan again rather than editing it by hand"
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
    for (dn, remediation) in plan.fixable() {
        for (index, step) in remediation.steps.iter().enumerate() {
            check_step(step, &remediation.steps, index).map_err(|reason| PlanError::Step {
                path: path.to_owned(),
                line: line_of_user(text, dn),
                user: dn.to_owned(),
                step: index + 1,
                reason,
            })?;
        }
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
                        "`{value}` contains `$` or `_`, which onPremisesImmutableId refuses"
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
        StepPurpose::SetAnchor | StepPurpose::SetTenantFeature | StepPurpose::LintFix => {}
    }
    Ok(())
}

fn upn_value(value: &StepValue) -> Result<(), String> {
    match value {
        StepValue::Text(upn) if upn.contains('@') => Ok(()),
        other => Err(format!("`{}` is not a userPrincipalName", other.display())),
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
            r#"{{"formatVersion": 1, "strategy": "hard-ad", "users": [
  {{"dn": "CN=Ok,DC=corp", "remediation": {{"strategy": "hard-ad", "fixable": true, "steps": []}}}},
  {{"dn": "CN=Taro,DC=corp",
   "remediation": {{"strategy": "hard-ad", "fixable": true, "steps": [
     {step}
   ]}}}}
]}}"#
        )
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
        assert!(error.starts_with("`plan.json` line 6 column "), "{error}");
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
            "`plan.json` line 3, user `CN=Taro,DC=corp`, step 1: the `after` value of `mS-DS-ConsistencyGuid` is 3 bytes; a GUID is 16"
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
