//! The twin's configuration: the tenant, the app registrations that may call it, throttling budgets,
//! fault injection and how strictly advanced queries are gated.
//!
//! In Rust, build a [`TwinConfig`] directly. On disk (`anchorsync twin serve --twin-config FILE`) it is
//! TOML; secrets never appear in it, only where to find them:
//!
//! ```toml
//! tenant_id = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
//! advanced_query = "strict"          # or "lenient"
//! replication_lag_seconds = 0        # > 0: a new user is 404 by id/UPN that long (eventual consistency)
//! # public_url = "https://twin.example:8400"   # the origin in the URLs the twin hands out
//! #                                            # (default: the address a connection came in on)
//!
//! [[clients]]
//! client_id = "11111111-2222-3333-4444-555555555555"
//! secret_env = "ANCHORSYNC_TWIN_CLIENT_SECRET"   # or secret_file = "secret.txt"
//! certificate_file = "app.pem"                   # optional: accept client assertions
//! permissions = ["User.ReadWrite.All", "Domain.Read.All",
//!                "RoleManagement.Read.Directory", "OnPremDirectorySynchronization.ReadWrite.All"]
//! directory_role = "User Administrator"          # optional: the service principal's role
//!
//! [throttling]
//! write_budget = 3000
//! write_window_seconds = 150
//! # resource_units = 8000                        # default: by tenant size (3,500 / 5,000 / 8,000)
//! resource_unit_window_seconds = 10
//!
//! [connections]
//! max_connections = 512              # one more is closed as soon as it is accepted
//! header_read_timeout_seconds = 10   # a connection that sends no complete request head this long
//!                                    # (idle keep-alive, slow sender, stalled TLS handshake) is cut
//!
//! [faults]
//! throttle_rate = 0.0      # share of requests answered 429
//! unavailable_rate = 0.0   # share of requests answered 503
//! retry_after_seconds = 1
//! latency_ms = 0           # before each request is handled, the requests of a batch one by one
//! response_latency_ms = 0  # after a request is handled (a write is applied), before its answer
//! seed = 1
//! fail_properties = []     # PATCH /users/{id} setting one of these is answered 500, changing nothing
//! lose_answers = []        # "POST /users": such requests are carried out, then the connection is cut
//! pad_answers = []         # "GET /users": such answers go on with `padding_bytes` blanks (no Content-Length)
//! padding_bytes = 0
//! ```
//!
//! **Response latency** is what a remote service's distance does to a client: every request below
//! `/v1.0` is answered that much later (a `$batch` call counts once, as Graph runs a batch's requests
//! side by side). `response_latency_ms` is a fixed delay; a table draws it from a distribution with
//! the dice of `seed`, the same delays in every run:
//!
//! ```toml
//! [faults.response_latency]
//! distribution = "lognormal"   # median_ms, p99_ms: half the answers below the median, 99 % below p99
//! median_ms = 100
//! p99_ms = 400
//! # distribution = "uniform", min_ms = 50, max_ms = 150
//! # distribution = "fixed", ms = 100
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anchorsync_core::secret::Secret;
use serde::Deserialize;

use crate::latency::Latency;

/// The permissions an anchorsync app registration is granted in a rehearsal tenant.
pub const STANDARD_PERMISSIONS: &[&str] = &[
    "User.ReadWrite.All",
    "Domain.Read.All",
    "RoleManagement.Read.Directory",
    "OnPremDirectorySynchronization.ReadWrite.All",
    "Group.Read.All",
    "OrgContact.Read.All",
];

