//! The journaled executor: every write anchorsync makes (`apply`, `undo`, `tenant matching`, and the
//! sync to come) goes through this one run loop.
//!
//! # The promise
//!
//! A run and all its steps are journaled as `planned` before anything is written. Each step is
//! journaled as `started` (committed, on disk) before its write is sent, in exactly one place
//! (`Executor::announce`), and recorded as `done`, `failed`, `conflict` or `skipped` after, with the
//! value it replaced. Every write is a compare-and-set, so its effect is observable: a step found
//! `started` when a run resumes is resolved by reading ([`Target::resolve`]), never by sending it
//! again. Per user (the steps sharing a `user_dn`) steps run in order; once one fails or meets a
//! changed value the user's later steps are skipped, except `federated-upn-back`, which runs
//! whenever that user's `federated-upn-away` was done.
//!
//! # Steps and targets
//!
//! A step ([`anchorsync_store::Step`]) is one [`Operation`] on one object of one system
//! ([`StepSystem`]), for a purpose ([`StepPurpose`]). A [`Target`] carries out the operations of one
//! system, and answers with a typed [`TargetError`]: *refused* (the server said no; the step fails,
//! the run goes on), *conflict* (the value is not what the step expected; nothing written) or *no
//! answer* (the write may or may not have happened; the run stops with the step `started`, and the
//! next run resolves it). The adapters are in [`targets`]: the directory ([`targets::ad`]), the
//! tenant's users ([`targets::graph`]) and its synchronisation settings ([`targets::tenant`]);
//! [`targets::Targets`] routes each step to its system.
//!
//! # What the sync adds (issue 14), and where
//!
//! Targets and step kinds, not loops. Its writes are operations already in the model, stored by the
//! journal and reversed by [`reversal`]:
//!
//! | sync write | operation | resolved after a crash by | undone by |
//! |---|---|---|---|
//! | create a cloud user (`POST /users`) | `Create { anchor, properties }` | looking the anchor up (never a second POST) | `Delete` of the created id |
//! | update several properties | `Update { changes }`, one compare-and-set `PATCH` | reading the properties | `Update` back |
//! | delete (soft, to deleted items) | `Delete { expected }` | reading deleted items | `Restore` |
//! | restore from deleted items | `Restore` | reading the user | `Delete` |
//! | disable / re-enable | `Set` of `accountEnabled` | reading it | `Set` back |
//! | AD anchor writeback | `Set` of `mS-DS-ConsistencyGuid`, system `ad` | reading it | `Set` back |
//!
//! The Graph adapter gains the arms for `Create`, `Update`, `Delete` and `Restore` (and overrides
//! `resolve` for `Create`); a SCIM provider is one more adapter. Today's adapters refuse those
//! operations.
//!
//! # Concurrency (issue 15)
//!
//! Different users' steps run at once, up to [`Executor::with_concurrency`] users
//! ([`DEFAULT_CONCURRENCY`]; `[runs] concurrency` in the configuration): the run is cut into lanes
//! (one user's steps in order, joined with any other user's that touch the same object), each lane a
//! tokio task. [`Target`] is `Send + Sync` with `Send` futures and the executor holds it in an
//! `Arc`, so the adapters serve every lane: the Graph adapter hands its requests to the client's
//! [`anchorsync_graph::Batcher`], so steps running at once share `$batch` calls and one throttling
//! gate; the directory adapter keeps a small pool of LDAP connections. The journal stays with the
//! run loop, which commits what the lanes report in groups (one sync for many steps,
//! [`anchorsync_store::Store::record_steps`]), still in one place (`Executor::announce`), and
//! lets a write go only after the commit that holds its step's `started`.
//!
//! The executor knows no configuration file, exit code or terminal: the command line hands it the
//! connections' settings ([`targets::TargetSettings`]), a [`Clock`], and a progress reporter.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::indexing_slicing
)]

pub mod apply;
mod lanes;
pub mod matching;
pub mod plan_file;
pub mod report;
pub mod reversal;
pub mod run;
pub mod settings;
pub mod sync;
pub mod target;
pub mod targets;
pub mod undo;

pub use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem};
pub use apply::{ApplyError, ApplyStart};
pub use plan_file::{PlanError, PlanFile};
pub use report::{RunRecord, RunReport};
pub use run::{Clock, DEFAULT_CONCURRENCY, Executor, Finished, RunError, RunSpec, StaleValue};
pub use settings::{RunsConfig, RunsConfigError};
pub use sync::{SyncStart, SyncSteps};
pub use target::{Observed, Resolution, Target, TargetError, Written, object_name, value_shown};
pub use targets::{ConnectError, Needs, TargetSettings, Targets};
pub use undo::{UndoError, UndoPlan};

use anchorsync_store::Run;

/// How a run starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// An interrupted run of the same work, to run to its end.
    Resume(Run),
    /// A new run, its steps `planned`.
    New(Run),
}

/// An error and its causes on one line, for the journal's messages.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
