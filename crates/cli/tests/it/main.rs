//! Command-line tests: the binary run as a user runs it (one test binary, style.md §14).

mod browser;
mod check_anchor;
mod convert;
mod html_report;

// The HTML report, compiled from the binary's own source, so the browser tests can render plans before
// `plan --format html` exists to render them through the binary.
#[path = "../../src/report/mod.rs"]
mod report;
