//! `lint --fix FILE`: the fixes the administrator accepted, as a plan `apply` carries out (strategy
//! `lint`, docs/plan-format.md): one `lint-fix` step per value, a compare-and-set whose `before` is the
//! value just read, so a value changed since is refused, and every step journaled and undoable.
//!
//! What is accepted: `--accept RULE` (or `all`) takes the proposed value of that rule's findings (a
//! value several accepted rules touch gets them all, one after the other); `--actions CSV` takes the
//! findings CSV with its ACTION column filled in (`keep`, `remove`, `edit` with UPDATE; IdFix's
//! `complete` reads as `keep`). Duplicates are never fixed by `--accept`: only an explicit row of the
//! CSV changes one. A new value another object already holds (or that two fixes would both write) is
//! refused before anything is written, so a fix never causes a conflict of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anchorsync_core::lint::duplicates::{AddressIndex, address_key};
use anchorsync_core::lint::rules::object_findings;
use anchorsync_core::lint::{Attribute, LintObject, RuleId, TldList};
use anchorsync_core::remediation::{
    PlanSource, PlanSources, RemediationStep, StepPurpose, StepSystem, StepValue,
};
use anyhow::Context as _;

use crate::args::LintArgs;
use crate::sources::AdSource;

use super::{Linted, parse_rules};

/// One accepted change of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFix {
    /// The object's position.
    pub object: usize,
    /// The attribute.
    pub attribute: Attribute,
    /// The value now (empty: the attribute is blank).
    pub before: String,
    /// The value it gets (`None`: removed).
    pub after: Option<String>,
}

