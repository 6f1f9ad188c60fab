//! The `[graph]` section of `anchorsync.toml`, and the settings a [`GraphClient`](crate::GraphClient)
//! is built from.
//!
//! ```toml
//! [graph]
//! tenant_id = "contoso.onmicrosoft.com"          # or the tenant's GUID
//! client_id = "11111111-2222-3333-4444-555555555555"
//! client_secret_env = "ANCHORSYNC_GRAPH_SECRET"  # or client_secret_file, or certificate_file
//! # certificate_file = "anchorsync.pfx"          # PEM (certificate + key) or PFX
//! # certificate_password_env = "ANCHORSYNC_PFX_PASSWORD"
//! # assertion_algorithm = "PS256"               # or "RS256" (x5t, SHA-1 thumbprint)
//! # authority = "https://login.microsoftonline.com"
//! # graph_url = "https://graph.microsoft.com/v1.0"
//! # ca_file = "corp-proxy-ca.pem"                # an extra trusted CA, added to the system's
//! # concurrency = 4
//! # max_response_mib = 64                        # the largest answer read; a larger one is an error
//! ```
//!
//! Secrets are never written in the file itself, only where to find them. Relative paths are read
//! relative to the directory of the configuration file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anchorsync_core::secret::Secret;
use serde::{Deserialize, Serialize};

use crate::credential::{AssertionAlgorithm, ClientCertificate, Credential, CredentialError};

/// Entra's public cloud authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Microsoft Graph v1.0 in the public cloud.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com/v1.0";
/// The client-credentials scope for Microsoft Graph.
pub const DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The `[graph]` section as written in `anchorsync.toml`. Every key is documented in the README.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphConfig {
    /// The tenant: its GUID or one of its verified domain names.
    pub tenant_id: String,
    /// The app registration's application (client) id.
    pub client_id: String,
    /// The Entra authority; the token URL is `{authority}/{tenant_id}/oauth2/v2.0/token`.
    #[serde(default)]
    pub authority: Option<String>,
    /// The whole token URL, when it does not follow the authority pattern.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The Graph base URL, version included.
    #[serde(default)]
    pub graph_url: Option<String>,
    /// The client-credentials scope (`https://graph.microsoft.com/.default`).
    #[serde(default)]
    pub scope: Option<String>,
    /// Environment variable holding the client secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// File holding the client secret (one line).
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Certificate for client assertions: PEM with the certificate and its private key, or PFX.
    #[serde(default)]
    pub certificate_file: Option<PathBuf>,
    /// Environment variable holding the PFX password.
    #[serde(default)]
    pub certificate_password_env: Option<String>,
    /// File holding the PFX password.
    #[serde(default)]
    pub certificate_password_file: Option<PathBuf>,
    /// How client assertions are signed: `PS256` with `x5t#S256` (default) or `RS256` with `x5t`.
    #[serde(default)]
    pub assertion_algorithm: AssertionAlgorithm,
    /// An extra CA certificate (PEM) trusted besides the system's, for a TLS-inspecting proxy or a
    /// test endpoint. Certificate verification always stays on.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds a whole request may take (default 100, Graph's own gateway timeout).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Seconds to establish a connection (default 10).
    #[serde(default)]
    pub connect_timeout_seconds: Option<u64>,
    /// Requests (or `$batch` calls) in flight at once (default 4).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Attempts for a request that meets 503, 504 or a network failure (default 6).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Times a request answered 429 is sent again after waiting `Retry-After` (default 50).
    #[serde(default)]
    pub max_throttle_retries: Option<u32>,
    /// First backoff delay when Graph gives no `Retry-After`, in milliseconds (default 500).
    #[serde(default)]
    pub retry_base_delay_ms: Option<u64>,
    /// Longest backoff delay when Graph gives no `Retry-After`, in seconds (default 60).
    #[serde(default)]
    pub retry_max_delay_seconds: Option<u64>,
    /// `$top` for listings, 1 to 999 (default 999).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The largest answer read, in MiB, 1 to 4096 (default 64): a larger one (a broken or hostile
    /// endpoint) fails the request instead of exhausting memory.
    #[serde(default)]
    pub max_response_mib: Option<u64>,
}

