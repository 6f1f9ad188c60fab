//! The data directory: where the journal (`anchorsync.db`) and the run reports (`runs/<id>.json`)
//! live. `--data-dir DIR`, else `ANCHORSYNC_DATA_DIR` (clap reads both into one option), else the
//! platform's data directory (`~/.local/share/anchorsync` on Linux, `~/Library/Application
//! Support/anchorsync` on macOS, `%APPDATA%\anchorsync\data` on Windows).
//!
//! The directory and everything in it are readable by their owner only: the journal and the reports
//! list every user a plan touches and the values written. The journal, its `-wal` and `-shm` and the
//! lock are created 0600 (and made so when an older build left them wider); a directory anchorsync
//! creates is 0700, its own `runs/` is tightened to 0700, and an existing data directory that others
//! can read is left as the administrator made it, with a warning on stderr.

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

    /// Refuses a data directory that exists and is not a directory (`--data-dir /etc/passwd`): its
    /// journal could never exist, and saying "no runs" would be a lie.
    fn refuse_non_directory(&self) -> anyhow::Result<()> {
        if self.path.exists() && !self.path.is_dir() {
            bail!(
                "the data directory `{}` is not a directory; give `--data-dir` (or ANCHORSYNC_DATA_DIR) \
                 a directory, which anchorsync creates when it is missing",
                self.path.display()
            );
        }
        Ok(())
    }

    /// Opens the journal if it exists, without creating anything (dry runs, `runs`).
    pub fn open_existing(&self) -> anyhow::Result<Option<Store>> {
        self.refuse_non_directory()?;
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
        self.refuse_non_directory()?;
        if !create_private_dir(&self.path)? {
            warn_if_open(&self.path)?;
        }
        let runs = self.path.join("runs");
        if !create_private_dir(&runs)? {
            make_private(&runs, 0o700)?;
        }
        let lock_path = self.path.join("anchorsync.lock");
        let mut options = File::options();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let lock = options
            .open(&lock_path)
            .with_context(|| format!("cannot open `{}`", lock_path.display()))?;
        make_private(&lock_path, 0o600)?;
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

/// Makes `path` (anchorsync's own file or folder) `mode` when others can read it.
fn make_private(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let metadata = std::fs::metadata(path)
            .with_context(|| format!("cannot read the permissions of `{}`", path.display()))?;
        if metadata.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot make `{}` owner-only", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Warns (on stderr) when an existing data directory lets other users in. It is not changed: the
/// administrator chose it (`--data-dir /srv/anchorsync` may be shared on purpose, and tightening a
/// directory such as `/tmp` would break the machine); the files in it are owner-only regardless.
fn warn_if_open(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("cannot read the permissions of `{}`", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: the data directory `{}` is readable by other users (mode {:o}); the journal and \
                 reports in it are owner-only, but consider `chmod 700 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `path` (0700) when missing; whether it did.
fn create_private_dir(path: &Path) -> anyhow::Result<bool> {
    if path.is_dir() {
        return Ok(false);
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
        .with_context(|| format!("cannot create the data directory `{}`", path.display()))?;
    Ok(true)
}
