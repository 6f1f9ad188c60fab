//! `anchorsync`: the command line. It parses arguments, runs one command, and turns the outcome into an
//! exit status: 0 when everything is in order, 1 when differences or conflicts were found, 2 on an error.

mod args;
mod clock;
mod colour;
mod commands;
mod config;
mod csv_input;
mod data_dir;
mod exit;
mod hac;
// The run loop indexes rows it has just read by position; it moves to a library crate (issue 11),
// where the workspace's no-panic lints apply in full.
#[allow(clippy::indexing_slicing)]
mod journal;
mod mapping;
mod output;
mod progress;
mod settings;
mod sources;
mod step_list;

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anchorsync_core::wording::{printable, printable_lines};
use clap::{CommandFactory as _, FromArgMatches as _};

use crate::exit::{ExitStatus, hints_for_error};

/// mimalloc rather than glibc's malloc: a million-user plan builds and drops millions of small strings
/// on every core; mimalloc takes 18 times fewer page faults and 430 MB less memory for it
/// (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let parsed = args::Cli::command().try_get_matches().and_then(|matches| {
        let mut cli = args::Cli::from_arg_matches(&matches)?;
        cli.data_dir_from_env =
            matches.value_source("data_dir") == Some(clap::parser::ValueSource::EnvVariable);
        Ok(cli)
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with status 0, usage errors to stderr with 2.
            let _ = error.print();
            return if error.use_stderr() {
                ExitStatus::Error.into()
            } else {
                ExitStatus::Success.into()
            };
        }
    };
    init_logs();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitStatus::Success.into();
            }
            // Values from input (DNs, addresses, pasted identifiers) are in these messages: shown as
            // they read, Japanese included, but never a control character that could rewrite the
            // terminal or fake a line.
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {}", printable(&error.to_string()));
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {}", printable(&cause.to_string()));
            }
            for hint in hints_for_error(&error) {
                let _ = writeln!(stderr, "\nhint: {}", printable_lines(&hint));
            }
            ExitStatus::Error.into()
        }
    }
}

/// Logs go to stderr, filtered by `ANCHORSYNC_LOG` (`warn` by default; `debug` shows every Graph
/// request with its ids).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ANCHORSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// A closed stdout (`anchorsync ... | head`) is not an error worth reporting.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
