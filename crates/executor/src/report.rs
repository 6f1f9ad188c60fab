//! The run report (`<data dir>/runs/<id>.json`) and the run record of `runs --format json`, as
//! typed, serialisable values. Format version 1:
//!
//! ```json
//! { "formatVersion": 1,
//!   "run": { "id", "kind", "status", "startedAt", "finishedAt", "planPath", "planSha256", "undoes",
//!            "targets": { "ad": {"server", "baseDns"}, "cloud": {"tenantId", "graphUrl"} } },
//!   "counts": { "planned", "started", "done", "failed", "conflict", "skipped" },
//!   "stale": [ { "userDn", "system", "target", "label", "attribute", "expected", "actual" } ],
//!   "steps": [ { "seq", "userDn", "system", "target", "label", "attribute", "purpose", "before",
//!                "after", "state", "replaced", "message", "startedAt", "finishedAt" } ] }
//! ```
//!
//! Values are as in the plan (a string, `null`, or `{"base64": ...}`); times are RFC 3339 in UTC with
//! milliseconds. A step that is not a `set` (issue 14) has `attribute`, `before` and `after` null and
//! carries its `operation` instead (and `created`, the object a create made).

use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem, StepValue};
use anchorsync_store::{
    JournalStep, Run, RunKind, RunStatus, RunTargets, StepCounts, StepState, Timestamp,
};
use serde::Serialize;

use crate::run::StaleValue;

/// The report's format version.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// A run's fields, as the report and `runs --format json` write them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord<'a> {
    /// The id.
    pub id: &'a str,
    /// The kind.
    pub kind: RunKind,
    /// Where it stands.
    pub status: RunStatus,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// apply: the plan file.
    pub plan_path: Option<&'a str>,
    /// apply: its SHA-256.
    pub plan_sha256: Option<&'a str>,
    /// undo: the run it reverses.
    pub undoes: Option<&'a str>,
    /// The report only: which directory and tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<&'a RunTargets>,
}

impl<'a> RunRecord<'a> {
    /// The fields of `run` (without its targets).
    pub fn new(run: &'a Run) -> Self {
        Self {
            id: &run.id,
            kind: run.kind,
            status: run.status,
            started_at: run.started_at,
            finished_at: run.finished_at,
            plan_path: run.plan_path.as_deref(),
            plan_sha256: run.plan_sha256.as_deref(),
            undoes: run.undoes.as_deref(),
            targets: None,
        }
    }
}

/// One step of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord<'a> {
    /// Position in the run.
    pub seq: u32,
    /// The on-premises user.
    pub user_dn: Option<&'a str>,
    /// Where.
    pub system: StepSystem,
    /// The object.
    pub target: &'a str,
    /// How a person knows it.
    pub label: Option<&'a str>,
    /// A `set`: the attribute.
    pub attribute: Option<&'a str>,
    /// Why.
    pub purpose: StepPurpose,
    /// A `set`: the expected value.
    pub before: Option<&'a StepValue>,
    /// A `set`: the new value.
    pub after: Option<&'a StepValue>,
    /// Where it stands.
    pub state: StepState,
    /// The value replaced.
    pub replaced: Option<&'a StepValue>,
    /// Why it failed, conflicted or was skipped; or how it was resolved.
    pub message: Option<&'a str>,
    /// When it was announced.
    pub started_at: Option<Timestamp>,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// Any other operation than `set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'a Operation>,
    /// A `create`: the object made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<&'a str>,
}

impl<'a> StepRecord<'a> {
    /// The record of `journal`.
    pub fn new(journal: &'a JournalStep) -> Self {
        let step = &journal.step;
        let change = step.change();
        Self {
            seq: journal.seq,
            user_dn: step.user_dn.as_deref(),
            system: step.system,
            target: &step.target,
            label: step.label.as_deref(),
            attribute: change.map(|change| change.attribute.as_str()),
            purpose: step.purpose,
            before: change.map(|change| &change.before),
            after: change.map(|change| &change.after),
            state: journal.state,
            replaced: journal.replaced.as_ref(),
            message: journal.message.as_deref(),
            started_at: journal.started_at,
            finished_at: journal.finished_at,
            operation: change.is_none().then_some(&step.operation),
            created: journal.created.as_deref(),
        }
    }
}

/// The report of one run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport<'a> {
    /// [`REPORT_FORMAT_VERSION`].
    pub format_version: u32,
    /// The run, with its targets.
    pub run: RunRecord<'a>,
    /// Its steps per state.
    pub counts: StepCounts,
    /// apply refused: the values that were not what the plan expected.
    pub stale: &'a [StaleValue],
    /// Every step.
    pub steps: Vec<StepRecord<'a>>,
}

impl<'a> RunReport<'a> {
    /// The report of `run` with `steps` (and, for a refused apply, the `stale` values).
    pub fn new(run: &'a Run, steps: &'a [JournalStep], stale: &'a [StaleValue]) -> Self {
        Self {
            format_version: REPORT_FORMAT_VERSION,
            run: RunRecord {
                targets: Some(&run.targets),
                ..RunRecord::new(run)
            },
            counts: StepCounts::of(steps),
            stale,
            steps: steps.iter().map(StepRecord::new).collect(),
        }
    }
}
