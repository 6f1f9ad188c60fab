//! Reports written from a plan for people rather than programs, as a library: the command line
//! renders them (`plan --format html`), and tests render hand-made plans through the same code.
//!
//! Each format is one module; its front-end files (templates, CSS, JavaScript) live beside it and are
//! compiled in with `include_str!`. The renderer reads no clock and no file system: the time and the
//! sources shown are given by the caller.

pub mod html;

/// A time in UTC for people and as RFC 3339 (`2026-11-22 04:21:05 UTC`, `2026-11-22T04:21:05Z`), as the
/// HTML report writes it; the command line's journal writes its times the same way.
pub fn format_utc(time: std::time::SystemTime) -> (String, String) {
    html::format_utc(time)
}
