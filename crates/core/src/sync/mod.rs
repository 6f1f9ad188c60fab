//! The sync: what a synchronisation from AD to Microsoft 365 through Microsoft Graph does, decided
//! without doing it (issue 14).
//!
//! Desired state in (the AD users in scope through the [`flow`]), current state in (the tenant with its
//! deleted users, and the stored [`link`]s), a [`SyncPlan`] out: per user, create / join / update
//! (property old → new) / enable / disable / restore / delete / export error, the deletion
//! [`guard`]'s verdict, and the AD anchor writebacks. The command line prints it (test sync) and the
//! executor carries it out; neither decides anything.
//!
//! The first join of a user comes from the match engine ([`crate::engine::plan`]), so `plan` and
//! `sync` can never disagree on who is joined to whom; afterwards the stored link decides. Pure: no I/O,
//! time is an argument ([`SyncInput::now`]), and the same inputs give the same plan, byte for byte.
//!
//! ```text
//! SyncInput { users, tenant, links, engine, settings, allow_deletions, now }
//!        │ plan_sync
//!        ▼
//! SyncPlan { formatVersion, settings, counts, guard, users: [UserSync] }
//!        │ write_json / rows (CSV) / exit_status
//!        ▼
//! executor: for each UserSync (unless guard refused): graph_body() → POST/PATCH/DELETE/restore,
//!           anchor_writeback (AD compare-and-set), then link_update(created id) → the store
//! ```

mod decide;
pub mod flow;
pub mod guard;
pub mod link;
pub mod mapping;
pub mod property;
pub mod record;
pub mod rehearsal;
pub mod settings;

pub use decide::{SyncError, SyncInput, plan_sync, plan_sync_with};
pub use flow::{AttributeFlow, DesiredUser};
pub use guard::{DeletionGuard, GuardVerdict};
pub use link::{Link, LinkOrigin, LinkState, LinkUpdate};
pub use mapping::Mapping;
pub use property::{Property, PropertyValue, user_select};
pub use record::{
    Action, Difference, ExportError, ExportErrorCode, PropertyChange, SYNC_FORMAT_VERSION,
    SyncCounts, SyncPlan, SyncRow, UserSync,
};
pub use rehearsal::{Rehearsal, join_mismatches};
pub use settings::{AttributeOverrides, LeavingPolicy, SyncSettings};
