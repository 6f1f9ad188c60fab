//! Command-line tests: the binary run as a user runs it (one test binary, CONTRIBUTING.md).

// Tests fail by panicking: `clippy.toml` allows unwrap, expect, panic and indexing inside test
// functions, and this allows them in the helpers the tests share too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod apply;
mod browser;
mod check_anchor;
mod colour;
mod convert;
mod crash;
mod demo;
mod emit;
mod generate;
mod hardening;
mod html_report;
mod journal_v2;
mod lab;
mod lint;
mod plan;
mod snapshot_ad;
mod snapshot_cloud;
mod strategy;
mod sync;
mod sync_flow;
mod twin;
mod verify;
mod workspace;