pub fn write_plan(
    args: &LintArgs,
    linted: &Linted,
    path: &Path,
    config: &crate::settings::Settings,
) -> anyhow::Result<()> {
    if args.accept.is_empty() && args.actions.is_none() {
        anyhow::bail!(
            "`--fix` needs `--accept RULE|all` or `--actions FILE`: nothing is fixed unless accepted"
        );
    }
    let mut fixes = Vec::new();
    if !args.accept.is_empty() {
        let rules = accepted_rules(&args.accept)?;
        let mut tlds = TldList::bundled();
        if let Some(tld_file) = &args.tld_file {
            tlds.extend_from_text(&std::fs::read_to_string(tld_file).unwrap_or_default());
        }
        fixes.extend(accepted_fixes(linted, &rules, &tlds));
    }
    if let Some(actions) = &args.actions {
        fixes.extend(read_actions(actions, linted)?);
    }
    check_new_conflicts(linted, &fixes)?;
    let ad = AdSource::parse(&args.ad);
    let source = match &ad {
        AdSource::File(_) => PlanSource {
            kind: "file".to_owned(),
            location: args.ad.clone(),
            ..PlanSource::default()
        },
        AdSource::Live { url } => {
            let configured = config.ad()?;
            PlanSource {
                kind: "ldap".to_owned(),
                location: url.clone().unwrap_or_else(|| configured.servers.join(" ")),
                base_dns: configured.base_dns,
                tenant_id: None,
            }
        }
    };
    let document = plan_document(linted, &fixes, source);
    crate::output::write_to(Some(path), |out| {
        serde_json::to_writer_pretty(&mut *out, &document)?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    eprintln!(
        "wrote {} for {} to `{}`: `anchorsync apply {}` shows them, `--yes` makes them",
        anchorsync_core::wording::count(fixes.len(), "fix", "fixes"),
        anchorsync_core::wording::count(
            fixes
                .iter()
                .map(|fix| fix.object)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            "object",
            "objects"
        ),
        path.display(),
        path.display()
    );
    Ok(())
}

/// The rules of `--accept` (`all`: every rule but the duplicates, which are never fixed automatically).
fn accepted_rules(names: &[String]) -> anyhow::Result<Vec<RuleId>> {
    if names
        .iter()
        .any(|name| name.trim().eq_ignore_ascii_case("all"))
    {
        return Ok(RuleId::ALL
            .iter()
            .copied()
            .filter(|rule| !is_duplicate_rule(*rule))
            .collect());
    }
    let rules = parse_rules(names, "--accept")?;
    if let Some(rule) = rules.iter().find(|rule| is_duplicate_rule(**rule)) {
        anyhow::bail!(
            "`--accept {rule}`: duplicates are never fixed automatically; decide which object keeps the value \
             and say so in the findings CSV's ACTION column (`--actions`)"
        );
    }
    Ok(rules)
}

fn is_duplicate_rule(rule: RuleId) -> bool {
    matches!(
        rule,
        RuleId::DuplicateAddress | RuleId::DuplicateMailNickname
    )
}

/// The object with one value of an attribute replaced, to check the value again.
fn with_value(object: &LintObject, attribute: Attribute, old: &str, new: &str) -> LintObject {
    let mut changed = object.clone();
    let slot = match attribute {
        Attribute::UserPrincipalName => &mut changed.user_principal_name,
        Attribute::Mail => &mut changed.mail,
        Attribute::MailNickname => &mut changed.mail_nickname,
        Attribute::SamAccountName => &mut changed.sam_account_name,
        Attribute::DisplayName => &mut changed.display_name,
        Attribute::GivenName => &mut changed.given_name,
        Attribute::Surname => &mut changed.surname,
        Attribute::ProxyAddresses => {
            for proxy in &mut changed.proxy_addresses {
                if proxy == old {
                    new.clone_into(proxy);
                }
            }
            return changed;
        }
    };
    *slot = Some(new.to_owned());
    changed
}

/// The fixes `--accept` gives: per value with an accepted finding, every accepted rule's proposal
/// applied in turn, until none of them fires (a few rounds at most).
pub fn accepted_fixes(linted: &Linted, rules: &[RuleId], tlds: &TldList) -> Vec<ValueFix> {
    const ROUNDS: usize = 6;
    let mut fixes: BTreeMap<(usize, Attribute, String), String> = BTreeMap::new();
    for finding in &linted.report.findings {
        if !rules.contains(&finding.rule) || finding.proposed.is_none() {
            continue;
        }
        let key = (finding.object, finding.attribute, finding.value.clone());
        if fixes.contains_key(&key) {
            continue;
        }
        let Some(object) = linted.objects.get(finding.object) else {
            continue;
        };
        let mut current = finding.value.clone();
        for _ in 0..ROUNDS {
            let candidate = with_value(object, finding.attribute, &finding.value, &current);
            let next = object_findings(finding.object, &candidate, tlds, None, None)
                .into_iter()
                .find(|again| {
                    again.attribute == finding.attribute
                        && again.value == current
                        && rules.contains(&again.rule)
                        && again.proposed.is_some()
                })
                .and_then(|again| again.proposed);
            match next {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        if current != finding.value {
            fixes.insert(key, current);
        }
    }
    fixes
        .into_iter()
        .map(|((object, attribute, before), after)| ValueFix {
            object,
            attribute,
            before,
            after: Some(after),
        })
        .collect()
}

/// The fixes of an edited findings CSV: each row with ACTION `remove` or `edit`, checked against the
/// objects just read (the value must still be there).
pub fn read_actions(path: &Path, linted: &Linted) -> anyhow::Result<Vec<ValueFix>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the actions file `{}`", path.display()))?;
    let text = crate::csv_input::decode_text(&bytes)
        .with_context(|| format!("cannot read the actions file `{}`", path.display()))?;
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|header| header.contains(';') && !header.contains(','))
    {
        b';'
    } else {
        b','
    };
    let mut reader = crate::csv_input::reader(&text, delimiter);
    let headers = reader
        .headers()
        .with_context(|| format!("`{}`: no header row", path.display()))?
        .clone();
    let column = |name: &str| -> anyhow::Result<usize> {
        headers
            .iter()
            .position(|header| header.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "`{}` has no `{name}` column; it must be the CSV of `anchorsync lint --format csv`",
                    path.display()
                )
            })
    };
    let (dn_column, attribute_column, value_column, action_column, update_column) = (
        column("dn")?,
        column("attribute")?,
        column("value")?,
        column("ACTION")?,
        column("UPDATE")?,
    );
    let by_dn: HashMap<String, usize> = linted
        .objects
        .iter()
        .enumerate()
        .map(|(position, object)| (object.dn.to_lowercase(), position))
        .collect();
    let mut fixes = Vec::new();
    for record in crate::csv_input::numbered_records(&mut reader) {
        let (line, record) = record.with_context(|| format!("reading `{}`", path.display()))?;
        let cell = |index: usize| record.get(index).unwrap_or_default();
        let where_ = || format!("`{}` line {line}", path.display());
        let action = cell(action_column).trim().to_ascii_lowercase();
        let after = match action.as_str() {
            "" | "keep" | "complete" => continue,
            "remove" => None,
            "edit" => Some(cell(update_column).to_owned()),
            other => anyhow::bail!(
                "{}: ACTION `{other}` is not `keep`, `remove` or `edit`",
                where_()
            ),
        };
        let dn = cell(dn_column);
        let Some(&object) = by_dn.get(&dn.to_lowercase()) else {
            anyhow::bail!(
                "{}: `{dn}` is not among the objects read from `--ad`",
                where_()
            );
        };
        let attribute = [
            Attribute::UserPrincipalName,
            Attribute::Mail,
            Attribute::MailNickname,
            Attribute::ProxyAddresses,
            Attribute::SamAccountName,
            Attribute::DisplayName,
            Attribute::GivenName,
            Attribute::Surname,
        ]
        .into_iter()
        .find(|attribute| {
            attribute
                .name()
                .eq_ignore_ascii_case(cell(attribute_column).trim())
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: `{}` is not an attribute lint fixes",
                where_(),
                cell(attribute_column)
            )
        })?;
        let before = cell(value_column).to_owned();
        let holder = linted.objects.get(object);
        let holds = holder.is_some_and(|holder| match attribute {
            Attribute::ProxyAddresses => holder.proxy_addresses.contains(&before),
            _ => holder.single(attribute).unwrap_or_default() == before,
        });
        if !holds {
            anyhow::bail!(
                "{}: `{dn}` no longer has `{before}` in `{}`; export the findings again",
                where_(),
                attribute.name()
            );
        }
        if after.as_deref() == Some(before.as_str()) {
            continue;
        }
        if after
            .as_deref()
            .is_some_and(|after| after.trim().is_empty())
        {
            anyhow::bail!(
                "{}: ACTION `edit` with an empty UPDATE; use `remove` to clear the value",
                where_()
            );
        }
        fixes.push(ValueFix {
            object,
            attribute,
            before,
            after,
        });
    }
    Ok(fixes)
}

