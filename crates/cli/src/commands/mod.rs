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

use crate::args::{Cli, Command};
use crate::exit::ExitStatus;
use crate::settings::Settings;

/// Runs the command the user asked for. The commands that read the configuration or the data
/// directory get them resolved once, here.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let settings = || Settings::resolve(cli.config.as_deref(), cli.data_dir.as_deref());
    match cli.command {
        Command::Convert(args) => convert::run(&args),
        Command::CheckAnchor(args) => check_anchor::run(&args),
        Command::Snapshot(args) => snapshot::run(&args, &settings()?),
        Command::Plan(args) => plan::run(&args, &settings()?),
        Command::Generate(args) => generate::run(&args),
        Command::Twin(command) => twin::run(command),
        Command::Verify(args) => verify::run(&args, &settings()?),
        Command::Demo(args) => {
            let data_dir = cli.data_dir.as_deref().filter(|_| !cli.data_dir_from_env);
            demo::run(&args, data_dir)
        }
        Command::Apply(args) => apply::run(&args, &settings()?),
        Command::Undo(args) => undo::run(&args, &settings()?),
        Command::Runs(args) => runs::run(&args, &settings()?),
        Command::Tenant(command) => tenant::run(&command, &settings()?),
    }
}
