//! The Graph client against the Graph twin, over HTTP on a free port (issue 4). No mock inside the
//! process: every request crosses a socket to a `TwinServer` that enforces Graph's rules.

// Tests fail by panicking: `clippy.toml` allows unwrap, expect, panic and indexing inside test
// functions, and this allows them in the helpers the tests share too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod auth;
mod batch;
mod deleted_users;
mod directory;
mod logs;
mod snapshot;
mod support;
mod sync_writes;
mod throttling;
mod tls;
mod users_read;
mod users_write;