/// The default [`ClientSettings::max_response_bytes`]: 64 MiB, about 50 times a page of 999 users
/// with every property Graph sends by default.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Why the `[graph]` section cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No credential, or more than one.
    #[error(
        "`[graph]` needs exactly one of `client_secret_env`, `client_secret_file` and `certificate_file`"
    )]
    CredentialCount,
    /// A variable named in the file is not set.
    #[error("environment variable `{0}` (named in `[graph]`) is not set")]
    MissingEnv(String),
    /// A file named in the configuration could not be read.
    #[error("cannot read `{}`", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate could not be loaded.
    #[error("cannot use the certificate `{}`", .path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: CredentialError,
    },
    /// A URL is malformed or would send tokens in clear text.
    #[error("`{key}` = `{value}`: {reason}")]
    Url {
        /// The key.
        key: &'static str,
        /// The value.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A number outside its range.
    #[error("`{key}` must be {range}")]
    Range {
        /// The key.
        key: &'static str,
        /// The allowed range, in words.
        range: &'static str,
    },
    /// The extra CA file holds no usable certificate.
    #[error("`ca_file` `{}` holds no PEM certificate", .path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
    },
}

impl ConfigError {
    /// How to fix it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::CredentialCount => Some(
                "a certificate is the safer choice for production: `certificate_file = \"anchorsync.pem\"`".to_owned(),
            ),
            Self::MissingEnv(name) => Some(format!("export {name}=... before running anchorsync")),
            Self::Url { key, .. } => Some(format!(
                "`{key}` must be an https:// URL; plain http:// is accepted only for a twin on this machine (127.0.0.1, ::1, localhost)"
            )),
            Self::Certificate { source, .. } => source.hint(),
            _ => None,
        }
    }
}

impl anchorsync_core::hint::Hint for ConfigError {
    fn hint(&self) -> Option<String> {
        ConfigError::hint(self)
    }
}

/// Everything a [`GraphClient`](crate::GraphClient) needs, with secrets already loaded.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The tenant id or domain.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The token endpoint.
    pub token_url: String,
    /// The Graph base URL, version included, without a trailing slash.
    pub graph_url: String,
    /// The client-credentials scope.
    pub scope: String,
    /// The client secret or certificate.
    pub credential: Credential,
    /// Extra trusted CA certificates (PEM), added to the system's.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How failed requests are retried.
    pub retry: RetryPolicy,
    /// `$top` for listings.
    pub page_size: u32,
    /// The largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`]); a larger one fails
    /// the request with [`GraphError::ResponseTooLarge`](crate::GraphError::ResponseTooLarge).
    pub max_response_bytes: u64,
}

impl ClientSettings {
    /// Settings for the public cloud with every default.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        credential: Credential,
    ) -> Self {
        let tenant_id = tenant_id.into();
        Self {
            token_url: token_url(DEFAULT_AUTHORITY, &tenant_id),
            tenant_id,
            client_id: client_id.into(),
            graph_url: DEFAULT_GRAPH_URL.to_owned(),
            scope: DEFAULT_SCOPE.to_owned(),
            credential,
            extra_ca_pem: None,
            timeout: Duration::from_secs(100),
            connect_timeout: Duration::from_secs(10),
            concurrency: 4,
            retry: RetryPolicy::default(),
            page_size: 999,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Points the client at another authority and Graph endpoint (a national cloud, or a twin at
    /// `http://127.0.0.1:PORT` with Graph under `/v1.0`).
    #[must_use]
    pub fn endpoints(mut self, authority: &str, graph_url: &str) -> Self {
        self.token_url = token_url(authority, &self.tenant_id);
        self.graph_url = graph_url.trim_end_matches('/').to_owned();
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how many requests may be in flight at once (at least 1).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets `$top` for listings (1 to 999).
    #[must_use]
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, 999);
        self
    }

    /// Sets the largest response body read (at least 1 byte).
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes.max(1);
        self
    }
}

fn token_url(authority: &str, tenant_id: &str) -> String {
    format!(
        "{}/{}/oauth2/v2.0/token",
        authority.trim_end_matches('/'),
        tenant_id
    )
}

