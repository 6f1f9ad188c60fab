//! The run journal: one row per run of `apply`, `undo`, `tenant matching` or `sync --apply`, one row
//! per step.
//!
//! A run's steps are inserted together, as `planned`, in one transaction. Each step then moves to
//! `started` (committed before its write is sent) and to one of `done`, `failed`, `conflict` or
//! `skipped` with the value it actually replaced and a message. A run interrupted at any moment
//! therefore says exactly which step may have been in flight: the one left `started`.
//!
//! Rows are typed when read: a system, purpose, state, kind or status this build does not know, a
//! value that is not one, or a time that is not RFC 3339 is [`Error::Corrupt`] naming the run and step.
//! Values are stored as the plan writes them (JSON: a string, `null`, or `{"base64": "..."}`), so a
//! binary AD value survives byte for byte. A `set` step keeps its attribute and values in their own
//! columns (as schema version 2 did); the other operations keep the whole operation as JSON in
//! `details`. Times are given by the caller.

use anchorsync_core::remediation::{Change, Operation, StepPurpose, StepSystem, StepValue};
use rusqlite::{OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

use crate::{Error, Store, Timestamp};

/// What kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// `anchorsync apply PLAN`.
    Apply,
    /// `anchorsync undo RUN`.
    Undo,
    /// `anchorsync tenant matching`.
    TenantMatching,
    /// `anchorsync sync --apply`.
    Sync,
}

impl RunKind {
    /// The name in the journal and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Undo => "undo",
            Self::TenantMatching => "tenant-matching",
            Self::Sync => "sync",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Apply, Self::Undo, Self::TenantMatching, Self::Sync]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Started and not finished (or interrupted: run the command again to resume).
    Running,
    /// Every step done.
    Completed,
    /// Finished with steps failed, in conflict or skipped.
    CompletedWithErrors,
    /// Refused before any write (stale plan, wrong target).
    Refused,
}

impl RunStatus {
    /// The name in the journal and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::CompletedWithErrors => "completed-with-errors",
            Self::Refused => "refused",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Completed,
            Self::CompletedWithErrors,
            Self::Refused,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    /// Not started.
    Planned,
    /// Announced: its write may have been sent. Resolved on resume by reading the current value.
    Started,
    /// Written (or found already written on resume).
    Done,
    /// The write was refused or could not be sent.
    Failed,
    /// The value was not the expected one: nothing was written.
    Conflict,
    /// Not run, because an earlier step of the same user did not succeed.
    Skipped,
}

impl StepState {
    /// The name in the journal and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Conflict => "conflict",
            Self::Skipped => "skipped",
        }
    }

    /// Whether the step is finished (done, failed, conflict or skipped).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Planned | Self::Started)
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::Planned,
            Self::Started,
            Self::Done,
            Self::Failed,
            Self::Conflict,
            Self::Skipped,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

impl std::fmt::Display for StepState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which directory and tenant a run writes to, as recorded with the run and in its report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTargets {
    /// The domain controller and base DNs, when the run writes to AD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<AdTarget>,
    /// The tenant, when the run writes to Microsoft 365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CloudTarget>,
}

/// An AD a run writes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdTarget {
    /// The server the run is bound to.
    pub server: String,
    /// The configured base DNs.
    #[serde(default)]
    pub base_dns: Vec<String>,
}

/// A tenant a run writes to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTarget {
    /// The tenant id.
    pub tenant_id: String,
    /// The Graph root.
    pub graph_url: String,
}

/// A run to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// A short, sortable id (`20261122T051500Z-3f9a`).
    pub id: String,
    /// The kind.
    pub kind: RunKind,
    /// apply: SHA-256 of the plan file (hex), by which an interrupted run is found again.
    pub plan_sha256: Option<String>,
    /// apply: the plan file as given.
    pub plan_path: Option<String>,
    /// undo: the run it reverses.
    pub undoes: Option<String>,
    /// Which directory and tenant the run writes to.
    pub targets: RunTargets,
    /// When it started.
    pub started_at: Timestamp,
}

/// A run as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The id.
    pub id: String,
    /// The kind.
    pub kind: RunKind,
    /// apply: SHA-256 of the plan file.
    pub plan_sha256: Option<String>,
    /// apply: the plan file as given.
    pub plan_path: Option<String>,
    /// undo: the run it reverses.
    pub undoes: Option<String>,
    /// Which directory and tenant.
    pub targets: RunTargets,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// Where it stands.
    pub status: RunStatus,
}

