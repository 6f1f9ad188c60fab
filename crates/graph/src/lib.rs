//! The Microsoft Graph client every cloud command of anchorsync uses.
//!
//! This crate owns the conversation with Graph v1.0 (or with anchorsync's own Graph twin, which is
//! the same conversation on another URL): client-credentials tokens from a secret or a certificate
//! (PEM or PFX), cached until shortly before they expire; listings followed through
//! `@odata.nextLink` to the last page; `$filter` values quoted and percent-encoded so that Base64
//! ImmutableIDs arrive intact; `ConsistencyLevel: eventual` with `$count=true` where advanced queries
//! need them; retries on 429, 503 and 504 that honour `Retry-After` (jittered exponential backoff
//! otherwise), bounded, and never blind for a `POST` whose outcome is unknown; `$batch` for writes
//! with per-request retries; and a concurrency limit.
//!
//! The typed operations ([`GraphClient::list_all_users`], [`GraphClient::update_users`],
//! [`GraphClient::set_immutable_id_federated`], [`GraphClient::read_snapshot`], ...) speak the core's
//! tenant model ([`anchorsync_core::tenant`]).
//!
//! A sync engine's writes (issue 14): [`GraphClient::create_user`] answers
//! [`CreateOutcome::Created`] or [`CreateOutcome::NoAnswer`] (sent, never answered, never resent:
//! resolve it with [`GraphClient::find_user_by_immutable_id`] and
//! [`GraphClient::find_deleted_user_by_immutable_id`] before anything is retried);
//! [`GraphClient::update_user`] with a [`UserPatch`] that sets and clears several properties at once;
//! [`GraphClient::delete_user`], [`GraphClient::list_deleted_users`],
//! [`GraphClient::restore_deleted_user`] ([`RestoreOptions`]), [`GraphClient::purge_deleted_user`];
//! [`GraphClient::list_users_for_sync`] reads every property the attribute flow manages
//! ([`sync_user_select`]). Requests about an object created moments ago go through
//! [`GraphClient::for_new_objects`], which takes a 404 for Entra's replication lag and retries it
//! with the same backoff as a 503. Errors carry Graph's code, message, `request-id` and
//! `ObjectConflict` details ([`GraphError`]). Every request is logged with `tracing` (method, path,
//! status, `request-id`, `client-request-id`); secrets and tokens never reach logs, `Debug` output or
//! errors.
//!
//! Many tasks writing at once (the executor's steps of different users) share `$batch` calls through
//! a [`Batcher`] ([`GraphClient::batcher`]): [`Batcher::get_user`] and [`Batcher::update_user`] are
//! [`GraphClient::get_user`] and [`GraphClient::update_user`] carried in batches, under the same
//! throttling gate, with the same answers.
//!
//! The crate reads the wall clock once (client-assertion timestamps) and otherwise only measures
//! elapsed time.

mod batch;
mod body;
mod client;
mod config;
mod credential;
mod deleted_items;
mod directory;
mod error;
pub mod odata;
mod retry;
mod snapshot;
mod token;
mod users;

pub use batch::{BatchRequest, BatchResponse, Batcher, MAX_BATCH_SIZE};
pub use client::GraphClient;
pub use config::{
    ClientSettings, ConfigError, DEFAULT_AUTHORITY, DEFAULT_GRAPH_URL, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_SCOPE, GraphConfig, RetryPolicy,
};
pub use credential::{
    AssertionAlgorithm, ClientCertificate, Credential, CredentialError, Thumbprints,
};
pub use deleted_items::RestoreOptions;
pub use directory::DirectoryObject;
pub use error::{ErrorDetail, GraphError, RequestName, ServiceError, TokenError};
pub use retry::ClientStats;
pub use snapshot::{RecipientKind, SnapshotRead};
pub use users::{
    CreateOutcome, NewUser, SYNC_EXTRA_SELECT, UserKey, UserPatch, WorkaroundError,
    sync_user_select, temporary_upn,
};
