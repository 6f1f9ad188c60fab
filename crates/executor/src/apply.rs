//! `apply PLAN`: where a plan's run starts. The unfinished run of the same plan (same SHA-256) is
//! resumed; otherwise every value the plan changes is read first, and the whole plan is refused
//! (journaled as a `refused` run with the stale values, nothing written) when one of them is not the
//! plan's `before`; otherwise the run is created with all its steps `planned` in one transaction.

use anchorsync_store::{Run, RunKind, RunTargets};

use crate::Start;
use crate::plan_file::{PlanError, PlanFile};
use crate::run::{Executor, RunError, RunSpec, StaleValue};
use crate::target::Target;

/// How a plan's run starts.
#[derive(Debug, Clone)]
pub enum ApplyStart {
    /// The run to carry out (resumed or new).
    Run(Start),
    /// Refused before any write: values are not what the plan expects. The run is journaled with
    /// no steps and status `refused`.
    Refused {
        /// The refused run.
        run: Run,
        /// What was found.
        stale: Vec<StaleValue>,
    },
}

/// Why a plan's run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan does not fit the configured targets.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The journal or the preflight read failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

impl<T: Target + 'static> Executor<'_, T> {
    /// Starts (or finds the run to resume of) `plan`, writing to `targets`.
    pub async fn start_apply(
        &mut self,
        plan: &PlanFile,
        targets: &RunTargets,
    ) -> Result<ApplyStart, ApplyError> {
        plan.check_targets(targets)?;
        if let Some(run) = self
            .store()
            .unfinished_apply(&plan.sha256)
            .map_err(RunError::from)?
        {
            return Ok(ApplyStart::Run(Start::Resume(run)));
        }
        let steps = plan.steps();
        let stale = self.preflight(&steps).await?;
        let spec = RunSpec {
            plan_sha256: Some(plan.sha256.clone()),
            plan_path: Some(plan.path.display().to_string()),
            undoes: None,
        };
        if !stale.is_empty() {
            let run = self.refuse(RunKind::Apply, spec, targets)?;
            return Ok(ApplyStart::Refused { run, stale });
        }
        let run = self.create_run(RunKind::Apply, spec, targets, &steps)?;
        Ok(ApplyStart::Run(Start::New(run)))
    }
}