/// How the client retries. 429 answers are always retried after `Retry-After` (Graph refused the
/// request without doing it), up to [`RetryPolicy::max_throttle_retries`] times; 503, 504 and network
/// failures up to [`RetryPolicy::max_attempts`] attempts in all, after `Retry-After` or a jittered
/// exponential backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all for 503, 504 and network failures.
    pub max_attempts: u32,
    /// Retries after 429.
    pub max_throttle_retries: u32,
    /// The first backoff delay when there is no `Retry-After`.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_throttle_retries: 50,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl GraphConfig {
    /// A section for `tenant_id` and `client_id` with every other key unset.
    pub fn new(tenant_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            authority: None,
            token_url: None,
            graph_url: None,
            scope: None,
            client_secret_env: None,
            client_secret_file: None,
            certificate_file: None,
            certificate_password_env: None,
            certificate_password_file: None,
            assertion_algorithm: AssertionAlgorithm::default(),
            ca_file: None,
            timeout_seconds: None,
            connect_timeout_seconds: None,
            concurrency: None,
            max_attempts: None,
            max_throttle_retries: None,
            retry_base_delay_ms: None,
            retry_max_delay_seconds: None,
            page_size: None,
            max_response_mib: None,
        }
    }

    /// Loads the secrets and certificate the section names and checks every value. Relative paths
    /// are resolved against `base_dir`; variables are looked up with `env` (pass
    /// `|name| std::env::var(name).ok()`).
    pub fn resolve(
        &self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ClientSettings, ConfigError> {
        let read = |path: &Path| {
            let path = base_dir.join(path);
            std::fs::read(&path).map_err(|source| ConfigError::ReadFile { path, source })
        };
        let read_secret = |path: &Path| -> Result<Secret, ConfigError> {
            let bytes = read(path)?;
            // Editors end a one-line file with a newline; it is not part of the secret.
            Ok(Secret::new(
                String::from_utf8_lossy(&bytes).trim_end_matches(['\r', '\n']),
            ))
        };
        let from_env = |name: &String| {
            env(name)
                .map(Secret::new)
                .ok_or_else(|| ConfigError::MissingEnv(name.clone()))
        };
        let credential = match (
            &self.client_secret_env,
            &self.client_secret_file,
            &self.certificate_file,
        ) {
            (Some(name), None, None) => Credential::Secret(from_env(name)?),
            (None, Some(path), None) => Credential::Secret(read_secret(path)?),
            (None, None, Some(path)) => {
                let password = match (
                    &self.certificate_password_env,
                    &self.certificate_password_file,
                ) {
                    (Some(name), _) => Some(from_env(name)?),
                    (None, Some(path)) => Some(read_secret(path)?),
                    (None, None) => None,
                };
                let bytes = read(path)?;
                let certificate = ClientCertificate::from_bytes(
                    &bytes,
                    password.as_ref(),
                    self.assertion_algorithm,
                )
                .map_err(|source| ConfigError::Certificate {
                    path: base_dir.join(path),
                    source,
                })?;
                Credential::Certificate(Box::new(certificate))
            }
            _ => return Err(ConfigError::CredentialCount),
        };
        let authority = self.authority.as_deref().unwrap_or(DEFAULT_AUTHORITY);
        check_url("authority", authority)?;
        let token_url = match &self.token_url {
            Some(url) => {
                check_url("token_url", url)?;
                url.clone()
            }
            None => token_url(authority, &self.tenant_id),
        };
        let graph_url = self.graph_url.as_deref().unwrap_or(DEFAULT_GRAPH_URL);
        check_url("graph_url", graph_url)?;
        let extra_ca_pem = match &self.ca_file {
            Some(path) => {
                let pem = read(path)?;
                if reqwest::Certificate::from_pem_bundle(&pem).map_or(true, |c| c.is_empty()) {
                    return Err(ConfigError::CaFile {
                        path: base_dir.join(path),
                    });
                }
                Some(pem)
            }
            None => None,
        };
        let concurrency = self.concurrency.unwrap_or(4);
        if !(1..=64).contains(&concurrency) {
            return Err(ConfigError::Range {
                key: "concurrency",
                range: "between 1 and 64",
            });
        }
        let page_size = self.page_size.unwrap_or(999);
        if !(1..=999).contains(&page_size) {
            return Err(ConfigError::Range {
                key: "page_size",
                range: "between 1 and 999",
            });
        }
        let max_response_mib = self
            .max_response_mib
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES >> 20);
        if !(1..=4096).contains(&max_response_mib) {
            return Err(ConfigError::Range {
                key: "max_response_mib",
                range: "between 1 and 4096",
            });
        }
        let max_attempts = self.max_attempts.unwrap_or(6);
        if max_attempts == 0 {
            return Err(ConfigError::Range {
                key: "max_attempts",
                range: "at least 1",
            });
        }
        let defaults = RetryPolicy::default();
        Ok(ClientSettings {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            token_url,
            graph_url: graph_url.trim_end_matches('/').to_owned(),
            scope: self
                .scope
                .clone()
                .unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
            credential,
            extra_ca_pem,
            timeout: Duration::from_secs(self.timeout_seconds.unwrap_or(100).max(1)),
            connect_timeout: Duration::from_secs(self.connect_timeout_seconds.unwrap_or(10).max(1)),
            concurrency,
            retry: RetryPolicy {
                max_attempts,
                max_throttle_retries: self
                    .max_throttle_retries
                    .unwrap_or(defaults.max_throttle_retries),
                base_delay: self
                    .retry_base_delay_ms
                    .map_or(defaults.base_delay, Duration::from_millis),
                max_delay: self
                    .retry_max_delay_seconds
                    .map_or(defaults.max_delay, Duration::from_secs),
            },
            page_size,
            max_response_bytes: max_response_mib << 20,
        })
    }
}

