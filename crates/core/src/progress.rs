//! How long-running library work reports progress without knowing about terminals (CONTRIBUTING.md,
//! progress).
//!
//! Libraries take a `&dyn Reporter`; the command line implements it with progress bars, tests with
//! [`NoProgress`].

/// Receives progress from a library. Every method has a no-op default.
pub trait Reporter: Send + Sync {
    /// A stage started (`reading AD`, `PATCH users`), with the number of items when known.
    fn on_start(&self, _stage: &str, _total: Option<u64>) {}
    /// `done` more items of the current stage are finished.
    fn on_advance(&self, _done: u64) {}
    /// A note worth showing the user without interrupting progress (a retry, a fallback).
    fn on_note(&self, _message: &str) {}
    /// The current stage finished.
    fn on_finish(&self) {}
}

/// A reporter that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Reporter for NoProgress {}
