//! The executor's tests against real servers: the Graph twin over HTTP (one test binary:
//! CONTRIBUTING.md).

// Tests fail by panicking: `clippy.toml` allows unwrap, expect, panic and indexing inside test
// functions, and this allows them in the helpers the tests share too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod concurrent;
mod fuzz;
mod sync_ops;
mod twin;
