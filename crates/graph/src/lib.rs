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
//! tenant model ([`anchorsync_core::tenant`]). Errors carry Graph's code, message, `request-id` and
//! `ObjectConflict` details ([`GraphError`]). Every request is logged with `tracing` (method, path,
//! status, `request-id`, `client-request-id`); secrets and tokens never reach logs, `Debug` output or
//! errors.
//!
//! The crate reads the wall clock once (client-assertion timestamps) and otherwise only measures
//! elapsed time.

mod batch;
mod client;
mod config;
mod credential;
mod directory;
mod error;
pub mod odata;
mod retry;
mod snapshot;
mod token;
mod users;

pub use batch::{BatchRequest, BatchResponse, MAX_BATCH_SIZE};
pub use client::GraphClient;
pub use config::{
    ClientSettings, ConfigError, DEFAULT_AUTHORITY, DEFAULT_GRAPH_URL, DEFAULT_SCOPE, GraphConfig,
    RetryPolicy,
};
pub use credential::{
    AssertionAlgorithm, ClientCertificate, Credential, CredentialError, Thumbprints,
};
pub use directory::DirectoryObject;
pub use error::{ErrorDetail, GraphError, RequestName, ServiceError, TokenError};
pub use retry::ClientStats;
pub use snapshot::SnapshotRead;
pub use users::{NewUser, UserKey, UserPatch, WorkaroundError, temporary_upn};
