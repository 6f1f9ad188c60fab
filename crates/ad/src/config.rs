//! The `[ad]` section of `anchorsync.toml`: where the domain controllers are, how to bind, and which
//! users are in scope.
//!
//! ```toml
//! [ad]
//! servers = ["ldaps://dc1.corp.example.com", "ldaps://dc2.corp.example.com"]  # tried in order
//! bind = "svc-anchorsync@corp.example.com"      # a DN or a UPN
//! password_env = "ANCHORSYNC_AD_PASSWORD"       # or: password_file = "/etc/anchorsync/ad.password"
//! ca_file = "/etc/anchorsync/corp-ca.pem"       # PEM; without it, the system's trusted roots
//! base_dns = ["OU=Staff,DC=corp,DC=example,DC=com"]
//! filter = "(department=Sales)"                 # ANDed with the user filter
//! group = "CN=M365 Users,OU=Groups,DC=corp,DC=example,DC=com"  # nested membership counts
//! exclude_ous = ["OU=Service Accounts,OU=Staff,DC=corp,DC=example,DC=com"]
//! attributes = ["extensionAttribute1"]
//! anchor_attribute = "mS-DS-ConsistencyGuid"
//! page_size = 1000
//! ```
//!
//! Every key is documented on its field below and in the README. Secrets never appear in the file:
//! the password comes from an environment variable or a file.

use std::path::PathBuf;
use std::time::Duration;

use anchorsync_core::secret::Secret;

/// The `[ad]` section.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdConfig {
    /// Server URLs, tried in order until one accepts the connection and the bind: `ldaps://host[:port]`,
    /// or `ldap://host[:port]` with `starttls = true`.
    pub servers: Vec<String>,
    /// The account to bind as: a DN (`CN=svc,OU=Service,DC=corp,DC=example,DC=com`) or a UPN
    /// (`svc@corp.example.com`). Simple bind, always inside TLS unless `allow_plaintext`.
    pub bind: String,
    /// The environment variable holding the bind password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A file holding the bind password (one line; a final newline is ignored).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM file with the CA certificate(s) that sign the domain controllers' certificates. Without
    /// it, the operating system's trusted roots are used.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Use StartTLS on `ldap://` URLs.
    #[serde(default)]
    pub starttls: bool,
    /// Allow `ldap://` without StartTLS: the password and every attribute cross the network in clear
    /// text. Off unless set explicitly.
    #[serde(default)]
    pub allow_plaintext: bool,
    /// Accept any certificate the server presents, without checking who signed it or whom it names.
    /// Anyone on the network path can then read the password and the directory. For a lab only;
    /// anchorsync warns on every connection when this is on.
    #[serde(default)]
    pub danger_skip_certificate_check: bool,
    /// Seconds to wait for a TCP connection and TLS handshake, per server (default 10).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Seconds to wait for any one LDAP operation, such as one page of a search (default 120).
    #[serde(default = "default_operation_timeout")]
    pub operation_timeout_secs: u64,
    /// Subtrees to read users from. Empty: the whole domain (the server's `defaultNamingContext`).
    #[serde(default)]
    pub base_dns: Vec<String>,
    /// An LDAP filter users must also match, such as `(department=Sales)`; ANDed with
    /// `(&(objectCategory=person)(objectClass=user))`.
    #[serde(default)]
    pub filter: Option<String>,
    /// The DN of a group: only its members are in scope, including members of nested groups
    /// (LDAP_MATCHING_RULE_IN_CHAIN, 1.2.840.113556.1.4.1941).
    #[serde(default)]
    pub group: Option<String>,
    /// Subtrees left out of scope even when they lie under a base DN.
    #[serde(default)]
    pub exclude_ous: Vec<String>,
    /// Attributes to read besides the standard ones (`extensionAttribute1`, `employeeType`...).
    #[serde(default)]
    pub attributes: Vec<String>,
    /// The attribute that holds the sourceAnchor (default `mS-DS-ConsistencyGuid`); read always, and
    /// the one `apply` writes.
    #[serde(default = "default_anchor_attribute")]
    pub anchor_attribute: String,
    /// Entries per page of a paged search (default 1000, Active Directory's MaxPageSize).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_connect_timeout() -> u64 {
    10
}
fn default_operation_timeout() -> u64 {
    120
}
fn default_anchor_attribute() -> String {
    "mS-DS-ConsistencyGuid".to_owned()
}
fn default_page_size() -> u32 {
    1000
}

