//! `anchorsync verify`: re-read AD, the tenant and (with `--hac`) HENNGE Access Control's user export,
//! and report per user whether the AD sourceAnchor, the Microsoft 365 ImmutableID and the IdP's
//! ImmutableID agree. Exit 1 when any disagree.

use std::io::Write;

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::engine::EngineSettings;
use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::verify::{VerifyReport, VerifyStatus, verify};

use crate::args::{VerifyArgs, VerifyFormat};
use crate::commands::plan::spreadsheet::{guard_formula, io_error};
use crate::exit::ExitStatus;
use crate::hac::{ColumnOverride, parse_column_override, read_hac};
use crate::output::write_to;
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
        VerifyFormat::Table => write_table(out, &report),
    })?;
    Ok(if report.has_disagreement() {
        ExitStatus::Attention
    } else {
        ExitStatus::Success
    })
}

/// Reads the three sides and compares them.
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
        ..EngineSettings::default()
    };
    let options = ReadOptions {
        extra_attributes: Some(vec![args.anchor_attribute.clone()]),
    };
    let users = read_ad(&AdSource::parse(&args.ad), &options, config)?;
    let tenant = read_cloud(&CloudSource::parse(&args.cloud), config)?;
    Ok(verify(&users, &tenant, idp.as_deref(), &settings))
}

const COLUMNS: [&str; 10] = [
    "dn",
    "userPrincipalName",
    "status",
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

fn write_table(out: &mut (dyn Write + Send), report: &VerifyReport) -> anyhow::Result<()> {
    let summary = &report.summary;
    writeln!(
        out,
        "{} users: {} agree, {} disagree, {} soft-match at the first sync, {} without a valid sourceAnchor, {} without a cloud user{}",
        summary.users,
        summary.agree,
        summary.disagree,
        summary.soft_match_pending,
        summary.no_anchor,
        summary.no_cloud_user,
        if summary.idp_compared {
            format!(
                ", {} missing from the identity provider's export",
                summary.not_in_idp
            )
        } else {
            " (no identity provider export compared: add `--hac FILE`)".to_owned()
        }
    )?;
    if summary.sign_in_risks > 0 {
        writeln!(
            out,
            "{} federated users would fail to sign in (AADSTS51004): their identity provider, Microsoft 365 and AD values must agree",
            summary.sign_in_risks
        )?;
    }
    let shown: Vec<_> = report
        .users
        .iter()
        .filter(|user| {
            matches!(user.status, VerifyStatus::Disagree | VerifyStatus::NotInIdp)
                || user.sign_in_risk
        })
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let none = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    let rows: Vec<[String; 5]> = shown
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
                none(&user.user_principal_name).chars().take(40).collect(),
                none(&user.source_anchor),
                none(&user.cloud_immutable_id),
                none(&user.idp_immutable_id),
            ]
        })
        .collect();
    let headers = [
        "status",
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
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}
