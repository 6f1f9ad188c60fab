//! `anchorsync apply PLAN [--yes] [--emit ldif|powershell -o FILE]`: carry out a plan's remediation
//! steps through the journal (crate::journal), or write them as files for someone else to run.
//!
//! Order of events with `--yes`: read and check the plan (a bad plan stops here, exit 2); connect;
//! resume the unfinished run of the same plan (same SHA-256) if the journal has one; otherwise read
//! every value the plan changes first, and refuse the whole plan (exit 1, nothing written, the refusal
//! journaled with the stale values) when one of them is not the plan's `before`; create the run with
//! all its steps `planned` in one transaction; run the steps; write the report.

mod emit;
mod plan_file;

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;

use anchorsync_ad::dn::NormalizedDn;
use anchorsync_core::remediation::{StepPurpose, StepSystem};
use anchorsync_core::wording::{count, one_or_many};
use anchorsync_store::{NewRun, PlannedStep, RunKind, RunStatus};
use anyhow::bail;

pub use plan_file::PlanError;

use crate::args::ApplyArgs;
use crate::clock;
use crate::config;
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal::{self, StaleValue, Targets, TargetsDescription};
use crate::progress::BarReporter;
use crate::step_list::write_cut_list;

pub fn run(
    args: &ApplyArgs,
    config_path: Option<&Path>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitStatus> {
    let plan = plan_file::read(&args.plan)?;
    if let (Some(format), Some(output)) = (args.emit, args.output.as_deref()) {
        return emit::run(&plan, format, output);
    }
    let steps = plan.planned_steps();
    if steps.is_empty() {
        println!(
            "`{}` has no changes to apply (no user with remediation steps; was it made with `plan --strategy`?)",
            args.plan.display()
        );
        return Ok(ExitStatus::Success);
    }
    print_plan_summary(&plan, &steps)?;
    let data = DataDir::resolve(data_dir)?;
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
    let loaded = config::load(config_path)?;
    let (mut store, _lock) = data.open_for_writing()?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    let (need_ad, need_graph) = journal::systems_needed(&steps);
    runtime.block_on(async {
        let mut targets = Targets::connect(&loaded, need_ad, need_graph, None, &reporter).await?;
        check_sources(&plan, &targets.description)?;
        let targets_json = serde_json::to_string(&targets.description)?;
        let run = match store.unfinished_apply(&plan.sha256)? {
            Some(run) => {
                eprintln!(
                    "resuming run `{}` of `{}`, started {}",
                    run.id,
                    args.plan.display(),
                    run.started_at
                );
                run
            }
            None => {
                let stale = preflight(&steps, &mut targets, &reporter).await?;
                let now = clock::now();
                let new_run = NewRun {
                    id: clock::run_id(now),
                    kind: RunKind::Apply,
                    plan_sha256: Some(plan.sha256.clone()),
                    plan_path: Some(args.plan.display().to_string()),
                    undoes: None,
                    targets: targets_json,
                    started_at: clock::rfc3339(now),
                };
                if !stale.is_empty() {
                    targets.close().await;
                    return refuse(&mut store, &data, &new_run, &stale);
                }
                store.create_run(&new_run, &steps)?;
                store.find_run(&new_run.id)?
            }
        };
        let (_, status) = journal::run_and_report(&store, &data, &run, targets, &reporter).await?;
        Ok(status)
    })
}

/// The plan's targets must be the configured ones: the tenant it was read from (when read live), and
/// an AD scope that holds its DNs.
fn check_sources(plan: &plan_file::PlanFile, targets: &TargetsDescription) -> anyhow::Result<()> {
    if let Some(sources) = &plan.sources
        && sources.cloud.kind == "graph"
        && let (Some(planned), Some(configured)) = (&sources.cloud.tenant_id, &targets.cloud)
        && !planned.eq_ignore_ascii_case(&configured.tenant_id)
    {
        bail!(
            "the plan was made against tenant `{planned}`, but the configuration points at tenant `{}`; \
             nothing was changed",
            configured.tenant_id
        );
    }
    // The configured AD scope must hold every DN the plan writes to: a plan made against another
    // directory (or scope) is refused before anything is read.
    if let Some(ad) = &targets.ad
        && !ad.base_dns.is_empty()
    {
        let bases: Vec<NormalizedDn> = ad.base_dns.iter().map(|dn| NormalizedDn::new(dn)).collect();
        if let Some(outside) = plan
            .users
            .iter()
            .flat_map(|user| &user.steps)
            .filter(|step| step.system == StepSystem::Ad)
            .find(|step| {
                let dn = NormalizedDn::new(&step.target);
                !bases.iter().any(|base| dn.is_within(base))
            })
        {
            bail!(
                "the plan writes to `{}`, outside the configured `[ad]` base DNs ({}); nothing was changed",
                outside.target,
                ad.base_dns
                    .iter()
                    .map(|dn| format!("`{dn}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// Reads the value of every step that is the first of its user to change an attribute, and returns
/// those that are not the plan's `before`.
async fn preflight(
    steps: &[PlannedStep],
    targets: &mut Targets,
    reporter: &BarReporter,
) -> anyhow::Result<Vec<StaleValue>> {
    let mut seen = HashSet::new();
    let firsts: Vec<&PlannedStep> = steps
        .iter()
        .filter(|step| {
            seen.insert((
                step.system.clone(),
                step.target.to_lowercase(),
                step.attribute.to_lowercase(),
            ))
        })
        .collect();
    let observed = targets.observe_all(&firsts, reporter).await?;
    Ok(firsts
        .into_iter()
        .zip(observed)
        .filter_map(|(step, observed)| {
            let actual = match observed {
                Ok(current) if current.holds(step, &step.before) => return None,
                Ok(current) => current.display(),
                Err(error) => format!("cannot be read: {error}"),
            };
            Some(StaleValue {
                user_dn: step.user_dn.clone(),
                system: step.system.clone(),
                target: step.target.clone(),
                label: step.label.clone(),
                attribute: step.attribute.clone(),
                expected: step.before.clone(),
                actual,
            })
        })
        .collect())
}

/// Journals the refusal (a run with no steps, status `refused`), writes its report and lists the
/// stale values. Exit 1.
fn refuse(
    store: &mut anchorsync_store::Store,
    data: &DataDir,
    new_run: &NewRun,
    stale: &[StaleValue],
) -> anyhow::Result<ExitStatus> {
    store.create_run(new_run, &[])?;
    store.finish_run(
        &new_run.id,
        RunStatus::Refused,
        &clock::rfc3339(clock::now()),
    )?;
    let run = store.find_run(&new_run.id)?;
    let report = data.report_path(&run.id);
    journal::write_report(&report, &run, &[], stale)?;
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
        writeln!(
            out,
            "  {} ({}): {} `{}` should be `{}` but is `{}`",
            value.user_dn.as_deref().unwrap_or(&value.target),
            value.label.as_deref().unwrap_or(&value.target),
            value.system,
            value.attribute,
            value.expected.display(),
            value.actual
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

fn print_plan_summary(plan: &plan_file::PlanFile, steps: &[PlannedStep]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let strategy = plan.strategy.map_or("none", |strategy| strategy.as_str());
    writeln!(
        out,
        "plan `{}` (strategy {strategy}): {}, {}",
        plan.path.display(),
        count(plan.users.len(), "user", "users"),
        count(steps.len(), "step", "steps")
    )?;
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for step in steps {
        *counts
            .entry((step.system.clone(), step.purpose.clone()))
            .or_default() += 1;
    }
    for ((system, purpose), count) in &counts {
        let system = if system == StepSystem::Ad.as_str() {
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
                away.before.display(),
                away.after.display()
            )
        })?;
    }
    Ok(())
}

/// Tells `hints_for_error` about the plan's errors.
pub fn hint(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    error.downcast_ref::<PlanError>().and_then(PlanError::hint)
}
