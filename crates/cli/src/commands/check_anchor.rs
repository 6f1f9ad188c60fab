//! `anchorsync check-anchor`: the sourceAnchor rules, value by value.

use std::io::Write as _;

use anchorsync_core::anchor::check_anchors;

use crate::args::{CheckAnchorArgs, OutputFormat};
use crate::exit::ExitStatus;

pub fn run(args: &CheckAnchorArgs) -> anyhow::Result<ExitStatus> {
    let checks = check_anchors(&args.values, args.source);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &checks)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => {
            for check in &checks {
                let verdict = if check.valid { "valid" } else { "INVALID" };
                writeln!(stdout, "{verdict:<8} {}", check.value)?;
                for error in &check.errors {
                    writeln!(stdout, "         error: {error}")?;
                }
                for warning in &check.warnings {
                    writeln!(stdout, "         warning: {warning}")?;
                }
            }
        }
    }
    Ok(if checks.iter().all(|check| check.valid) {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    })
}
