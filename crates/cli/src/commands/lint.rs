//! `anchorsync lint`: read the objects `plan` would read (and the groups and contacts holding
//! addresses), run the rules of `anchorsync_core::lint`, write the findings as a table, JSON
//! (docs/lint-format.md), CSV or HTML, and with `--fix` the accepted fixes as a plan for `apply`.

mod fix;
mod html;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anchorsync_ad::dn::NormalizedDn;
use anchorsync_core::directory::{DirectoryEntry, OnPremUser};
use anchorsync_core::engine::index::CloudIndex;
use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::engine::{EngineSettings, Outcome, plan_with};
use anchorsync_core::lint::{
    CloudHolder, Finding, LintObject, LintReport, ObjectKind, RuleId, TenantFacts, TldList, lint,
};
use anchorsync_core::tenant::{CloudRecipient, TenantSnapshot};
use anyhow::Context as _;

use crate::args::{LintArgs, LintFormat};
use crate::exit::ExitStatus;
use crate::output::write_to;
use crate::sources::{AdSource, CloudSource, read_ad_entries, read_cloud_with_recipients};

/// The version of the JSON this module writes (docs/lint-format.md).
pub const FORMAT_VERSION: u32 = 1;

/// What was checked and found, with the objects for naming them.
pub struct Linted {
    /// The objects read.
    pub objects: Vec<LintObject>,
    /// What lint found, after `--ignore` and the exceptions.
    pub report: LintReport,
    /// Findings left out by `--ignore` or the exception file.
    pub excepted: usize,
}

pub fn run(args: &LintArgs, config: &crate::settings::Settings) -> anyhow::Result<ExitStatus> {
    let ignored = parse_rules(&args.ignore, "--ignore")?;
    let exceptions = match &args.exceptions {
        Some(path) => read_exceptions(path)?,
        None => Vec::new(),
    };
    let mut tlds = TldList::bundled();
    if let Some(path) = &args.tld_file {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the top-level-domain file `{}`", path.display())
        })?;
        tlds.extend_from_text(&text);
    }
    let ad = AdSource::parse(&args.ad);
    let entries = read_ad_entries(&ad, config)?;
    let tenant = match &args.cloud {
        Some(cloud) => {
            let snapshot = read_cloud_with_recipients(&CloudSource::parse(cloud), config)?;
            Some(tenant_facts(&entries, &snapshot, &args.anchor_attribute))
        }
        None => None,
    };
    let objects: Vec<LintObject> = entries.iter().filter_map(LintObject::from_entry).collect();
    drop(entries);
    let linted = check(objects, &tlds, tenant.as_ref(), &ignored, &exceptions);

    if let Some(plan_path) = &args.fix {
        fix::write_plan(args, &linted, plan_path, config)?;
    }
    write_to(args.output.as_deref(), |out| match args.format {
        LintFormat::Table => write_table(out, &linted),
        LintFormat::Json => write_json(out, &linted),
        LintFormat::Csv => write_csv(out, &linted),
        LintFormat::Html => html::write(out, &linted, &args.ad, args.cloud.as_deref()),
    })?;
    Ok(if linted.report.findings.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    })
}

/// Runs the rules and drops the findings `--ignore` and the exception file leave out.
pub fn check(
    objects: Vec<LintObject>,
    tlds: &TldList,
    tenant: Option<&TenantFacts>,
    ignored: &[RuleId],
    exceptions: &[Exception],
) -> Linted {
    let mut report = lint(&objects, tlds, tenant);
    let before = report.findings.len();
    let excepted_dns: Vec<(Option<RuleId>, NormalizedDn)> = exceptions
        .iter()
        .map(|exception| (exception.rule, NormalizedDn::new(&exception.dn)))
        .collect();
    report.findings.retain(|finding| {
        if ignored.contains(&finding.rule) {
            return false;
        }
        if excepted_dns.is_empty() {
            return true;
        }
        let Some(object) = objects.get(finding.object) else {
            return true;
        };
        let dn = NormalizedDn::new(&object.dn);
        !excepted_dns
            .iter()
            .any(|(rule, excepted)| rule.is_none_or(|rule| rule == finding.rule) && *excepted == dn)
    });
    let excepted = before - report.findings.len();
    // Sorted by DN, then as the core orders one object's findings: the same input gives the same bytes.
    report.findings.sort_by_cached_key(|finding| {
        let dn = objects
            .get(finding.object)
            .map(|object| object.dn.to_lowercase());
        (dn, finding.attribute, finding.rule, finding.value.clone())
    });
    Linted {
        objects,
        report,
        excepted,
    }
}

