//! `undo RUN`: a new run of kind `undo` whose steps reverse the done steps of RUN, newest first
//! ([`Target::reverse`]), run through the same journal and compare-and-set as any run: a value
//! changed since RUN is a conflict, never overwritten.
//!
//! Reversing a federated user's three steps gives the same shape again: UPN to the initial domain,
//! the old ImmutableID restored, UPN back (which runs even when the restore fails). A user whose
//! ImmutableID was never changed (the middle step failed) has nothing to undo, so the UPN moves of
//! that user are left out. An interrupted undo resumes; an undo run can itself be undone.

use std::collections::HashSet;

use anchorsync_store::{JournalStep, Run, RunKind, RunStatus, RunTargets, Step, StepState, Store};

use crate::reversal::Irreversible;
use crate::run::{Executor, RunError, RunSpec};
use crate::target::Target;

/// Why a run cannot be undone.
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    /// The journal failed (or has no such run).
    #[error(transparent)]
    Store(#[from] anchorsync_store::Error),
    /// The run is not finished.
    #[error("run `{run}` is not finished: run the same command again to resume it, then undo it")]
    NotFinished {
        /// The run.
        run: String,
    },
    /// The run was refused: it changed nothing.
    #[error("run `{run}` was refused before any change: there is nothing to undo")]
    WasRefused {
        /// The run.
        run: String,
    },
    /// Another run already undid it.
    #[error("run `{run}` was already undone by run `{by}`; to reverse that, undo `{by}`")]
    AlreadyUndone {
        /// The run.
        run: String,
        /// The undo run.
        by: String,
    },
    /// A done step cannot be reversed.
    #[error(transparent)]
    Irreversible(#[from] Irreversible),
    /// The configuration now points at another tenant than the run wrote to.
    #[error(
        "run `{run}` wrote to tenant `{then}`, but the configuration points at tenant `{now}`; nothing was changed"
    )]
    OtherTenant {
        /// The run.
        run: String,
        /// The tenant it wrote to.
        then: String,
        /// The configured tenant.
        now: String,
    },
    /// Running the undo failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// What undoing a run means, decided from the journal alone (no connection needed).
#[derive(Debug, Clone)]
pub struct UndoPlan {
    /// The run to undo.
    pub original: Run,
    /// The reversing steps, newest first.
    pub steps: Vec<Step>,
    /// An interrupted undo of the same run, to resume.
    pub unfinished: Option<Run>,
}

/// The steps that reverse the done steps of a run, newest first.
pub fn reverse_steps(
    steps: &[JournalStep],
    target: &impl Target,
) -> Result<Vec<Step>, Irreversible> {
    let done: Vec<&JournalStep> = steps
        .iter()
        .filter(|step| step.state == StepState::Done)
        .collect();
    // Users with a done change besides UPN moves: only for them are the UPN moves worth reversing.
    let changed: HashSet<Option<&str>> = done
        .iter()
        .filter(|step| !step.step.purpose.is_upn_move())
        .map(|step| step.step.user_dn.as_deref())
        .collect();
    done.iter()
        .rev()
        .filter(|step| {
            !step.step.purpose.is_upn_move() || changed.contains(&step.step.user_dn.as_deref())
        })
        .map(|journal| target.reverse(journal))
        .collect()
}

/// Checks that `run_id` can be undone and builds its reversing steps (`target` reverses them; no
/// connection is used).
pub fn prepare(store: &Store, run_id: &str, target: &impl Target) -> Result<UndoPlan, UndoError> {
    let original = store.find_run(run_id)?;
    let undos = store.undo_runs_of(&original.id)?;
    let unfinished = undos
        .iter()
        .find(|run| run.status == RunStatus::Running)
        .cloned();
    if unfinished.is_none()
        && let Some(previous) = undos.iter().find(|run| run.status != RunStatus::Refused)
    {
        return Err(UndoError::AlreadyUndone {
            run: original.id.clone(),
            by: previous.id.clone(),
        });
    }
    match original.status {
        RunStatus::Running => {
            return Err(UndoError::NotFinished {
                run: original.id.clone(),
            });
        }
        RunStatus::Refused => {
            return Err(UndoError::WasRefused {
                run: original.id.clone(),
            });
        }
        RunStatus::Completed | RunStatus::CompletedWithErrors => {}
    }
    let steps = reverse_steps(&store.steps(&original.id)?, target)?;
    Ok(UndoPlan {
        original,
        steps,
        unfinished,
    })
}