/// Refuses fixes whose new address another object already holds, or that two fixes would both write.
fn check_new_conflicts(linted: &Linted, fixes: &[ValueFix]) -> anyhow::Result<()> {
    let in_scope = vec![true; linted.objects.len()];
    let index = AddressIndex::build(&linted.objects, &in_scope, None);
    let mut written: HashMap<String, usize> = HashMap::new();
    for fix in fixes {
        let Some(after) = &fix.after else {
            continue;
        };
        let dn = linted
            .objects
            .get(fix.object)
            .map_or("", |object| object.dn.as_str());
        // A fix that keeps the key (trimming spaces, changing case) causes no conflict of its own.
        let same_key = anchorsync_core::engine::index::eq_folded(
            address_key(fix.attribute, after),
            address_key(fix.attribute, &fix.before),
        );
        if !same_key
            && matches!(
                fix.attribute,
                Attribute::UserPrincipalName | Attribute::Mail | Attribute::ProxyAddresses
            )
        {
            if let Some(holder) = index.other_holder(fix.attribute, after, fix.object) {
                anyhow::bail!(
                    "the fix of `{dn}` would write `{after}` to {}, which {holder} holds; nothing was written",
                    fix.attribute
                );
            }
            let key = address_key(fix.attribute, after).trim().to_lowercase();
            if let Some(other) = written.insert(key, fix.object)
                && other != fix.object
            {
                let other_dn = linted
                    .objects
                    .get(other)
                    .map_or("", |object| object.dn.as_str());
                anyhow::bail!(
                    "the fixes of `{dn}` and `{other_dn}` would both write `{after}`; nothing was written"
                );
            }
        }
    }
    Ok(())
}

fn text_value(value: Option<&str>) -> StepValue {
    match value {
        Some(value) if !value.is_empty() => StepValue::Text(value.to_owned()),
        _ => StepValue::Absent,
    }
}

/// The plan: one user record per object with fixes, each fix one `lint-fix` step.
fn plan_document(linted: &Linted, fixes: &[ValueFix], source: PlanSource) -> serde_json::Value {
    let mut by_object: BTreeMap<usize, Vec<&ValueFix>> = BTreeMap::new();
    for fix in fixes {
        by_object.entry(fix.object).or_default().push(fix);
    }
    let mut users: Vec<(String, serde_json::Value)> = Vec::new();
    for (position, object_fixes) in by_object {
        let Some(object) = linted.objects.get(position) else {
            continue;
        };
        let label = object
            .user_principal_name
            .clone()
            .or_else(|| object.mail.clone())
            .or_else(|| object.cn.clone())
            .unwrap_or_else(|| object.dn.clone());
        let steps: Vec<RemediationStep> = object_fixes
            .iter()
            .map(|fix| RemediationStep {
                system: StepSystem::Ad,
                target: object.dn.clone(),
                label: label.clone(),
                attribute: fix.attribute.name().to_owned(),
                before: text_value(Some(&fix.before)),
                after: text_value(fix.after.as_deref()),
                purpose: StepPurpose::LintFix,
            })
            .collect();
        users.push((
            object.dn.to_lowercase(),
            serde_json::json!({
                "dn": object.dn,
                "objectClass": object.kind().as_str(),
                "remediation": {
                    "strategy": "lint",
                    "pairedBy": [],
                    "fixable": true,
                    "reason": null,
                    "alternative": null,
                    "outcomeAfter": null,
                    "steps": steps,
                }
            }),
        ));
    }
    users.sort_by(|a, b| a.0.cmp(&b.0));
    serde_json::json!({
        "formatVersion": 1,
        "strategy": "lint",
        "sources": PlanSources {
            ad: source,
            cloud: PlanSource::default(),
        },
        "users": users.into_iter().map(|(_, user)| user).collect::<Vec<_>>(),
    })
}
