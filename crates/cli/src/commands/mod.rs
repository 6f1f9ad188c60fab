//! One module per command; `run` dispatches.

mod apply;
mod check_anchor;
mod convert;
// The demo indexes its own bundled data, whose shape it knows (the only indexing the binary does
// outside `journal`).
#[allow(clippy::indexing_slicing)]
mod demo;
mod generate;
pub(crate) mod plan;
mod runs;
mod snapshot;
mod tenant;
mod twin;
mod undo;
mod verify;

pub use apply::hint as apply_hint;

use crate::args::{Cli, Command};
use crate::exit::ExitStatus;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Convert(args) => convert::run(&args),
        Command::CheckAnchor(args) => check_anchor::run(&args),
        Command::Snapshot(args) => snapshot::run(&args, cli.config.as_deref()),
        Command::Plan(args) => plan::run(&args, cli.config.as_deref()),
        Command::Generate(args) => generate::run(&args),
        Command::Twin(command) => twin::run(command),
        Command::Verify(args) => verify::run(&args, cli.config.as_deref()),
        Command::Demo(args) => {
            let data_dir = cli.data_dir.as_deref().filter(|_| !cli.data_dir_from_env);
            demo::run(&args, data_dir)
        }
        Command::Apply(args) => apply::run(&args, cli.config.as_deref(), cli.data_dir.as_deref()),
        Command::Undo(args) => undo::run(&args, cli.config.as_deref(), cli.data_dir.as_deref()),
        Command::Runs(args) => runs::run(&args, cli.data_dir.as_deref()),
        Command::Tenant(command) => {
            tenant::run(&command, cli.config.as_deref(), cli.data_dir.as_deref())
        }
    }
}
