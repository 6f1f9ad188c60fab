//! Command-line tests: the binary run as a user runs it (one test binary, style.md §14).

mod apply;
mod browser;
mod check_anchor;
mod colour;
mod convert;
mod crash;
mod demo;
mod emit;
mod generate;
mod html_report;
mod journal_v2;
mod lab;
mod plan;
mod snapshot_ad;
mod snapshot_cloud;
mod strategy;
mod twin;
mod verify;
mod workspace;

// The HTML report, compiled from the binary's own source, so the browser tests can render hand-made
// plans (hostile values, every outcome) without building directories for them.
#[path = "../../src/report/mod.rs"]
mod report;
