//! The run loop: every step of a run, in order per user, each journaled as `started` before its
//! write is sent and recorded with its result after; a step left `started` by a crash resolved by
//! observation; the per-user rules; the preflight read that refuses a stale plan before any write.
//!
//! Different users' steps run at once (issue 15). The run is cut into lanes ([`crate::lanes`]: one
//! user's steps, in order, joined with any other user's that touch the same object); up to
//! [`Executor::with_concurrency`] lanes run as tokio tasks, each carrying out its steps one after
//! the other. The journal stays with the loop, which gathers what the lanes tell it and commits it
//! in one transaction at a time (one sync for many steps, [`Executor::announce`]): the results of
//! the steps that ended, then the `started` of the steps about to be written. A lane sends a write
//! only after the commit that holds its step's `started` returned, and announces a user's next
//! step only after it handed in the previous step's result, so the journal never shows a step
//! `started` before the end of the user's previous one. After a crash, at most one step per lane is
//! `started`, and each is resolved by reading it, as one would be.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anchorsync_core::progress::Reporter;
use anchorsync_core::remediation::{StepSystem, StepValue};
use anchorsync_store::{
    JournalStep, NewRun, Run, RunKind, RunStatus, RunTargets, Step, StepOutcome, StepState, Store,
    Timestamp,
};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::lanes::{self, UserProgress, user_key};
use crate::target::{Resolution, Target, TargetError};

/// Users whose steps run at once unless told otherwise: enough to keep Graph's write budget (20
/// writes per second once its burst of 3,000 is spent, one `Retry-After` second at a time) full
/// while every step also reads first, and to hide a remote service's latency; few enough that a
/// run's memory and the requests waiting stay small. docs/PERFORMANCE.md has the measurements.
pub const DEFAULT_CONCURRENCY: usize = 32;

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
    /// A task of the run (a preflight read, or a user's steps) failed.
    #[error("a task of the run failed; run the command again to resume")]
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
    concurrency: usize,
}

/// What a lane tells the loop, which keeps the journal.
enum Event {
    /// A step ended (or was skipped): record its result.
    Finished {
        /// Its position in the run's steps.
        position: usize,
        /// How it ended.
        outcome: StepOutcome,
    },
    /// A step is about to be written: journal it as `started`, then answer with the time of that
    /// commit, or `None` when the run is stopping (the step is then not written).
    Starting {
        /// Its position in the run's steps.
        position: usize,
        /// Where the lane waits.
        reply: oneshot::Sender<Option<Timestamp>>,
    },
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
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Runs the steps of up to `concurrency` users at once (at least 1; 1 runs one step at a
    /// time, in journal order).
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
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

    /// Records the results of `finished` steps and journals the `started` ones, in one transaction:
    /// committed (on disk, one sync for them all) when this returns. The one place a step becomes
    /// `started`, and every write is sent after it.
    fn announce(
        &mut self,
        run_id: &str,
        finished: &[(u32, StepOutcome)],
        started: &[u32],
    ) -> Result<Timestamp, RunError> {
        let at = self.clock.now();
        self.store.record_steps(run_id, finished, started, at)?;
        Ok(at)
    }

    /// Runs (or resumes) the steps of `run` that are not finished, in order per user, and records
    /// the run's status. A write that got no answer stops the run with its step `started`
    /// ([`RunError::NoAnswer`]): no step is started after that, the steps already being written
    /// are recorded, and the run is left `running` for the next attempt.
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
        let mut waiting: VecDeque<Vec<usize>> = lanes::lanes(&steps)
            .into_iter()
            .filter(|lane| {
                lane.iter()
                    .any(|position| steps.get(*position).is_some_and(|s| !s.state.is_final()))
            })
            .collect();
        let (sender, mut events) = mpsc::unbounded_channel::<Event>();
        let mut lanes: JoinSet<Result<(), RunError>> = JoinSet::new();
        // The first reason the run stops; no step is started after it.
        let mut stopped: Option<RunError> = None;
        loop {
            while stopped.is_none() && lanes.len() < self.concurrency {
                let Some(lane) = waiting.pop_front() else {
                    break;
                };
                let lane: Vec<(usize, JournalStep)> = lane
                    .into_iter()
                    .filter_map(|position| steps.get(position).map(|step| (position, step.clone())))
                    .collect();
                lanes.spawn(run_lane(
                    Arc::clone(&self.target),
                    run.id.clone(),
                    lane,
                    sender.clone(),
                ));
            }
            if lanes.is_empty() {
                break;
            }
            let mut group = Vec::new();
            tokio::select! {
                // Never `None`: the loop holds a sender.
                event = events.recv() => group.extend(event),
                joined = lanes.join_next() => {
                    let ended = match joined {
                        Some(Ok(ended)) => ended,
                        Some(Err(error)) => Err(RunError::Task(error)),
                        None => Ok(()),
                    };
                    if let Err(error) = ended {
                        stopped.get_or_insert(error);
                    }
                }
            }
            // Whatever else the lanes said meanwhile goes into the same commit.
            while let Ok(event) = events.try_recv() {
                group.push(event);
            }
            self.record(&run.id, &mut steps, group, stopped.is_some())?;
        }
        match stopped {
            Some(error) => Err(error),
            None => Ok(steps),
        }
    }

