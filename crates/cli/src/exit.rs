//! Exit statuses and the hints printed under an error.

use std::process::ExitCode;

/// What the process tells its caller, like `diff`: 0 in order, 1 differences found, 2 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything is in order.
    Success,
    /// The command ran and found something that needs attention.
    Attention,
    /// The command could not do its job.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Attention => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// Hints for an error: every error in the chain that knows how it could be fixed says so.
pub fn hints_for_error(error: &anyhow::Error) -> Vec<String> {
    error
        .chain()
        .filter_map(|cause| {
            cause
                .downcast_ref::<anchorsync_core::convert::ConvertError>()
                .and_then(anchorsync_core::convert::ConvertError::hint)
                .or_else(|| {
                    cause
                        .downcast_ref::<crate::sources::SourceError>()
                        .and_then(crate::sources::SourceError::hint)
                })
                .or_else(|| {
                    cause
                        .downcast_ref::<anchorsync_graph::GraphError>()
                        .and_then(anchorsync_graph::GraphError::hint)
                })
                .or_else(|| {
                    cause
                        .downcast_ref::<anchorsync_graph::ConfigError>()
                        .and_then(anchorsync_graph::ConfigError::hint)
                })
                .or_else(|| {
                    cause
                        .downcast_ref::<anchorsync_ad::export_csv::CsvError>()
                        .and_then(anchorsync_ad::export_csv::CsvError::hint)
                })
                .or_else(|| {
                    // The CSV error is inside (transparent, so the chain never lists it on its own).
                    cause
                        .downcast_ref::<anchorsync_ad::file::FileError>()
                        .and_then(anchorsync_ad::file::FileError::hint)
                })
                .or_else(|| crate::commands::apply_hint(cause))
        })
        .collect()
}
