//! What libraries report while they work, shown on stderr.

use anchorsync_core::progress::Reporter;

/// Shows notes (a failover, a fallback, a warning) on stderr; progress counts are not drawn yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrNotes;

impl Reporter for StderrNotes {
    fn on_note(&self, message: &str) {
        eprintln!("{message}");
    }
}
