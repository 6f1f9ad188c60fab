//! The run loop: every step of a run, in order per user, each journaled as `started` before its
//! write is sent and recorded with its result after; a step left `started` by a crash resolved by
//! observation; the per-user rules; the preflight read that refuses a stale plan before any write.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anchorsync_core::progress::Reporter;
use anchorsync_core::remediation::{StepPurpose, StepSystem, StepValue};
use anchorsync_store::{
    JournalStep, NewRun, Run, RunKind, RunStatus, RunTargets, Step, StepOutcome, StepState, Store,
    Timestamp,
};
use serde::Serialize;

use crate::target::{Resolution, Target, TargetError};

/// Where the executor reads the time: the command line's system clock, a fixed one in tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// A new run id that sorts by time: `20261122T051500Z-3f9a`. The suffix tells apart runs started in
/// the same second (it mixes the milliseconds, the process and a counter); the journal's primary key
/// enforces uniqueness anyway.
pub fn new_run_id(now: Timestamp) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis =
        u64::try_from(now.as_offset_date_time().unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let mixed = millis
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(std::process::id()).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(
            COUNTER
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x94D0_49BB_1331_11EB),
        );
    format!("{}-{:04x}", now.compact(), (mixed >> 48) & 0xffff)
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The journal failed.
    #[error(transparent)]
    Store(#[from] anchorsync_store::Error),
    /// A write got no answer: whether it happened is unknown. The step stays `started`.
    #[error(
        "step {seq} of run `{run_id}` ({system} `{attribute}` of {object}) got no answer; whether it was \
         written is unknown. Run the command again: it resumes the run and finds out"
    )]
    NoAnswer {
        /// The run.
        run_id: String,
        /// The step.
        seq: u32,
        /// Its system.
        system: StepSystem,
        /// Its attribute.
        attribute: String,
        /// Its object, as [`crate::target::object_name`] names it.
        object: String,
        /// What the target said.
        #[source]
        source: TargetError,
    },
    /// A step left `started` could not be read back.
    #[error("cannot resolve step {seq} of run `{run_id}`; run the command again to resume")]
    Unresolved {
        /// The run.
        run_id: String,
        /// The step.
        seq: u32,
        /// What the target said.
        #[source]
        source: TargetError,
    },
    /// The preflight read got no answer: nothing was written.
    #[error("cannot read the current values, so nothing was changed")]
    Preflight(#[source] TargetError),
    /// A preflight read task failed.
    #[error("a read of a current value failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A value the preflight found different from the step's `before`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleValue {
    /// The on-premises user.
    pub user_dn: Option<String>,
    /// Where.
    pub system: StepSystem,
    /// The object.
    pub target: String,
    /// How a person knows it.
    pub label: Option<String>,
    /// The attribute.
    pub attribute: String,
    /// What the step expected.
    pub expected: StepValue,
    /// What it is (a description when it could not be read).
    pub actual: String,
}

/// A run carried to its end (every step final).
#[derive(Debug, Clone)]
pub struct Finished {
    /// The run, as the journal now holds it.
    pub run: Run,
    /// Its steps.
    pub steps: Vec<JournalStep>,
}

impl Finished {
    /// Whether every step was done.
    pub fn all_done(&self) -> bool {
        self.steps.iter().all(|step| step.state == StepState::Done)
    }
}

/// What a new run is (its steps are given separately).
#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    /// apply: SHA-256 of the plan file.
    pub plan_sha256: Option<String>,
    /// apply: the plan file as given.
    pub plan_path: Option<String>,
    /// undo: the run it reverses.
    pub undoes: Option<String>,
}

/// The executor of one command: the journal, the targets, the clock and a progress reporter.
pub struct Executor<'a, T> {
    store: &'a mut Store,
    target: Arc<T>,
    clock: &'a dyn Clock,
    reporter: &'a dyn Reporter,
}

/// The steps of one user, for the per-user rules.
#[derive(Debug, Default)]
struct UserProgress {
    failed: bool,
    upn_away_done: bool,
}

/// The steps sharing this key run in order, and a failure skips the rest: an on-premises user's
/// steps, or (for steps of no user, such as tenant switches) the steps of one object.
fn user_key(step: &Step) -> (Option<&str>, StepSystem, &str) {
    match &step.user_dn {
        Some(dn) => (Some(dn.as_str()), StepSystem::Ad, ""),
        None => (None, step.system, step.target.as_str()),
    }
}

fn track(progress: &mut UserProgress, step: &Step, state: StepState) {
    match state {
        StepState::Done if step.purpose == StepPurpose::FederatedUpnAway => {
            progress.upn_away_done = true;
        }
        StepState::Failed | StepState::Conflict | StepState::Skipped => progress.failed = true,
        _ => {}
    }
}

