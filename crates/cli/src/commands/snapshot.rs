//! `anchorsync snapshot ad`: the users in scope, read from a domain controller, as LDIF.

use std::path::Path;

use anchorsync_ad::AdConnection;
use anchorsync_ad::ldif::LdifWriter;
use anchorsync_core::directory::DirectoryEntry;
use anyhow::Context as _;

use crate::args::{SnapshotAdArgs, SnapshotArgs, SnapshotCommand};
use crate::config::Config;
use crate::exit::ExitStatus;
use crate::progress::StderrNotes;

pub fn run(args: &SnapshotArgs, config_path: Option<&Path>) -> anyhow::Result<ExitStatus> {
    match &args.command {
        SnapshotCommand::Ad(ad) => snapshot_ad(ad, config_path),
    }
}

fn snapshot_ad(args: &SnapshotAdArgs, config_path: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let (config, path) = Config::load(config_path)?;
    let ad = config.ad(&path)?.clone();
    let password = ad.password().context("cannot read the AD bind password")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = StderrNotes;
    let (server, mut entries) = runtime.block_on(async {
        let mut connection = AdConnection::connect(&ad, &password, &reporter).await?;
        let server = connection.server().to_owned();
        let entries = connection.read_users(&reporter).await?;
        connection.unbind().await;
        Ok::<_, anchorsync_ad::Error>((server, entries))
    })?;
    // The same directory gives the same bytes: sort by DN, case-insensitively as AD compares them.
    entries.sort_by_cached_key(|entry| entry.dn.to_lowercase());
    let comment = format!(
        "anchorsync snapshot ad: {} users in scope, read from {server}",
        entries.len()
    );
    match &args.output {
        None => {
            let stdout = std::io::stdout().lock();
            write_ldif(std::io::BufWriter::new(stdout), &comment, &entries)?;
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
                &entries,
            )
            .with_context(|| format!("cannot write `{}`", output.display()))?;
            temporary
                .persist(output)
                .with_context(|| format!("cannot write `{}`", output.display()))?;
            eprintln!("wrote {} users to `{}`", entries.len(), output.display());
        }
    }
    Ok(ExitStatus::Success)
}

fn write_ldif(
    out: impl std::io::Write,
    comment: &str,
    entries: &[DirectoryEntry],
) -> std::io::Result<()> {
    let mut writer = LdifWriter::new(out, comment)?;
    for entry in entries {
        writer.write_entry(entry)?;
    }
    writer.finish()?.flush()
}
