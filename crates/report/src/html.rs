//! The plan as one self-contained HTML page (`plan --format html`, issue 5).
//!
//! What an identity administrator gets: a headline (how many users need attention), a bar chart of
//! the users per outcome under the names `plan` prints (`hard-match`, `invalid-soft-match`...; the
//! engine's [`Outcome`], each with a sentence saying what it means), a table of every on-premises user,
//! those that need attention first, that filters as you type, filters by outcome (chips, or a click on
//! a bar), sorts by column and pages, with each user's reasons, warnings and overwritten cloud values
//! one click away, and the cloud users that no AD user reaches, flagging those that carry an
//! ImmutableID. The page's own words are English (`lang="en"`); values from the directory and the
//! tenant carry `lang=""`, and addresses wrap only before `@` and `.`.
//!
//! The page works offline and can be mailed: the CSS and JavaScript are inline (edited as the front-end
//! files `plan.html`, `plan.css` and `plan.js` beside this module) and nothing is ever fetched. A strict
//! Content-Security-Policy proves it to the browser: `default-src 'none'`, and only the page's own
//! script and style, named by their SHA-256 hashes, may run.
//!
//! The plan is embedded unchanged as JSON in a `<script type="application/json">` block, with `<`, `>`,
//! `&`, U+2028 and U+2029 written as `\uXXXX` escapes, so no value (a DN, a display name) can close the
//! block or be read as markup. The script inserts every value as text, never as HTML. Unknown fields are
//! kept and shown under "Other details", so later plan versions (remediation fields) still display.
//!
//! Input, as written by `plan --format json`: `{"summary", "users": [{"dn", "sourceAnchor", "outcome",
//! "cloudUserId", "predictedUserPrincipalName", "conflictAttribute", "reasons", "warnings",
//! "attributeChanges": [{"attribute", "cloudValue", "onPremValue"}]}], "cloudOnly": [{"id",
//! "userPrincipalName", "onPremisesImmutableId", ...}]}`, and when present `formatVersion`, `settings`
//! (listed in the header), `totals.cloudUsers`, the users' `userPrincipalName`, `anchorAttribute` and
//! `conflictingCloudUserIds`, and the cloud-only users' `federated`, `accountEnabled`,
//! `onPremisesSyncEnabled`, `directoryRoles` and `warnings`. The chart counts the `users` array itself
//! (it is what the table lists); a `summary` count that disagrees is reported on the page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use anchorsync_core::engine::Outcome;
use anchorsync_core::wording::{count, digits, one_or_many};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const TEMPLATE: &str = include_str!("plan.html");
const STYLE: &str = include_str!("plan.css");
const SCRIPT: &str = include_str!("plan.js");

/// What the page says about how it was made: given by the caller, because the renderer reads no clock
/// and no file system (time is an input, CONTRIBUTING.md).
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// When the plan was made; shown in UTC (the page adds the reader's local time as a tooltip).
    pub generated_at: SystemTime,
    /// The sources the plan was made from, in the order to show them. Never put secrets here: they
    /// are printed as given.
    pub inputs: Vec<ReportInput>,
}

/// One source of the plan, for the page's header.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// What the source is, such as `Active Directory` or `Microsoft 365`.
    pub role: String,
    /// Where it came from: a file name or a server address.
    pub source: String,
}

/// What an outcome means, in a sentence an administrator reads beside its name. The names, their
/// order and which ones need attention are the engine's own ([`Outcome::ALL`], [`Outcome::as_str`],
/// [`Outcome::needs_attention`]), so the page says exactly what the command line says.
fn meaning(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::HardMatch => {
            "Will take over the cloud user by ImmutableID (hard match): the cloud user becomes managed from AD."
        }
        Outcome::SoftMatchSmtp => {
            "Will take over the cloud user with the same email address (soft match on the primary SMTP address)."
        }
        Outcome::SoftMatchUpn => {
            "Will take over the cloud user with the same user principal name (soft match on the UPN)."
        }
        Outcome::Create => "Will create a new cloud user: no cloud user matches.",
        Outcome::CreateWithConflict => {
            "Needs attention: will create a new cloud user, but its UPN, an email address or its SID is already held by a cloud user it does not match; Entra will change or drop the duplicate value."
        }
        Outcome::InvalidSoftMatch => {
            "Needs attention: the cloud user with the same email address or UPN already has a different ImmutableID, so Entra will refuse the match (InvalidSoftMatch) and the user will not sync."
        }
        Outcome::AdminRoleConflict => {
            "Needs attention: the matching cloud user holds an administrator role, and Entra does not let an AD user take over a cloud administrator."
        }
        Outcome::HardMatchBlocked => {
            "Needs attention: a cloud user has this ImmutableID, but the tenant blocks taking over cloud-managed users by hard match (InvalidHardMatch)."
        }
        Outcome::Ambiguous => {
            "Needs attention: one cloud user matches by email address and another by UPN; Entra's choice cannot be predicted safely."
        }
        Outcome::InvalidAnchor => {
            "Needs attention: the sourceAnchor is missing or breaks Entra's rules, so the user cannot sync."
        }
        Outcome::DuplicateAnchor => {
            "Needs attention: another AD user has the same sourceAnchor; neither can sync until one changes."
        }
    }
}