/// Why the `[ad]` section cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No server URL.
    #[error(
        "`[ad].servers` is empty: name at least one domain controller, such as `ldaps://dc1.corp.example.com`"
    )]
    NoServers,
    /// A server URL that is not `ldap://` or `ldaps://` with a host.
    #[error("`[ad].servers`: `{url}` is not an LDAP URL: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Plain `ldap://` without StartTLS and without `allow_plaintext`.
    #[error(
        "`[ad].servers`: `{url}` would send the password and the directory in clear text; use `ldaps://`, or set `starttls = true`, or (lab only) `allow_plaintext = true`"
    )]
    Plaintext {
        /// The URL.
        url: String,
    },
    /// Neither or both of `password_env` and `password_file`.
    #[error("`[ad]` needs exactly one of `password_env` and `password_file`")]
    PasswordSource,
    /// The password variable is unset or empty.
    #[error("the environment variable `{name}` named by `[ad].password_env` is not set")]
    PasswordEnv {
        /// The variable.
        name: String,
    },
    /// The password file cannot be read.
    #[error("cannot read the password file `{path}`")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The password file is empty.
    #[error("the password file `{path}` is empty")]
    EmptyPasswordFile {
        /// The file.
        path: PathBuf,
    },
    /// `filter` is not an LDAP filter.
    #[error(
        "`[ad].filter` is not an LDAP filter: `{filter}` (write it in parentheses, as `(department=Sales)`)"
    )]
    Filter {
        /// The filter.
        filter: String,
    },
    /// A page size of zero.
    #[error("`[ad].page_size` must be at least 1")]
    PageSize,
}

/// How a server URL is to be secured, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldaps://`.
    Ldaps,
    /// `ldap://` upgraded with StartTLS.
    StartTls,
    /// `ldap://` in clear text (explicitly allowed).
    Plaintext,
}

impl AdConfig {
    /// A configuration with one server and defaults for everything else.
    pub fn new(server: impl Into<String>, bind: impl Into<String>) -> Self {
        Self {
            servers: vec![server.into()],
            bind: bind.into(),
            password_env: None,
            password_file: None,
            ca_file: None,
            starttls: false,
            allow_plaintext: false,
            danger_skip_certificate_check: false,
            connect_timeout_secs: default_connect_timeout(),
            operation_timeout_secs: default_operation_timeout(),
            base_dns: Vec::new(),
            filter: None,
            group: None,
            exclude_ous: Vec::new(),
            attributes: Vec::new(),
            anchor_attribute: default_anchor_attribute(),
            page_size: default_page_size(),
        }
    }

    /// Checks everything that can be checked without a server: URLs and their transport, the
    /// password source, the filter, the page size.
    pub fn validate(&self) -> Result<Vec<(String, Transport)>, ConfigError> {
        if self.servers.is_empty() {
            return Err(ConfigError::NoServers);
        }
        if self.password_env.is_some() == self.password_file.is_some() {
            return Err(ConfigError::PasswordSource);
        }
        // Parenthesised, because it is ANDed into the user filter as it is.
        if let Some(filter) = &self.filter
            && (!filter.trim().starts_with('(')
                || !filter.trim().ends_with(')')
                || ldap3::parse_filter(filter.trim()).is_err())
        {
            return Err(ConfigError::Filter {
                filter: filter.clone(),
            });
        }
        if self.page_size == 0 {
            return Err(ConfigError::PageSize);
        }
        self.servers
            .iter()
            .map(|url| Ok((url.clone(), self.transport(url)?)))
            .collect()
    }

