//! Tests of the test environment itself (one test binary, style.md §14).

mod samba_dc_script;
