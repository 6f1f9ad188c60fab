//! `anchorsync snapshot ad|cloud`: what a source holds now, written whole or not at all.
//!
//! `ad`: the users in scope, read from a domain controller, as LDIF sorted by DN. `cloud`: the
//! tenant snapshot (Graph's own JSON shapes, `anchorsync_core::tenant`) from Microsoft Graph or a
//! twin, sorted. Both are written to a temporary file beside the target and renamed over it, so the
//! same source gives the same bytes and a failure never leaves half a file.

use std::io::Write as _;
use std::path::Path;

use anchorsync_ad::ldif::LdifWriter;
use anchorsync_ad::{AdConnection, DeltaMode, SyncCookie};
use anchorsync_core::directory::DirectoryEntry;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_core::wording::count;
use anchorsync_store::{Store, StoredCookie};
use anyhow::Context as _;

use crate::args::{SnapshotAdArgs, SnapshotArgs, SnapshotCloudArgs, SnapshotCommand};
use crate::exit::ExitStatus;
use crate::progress::StderrReporter;
use crate::settings::Settings;

pub fn run(args: &SnapshotArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    match &args.command {
        SnapshotCommand::Ad(ad) => snapshot_ad(ad, settings),
        SnapshotCommand::Cloud(cloud) => snapshot_cloud(cloud, settings),
    }
}

fn snapshot_ad(args: &SnapshotAdArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let ad = settings.ad()?;
    let password = ad.password().context("cannot read the AD bind password")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = StderrReporter::from_env();
    let store = match (&args.state, args.changes) {
        (Some(state), true) => Some(
            Store::open(state)
                .with_context(|| format!("cannot open the state database `{}`", state.display()))?,
        ),
        _ => None,
    };
    let (server, mut records, delta) = runtime.block_on(async {
        let mut connection = AdConnection::connect(&ad, &password, &reporter).await?;
        let server = connection.server().to_owned();
        let result = match &store {
            None => {
                // Each entry is encoded as it arrives and only its LDIF record is kept: a fraction of
                // the memory of the decoded entries, and still sorted before writing.
                let mut records = Vec::new();
                let mut failure = None;
                connection
                    .read_users_each(&reporter, |entry| match encode(&entry) {
                        Ok(record) => records.push(record),
                        Err(error) => {
                            failure.get_or_insert(error);
                        }
                    })
                    .await?;
                if let Some(error) = failure {
                    return Err(
                        anyhow::Error::from(error).context("cannot encode an entry as LDIF")
                    );
                }
                (records, None)
            }
            Some(store) => {
                let source = connection.cookie_source();
                let cookie = stored_cookie(store, &source)?;
                let delta = connection.read_changes(cookie.as_ref(), &reporter).await?;
                let records = delta
                    .changed
                    .iter()
                    .map(encode)
                    .collect::<std::io::Result<Vec<_>>>()?;
                (records, Some((source, delta)))
            }
        };
        connection.unbind().await;
        Ok::<_, anyhow::Error>((server, result.0, result.1))
    })?;
    // The same directory gives the same bytes: sort by DN, case-insensitively as AD compares them.
    records.sort_unstable();
    let entries = &records;
    let mut comment = match &delta {
        None => format!(
            "anchorsync snapshot ad: {} in scope, read from {server}",
            count(entries.len(), "user", "users")
        ),
        Some((_, delta)) if delta.full => format!(
            "anchorsync snapshot ad --changes: first read ({}), {} in scope, read from {server}",
            delta.mode.as_str(),
            count(entries.len(), "user", "users")
        ),
        Some((_, delta)) => format!(
            "anchorsync snapshot ad --changes: {} changed since the last read ({}), read from {server}",
            count(entries.len(), "user", "users"),
            delta.mode.as_str()
        ),
    };
    if let Some((_, delta)) = &delta {
        for guid in &delta.departed {
            comment.push_str(&format!(
                "\ndeparted (deleted or out of scope): objectGUID {guid}"
            ));
        }
    }
    match &args.output {
        None => {
            let stdout = std::io::stdout().lock();
            write_ldif(std::io::BufWriter::new(stdout), &comment, entries)?;
        }
        Some(output) => {
            // Written beside the target and renamed over it: never a half-written snapshot.
            let folder = output
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut temporary = tempfile::NamedTempFile::new_in(folder)
                .with_context(|| format!("cannot write in `{}`", folder.display()))?;
            write_ldif(
                std::io::BufWriter::new(temporary.as_file_mut()),
                &comment,
                entries,
            )
            .with_context(|| format!("cannot write `{}`", output.display()))?;
            temporary
                .persist(output)
                .with_context(|| format!("cannot write `{}`", output.display()))?;
            eprintln!(
                "wrote {} to `{}`",
                count(entries.len(), "user", "users"),
                output.display()
            );
        }
    }
    // Only now that the output is complete: a failed write must not lose the changes.
    if let (Some(store), Some((source, delta))) = (&store, &delta) {
        let cookie = StoredCookie {
            mode: delta.cookie.mode.as_str().to_owned(),
            cookie: delta.cookie.value.clone(),
        };
        store
            .set_cookie(source, &cookie)
            .context("cannot save the delta cookie")?;
    }
    Ok(ExitStatus::Success)
}

fn stored_cookie(store: &Store, source: &str) -> anyhow::Result<Option<SyncCookie>> {
    let Some(stored) = store.cookie(source)? else {
        return Ok(None);
    };
    // A cookie of a mode this build does not know is ignored: the read starts over.
    Ok(DeltaMode::parse(&stored.mode).map(|mode| SyncCookie {
        mode,
        value: stored.cookie,
    }))
}

/// One entry's LDIF record, with the key it is sorted by (the DN, lowercase).
type Record = (String, Vec<u8>);

fn encode(entry: &DirectoryEntry) -> std::io::Result<Record> {
    let mut writer = LdifWriter::records_only(Vec::with_capacity(1024));
    writer.write_entry(entry)?;
    Ok((entry.dn.to_lowercase(), writer.finish()?))
}

fn write_ldif(out: impl std::io::Write, comment: &str, records: &[Record]) -> std::io::Result<()> {
    let mut out = LdifWriter::new(out, comment)?.finish()?;
    for (_, record) in records {
        out.write_all(record)?;
    }
    out.flush()
}

fn snapshot_cloud(args: &SnapshotCloudArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let snapshot = crate::sources::read_cloud_with_recipients(
        &crate::sources::CloudSource::Live { graph_url: None },
        settings,
    )?;
    let bytes = snapshot_bytes(&snapshot)?;
    match &args.output {
        Some(path) => {
            write_atomically(path, &bytes)?;
            let _ = writeln!(
                std::io::stderr().lock(),
                "snapshot: {}, {}, {} written to `{}`",
                count(snapshot.users.len(), "user", "users"),
                count(snapshot.domains.len(), "domain", "domains"),
                count(
                    snapshot.role_assignments.len(),
                    "role assignment",
                    "role assignments"
                ),
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
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
