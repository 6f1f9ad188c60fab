//! `anchorsync undo RUN [--yes]`: a new run of kind `undo` whose steps reverse the done steps of RUN,
//! newest first, each restoring the value that step replaced, through the same journal and
//! compare-and-set as `apply`: a value changed since RUN is a conflict, never overwritten.
//!
//! Reversing a federated user's three steps gives the same shape again: UPN to the initial domain,
//! the old ImmutableID restored, UPN back (which runs even when the restore fails). A user whose
//! ImmutableID was never changed (the middle step failed) has nothing to undo, so the UPN moves of
//! that user are left out. An interrupted undo resumes when the same command runs again; an undo run
//! can itself be undone.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;

use anchorsync_core::remediation::StepPurpose;
use anchorsync_store::{JournalStep, NewRun, PlannedStep, Run, RunKind, RunStatus, StepState};
use anyhow::{Context as _, bail};

use crate::args::UndoArgs;
use crate::clock;
use crate::config;
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal::{self, TargetsDescription};
use crate::progress::BarReporter;
use crate::step_list::write_cut_list;

const PURPOSES: [StepPurpose; 5] = [
    StepPurpose::SetAnchor,
    StepPurpose::SetImmutableId,
    StepPurpose::ClearImmutableId,
    StepPurpose::FederatedUpnAway,
    StepPurpose::FederatedUpnBack,
];

fn reversed_purpose(purpose: &str) -> String {
    PURPOSES
        .iter()
        .find(|known| known.as_str() == purpose)
        .map_or_else(
            || purpose.to_owned(),
            |known| known.reversed().as_str().to_owned(),
        )
}

fn is_upn_move(purpose: &str) -> bool {
    purpose == StepPurpose::FederatedUpnAway.as_str()
        || purpose == StepPurpose::FederatedUpnBack.as_str()
}

/// The steps that reverse the done steps of a run, newest first.
pub fn reverse_steps(steps: &[JournalStep]) -> Vec<PlannedStep> {
    let done: Vec<&JournalStep> = steps
        .iter()
        .filter(|step| step.state == StepState::Done)
        .collect();
    // Users with a done change besides UPN moves: only for them are the UPN moves worth reversing.
    let changed: HashSet<Option<&str>> = done
        .iter()
        .filter(|step| !is_upn_move(&step.step.purpose))
        .map(|step| step.step.user_dn.as_deref())
        .collect();
    done.iter()
        .rev()
        .filter(|step| {
            !is_upn_move(&step.step.purpose) || changed.contains(&step.step.user_dn.as_deref())
        })
        .map(|journal| {
            let step = &journal.step;
            PlannedStep {
                user_dn: step.user_dn.clone(),
                system: step.system.clone(),
                target: step.target.clone(),
                label: step.label.clone(),
                attribute: step.attribute.clone(),
                purpose: reversed_purpose(&step.purpose),
                before: step.after.clone(),
                // The value the step actually replaced, as the journal recorded it.
                after: journal
                    .replaced
                    .clone()
                    .unwrap_or_else(|| step.before.clone()),
            }
        })
        .collect()
}

