//! The journaled commands' side of the command line (`apply`, `undo`, `tenant matching`): the async
//! runtime, the executor wired to the system clock and a progress bar, and how a run is shown: one
//! line per step, the summary of a finished run, its report written to the data directory. What is
//! written, and when, is decided by `anchorsync-executor`.

use std::path::Path;

use anchorsync_core::wording::printable;
use anchorsync_executor::{
    Executor, Finished, RunReport, StaleValue, Targets, object_name, value_shown,
};
use anchorsync_store::{JournalStep, Run, RunStatus, Step, StepState};
use anyhow::Context as _;

use crate::data_dir::DataDir;
use crate::exit::ExitStatus;

/// One step on one line: `` cloud set-immutable-id `onPremisesImmutableId` of `taro@…` (`<id>`): `a` → `b` ``.
/// The object is named as written ([`object_name`]: the label and the target), values from input are
/// shown with control characters escaped and cut to a readable length.
pub fn step_line(step: &Step) -> String {
    match step.change() {
        Some(change) => format!(
            "  {} {} `{}` of {}: `{}` → `{}`",
            step.system,
            step.purpose,
            printable(&change.attribute),
            object_name(step),
            value_shown(&change.before),
            value_shown(&change.after)
        ),
        None => format!(
            "  {} {} {} {}",
            step.system,
            step.purpose,
            step.operation.kind(),
            object_name(step)
        ),
    }
}

/// Writes the report of `run` to `<data dir>/runs/<id>.json`, whole or not at all; a new file is
/// readable by its owner only (it lists users and values). Returns its path.
pub fn write_report(
    data: &DataDir,
    run: &Run,
    steps: &[JournalStep],
    stale: &[StaleValue],
) -> anyhow::Result<std::path::PathBuf> {
    let path = data.report_path(&run.id);
    let report = RunReport::new(run, steps, stale);
    crate::output::write_to(Some(&path), |out| {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    Ok(path)
}

/// The summary of a finished run on stdout.
pub fn print_summary(finished: &Finished, report: &Path) -> anyhow::Result<()> {
    // On a colour terminal, what needs a person's eyes stands out; the words say it without colour.
    let palette = crate::colour::Palette::stdout();
    write_summary(&mut std::io::stdout().lock(), palette, finished, report)
}

/// The summary of a finished run, to `out`.
pub fn write_summary(
    out: &mut dyn std::io::Write,
    palette: crate::colour::Palette,
    finished: &Finished,
    report: &Path,
) -> anyhow::Result<()> {
    let (run, steps) = (&finished.run, &finished.steps);
    let counts = anchorsync_store::StepCounts::of(steps);
    let status = match run.status {
        RunStatus::Completed => palette.fine(run.status.as_str()),
        RunStatus::Running => palette.caution(run.status.as_str()),
        RunStatus::CompletedWithErrors | RunStatus::Refused => {
            palette.attention(run.status.as_str())
        }
    };
    writeln!(out, "run {} ({}): {status}", run.id, run.kind)?;
    let unfinished = counts.unfinished();
    writeln!(
        out,
        "  {} done, {}, {}, {}, {}",
        counts.done,
        palette.attention_if(counts.failed > 0, format!("{} failed", counts.failed)),
        palette.attention_if(
            counts.conflict > 0,
            format!("{} in conflict", counts.conflict)
        ),
        palette.attention_if(counts.skipped > 0, format!("{} skipped", counts.skipped)),
        palette.attention_if(unfinished > 0, format!("{unfinished} not finished"))
    )?;
    for journal in steps.iter().filter(|step| {
        matches!(
            step.state,
            StepState::Failed | StepState::Conflict | StepState::Skipped
        )
    }) {
        writeln!(
            out,
            "  {} step {}: {} `{}` of {}: {}",
            palette.attention(journal.state.as_str()),
            journal.seq,
            journal.step.system,
            printable(journal.step.attribute()),
            object_name(&journal.step),
            printable(journal.message.as_deref().unwrap_or(""))
        )?;
    }
    writeln!(out, "report: {}", report.display())?;
    Ok(())
}

/// Runs (or resumes) `run` to its end, unbinds, writes the report and prints the summary. Returns
/// the finished run and the exit status: 0 when every step was done, 1 otherwise.
pub async fn run_and_report(
    executor: &mut Executor<'_, Targets>,
    data: &DataDir,
    run: &Run,
) -> anyhow::Result<(Run, ExitStatus)> {
    let finished = executor.run(run).await;
    executor.target().close().await;
    let finished = finished?;
    let report = write_report(data, &finished.run, &finished.steps, &[])?;
    print_summary(&finished, &report)?;
    let status = if finished.all_done() {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    };
    Ok((finished.run, status))
}

/// A multi-threaded runtime for a journaled command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
