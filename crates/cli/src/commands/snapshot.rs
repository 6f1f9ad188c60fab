//! `anchorsync snapshot cloud`: the tenant snapshot (design.md) from Microsoft Graph or a twin.
//!
//! The file is written whole or not at all: to a temporary file beside it, flushed to disk, then
//! renamed over the target. Its content is sorted, so the same tenant gives the same bytes.

use std::io::Write as _;
use std::path::Path;

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_graph::GraphClient;
use anyhow::Context as _;

use crate::args::{SnapshotCloudArgs, SnapshotCommand};
use crate::config;
use crate::exit::ExitStatus;
use crate::progress::StderrReporter;

pub fn run(command: SnapshotCommand) -> anyhow::Result<ExitStatus> {
    match command {
        SnapshotCommand::Cloud(args) => cloud(&args),
    }
}

fn cloud(args: &SnapshotCloudArgs) -> anyhow::Result<ExitStatus> {
    let loaded = config::load(args.config.as_deref())?;
    let settings = loaded.graph_settings()?;
    let graph_url = settings.graph_url.clone();
    let client = GraphClient::new(settings).context("cannot set up the Microsoft Graph client")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = StderrReporter::from_env();
    let read = runtime
        .block_on(client.read_snapshot(&reporter))
        .with_context(|| format!("cannot read the tenant from `{graph_url}`"))?;
    for warning in &read.warnings {
        let _ = writeln!(std::io::stderr().lock(), "warning: {warning}");
    }
    let bytes = snapshot_bytes(&read.snapshot)?;
    match &args.output {
        Some(path) => {
            write_atomically(path, &bytes)?;
            let snapshot = &read.snapshot;
            let _ = writeln!(
                std::io::stderr().lock(),
                "snapshot: {} users, {} domains, {} role assignments written to `{}`",
                snapshot.users.len(),
                snapshot.domains.len(),
                snapshot.role_assignments.len(),
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Pretty JSON with a final newline.
fn snapshot_bytes(snapshot: &TenantSnapshot) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(snapshot).context("cannot serialise the snapshot")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file name", path.display()))?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}