/// Everything the twin needs besides the tenant's state.
#[derive(Debug, Clone)]
pub struct TwinConfig {
    /// The tenant id. When `None`, the snapshot's `onPremisesSynchronization.id` is used, else
    /// [`DEFAULT_TENANT_ID`].
    pub tenant_id: Option<String>,
    /// The app registrations that may get tokens.
    pub clients: Vec<AppClient>,
    /// Throttling budgets.
    pub throttling: Throttling,
    /// Random faults and latency.
    pub faults: Faults,
    /// How to read the documentation's conflicts about which filters need advanced queries.
    pub advanced_query: AdvancedQueryMode,
    /// `expires_in` of issued tokens (Entra: 3599 s).
    pub token_lifetime: Duration,
    /// Eventual consistency (<https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/>, off when zero): for this long after `POST /users`, the new
    /// user answers `404 Request_ResourceNotFound` to reads and writes by id or user principal name,
    /// as when a request reaches a replica the object has not reached yet. Lists are not delayed.
    pub replication_lag: Duration,
    /// The origin (`scheme://host:port`) of the URLs the twin hands out (`@odata.context`,
    /// `@odata.nextLink`), for a twin reached by a name its certificate holds. When `None`, the
    /// local address each connection came in on. Never the client's `Host` header.
    pub public_url: Option<String>,
    /// The HTTP server's connection limits.
    pub connections: Connections,
}

/// How many connections the twin's HTTP server holds, and how long it waits for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connections {
    /// Connections served at once (at least 1); one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// How long a connection may take to deliver a request's headers (and its TLS handshake), from
    /// when it opens or finished its previous answer: idle keep-alive connections and slow-loris
    /// senders are cut after it.
    pub header_read_timeout: Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// The tenant id used when neither the configuration nor the snapshot names one.
pub const DEFAULT_TENANT_ID: &str = "00000000-0000-4000-8000-00000000a5c0";

impl Default for TwinConfig {
    fn default() -> Self {
        Self {
            tenant_id: None,
            clients: Vec::new(),
            throttling: Throttling::default(),
            faults: Faults::default(),
            advanced_query: AdvancedQueryMode::default(),
            token_lifetime: Duration::from_secs(3599),
            replication_lag: Duration::ZERO,
            public_url: None,
            connections: Connections::default(),
        }
    }
}

impl TwinConfig {
    /// A configuration for `tenant_id` with no clients yet.
    pub fn new(tenant_id: impl Into<String>) -> Self {
        Self {
            tenant_id: Some(tenant_id.into()),
            ..Self::default()
        }
    }

    /// Adds an app registration.
    #[must_use]
    pub fn with_client(mut self, client: AppClient) -> Self {
        self.clients.push(client);
        self
    }

    /// Reads the TOML form. Relative file names are resolved against `base_dir`; secrets named by
    /// `secret_env` are looked up with `env` (pass `|name| std::env::var(name).ok()`).
    pub fn from_toml(
        text: &str,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|source| ConfigError::Toml {
            source: Box::new(source),
        })?;
        if file.faults.response_latency.is_some() && file.faults.response_latency_ms.is_some() {
            return Err(ConfigError::LatencyTwice);
        }
        let mut clients = Vec::with_capacity(file.clients.len());
        for client in file.clients {
            clients.push(client.resolve(base_dir, env)?);
        }
        Ok(Self {
            tenant_id: file.tenant_id,
            clients,
            throttling: file.throttling.into(),
            faults: file.faults.into(),
            advanced_query: file.advanced_query,
            token_lifetime: Duration::from_secs(file.token_lifetime_seconds.unwrap_or(3599)),
            replication_lag: seconds(file.replication_lag_seconds, Duration::ZERO),
            public_url: file.public_url,
            connections: file.connections.into(),
        })
    }
}

/// An app registration: how it proves who it is and what it may do.
#[derive(Debug, Clone)]
pub struct AppClient {
    /// The application (client) id.
    pub client_id: String,
    /// The client secret, when the app may use one.
    pub secret: Option<Secret>,
    /// PEM certificate(s) whose keys may sign client assertions.
    pub certificate_pem: Option<String>,
    /// Granted application permissions (the token's `roles`), e.g. `User.ReadWrite.All`.
    pub permissions: Vec<String>,
    /// The Entra directory role the app's service principal holds (display name or role template
    /// id), which decides whether it may change sensitive attributes of administrators.
    pub directory_role: Option<String>,
}