pub fn run(
    args: &UndoArgs,
    config_path: Option<&Path>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitStatus> {
    let data = DataDir::resolve(data_dir)?;
    let Some(store) = data.open_existing()? else {
        bail!(
            "there is no journal in `{}`, so no run to undo (is `--data-dir` the one `apply` used?)",
            data.path().display()
        );
    };
    let original = store.find_run(&args.run)?;
    let undos = store.undo_runs_of(&original.id)?;
    let unfinished = undos
        .iter()
        .find(|run| run.status == RunStatus::Running)
        .cloned();
    if unfinished.is_none()
        && let Some(previous) = undos.iter().find(|run| run.status != RunStatus::Refused)
    {
        bail!(
            "run `{}` was already undone by run `{}`; to reverse that, undo `{}`",
            original.id,
            previous.id,
            previous.id
        );
    }
    match original.status {
        RunStatus::Running => bail!(
            "run `{}` is not finished: run the same command again to resume it, then undo it",
            original.id
        ),
        RunStatus::Refused => bail!(
            "run `{}` was refused before any change: there is nothing to undo",
            original.id
        ),
        RunStatus::Completed | RunStatus::CompletedWithErrors => {}
    }
    let steps = reverse_steps(&store.steps(&original.id)?);
    if steps.is_empty() {
        println!(
            "run `{}` changed nothing, so there is nothing to undo",
            original.id
        );
        return Ok(ExitStatus::Success);
    }
    print_undo_summary(&original, &steps)?;
    if !args.yes {
        println!(
            "dry run: nothing was read, changed or journaled. Run again with `--yes` to undo; a value changed \
             since the run is reported and left as it is."
        );
        return Ok(ExitStatus::Success);
    }
    drop(store);
    let loaded = config::load(config_path)?;
    let (mut store, _lock) = data.open_for_writing()?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    let (need_ad, need_graph) = journal::systems_needed(&steps);
    runtime.block_on(async {
        let targets =
            journal::Targets::connect(&loaded, need_ad, need_graph, None, &reporter).await?;
        check_same_tenant(&original, &targets.description)?;
        let run = match unfinished {
            Some(run) => {
                eprintln!("resuming the undo run `{}`", run.id);
                run
            }
            None => {
                let now = clock::now();
                let new_run = NewRun {
                    id: clock::run_id(now),
                    kind: RunKind::Undo,
                    plan_sha256: None,
                    plan_path: None,
                    undoes: Some(original.id.clone()),
                    targets: serde_json::to_string(&targets.description)?,
                    started_at: clock::rfc3339(now),
                };
                store.create_run(&new_run, &steps)?;
                store.find_run(&new_run.id)?
            }
        };
        let (_, status) = journal::run_and_report(&store, &data, &run, targets, &reporter).await?;
        Ok(status)
    })
}

/// An undo writes to the tenant the run wrote to, never another one the configuration now names.
fn check_same_tenant(original: &Run, now: &TargetsDescription) -> anyhow::Result<()> {
    let then: TargetsDescription = serde_json::from_str(&original.targets)
        .with_context(|| format!("the journal's targets of run `{}`", original.id))?;
    if let (Some(then), Some(now)) = (&then.cloud, &now.cloud)
        && !then.tenant_id.eq_ignore_ascii_case(&now.tenant_id)
    {
        bail!(
            "run `{}` wrote to tenant `{}`, but the configuration points at tenant `{}`; nothing was changed",
            original.id,
            then.tenant_id,
            now.tenant_id
        );
    }
    Ok(())
}

fn print_undo_summary(original: &Run, steps: &[PlannedStep]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "undo of run `{}` ({}, started {}): {}",
        original.id,
        original.kind.as_str(),
        original.started_at,
        anchorsync_core::wording::count(steps.len(), "step", "steps")
    )?;
    write_cut_list(&mut out, steps, journal::step_line)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use anchorsync_core::remediation::StepValue;

    use super::*;

    fn done(dn: &str, purpose: &str, attribute: &str, before: &str, after: &str) -> JournalStep {
        JournalStep {
            seq: 0,
            step: PlannedStep {
                user_dn: Some(dn.to_owned()),
                system: "cloud".to_owned(),
                target: format!("id-{dn}"),
                label: None,
                attribute: attribute.to_owned(),
                purpose: purpose.to_owned(),
                before: StepValue::Text(before.to_owned()),
                after: StepValue::Text(after.to_owned()),
            },
            state: StepState::Done,
            replaced: Some(StepValue::Text(before.to_owned())),
            message: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn federated_steps_reverse_into_the_same_workaround() {
        let steps = [
            done(
                "A",
                "federated-upn-away",
                "userPrincipalName",
                "a@fed.com",
                "a@t.onmicrosoft.com",
            ),
            done(
                "A",
                "set-immutable-id",
                "onPremisesImmutableId",
                "OLD",
                "NEW",
            ),
            done(
                "A",
                "federated-upn-back",
                "userPrincipalName",
                "a@t.onmicrosoft.com",
                "a@fed.com",
            ),
        ];
        let reversed = reverse_steps(&steps);
        let shape: Vec<(&str, String, String)> = reversed
            .iter()
            .map(|step| {
                (
                    step.purpose.as_str(),
                    step.before.display(),
                    step.after.display(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (
                    "federated-upn-away",
                    "a@fed.com".into(),
                    "a@t.onmicrosoft.com".into()
                ),
                ("set-immutable-id", "NEW".into(), "OLD".into()),
                (
                    "federated-upn-back",
                    "a@t.onmicrosoft.com".into(),
                    "a@fed.com".into()
                ),
            ]
        );
    }

    #[test]
    fn upn_moves_around_a_failed_change_are_not_undone() {
        let mut failed = done(
            "A",
            "set-immutable-id",
            "onPremisesImmutableId",
            "OLD",
            "NEW",
        );
        failed.state = StepState::Failed;
        let steps = [
            done(
                "A",
                "federated-upn-away",
                "userPrincipalName",
                "a@fed.com",
                "a@t.onmicrosoft.com",
            ),
            failed,
            done(
                "A",
                "federated-upn-back",
                "userPrincipalName",
                "a@t.onmicrosoft.com",
                "a@fed.com",
            ),
            done("B", "clear-immutable-id", "onPremisesImmutableId", "X", "Y"),
        ];
        let reversed = reverse_steps(&steps);
        assert_eq!(reversed.len(), 1);
        assert_eq!(reversed[0].user_dn.as_deref(), Some("B"));
        assert_eq!(reversed[0].purpose, "set-immutable-id");
    }
}