/// The rules named on the command line (`all` is not a rule here).
pub fn parse_rules(names: &[String], flag: &str) -> anyhow::Result<Vec<RuleId>> {
    names
        .iter()
        .flat_map(|name| name.split(','))
        .filter(|name| !name.trim().is_empty())
        .map(|name| {
            RuleId::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "`{flag} {name}` names no rule; the rules are {}",
                    rule_list()
                )
            })
        })
        .collect()
}

fn rule_list() -> String {
    RuleId::ALL
        .iter()
        .map(|rule| format!("`{rule}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of the exception file: a rule (`None` for every rule) and a DN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The rule, `None` for `*`.
    pub rule: Option<RuleId>,
    /// The object.
    pub dn: String,
}

/// Reads the exception file: `RULE DN` a line, `*` for every rule, `#` comments.
pub fn read_exceptions(path: &Path) -> anyhow::Result<Vec<Exception>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the exception file `{}`", path.display()))?;
    let text = crate::csv_input::decode_text(&bytes)
        .with_context(|| format!("cannot read the exception file `{}`", path.display()))?;
    let mut exceptions = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (rule, dn) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let dn = dn.trim();
        let rule = if rule == "*" {
            None
        } else {
            Some(RuleId::parse(rule).ok_or_else(|| {
                anyhow::anyhow!(
                    "`{}` line {}: `{rule}` is not a rule id (or `*`); the rules are {}",
                    path.display(),
                    number + 1,
                    rule_list()
                )
            })?)
        };
        if dn.is_empty() {
            anyhow::bail!(
                "`{}` line {}: a rule id and a DN are needed, as `upn-tld CN=Taro,OU=Tokyo,DC=corp`",
                path.display(),
                number + 1
            );
        }
        exceptions.push(Exception {
            rule,
            dn: dn.to_owned(),
        });
    }
    Ok(exceptions)
}

/// What lint needs from the tenant: its verified and initial domains, the cloud groups and contacts
/// holding an address, and the cloud users no AD user matches as the match engine predicts (`plan`'s
/// decision, with the default settings but the anchor attribute). AD users that are not usable as users (a broken attribute) match nothing.
fn tenant_facts(
    entries: &[DirectoryEntry],
    tenant: &TenantSnapshot,
    anchor_attribute: &str,
) -> TenantFacts {
    let users: Vec<OnPremUser> = entries
        .iter()
        .filter(|entry| ObjectKind::of_entry(entry) == Some(ObjectKind::User))
        .filter_map(|entry| OnPremUser::from_entry(entry.clone()).ok())
        .collect();
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::from_name(anchor_attribute),
        ..EngineSettings::default()
    };
    let plan = plan_with(&users, CloudIndex::new(tenant), &settings);
    let mut matched = vec![false; tenant.users.len()];
    for user_plan in &plan.users {
        let is_match = matches!(
            user_plan.outcome,
            Outcome::HardMatch | Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn
        );
        if is_match
            && let Some(slot) = user_plan
                .cloud_user
                .and_then(|position| matched.get_mut(position))
        {
            *slot = true;
        }
    }
    let users = tenant
        .users
        .iter()
        .zip(&matched)
        .filter(|(_, matched)| !**matched)
        .map(|(user, _)| CloudHolder {
            kind: ObjectKind::User,
            id: user.id.clone(),
            display_name: user.display_name.clone(),
            user_principal_name: user.user_principal_name.clone(),
            mail: user.mail.clone(),
            proxy_addresses: user.proxy_addresses.clone(),
        });
    // Groups and contacts: the match engine pairs AD users with cloud users only, so every cloud group
    // and contact that holds an address is one no AD object matches.
    let recipients = |kind: ObjectKind, list: &[CloudRecipient]| {
        list.iter()
            .filter(|recipient| recipient.holds_an_address())
            .map(|recipient| CloudHolder {
                kind,
                id: recipient.id.clone(),
                display_name: recipient.display_name.clone(),
                user_principal_name: None,
                mail: recipient.mail.clone(),
                proxy_addresses: recipient.proxy_addresses.clone(),
            })
            .collect::<Vec<_>>()
    };
    let unmatched = users
        .chain(recipients(ObjectKind::Group, &tenant.groups))
        .chain(recipients(ObjectKind::Contact, &tenant.contacts))
        .collect();
    TenantFacts {
        verified_domains: tenant
            .domains
            .iter()
            .filter(|domain| domain.is_verified)
            .map(|domain| domain.id.clone())
            .collect(),
        initial_domain: tenant
            .domains
            .iter()
            .find(|domain| domain.is_initial)
            .map(|domain| domain.id.clone()),
        unmatched,
    }
}

