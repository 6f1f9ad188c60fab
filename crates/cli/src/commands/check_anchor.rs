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
            // The values are input, shown back: through the writer that escapes control characters.
            let mut text = crate::output::PrintableText::new(&mut stdout, false);
            for check in &checks {
                let verdict = if check.valid { "valid" } else { "INVALID" };
                writeln!(text, "{verdict:<8} {}", check.value)?;
                for error in &check.errors {
                    writeln!(text, "         error: {error}")?;
                }
                for warning in &check.warnings {
                    writeln!(text, "         warning: {warning}")?;
                }
            }
            text.flush()?;
        }
    }
    Ok(if checks.iter().all(|check| check.valid) {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    })
}
