//! The store's tests against journals made by earlier releases (style.md §12, §14: one test binary).

mod migrations;
