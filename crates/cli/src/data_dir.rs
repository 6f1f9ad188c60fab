//! The data directory: where the journal (`anchorsync.db`) and the run reports (`runs/<id>.json`)
//! live. `--data-dir DIR`, else `ANCHORSYNC_DATA_DIR` (clap reads both into one option), else the
//! platform's data directory (`~/.local/share/anchorsync` on Linux, `~/Library/Application
//! Support/anchorsync` on macOS, `%APPDATA%\anchorsync\data` on Windows).
//!
//! The directory and the reports are readable by their owner only: they list every user a plan
//! touches and the values written.

use std::fs::File;
use std::path::{Path, PathBuf};

use anchorsync_store::Store;
use anyhow::{Context as _, bail};

/// The journal file's name in the data directory.
pub const JOURNAL_FILE: &str = "anchorsync.db";

/// The resolved data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

/// No data directory was given and the platform has none.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "cannot find the platform's data directory (no home directory?): give `--data-dir DIR` or set \
     ANCHORSYNC_DATA_DIR"
)]
pub struct NoDataDir;

impl DataDir {
    /// `--data-dir` / `ANCHORSYNC_DATA_DIR`, else the platform's data directory.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, NoDataDir> {
        let path = match explicit {
            Some(path) => path.to_owned(),
            None => directories::ProjectDirs::from("", "", "anchorsync")
                .map(|dirs| dirs.data_dir().to_owned())
                .ok_or(NoDataDir)?,
        };
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal's path.
    pub fn journal_path(&self) -> PathBuf {
        self.path.join(JOURNAL_FILE)
    }

    /// Where run `id`'s report goes.
    pub fn report_path(&self, id: &str) -> PathBuf {
        self.path.join("runs").join(format!("{id}.json"))
    }

    /// Opens the journal if it exists, without creating anything (dry runs, `runs`).
    pub fn open_existing(&self) -> anyhow::Result<Option<Store>> {
        let journal = self.journal_path();
        if !journal.exists() {
            return Ok(None);
        }
        Store::open(&journal)
            .with_context(|| format!("cannot open the journal `{}`", journal.display()))
            .map(Some)
    }

    /// Creates the directory (owner-only) if needed, takes the journal's lock (one journaling command
    /// at a time: two processes resuming the same run would each believe they own its steps) and opens
    /// the journal.
    pub fn open_for_writing(&self) -> anyhow::Result<(Store, JournalLock)> {
        create_private_dir(&self.path)?;
        create_private_dir(&self.path.join("runs"))?;
        let lock_path = self.path.join("anchorsync.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open `{}`", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "another anchorsync is applying, undoing or switching with the journal in `{}`; wait for it \
                 to finish (an interrupted one is resumed by running it again)",
                self.path.display()
            ),
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error)
                    .with_context(|| format!("cannot lock `{}`", lock_path.display()));
            }
        }
        let journal = self.journal_path();
        let store = Store::open(&journal)
            .with_context(|| format!("cannot open the journal `{}`", journal.display()))?;
        Ok((store, JournalLock { _file: lock }))
    }
}

/// Held while a command writes to the journal; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct JournalLock {
    _file: File,
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .with_context(|| format!("cannot create the data directory `{}`", path.display()))
}
