//! `plan --format table`: counts first, then every user that needs attention with its reasons and
//! warnings, wrapped to 100 columns. On a colour terminal the outcomes that need attention are red
//! ([`Palette`]); the words say the same without colour.

use std::io::Write;

use anchorsync_core::engine::explain::switches;
use std::collections::BTreeMap;

use anchorsync_core::engine::{Outcome, Plan, PlanRemediation, UserPlan};
use anchorsync_core::wording::{count, digits, one_or_many};
use rayon::prelude::*;

use crate::colour::Palette;

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

/// Writes the table, with `palette`'s colours.
pub fn write(
    out: &mut (dyn Write + Send),
    plan: &Plan<'_>,
    palette: Palette,
) -> std::io::Result<()> {
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
                "anchorsync plan: {}, {}{tenant}.",
                count(
                    totals.on_premises_users,
                    "on-premises user",
                    "on-premises users"
                ),
                count(totals.cloud_users, "cloud user", "cloud users")
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
            let attention = outcome.needs_attention();
            writeln!(
                out,
                "{}{:>10}   {}",
                palette.attention_if(attention, format!("{:<24}", outcome.as_str())),
                digits(count),
                palette.attention_if(attention, verdict)
            )?;
        }
    }
    writeln!(
        out,
        "{:<24}{:>10}   {}",
        "total",
        digits(totals.on_premises_users),
        palette.attention_if(
            totals.need_attention > 0,
            format!(
                "{} {}",
                digits(totals.need_attention),
                one_or_many(totals.need_attention, "needs attention", "need attention")
            )
        )
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
                "Cloud users no on-premises user reaches: {} ({} {}; {} federated sign-in depends on it). The \
                 JSON and HTML reports list them.",
                digits(totals.cloud_only),
                digits(with_immutable_id),
                one_or_many(
                    with_immutable_id,
                    "carries an ImmutableID",
                    "carry an ImmutableID"
                ),
                one_or_many(with_immutable_id, "its", "their")
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
                    "{} with a fine outcome {} (disabled accounts, cloud data the match overwrites, \
                     sign-in names that change...): `--format json` or `--format csv` lists them.",
                    count(fine_with_warnings, "user", "users"),
                    one_or_many(fine_with_warnings, "carries warnings", "carry warnings")
                )
            )
        )?;
    }
    if let Some(remediation) = &plan.remediation {
        write_remediation(out, plan, remediation)?;
    }
    if totals.need_attention == 0 {
        writeln!(out, "\n{}", palette.fine("No user needs attention."))?;
        return Ok(());
    }
    writeln!(
        out,
        "\nUsers that need attention ({}):",
        digits(totals.need_attention)
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
            .map(|user_plan| user_text(plan, user_plan, palette))
            .collect();
        for text in texts {
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

/// A reason with its values (between backticks) blanked, so users refused for the same cause count
/// together. Only a grouping key: the table prints real reasons and names, never the blanks.
fn reason_kind(reason: &str) -> String {
    let mut kind = String::with_capacity(reason.len());
    for (index, part) in reason.split('`').enumerate() {
        kind.push_str(if index % 2 == 1 { "`…`" } else { part });
    }
    kind
}

/// How many changes the table shows.
const FIRST_CHANGES: usize = 10;

/// How many users a group of refusals names before it counts the rest.
const FIRST_NAMES: usize = 5;

/// The users refused for one cause: their reasons (with their own values) and names, in DN order.
#[derive(Default)]
struct Refusals<'p> {
    reasons: Vec<&'p str>,
    names: Vec<&'p str>,
}

impl Refusals<'_> {
    /// `users: a, b, c, d, e and 18 more`, and whether the reason shown is only the first user's.
    fn users_line(&self) -> String {
        let count = self.names.len();
        let mut line = format!(
            "{}: {}",
            one_or_many(count, "user", "users"),
            self.names
                .iter()
                .take(FIRST_NAMES)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        );
        if count > FIRST_NAMES {
            line.push_str(&format!(" and {} more", digits(count - FIRST_NAMES)));
        }
        if self
            .reasons
            .windows(2)
            .any(|pair| pair.first() != pair.last())
        {
            line.push_str(
                " (the reason names the first user's values; `--format json` has each user's)",
            );
        }
        line
    }
}

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
    let mut refused: BTreeMap<(String, Option<&str>), Refusals<'_>> = BTreeMap::new();
    let mut nothing = 0;
    // In the plan's DN order, so each group names its users in a stable, findable order.
    for user_plan in &plan.users {
        let Some(r) = plan.remediation_of(user_plan).filter(|r| !r.fixable) else {
            continue;
        };
        let reason = r.reason.as_deref().unwrap_or("");
        if reason.starts_with("nothing to do") {
            nothing += 1;
            continue;
        }
        let user = plan.on_prem.get(user_plan.user);
        let name = user
            .and_then(|user| user.user_principal_name.as_deref())
            .or(user.map(|user| user.dn.as_str()))
            .unwrap_or("?");
        let group = refused
            .entry((reason_kind(reason), r.alternative.map(|a| a.as_str())))
            .or_default();
        group.reasons.push(reason);
        group.names.push(name);
    }
    debug_assert_eq!(
        users.iter().filter(|r| !r.fixable).count(),
        nothing
            + refused
                .values()
                .map(|group| group.names.len())
                .sum::<usize>()
    );
    let after_text: Vec<String> = after
        .iter()
        .map(|(outcome, count)| format!("{} {outcome}", digits(*count)))
        .collect();
    writeln!(
        out,
        "\n{}",
        wrap(
            "",
            2,
            &format!(
                "Strategy {strategy}: {} fixable{}; {} {} nothing; {} not fixable this way.",
                count(fixable.len(), "user", "users"),
                if after_text.is_empty() {
                    String::new()
                } else {
                    format!(" (after the change: {})", after_text.join(", "))
                },
                digits(nothing),
                one_or_many(nothing, "needs", "need"),
                digits(refused.values().map(|group| group.names.len()).sum())
            )
        )
    )?;
    if !refused.is_empty() {
        writeln!(out, "\nNot fixable with {strategy}, by reason:")?;
        let mut reasons: Vec<_> = refused.into_iter().collect();
        reasons.sort_by(|a, b| {
            b.1.names
                .len()
                .cmp(&a.1.names.len())
                .then_with(|| a.0.cmp(&b.0))
        });
        for ((_, alternative), group) in reasons {
            let alternative = alternative
                .map(|alternative| format!(" (would work: {alternative})"))
                .unwrap_or_default();
            let reason = group.reasons.first().copied().unwrap_or_default();
            writeln!(
                out,
                "{}",
                wrap(
                    &format!("{:>8}  ", digits(group.names.len())),
                    10,
                    &format!("{reason}{alternative}")
                )
            )?;
            writeln!(out, "{}", wrap(&" ".repeat(10), 10, &group.users_line()))?;
        }
    }
    if !fixable.is_empty() {
        writeln!(
            out,
            "\nFirst changes ({} of {}; `--format json` has them all):",
            fixable.len().min(FIRST_CHANGES),
            digits(fixable.len())
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
fn user_text(plan: &Plan<'_>, user_plan: &UserPlan, palette: Palette) -> String {
    use std::fmt::Write as _;
    let record = plan.user_record(user_plan);
    let mut text = String::with_capacity(1024);
    // A DN is never broken across lines: it is copied into other tools whole.
    let _ = writeln!(
        text,
        "\n{}  {}",
        palette.attention(record.outcome),
        record.dn
    );
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
        assert_eq!(
            reason_kind("`a@x.com` holds the directory role `Global Administrator`: no"),
            "`…` holds the directory role `…`: no"
        );
    }
}
