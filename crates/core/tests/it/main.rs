//! Integration tests of the core: one test binary (style.md §14).

mod parsers;
mod sync;
mod sync_join;
mod synthetic;
mod vectors;
