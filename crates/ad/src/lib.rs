//! The Active Directory side of anchorsync: reading users from a domain controller or from the files
//! administrators export, into the core model, and writing the anchor attribute back.
//!
//! Values stay raw bytes until `anchorsync_core::directory::OnPremUser::from_entry` types them by
//! schema, so a GUID or SID is never taken for text.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::indexing_slicing
)]

pub mod file;
pub mod ldif;