impl AppClient {
    /// An app that authenticates with a client secret and holds [`STANDARD_PERMISSIONS`].
    pub fn with_secret(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            secret: Some(Secret::new(secret)),
            certificate_pem: None,
            permissions: STANDARD_PERMISSIONS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            directory_role: None,
        }
    }

    /// An app that authenticates with a certificate and holds [`STANDARD_PERMISSIONS`].
    pub fn with_certificate(
        client_id: impl Into<String>,
        certificate_pem: impl Into<String>,
    ) -> Self {
        Self {
            certificate_pem: Some(certificate_pem.into()),
            secret: None,
            ..Self::with_secret(client_id, "")
        }
    }

    /// Replaces the granted application permissions.
    #[must_use]
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the directory role of the app's service principal.
    #[must_use]
    pub fn directory_role(mut self, role: impl Into<String>) -> Self {
        self.directory_role = Some(role.into());
        self
    }

    /// Also accepts client assertions signed by this certificate's key.
    #[must_use]
    pub fn certificate(mut self, certificate_pem: impl Into<String>) -> Self {
        self.certificate_pem = Some(certificate_pem.into());
        self
    }
}

/// Identity-service throttling (<https://learn.microsoft.com/graph/throttling-limits>).
#[derive(Debug, Clone, PartialEq)]
pub struct Throttling {
    /// Off: no budgets at all (fault injection still applies).
    pub enabled: bool,
    /// Writes per app and tenant per [`Throttling::write_window`] (Graph: 3,000).
    pub write_budget: u32,
    /// The write window (Graph: 150 s).
    pub write_window: Duration,
    /// Resource units per [`Throttling::resource_unit_window`]; `None` sizes it like Graph by the
    /// tenant's user count: 3,500 under 50 users, 5,000 up to 500, 8,000 above.
    pub resource_units: Option<u32>,
    /// The resource-unit window (Graph: 10 s).
    pub resource_unit_window: Duration,
}

impl Default for Throttling {
    fn default() -> Self {
        Self {
            enabled: true,
            write_budget: 3000,
            write_window: Duration::from_secs(150),
            resource_units: None,
            resource_unit_window: Duration::from_secs(10),
        }
    }
}

/// Faults injected at random into Graph requests (every inner request of a `$batch` rolls on its
/// own), reproducible from [`Faults::seed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Share (0..=1) of requests answered `429 TooManyRequests` although no budget is exhausted.
    pub throttle_rate: f64,
    /// Share (0..=1) of requests answered `503 serviceNotAvailable`.
    pub unavailable_rate: f64,
    /// `Retry-After` of injected faults, in seconds.
    pub retry_after_seconds: u64,
    /// Delay added before every Graph request is handled.
    pub latency: Duration,
    /// Delay added after a Graph request is handled, before its response leaves, fixed or drawn
    /// from a distribution (`latency.rs`): what a remote service's distance does to a client, and
    /// the moment a crashing client knows least about (a write is already applied while it waits).
    /// A `$batch` call is delayed once.
    pub response_latency: Latency,
    /// Seed of the fault dice.
    pub seed: u64,
    /// User properties whose `PATCH /users/{id}` is answered `500 generalException` and changes
    /// nothing, every time (not random): interrupts a sequence of writes at a chosen step, such as
    /// the federated-domain workaround between moving the UPN away and back.
    pub fail_properties: Vec<String>,
    /// Requests, written `METHOD /path` below `/v1.0` (`POST /users`, `DELETE /users`), that are
    /// carried out and whose answer is then lost: the connection is cut after the status line, every
    /// time (not random). A path also matches the paths below it. `$batch` calls match as
    /// `POST /$batch`; the requests inside a batch are not matched one by one.
    pub lose_answers: Vec<String>,
    /// Requests, written like [`Faults::lose_answers`], whose answer is followed by
    /// [`Faults::padding_bytes`] blanks, sent in chunks without `Content-Length`: one enormous page,
    /// for proving that a client caps what it reads.
    pub pad_answers: Vec<String>,
    /// How many blanks `pad_answers` adds (nothing when zero).
    pub padding_bytes: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            throttle_rate: 0.0,
            unavailable_rate: 0.0,
            retry_after_seconds: 1,
            latency: Duration::ZERO,
            response_latency: Latency::None,
            seed: 1,
            fail_properties: Vec::new(),
            lose_answers: Vec::new(),
            pad_answers: Vec::new(),
            padding_bytes: 0,
        }
    }
}

