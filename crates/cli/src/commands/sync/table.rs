//! `sync --format table`: the counts, the deletion guard's verdict, then every user with something to
//! write or an export error, one line per property (`department: Sales → Research`), wrapped to 100
//! columns. Users with nothing to write are counted, not listed. Values come from AD and the tenant:
//! control characters are shown escaped, never sent to the terminal.

use std::io::Write;

use anchorsync_core::sync::{Action, GuardVerdict, PropertyValue, SyncPlan, UserSync};
use anchorsync_core::wording::{count, printable};

use crate::colour::Palette;
use crate::commands::plan::table::wrap;

/// Writes the table.
pub fn write(
    out: &mut (dyn Write + Send),
    plan: &SyncPlan,
    palette: Palette,
) -> anyhow::Result<()> {
    let counts = &plan.counts;
    writeln!(
        out,
        "sync plan: {}, {} stored before this run",
        count(counts.users, "user", "users"),
        count(counts.links, "link", "links")
    )?;
    let actions: Vec<String> = Action::ALL
        .into_iter()
        .filter(|action| counts.get(*action) > 0)
        .map(|action| format!("{} {}", counts.get(action), action))
        .collect();
    writeln!(
        out,
        "{}",
        wrap(
            "  ",
            2,
            &if actions.is_empty() {
                "no users".to_owned()
            } else {
                actions.join(", ")
            }
        )
    )?;
    if counts.anchor_writeback > 0 || counts.differences > 0 {
        writeln!(
            out,
            "  {} to AD, {} with differences reported and not written",
            count(
                counts.anchor_writeback,
                "anchor writeback",
                "anchor writebacks"
            ),
            count(counts.differences, "user", "users")
        )?;
    }
    let guard = &plan.guard;
    let verdict = match guard.verdict {
        GuardVerdict::Pass => palette.fine("pass").to_string(),
        GuardVerdict::Allowed => palette.caution("allowed").to_string(),
        GuardVerdict::Refused => palette.attention("refused").to_string(),
    };
    writeln!(
        out,
        "deletion guard: {verdict} ({} of {} managed users disabled or deleted for leaving the scope; \
         limits {} and {} %)",
        guard.deletions, guard.managed, guard.max_deletions, guard.max_deletion_percent
    )?;
    if let Some(reason) = &guard.reason {
        writeln!(out, "{}", wrap("  ", 2, &printable(reason)))?;
    }
    let pending = counts.pending();
    writeln!(
        out,
        "{}",
        if pending == 0 && counts.export_error == 0 {
            palette.fine("in sync: nothing to write").to_string()
        } else {
            format!(
                "{} to write, {} with export errors",
                count(pending, "change", "changes"),
                count(counts.export_error, "user", "users")
            )
        }
    )?;
    for user in plan
        .users
        .iter()
        .filter(|user| user.is_pending() || user.action == Action::ExportError)
    {
        writeln!(out)?;
        write_user(out, user, palette)?;
    }
    Ok(())
}

fn write_user(
    out: &mut (dyn Write + Send),
    user: &UserSync,
    palette: Palette,
) -> anyhow::Result<()> {
    let who = user
        .user_principal_name
        .as_deref()
        .or(user.cloud_user_id.as_deref())
        .unwrap_or("(no name)");
    let action = if user.action == Action::ExportError {
        palette.attention(user.action.as_str()).to_string()
    } else {
        user.action.as_str().to_owned()
    };
    let mut head = format!("{action} {}", printable(who));
    if user.leaving {
        head.push_str(" (left the scope)");
    }
    writeln!(out, "{}", wrap("", 2, &head))?;
    if let Some(dn) = &user.dn {
        writeln!(out, "{}", wrap("  ", 4, &printable(dn)))?;
    }
    for change in &user.changes {
        let line = format!(
            "{}: {} → {}",
            change.property,
            shown(&change.old),
            shown(&change.new)
        );
        writeln!(out, "{}", wrap("  ", 4, &printable(&line)))?;
    }
    if let Some(writeback) = &user.anchor_writeback {
        writeln!(
            out,
            "{}",
            wrap(
                "  ",
                4,
                &format!(
                    "AD {}: (empty) → {}",
                    writeback.attribute,
                    writeback.after.to_graph_text().unwrap_or_default()
                )
            )
        )?;
    }
    for error in &user.export_errors {
        let about = error
            .property
            .map(|property| format!(" `{property}`"))
            .unwrap_or_default();
        let outcome = error
            .outcome
            .map(|outcome| format!(" ({outcome})"))
            .unwrap_or_default();
        let code = serde_json::to_value(error.code)
            .ok()
            .and_then(|code| code.as_str().map(str::to_owned))
            .unwrap_or_default();
        writeln!(
            out,
            "{}",
            wrap(
                "  ",
                4,
                &printable(&format!("{code}{about}{outcome}: {}", error.message))
            )
        )?;
    }
    for difference in &user.differences {
        writeln!(
            out,
            "{}",
            wrap(
                "  ",
                4,
                &printable(&format!(
                    "not written: {} cloud {} / AD {}",
                    difference.property,
                    shown(&difference.cloud),
                    shown(&difference.expected)
                ))
            )
        )?;
    }
    for note in &user.notes {
        writeln!(out, "{}", wrap("  ", 4, &printable(note)))?;
    }
    Ok(())
}

/// A value as a person reads it: `(empty)`, the text, `true`, or a list.
fn shown(value: &PropertyValue) -> String {
    match value {
        PropertyValue::Null => "(empty)".to_owned(),
        PropertyValue::Text(text) if text.is_empty() => "(empty)".to_owned(),
        PropertyValue::List(items) if items.is_empty() => "(empty)".to_owned(),
        other => other.display(),
    }
}