impl<T: Target + 'static> Executor<'_, T> {
    /// The undo run of `plan`: the interrupted one to resume, or a new one with its steps. An undo
    /// writes to the tenant the run wrote to, never another one the configuration now names.
    pub fn start_undo(
        &mut self,
        plan: &UndoPlan,
        targets: &RunTargets,
    ) -> Result<crate::Start, UndoError> {
        if let (Some(then), Some(now)) = (&plan.original.targets.cloud, &targets.cloud)
            && !then.tenant_id.eq_ignore_ascii_case(&now.tenant_id)
        {
            return Err(UndoError::OtherTenant {
                run: plan.original.id.clone(),
                then: then.tenant_id.clone(),
                now: now.tenant_id.clone(),
            });
        }
        if let Some(run) = &plan.unfinished {
            return Ok(crate::Start::Resume(run.clone()));
        }
        let run = self.create_run(
            RunKind::Undo,
            RunSpec {
                undoes: Some(plan.original.id.clone()),
                ..RunSpec::default()
            },
            targets,
            &plan.steps,
        )?;
        Ok(crate::Start::New(run))
    }
}

#[cfg(test)]
mod tests {
    use anchorsync_core::remediation::{Change, StepPurpose, StepSystem, StepValue};

    use super::*;
    use crate::targets::Targets;

    fn done(
        dn: &str,
        purpose: StepPurpose,
        attribute: &str,
        before: &str,
        after: &str,
    ) -> JournalStep {
        JournalStep {
            seq: 0,
            step: Step::set(
                Some(dn.to_owned()),
                StepSystem::Cloud,
                format!("id-{dn}"),
                None,
                purpose,
                Change {
                    attribute: attribute.to_owned(),
                    before: StepValue::Text(before.to_owned()),
                    after: StepValue::Text(after.to_owned()),
                },
            ),
            state: StepState::Done,
            replaced: Some(StepValue::Text(before.to_owned())),
            created: None,
            message: None,
            started_at: None,
            finished_at: None,
        }
    }

    fn shape(steps: &[Step]) -> Vec<(StepPurpose, String, String)> {
        steps
            .iter()
            .map(|step| {
                let change = step.change().unwrap();
                (
                    step.purpose,
                    change.before.display(),
                    change.after.display(),
                )
            })
            .collect()
    }

    #[test]
    fn federated_steps_reverse_into_the_same_workaround() {
        let steps = [
            done(
                "A",
                StepPurpose::FederatedUpnAway,
                "userPrincipalName",
                "a@fed.com",
                "a@t.onmicrosoft.com",
            ),
            done(
                "A",
                StepPurpose::SetImmutableId,
                "onPremisesImmutableId",
                "OLD",
                "NEW",
            ),
            done(
                "A",
                StepPurpose::FederatedUpnBack,
                "userPrincipalName",
                "a@t.onmicrosoft.com",
                "a@fed.com",
            ),
        ];
        let reversed = reverse_steps(&steps, &Targets::default()).unwrap();
        assert_eq!(
            shape(&reversed),
            [
                (
                    StepPurpose::FederatedUpnAway,
                    "a@fed.com".into(),
                    "a@t.onmicrosoft.com".into()
                ),
                (StepPurpose::SetImmutableId, "NEW".into(), "OLD".into()),
                (
                    StepPurpose::FederatedUpnBack,
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
            StepPurpose::SetImmutableId,
            "onPremisesImmutableId",
            "OLD",
            "NEW",
        );
        failed.state = StepState::Failed;
        let steps = [
            done(
                "A",
                StepPurpose::FederatedUpnAway,
                "userPrincipalName",
                "a@fed.com",
                "a@t.onmicrosoft.com",
            ),
            failed,
            done(
                "A",
                StepPurpose::FederatedUpnBack,
                "userPrincipalName",
                "a@t.onmicrosoft.com",
                "a@fed.com",
            ),
            done(
                "B",
                StepPurpose::ClearImmutableId,
                "onPremisesImmutableId",
                "X",
                "Y",
            ),
        ];
        let reversed = reverse_steps(&steps, &Targets::default()).unwrap();
        assert_eq!(reversed.len(), 1);
        assert_eq!(reversed[0].user_dn.as_deref(), Some("B"));
        assert_eq!(reversed[0].purpose, StepPurpose::SetImmutableId);
    }
}