/// How to gate filters that the documentation disagrees about
/// (<https://learn.microsoft.com/graph/aad-advanced-queries>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdvancedQueryMode {
    /// Where the older and newer documentation disagree, require `ConsistencyLevel: eventual` and
    /// `$count=true` (the stricter reading). A client that passes here passes on Graph.
    #[default]
    Strict,
    /// Where they disagree, accept the filter without advanced query parameters.
    Lenient,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML did not parse or had unknown keys.
    #[error("the twin configuration is not valid TOML")]
    Toml {
        /// The parser's error, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A `secret_env` variable is not set.
    #[error("client `{client_id}`: environment variable `{variable}` is not set")]
    MissingSecretEnv {
        /// The client.
        client_id: String,
        /// The variable.
        variable: String,
    },
    /// A secret or certificate file could not be read.
    #[error("client `{client_id}`: cannot read `{path}`")]
    ReadFile {
        /// The client.
        client_id: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A fixed and a drawn response latency.
    #[error("give either `response_latency_ms` or `[faults.response_latency]`, not both")]
    LatencyTwice,
    /// Both or neither of `secret_env` and `secret_file`.
    #[error("client `{client_id}`: give at most one of `secret_env` and `secret_file`")]
    SecretTwice {
        /// The client.
        client_id: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    tenant_id: Option<String>,
    #[serde(default)]
    clients: Vec<ClientFile>,
    #[serde(default)]
    throttling: ThrottlingFile,
    #[serde(default)]
    faults: FaultsFile,
    #[serde(default)]
    advanced_query: AdvancedQueryMode,
    token_lifetime_seconds: Option<u64>,
    replication_lag_seconds: Option<f64>,
    public_url: Option<String>,
    #[serde(default)]
    connections: ConnectionsFile,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionsFile {
    max_connections: Option<usize>,
    header_read_timeout_seconds: Option<f64>,
}

impl From<ConnectionsFile> for Connections {
    fn from(file: ConnectionsFile) -> Self {
        let default = Self::default();
        Self {
            max_connections: file
                .max_connections
                .map_or(default.max_connections, |max| max.max(1)),
            header_read_timeout: seconds(
                file.header_read_timeout_seconds,
                default.header_read_timeout,
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    client_id: String,
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
    certificate_file: Option<PathBuf>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    directory_role: Option<String>,
}

impl ClientFile {
    fn resolve(
        self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AppClient, ConfigError> {
        let client_id = self.client_id;
        let read = |path: &Path| {
            let path = base_dir.join(path);
            std::fs::read_to_string(&path).map_err(|source| ConfigError::ReadFile {
                client_id: client_id.clone(),
                path,
                source,
            })
        };
        let secret = match (&self.secret_env, &self.secret_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::SecretTwice {
                    client_id: client_id.clone(),
                });
            }
            (Some(variable), None) => Some(Secret::new(env(variable).ok_or_else(|| {
                ConfigError::MissingSecretEnv {
                    client_id: client_id.clone(),
                    variable: variable.clone(),
                }
            })?)),
            // A trailing newline is how editors save a one-line file; it is not part of the secret.
            (None, Some(path)) => Some(Secret::new(read(path)?.trim_end_matches(['\r', '\n']))),
            (None, None) => None,
        };
        let certificate_pem = match &self.certificate_file {
            Some(path) => Some(read(path)?),
            None => None,
        };
        Ok(AppClient {
            client_id: client_id.clone(),
            secret,
            certificate_pem,
            permissions: self.permissions.unwrap_or_else(|| {
                STANDARD_PERMISSIONS
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect()
            }),
            directory_role: self.directory_role,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottlingFile {
    #[serde(default = "yes")]
    enabled: bool,
    write_budget: Option<u32>,
    write_window_seconds: Option<f64>,
    resource_units: Option<u32>,
    resource_unit_window_seconds: Option<f64>,
}

fn yes() -> bool {
    true
}

impl Default for ThrottlingFile {
    fn default() -> Self {
        Self {
            enabled: true,
            write_budget: None,
            write_window_seconds: None,
            resource_units: None,
            resource_unit_window_seconds: None,
        }
    }
}

fn seconds(value: Option<f64>, default: Duration) -> Duration {
    value
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(default)
}

impl From<ThrottlingFile> for Throttling {
    fn from(file: ThrottlingFile) -> Self {
        let default = Throttling::default();
        Self {
            enabled: file.enabled,
            write_budget: file.write_budget.unwrap_or(default.write_budget),
            write_window: seconds(file.write_window_seconds, default.write_window),
            resource_units: file.resource_units,
            resource_unit_window: seconds(
                file.resource_unit_window_seconds,
                default.resource_unit_window,
            ),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsFile {
    throttle_rate: Option<f64>,
    unavailable_rate: Option<f64>,
    retry_after_seconds: Option<u64>,
    latency_ms: Option<u64>,
    response_latency_ms: Option<u64>,
    response_latency: Option<LatencyFile>,
    seed: Option<u64>,
    #[serde(default)]
    fail_properties: Vec<String>,
    #[serde(default)]
    lose_answers: Vec<String>,
    #[serde(default)]
    pad_answers: Vec<String>,
    padding_bytes: Option<u64>,
}

/// `[faults.response_latency]`.
#[derive(Deserialize)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
enum LatencyFile {
    Fixed { ms: f64 },
    Uniform { min_ms: f64, max_ms: f64 },
    Lognormal { median_ms: f64, p99_ms: f64 },
}

fn millis(value: f64) -> Duration {
    if value.is_finite() && value > 0.0 {
        Duration::from_secs_f64(value.min(86_400_000.0) / 1000.0)
    } else {
        Duration::ZERO
    }
}

impl From<LatencyFile> for Latency {
    fn from(file: LatencyFile) -> Self {
        match file {
            LatencyFile::Fixed { ms } => Latency::Fixed(millis(ms)),
            LatencyFile::Uniform { min_ms, max_ms } => Latency::Uniform {
                min: millis(min_ms),
                max: millis(max_ms),
            },
            LatencyFile::Lognormal { median_ms, p99_ms } => Latency::LogNormal {
                median: millis(median_ms),
                p99: millis(p99_ms),
            },
        }
    }
}

impl From<FaultsFile> for Faults {
    fn from(file: FaultsFile) -> Self {
        let default = Faults::default();
        let rate = |value: Option<f64>| value.map(|r| r.clamp(0.0, 1.0)).unwrap_or(0.0);
        Self {
            throttle_rate: rate(file.throttle_rate),
            unavailable_rate: rate(file.unavailable_rate),
            retry_after_seconds: file
                .retry_after_seconds
                .unwrap_or(default.retry_after_seconds),
            latency: Duration::from_millis(file.latency_ms.unwrap_or(0)),
            response_latency: match (file.response_latency, file.response_latency_ms) {
                (Some(latency), _) => latency.into(),
                (None, Some(ms)) => Latency::Fixed(Duration::from_millis(ms)),
                (None, None) => Latency::None,
            },
            seed: file.seed.unwrap_or(default.seed),
            fail_properties: file.fail_properties,
            lose_answers: file.lose_answers,
            pad_answers: file.pad_answers,
            padding_bytes: file.padding_bytes.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_resolves_secrets_from_env_and_files() {
        let dir = std::env::temp_dir().join(format!("twin-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("secret.txt"), "file-secret\n").unwrap();
        let text = r#"
            tenant_id = "t"
            advanced_query = "lenient"
            replication_lag_seconds = 2.5
            [[clients]]
            client_id = "a"
            secret_env = "TWIN_SECRET"
            directory_role = "User Administrator"
            [[clients]]
            client_id = "b"
            secret_file = "secret.txt"
            permissions = ["User.Read.All"]
            [throttling]
            write_budget = 5
            write_window_seconds = 0.5
            [faults]
            throttle_rate = 0.25
            seed = 7
            lose_answers = ["POST /users"]
        "#;
        let env = |name: &str| (name == "TWIN_SECRET").then(|| "env-secret".to_owned());
        let config = TwinConfig::from_toml(text, &dir, &env).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(config.tenant_id.as_deref(), Some("t"));
        assert_eq!(config.advanced_query, AdvancedQueryMode::Lenient);
        assert_eq!(
            config.clients[0].secret.as_ref().unwrap().expose(),
            "env-secret"
        );
        assert_eq!(
            config.clients[0].permissions.len(),
            STANDARD_PERMISSIONS.len()
        );
        assert_eq!(
            config.clients[1].secret.as_ref().unwrap().expose(),
            "file-secret"
        );
        assert_eq!(config.clients[1].permissions, vec!["User.Read.All"]);
        assert_eq!(config.throttling.write_budget, 5);
        assert_eq!(config.throttling.write_window, Duration::from_millis(500));
        assert_eq!(config.faults.throttle_rate, 0.25);
        assert_eq!(config.faults.seed, 7);
        assert_eq!(config.faults.lose_answers, ["POST /users"]);
        assert_eq!(config.replication_lag, Duration::from_millis(2500));
        // The secret never reaches Debug output.
        assert!(!format!("{config:?}").contains("env-secret"));
    }

    #[test]
    fn missing_secret_env_names_client_and_variable() {
        let text = "[[clients]]\nclient_id = \"a\"\nsecret_env = \"NOPE\"\n";
        let error = TwinConfig::from_toml(text, Path::new("."), &|_| None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "client `a`: environment variable `NOPE` is not set"
        );
    }

    #[test]
    fn connection_limits_public_url_and_padding_are_read_issue_12() {
        let text = "public_url = \"https://twin.example:8443\"\n\
                    [connections]\nmax_connections = 8\nheader_read_timeout_seconds = 2.5\n\
                    [faults]\npad_answers = [\"GET /users\"]\npadding_bytes = 1048576\n";
        let config = TwinConfig::from_toml(text, Path::new("."), &|_| None).unwrap();
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://twin.example:8443")
        );
        assert_eq!(
            config.connections,
            Connections {
                max_connections: 8,
                header_read_timeout: Duration::from_millis(2_500),
            }
        );
        assert_eq!(config.faults.pad_answers, vec!["GET /users".to_owned()]);
        assert_eq!(config.faults.padding_bytes, 1 << 20);
        // Zero connections would serve nothing: at least one.
        let text = "[connections]\nmax_connections = 0\n";
        let config = TwinConfig::from_toml(text, Path::new("."), &|_| None).unwrap();
        assert_eq!(config.connections.max_connections, 1);
        let defaults = TwinConfig::from_toml("", Path::new("."), &|_| None).unwrap();
        assert_eq!(defaults.connections, Connections::default());
        assert_eq!(defaults.public_url, None);
    }

    #[test]
    fn response_latency_is_fixed_or_drawn() {
        let read = |text: &str| TwinConfig::from_toml(text, Path::new("."), &|_| None);
        let ms = Duration::from_millis;
        assert_eq!(
            read("[faults]\nresponse_latency_ms = 20\n")
                .unwrap()
                .faults
                .response_latency,
            Latency::Fixed(ms(20))
        );
        assert_eq!(
            read("[faults.response_latency]\ndistribution = \"lognormal\"\nmedian_ms = 100\np99_ms = 400\n")
                .unwrap()
                .faults
                .response_latency,
            Latency::LogNormal {
                median: ms(100),
                p99: ms(400)
            }
        );
        assert_eq!(
            read("[faults]\nseed = 3\nresponse_latency = { distribution = \"uniform\", min_ms = 50, max_ms = 150 }\n")
                .unwrap()
                .faults
                .response_latency,
            Latency::Uniform {
                min: ms(50),
                max: ms(150)
            }
        );
        assert_eq!(read("").unwrap().faults.response_latency, Latency::None);
        assert!(matches!(
            read("[faults.response_latency]\ndistribution = \"fixed\"\nmedian_ms = 100\n"),
            Err(ConfigError::Toml { .. })
        ));
        assert!(matches!(
            read(
                "[faults]\nresponse_latency_ms = 5\n[faults.response_latency]\ndistribution = \"fixed\"\nms = 5\n"
            ),
            Err(ConfigError::LatencyTwice)
        ));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = TwinConfig::from_toml("secret = \"x\"\n", Path::new("."), &|_| None);
        assert!(matches!(error, Err(ConfigError::Toml { .. })));
    }
}
