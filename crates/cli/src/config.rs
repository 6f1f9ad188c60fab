//! `anchorsync.toml`: one optional section per connection, each section's type owned by the crate
//! that uses it (`[ad]`: `anchorsync_ad::AdConfig`, `[graph]`: `anchorsync_graph::GraphConfig`,
//! `[sync]`: `anchorsync_core::sync::SyncSettings`, `[runs]`: `anchorsync_executor::RunsConfig`).
//! Secrets are never in the file, only where to find them.
//!
//! The file is `--config FILE`, else `$ANCHORSYNC_CONFIG` (clap reads it into the same option), else
//! `anchorsync.toml` in the current directory when there is one. Relative paths inside it are
//! relative to its directory. Unknown sections and keys are errors, so a typo never silently falls
//! back to a default.

use std::path::{Path, PathBuf};

use anchorsync_core::wording::excerpt;
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
    /// `[sync]`: what `anchorsync sync` does (leaving users, the deletion guard, the attribute flow).
    #[serde(default)]
    pub sync: Option<anchorsync_core::sync::SyncSettings>,
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

/// Why a configuration file is not valid, naming the line and key, never the value: the file holds
/// secrets (`client_secret`, a misspelt `pasword`), and `toml`'s own message quotes the line and the
/// value read (`invalid type: string "..."`).
fn invalid_config(path: &Path, text: &str, error: &toml::de::Error) -> anyhow::Error {
    let place = error.span().map(|span| {
        let start = span.start.min(text.len());
        let before = text.get(..start).unwrap_or_default();
        let line = before.bytes().filter(|byte| *byte == b'\n').count() + 1;
        // The key with its section (`[sync].max_deletions`), when the line is `key = value`.
        let key = key_at(text, start);
        (line, key.map(|key| excerpt(&key, 80).into_owned()))
    });
    let where_ = match place {
        Some((line, Some(key))) => format!(" line {line} (key `{key}`)"),
        Some((line, None)) => format!(" line {line}"),
        None => String::new(),
    };
    anyhow::anyhow!(
        "the configuration `{}`{where_} is not valid: {}",
        path.display(),
        without_values(error.message())
    )
}

/// `message` with every `"..."` (where serde and toml put the value they read) replaced by `"…"`, and
/// serde's `invalid type: integer `5`, expected ...` cut to the type read.
fn without_values(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(lead)
            && let Some((found, expected)) = rest.split_once(", expected")
        {
            let kind = found
                .split(['"', '`'])
                .next()
                .unwrap_or_default()
                .trim_end();
            return format!("{lead}{kind}, expected{}", first_line(expected));
        }
    }
    let mut shown = String::with_capacity(message.len());
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        shown.push_str(first);
    }
    let mut inside = true;
    for part in parts {
        shown.push('"');
        shown.push_str(if inside { "…" } else { part });
        inside = !inside;
    }
    first_line(&shown).to_owned()
}

/// The message's first line: the rest would be toml's excerpt of the file.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
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
    let config: Config =
        toml::from_str(&text).map_err(|error| invalid_config(&path, &text, &error))?;
    Ok(Loaded {
        config,
        path: Some(path),
    })
}

/// The key an error at byte `at` is about, with its section: `[sync].max_deletions`.
fn key_at(text: &str, at: usize) -> Option<String> {
    let before = text.get(..at)?;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = text.get(line_start..)?.lines().next().unwrap_or_default();
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty() && !key.starts_with('['));
    let section = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('[') && line.ends_with(']'));
    match (section, key) {
        (Some(section), Some(key)) => Some(format!("{section}.{key}")),
        (None, Some(key)) => Some(key.to_owned()),
        (Some(section), None) if line.trim() == section => Some(section.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        let error = toml::from_str::<Config>(text).unwrap_err();
        invalid_config(Path::new("anchorsync.toml"), text, &error).to_string()
    }

    #[test]
    fn a_malformed_sync_section_names_the_key_and_never_the_value_issue_14() {
        let text = "[graph]\ntenant_id = \"t\"\nclient_id = \"c\"\n\n[sync]\nleaving = \"disable\"\nmax_deletions = \"s3cr3t-value\"\n";
        let message = error_of(text);
        assert!(
            message.starts_with(
                "the configuration `anchorsync.toml` line 7 (key `[sync].max_deletions`) is not valid: "
            ),
            "{message}"
        );
        assert!(message.contains("invalid type: string"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");

        let message = error_of("[sync]\nclient_secret = \"hunter2\"\n");
        assert!(message.contains("`[sync].client_secret`"), "{message}");
        assert!(
            message.contains("unknown field `client_secret`"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");

        let message = error_of("[sync]\nmax_deletion_percent = 150\n");
        assert!(
            message.contains("`[sync].max_deletion_percent`"),
            "{message}"
        );
        assert!(message.contains("not a percentage"), "{message}");

        let message = error_of("[sync.attributes]\nmail = \"{mail|lowr}\"\n");
        assert!(message.contains("`[sync.attributes].mail`"), "{message}");
        assert!(message.contains("`lowr` is not a transform"), "{message}");
    }
}
