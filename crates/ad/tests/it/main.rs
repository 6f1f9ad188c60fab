//! Integration tests of the AD connector: one test binary (style.md §14).

mod file;
