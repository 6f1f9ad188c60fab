//! The executor's tests against real servers: the Graph twin over HTTP (style.md §14).

mod concurrent;
mod twin;
