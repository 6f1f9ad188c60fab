//! `[runs]` in `anchorsync.toml`: how a journaled run (`apply`, `undo`, `tenant matching`) writes.
//!
//! ```toml
//! [runs]
//! concurrency = 32      # users whose steps run at once; 1 runs one step at a time
//! ad_connections = 4    # LDAP connections to the domain controller for a run's reads and writes
//! ```

use serde::Deserialize;

use crate::run::DEFAULT_CONCURRENCY;
use crate::targets::ad::DEFAULT_AD_CONNECTIONS;

/// The most users whose steps may run at once.
pub const MAX_CONCURRENCY: usize = 256;
/// The most LDAP connections a run may open.
pub const MAX_AD_CONNECTIONS: usize = 16;

/// The `[runs]` section as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsConfig {
    /// Users whose steps run at once (1 to [`MAX_CONCURRENCY`], default [`DEFAULT_CONCURRENCY`]).
    pub concurrency: Option<usize>,
    /// LDAP connections to the domain controller (1 to [`MAX_AD_CONNECTIONS`], default
    /// [`DEFAULT_AD_CONNECTIONS`]).
    pub ad_connections: Option<usize>,
}

/// A `[runs]` value out of its range.
#[derive(Debug, thiserror::Error)]
#[error("`{key}` in `[runs]` must be from 1 to {max}, not {value}")]
pub struct RunsConfigError {
    /// The key.
    pub key: &'static str,
    /// What was given.
    pub value: usize,
    /// The largest value allowed.
    pub max: usize,
}

impl RunsConfig {
    /// Users whose steps run at once.
    pub fn concurrency(&self) -> Result<usize, RunsConfigError> {
        within(
            "concurrency",
            self.concurrency,
            DEFAULT_CONCURRENCY,
            MAX_CONCURRENCY,
        )
    }

    /// LDAP connections a run opens to the domain controller.
    pub fn ad_connections(&self) -> Result<usize, RunsConfigError> {
        within(
            "ad_connections",
            self.ad_connections,
            DEFAULT_AD_CONNECTIONS,
            MAX_AD_CONNECTIONS,
        )
    }
}

fn within(
    key: &'static str,
    value: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, RunsConfigError> {
    match value {
        None => Ok(default),
        Some(value) if (1..=max).contains(&value) => Ok(value),
        Some(value) => Err(RunsConfigError { key, value, max }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ranges() {
        let config = RunsConfig::default();
        assert_eq!(config.concurrency().unwrap(), DEFAULT_CONCURRENCY);
        assert_eq!(config.ad_connections().unwrap(), DEFAULT_AD_CONNECTIONS);
        let config = RunsConfig {
            concurrency: Some(0),
            ad_connections: Some(17),
        };
        assert_eq!(
            config.concurrency().unwrap_err().to_string(),
            "`concurrency` in `[runs]` must be from 1 to 256, not 0"
        );
        assert_eq!(
            config.ad_connections().unwrap_err().to_string(),
            "`ad_connections` in `[runs]` must be from 1 to 16, not 17"
        );
    }
}
