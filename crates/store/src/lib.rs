//! anchorsync's state on disk, in one SQLite file: delta-read cookies and the run journal.
//!
//! The schema migrates forward one step at a time (CONTRIBUTING.md, "Storage"): a `schema_version` table holds the
//! version, and [`Store::open`] applies each missing step of [`MIGRATIONS`] in order, each in its own
//! transaction. A released step is never edited; a change is a new step at the end of the list. A
//! database written by a newer anchorsync is refused with [`Error::TooNew`] (`AS-STORE-0001`) rather
//! than guessed at.
//!
//! The journal ([`journal`]) records every run of `apply`, `undo` and `tenant matching` and each of its
//! steps. The file is in WAL mode with `synchronous = FULL`: a commit is on disk when it returns, so a
//! step marked `started` is durable before the write it announces is sent.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

pub mod journal;
mod timestamp;

pub use journal::{
    AdTarget, CloudTarget, JournalStep, NewRun, Run, RunKind, RunStatus, RunSummary, RunTargets,
    Step, StepCounts, StepOutcome, StepState,
};
pub use timestamp::{Timestamp, TimestampError};

/// The migration steps: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
/// NEVER EDIT A RELEASED STEP: append a new one.
pub const MIGRATIONS: &[&str] = &[
    // v0 → v1: delta-read cookies, one per source (server and base DNs).
    "CREATE TABLE cookies (
        source TEXT PRIMARY KEY NOT NULL,
        mode TEXT NOT NULL,
        cookie BLOB NOT NULL
    );",
    // v1 → v2: the journal of apply, undo and tenant-matching runs, one row per step.
    "CREATE TABLE runs (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        plan_sha256 TEXT,
        plan_path TEXT,
        undoes TEXT REFERENCES runs(id),
        targets TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL
    );
    CREATE INDEX runs_by_plan ON runs (plan_sha256, status);
    CREATE INDEX runs_by_undone ON runs (undoes);
    CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,
        user_dn TEXT,
        system TEXT NOT NULL,
        target TEXT NOT NULL,
        label TEXT,
        attribute TEXT NOT NULL,
        purpose TEXT NOT NULL,
        before TEXT,
        after TEXT,
        state TEXT NOT NULL,
        replaced TEXT,
        message TEXT,
        started_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (run_id, seq)
    );",
    // v2 → v3: a step's operation (issue 11). `set` keeps its attribute and values in their columns,
    // as every v2 step did; the other operations (update, create, delete, restore) keep the whole
    // operation as JSON in `details`; a create records the id of the object it made in `created`.
    "ALTER TABLE steps ADD COLUMN operation TEXT NOT NULL DEFAULT 'set';
    ALTER TABLE steps ADD COLUMN details TEXT;
    ALTER TABLE steps ADD COLUMN created TEXT;",
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// What can go wrong with the state file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database was written by a newer anchorsync.
    #[error(
        "AS-STORE-0001: `{path}` has schema version {found}, newer than this anchorsync knows ({supported}); use a newer anchorsync"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// Migrating to a version failed; the database stays at the version before it.
    #[error("AS-STORE-0002: migrating `{path}` to schema version {version} failed")]
    Migration {
        /// The file.
        path: PathBuf,
        /// The version the failed step would have reached.
        version: u32,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A journal row this build cannot read (edited by hand, or written by a newer build).
    #[error("AS-STORE-0004: `{path}`: run `{run_id}`: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The run.
        run_id: String,
        /// What is wrong.
        reason: String,
    },
    /// No run has this id (or more than one starts with it).
    #[error("AS-STORE-0005: `{path}`: {reason}")]
    UnknownRun {
        /// The file.
        path: PathBuf,
        /// Which.
        reason: String,
    },
    /// Any other SQLite error.
    #[error("AS-STORE-0003: `{path}`: {action} failed")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
}

/// A delta-read cookie as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCookie {
    /// The mechanism (`dirsync`, `usnchanged`).
    pub mode: String,
    /// The cookie's bytes.
    pub cookie: Vec<u8>,
}

