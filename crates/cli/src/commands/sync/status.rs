//! `anchorsync sync status [--format text|json]`: the last sync run and its step counts, the links by
//! state, the export errors the last run kept, and the changes a sync would make now (a test sync of
//! `--ad` and `--cloud` with the stored links). Reads only.
//!
//! JSON, format version 1:
//!
//! ```json
//! { "formatVersion": 1,
//!   "lastRun": { "id", "kind", "status", "startedAt", "finishedAt", ..., "counts": {...}, "report" } | null,
//!   "links": { "total", "active", "disabled", "deleted" },
//!   "exportErrors": [ { "objectGuid", "dn", "userPrincipalName", "cloudUserId", "code", "property",
//!                       "message", "firstRun", "lastRun", "runs" } ],
//!   "pending": { "changes", "exportErrors", "guard", "counts": {...} } }
//! ```

use std::io::Write as _;

use anchorsync_core::sync::{LinkState, SyncCounts};
use anchorsync_core::wording::{count, printable};
use anchorsync_executor::RunRecord;
use anchorsync_store::{RunKind, StepCounts, StoredExportError};
use serde::Serialize;

use super::Sides;
use crate::args::{OutputFormat, SyncStatusArgs};
use crate::colour::Palette;
use crate::exit::ExitStatus;
use crate::settings::Settings;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    format_version: u32,
    last_run: Option<LastRun<'a>>,
    links: LinkCounts,
    export_errors: &'a [StoredExportError],
    pending: Pending<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LastRun<'a> {
    #[serde(flatten)]
    run: RunRecord<'a>,
    counts: StepCounts,
    report: std::path::PathBuf,
}

#[derive(Serialize, Default)]
struct LinkCounts {
    total: usize,
    active: usize,
    disabled: usize,
    deleted: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pending<'a> {
    changes: usize,
    export_errors: usize,
    guard: &'a anchorsync_core::sync::DeletionGuard,
    counts: &'a SyncCounts,
}

pub fn run(args: &SyncStatusArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let data = settings.data()?;
    let store = data.open_existing()?;
    let (summaries, links, errors) = match &store {
        Some(store) => (store.runs()?, store.links()?, store.export_errors()?),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let last = summaries
        .iter()
        .rev()
        .find(|summary| summary.run.kind == RunKind::Sync);
    let mut link_counts = LinkCounts {
        total: links.len(),
        ..LinkCounts::default()
    };
    for link in &links {
        match link.state {
            LinkState::Active => link_counts.active += 1,
            LinkState::Disabled => link_counts.disabled += 1,
            LinkState::Deleted => link_counts.deleted += 1,
        }
    }
    let sync_settings = settings.sync();
    let sides = Sides::read(&args.sources, &sync_settings, settings)?;
    let plan = sides.plan(&links, &sync_settings, None)?;
    let status = Status {
        format_version: 1,
        last_run: last.map(|summary| LastRun {
            run: RunRecord::new(&summary.run),
            counts: summary.counts,
            report: data.report_path(&summary.run.id),
        }),
        links: link_counts,
        export_errors: &errors,
        pending: Pending {
            changes: plan.counts.pending(),
            export_errors: plan.counts.export_error,
            guard: &plan.guard,
            counts: &plan.counts,
        },
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &status)?;
            writeln!(out)?;
        }
        OutputFormat::Text => write_text(&mut out, &status)?,
    }
    let clean = plan.counts.pending() == 0 && plan.counts.export_error == 0 && errors.is_empty();
    Ok(if clean {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    })
}

fn write_text(out: &mut dyn std::io::Write, status: &Status<'_>) -> anyhow::Result<()> {
    let palette = Palette::stdout();
    match &status.last_run {
        Some(last) => {
            writeln!(
                out,
                "last sync run: {} ({}), started {}{}",
                last.run.id,
                last.run.status,
                last.run.started_at,
                last.run
                    .finished_at
                    .map(|at| format!(", finished {at}"))
                    .unwrap_or_default()
            )?;
            writeln!(
                out,
                "  {} done, {} failed, {} in conflict, {} skipped, {} not finished",
                last.counts.done,
                last.counts.failed,
                last.counts.conflict,
                last.counts.skipped,
                last.counts.unfinished()
            )?;
            writeln!(out, "  report: {}", last.report.display())?;
        }
        None => writeln!(out, "last sync run: none yet")?,
    }
    let links = &status.links;
    writeln!(
        out,
        "links: {} ({} active, {} disabled, {} deleted)",
        links.total, links.active, links.disabled, links.deleted
    )?;
    if status.export_errors.is_empty() {
        writeln!(out, "export errors: none kept")?;
    } else {
        writeln!(
            out,
            "export errors: {} kept from the last run",
            palette.attention(count(status.export_errors.len(), "error", "errors"))
        )?;
        for kept in status.export_errors {
            let error = &kept.error;
            let who = error
                .user_principal_name
                .as_deref()
                .or(error.dn.as_deref())
                .unwrap_or_default();
            let property = error
                .property
                .as_deref()
                .map(|property| format!(" `{property}`"))
                .unwrap_or_default();
            let line = format!(
                "{who}: {}{property} (since run {}, {}): {}",
                error.code,
                kept.first_run,
                count(kept.runs as usize, "run", "runs"),
                error.message
            );
            writeln!(
                out,
                "{}",
                crate::commands::plan::table::wrap("  ", 4, &printable(&line))
            )?;
        }
    }
    let pending = &status.pending;
    let actions: Vec<String> = anchorsync_core::sync::Action::ALL
        .into_iter()
        .filter(|action| {
            action.writes_to_graph() || *action == anchorsync_core::sync::Action::Forget
        })
        .filter(|action| pending.counts.get(*action) > 0)
        .map(|action| format!("{} {action}", pending.counts.get(action)))
        .collect();
    writeln!(
        out,
        "pending now: {}{}; {} with export errors; deletion guard {}",
        count(pending.changes, "change", "changes"),
        if actions.is_empty() {
            String::new()
        } else {
            format!(" ({})", actions.join(", "))
        },
        count(pending.export_errors, "user", "users"),
        match pending.guard.verdict {
            anchorsync_core::sync::GuardVerdict::Refused =>
                palette.attention("refuses the next run").to_string(),
            anchorsync_core::sync::GuardVerdict::Allowed => "allowed".to_owned(),
            anchorsync_core::sync::GuardVerdict::Pass => "passes".to_owned(),
        }
    )?;
    Ok(())
}