/// The finding's object (an empty one if the position is out of range, which `lint` never gives).
pub fn object_of<'o>(linted: &'o Linted, finding: &Finding) -> std::borrow::Cow<'o, LintObject> {
    match linted.objects.get(finding.object) {
        Some(object) => std::borrow::Cow::Borrowed(object),
        None => std::borrow::Cow::Owned(LintObject::default()),
    }
}

/// Findings per rule, every rule present.
pub fn counts(linted: &Linted) -> BTreeMap<RuleId, usize> {
    let mut counts: BTreeMap<RuleId, usize> = RuleId::ALL.iter().map(|rule| (*rule, 0)).collect();
    for finding in &linted.report.findings {
        *counts.entry(finding.rule).or_default() += 1;
    }
    counts
}

fn write_table(out: &mut (dyn Write + Send), linted: &Linted) -> anyhow::Result<()> {
    use super::plan::table::wrap;
    use anchorsync_core::wording::{count, printable};
    let report = &linted.report;
    writeln!(
        out,
        "{} checked ({} skipped as IdFix skips them): {}{}",
        count(report.checked, "object", "objects"),
        report.skipped.len(),
        count(report.findings.len(), "finding", "findings"),
        if linted.excepted > 0 {
            format!(" ({} left out by --ignore or exceptions)", linted.excepted)
        } else {
            String::new()
        }
    )?;
    for (rule, found) in counts(linted).into_iter().filter(|(_, found)| *found > 0) {
        writeln!(out, "  {:<24} {found}", rule.as_str())?;
    }
    for finding in &report.findings {
        let object = object_of(linted, finding);
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            wrap(
                &format!("{} ", finding.rule),
                4,
                &format!("{} `{}`", object.kind().as_str(), printable(&object.dn))
            )
        )?;
        let value = if finding.value.is_empty() {
            "(empty)".to_owned()
        } else {
            format!("`{}`", printable(&finding.value))
        };
        let proposed = finding
            .proposed
            .as_deref()
            .map(|proposed| format!(" → `{}`", printable(proposed)))
            .unwrap_or_default();
        writeln!(out, "    {}: {value}{proposed}", finding.attribute)?;
        writeln!(out, "{}", wrap("    ", 4, &printable(&finding.why())))?;
    }
    Ok(())
}

/// One finding as JSON and CSV write it.
fn finding_record(linted: &Linted, finding: &Finding) -> serde_json::Value {
    let object = object_of(linted, finding);
    serde_json::json!({
        "dn": object.dn,
        "objectClass": object.kind().as_str(),
        "attribute": finding.attribute.name(),
        "value": finding.value,
        "rule": finding.rule.as_str(),
        "why": finding.why(),
        "proposed": finding.proposed,
    })
}

fn write_json(out: &mut (dyn Write + Send), linted: &Linted) -> anyhow::Result<()> {
    let report = &linted.report;
    let rules: serde_json::Map<String, serde_json::Value> = counts(linted)
        .into_iter()
        .map(|(rule, found)| (rule.as_str().to_owned(), found.into()))
        .collect();
    let head = serde_json::json!({
        "formatVersion": FORMAT_VERSION,
        "totals": {
            "objects": linted.objects.len(),
            "checked": report.checked,
            "skipped": report.skipped.len(),
            "findings": report.findings.len(),
            "excepted": linted.excepted,
        },
        "rules": rules,
    });
    // The head indented, then one finding a line, as plan files are written: diffs and greps by line.
    let head = serde_json::to_string_pretty(&head)?;
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    write!(out, "{head},\n  \"findings\": [")?;
    for (position, finding) in report.findings.iter().enumerate() {
        let separator = if position == 0 { "\n    " } else { ",\n    " };
        write!(out, "{separator}{}", finding_record(linted, finding))?;
    }
    write!(out, "\n  ],\n  \"skipped\": [")?;
    for (position, (object, reason)) in report.skipped.iter().enumerate() {
        let separator = if position == 0 { "\n    " } else { ",\n    " };
        let dn = linted
            .objects
            .get(*object)
            .map_or("", |object| object.dn.as_str());
        write!(
            out,
            "{separator}{}",
            serde_json::json!({"dn": dn, "reason": reason})
        )?;
    }
    writeln!(out, "\n  ]\n}}")?;
    Ok(())
}

