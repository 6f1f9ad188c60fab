//! `anchorsync verify`: re-read AD, the tenant and (with `--hac`) HENNGE Access Control's user export,
//! run the match engine over them as `plan` does, and report per user whether the AD sourceAnchor, the
//! Microsoft 365 ImmutableID and the IdP's ImmutableID agree around the engine's decision
//! (`anchorsync_core::verify`; the JSON is documented in `docs/verify-format.md`). Exit 1 when anything
//! needs attention.

use std::io::Write;

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::engine::{EngineSettings, plan};
use anchorsync_core::verify::{VerifyReport, verify};

use crate::args::{VerifyArgs, VerifyFormat};
use crate::commands::plan::spreadsheet::{guard_formula, io_error};
use crate::exit::ExitStatus;
use crate::hac::{ColumnOverride, parse_column_override, read_hac};
use crate::output::{PrintableText, write_to};
use crate::sources::{AdSource, CloudSource, read_ad, read_cloud};

pub fn run(args: &VerifyArgs, config: &crate::settings::Settings) -> anyhow::Result<ExitStatus> {
    let report = build(args, config)?;
    write_to(args.output.as_deref(), |out| match args.format {
        VerifyFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            out.write_all(b"\n")?;
            Ok(())
        }
        VerifyFormat::Csv => write_csv(out, &report),
        VerifyFormat::Table => {
            let palette = crate::colour::Palette::for_output(args.output.as_deref());
            let mut out = PrintableText::new(&mut *out, palette.is_enabled());
            write_table(&mut out, &report, palette)?;
            Ok(out.flush()?)
        }
    })?;
    Ok(if report.needs_attention() {
        ExitStatus::Attention
    } else {
        ExitStatus::Success
    })
}

/// Reads the three sides, runs the match engine, and compares the values around its decisions.
pub fn build(
    args: &VerifyArgs,
    config: &crate::settings::Settings,
) -> anyhow::Result<VerifyReport> {
    let overrides: Vec<ColumnOverride> = args
        .hac_columns
        .iter()
        .map(|text| {
            parse_column_override(text).map_err(|error| anyhow::anyhow!("`--hac-column`: {error}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let idp = match &args.hac {
        Some(path) => Some(read_hac(path, &overrides)?),
        None => None,
    };
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::from_name(&args.anchor_attribute),
        anchor_encoding: args.anchor_encoding,
        smtp_match: args.smtp_match,
    };
    let options = ReadOptions {
        extra_attributes: Some(vec![args.anchor_attribute.clone()]),
    };
    let users = read_ad(&AdSource::parse(&args.ad), &options, config)?;
    let tenant = read_cloud(&CloudSource::parse(&args.cloud), config)?;
    // The one prediction: the engine's, exactly as `plan` makes it from the same inputs.
    let plan = plan(&users, &tenant, &settings);
    Ok(verify(&plan, idp.as_deref()))
}

const COLUMNS: [&str; 12] = [
    "dn",
    "userPrincipalName",
    "status",
    "outcome",
    "cloudUserId",
    "signInRisk",
    "sourceAnchor",
    "cloudImmutableId",
    "idpImmutableId",
    "cloudUserPrincipalName",
    "federated",
    "reasons",
];

fn write_csv(out: &mut (dyn Write + Send), report: &VerifyReport) -> anyhow::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(COLUMNS).map_err(io_error)?;
    for user in &report.users {
        let row = [
            user.dn.clone(),
            user.user_principal_name.clone().unwrap_or_default(),
            user.status.as_str().to_owned(),
            user.outcome.as_str().to_owned(),
            user.cloud_user_id.clone().unwrap_or_default(),
            user.sign_in_risk.to_string(),
            user.source_anchor.clone().unwrap_or_default(),
            user.cloud_immutable_id.clone().unwrap_or_default(),
            user.idp_immutable_id.clone().unwrap_or_default(),
            user.cloud_user_principal_name.clone().unwrap_or_default(),
            user.federated.to_string(),
            user.reasons.join(" | "),
        ];
        writer
            .write_record(row.map(guard_formula))
            .map_err(io_error)?;
    }
    writer.flush()?;
    Ok(())
}

fn write_table(
    out: &mut (dyn Write + Send),
    report: &VerifyReport,
    palette: crate::colour::Palette,
) -> anyhow::Result<()> {
    let summary = &report.summary;
    writeln!(
        out,
        "{}{}",
        palette.attention_if(
            summary.disagree + summary.will_not_match > 0,
            summary.describe()
        ),
        if summary.idp_compared {
            ""
        } else {
            " (no identity provider export compared: add `--hac FILE`)"
        }
    )?;
    let outcomes = summary.outcomes.describe();
    writeln!(
        out,
        "the first sync, as `plan` predicts it: {}",
        if outcomes.is_empty() {
            "nothing"
        } else {
            &outcomes
        }
    )?;
    if summary.sign_in_risks > 0 {
        writeln!(
            out,
            "{}",
            palette.attention(format!(
                "{} would fail to sign in (AADSTS51004): their identity provider, Microsoft 365 and AD values must agree",
                anchorsync_core::wording::count(
                    summary.sign_in_risks,
                    "federated user",
                    "federated users"
                )
            ))
        )?;
    }
    let shown: Vec<_> = report
        .users
        .iter()
        .filter(|user| user.status.needs_attention() || user.sign_in_risk)
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let none = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    let rows: Vec<[String; 6]> = shown
        .iter()
        .map(|user| {
            [
                format!(
                    "{}{}",
                    user.status.as_str(),
                    if user.sign_in_risk {
                        " (AADSTS51004)"
                    } else {
                        ""
                    }
                ),
                user.outcome.as_str().to_owned(),
                none(&user.user_principal_name).chars().take(40).collect(),
                none(&user.source_anchor),
                none(&user.cloud_immutable_id),
                none(&user.idp_immutable_id),
            ]
        })
        .collect();
    let headers = [
        "status",
        "first sync",
        "user",
        "AD sourceAnchor",
        "Microsoft 365",
        "identity provider",
    ];
    let mut widths = headers.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(&headers.map(str::to_owned)))?;
    // Every row listed needs attention: its status (the first column, ASCII) in the attention colour.
    for row in &rows {
        let text = line(row);
        let status = widths[0].min(text.len());
        let (status, rest) = text.split_at_checked(status).unwrap_or((text.as_str(), ""));
        writeln!(out, "{}{rest}", palette.attention(status))?;
    }
    Ok(())
}
