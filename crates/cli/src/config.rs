//! `anchorsync.toml`: one optional section per connection, each section's type owned by the crate
//! that uses it (`[ad]`: `anchorsync_ad::AdConfig`, `[graph]`: `anchorsync_graph::GraphConfig`,
//! `[runs]`: `anchorsync_executor::RunsConfig`).
//! Secrets are never in the file, only where to find them.
//!
//! The file is `--config FILE`, else `$ANCHORSYNC_CONFIG` (clap reads it into the same option), else
//! `anchorsync.toml` in the current directory when there is one. Relative paths inside it are
//! relative to its directory. Unknown sections and keys are errors, so a typo never silently falls
//! back to a default.

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
    /// `[ad]`: the domain controllers and the scope of users.
    #[serde(default)]
    pub ad: Option<anchorsync_ad::AdConfig>,
    /// `[graph]`: the Microsoft Graph client.
    #[serde(default)]
    pub graph: Option<GraphConfig>,
    /// `[runs]`: how journaled runs write (users at once, LDAP connections).
    #[serde(default)]
    pub runs: Option<anchorsync_executor::RunsConfig>,
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

    /// When no file was read, a section is missing because the whole file is: say where anchorsync
    /// looked and how to give it one, rather than blaming a section of a file that does not exist.
    fn ensure_file(&self, section: &str, needs: &str) -> anyhow::Result<()> {
        if self.path.is_some() {
            return Ok(());
        }
        let here = std::env::current_dir()
            .map(|dir| format!(" (`{}`)", dir.display()))
            .unwrap_or_default();
        bail!(
            "no configuration file: `{DEFAULT_FILE}` is not in the current directory{here}, and neither \
             `--config FILE` nor `ANCHORSYNC_CONFIG` names one. Create `{DEFAULT_FILE}` with a `{section}` \
             section ({needs}; see the README, section `{section}`), or name the file with `--config FILE`"
        );
    }

    /// The `[ad]` section with its file paths made relative to the configuration's directory, or an
    /// error saying where it is missing.
    pub fn ad(&self) -> anyhow::Result<anchorsync_ad::AdConfig> {
        self.ensure_file(
            "[ad]",
            "at least `servers`, `bind` and `password_env` or `password_file`",
        )?;
        let mut ad = self.config.ad.clone().with_context(|| {
            format!(
                "`{}` has no `[ad]` section: add one with at least `servers`, `bind` and `password_env` \
                 or `password_file` (see the README, section `[ad]`)",
                self.name()
            )
        })?;
        let base = self.base_dir();
        for path in [&mut ad.password_file, &mut ad.ca_file]
            .into_iter()
            .flatten()
        {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        Ok(ad)
    }

    /// The `[runs]` section (every value at its default when there is none).
    pub fn runs(&self) -> anyhow::Result<anchorsync_executor::RunsConfig> {
        let runs = self.config.runs.clone().unwrap_or_default();
        runs.concurrency()
            .and(runs.ad_connections())
            .with_context(|| format!("in the `[runs]` section of `{}`", self.name()))?;
        Ok(runs)
    }

    /// The Graph client's settings, secrets loaded.
    pub fn graph_settings(&self) -> anyhow::Result<ClientSettings> {
        self.ensure_file(
            "[graph]",
            "the tenant, the app registration and its credential",
        )?;
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

/// Reads `explicit`, or the default file when it exists; no file at all gives empty sections. A file
/// named explicitly must exist.
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
    if explicit.is_some() && !path.exists() {
        // clap reads `--config` and `ANCHORSYNC_CONFIG` into the same option; the command line wins.
        let named_by =
            if std::env::var_os("ANCHORSYNC_CONFIG").is_some_and(|env| path == Path::new(&env)) {
                "`ANCHORSYNC_CONFIG`"
            } else {
                "`--config`"
            };
        bail!(
            "the configuration file `{}` does not exist (named by {named_by}); create it, or name another \
             file with `--config FILE`",
            path.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the configuration `{}`", path.display()))?;
    let config: Config = toml::from_str(&text)
        .with_context(|| format!("the configuration `{}` is not valid", path.display()))?;
    Ok(Loaded {
        config,
        path: Some(path),
    })
}
