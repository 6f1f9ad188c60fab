//! Integration tests of the core: one test binary (style.md §14).

mod synthetic;
mod vectors;
