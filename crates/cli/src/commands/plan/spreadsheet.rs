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

/// With `--strategy`, these columns follow (docs/plan-format.md).
pub const REMEDIATION_COLUMNS: &[&str] = &[
    "strategy",
    "pairedBy",
    "fixable",
    "outcomeAfter",
    "changes",
    "remediationReason",
    "alternative",
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
    let with_remediation = plan.remediation.is_some();
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if with_remediation {
        header.extend(REMEDIATION_COLUMNS);
    }
    writer.write_record(&header).map_err(io_error)?;
    for user_plan in &plan.users {
        let record = plan.user_record(user_plan);
        let remediation = record.remediation.clone();
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
        let mut row: Vec<String> = row.into_iter().collect();
        if with_remediation {
            let r = remediation.as_ref();
            row.extend([
                r.map(|r| r.strategy.as_str().to_owned())
                    .unwrap_or_default(),
                r.map(|r| r.paired_by.join(SEPARATOR)).unwrap_or_default(),
                r.map(|r| r.fixable.to_string()).unwrap_or_default(),
                r.and_then(|r| r.outcome_after)
                    .map(|outcome| outcome.as_str().to_owned())
                    .unwrap_or_default(),
                r.map(|r| {
                    r.steps
                        .iter()
                        .map(|step| {
                            format!(
                                "{} {}: {} → {}",
                                step.system.as_str(),
                                step.attribute,
                                step.before.display(),
                                step.after.display()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(SEPARATOR)
                })
                .unwrap_or_default(),
                r.and_then(|r| r.reason.clone()).unwrap_or_default(),
                r.and_then(|r| r.alternative.map(|a| a.as_str().to_owned()))
                    .unwrap_or_default(),
            ]);
        }
        writer
            .write_record(row.into_iter().map(guard_formula))
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
