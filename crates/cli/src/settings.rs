//! The command's settings, resolved once when it starts (CONTRIBUTING.md): the configuration file read
//! and checked, and the data directory chosen. Commands receive one [`Settings`] and never read the
//! file or the environment for these again, so an error in the file is reported once, by the command
//! that needs it, and never ignored.

use std::path::Path;

use anchorsync_executor::{Needs, TargetSettings};
use anchorsync_graph::ClientSettings;

use crate::config::{self, Loaded};
use crate::data_dir::{DataDir, NoDataDir};

/// The configuration and the data directory.
#[derive(Debug)]
pub struct Settings {
    config: Loaded,
    data: Result<DataDir, NoDataDir>,
}

impl Settings {
    /// Reads `config` (else `$ANCHORSYNC_CONFIG`, else `anchorsync.toml` here when there is one) and
    /// chooses the data directory (`data_dir`, else the platform's). An unreadable or invalid
    /// configuration is an error here; a missing platform data directory is an error only for the
    /// commands that use it.
    pub fn resolve(config: Option<&Path>, data_dir: Option<&Path>) -> anyhow::Result<Self> {
        Ok(Self {
            config: config::load(config)?,
            data: DataDir::resolve(data_dir),
        })
    }

    /// The data directory.
    pub fn data(&self) -> Result<&DataDir, NoDataDir> {
        self.data.as_ref().map_err(|error| *error)
    }

    /// The `[ad]` section, its paths relative to the configuration's directory.
    pub fn ad(&self) -> anyhow::Result<anchorsync_ad::AdConfig> {
        self.config.ad()
    }

    /// The Graph client's settings (secrets loaded), with `graph_url` as the Graph root when given.
    pub fn graph(&self, graph_url: Option<&str>) -> anyhow::Result<ClientSettings> {
        let mut settings = self.config.graph_settings()?;
        if let Some(url) = graph_url {
            url.clone_into(&mut settings.graph_url);
        }
        Ok(settings)
    }

    /// The `[sync]` section, its defaults when there is none (checked when the file was read).
    pub fn sync(&self) -> anchorsync_core::sync::SyncSettings {
        self.config.config.sync.clone().unwrap_or_default()
    }

    /// The connections a run with these needs opens.
    pub fn targets(&self, needs: Needs) -> anyhow::Result<TargetSettings> {
        Ok(TargetSettings {
            ad: needs.ad.then(|| self.ad()).transpose()?,
            graph: needs.graph.then(|| self.graph(None)).transpose()?,
            ad_connections: Some(self.ad_connections()?),
        })
    }

    /// `[runs] ad_connections`: the LDAP connections a run opens.
    pub fn ad_connections(&self) -> anyhow::Result<usize> {
        Ok(self.config.runs()?.ad_connections()?)
    }

    /// How many users' steps a journaled run carries out at once: `flag` (`--concurrency`, already
    /// checked by clap) when given, else `[runs] concurrency`.
    pub fn concurrency(&self, flag: Option<u16>) -> anyhow::Result<usize> {
        let configured = self.config.runs()?.concurrency()?;
        Ok(flag.map_or(configured, usize::from))
    }
}
