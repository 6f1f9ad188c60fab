//! Progress from library work, on stderr (CONTRIBUTING.md, progress): a line when a stage starts,
//! its count when it ends, and notes (throttling, fallbacks) as they come ([`StderrReporter`]); or
//! a progress bar on a terminal ([`BarReporter`], for apply and undo). `ANCHORSYNC_NO_PROGRESS`
//! silences the stage lines and the bar; notes are always shown.

use std::io::Write as _;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};

use anchorsync_core::progress::Reporter;
use anchorsync_core::wording::printable;

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
            quiet: std::env::var_os("ANCHORSYNC_NO_PROGRESS").is_some(),
            ..Self::default()
        }
    }

    fn line(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
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
        self.line(&format!("note: {}", printable(message)));
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

/// A progress bar on stderr for stages with a known size (apply, undo): drawn only when stderr is a
/// terminal and `ANCHORSYNC_NO_PROGRESS` is not set, so logs and CI output stay clean. Notes are always
/// shown, above the bar.
#[derive(Debug)]
pub struct BarReporter {
    hidden: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl BarReporter {
    /// A bar that respects the terminal and `ANCHORSYNC_NO_PROGRESS`.
    pub fn from_env() -> Self {
        use std::io::IsTerminal as _;
        Self {
            hidden: std::env::var_os("ANCHORSYNC_NO_PROGRESS").is_some()
                || !std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    fn current(&self) -> Option<indicatif::ProgressBar> {
        self.bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Reporter for BarReporter {
    fn on_start(&self, stage: &str, total: Option<u64>) {
        let target = if self.hidden {
            indicatif::ProgressDrawTarget::hidden()
        } else {
            indicatif::ProgressDrawTarget::stderr()
        };
        let bar = indicatif::ProgressBar::with_draw_target(total, target);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} ({per_sec}, about {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(stage.to_owned());
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    fn on_advance(&self, done: u64) {
        if let Some(bar) = self.current() {
            bar.inc(done);
        }
    }

    fn on_note(&self, message: &str) {
        match self.current() {
            Some(bar) => bar.suspend(|| eprintln!("note: {}", printable(message))),
            None => eprintln!("note: {}", printable(message)),
        }
    }

    fn on_finish(&self) {
        if let Some(bar) = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            bar.finish_and_clear();
        }
    }
}
