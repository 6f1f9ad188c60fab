//! Client-to-twin tests.
