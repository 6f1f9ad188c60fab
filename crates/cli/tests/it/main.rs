//! Command-line tests: the binary run as a user runs it (one test binary, style.md §14).

mod check_anchor;
mod convert;
mod generate;
mod plan;
mod snapshot_ad;
mod snapshot_cloud;
mod twin;
