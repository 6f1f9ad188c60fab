//! `plan --format csv`: one row per on-premises user, for Excel. UTF-8 with a byte-order mark (so Excel
//! reads Japanese names correctly), CRLF line ends, every field quoted when needed, lists joined with
//! ` | `, and a leading `'` on cells Excel would take for a formula (`=`, `+`, `-`, `@`: a Base64
//! sourceAnchor can start with `+`).

use std::io::Write;

use anchorsync_core::engine::Plan;
use anchorsync_core::engine::changes::AttributeChange;
use serde_json::Value;

/// The column headers: the JSON field names of a user record.
pub const COLUMNS: &[&str] = &[
    "dn",
    "userPrincipalName",
    "outcome",
    "sourceAnchor",
    "anchorAttribute",
    "cloudUserId",
    "predictedUserPrincipalName",
    "conflictAttribute",
    "conflictingCloudUserIds",
    "reasons",
    "warnings",
    "attributeChanges",
];

/// How lists are joined in one cell.
pub const SEPARATOR: &str = " | ";

/// Keeps Excel from evaluating a cell as a formula.
pub fn guard_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => format!("\"{text}\""),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `displayName: "Taro Yamada" → "山田 太郎"`.
pub fn change_text(change: &AttributeChange) -> String {
    format!(
        "{}: {} → {}",
        change.attribute,
        value_text(&change.cloud_value),
        value_text(&change.on_prem_value)
    )
}

/// Keeps the I/O error inside a CSV error visible, so a closed pipe stays a quiet exit.
pub fn io_error(error: csv::Error) -> anyhow::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("cannot write CSV: {other:?}"),
    }
}

/// Writes the CSV.
pub fn write(out: &mut (dyn Write + Send), plan: &Plan<'_>) -> anyhow::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(COLUMNS).map_err(io_error)?;
    for user_plan in &plan.users {
        let record = plan.user_record(user_plan);
        let row = [
            record.dn,
            record.user_principal_name.unwrap_or_default(),
            record.outcome.as_str().to_owned(),
            record.source_anchor.unwrap_or_default(),
            record.anchor_attribute.unwrap_or_default(),
            record.cloud_user_id.unwrap_or_default(),
            record.predicted_user_principal_name.unwrap_or_default(),
            record
                .conflict_attribute
                .map(|attribute| attribute.as_str().to_owned())
                .unwrap_or_default(),
            record.conflicting_cloud_user_ids.join(SEPARATOR),
            record.reasons.join(SEPARATOR),
            record.warnings.join(SEPARATOR),
            record
                .attribute_changes
                .iter()
                .map(change_text)
                .collect::<Vec<_>>()
                .join(SEPARATOR),
        ];
        writer
            .write_record(row.map(guard_formula))
            .map_err(io_error)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_values_read() {
        assert_eq!(
            guard_formula("+D9q4TtdW06deixqiw5/EQ==".into()),
            "'+D9q4TtdW06deixqiw5/EQ=="
        );
        assert_eq!(
            guard_formula("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(
            guard_formula("iGhmiAEBERG7uxI0VniQqw==".into()),
            "iGhmiAEBERG7uxI0VniQqw=="
        );
        let change = AttributeChange {
            attribute: "department".into(),
            cloud_value: Value::from("Sales"),
            on_prem_value: Value::Null,
        };
        assert_eq!(change_text(&change), "department: \"Sales\" → (none)");
    }
}
