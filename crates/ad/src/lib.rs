//! The Active Directory connector: everything anchorsync knows about LDAP and AD's exports.
//!
//! It owns the `[ad]` configuration ([`config`]), a bound connection with failover between domain
//! controllers and the paged read of the users in scope ([`connection`]), delta reads with DirSync or
//! `uSNChanged` ([`delta`]), the compare-and-set write of the anchor attribute ([`write`](mod@write)), and the
//! offline inputs: LDIF ([`ldif`], reader and writer) and `Get-ADUser | Export-Csv` files
//! ([`export_csv`]), recognised by [`file`](mod@file). Every reader produces
//! [`anchorsync_core::directory::DirectoryEntry`] values whose attribute values are bytes, so a GUID or
//! SID is never mistaken for text; the core types them.

pub mod config;
pub mod connection;
pub mod delta;
pub mod dn;
pub mod entry;
pub mod export_csv;
pub mod file;
pub mod ldif;
pub mod write;

use std::path::PathBuf;

pub use config::{AdConfig, ConfigError};
pub use connection::AdConnection;
pub use delta::{Delta, DeltaMode, SyncCookie};

/// What can go wrong talking to a domain controller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `[ad]` section is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The CA file cannot be used.
    #[error("cannot use the CA file `{path}`: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Connecting (TCP, TLS, StartTLS) failed.
    #[error("cannot connect to `{server}`")]
    Connect {
        /// The server URL.
        server: String,
        /// The cause.
        #[source]
        source: Box<ldap3::LdapError>,
    },
    /// The server refused the bind.
    #[error("`{server}` refused the bind as `{bind}` (LDAP result {rc}): {text}")]
    Bind {
        /// The server URL.
        server: String,
        /// The bind DN or UPN.
        bind: String,
        /// The LDAP result code.
        rc: u32,
        /// The server's diagnostic.
        text: String,
    },
    /// No configured server could be reached.
    #[error("no domain controller could be used: {}", summary(attempts))]
    NoServer {
        /// Why each server failed, in order.
        attempts: Vec<Error>,
    },
    /// A search failed.
    #[error("searching `{base}` on `{server}` failed")]
    Search {
        /// The server URL.
        server: String,
        /// The search base.
        base: String,
        /// The cause.
        #[source]
        source: Box<ldap3::LdapError>,
    },
    /// The server sent an entry that is not well-formed BER.
    #[error(transparent)]
    Malformed(#[from] entry::MalformedEntry),
    /// DirSync was refused for lack of the replication right.
    #[error(
        "`{bind}` lacks the \"Replicating Directory Changes\" right (DS-Replication-Get-Changes) on `{naming_context}`, which DirSync needs: {text}"
    )]
    MissingReplicationRight {
        /// The bind account.
        bind: String,
        /// The naming context.
        naming_context: String,
        /// The server's diagnostic.
        text: String,
    },
    /// The DirSync response control is malformed.
    #[error("malformed DirSync response control: {reason}")]
    DirSyncResponse {
        /// What is wrong.
        reason: String,
    },
    /// The value to replace is not there any more: someone changed it since it was read.
    #[error(
        "`{dn}`: `{attribute}` was expected to be {expected} but is {actual}; nothing was written (read the user again and decide)"
    )]
    StaleValue {
        /// The user.
        dn: String,
        /// The attribute.
        attribute: String,
        /// The expected value, readable.
        expected: String,
        /// The value found, readable.
        actual: String,
    },
    /// A modify failed for another reason.
    #[error("writing `{attribute}` of `{dn}` on `{server}` failed")]
    Write {
        /// The server URL.
        server: String,
        /// The object.
        dn: String,
        /// The attribute.
        attribute: String,
        /// The cause.
        #[source]
        source: Box<ldap3::LdapError>,
    },
}

impl Error {
    /// Whether the directory answered a write or a read with a refusal (an LDAP result code, such as
    /// no such object), as opposed to not answering at all, when whether a write happened is unknown.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Write { source, .. } | Self::Search { source, .. } => {
                matches!(**source, ldap3::LdapError::LdapResult { .. })
            }
            Self::StaleValue { .. } => true,
            _ => false,
        }
    }
}

fn summary(attempts: &[Error]) -> String {
    attempts
        .iter()
        .map(|error| {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}
