//! `anchorsync undo RUN [--yes]`: a new run of kind `undo` whose steps reverse the done steps of RUN,
//! newest first, through the same executor as `apply` (`anchorsync_executor::undo` decides the
//! steps): a value changed since RUN is a conflict, never overwritten. An interrupted undo resumes
//! when the same command runs again; an undo run can itself be undone.

use std::io::Write as _;
use std::sync::Arc;

use anchorsync_executor::sync::revert_undone_links;
use anchorsync_executor::{Executor, Needs, Start, Targets, UndoPlan, undo};
use anyhow::bail;

use crate::args::UndoArgs;
use crate::clock::SystemClock;
use crate::exit::ExitStatus;
use crate::journal;
use crate::progress::BarReporter;
use crate::settings::Settings;
use crate::step_list::write_cut_list;

pub fn run(args: &UndoArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let data = settings.data()?;
    let Some(store) = data.open_existing()? else {
        bail!(
            "there is no journal in `{}`, so no run to undo (is `--data-dir` the one `apply` used?)",
            data.path().display()
        );
    };
    // Reversing needs no connection: the routing alone knows how each system reverses.
    let plan = undo::prepare(&store, &args.run, &Targets::default())?;
    if plan.steps.is_empty() {
        println!(
            "run `{}` changed nothing, so there is nothing to undo",
            plan.original.id
        );
        return Ok(ExitStatus::Success);
    }
    print_undo_summary(&plan)?;
    if !args.yes {
        println!(
            "dry run: nothing was read, changed or journaled. Run again with `--yes` to undo; a value changed \
             since the run is reported and left as it is."
        );
        return Ok(ExitStatus::Success);
    }
    drop(store);
    let concurrency = settings.concurrency(args.concurrency)?;
    let connections = settings.targets(Needs::of(&plan.steps))?;
    let (mut store, _lock) = data.open_for_writing()?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    runtime
        .block_on(async {
            let targets = Arc::new(Targets::connect(&connections, &reporter).await?);
            let mut executor =
                Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter)
                    .with_concurrency(concurrency);
            let run = match executor.start_undo(&plan, targets.description()) {
                Ok(Start::Resume(run)) => {
                    eprintln!("resuming the undo run `{}`", run.id);
                    run
                }
                Ok(Start::New(run)) => run,
                Err(error) => {
                    targets.close().await;
                    return Err(anyhow::Error::from(error));
                }
            };
            journal::run_and_report(&mut executor, data, &run).await
        })
        .and_then(|(run, status)| {
            // A sync run's links go back with its writes: a user whose create, join, disable or delete
            // was reversed is linked again as it was before that run.
            let steps = store.steps(&run.id)?;
            let reverted = revert_undone_links(&mut store, &plan.original, &steps)?;
            if reverted > 0 {
                println!(
                    "  links: {} put back as they were before run `{}`",
                    reverted, plan.original.id
                );
            }
            Ok(status)
        })
}

fn print_undo_summary(plan: &UndoPlan) -> anyhow::Result<()> {
    let original = &plan.original;
    let steps = &plan.steps;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "undo of run `{}` ({}, started {}): {}",
        original.id,
        original.kind,
        original.started_at,
        anchorsync_core::wording::count(steps.len(), "step", "steps")
    )?;
    write_cut_list(&mut out, steps, journal::step_line)?;
    Ok(())
}
