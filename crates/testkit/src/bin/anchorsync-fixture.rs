//! Prints the fixture directory as JSON for `scripts/samba-load-fixture.py`.
//!
//! `anchorsync-fixture [BULK_USERS]`: BULK_USERS users in `OU=Bulk` (default 1,500).

use std::io::Write as _;

use anchorsync_testkit::fixture::{DEFAULT_BULK_USERS, Fixture};

fn main() -> std::process::ExitCode {
    let bulk_users = match std::env::args().nth(1).map(|arg| arg.parse::<usize>()) {
        None => DEFAULT_BULK_USERS,
        Some(Ok(count)) => count,
        Some(Err(_)) => {
            eprintln!("usage: anchorsync-fixture [BULK_USERS]");
            return std::process::ExitCode::from(2);
        }
    };
    let json = Fixture::new(bulk_users).to_json();
    match std::io::stdout().lock().write_all(json.as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: writing the fixture: {error}");
            std::process::ExitCode::from(2)
        }
    }
}