/// `https://` anywhere; `http://` only to this machine, where a twin listens: a bearer token must
/// never cross a network in clear text.
fn check_url(key: &'static str, value: &str) -> Result<(), ConfigError> {
    let error = |reason| ConfigError::Url {
        key,
        value: value.to_owned(),
        reason,
    };
    let url = reqwest::Url::parse(value).map_err(|_| error("not a URL"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(error("plain http would send tokens in clear text")),
        _ => Err(error("only https:// URLs are supported")),
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> GraphConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn secret_from_env_and_defaults() {
        let config = section(
            "tenant_id = \"contoso.onmicrosoft.com\"\nclient_id = \"app\"\nclient_secret_env = \"S\"\n",
        );
        let settings = config
            .resolve(Path::new("."), &|name| {
                (name == "S").then(|| "hunter2".to_owned())
            })
            .unwrap();
        assert_eq!(
            settings.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(settings.graph_url, DEFAULT_GRAPH_URL);
        assert_eq!(settings.scope, DEFAULT_SCOPE);
        assert_eq!(settings.concurrency, 4);
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn exactly_one_credential() {
        let config = section("tenant_id = \"t\"\nclient_id = \"a\"\n");
        assert!(matches!(
            config.resolve(Path::new("."), &|_| None),
            Err(ConfigError::CredentialCount)
        ));
        let config = section(
            "tenant_id = \"t\"\nclient_id = \"a\"\nclient_secret_env = \"S\"\ncertificate_file = \"c.pem\"\n",
        );
        assert!(matches!(
            config.resolve(Path::new("."), &|_| Some("x".into())),
            Err(ConfigError::CredentialCount)
        ));
    }

    #[test]
    fn missing_env_is_named() {
        let config =
            section("tenant_id = \"t\"\nclient_id = \"a\"\nclient_secret_env = \"NOPE\"\n");
        let error = config.resolve(Path::new("."), &|_| None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable `NOPE` (named in `[graph]`) is not set"
        );
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(check_url("graph_url", "http://127.0.0.1:8080/v1.0").is_ok());
        assert!(check_url("graph_url", "http://[::1]:8080/v1.0").is_ok());
        assert!(check_url("graph_url", "http://localhost/v1.0").is_ok());
        let error = check_url("graph_url", "http://graph.example.com/v1.0").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`graph_url` = `http://graph.example.com/v1.0`: plain http would send tokens in clear text"
        );
        assert!(check_url("graph_url", "ftp://x").is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let result: Result<GraphConfig, _> =
            toml::from_str("tenant_id = \"t\"\nclient_id = \"a\"\nclient_secret = \"inline\"\n");
        assert!(result.is_err());
    }
}
