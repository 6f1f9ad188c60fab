//! Where `--ad` and `--cloud` read from: a file today, the live sources of `anchorsync.toml` once the
//! connectors land. Commands resolve a flag into an [`AdSource`] or [`CloudSource`] and read it; a live
//! reader plugs into [`read_ad`] and [`read_cloud`] without the commands changing.

use std::path::{Path, PathBuf};

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::directory::OnPremUser;
use anchorsync_core::tenant::{SnapshotSeed, TenantSnapshot};
use anyhow::Context as _;

/// The on-premises side of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdSource {
    /// An LDIF (or Export-Csv) file.
    File(PathBuf),
    /// The directory server of `anchorsync.toml`'s `[ad]` section (`ldap://` or `ldaps://`).
    Live {
        /// The URL given on the command line.
        url: String,
    },
}

impl AdSource {
    /// Reads a `--ad` value: an `ldap://` or `ldaps://` URL is the live directory, anything else a file.
    pub fn parse(value: &str) -> Self {
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("ldap://") || lower.starts_with("ldaps://") {
            Self::Live {
                url: value.to_owned(),
            }
        } else {
            Self::File(PathBuf::from(value))
        }
    }
}

/// The cloud side of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudSource {
    /// A tenant snapshot file.
    File(PathBuf),
    /// The tenant of `anchorsync.toml`'s `[graph]` section (`graph`), or a Graph twin's URL.
    Live {
        /// The value given on the command line.
        target: String,
    },
}

impl CloudSource {
    /// Reads a `--cloud` value: `graph` or an `http(s)://` URL is the live tenant, anything else a file.
    pub fn parse(value: &str) -> Self {
        let lower = value.to_ascii_lowercase();
        if lower == "graph" || lower.starts_with("https://") || lower.starts_with("http://") {
            Self::Live {
                target: value.to_owned(),
            }
        } else {
            Self::File(PathBuf::from(value))
        }
    }
}

/// Why a source cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The live source is not in this build yet.
    #[error("reading {what} live (`{value}`) is not available in this build yet")]
    LiveNotAvailable {
        /// `AD` or `the tenant`.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// The snapshot file is not JSON of a tenant snapshot.
    #[error("`{}` line {line} column {column}: not a tenant snapshot", path.display())]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// Where serde stopped.
        line: usize,
        /// Where serde stopped.
        column: usize,
        /// What it found.
        #[source]
        source: serde_json::Error,
    },
}

impl SourceError {
    /// How to get past the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::LiveNotAvailable { what: "AD", .. } => Some(
                "export the users to LDIF and pass the file: `ldapsearch -LLL -H ldaps://dc.example.com -b \
                 DC=example,DC=com '(objectClass=user)' > users.ldif`, or `ldifde -f users.ldf -r \
                 \"(objectClass=user)\"`"
                    .to_owned(),
            ),
            Self::LiveNotAvailable { .. } => Some(
                "pass a tenant snapshot file: a JSON object with `users`, `domains`, `roleAssignments` and \
                 `onPremisesSynchronization` as Microsoft Graph returns them"
                    .to_owned(),
            ),
            Self::Snapshot { .. } => Some(
                "`--cloud` takes a tenant snapshot: a JSON object with `users`, `domains`, `roleAssignments` and \
                 `onPremisesSynchronization` as Microsoft Graph returns them"
                    .to_owned(),
            ),
        }
    }
}

/// Reads the on-premises users, keeping of the other attributes what `options` says.
pub fn read_ad(source: &AdSource, options: &ReadOptions) -> anyhow::Result<Vec<OnPremUser>> {
    match source {
        AdSource::File(path) => anchorsync_ad::file::read_users_with(path, options)
            .with_context(|| format!("reading the AD users from `{}`", path.display())),
        AdSource::Live { url } => Err(SourceError::LiveNotAvailable {
            what: "AD",
            value: url.clone(),
        }
        .into()),
    }
}

/// Reads the tenant.
pub fn read_cloud(source: &CloudSource) -> anyhow::Result<TenantSnapshot> {
    match source {
        CloudSource::File(path) => read_snapshot(path),
        CloudSource::Live { target } => Err(SourceError::LiveNotAvailable {
            what: "the tenant",
            value: target.clone(),
        }
        .into()),
    }
}

/// Reads a tenant snapshot file as a stream (a UTF-8 byte-order mark is allowed: PowerShell writes one).
/// The file is never in memory whole: at a million users it is a gigabyte.
pub fn read_snapshot(path: &Path) -> anyhow::Result<TenantSnapshot> {
    use serde::de::DeserializeSeed as _;
    use std::io::BufRead as _;
    let cannot_read = || format!("cannot read `{}`", path.display());
    let file = std::fs::File::open(path).with_context(cannot_read)?;
    let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    if reader
        .fill_buf()
        .with_context(cannot_read)?
        .starts_with(b"\xEF\xBB\xBF")
    {
        reader.consume(3);
    }
    // Graph returns several hundred bytes per user with `$select`: room for that many, which costs
    // nothing until used.
    let seed = SnapshotSeed {
        users_capacity: usize::try_from(size / 400).unwrap_or(0),
    };
    let snapshot_error = |source: serde_json::Error| -> anyhow::Error {
        if source.is_io() {
            return anyhow::Error::new(source).context(cannot_read());
        }
        SourceError::Snapshot {
            path: path.to_owned(),
            line: source.line(),
            column: source.column(),
            source,
        }
        .into()
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let snapshot = seed
        .deserialize(&mut deserializer)
        .map_err(snapshot_error)?;
    deserializer.end().map_err(snapshot_error)?;
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_live_and_everything_else_is_a_file() {
        assert_eq!(
            AdSource::parse("LDAPS://dc.example.com"),
            AdSource::Live {
                url: "LDAPS://dc.example.com".into()
            }
        );
        assert_eq!(
            AdSource::parse("users.ldif"),
            AdSource::File("users.ldif".into())
        );
        assert!(matches!(
            CloudSource::parse("graph"),
            CloudSource::Live { .. }
        ));
        assert!(matches!(
            CloudSource::parse("http://127.0.0.1:8080"),
            CloudSource::Live { .. }
        ));
        assert_eq!(
            CloudSource::parse("graph.json"),
            CloudSource::File("graph.json".into())
        );
    }
}