    /// Commits what the lanes said (results first, then `started`), then lets the started steps'
    /// writes go; when the run is stopping, no step is started and its lane is told so.
    fn record(
        &mut self,
        run_id: &str,
        steps: &mut [JournalStep],
        group: Vec<Event>,
        stopping: bool,
    ) -> Result<(), RunError> {
        if group.is_empty() {
            return Ok(());
        }
        let mut finished = Vec::new();
        let mut starting = Vec::new();
        for event in group {
            match event {
                Event::Finished { position, outcome } => finished.push((position, outcome)),
                Event::Starting { reply, .. } if stopping => {
                    // The lane ends without writing; the step stays as it was.
                    let _ = reply.send(None);
                }
                Event::Starting { position, reply } => starting.push((position, reply)),
            }
        }
        let results: Vec<(u32, StepOutcome)> = finished
            .iter()
            .filter_map(|(position, outcome)| {
                steps
                    .get(*position)
                    .map(|journal| (journal.seq, outcome.clone()))
            })
            .collect();
        let started: Vec<u32> = starting
            .iter()
            .filter_map(|(position, _)| steps.get(*position).map(|journal| journal.seq))
            .collect();
        let at = self.announce(run_id, &results, &started)?;
        for (position, outcome) in finished {
            if let Some(journal) = steps.get_mut(position) {
                journal.state = outcome.state;
                journal.replaced = outcome.replaced;
                journal.created = outcome.created;
                journal.message = outcome.message;
                journal.finished_at = Some(at);
            }
            self.reporter.on_advance(1);
        }
        // Committed: the writes may be sent.
        for (position, reply) in starting {
            if let Some(journal) = steps.get_mut(position) {
                journal.state = StepState::Started;
                journal.started_at = Some(at);
            }
            let _ = reply.send(Some(at));
        }
        Ok(())
    }
}

/// One lane: its steps one after the other, with the per-user rules; each result handed to the
/// loop before the next step is announced.
async fn run_lane<T: Target>(
    target: Arc<T>,
    run_id: String,
    lane: Vec<(usize, JournalStep)>,
    events: mpsc::UnboundedSender<Event>,
) -> Result<(), RunError> {
    let mut users: std::collections::HashMap<lanes::UserKey, UserProgress> =
        std::collections::HashMap::new();
    for (position, journal) in lane {
        let progress = users.entry(user_key(&journal.step)).or_default();
        if journal.state.is_final() {
            progress.track(&journal.step, journal.state);
            continue;
        }
        let outcome = match progress.skip_reason(&journal.step) {
            Some(reason) => outcome(StepState::Skipped, Some(reason.to_owned())),
            None => match carry_out(&*target, &run_id, position, &journal, &events).await? {
                Some(outcome) => outcome,
                // The run is stopping: this step was not started.
                None => return Ok(()),
            },
        };
        progress.track(&journal.step, outcome.state);
        if events.send(Event::Finished { position, outcome }).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// One step: resolved by observation when a crash left it `started`, else journaled as started
/// (through the loop) and written. `None`: the run is stopping and the step was not started.
async fn carry_out<T: Target>(
    target: &T,
    run_id: &str,
    position: usize,
    journal: &JournalStep,
    events: &mpsc::UnboundedSender<Event>,
) -> Result<Option<StepOutcome>, RunError> {
    if journal.state == StepState::Started {
        // Perhaps written before the process died: look.
        match target.resolve(&journal.step).await {
            Ok(Resolution::Written(written)) => {
                return Ok(Some(StepOutcome {
                    state: StepState::Done,
                    replaced: Some(written.replaced),
                    created: written.created,
                    message: Some("found written when the interrupted run was resumed".to_owned()),
                }));
            }
            Ok(Resolution::Moved(reason)) => {
                return Ok(Some(outcome(StepState::Conflict, Some(reason))));
            }
            Ok(Resolution::NotWritten) => {}
            Err(source) => {
                return Err(RunError::Unresolved {
                    run_id: run_id.to_owned(),
                    seq: journal.seq,
                    source,
                });
            }
        }
    } else {
        let (reply, answer) = oneshot::channel();
        if events.send(Event::Starting { position, reply }).is_err() {
            return Ok(None);
        }
        match answer.await {
            Ok(Some(_committed_at)) => {}
            _ => return Ok(None),
        }
    }
    // The step is journaled as started: the write may be sent.
    Ok(Some(match target.write(&journal.step).await {
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
                run_id: run_id.to_owned(),
                seq: journal.seq,
                system: journal.step.system,
                attribute: journal.step.attribute().to_owned(),
                object: crate::target::object_name(&journal.step),
                source,
            });
        }
    }))
}
