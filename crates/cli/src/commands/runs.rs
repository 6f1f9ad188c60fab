//! `anchorsync runs [--format text|json]`: the runs in the journal, oldest first.

use std::io::Write as _;
use std::path::Path;

use serde_json::json;

use crate::args::{OutputFormat, RunsArgs};
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal;

pub fn run(args: &RunsArgs, data_dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let data = DataDir::resolve(data_dir)?;
    let summaries = match data.open_existing()? {
        Some(store) => store.runs()?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let runs: Vec<_> = summaries
                .iter()
                .map(|summary| {
                    let mut fields = journal::run_json(&summary.run);
                    fields.insert(
                        "report".to_owned(),
                        json!(data.report_path(&summary.run.id)),
                    );
                    fields.insert("counts".to_owned(), journal::counts_json(&summary.counts));
                    serde_json::Value::Object(fields)
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json!({ "formatVersion": 1, "runs": runs }))?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
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
                    run.started_at,
                    run.status.as_str(),
                    counts.done,
                    counts.failed,
                    counts.conflict,
                    counts.skipped,
                    counts.planned + counts.started
                )?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