/// The CSV columns; `ACTION` and `UPDATE` are for `--actions`.
pub const CSV_COLUMNS: [&str; 9] = [
    "dn",
    "objectClass",
    "attribute",
    "value",
    "rule",
    "why",
    "proposed",
    "ACTION",
    "UPDATE",
];

fn write_csv(out: &mut (dyn Write + Send), linted: &Linted) -> anyhow::Result<()> {
    use super::plan::spreadsheet::{guard_formula, io_error};
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(CSV_COLUMNS).map_err(io_error)?;
    for finding in &linted.report.findings {
        let object = object_of(linted, finding);
        let proposed = finding.proposed.clone().unwrap_or_default();
        let row = [
            object.dn.clone(),
            object.kind().as_str().to_owned(),
            finding.attribute.name().to_owned(),
            finding.value.clone(),
            finding.rule.as_str().to_owned(),
            finding.why(),
            proposed.clone(),
            String::new(),
            proposed,
        ];
        // The value columns are written as they are, so an edited file names the values exactly; the
        // reason is guarded against formulas.
        let row: Vec<String> = row
            .into_iter()
            .enumerate()
            .map(|(column, cell)| {
                if column == 5 {
                    guard_formula(cell)
                } else {
                    cell
                }
            })
            .collect();
        writer.write_record(row).map_err(io_error)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_name_a_rule_or_every_rule_and_a_dn() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("exceptions.txt");
        std::fs::write(
            &path,
            "# reviewed\nupn-tld CN=Taro,OU=Tokyo,DC=corp\n* CN=Svc,DC=corp\n",
        )
        .unwrap();
        let exceptions = read_exceptions(&path).unwrap();
        assert_eq!(exceptions.len(), 2);
        assert_eq!(exceptions[0].rule, Some(RuleId::UpnTopLevelDomain));
        assert_eq!(exceptions[1].rule, None);
        std::fs::write(&path, "upn-tdl CN=Taro,DC=corp\n").unwrap();
        let error = read_exceptions(&path).unwrap_err().to_string();
        assert!(
            error.contains("line 1: `upn-tdl` is not a rule id"),
            "{error}"
        );
    }

    #[test]
    fn ignored_rules_and_excepted_objects_are_left_out() {
        let object = |cn: &str| LintObject {
            dn: format!("CN={cn},OU=Tokyo,DC=corp"),
            kind: Some(ObjectKind::User),
            display_name: Some(cn.to_owned()),
            user_principal_name: Some(format!("{cn}@corp.local")),
            ..LintObject::default()
        };
        let objects = vec![object("Taro"), object("Hanako")];
        let all = check(objects.clone(), &TldList::bundled(), None, &[], &[]);
        assert_eq!(all.report.findings.len(), 2);
        let ignored = check(
            objects.clone(),
            &TldList::bundled(),
            None,
            &[RuleId::UpnTopLevelDomain],
            &[],
        );
        assert!(ignored.report.findings.is_empty());
        assert_eq!(ignored.excepted, 2);
        let excepted = check(
            objects,
            &TldList::bundled(),
            None,
            &[],
            &[Exception {
                rule: Some(RuleId::UpnTopLevelDomain),
                dn: "cn=taro,ou=tokyo,dc=corp".into(),
            }],
        );
        assert_eq!(excepted.report.findings.len(), 1);
        assert_eq!(
            excepted.objects[excepted.report.findings[0].object].dn,
            "CN=Hanako,OU=Tokyo,DC=corp"
        );
    }
}
