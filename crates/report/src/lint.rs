//! The findings of `anchorsync lint` as one self-contained HTML page (`lint --format html`), in the
//! plan report's style and with its safeguards: the plan report's CSS, nothing fetched, a strict
//! Content-Security-Policy naming the page's own script and style by their SHA-256 hashes, and every
//! value from the directory escaped as text. The rows are written into the page (the script only
//! filters them), so the findings read even without JavaScript.
//!
//! Input, as written by `lint --format json` (docs/lint-format.md): `{"totals", "rules", "findings":
//! [{"dn", "objectClass", "attribute", "value", "rule", "why", "proposed"}]}`.

use std::fmt::Write as _;

use anchorsync_core::wording::{count, digits};
use serde_json::Value;

use crate::html::{ReportContext, csp_hash, escape_html, fill_template, format_utc, write_inputs};

const TEMPLATE: &str = include_str!("lint.html");
const STYLE: &str = include_str!("plan.css");
const SCRIPT: &str = include_str!("lint.js");

fn text<'v>(value: &'v Value, name: &str) -> &'v str {
    value.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// Renders the findings (the JSON of `lint --format json`) as one page. Never fails; the same input
/// gives the same bytes.
pub fn render_lint_html(lint: &Value, context: &ReportContext) -> String {
    let findings = lint
        .get("findings")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let checked = lint
        .pointer("/totals/checked")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let (generated_at, generated_at_iso) = format_utc(context.generated_at);
    let csp = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    let title = format!(
        "anchorsync lint: {} in {}",
        count(findings.len(), "finding", "findings"),
        count(
            usize::try_from(checked).unwrap_or(usize::MAX),
            "object",
            "objects"
        )
    );
    let mut page = String::with_capacity(TEMPLATE.len() + STYLE.len() + findings.len() * 400);
    fill_template(TEMPLATE, &mut page, |name, out| match name {
        "csp" => out.push_str(&escape_html(&csp)),
        "version" => out.push_str(env!("CARGO_PKG_VERSION")),
        "title" => out.push_str(&escape_html(&title)),
        "style" => out.push_str(STYLE),
        "script" => out.push_str(SCRIPT),
        "generated_at" => out.push_str(&generated_at),
        "generated_at_iso" => out.push_str(&generated_at_iso),
        "inputs" => write_inputs(out, &context.inputs),
        "verdict" => {
            let (class, words) = if findings.is_empty() {
                (
                    "ok",
                    format!(
                        "No findings in {} checked.",
                        count(
                            usize::try_from(checked).unwrap_or(usize::MAX),
                            "object",
                            "objects"
                        )
                    ),
                )
            } else {
                (
                    "attention",
                    format!(
                        "{} to look at before the first sync.",
                        count(findings.len(), "finding", "findings")
                    ),
                )
            };
            let _ = write!(
                out,
                "<p class=\"verdict {class}\">{}</p>",
                escape_html(&words)
            );
        }
        "rules" => write_rules(out, lint),
        "findings" => {
            for finding in findings {
                write_row(out, finding);
            }
        }
        "footer" => {
            out.push_str("Rules and their reasons: <code>anchorsync lint --help</code>; the JSON of this page: <code>anchorsync lint --format json</code>.");
        }
        _ => {}
    });
    page
}

fn write_rules(out: &mut String, lint: &Value) {
    let Some(rules) = lint.get("rules").and_then(Value::as_object) else {
        return;
    };
    out.push_str("<dl class=\"inputs\" id=\"rule-counts\">");
    for (rule, found) in rules {
        let found = found.as_u64().unwrap_or_default();
        if found == 0 {
            continue;
        }
        let _ = write!(
            out,
            "<dt><code>{}</code></dt><dd>{}</dd>",
            escape_html(rule),
            digits(usize::try_from(found).unwrap_or(usize::MAX))
        );
    }
    out.push_str("</dl>");
}

fn write_row(out: &mut String, finding: &Value) {
    let proposed = finding
        .get("proposed")
        .and_then(Value::as_str)
        .map(|proposed| format!("<code lang=\"\">{}</code>", escape_html(proposed)))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<tr data-rule=\"{rule}\"><td lang=\"\">{kind} <code>{dn}</code></td><td><code>{attribute}</code></td>\
         <td><code lang=\"\">{value}</code></td><td><code>{rule}</code></td><td>{why}</td><td>{proposed}</td></tr>",
        rule = escape_html(text(finding, "rule")),
        kind = escape_html(text(finding, "objectClass")),
        dn = escape_html(text(finding, "dn")),
        attribute = escape_html(text(finding, "attribute")),
        value = escape_html(text(finding, "value")),
        why = escape_html(text(finding, "why")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_the_page_fetches_nothing() {
        let lint = serde_json::json!({
            "totals": {"checked": 2},
            "rules": {"upn-character": 1, "upn-length": 0},
            "findings": [{"dn": "CN=<script>alert(1)</script>,DC=corp", "objectClass": "user",
                "attribute": "userPrincipalName", "value": "a&b@example.com", "rule": "upn-character",
                "why": "Not allowed: `&`.", "proposed": "ab@example.com"}]
        });
        let context = ReportContext {
            generated_at: std::time::UNIX_EPOCH,
            inputs: Vec::new(),
        };
        let page = render_lint_html(&lint, &context);
        assert!(page.contains("CN=&lt;script&gt;alert(1)&lt;/script&gt;,DC=corp"));
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("a&amp;b@example.com"));
        assert!(page.contains("Content-Security-Policy\" content=\"default-src"));
        assert!(page.contains("<code>upn-character</code></dt><dd>1</dd>"));
        assert!(!page.contains("upn-length</code></dt>"));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
