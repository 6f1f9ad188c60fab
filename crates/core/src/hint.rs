//! How an error says what would get past it (CONTRIBUTING.md, "Errors"): errors of every crate implement [`Hint`],
//! and the command line prints each hint of the error chain under the error, after a blank line.

/// An error that may know how it could be fixed.
pub trait Hint {
    /// One sentence for the administrator, or `None` when this error has no advice.
    fn hint(&self) -> Option<String>;
}