/// How many steps of a run are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StepCounts {
    /// Not started.
    pub planned: u64,
    /// Announced, outcome unknown.
    pub started: u64,
    /// Done.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// In conflict.
    pub conflict: u64,
    /// Skipped.
    pub skipped: u64,
}

impl StepCounts {
    /// The counts of these steps.
    pub fn of<'a>(steps: impl IntoIterator<Item = &'a JournalStep>) -> Self {
        let mut counts = Self::default();
        for step in steps {
            counts.add(step.state, 1);
        }
        counts
    }

    /// All steps.
    pub fn total(&self) -> u64 {
        self.planned + self.started + self.done + self.failed + self.conflict + self.skipped
    }

    /// The steps not finished (planned or started).
    pub fn unfinished(&self) -> u64 {
        self.planned + self.started
    }

    fn add(&mut self, state: StepState, count: u64) {
        let slot = match state {
            StepState::Planned => &mut self.planned,
            StepState::Started => &mut self.started,
            StepState::Done => &mut self.done,
            StepState::Failed => &mut self.failed,
            StepState::Conflict => &mut self.conflict,
            StepState::Skipped => &mut self.skipped,
        };
        *slot += count;
    }
}

/// A run with its step counts (`anchorsync runs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run.
    pub run: Run,
    /// Its steps per state.
    pub counts: StepCounts,
}

/// One step of a run: what it changes, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The on-premises user the step belongs to (its steps run in order; a failure skips the rest).
    /// `None` for a step of no user (a tenant switch): such steps are ordered by their target.
    pub user_dn: Option<String>,
    /// Where the change is made.
    pub system: StepSystem,
    /// A DN, a cloud object id, or the tenant's synchronisation object id.
    pub target: String,
    /// How a person recognises the target.
    pub label: Option<String>,
    /// Why the step exists.
    pub purpose: StepPurpose,
    /// What it does.
    pub operation: Operation,
}

impl Step {
    /// A step that sets one attribute.
    pub fn set(
        user_dn: Option<String>,
        system: StepSystem,
        target: impl Into<String>,
        label: Option<String>,
        purpose: StepPurpose,
        change: Change,
    ) -> Self {
        Self {
            user_dn,
            system,
            target: target.into(),
            label,
            purpose,
            operation: Operation::Set(change),
        }
    }

    /// The step's label, else its target: what to call the object in a message.
    pub fn label_or_target(&self) -> &str {
        self.label
            .as_deref()
            .filter(|label| !label.is_empty())
            .unwrap_or(&self.target)
    }

    /// The change of a `set` step.
    pub fn change(&self) -> Option<&Change> {
        self.operation.as_set()
    }

    /// The attribute a `set` step changes (empty for the other operations).
    pub fn attribute(&self) -> &str {
        self.change().map_or("", |change| change.attribute.as_str())
    }
}

/// A step as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalStep {
    /// Position in the run, from 1.
    pub seq: u32,
    /// What the step is.
    pub step: Step,
    /// Where it stands.
    pub state: StepState,
    /// The value actually replaced, when the step was done (`None`: not recorded).
    pub replaced: Option<StepValue>,
    /// A `create` step: the id of the object it made, which its reversal deletes.
    pub created: Option<String>,
    /// Why it failed, conflicted or was skipped; or how it was resolved.
    pub message: Option<String>,
    /// When it was announced.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// `done`, `failed`, `conflict` or `skipped`.
    pub state: StepState,
    /// The value replaced (done steps).
    pub replaced: Option<StepValue>,
    /// The id of the object a `create` made.
    pub created: Option<String>,
    /// A sentence for the report.
    pub message: Option<String>,
}

const RUN_COLUMNS: &str =
    "id, kind, plan_sha256, plan_path, undoes, targets, started_at, finished_at, status";
const STEP_COLUMNS: &str = "seq, user_dn, system, target, label, attribute, purpose, before, after, \
                            state, replaced, message, started_at, finished_at, operation, details, created";

fn value_json(value: &StepValue) -> String {
    // A StepValue always serialises (a string, null, or a one-key object).
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A step's operation as its columns store it.
struct OperationColumns<'a> {
    /// A `set`: the attribute; empty for the others.
    attribute: &'a str,
    /// A `set`: the expected value (JSON).
    before: Option<String>,
    /// A `set`: the new value (JSON).
    after: Option<String>,
    /// The other operations: the whole operation (JSON).
    details: Option<String>,
}

