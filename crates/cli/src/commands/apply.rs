//! `anchorsync apply PLAN [--yes] [--emit ldif|powershell -o FILE]`: carry out a plan's remediation
//! steps through the journaled executor (`anchorsync-executor`), or write them as files for someone
//! else to run.
//!
//! Order of events with `--yes`: read and check the plan (a bad plan stops here, exit 2); connect; the
//! executor resumes the unfinished run of the same plan, or reads every value the plan changes first
//! and refuses the whole plan (exit 1, nothing written, the refusal journaled with the stale values)
//! when one of them is not the plan's `before`, or creates the run; the run goes to its end; the
//! report is written.

mod emit;

use std::io::Write as _;
use std::sync::Arc;

use anchorsync_core::remediation::{StepPurpose, StepSystem};
use anchorsync_core::wording::{count, excerpt, one_or_many, printable};
use anchorsync_executor::{ApplyStart, Executor, Needs, Start, Targets, value_shown};
use anchorsync_store::{Run, Step};

/// The plan file, read and checked by the executor (the emitters read it too).
pub(crate) use anchorsync_executor::plan_file;

use crate::args::ApplyArgs;
use crate::clock::SystemClock;
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal;
use crate::progress::BarReporter;
use crate::settings::Settings;
use crate::step_list::write_cut_list;

pub fn run(args: &ApplyArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let plan = plan_file::read(&args.plan)?;
    if let (Some(format), Some(output)) = (args.emit, args.output.as_deref()) {
        return emit::run(&plan, format, output);
    }
    let steps = plan.steps();
    if steps.is_empty() {
        println!(
            "`{}` has no changes to apply (no user with remediation steps; was it made with `plan --strategy`?)",
            args.plan.display()
        );
        return Ok(ExitStatus::Success);
    }
    print_plan_summary(&plan, &steps)?;
    let data = settings.data()?;
    if !args.yes {
        if let Some(store) = data.open_existing()?
            && let Some(run) = store.unfinished_apply(&plan.sha256)?
        {
            println!(
                "an interrupted run of this plan, `{}`, is in the journal: `--yes` resumes it",
                run.id
            );
        }
        println!(
            "dry run: nothing was read, changed or journaled. Run again with `--yes` to apply; every value is \
             checked against the plan before the first write."
        );
        return Ok(ExitStatus::Success);
    }
    let concurrency = settings.concurrency(args.concurrency)?;
    let connections = settings.targets(Needs::of(&steps))?;
    let (mut store, _lock) = data.open_for_writing()?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    runtime.block_on(async {
        let targets = Arc::new(Targets::connect(&connections, &reporter).await?);
        let mut executor = Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter)
            .with_concurrency(concurrency);
        let started = executor.start_apply(&plan, targets.description()).await;
        let run = match started {
            Ok(ApplyStart::Run(Start::Resume(run))) => {
                eprintln!(
                    "resuming run `{}` of `{}`, started {}",
                    run.id,
                    args.plan.display(),
                    run.started_at
                );
                run
            }
            Ok(ApplyStart::Run(Start::New(run))) => run,
            Ok(ApplyStart::Refused { run, stale }) => {
                targets.close().await;
                return refused(data, &run, &stale);
            }
            Err(error) => {
                targets.close().await;
                return Err(error.into());
            }
        };
        let (_, status) = journal::run_and_report(&mut executor, data, &run).await?;
        Ok(status)
    })
}

/// Writes the refused run's report and lists the stale values. Exit 1.
fn refused(
    data: &DataDir,
    run: &Run,
    stale: &[anchorsync_executor::StaleValue],
) -> anyhow::Result<ExitStatus> {
    let report = journal::write_report(data, run, &[], stale)?;
    let palette = crate::colour::Palette::stdout();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} {} no longer what the plan expects, so nothing was changed. Make the plan again.",
        palette.attention("refused"),
        count(stale.len(), "value", "values"),
        one_or_many(stale.len(), "is", "are")
    )?;
    for value in stale {
        let object = match value
            .label
            .as_deref()
            .filter(|label| *label != value.target)
        {
            Some(label) => format!(
                "`{}` (`{}`)",
                excerpt(label, 120),
                excerpt(&value.target, 200)
            ),
            None => format!("`{}`", excerpt(&value.target, 200)),
        };
        // The object written, and the plan's user when that is another object (a cloud user).
        let user = value
            .user_dn
            .as_deref()
            .filter(|dn| *dn != value.target)
            .map(|dn| format!(", user `{}`", excerpt(dn, 200)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {object}{user}: {} `{}` should be `{}` but is `{}`",
            value.system,
            printable(&value.attribute),
            value_shown(&value.expected),
            printable(&value.actual)
        )?;
    }
    writeln!(
        out,
        "run {} (apply): {}",
        run.id,
        palette.attention("refused")
    )?;
    writeln!(out, "report: {}", report.display())?;
    Ok(ExitStatus::Attention)
}

fn print_plan_summary(plan: &plan_file::PlanFile, steps: &[Step]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let strategy = plan.strategy.map_or("none", |strategy| strategy.as_str());
    writeln!(
        out,
        "plan `{}` (strategy {strategy}): {}, {}",
        plan.path.display(),
        count(plan.users.len(), "user", "users"),
        count(steps.len(), "step", "steps")
    )?;
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for step in steps {
        *counts
            .entry((step.system.as_str(), step.purpose.as_str()))
            .or_default() += 1;
    }
    for ((system, purpose), count) in &counts {
        let system = if *system == StepSystem::Ad.as_str() {
            "Active Directory"
        } else {
            "Microsoft 365"
        };
        writeln!(out, "  {system}: {count} × {purpose}")?;
    }
    writeln!(out, "first changes:")?;
    write_cut_list(&mut out, steps, journal::step_line)?;
    let federated: Vec<_> = plan.federated_users().collect();
    if !federated.is_empty() {
        writeln!(
            out,
            "{} {} the three-step workaround (UPN to the initial domain, ImmutableID set, UPN back; the \
             UPN is moved back even if the middle step fails):",
            count(federated.len(), "federated user", "federated users"),
            one_or_many(federated.len(), "gets", "get")
        )?;
        let moves: Vec<_> = federated
            .iter()
            .filter_map(|user| {
                user.steps
                    .iter()
                    .find(|step| step.purpose == StepPurpose::FederatedUpnAway)
            })
            .collect();
        write_cut_list(&mut out, &moves, |away| {
            format!(
                "  `{}` → `{}` and back",
                value_shown(&away.before),
                value_shown(&away.after)
            )
        })?;
    }
    Ok(())
}
