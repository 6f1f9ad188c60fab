//! The Graph twin's tests: raw HTTP against a `TwinServer` on a free port for every documented
//! rule, and `oneshot` router tests where a socket adds nothing (one test binary, CONTRIBUTING.md).

// Tests fail by panicking: `clippy.toml` allows unwrap, expect, panic and indexing inside test
// functions, and this allows them in the helpers the tests share too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod batch;
mod consistency;
mod csdl;
mod deleted_items;
mod directory;
mod filter_fuzz;
mod hardening;
mod microsoft_clients;
mod organization;
mod recipients;
mod router;
mod snapshot;
mod support;
mod throttling;
mod tls;
mod token;
mod users_create;
mod users_read;
mod users_write;