impl<'a> OperationColumns<'a> {
    fn of(operation: &'a Operation) -> Result<Self, serde_json::Error> {
        Ok(match operation {
            Operation::Set(change) => Self {
                attribute: change.attribute.as_str(),
                before: Some(value_json(&change.before)),
                after: Some(value_json(&change.after)),
                details: None,
            },
            other => Self {
                attribute: "",
                before: None,
                after: None,
                details: Some(serde_json::to_string(other)?),
            },
        })
    }
}

impl Store {
    /// Creates a run and inserts its steps as `planned` (numbered from 1), all in one transaction.
    pub fn create_run(&mut self, run: &NewRun, steps: &[Step]) -> Result<(), Error> {
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite_error(&path, "starting a run"))?;
        insert_run(&transaction, &path, run, steps)?;
        transaction
            .commit()
            .map_err(sqlite_error(&path, "committing a run"))
    }

    /// Marks steps `started`, all in one transaction: committed (durable, one sync for them all) when
    /// this returns, before any of their writes is sent.
    pub fn mark_started(&mut self, run_id: &str, seqs: &[u32], at: Timestamp) -> Result<(), Error> {
        let path = self.path.clone();
        let sqlite = |source| Error::Sqlite {
            path: path.clone(),
            action: "marking steps started",
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        {
            let mut update = transaction
                .prepare(
                    "UPDATE steps SET state = ?3, started_at = ?4 WHERE run_id = ?1 AND seq = ?2",
                )
                .map_err(sqlite)?;
            let at = at.to_string();
            for seq in seqs {
                let changed = update
                    .execute(params![run_id, seq, StepState::Started.as_str(), at])
                    .map_err(sqlite)?;
                if changed != 1 {
                    return Err(sqlite(rusqlite::Error::QueryReturnedNoRows));
                }
            }
        }
        transaction.commit().map_err(sqlite)
    }

    /// Records how steps ended and marks others `started`, all in one transaction: committed
    /// (durable, one sync for them all) when this returns, before any write of a `started` step is
    /// sent. The results go first, so a step of a user is never on disk as `started` while the
    /// result of that user's previous step is not.
    pub fn record_steps(
        &mut self,
        run_id: &str,
        finished: &[(u32, StepOutcome)],
        started: &[u32],
        at: Timestamp,
    ) -> Result<(), Error> {
        let path = self.path.clone();
        let sqlite = |action| {
            let path = path.clone();
            move |source| Error::Sqlite {
                path,
                action,
                source,
            }
        };
        let at = at.to_string();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite("recording steps"))?;
        {
            let mut finish = transaction
                .prepare(
                    "UPDATE steps SET state = ?3, replaced = ?4, message = ?5, finished_at = ?6, \
                     created = ?7 WHERE run_id = ?1 AND seq = ?2",
                )
                .map_err(sqlite("recording a step's result"))?;
            for (seq, outcome) in finished {
                let changed = finish
                    .execute(params![
                        run_id,
                        seq,
                        outcome.state.as_str(),
                        outcome.replaced.as_ref().map(value_json),
                        outcome.message,
                        at,
                        outcome.created
                    ])
                    .map_err(sqlite("recording a step's result"))?;
                if changed != 1 {
                    return Err(sqlite("recording a step's result")(
                        rusqlite::Error::QueryReturnedNoRows,
                    ));
                }
            }
            let mut start = transaction
                .prepare(
                    "UPDATE steps SET state = ?3, started_at = ?4 WHERE run_id = ?1 AND seq = ?2",
                )
                .map_err(sqlite("marking steps started"))?;
            for seq in started {
                let changed = start
                    .execute(params![run_id, seq, StepState::Started.as_str(), at])
                    .map_err(sqlite("marking steps started"))?;
                if changed != 1 {
                    return Err(sqlite("marking steps started")(
                        rusqlite::Error::QueryReturnedNoRows,
                    ));
                }
            }
        }
        transaction.commit().map_err(sqlite("recording steps"))
    }

    /// Records how a step ended.
    pub fn finish_step(
        &self,
        run_id: &str,
        seq: u32,
        outcome: &StepOutcome,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.update_step(
            "UPDATE steps SET state = ?3, replaced = ?4, message = ?5, finished_at = ?6, created = ?7 \
             WHERE run_id = ?1 AND seq = ?2",
            params![
                run_id,
                seq,
                outcome.state.as_str(),
                outcome.replaced.as_ref().map(value_json),
                outcome.message,
                at.to_string(),
                outcome.created
            ],
            "recording a step's result",
        )
    }

    fn update_step(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
        action: &'static str,
    ) -> Result<(), Error> {
        let changed = self
            .connection
            .execute(sql, params)
            .map_err(|source| self.error(action, source))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(self.error(action, rusqlite::Error::QueryReturnedNoRows))
        }
    }

    /// Records how a run ended.
    pub fn finish_run(&self, run_id: &str, status: RunStatus, at: Timestamp) -> Result<(), Error> {
        self.connection
            .execute(
                "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
                params![run_id, status.as_str(), at.to_string()],
            )
            .map(drop)
            .map_err(|source| self.error("finishing a run", source))
    }

    /// The unfinished (`running`) apply run of the plan with this hash, if any: the one to resume.
    pub fn unfinished_apply(&self, plan_sha256: &str) -> Result<Option<Run>, Error> {
        self.one_run(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE kind = 'apply' AND plan_sha256 = ?1 \
                 AND status = 'running' ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            params![plan_sha256],
        )
    }

    /// The runs of kind `undo` that reverse `run_id`, oldest first.
    pub fn undo_runs_of(&self, run_id: &str) -> Result<Vec<Run>, Error> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE kind = 'undo' AND undoes = ?1 \
                 ORDER BY started_at, id"
            ))
            .map_err(|source| self.error("reading runs", source))?;
        let rows = statement
            .query_map(params![run_id], raw_run)
            .map_err(|source| self.error("reading runs", source))?;
        let mut runs = Vec::new();
        for row in rows {
            runs.push(self.typed_run(row.map_err(|source| self.error("reading runs", source))?)?);
        }
        Ok(runs)
    }

    /// The unfinished run of `kind` (the most recent), if any.
    pub fn unfinished_of_kind(&self, kind: RunKind) -> Result<Option<Run>, Error> {
        self.one_run(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE kind = ?1 AND status = 'running' \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            params![kind.as_str()],
        )
    }

    /// The run with this id, or the only run whose id starts with it.
    pub fn find_run(&self, id: &str) -> Result<Run, Error> {
        if let Some(run) = self.one_run(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
            params![id],
        )? {
            return Ok(run);
        }
        let matching: Vec<Run> = self
            .runs()?
            .into_iter()
            .map(|summary| summary.run)
            .filter(|run| run.id.starts_with(id))
            .collect();
        match <[Run; 1]>::try_from(matching) {
            Ok([run]) => Ok(run),
            Err(matching) if matching.is_empty() => Err(Error::UnknownRun {
                path: self.path.clone(),
                reason: format!("no run has the id `{id}` (`anchorsync runs` lists them)"),
            }),
            Err(matching) => Err(Error::UnknownRun {
                path: self.path.clone(),
                reason: format!(
                    "`{id}` is the start of {} run ids ({}); give more of it",
                    matching.len(),
                    matching
                        .iter()
                        .map(|run| format!("`{}`", run.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// Every run, oldest first, with its step counts.
    pub fn runs(&self) -> Result<Vec<RunSummary>, Error> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at, id"
            ))
            .map_err(|source| self.error("listing runs", source))?;
        let rows = statement
            .query_map([], raw_run)
            .map_err(|source| self.error("listing runs", source))?;
        let mut summaries = Vec::new();
        for row in rows {
            let run = self.typed_run(row.map_err(|source| self.error("listing runs", source))?)?;
            summaries.push(RunSummary {
                run,
                counts: StepCounts::default(),
            });
        }
        let mut counts = self
            .connection
            .prepare("SELECT run_id, state, count(*) FROM steps GROUP BY run_id, state")
            .map_err(|source| self.error("counting steps", source))?;
        let rows = counts
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(|source| self.error("counting steps", source))?;
        for row in rows {
            let (run_id, state, count) =
                row.map_err(|source| self.error("counting steps", source))?;
            let state = StepState::parse(&state).ok_or_else(|| Error::Corrupt {
                path: self.path.clone(),
                run_id: run_id.clone(),
                reason: format!("unknown step state `{state}`"),
            })?;
            if let Some(summary) = summaries.iter_mut().find(|s| s.run.id == run_id) {
                summary.counts.add(state, u64::try_from(count).unwrap_or(0));
            }
        }
        Ok(summaries)
    }

    /// The steps of a run, in order.
    pub fn steps(&self, run_id: &str) -> Result<Vec<JournalStep>, Error> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ?1 ORDER BY seq"
            ))
            .map_err(|source| self.error("reading steps", source))?;
        let rows = statement
            .query_map(params![run_id], |row| {
                Ok(RawStep {
                    seq: row.get(0)?,
                    user_dn: row.get(1)?,
                    system: row.get(2)?,
                    target: row.get(3)?,
                    label: row.get(4)?,
                    attribute: row.get(5)?,
                    purpose: row.get(6)?,
                    before: row.get(7)?,
                    after: row.get(8)?,
                    state: row.get(9)?,
                    replaced: row.get(10)?,
                    message: row.get(11)?,
                    started_at: row.get(12)?,
                    finished_at: row.get(13)?,
                    operation: row.get(14)?,
                    details: row.get(15)?,
                    created: row.get(16)?,
                })
            })
            .map_err(|source| self.error("reading steps", source))?;
        let mut steps = Vec::new();
        for row in rows {
            let raw = row.map_err(|source| self.error("reading steps", source))?;
            steps.push(self.typed_step(run_id, raw)?);
        }
        Ok(steps)
    }

    fn one_run(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Option<Run>, Error> {
        let raw = self
            .connection
            .query_row(sql, params, raw_run)
            .optional()
            .map_err(|source| self.error("reading a run", source))?;
        raw.map(|raw| self.typed_run(raw)).transpose()
    }

    fn typed_run(&self, raw: RawRun) -> Result<Run, Error> {
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            run_id: raw.id.clone(),
            reason,
        };
        let kind = RunKind::parse(&raw.kind)
            .ok_or_else(|| corrupt(format!("unknown run kind `{}`", raw.kind)))?;
        let status = RunStatus::parse(&raw.status)
            .ok_or_else(|| corrupt(format!("unknown run status `{}`", raw.status)))?;
        let targets = serde_json::from_str(&raw.targets)
            .map_err(|error| corrupt(format!("`targets` is not a run's targets: {error}")))?;
        let time = |column: &str, text: &str| {
            text.parse::<Timestamp>()
                .map_err(|error| corrupt(format!("`{column}`: {error}")))
        };
        Ok(Run {
            started_at: time("started_at", &raw.started_at)?,
            finished_at: raw
                .finished_at
                .as_deref()
                .map(|text| time("finished_at", text))
                .transpose()?,
            id: raw.id,
            kind,
            plan_sha256: raw.plan_sha256,
            plan_path: raw.plan_path,
            undoes: raw.undoes,
            targets,
            status,
        })
    }

    fn typed_step(&self, run_id: &str, raw: RawStep) -> Result<JournalStep, Error> {
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            run_id: run_id.to_owned(),
            reason: format!("step {}: {reason}", raw.seq),
        };
        let value = |column: &str, text: Option<&str>| -> Result<StepValue, Error> {
            match text {
                None => Ok(StepValue::Absent),
                Some(text) => serde_json::from_str(text)
                    .map_err(|error| corrupt(format!("`{column}` is not a value: {error}"))),
            }
        };
        let state = StepState::parse(&raw.state)
            .ok_or_else(|| corrupt(format!("unknown state `{}`", raw.state)))?;
        let system = StepSystem::parse(&raw.system)
            .ok_or_else(|| corrupt(format!("unknown system `{}`", raw.system)))?;
        let purpose = StepPurpose::parse(&raw.purpose)
            .ok_or_else(|| corrupt(format!("unknown purpose `{}`", raw.purpose)))?;
        let operation = if raw.operation == "set" {
            Operation::Set(Change {
                attribute: raw.attribute,
                before: value("before", raw.before.as_deref())?,
                after: value("after", raw.after.as_deref())?,
            })
        } else {
            let details = raw.details.as_deref().unwrap_or("null");
            let operation: Operation = serde_json::from_str(details).map_err(|error| {
                corrupt(format!(
                    "`details` is not a `{}` operation: {error}",
                    raw.operation
                ))
            })?;
            if operation.kind() != raw.operation {
                return Err(corrupt(format!(
                    "the operation is `{}` but `details` holds a `{}`",
                    raw.operation,
                    operation.kind()
                )));
            }
            operation
        };
        let time = |column: &str, text: Option<&str>| {
            text.map(|text| {
                text.parse::<Timestamp>()
                    .map_err(|error| corrupt(format!("`{column}`: {error}")))
            })
            .transpose()
        };
        Ok(JournalStep {
            seq: raw.seq,
            step: Step {
                user_dn: raw.user_dn,
                system,
                target: raw.target,
                label: raw.label,
                purpose,
                operation,
            },
            state,
            replaced: raw
                .replaced
                .as_deref()
                .map(|text| value("replaced", Some(text)))
                .transpose()?,
            created: raw.created,
            message: raw.message,
            started_at: time("started_at", raw.started_at.as_deref())?,
            finished_at: time("finished_at", raw.finished_at.as_deref())?,
        })
    }
}