const UNKNOWN_MEANING: &str =
    "Needs attention: an outcome this version of the report does not know; read the reasons.";

/// Renders `plan` (the JSON of `plan --format json`) as one self-contained HTML page.
///
/// Never fails: missing or mistyped fields show as empty, unknown fields and outcomes are shown as
/// they are. The same plan and context give the same bytes.
pub fn render_plan_html(plan: &Value, context: &ReportContext) -> String {
    let users = plan
        .get("users")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let cloud_only = plan
        .get("cloudOnly")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let counts = OutcomeCounts::of(users);
    let attention = counts.attention();

    let (generated_at, generated_at_iso) = format_utc(context.generated_at);
    let style_hash = csp_hash(STYLE);
    let script_hash = csp_hash(SCRIPT);
    let csp = format!(
        "default-src 'none'; script-src '{script_hash}'; style-src '{style_hash}'; \
         base-uri 'none'; form-action 'none'"
    );
    let title = format!(
        "anchorsync plan: {} needing attention of {}",
        digits(attention),
        count(users.len(), "user", "users")
    );

    let mut page = String::with_capacity(TEMPLATE.len() + STYLE.len() + SCRIPT.len() + 4096);
    fill_template(TEMPLATE, &mut page, |name, out| match name {
        "csp" => out.push_str(&escape_html(&csp)),
        "version" => out.push_str(env!("CARGO_PKG_VERSION")),
        "title" => out.push_str(&escape_html(&title)),
        "style" => out.push_str(STYLE),
        "script" => out.push_str(SCRIPT),
        "generated_at" => out.push_str(&generated_at),
        "generated_at_iso" => out.push_str(&generated_at_iso),
        "inputs" => write_inputs(out, &context.inputs),
        "settings" => write_settings(out, plan),
        "verdict" => write_verdict(out, plan, &counts, users.len()),
        "chart" => write_chart(out, &counts),
        "cloud_only_summary" => write_cloud_only_summary(out, cloud_only),
        "footer" => write_footer(out, plan),
        "outcomes" => out.push_str(&json_in_script(&counts.vocabulary())),
        "plan" => out.push_str(&json_in_script(plan)),
        _ => {}
    });
    page
}

/// Users per outcome, counted from the plan's `users` array.
struct OutcomeCounts {
    /// Aligned with [`Outcome::ALL`].
    known: [usize; Outcome::ALL.len()],
    /// Outcomes this report does not know, by name (sorted, so the page does not depend on hashing).
    unknown: BTreeMap<String, usize>,
}

impl OutcomeCounts {
    fn of(users: &[Value]) -> Self {
        let mut counts = Self {
            known: [0; Outcome::ALL.len()],
            unknown: BTreeMap::new(),
        };
        for user in users {
            let outcome = match user.get("outcome") {
                Some(Value::String(outcome)) => outcome.as_str(),
                _ => "",
            };
            match Outcome::ALL
                .iter()
                .position(|known| known.as_str() == outcome)
            {
                Some(position) => {
                    if let Some(count) = counts.known.get_mut(position) {
                        *count += 1;
                    }
                }
                None => *counts.unknown.entry(outcome.to_owned()).or_default() += 1,
            }
        }
        counts
    }

