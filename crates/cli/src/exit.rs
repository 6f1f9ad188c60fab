//! Exit statuses and the hints printed under an error.

use std::error::Error;
use std::process::ExitCode;

use anchorsync_core::hint::Hint;

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

/// Hints for an error: every error in the chain that knows how it could be fixed says so
/// ([`Hint`], implemented by each crate's errors).
pub fn hints_for_error(error: &anyhow::Error) -> Vec<String> {
    error
        .chain()
        .filter_map(|cause| HINTED.iter().find_map(|hint_of| hint_of(cause)))
        .collect()
}

/// The error types that implement [`Hint`]: a cause of any of these types gives its hint.
const HINTED: &[fn(&(dyn Error + 'static)) -> Option<String>] = &[
    hint_of::<anchorsync_core::convert::ConvertError>,
    hint_of::<anchorsync_ad::export_csv::CsvError>,
    // The CSV error inside a file error is transparent: the chain never lists it on its own.
    hint_of::<anchorsync_ad::file::FileError>,
    hint_of::<anchorsync_graph::GraphError>,
    hint_of::<anchorsync_graph::ConfigError>,
    hint_of::<anchorsync_executor::PlanError>,
    hint_of::<crate::sources::SourceError>,
];

/// The hint of `cause`, when it is an `E`.
fn hint_of<E: Hint + Error + 'static>(cause: &(dyn Error + 'static)) -> Option<String> {
    cause.downcast_ref::<E>().and_then(Hint::hint)
}
