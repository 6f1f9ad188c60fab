//! `anchorsync.toml`: one optional section per connection (`[graph]` for Microsoft Graph; other
//! sections join as their connectors do). Secrets are never in the file, only where to find them.
//!
//! The file is `--config FILE`, else `$ANCHORSYNC_CONFIG`, else `anchorsync.toml` in the current
//! directory when there is one. Relative paths inside it are relative to its directory.

use std::path::{Path, PathBuf};

use anchorsync_graph::{ClientSettings, GraphConfig};
use anyhow::{Context as _, bail};
use serde::Deserialize;

/// The file's name when none is given.
pub const DEFAULT_FILE: &str = "anchorsync.toml";

/// The configuration file's sections.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[graph]`: the Microsoft Graph client.
    #[serde(default)]
    pub graph: Option<GraphConfig>,
}

/// A configuration and where it came from.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The sections.
    pub config: Config,
    /// The file, when one was read.
    pub path: Option<PathBuf>,
}

impl Loaded {
    /// The file's directory, against which relative paths are read.
    fn base_dir(&self) -> &Path {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn name(&self) -> String {
        self.path.as_deref().map_or_else(
            || DEFAULT_FILE.to_owned(),
            |path| path.display().to_string(),
        )
    }

    /// The Graph client's settings, secrets loaded.
    pub fn graph_settings(&self) -> anyhow::Result<ClientSettings> {
        let Some(graph) = &self.config.graph else {
            bail!(
                "no `[graph]` section in `{}`: anchorsync needs the tenant, the app registration and its credential \
                 (see the README, section `[graph]`)",
                self.name()
            );
        };
        graph
            .resolve(self.base_dir(), &|name| {
                std::env::var(name).ok().filter(|value| !value.is_empty())
            })
            .with_context(|| format!("in the `[graph]` section of `{}`", self.name()))
    }
}

/// Reads `explicit`, or the default file when it exists; no file at all gives empty sections.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Loaded> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => {
            let default = PathBuf::from(DEFAULT_FILE);
            if !default.exists() {
                return Ok(Loaded::default());
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the configuration `{}`", path.display()))?;
    let config: Config = toml::from_str(&text)
        .with_context(|| format!("the configuration `{}` is not valid", path.display()))?;
    Ok(Loaded {
        config,
        path: Some(path),
    })
}