    /// Every outcome to show with its count: the known ones, then the unknown ones.
    fn rows(&self) -> impl Iterator<Item = OutcomeRow<'_>> {
        let known = Outcome::ALL
            .iter()
            .zip(self.known)
            .map(|(outcome, count)| OutcomeRow {
                id: outcome.as_str(),
                label: outcome.as_str(),
                meaning: meaning(*outcome),
                attention: outcome.needs_attention(),
                css_class: format!("o-{}", outcome.as_str()),
                count,
            });
        let unknown = self.unknown.iter().map(|(id, count)| OutcomeRow {
            id,
            label: if id.is_empty() { "(no outcome)" } else { id },
            meaning: UNKNOWN_MEANING,
            attention: true,
            css_class: "o-unknown".to_owned(),
            count: *count,
        });
        known.chain(unknown)
    }

    fn attention(&self) -> usize {
        self.rows()
            .filter(|row| row.attention)
            .map(|row| row.count)
            .sum()
    }

    /// The outcome vocabulary for the script: ids, words, colours and counts, in display order.
    fn vocabulary(&self) -> Value {
        Value::Array(
            self.rows()
                .map(|row| {
                    json!({
                        "id": row.id,
                        "label": row.label,
                        "meaning": row.meaning,
                        "attention": row.attention,
                        "cssClass": row.css_class,
                        "count": row.count,
                    })
                })
                .collect(),
        )
    }
}

struct OutcomeRow<'a> {
    id: &'a str,
    label: &'a str,
    meaning: &'a str,
    attention: bool,
    css_class: String,
    count: usize,
}

fn write_inputs(out: &mut String, inputs: &[ReportInput]) {
    if inputs.is_empty() {
        return;
    }
    out.push_str("<dl class=\"inputs\">");
    for input in inputs {
        let _ = write!(
            out,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            escape_html(&input.role),
            escape_html(&input.source)
        );
    }
    out.push_str("</dl>");
}

/// The plan's `settings` (anchor attribute, encoding, the tenant's switches...), flattened to
/// `tenant.blockSoftMatchEnabled`-style names in the plan's own order, so new settings show up unchanged.
fn write_settings(out: &mut String, plan: &Value) {
    let Some(settings) = plan.get("settings").and_then(Value::as_object) else {
        return;
    };
    let mut entries = Vec::new();
    flatten_settings("", settings, &mut entries);
    if entries.is_empty() {
        return;
    }
    out.push_str(
        "<details class=\"settings\" id=\"settings\"><summary>Settings the plan was made with</summary><dl>",
    );
    for (name, value) in entries {
        let _ = write!(
            out,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            escape_html(&name),
            escape_html(&value)
        );
    }
    out.push_str("</dl></details>");
}

