//! The Graph client against the Graph twin, over HTTP on a free port (issue 4). No mock inside the
//! process: every request crosses a socket to a `TwinServer` that enforces Graph's rules.

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
