//! `anchorsync runs [--format text|json]`: the runs in the journal, oldest first.

use std::io::Write as _;
use std::path::PathBuf;

use anchorsync_executor::RunRecord;
use anchorsync_store::StepCounts;
use serde::Serialize;

use crate::args::{OutputFormat, RunsArgs};
use crate::exit::ExitStatus;
use crate::settings::Settings;

/// `runs --format json`, format version 1.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing<'a> {
    format_version: u32,
    runs: Vec<Listed<'a>>,
}

/// One run: its fields, where its report is, and its steps per state.
#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    run: RunRecord<'a>,
    report: PathBuf,
    counts: StepCounts,
}

pub fn run(args: &RunsArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let data = settings.data()?;
    let summaries = match data.open_existing()? {
        Some(store) => store.runs()?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let runs = summaries
                .iter()
                .map(|summary| Listed {
                    run: RunRecord::new(&summary.run),
                    report: data.report_path(&summary.run.id),
                    counts: summary.counts,
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &Listing {
                    format_version: 1,
                    runs,
                },
            )?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            // Plan paths are shown: through the writer that escapes control characters.
            let mut out = crate::output::PrintableText::new(&mut out, false);
            if summaries.is_empty() {
                writeln!(out, "no runs in `{}` yet", data.journal_path().display())?;
                return Ok(ExitStatus::Success);
            }
            writeln!(
                out,
                "{:<22} {:<16} {:<25} {:<22} {:>5} {:>6} {:>8} {:>7} {:>7}  WHAT",
                "ID",
                "KIND",
                "STARTED",
                "STATUS",
                "DONE",
                "FAILED",
                "CONFLICT",
                "SKIPPED",
                "PENDING"
            )?;
            for summary in &summaries {
                let run = &summary.run;
                let counts = &summary.counts;
                let what = match (&run.plan_path, &run.undoes) {
                    (Some(plan), _) => format!("plan `{plan}`"),
                    (None, Some(undone)) => format!("undoes `{undone}`"),
                    (None, None) => String::new(),
                };
                writeln!(
                    out,
                    "{:<22} {:<16} {:<25} {:<22} {:>5} {:>6} {:>8} {:>7} {:>7}  {what}",
                    run.id,
                    run.kind.as_str(),
                    run.started_at.to_string(),
                    run.status.as_str(),
                    counts.done,
                    counts.failed,
                    counts.conflict,
                    counts.skipped,
                    counts.unfinished()
                )?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