    fn transport(&self, url: &str) -> Result<Transport, ConfigError> {
        let bad = |reason: &str| ConfigError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected `ldaps://host` or `ldap://host`"))?;
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(bad("the host is missing"));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "ldaps" => Ok(Transport::Ldaps),
            "ldap" if self.starttls => Ok(Transport::StartTls),
            "ldap" if self.allow_plaintext => Ok(Transport::Plaintext),
            "ldap" => Err(ConfigError::Plaintext {
                url: url.to_owned(),
            }),
            _ => Err(bad("the scheme must be `ldaps` or `ldap`")),
        }
    }

    /// Reads the bind password from the configured variable or file.
    pub fn password(&self) -> Result<Secret, ConfigError> {
        match (&self.password_env, &self.password_file) {
            (Some(name), None) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                _ => Err(ConfigError::PasswordEnv { name: name.clone() }),
            },
            (None, Some(path)) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::PasswordFile {
                        path: path.clone(),
                        source,
                    })?;
                let password = text.strip_suffix('\n').unwrap_or(&text);
                let password = password.strip_suffix('\r').unwrap_or(password);
                if password.is_empty() {
                    return Err(ConfigError::EmptyPasswordFile { path: path.clone() });
                }
                Ok(Secret::new(password))
            }
            _ => Err(ConfigError::PasswordSource),
        }
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    /// The per-operation timeout.
    pub fn operation_timeout(&self) -> Duration {
        Duration::from_secs(self.operation_timeout_secs)
    }

    /// Every attribute a read asks for: the standard ones, the anchor attribute, the configured extras,
    /// without duplicates (compared case-insensitively), in that order.
    pub fn read_attributes(&self) -> Vec<String> {
        let mut attributes: Vec<String> = Vec::new();
        let standard = anchorsync_core::directory::STANDARD_ATTRIBUTES
            .iter()
            .copied();
        let configured = std::iter::once(self.anchor_attribute.as_str())
            .chain(self.attributes.iter().map(String::as_str));
        for name in standard.chain(configured) {
            if !attributes
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(name))
            {
                attributes.push(name.to_owned());
            }
        }
        attributes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> AdConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn plaintext_is_refused_unless_allowed_issue_3() {
        let mut ad = config(
            "servers = [\"ldap://dc1.corp.example.com\"]\nbind = \"svc@corp\"\npassword_env = \"P\"",
        );
        assert_eq!(
            ad.validate().unwrap_err().to_string(),
            "`[ad].servers`: `ldap://dc1.corp.example.com` would send the password and the directory in \
             clear text; use `ldaps://`, or set `starttls = true`, or (lab only) `allow_plaintext = true`"
        );
        ad.starttls = true;
        assert_eq!(ad.validate().unwrap()[0].1, Transport::StartTls);
        ad.starttls = false;
        ad.allow_plaintext = true;
        assert_eq!(ad.validate().unwrap()[0].1, Transport::Plaintext);
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let ad = config("servers = [\"ldaps://dc1\"]\nbind = \"svc@corp\"\npassword_file = \"/p\"");
        assert_eq!(ad.page_size, 1000);
        assert_eq!(ad.anchor_attribute, "mS-DS-ConsistencyGuid");
        assert_eq!(ad.validate().unwrap()[0].1, Transport::Ldaps);
        let error = toml::from_str::<AdConfig>(
            "servers = [\"ldaps://dc1\"]\nbind = \"svc\"\npasword_file = \"/p\"",
        )
        .unwrap_err();
        assert!(error.to_string().contains("pasword_file"), "{error}");
    }

    #[test]
    fn password_source_filter_and_url_are_checked() {
        let mut ad = AdConfig::new("ldaps://dc1", "svc");
        assert!(matches!(ad.validate(), Err(ConfigError::PasswordSource)));
        ad.password_env = Some("P".into());
        ad.filter = Some("department=Sales".into());
        assert!(matches!(ad.validate(), Err(ConfigError::Filter { .. })));
        ad.filter = Some("(department=Sales)".into());
        ad.servers = vec!["ldaps://".into()];
        assert!(matches!(ad.validate(), Err(ConfigError::BadUrl { .. })));
        ad.servers = vec!["https://dc1".into()];
        assert!(matches!(ad.validate(), Err(ConfigError::BadUrl { .. })));
    }

    #[test]
    fn read_attributes_include_anchor_and_extras_once() {
        let mut ad = AdConfig::new("ldaps://dc1", "svc");
        ad.anchor_attribute = "employeeID".into();
        ad.attributes = vec!["employeeType".into(), "MAIL".into()];
        let attributes = ad.read_attributes();
        assert_eq!(
            attributes.len(),
            anchorsync_core::directory::STANDARD_ATTRIBUTES.len() + 1
        );
        assert_eq!(attributes.last().unwrap(), "employeeType");
    }
}
