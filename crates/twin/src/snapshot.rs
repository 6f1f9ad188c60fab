//! Tenant snapshot files: read with an error naming the file, line and column; written atomically
//! (a temporary file in the same directory, flushed to disk, renamed over the target, then the
//! directory flushed so the rename itself is durable), so a crash never leaves half a snapshot.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anchorsync_core::tenant::TenantSnapshot;

/// Why a snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read or written.
    #[error("cannot {action} `{path}`")]
    Io {
        /// `read`, `write` or `replace`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a tenant snapshot.
    #[error("`{path}` is not a tenant snapshot (line {line}, column {column})")]
    Json {
        /// The file.
        path: PathBuf,
        /// Where the parser stopped.
        line: usize,
        /// Where the parser stopped.
        column: usize,
        /// What it found.
        #[source]
        source: serde_json::Error,
    },
}

/// Reads a snapshot file.
pub fn read_snapshot(path: &Path) -> Result<TenantSnapshot, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    TenantSnapshot::from_json(&text).map_err(|source| SnapshotError::Json {
        path: path.to_owned(),
        line: source.line(),
        column: source.column(),
        source,
    })
}

/// Writes a snapshot file atomically, in the canonical form ([`TenantSnapshot::to_json`]).
pub fn write_snapshot(path: &Path, snapshot: &TenantSnapshot) -> Result<(), SnapshotError> {
    let io = |action: &'static str, at: &Path| {
        let at = at.to_owned();
        move |source| SnapshotError::Io {
            action,
            path: at,
            source,
        }
    };
    let text = snapshot.to_json().map_err(|source| SnapshotError::Json {
        path: path.to_owned(),
        line: 0,
        column: 0,
        source,
    })?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path.file_name().map_or_else(
        || "snapshot".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    // Unique per write, so that two saves of one process never share a temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = directory.join(format!(".{file_name}.{}.{serial}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary).map_err(io("write", &temporary))?;
        file.write_all(text.as_bytes())
            .map_err(io("write", &temporary))?;
        file.sync_all().map_err(io("write", &temporary))?;
        std::fs::rename(&temporary, path).map_err(io("replace", path))?;
        sync_directory(directory).map_err(io("replace", path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Flushes a directory's entries (the rename of a saved snapshot) to disk. Windows cannot open a
/// directory as a file, and its renames are flushed with the file system's journal.
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    if cfg!(unix) {
        std::fs::File::open(directory)?.sync_all()
    } else {
        Ok(())
    }
}