fn flatten_settings(
    prefix: &str,
    settings: &serde_json::Map<String, Value>,
    entries: &mut Vec<(String, String)>,
) {
    for (key, value) in settings {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(nested) => flatten_settings(&name, nested, entries),
            Value::String(text) => entries.push((name, text.clone())),
            Value::Null => entries.push((name, "none".to_owned())),
            Value::Array(values) => entries.push((
                name,
                values
                    .iter()
                    .map(|value| match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
            other => entries.push((name, other.to_string())),
        }
    }
}

/// With `plan --strategy`: how many users the strategy fixes, and the outcomes after.
fn write_strategy_summary(out: &mut String, plan: &Value) {
    let Some(strategy) = plan.get("strategy").and_then(Value::as_str) else {
        return;
    };
    let users = plan
        .get("users")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut fixable = 0;
    let mut nothing = 0;
    let mut after: BTreeMap<String, usize> = BTreeMap::new();
    for remediation in users.iter().filter_map(|user| user.get("remediation")) {
        if remediation.get("fixable") == Some(&Value::Bool(true)) {
            fixable += 1;
            if let Some(outcome) = remediation.get("outcomeAfter").and_then(Value::as_str) {
                *after.entry(outcome.to_owned()).or_default() += 1;
            }
        } else if remediation
            .get("reason")
            .and_then(Value::as_str)
            .is_some_and(|reason| reason.starts_with("nothing to do"))
        {
            nothing += 1;
        }
    }
    let after: Vec<String> = after
        .iter()
        .map(|(outcome, count)| format!("{} {}", digits(*count), escape_html(outcome)))
        .collect();
    let _ = write!(
        out,
        "<p class=\"totals\" id=\"strategy-summary\">Strategy <code>{}</code>: {} can be fixed{}, {} {} \
         nothing, {} cannot be fixed this way (open a user for the reason and what would work).</p>",
        escape_html(strategy),
        count(fixable, "user", "users"),
        if after.is_empty() {
            String::new()
        } else {
            format!(" (after the change: {})", after.join(", "))
        },
        digits(nothing),
        one_or_many(nothing, "needs", "need"),
        digits(users.len().saturating_sub(fixable + nothing)),
    );
}

fn write_verdict(out: &mut String, plan: &Value, counts: &OutcomeCounts, total: usize) {
    let attention = counts.attention();
    if total == 0 {
        out.push_str(
            "<p class=\"verdict\" id=\"verdict\">The plan lists no on-premises users.</p>",
        );
    } else if attention == 0 {
        let _ = write!(
            out,
            "<p class=\"verdict ok\" id=\"verdict\">{} will hard-match, soft-match or be created: \
             none needs attention.</p>",
            if total == 1 {
                "The one user".to_owned()
            } else {
                format!("All {} users", digits(total))
            }
        );
    } else {
        let _ = write!(
            out,
            "<p class=\"verdict attention\" id=\"verdict\">{} of {} {} attention before the first \
             sync.</p>",
            digits(attention),
            count(total, "user", "users"),
            one_or_many(attention, "needs", "need")
        );
    }
    write_strategy_summary(out, plan);
    let cloud_users = plan
        .get("totals")
        .and_then(|totals| totals.get("cloudUsers"))
        .and_then(Value::as_u64)
        .and_then(|count| usize::try_from(count).ok());
    if let Some(cloud_users) = cloud_users {
        let _ = write!(
            out,
            "<p class=\"totals\">{} planned against {} in the tenant.</p>",
            count(total, "AD user", "AD users"),
            count(cloud_users, "cloud user", "cloud users"),
        );
    }
    // The chart counts the listed users; a summary that says otherwise means a truncated or edited file.
    let Some(summary) = plan.get("summary").and_then(Value::as_object) else {
        return;
    };
    let mismatches: Vec<String> = counts
        .rows()
        .filter_map(|row| {
            let stated = summary.get(row.id)?.as_u64()?;
            (usize::try_from(stated).ok() != Some(row.count)).then(|| {
                format!(
                    "{}: {} in the summary, {} listed",
                    row.label,
                    digits(usize::try_from(stated).unwrap_or(usize::MAX)),
                    digits(row.count)
                )
            })
        })
        .collect();
    if !mismatches.is_empty() {
        let _ = write!(
            out,
            "<p class=\"notice\" id=\"summary-mismatch\">The plan's summary does not agree with the \
             users it lists, so the file may be incomplete: {}. The chart and the table show the \
             listed users.</p>",
            escape_html(&mismatches.join("; "))
        );
    }
}

/// Layout of the chart, in SVG user units.
const CHART_WIDTH: usize = 760;
const LABEL_RIGHT: usize = 215;
const BAR_LEFT: usize = 225;
const BAR_WIDTH: usize = 455;
const ROW_HEIGHT: usize = 28;
const GROUP_HEIGHT: usize = 26;

/// A horizontal bar chart, drawn here so that the counts read without JavaScript and in grey: every
/// bar carries its label and count as text; the colour only repeats them.
fn write_chart(out: &mut String, counts: &OutcomeCounts) {
    let rows: Vec<OutcomeRow<'_>> = counts.rows().collect();
    let max = rows.iter().map(|row| row.count).max().unwrap_or(0).max(1);
    let groups = [
        (false, "Will sync as expected"),
        (true, "Needs attention before the first sync"),
    ];
    let height = groups.len() * GROUP_HEIGHT + rows.len() * ROW_HEIGHT + 6;
    let _ = write!(
        out,
        "<svg class=\"chart\" id=\"outcome-chart\" viewBox=\"0 0 {CHART_WIDTH} {height}\" \
         role=\"group\" aria-label=\"Users per outcome\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let mut y = 0;
    for (attention, title) in groups {
        let _ = write!(
            out,
            "<text class=\"group-title\" x=\"0\" y=\"{}\">{title}</text>",
            y + 18
        );
        y += GROUP_HEIGHT;
        for row in rows.iter().filter(|row| row.attention == attention) {
            // A non-empty bar is never thinner than 3 units, so a single user stays visible.
            let width = if row.count == 0 {
                0
            } else {
                (row.count * BAR_WIDTH / max).max(3)
            };
            let users = one_or_many(row.count, "user", "users");
            let count = digits(row.count);
            let (class, focus) = if row.count == 0 {
                ("bar empty", "")
            } else {
                (
                    "bar",
                    " tabindex=\"0\" role=\"button\" aria-pressed=\"false\"",
                )
            };
            let _ = write!(
                out,
                "<g class=\"{class}\" data-outcome=\"{id}\" data-count=\"{n}\" transform=\"translate(0 {y})\"{focus} \
                 aria-label=\"{label}: {count} {users}\">\
                 <title>{meaning} {count} {users}.</title>\
                 <text class=\"label\" x=\"{LABEL_RIGHT}\" y=\"18\" text-anchor=\"end\">{label}</text>\
                 <rect class=\"track\" x=\"{BAR_LEFT}\" y=\"4\" width=\"{BAR_WIDTH}\" height=\"20\" rx=\"2\"/>\
                 <rect class=\"fill {css}\" x=\"{BAR_LEFT}\" y=\"4\" width=\"{width}\" height=\"20\" rx=\"2\"/>\
                 <text class=\"count\" x=\"{count_x}\" y=\"19\">{count}</text></g>",
                id = escape_html(row.id),
                n = row.count,
                label = escape_html(row.label),
                meaning = escape_html(row.meaning),
                css = escape_html(&row.css_class),
                count_x = BAR_LEFT + BAR_WIDTH + 8,
            );
            y += ROW_HEIGHT;
        }
    }
    out.push_str("</svg>");
}

fn write_cloud_only_summary(out: &mut String, cloud_only: &[Value]) {
    let with_immutable_id = cloud_only
        .iter()
        .filter(|user| {
            user.get("onPremisesImmutableId")
                .and_then(Value::as_str)
                .is_some_and(|value| !value.is_empty())
        })
        .count();
    let _ = write!(
        out,
        "<p class=\"cloud-only-summary\" id=\"cloud-only-summary\" data-total=\"{}\" \
         data-with-immutable-id=\"{with_immutable_id}\">{} no AD user reaches; {} {} an \
         ImmutableID.</p>",
        cloud_only.len(),
        count(cloud_only.len(), "cloud user", "cloud users"),
        digits(with_immutable_id),
        one_or_many(with_immutable_id, "carries", "carry"),
    );
}

fn write_footer(out: &mut String, plan: &Value) {
    out.push_str(
        "Made by anchorsync from read-only inventories: nothing was changed. This page works offline \
         and fetches nothing.",
    );
    if let Some(version) = plan.get("formatVersion") {
        let version = match version {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let _ = write!(out, " Plan format version {}.", escape_html(&version));
    }
}

/// Copies `template` to `out`, replacing each `{{name}}` with what `value` writes for it. One pass over
/// the template only: text that a value brings in (a DN containing `{{script}}`) is never expanded.
fn fill_template(template: &str, out: &mut String, mut value: impl FnMut(&str, &mut String)) {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let Some(end) = after.find("}}") else {
            out.push_str(after);
            return;
        };
        let name = after.get(2..end).unwrap_or_default();
        value(name, out);
        rest = after.get(end + 2..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` as `\u` escapes, so no value
/// can end the block (`</script>`) or open a comment (`<!--`); U+2028 and U+2029 too, so the text is
/// also safe to paste into JavaScript. The escapes are valid JSON, and `JSON.parse` gives the
/// original values back.
fn json_in_script(value: &Value) -> String {
    let json = value.to_string();
    let mut escaped = String::with_capacity(json.len() + json.len() / 64);
    // Copy the runs between the characters to escape in one piece: plans are tens of megabytes.
    let mut copied = 0;
    for (position, character) in json.char_indices() {
        let escape = match character {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        escaped.push_str(json.get(copied..position).unwrap_or_default());
        escaped.push_str(escape);
        copied = position + character.len_utf8();
    }
    escaped.push_str(json.get(copied..).unwrap_or_default());
    escaped
}

/// Text for HTML element content and quoted attribute values.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A CSP source expression allowing exactly this inline script or style.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// `(2026-11-22 04:21:05 UTC, 2026-11-22T04:21:05Z)`. A time before 1970 shows as 1970: no plan
/// predates the tool.
pub(crate) fn format_utc(time: SystemTime) -> (String, String) {
    let time = time::OffsetDateTime::from(time.max(UNIX_EPOCH));
    let format = |description: &[time::format_description::BorrowedFormatItem<'_>]| {
        time.format(description).unwrap_or_default()
    };
    (
        format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        )),
        format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        )),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn context() -> ReportContext {
        ReportContext {
            generated_at: UNIX_EPOCH + Duration::from_secs(1_795_321_265),
            inputs: vec![ReportInput {
                role: "Active Directory".to_owned(),
                source: "corp <test>.ldif".to_owned(),
            }],
        }
    }

    /// The text of the element `<script type="application/json" id="{id}">`.
    fn json_block<'a>(page: &'a str, id: &str) -> &'a str {
        let open = format!("<script type=\"application/json\" id=\"{id}\">");
        let start = page.find(&open).unwrap() + open.len();
        let end = start + page[start..].find("</script>").unwrap();
        &page[start..end]
    }

    #[test]
    fn hostile_values_stay_inside_the_data_block_issue_5() {
        let hostile =
            "CN=</script><script>alert(1)</script>\u{2028}\u{2029}<!--{{script}}&amp;,DC=corp";
        let plan = json!({
            "users": [{"dn": hostile, "outcome": "create", "reasons": ["</SCRIPT >"]}],
            "cloudOnly": [{"id": "x", "displayName": hostile}],
        });
        let page = render_plan_html(&plan, &context());
        let block = json_block(&page, "plan-data");
        for forbidden in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!block.contains(forbidden), "{forbidden:?} in {block}");
        }
        // The escapes are JSON: the block parses back to exactly the plan.
        let parsed: Value = serde_json::from_str(block).unwrap();
        assert_eq!(parsed, plan);
        // Exactly the template's three script elements, and `{{script}}` in a value is not expanded.
        assert_eq!(page.matches("<script").count(), 3);
        assert_eq!(page.matches("</script>").count(), 3);
        assert_eq!(page.matches(SCRIPT).count(), 1);
        assert!(page.contains("<code>corp &lt;test&gt;.ldif</code>"));
    }

    #[test]
    fn csp_allows_only_the_page_own_script_and_style_issue_5() {
        let page = render_plan_html(&json!({}), &context());
        let script_hash = csp_hash(SCRIPT);
        let style_hash = csp_hash(STYLE);
        let csp = format!(
            "content=\"default-src 'none'; script-src '{script_hash}'; style-src '{style_hash}'; \
             base-uri 'none'; form-action 'none'\""
        );
        assert!(page.contains(&csp.replace('\'', "&#39;")), "{page}");
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        // Nothing in the page names a resource elsewhere.
        for reference in ["http://", "https://", "src=", "href=", "@import", "url("] {
            let outside_svg_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(
                !outside_svg_namespace.contains(reference),
                "the page refers to {reference}"
            );
        }
    }

    #[test]
    fn chart_counts_the_listed_users_and_reports_a_disagreeing_summary_issue_5() {
        let plan = json!({
            "summary": {"hard-match": 2, "create": 5},
            "users": [
                {"outcome": "hard-match"}, {"outcome": "hard-match"}, {"outcome": "create"},
                {"outcome": "ambiguous"}, {"outcome": "later-outcome"}, {"dn": "no outcome"},
            ],
        });
        let page = render_plan_html(&plan, &context());
        for (id, count) in [
            ("hard-match", 2),
            ("create", 1),
            ("ambiguous", 1),
            ("soft-match-upn", 0),
            ("later-outcome", 1),
            ("", 1),
        ] {
            assert!(
                page.contains(&format!("data-outcome=\"{id}\" data-count=\"{count}\"")),
                "{id}: {count}"
            );
        }
        assert!(page.contains("3 of 6 users need attention"));
        assert!(page.contains("create: 5 in the summary, 1 listed"));
        assert!(!page.contains("hard-match: 2 in the summary"));
    }

    #[test]
    fn generated_at_is_the_callers_time_in_utc_issue_5() {
        let page = render_plan_html(&json!({}), &context());
        assert!(page.contains("<time datetime=\"2026-11-22T04:21:05Z\" id=\"generated-at\">2026-11-22 04:21:05 UTC</time>"));
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)).1,
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(format_utc(UNIX_EPOCH).1, "1970-01-01T00:00:00Z");
    }

    #[test]
    fn same_plan_same_bytes_issue_5() {
        let plan = json!({"users": [{"outcome": "zeta"}, {"outcome": "alpha"}]});
        assert_eq!(
            render_plan_html(&plan, &context()),
            render_plan_html(&plan, &context())
        );
    }
}