/// An [`Error::Sqlite`] maker for `action` on the file at `path`.
pub(crate) fn sqlite_error(
    path: &std::path::Path,
    action: &'static str,
) -> impl Fn(rusqlite::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Sqlite {
        path: path.clone(),
        action,
        source,
    }
}

/// Inserts a run and its steps as `planned` (numbered from 1) inside `transaction`.
pub(crate) fn insert_run(
    transaction: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    run: &NewRun,
    steps: &[Step],
) -> Result<(), Error> {
    transaction
        .execute(
            &format!(
                "INSERT INTO runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)"
            ),
            params![
                run.id,
                run.kind.as_str(),
                run.plan_sha256,
                run.plan_path,
                run.undoes,
                serde_json::to_string(&run.targets).unwrap_or_else(|_| "{}".to_owned()),
                run.started_at.to_string(),
                RunStatus::Running.as_str()
            ],
        )
        .map_err(sqlite_error(path, "creating a run"))?;
    let mut insert = transaction
        .prepare(
            "INSERT INTO steps (run_id, seq, user_dn, system, target, label, attribute, purpose, \
             before, after, state, operation, details) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(sqlite_error(path, "inserting steps"))?;
    for (seq, step) in (1u32..).zip(steps) {
        let columns = OperationColumns::of(&step.operation).map_err(|error| Error::Corrupt {
            path: path.to_owned(),
            run_id: run.id.clone(),
            reason: format!("step {seq}: the operation cannot be written: {error}"),
        })?;
        insert
            .execute(params![
                run.id,
                seq,
                step.user_dn,
                step.system.as_str(),
                step.target,
                step.label,
                columns.attribute,
                step.purpose.as_str(),
                columns.before,
                columns.after,
                StepState::Planned.as_str(),
                step.operation.kind(),
                columns.details
            ])
            .map_err(sqlite_error(path, "inserting steps"))?;
    }
    Ok(())
}

struct RawRun {
    id: String,
    kind: String,
    plan_sha256: Option<String>,
    plan_path: Option<String>,
    undoes: Option<String>,
    targets: String,
    started_at: String,
    finished_at: Option<String>,
    status: String,
}

fn raw_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        id: row.get(0)?,
        kind: row.get(1)?,
        plan_sha256: row.get(2)?,
        plan_path: row.get(3)?,
        undoes: row.get(4)?,
        targets: row.get(5)?,
        started_at: row.get(6)?,
        finished_at: row.get(7)?,
        status: row.get(8)?,
    })
}

