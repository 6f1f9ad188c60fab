//! The sync plan as one self-contained HTML page (`sync --format html`, issue 14), in the plan
//! report's style: the same stylesheet, the same header, and the same Content-Security-Policy
//! (`default-src 'none'`, only the page's own style, named by its SHA-256 hash). The page has no
//! script: the counts, the deletion guard's verdict and a table of every user with something to
//! write or an export error, one row per property (old → new), are rendered here, every value
//! escaped as text.
//!
//! Input, as written by `sync --format json` (docs/sync-format.md): `counts`, `guard` and `users`
//! with `dn`, `userPrincipalName`, `action`, `changes` (`property`, `old`, `new`), `exportErrors`
//! (`code`, `message`), `differences` and `anchorWriteback`. Missing fields show as empty.

use std::fmt::Write as _;

use anchorsync_core::wording::{count, digits};
use serde_json::Value;

use crate::html::{ReportContext, STYLE, csp_hash, escape_html, format_utc, write_inputs};

/// The counts shown, in the order of the sync plan's `counts`, with what each means.
const COUNTS: [(&str, &str); 10] = [
    ("create", "cloud users created"),
    ("join", "joined by the match engine, as plan predicts"),
    ("update", "updated"),
    ("enable", "enabled"),
    ("disable", "disabled"),
    ("restore", "restored from deleted items"),
    ("delete", "deleted (to deleted items)"),
    ("forget", "links forgotten"),
    ("noChange", "in sync"),
    ("exportError", "export errors: nothing written"),
];