/// The open state file.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the state file and migrates it to [`current_version`].
    pub fn open(path: &Path) -> Result<Self, Error> {
        let sqlite = |action| {
            move |source| Error::Sqlite {
                path: path.to_owned(),
                action,
                source,
            }
        };
        let mut connection = Connection::open(path).map_err(sqlite("opening"))?;
        connection
            .execute_batch(
                // WAL with FULL: every commit is durable when it returns (the journal's promise), and
                // readers never block the writer.
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
            )
            .map_err(sqlite("preparing"))?;
        let found: Option<u32> = connection
            .query_row("SELECT max(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(sqlite("reading the schema version"))?
            .flatten();
        let found = found.unwrap_or(0);
        if found > current_version() {
            return Err(Error::TooNew {
                path: path.to_owned(),
                found,
                supported: current_version(),
            });
        }
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = u32::try_from(step + 1).unwrap_or(u32::MAX);
            let migration = |source| Error::Migration {
                path: path.to_owned(),
                version,
                source,
            };
            let transaction = connection.transaction().map_err(migration)?;
            transaction.execute_batch(sql).map_err(migration)?;
            transaction
                .execute("DELETE FROM schema_version", [])
                .map_err(migration)?;
            transaction
                .execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    params![version],
                )
                .map_err(migration)?;
            transaction.commit().map_err(migration)?;
        }
        Ok(Self {
            connection,
            path: path.to_owned(),
        })
    }

    /// The schema version of the open file.
    pub fn version(&self) -> Result<u32, Error> {
        self.connection
            .query_row("SELECT max(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .map_err(|source| self.error("reading the schema version", source))
    }

    /// The cookie kept for a source, if any.
    pub fn cookie(&self, source: &str) -> Result<Option<StoredCookie>, Error> {
        self.connection
            .query_row(
                "SELECT mode, cookie FROM cookies WHERE source = ?1",
                params![source],
                |row| {
                    Ok(StoredCookie {
                        mode: row.get(0)?,
                        cookie: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|source| self.error("reading a cookie", source))
    }

    /// Keeps the cookie for a source, replacing the previous one.
    pub fn set_cookie(&self, source: &str, cookie: &StoredCookie) -> Result<(), Error> {
        self.connection
            .execute(
                "INSERT INTO cookies (source, mode, cookie) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source) DO UPDATE SET mode = excluded.mode, cookie = excluded.cookie",
                params![source, cookie.mode, cookie.cookie],
            )
            .map(drop)
            .map_err(|source| self.error("saving a cookie", source))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, action: &'static str, source: rusqlite::Error) -> Error {
        Error::Sqlite {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_survive_reopening_and_are_per_source() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.version().unwrap(), current_version());
        assert_eq!(store.cookie("ldaps://dc1 DC=corp").unwrap(), None);
        let first = StoredCookie {
            mode: "dirsync".into(),
            cookie: vec![0, 1, 0xff],
        };
        store.set_cookie("ldaps://dc1 DC=corp", &first).unwrap();
        let second = StoredCookie {
            mode: "usnchanged".into(),
            cookie: b"CN=NTDS\n42".to_vec(),
        };
        store.set_cookie("ldaps://dc1 DC=corp", &second).unwrap();
        store.set_cookie("ldaps://dc2 DC=corp", &first).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.cookie("ldaps://dc1 DC=corp").unwrap(), Some(second));
        assert_eq!(store.cookie("ldaps://dc2 DC=corp").unwrap(), Some(first));
    }

    #[test]
    fn a_newer_database_is_refused_with_a_code() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        drop(Store::open(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection
            .execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
        drop(connection);
        let error = Store::open(&path).unwrap_err();
        assert!(error.to_string().starts_with("AS-STORE-0001: "), "{error}");
        assert!(matches!(error, Error::TooNew { found: 99, .. }));
    }

    #[test]
    fn a_v0_database_migrates_step_by_step() {
        // A database made before any step (only the version table, at 0 rows) reaches the current
        // version, and the v1 table exists.
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL);")
            .unwrap();
        drop(connection);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.version().unwrap(), current_version());
        assert_eq!(store.cookie("x").unwrap(), None);
    }

    #[test]
    fn a_v1_database_keeps_its_cookies_and_gains_the_journal() {
        // A v1 file as v1 wrote it: the cookies table and version 1.
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state.db");
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch(&format!(
                "CREATE TABLE schema_version (version INTEGER NOT NULL);
                 INSERT INTO schema_version (version) VALUES (1);
                 {}
                 INSERT INTO cookies (source, mode, cookie) VALUES ('dc', 'dirsync', x'00ff');",
                MIGRATIONS[0]
            ))
            .unwrap();
        drop(connection);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.version().unwrap(), current_version());
        assert_eq!(
            store.cookie("dc").unwrap(),
            Some(StoredCookie {
                mode: "dirsync".into(),
                cookie: vec![0, 0xff]
            })
        );
        assert!(store.runs().unwrap().is_empty());
        let synchronous: i64 = store
            .connection
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        let mode: String = store
            .connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