/// Why a step is not run, if it is not: the per-user rules. `federated-upn-back` runs whenever the
/// user's `federated-upn-away` was done, so a federated user never stays on the temporary UPN;
/// any other step is skipped once an earlier step of its user did not succeed.
fn skip_reason(progress: &UserProgress, step: &Step) -> Option<&'static str> {
    if step.purpose == StepPurpose::FederatedUpnBack {
        (!progress.upn_away_done)
            .then_some("the UPN was not moved away, so there is nothing to move back")
    } else if progress.failed {
        Some("an earlier step of this user did not succeed")
    } else {
        None
    }
}

fn outcome(state: StepState, message: Option<String>) -> StepOutcome {
    StepOutcome {
        state,
        replaced: None,
        created: None,
        message,
    }
}

impl<'a, T: Target + 'static> Executor<'a, T> {
    /// An executor writing to `target`, journaling in `store`.
    pub fn new(
        store: &'a mut Store,
        target: Arc<T>,
        clock: &'a dyn Clock,
        reporter: &'a dyn Reporter,
    ) -> Self {
        Self {
            store,
            target,
            clock,
            reporter,
        }
    }

    /// The journal.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// The journal, to write what belongs with a run (a sync run's links).
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        self.store
    }

    /// The clock.
    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock
    }

    /// The target.
    pub fn target(&self) -> &T {
        &self.target
    }

    /// Creates a run of `kind` with `steps`, all `planned`, in one transaction.
    pub fn create_run(
        &mut self,
        kind: RunKind,
        spec: RunSpec,
        targets: &RunTargets,
        steps: &[Step],
    ) -> Result<Run, RunError> {
        let now = self.clock.now();
        let new_run = NewRun {
            id: new_run_id(now),
            kind,
            plan_sha256: spec.plan_sha256,
            plan_path: spec.plan_path,
            undoes: spec.undoes,
            targets: targets.clone(),
            started_at: now,
        };
        self.store.create_run(&new_run, steps)?;
        Ok(self.store.find_run(&new_run.id)?)
    }

    /// Journals a run refused before any write: no steps, status `refused`.
    pub fn refuse(
        &mut self,
        kind: RunKind,
        spec: RunSpec,
        targets: &RunTargets,
    ) -> Result<Run, RunError> {
        let run = self.create_run(kind, spec, targets, &[])?;
        self.store
            .finish_run(&run.id, RunStatus::Refused, self.clock.now())?;
        Ok(self.store.find_run(&run.id)?)
    }

    /// Reads the value of every step that is the first of its object to change an attribute, and
    /// returns those that are not the step's `before`. A value the server refuses to read is stale
    /// (it "cannot be read"); no answer is an error, and nothing has been written.
    pub async fn preflight(&self, steps: &[Step]) -> Result<Vec<StaleValue>, RunError> {
        let mut seen = HashSet::new();
        let firsts: Vec<&Step> = steps
            .iter()
            .filter(|step| {
                step.change().is_some()
                    && seen.insert((
                        step.system,
                        step.target.to_lowercase(),
                        step.attribute().to_lowercase(),
                    ))
            })
            .collect();
        self.reporter
            .on_start("reading current values", Some(firsts.len() as u64));
        // Concurrently: the Graph client bounds the requests in flight; AD reads queue on their
        // connection.
        let mut reads = tokio::task::JoinSet::new();
        for (index, step) in firsts.iter().enumerate() {
            let target = Arc::clone(&self.target);
            let step = (*step).clone();
            reads.spawn(async move { (index, target.read(&step).await) });
        }
        let mut results = vec![None; firsts.len()];
        while let Some(joined) = reads.join_next().await {
            let (index, read) = match joined {
                Ok(read) => read,
                Err(error) => {
                    self.reporter.on_finish();
                    return Err(RunError::Task(error));
                }
            };
            let result = match read {
                Ok(observed) => Ok(observed),
                Err(TargetError::Refused { reason } | TargetError::Conflict { reason }) => {
                    Err(reason)
                }
                Err(error) => {
                    self.reporter.on_finish();
                    return Err(RunError::Preflight(error));
                }
            };
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
            self.reporter.on_advance(1);
        }
        self.reporter.on_finish();
        Ok(firsts
            .into_iter()
            .zip(results)
            .filter_map(|(step, result)| {
                let change = step.change()?;
                let actual = match result? {
                    Ok(current) if self.target.holds(step, &current, &change.before) => {
                        return None;
                    }
                    Ok(current) => current.display(),
                    Err(reason) => format!("cannot be read: {reason}"),
                };
                Some(StaleValue {
                    user_dn: step.user_dn.clone(),
                    system: step.system,
                    target: step.target.clone(),
                    label: step.label.clone(),
                    attribute: change.attribute.clone(),
                    expected: change.before.clone(),
                    actual,
                })
            })
            .collect())
    }

    /// Journals steps as `started`: committed when this returns. The one place a step becomes
    /// `started`, and every write is sent after it (issue 15 groups many steps in one commit here).
    fn announce(&mut self, run_id: &str, seqs: &[u32]) -> Result<Timestamp, RunError> {
        let at = self.clock.now();
        self.store.mark_started(run_id, seqs, at)?;
        Ok(at)
    }

    /// Runs (or resumes) the steps of `run` that are not finished, in order, and records the run's
    /// status. A write that got no answer stops the run with its step `started` ([`RunError::NoAnswer`]),
    /// the run left `running` for the next attempt.
    pub async fn run(&mut self, run: &Run) -> Result<Finished, RunError> {
        let result = self.run_steps(run).await;
        self.reporter.on_finish();
        let steps = result?;
        let status = if steps.iter().all(|step| step.state == StepState::Done) {
            RunStatus::Completed
        } else {
            RunStatus::CompletedWithErrors
        };
        self.store.finish_run(&run.id, status, self.clock.now())?;
        Ok(Finished {
            run: self.store.find_run(&run.id)?,
            steps,
        })
    }

    async fn run_steps(&mut self, run: &Run) -> Result<Vec<JournalStep>, RunError> {
        let mut steps = self.store.steps(&run.id)?;
        let unfinished = steps.iter().filter(|step| !step.state.is_final()).count();
        self.reporter
            .on_start(&format!("{} {}", run.kind, run.id), Some(unfinished as u64));
        let mut users: HashMap<(Option<String>, StepSystem, String), UserProgress> = HashMap::new();
        for journal in &mut steps {
            let (dn, system, object) = user_key(&journal.step);
            let progress = users
                .entry((dn.map(str::to_owned), system, object.to_owned()))
                .or_default();
            if journal.state.is_final() {
                track(progress, &journal.step, journal.state);
                continue;
            }
            let result = match skip_reason(progress, &journal.step) {
                Some(reason) => outcome(StepState::Skipped, Some(reason.to_owned())),
                None => self.carry_out(run, journal).await?,
            };
            let now = self.clock.now();
            self.store.finish_step(&run.id, journal.seq, &result, now)?;
            journal.state = result.state;
            journal.replaced = result.replaced;
            journal.created = result.created;
            journal.message = result.message;
            journal.finished_at = Some(now);
            track(progress, &journal.step, journal.state);
            self.reporter.on_advance(1);
        }
        Ok(steps)
    }

    /// One step: resolved by observation when a crash left it `started`, else journaled as started
    /// and written.
    async fn carry_out(
        &mut self,
        run: &Run,
        journal: &mut JournalStep,
    ) -> Result<StepOutcome, RunError> {
        let target = Arc::clone(&self.target);
        if journal.state == StepState::Started {
            // Perhaps written before the process died: look.
            match target.resolve(&journal.step).await {
                Ok(Resolution::Written(written)) => {
                    return Ok(StepOutcome {
                        state: StepState::Done,
                        replaced: Some(written.replaced),
                        created: written.created,
                        message: Some(
                            "found written when the interrupted run was resumed".to_owned(),
                        ),
                    });
                }
                Ok(Resolution::Moved(reason)) => {
                    return Ok(outcome(StepState::Conflict, Some(reason)));
                }
                Ok(Resolution::NotWritten) => {}
                Err(source) => {
                    return Err(RunError::Unresolved {
                        run_id: run.id.clone(),
                        seq: journal.seq,
                        source,
                    });
                }
            }
        } else {
            journal.started_at = Some(self.announce(&run.id, &[journal.seq])?);
        }
        // The step is journaled as started: the write may be sent.
        Ok(match target.write(&journal.step).await {
            Ok(written) => StepOutcome {
                state: StepState::Done,
                replaced: Some(written.replaced),
                created: written.created,
                message: None,
            },
            Err(TargetError::Conflict { reason }) => outcome(StepState::Conflict, Some(reason)),
            Err(TargetError::Refused { reason }) => outcome(StepState::Failed, Some(reason)),
            Err(source @ (TargetError::NoAnswer { .. } | TargetError::NotConnected { .. })) => {
                return Err(RunError::NoAnswer {
                    run_id: run.id.clone(),
                    seq: journal.seq,
                    system: journal.step.system,
                    attribute: journal.step.attribute().to_owned(),
                    object: crate::target::object_name(&journal.step),
                    source,
                });
            }
        })
    }
}