struct RawStep {
    seq: u32,
    user_dn: Option<String>,
    system: String,
    target: String,
    label: Option<String>,
    attribute: String,
    purpose: String,
    before: Option<String>,
    after: Option<String>,
    state: String,
    replaced: Option<String>,
    message: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    operation: String,
    details: Option<String>,
    created: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(dn: &str, before: StepValue, after: StepValue) -> Step {
        Step::set(
            Some(dn.to_owned()),
            StepSystem::Ad,
            dn,
            Some("alice".to_owned()),
            StepPurpose::SetAnchor,
            Change {
                attribute: "mS-DS-ConsistencyGuid".to_owned(),
                before,
                after,
            },
        )
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_795_323_600_000 + second * 1000)
    }

    fn new_run(id: &str, kind: RunKind, plan: Option<&str>) -> NewRun {
        NewRun {
            id: id.to_owned(),
            kind,
            plan_sha256: plan.map(str::to_owned),
            plan_path: plan.map(|_| "plan.json".to_owned()),
            undoes: None,
            targets: RunTargets::default(),
            started_at: at(id.len() as i64 % 10),
        }
    }

    #[test]
    fn a_run_and_its_steps_survive_reopening_with_bytes_intact() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        let bytes = StepValue::Bytes(vec![0x88, 0, 0xff, 0x10]);
        let steps = [
            step("CN=A", StepValue::Absent, bytes.clone()),
            step("CN=B", StepValue::Text("x".into()), StepValue::Absent),
        ];
        store
            .create_run(&new_run("r1", RunKind::Apply, Some("abc")), &steps)
            .unwrap();
        store.mark_started("r1", &[1], at(1)).unwrap();
        store
            .finish_step(
                "r1",
                1,
                &StepOutcome {
                    state: StepState::Done,
                    replaced: Some(StepValue::Absent),
                    created: None,
                    message: None,
                },
                at(2),
            )
            .unwrap();
        store.mark_started("r1", &[2], at(3)).unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        let run = store.unfinished_apply("abc").unwrap().unwrap();
        assert_eq!(run.id, "r1");
        assert_eq!(run.status, RunStatus::Running);
        assert_eq!(store.unfinished_apply("other").unwrap(), None);
        let loaded = store.steps("r1").unwrap();
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0].step, steps[0]);
        assert_eq!(loaded[0].state, StepState::Done);
        assert_eq!(loaded[0].replaced, Some(StepValue::Absent));
        assert_eq!(loaded[0].started_at, Some(at(1)));
        assert_eq!(loaded[1].state, StepState::Started);
        assert_eq!(loaded[1].replaced, None);
        assert_eq!(
            loaded[1].step.change().map(|change| &change.after),
            Some(&StepValue::Absent)
        );

        let summaries = store.runs().unwrap();
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].counts.done, 1);
        assert_eq!(summaries[0].counts.started, 1);
        assert_eq!(summaries[0].counts.total(), 2);

        store
            .finish_run("r1", RunStatus::CompletedWithErrors, at(9))
            .unwrap();
        assert_eq!(store.unfinished_apply("abc").unwrap(), None);
        assert_eq!(store.find_run("r1").unwrap().finished_at, Some(at(9)));
    }

    #[test]
    fn results_and_starts_commit_together_or_not_at_all_issue_15() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        let mut store = Store::open(&path).unwrap();
        let steps = [
            step("CN=A", StepValue::Absent, StepValue::Text("a".into())),
            step("CN=B", StepValue::Absent, StepValue::Text("b".into())),
            step("CN=C", StepValue::Absent, StepValue::Text("c".into())),
        ];
        store
            .create_run(&new_run("r1", RunKind::Apply, Some("abc")), &steps)
            .unwrap();
        store.record_steps("r1", &[], &[1, 2], at(1)).unwrap();
        let done = StepOutcome {
            state: StepState::Done,
            replaced: Some(StepValue::Absent),
            created: None,
            message: None,
        };
        // A step that is not in the run: nothing of the group is written.
        assert!(
            store
                .record_steps("r1", &[(1, done.clone())], &[3, 9], at(2))
                .is_err()
        );
        let states: Vec<StepState> = store.steps("r1").unwrap().iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [StepState::Started, StepState::Started, StepState::Planned]
        );
        // One result and the next start in one commit, both on disk after reopening.
        store.record_steps("r1", &[(1, done)], &[3], at(3)).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let loaded = store.steps("r1").unwrap();
        assert_eq!(loaded[0].state, StepState::Done);
        assert_eq!(loaded[0].finished_at, Some(at(3)));
        assert_eq!(loaded[1].state, StepState::Started);
        assert_eq!(loaded[2].state, StepState::Started);
        assert_eq!(loaded[2].started_at, Some(at(3)));
    }

    #[test]
    fn runs_are_found_by_prefix_and_undo_runs_by_the_run_they_reverse() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        store
            .create_run(&new_run("20261122T050000Z-aaaa", RunKind::Apply, None), &[])
            .unwrap();
        store
            .create_run(&new_run("20261122T050000Z-aabb", RunKind::Apply, None), &[])
            .unwrap();
        let mut undo = new_run("20261122T060000Z-cccc", RunKind::Undo, None);
        undo.undoes = Some("20261122T050000Z-aaaa".to_owned());
        store.create_run(&undo, &[]).unwrap();
        assert_eq!(
            store.find_run("20261122T06").unwrap().id,
            "20261122T060000Z-cccc"
        );
        let ambiguous = store.find_run("20261122T050000Z-aa").unwrap_err();
        assert!(
            ambiguous.to_string().starts_with("AS-STORE-0005: "),
            "{ambiguous}"
        );
        assert!(store.find_run("nope").is_err());
        let undos = store.undo_runs_of("20261122T050000Z-aaaa").unwrap();
        assert_eq!(undos.len(), 1);
        assert_eq!(undos[0].kind, RunKind::Undo);
        assert_eq!(
            store.unfinished_of_kind(RunKind::Undo).unwrap().unwrap().id,
            "20261122T060000Z-cccc"
        );
        // An undo of an unknown run is refused by the database itself.
        let mut orphan = new_run("x", RunKind::Undo, None);
        orphan.undoes = Some("missing".to_owned());
        assert!(store.create_run(&orphan, &[]).is_err());
    }

    #[test]
    fn a_failed_insert_leaves_no_half_run() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        store
            .create_run(&new_run("dup", RunKind::Apply, Some("h")), &[])
            .unwrap();
        // The same id again fails, and its steps are not inserted under the first run.
        let steps = [step("CN=A", StepValue::Absent, StepValue::Text("v".into()))];
        assert!(
            store
                .create_run(&new_run("dup", RunKind::Apply, Some("h")), &steps)
                .is_err()
        );
        assert!(store.steps("dup").unwrap().is_empty());
    }

    #[test]
    fn every_operation_survives_the_journal_and_a_create_keeps_its_object() {
        use anchorsync_core::remediation::Property;
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        let cloud = |purpose, operation| Step {
            user_dn: Some("CN=A".to_owned()),
            system: StepSystem::Cloud,
            target: "anchor-or-id".to_owned(),
            label: None,
            purpose,
            operation,
        };
        let anchor = Property {
            attribute: "onPremisesImmutableId".to_owned(),
            value: StepValue::Text("AQID".to_owned()),
        };
        let steps = [
            step("CN=A", StepValue::Absent, StepValue::Bytes(vec![1, 2])),
            cloud(
                StepPurpose::SetImmutableId,
                Operation::Create {
                    anchor: anchor.clone(),
                    properties: vec![Property {
                        attribute: "displayName".to_owned(),
                        value: StepValue::Text("A".to_owned()),
                    }],
                },
            ),
            cloud(
                StepPurpose::SetImmutableId,
                Operation::Update {
                    changes: vec![Change {
                        attribute: "surname".to_owned(),
                        before: StepValue::Absent,
                        after: StepValue::Text("Ng".to_owned()),
                    }],
                },
            ),
            cloud(
                StepPurpose::SetImmutableId,
                Operation::Delete {
                    expected: vec![anchor],
                },
            ),
            cloud(StepPurpose::SetImmutableId, Operation::Restore),
        ];
        store
            .create_run(&new_run("ops", RunKind::Apply, None), &steps)
            .unwrap();
        store
            .finish_step(
                "ops",
                2,
                &StepOutcome {
                    state: StepState::Done,
                    replaced: None,
                    created: Some("new-object-id".to_owned()),
                    message: None,
                },
                at(1),
            )
            .unwrap();
        let loaded = store.steps("ops").unwrap();
        let operations: Vec<&Step> = loaded.iter().map(|journal| &journal.step).collect();
        assert_eq!(operations, steps.iter().collect::<Vec<_>>());
        assert_eq!(loaded[1].created.as_deref(), Some("new-object-id"));
    }

    #[test]
    fn an_unknown_purpose_is_corrupt_naming_the_run_and_step() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        store
            .create_run(
                &new_run("r", RunKind::Apply, None),
                &[step("CN=A", StepValue::Absent, StepValue::Text("v".into()))],
            )
            .unwrap();
        store
            .connection
            .execute("UPDATE steps SET purpose = 'set-everything'", [])
            .unwrap();
        let error = store.steps("r").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "AS-STORE-0004: `{}`: run `r`: step 1: unknown purpose `set-everything`",
                store.path().display()
            )
        );
    }
}
