//! Progress from library work, on stderr (style.md §9): a line when a stage starts, its count when
//! it ends, and notes (throttling, fallbacks) as they come. `ANCHORSYNC_NO_PROGRESS` silences the
//! stage lines; notes are always shown.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};

use anchorsync_core::progress::Reporter;

/// Reports to stderr.
#[derive(Debug, Default)]
pub struct StderrReporter {
    quiet: bool,
    stage: Mutex<Option<String>>,
    done: AtomicU64,
}

impl StderrReporter {
    /// A reporter that respects `ANCHORSYNC_NO_PROGRESS`.
    pub fn from_env() -> Self {
        Self {
            quiet: std::env::var_os("ANCHORSYNC_NO_PROGRESS").is_some()
                || SILENCED.load(Ordering::Relaxed),
            ..Self::default()
        }
    }

    fn line(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

/// Set by [`silence`]: commands that narrate (the demo) keep the progress lines of the steps they run
/// off the terminal.
static SILENCED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Hides progress for the rest of the process.
pub fn silence() {
    SILENCED.store(true, Ordering::Relaxed);
}

impl Reporter for StderrReporter {
    fn on_start(&self, stage: &str, total: Option<u64>) {
        self.done.store(0, Ordering::Relaxed);
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner) = Some(stage.to_owned());
        if !self.quiet {
            match total {
                Some(total) => self.line(&format!("{stage}: {total} to do")),
                None => self.line(&format!("{stage}...")),
            }
        }
    }

    fn on_advance(&self, done: u64) {
        self.done.fetch_add(done, Ordering::Relaxed);
    }

    fn on_note(&self, message: &str) {
        self.line(&format!("note: {message}"));
    }

    fn on_finish(&self) {
        let stage = self
            .stage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let (false, Some(stage)) = (self.quiet, stage) {
            self.line(&format!(
                "{stage}: {} done",
                self.done.load(Ordering::Relaxed)
            ));
        }
    }
}
