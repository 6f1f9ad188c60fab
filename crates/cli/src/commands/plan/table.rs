//! `plan --format table`: counts first, then every user that needs attention with its reasons and
//! warnings, wrapped to 100 columns. Plain text: no colour, so `NO_COLOR` is always respected.

use std::io::Write;

use anchorsync_core::engine::explain::switches;
use std::collections::BTreeMap;

use anchorsync_core::engine::{Outcome, Plan, PlanRemediation, UserPlan};
use rayon::prelude::*;

/// The width the table keeps to.
pub const WIDTH: usize = 100;

/// Terminal columns a character takes: East Asian wide characters take two.
fn columns(character: char) -> usize {
    let code = u32::from(character);
    let wide = matches!(code,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

fn width(text: &str) -> usize {
    text.chars().map(columns).sum()
}

/// Word-wraps `text` to [`WIDTH`], the first line after `first`, the others indented by `indent`
/// spaces. A word longer than a line (a DN, a long address) gets a line of its own.
pub fn wrap(first: &str, indent: usize, text: &str) -> String {
    let mut out = String::from(first);
    let mut line = width(first);
    let mut fresh = true;
    for word in text.split_whitespace() {
        let word_width = width(word);
        if !fresh && line + 1 + word_width > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = indent;
            fresh = true;
        }
        if !fresh {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word_width;
        fresh = false;
    }
    out
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Writes the table.
pub fn write(out: &mut (dyn Write + Send), plan: &Plan<'_>) -> std::io::Result<()> {
    let totals = plan.totals();
    let settings = plan.plan_settings();
    let tenant = settings
        .tenant
        .initial_domain
        .as_deref()
        .map(|domain| format!(" in {domain}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}",
        wrap(
            "",
            2,
            &format!(
                "anchorsync plan: {} on-premises users, {} cloud users{tenant}.",
                thousands(totals.on_premises_users),
                thousands(totals.cloud_users)
            )
        )
    )?;
    let fallback = settings
        .anchor_fallback_attribute
        .as_deref()
        .map(|fallback| format!(" ({fallback} when empty)"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}",
        wrap(
            "",
            2,
            &format!(
                "sourceAnchor: {}{fallback}, encoding {}.",
                settings.anchor_attribute,
                settings.anchor_encoding.as_str()
            )
        )
    )?;
    writeln!(
        out,
        "{}",
        wrap("", 2, &format!("Tenant: {}.", switches(plan)))
    )?;
    writeln!(out)?;
    writeln!(out, "{:<24}{:>10}", "outcome", "users")?;
    let summary = plan.summary();
    for outcome in Outcome::ALL {
        let verdict = if outcome.needs_attention() {
            "needs attention"
        } else {
            "fine"
        };
        let count = summary.get(outcome);
        if count == 0 {
            writeln!(out, "{:<24}{:>10}", outcome.as_str(), 0)?;
        } else {
            writeln!(
                out,
                "{:<24}{:>10}   {verdict}",
                outcome.as_str(),
                thousands(count)
            )?;
        }
    }
    writeln!(
        out,
        "{:<24}{:>10}   {} need attention",
        "total",
        thousands(totals.on_premises_users),
        thousands(totals.need_attention)
    )?;
    let with_immutable_id = plan
        .cloud_only
        .iter()
        .filter_map(|position| plan.index.user(*position))
        .filter(|cloud| {
            cloud
                .on_premises_immutable_id
                .as_deref()
                .is_some_and(|id| !id.is_empty())
        })
        .count();
    writeln!(
        out,
        "\n{}",
        wrap(
            "",
            2,
            &format!(
                "Cloud users no on-premises user reaches: {} ({} carry an ImmutableID; their federated sign-in \
                 depends on it). The JSON and HTML reports list them.",
                thousands(totals.cloud_only),
                thousands(with_immutable_id)
            )
        )
    )?;
    let fine_with_warnings = plan
        .users
        .iter()
        .filter(|user| !user.outcome.needs_attention() && !user.cautions.is_empty())
        .count();
    if fine_with_warnings > 0 {
        writeln!(
            out,
            "{}",
            wrap(
                "",
                2,
                &format!(
                    "{} users with a fine outcome carry warnings (disabled accounts, cloud data the match \
                     overwrites, sign-in names that change...): `--format json` or `--format csv` lists them.",
                    thousands(fine_with_warnings)
                )
            )
        )?;
    }
    if let Some(remediation) = &plan.remediation {
        write_remediation(out, plan, remediation)?;
    }
    if totals.need_attention == 0 {
        writeln!(out, "\nNo user needs attention.")?;
        return Ok(());
    }
    writeln!(
        out,
        "\nUsers that need attention ({}):",
        thousands(totals.need_attention)
    )?;
    // Grouped by outcome, then by DN: the users one fix applies to stand together.
    let mut attention: Vec<_> = plan
        .users
        .iter()
        .filter(|user| user.outcome.needs_attention())
        .collect();
    attention.sort_by_key(|user| {
        Outcome::ALL
            .iter()
            .position(|outcome| *outcome == user.outcome)
    });
    // Rendered on every core, a few thousand users at a time, and written in order.
    for batch in attention.chunks(8192) {
        let texts: Vec<String> = batch
            .par_iter()
            .map(|user_plan| user_text(plan, user_plan))
            .collect();
        for text in texts {
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

/// A reason with its values (between backticks) blanked, so users refused for the same cause count
/// together.
fn reason_kind(reason: &str) -> String {
    let mut kind = String::with_capacity(reason.len());
    for (index, part) in reason.split('`').enumerate() {
        kind.push_str(if index % 2 == 1 { "`…`" } else { part });
    }
    kind
}

/// How many changes the table shows.
const FIRST_CHANGES: usize = 10;

/// With `--strategy`: the counts per outcome after the change, the users not fixed per reason, and the
/// first changes.
fn write_remediation(
    out: &mut (dyn Write + Send),
    plan: &Plan<'_>,
    remediation: &PlanRemediation,
) -> std::io::Result<()> {
    let strategy = remediation.strategy;
    let users = &remediation.users;
    let fixable: Vec<_> = plan
        .users
        .iter()
        .filter_map(|user_plan| plan.remediation_of(user_plan))
        .filter(|r| r.fixable)
        .collect();
    let mut after: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &fixable {
        *after
            .entry(r.outcome_after.map_or("?", |outcome| outcome.as_str()))
            .or_default() += 1;
    }
    let mut refused: BTreeMap<(String, Option<&str>), usize> = BTreeMap::new();
    let mut nothing = 0;
    for r in users.iter().filter(|r| !r.fixable) {
        let reason = r.reason.as_deref().unwrap_or("");
        if reason.starts_with("nothing to do") {
            nothing += 1;
            continue;
        }
        *refused
            .entry((reason_kind(reason), r.alternative.map(|a| a.as_str())))
            .or_default() += 1;
    }
    let after_text: Vec<String> = after
        .iter()
        .map(|(outcome, count)| format!("{} {outcome}", thousands(*count)))
        .collect();
    writeln!(
        out,
        "\n{}",
        wrap(
            "",
            2,
            &format!(
                "Strategy {strategy}: {} users fixable{}; {} need nothing; {} not fixable this way.",
                thousands(fixable.len()),
                if after_text.is_empty() {
                    String::new()
                } else {
                    format!(" (after the change: {})", after_text.join(", "))
                },
                thousands(nothing),
                thousands(refused.values().sum())
            )
        )
    )?;
    if !refused.is_empty() {
        writeln!(out, "\nNot fixable with {strategy}, by reason:")?;
        let mut reasons: Vec<_> = refused.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for ((reason, alternative), count) in reasons {
            let alternative = alternative
                .map(|alternative| format!(" (would work: {alternative})"))
                .unwrap_or_default();
            writeln!(
                out,
                "{}",
                wrap(
                    &format!("{:>8}  ", thousands(count)),
                    10,
                    &format!("{reason}{alternative}")
                )
            )?;
        }
    }
    if !fixable.is_empty() {
        writeln!(
            out,
            "\nFirst changes ({} of {}; `--format json` has them all):",
            fixable.len().min(FIRST_CHANGES),
            thousands(fixable.len())
        )?;
        for r in fixable.iter().take(FIRST_CHANGES) {
            for step in &r.steps {
                writeln!(
                    out,
                    "{}",
                    wrap(
                        "    ",
                        6,
                        &format!(
                            "{} {} {}: {} → {} ({})",
                            step.system.as_str(),
                            step.label,
                            step.attribute,
                            step.before.display(),
                            step.after.display(),
                            step.purpose.as_str()
                        )
                    )
                )?;
            }
        }
    }
    Ok(())
}

/// One user that needs attention: the outcome and DN, the facts, the reasons (`-`) and warnings (`!`).
fn user_text(plan: &Plan<'_>, user_plan: &UserPlan) -> String {
    use std::fmt::Write as _;
    let record = plan.user_record(user_plan);
    let mut text = String::with_capacity(1024);
    // A DN is never broken across lines: it is copied into other tools whole.
    let _ = writeln!(text, "\n{}  {}", record.outcome, record.dn);
    let mut facts = Vec::new();
    if let Some(upn) = &record.user_principal_name {
        facts.push(format!("userPrincipalName {upn}"));
    }
    if let Some(cloud) = &record.cloud_user_id {
        facts.push(format!("cloud user {cloud}"));
    }
    if let Some(attribute) = record.conflict_attribute {
        facts.push(format!("conflict on {}", attribute.as_str()));
    }
    if !facts.is_empty() {
        let _ = writeln!(text, "{}", wrap("    ", 4, &facts.join(", ")));
    }
    for reason in &record.reasons {
        let _ = writeln!(text, "{}", wrap("    - ", 6, reason));
    }
    for warning in &record.warnings {
        let _ = writeln!(text, "{}", wrap("    ! ", 6, warning));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_to_width_counting_wide_characters_twice() {
        let text = "山田 太郎 ".repeat(30);
        let wrapped = wrap("    - ", 6, &text);
        for line in wrapped.lines() {
            assert!(width(line) <= WIDTH, "{line}");
        }
        assert!(
            wrapped
                .lines()
                .skip(1)
                .all(|line| line.starts_with("      "))
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(
            reason_kind("`a@x.com` holds the directory role `Global Administrator`: no"),
            "`…` holds the directory role `…`: no"
        );
    }
}
