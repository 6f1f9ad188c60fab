//! `anchorsync.toml`: one optional field per section, each section's type owned by the crate that
//! uses it (`[ad]`: `anchorsync_ad::AdConfig`).
//!
//! The file is `--config FILE`, else `$ANCHORSYNC_CONFIG`, else `anchorsync.toml` in the current
//! directory. Unknown sections and keys are errors, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The whole configuration file.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[ad]`: the domain controllers and the scope of users.
    #[serde(default)]
    pub ad: Option<anchorsync_ad::AdConfig>,
}

/// The file used when none is named.
pub const DEFAULT_FILE: &str = "anchorsync.toml";

impl Config {
    /// Loads the named file, or `anchorsync.toml` when none is named; a missing default file is an
    /// empty configuration, a missing named one is an error.
    pub fn load(path: Option<&Path>) -> anyhow::Result<(Self, PathBuf)> {
        let (path, named) = match path {
            Some(path) => (path.to_owned(), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if !named && error.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::default(), path));
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read `{}`", path.display()));
            }
        };
        let config = toml::from_str(&text).with_context(|| {
            format!(
                "`{}` is not a valid anchorsync configuration",
                path.display()
            )
        })?;
        Ok((config, path))
    }

    /// The `[ad]` section, or an error saying where it is missing.
    pub fn ad(&self, path: &Path) -> anyhow::Result<&anchorsync_ad::AdConfig> {
        self.ad.as_ref().with_context(|| {
            format!(
                "`{}` has no `[ad]` section: add one with at least `servers`, `bind` and `password_env` \
                 or `password_file` (see the README)",
                path.display()
            )
        })
    }
}
