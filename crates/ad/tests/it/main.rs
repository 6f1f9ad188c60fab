//! anchorsync-ad against the real Samba AD DC of the test setup (`scripts/test.sh` starts it; see
//! `anchorsync_testkit`), and the offline readers.

// Tests fail by panicking: `clippy.toml` allows unwrap, expect, panic and indexing inside test
// functions, and this allows them in the helpers the tests share too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod delta;
mod export_csv;
mod file;
mod ldif_changes;
mod read;
mod sync_demo;
mod write;

use anchorsync_ad::{AdConfig, AdConnection};
use anchorsync_core::progress::NoProgress;
use anchorsync_core::secret::Secret;
use anchorsync_testkit::TestDirectory;

/// An `[ad]` configuration for the test DC, bound as the administrator, scoped to `base`.
pub fn config(directory: &TestDirectory, base: &str) -> AdConfig {
    let mut config = AdConfig::new(directory.url.clone(), directory.bind_dn.clone());
    config.password_file = Some(directory.password_file.clone());
    config.ca_file = Some(directory.ca_file.clone());
    config.base_dns = vec![base.to_owned()];
    config.page_size = 200;
    config
}

/// Connects with `config`, reading the password the way the command line does.
pub async fn connect(config: &AdConfig) -> AdConnection {
    let password = config.password().unwrap();
    AdConnection::connect(config, &password, &NoProgress)
        .await
        .unwrap()
}

/// Connects with an explicit password.
pub async fn connect_with(config: &AdConfig, password: &str) -> AdConnection {
    AdConnection::connect(config, &Secret::new(password), &NoProgress)
        .await
        .unwrap()
}
