//! The pure domain of anchorsync.
//!
//! This crate owns what is true whatever the transport: the forms of a sourceAnchor and how to convert
//! between them ([`identifier`], [`convert`]), the rules a sourceAnchor must follow ([`anchor`]), the
//! on-premises and cloud user models ([`directory`], [`tenant`]), the match engine and plans, and how
//! values and counts are worded in messages ([`wording`]). It does no I/O and has no async: connectors
//! translate LDAP and HTTP into these types, and the command line wires them together. Time is always
//! an argument.
#![deny(missing_docs)]

pub mod anchor;
pub mod convert;
pub mod directory;
pub mod engine;
pub mod hint;
pub mod identifier;
pub mod progress;
pub mod remediation;
pub mod secret;
pub mod sync;
pub mod synthetic;
pub mod tenant;
pub mod thumbprint;
pub mod verify;
pub mod wording;