/// Renders `plan` (the JSON of `sync --format json`) as one self-contained HTML page. Never fails;
/// the same plan and context give the same bytes.
pub fn render_sync_html(plan: &Value, context: &ReportContext) -> String {
    let users = plan
        .get("users")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let number = |name: &str| {
        plan.pointer(&format!("/counts/{name}"))
            .and_then(Value::as_u64)
            .unwrap_or_default()
    };
    let pending: u64 = COUNTS
        .iter()
        .filter(|(name, _)| !matches!(*name, "noChange" | "exportError"))
        .map(|(name, _)| number(name))
        .sum::<u64>()
        + number("anchorWriteback");
    let (generated_at, generated_at_iso) = format_utc(context.generated_at);
    let csp = format!(
        "default-src 'none'; style-src '{}'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE)
    );
    let title = format!(
        "anchorsync sync: {} pending, {} export errors, {}",
        digits(pending as usize),
        digits(number("exportError") as usize),
        count(users.len(), "user", "users")
    );
    let mut page = String::with_capacity(STYLE.len() + 4096 + users.len() * 256);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"anchorsync {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<header class=\"page-header\">\n<p class=\"product\">anchorsync sync</p>\n\
         <h1>What a sync from AD does to Microsoft 365</h1>\n<p class=\"generated\">Generated \
         <time datetime=\"{generated_at_iso}\">{generated_at}</time> by anchorsync {}.</p>\n",
        escape_html(&csp),
        env!("CARGO_PKG_VERSION"),
        escape_html(&title),
        env!("CARGO_PKG_VERSION"),
    );
    write_inputs(&mut page, &context.inputs);
    page.push_str("</header>\n<main>\n<section id=\"summary\"><h2>Summary</h2>\n");
    let refused = plan.pointer("/guard/verdict").and_then(Value::as_str) == Some("refused");
    let verdict = if refused {
        "The deletion guard refuses this run: nothing may be written.".to_owned()
    } else if pending == 0 && number("exportError") == 0 {
        "In sync: nothing to write.".to_owned()
    } else {
        format!(
            "{} to write, {}.",
            count(pending as usize, "change", "changes"),
            count(
                number("exportError") as usize,
                "export error",
                "export errors"
            )
        )
    };
    let class = if refused || number("exportError") > 0 {
        "verdict attention"
    } else {
        "verdict"
    };
    let _ = writeln!(page, "<p class=\"{class}\">{}</p>", escape_html(&verdict));
    if let Some(reason) = plan.pointer("/guard/reason").and_then(Value::as_str) {
        let _ = writeln!(page, "<p>{}</p>", escape_html(reason));
    }
    page.push_str("<table class=\"data\"><thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Users</th><th scope=\"col\">Meaning</th></tr></thead><tbody>\n");
    for (name, meaning) in COUNTS {
        let _ = writeln!(
            page,
            "<tr><td><code>{name}</code></td><td>{}</td><td>{meaning}</td></tr>",
            digits(number(name) as usize)
        );
    }
    let _ = writeln!(
        page,
        "<tr><td><code>anchorWriteback</code></td><td>{}</td><td>AD writes of the anchor</td></tr>",
        digits(number("anchorWriteback") as usize)
    );
    page.push_str("</tbody></table>\n</section>\n");

    page.push_str(
        "<section id=\"users\"><h2>Users with something to write or an export error</h2>\n\
         <div class=\"table-wrap\"><table class=\"data\"><thead><tr><th scope=\"col\">AD user (DN)</th>\
         <th scope=\"col\">Cloud UPN after sync</th><th scope=\"col\">Action</th><th scope=\"col\">Property</th>\
         <th scope=\"col\">Old</th><th scope=\"col\">New / reason</th></tr></thead><tbody>\n",
    );
    for user in users {
        let action = text(user.get("action"));
        let errors = list(user.get("exportErrors"));
        let changes = list(user.get("changes"));
        let writeback = user.get("anchorWriteback").is_some_and(Value::is_object);
        if action == "no-change" && errors.is_empty() && !writeback {
            continue;
        }
        let dn = text(user.get("dn"));
        let upn = text(user.get("userPrincipalName"));
        let mut rows: Vec<(String, String, String)> = changes
            .iter()
            .map(|change| {
                (
                    text(change.get("property")),
                    value(change.get("old")),
                    value(change.get("new")),
                )
            })
            .collect();
        rows.extend(errors.iter().map(|error| {
            (
                text(error.get("code")),
                String::new(),
                text(error.get("message")),
            )
        }));
        if writeback {
            rows.push((
                "mS-DS-ConsistencyGuid (AD)".to_owned(),
                String::new(),
                value(user.pointer("/anchorWriteback/after/base64")),
            ));
        }
        if rows.is_empty() {
            rows.push((String::new(), String::new(), String::new()));
        }
        for (property, old, new) in rows {
            let _ = writeln!(
                page,
                "<tr><td lang=\"\">{}</td><td lang=\"\">{}</td><td><code>{}</code></td><td><code>{}</code></td>\
                 <td lang=\"\">{}</td><td lang=\"\">{}</td></tr>",
                escape_html(&dn),
                escape_html(&upn),
                escape_html(&action),
                escape_html(&property),
                escape_html(&old),
                escape_html(&new),
            );
        }
    }
    page.push_str("</tbody></table></div>\n</section>\n</main>\n<footer class=\"page-footer\"><p>The JSON of <code>anchorsync sync --format json</code> has every field (docs/sync-format.md).</p></footer>\n</body>\n</html>\n");
    page
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A property value as the table shows it: text as it is, lists joined with `; `, null empty.
fn value(value: Option<&Value>) -> String {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| text(Some(item)))
            .collect::<Vec<_>>()
            .join("; "),
        other => text(other),
    }
}

fn list(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_escaped_and_only_the_pages_style_is_allowed_issue_14() {
        let plan = json!({
            "counts": {"update": 1, "exportError": 1},
            "guard": {"verdict": "pass"},
            "users": [
                {"dn": "CN=<script>,DC=x", "userPrincipalName": "a@x", "action": "update",
                 "changes": [{"property": "department", "old": null, "new": "R&D"}]},
                {"dn": "CN=b,DC=x", "action": "export-error",
                 "exportErrors": [{"code": "value-too-long", "message": "displayName > 256"}]},
                {"dn": "CN=c,DC=x", "action": "no-change"},
            ]
        });
        let context = ReportContext {
            generated_at: std::time::UNIX_EPOCH,
            inputs: Vec::new(),
        };
        let page = render_sync_html(&plan, &context);
        assert!(page.contains("CN=&lt;script&gt;,DC=x"));
        assert!(!page.contains("<script"));
        assert!(page.contains("R&amp;D"));
        assert!(page.contains("displayName &gt; 256"));
        assert!(!page.contains("CN=c,DC=x"), "users in sync are not listed");
        assert!(page.contains("default-src &#39;none&#39;"));
        assert_eq!(page, render_sync_html(&plan, &context));
    }
}
