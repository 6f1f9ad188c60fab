//! A bound connection to a domain controller, with failover between the configured servers, and the
//! paged read of the users in scope.

use std::sync::Arc;
use std::time::Duration;

use anchorsync_core::directory::DirectoryEntry;
use anchorsync_core::progress::Reporter;
use anchorsync_core::secret::Secret;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope};

use crate::Error;
use crate::config::{AdConfig, Transport};
use crate::dn::NormalizedDn;
use crate::entry::directory_entry;

/// LDAP result code 49: the credentials are wrong; trying another DC would only count more failures
/// against the account's lockout threshold.
const INVALID_CREDENTIALS: u32 = 49;

/// What the server's root DSE says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootDse {
    /// `defaultNamingContext`: the domain's DN.
    pub default_naming_context: String,
    /// `highestCommittedUSN`.
    pub highest_committed_usn: u64,
    /// `dsServiceName`: the DC's NTDS settings object, which identifies the DC.
    pub ds_service_name: String,
}

/// A connection bound to one domain controller.
pub struct AdConnection {
    pub(crate) ldap: Ldap,
    pub(crate) server: String,
    pub(crate) config: AdConfig,
}

impl std::fmt::Debug for AdConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdConnection")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl AdConnection {
    /// Connects and binds to the first server of `config.servers` that answers, in order. A wrong
    /// password stops at once rather than trying every DC.
    pub async fn connect(
        config: &AdConfig,
        password: &Secret,
        reporter: &dyn Reporter,
    ) -> Result<Self, Error> {
        let servers = config.validate()?;
        let tls = tls_config(config)?;
        if config.danger_skip_certificate_check {
            reporter.on_note(
                "warning: `[ad].danger_skip_certificate_check` is on: the domain controller's certificate \
                 is not checked, so anyone on the network path can read the bind password and the directory",
            );
        }
        let mut attempts = Vec::new();
        for (url, transport) in servers {
            match connect_one(config, &url, transport, tls.clone(), password).await {
                Ok(ldap) => {
                    return Ok(Self {
                        ldap,
                        server: url,
                        config: config.clone(),
                    });
                }
                Err(
                    error @ Error::Bind {
                        rc: INVALID_CREDENTIALS,
                        ..
                    },
                ) => return Err(error),
                Err(error) => {
                    reporter.on_note(&format!("`{url}` failed: {error}; trying the next server"));
                    attempts.push(error);
                }
            }
        }
        Err(Error::NoServer { attempts })
    }

    /// The URL of the server this connection is bound to.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The configuration the connection was made with.
    pub fn config(&self) -> &AdConfig {
        &self.config
    }

    /// Reads the root DSE.
    pub async fn root_dse(&mut self) -> Result<RootDse, Error> {
        let attributes = [
            "defaultNamingContext",
            "highestCommittedUSN",
            "dsServiceName",
        ];
        let timeout = self.config.operation_timeout();
        let (entries, _) = self
            .ldap
            .with_timeout(timeout)
            .search("", Scope::Base, "(objectClass=*)", attributes.to_vec())
            .await
            .and_then(ldap3::SearchResult::success)
            .map_err(|source| self.search_error("", source))?;
        let entry = entries
            .into_iter()
            .next()
            .map(directory_entry)
            .transpose()?
            .unwrap_or_default();
        let text = |name: &str| {
            entry
                .values(name)
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .unwrap_or_default()
        };
        Ok(RootDse {
            default_naming_context: text("defaultNamingContext"),
            highest_committed_usn: text("highestCommittedUSN").parse().unwrap_or(0),
            ds_service_name: text("dsServiceName"),
        })
    }

    /// The base DNs to read: the configured ones without those inside another, or the domain.
    pub(crate) async fn base_dns(&mut self) -> Result<Vec<String>, Error> {
        if self.config.base_dns.is_empty() {
            return Ok(vec![self.root_dse().await?.default_naming_context]);
        }
        let normalized: Vec<NormalizedDn> = self
            .config
            .base_dns
            .iter()
            .map(|dn| NormalizedDn::new(dn))
            .collect();
        let mut bases = Vec::new();
        for (index, (base, dn)) in self.config.base_dns.iter().zip(&normalized).enumerate() {
            // Inside another base (or a repeat of an earlier one): its users are read there already.
            let covered = normalized.iter().enumerate().any(|(other_index, other)| {
                other_index != index && dn.is_within(other) && (dn != other || other_index < index)
            });
            if !covered {
                bases.push(base.clone());
            }
        }
        Ok(bases)
    }

    /// The LDAP filter that selects the users in scope (without the excluded OUs, which are applied to
    /// the DNs read).
    pub fn scope_filter(&self) -> String {
        scope_filter(&self.config)
    }

    /// Whether a DN lies in an excluded OU.
    pub(crate) fn is_excluded(&self, dn: &str) -> bool {
        if self.config.exclude_ous.is_empty() {
            return false;
        }
        let dn = NormalizedDn::new(dn);
        self.config
            .exclude_ous
            .iter()
            .any(|ou| dn.is_within(&NormalizedDn::new(ou)))
    }

    /// Reads every user in scope with a paged search, all values as bytes, in the server's order.
    pub async fn read_users(
        &mut self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let filter = self.scope_filter();
        self.search_scope(&filter, reporter).await
    }

    /// Reads what `anchorsync lint` checks: every user in scope (as [`Self::read_users`] selects them),
    /// and every group and contact under the base DNs that holds `mail` or `proxyAddresses` (they share
    /// the address namespace with users in Entra). The configured filter and group narrow the users only.
    pub async fn read_lint_objects(
        &mut self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let filter = lint_filter(&self.config);
        self.search_scope(&filter, reporter).await
    }

    /// Reads every user in scope like [`Self::read_users`], handing each entry to `each` as it arrives
    /// instead of collecting them, so that a caller can keep a compact form.
    pub async fn read_users_each(
        &mut self,
        reporter: &dyn Reporter,
        mut each: impl FnMut(DirectoryEntry),
    ) -> Result<(), Error> {
        let filter = self.scope_filter();
        let attributes = self.config.read_attributes();
        let bases = self.base_dns().await?;
        let excluded: Vec<NormalizedDn> = self
            .config
            .exclude_ous
            .iter()
            .map(|ou| NormalizedDn::new(ou))
            .collect();
        reporter.on_start("reading AD", None);
        for base in bases {
            self.paged_search(&base, &filter, &attributes, |entry| {
                reporter.on_advance(1);
                let dn = NormalizedDn::new(&entry.dn);
                if !excluded.iter().any(|ou| dn.is_within(ou)) {
                    each(entry);
                }
            })
            .await?;
        }
        reporter.on_finish();
        Ok(())
    }

    /// Runs a paged search of `filter` in every base DN and returns the entries outside excluded OUs.
    pub(crate) async fn search_scope(
        &mut self,
        filter: &str,
        reporter: &dyn Reporter,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let attributes = self.config.read_attributes();
        let bases = self.base_dns().await?;
        reporter.on_start("reading AD", None);
        let mut users = Vec::new();
        for base in bases {
            self.paged_search(&base, filter, &attributes, |entry| {
                reporter.on_advance(1);
                users.push(entry);
            })
            .await?;
        }
        users.retain(|entry| !self.is_excluded(&entry.dn));
        reporter.on_finish();
        Ok(users)
    }

    /// One paged subtree search, each entry handed to `each` as it arrives.
    pub(crate) async fn paged_search(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[String],
        mut each: impl FnMut(DirectoryEntry),
    ) -> Result<(), Error> {
        let page_size = i32::try_from(self.config.page_size).unwrap_or(i32::MAX);
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(page_size)),
        ];
        let timeout = self.config.operation_timeout();
        let mut stream = self
            .ldap
            .with_timeout(timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attributes.to_vec())
            .await
            .map_err(|source| self.search_error(base, source))?;
        loop {
            match stream.next().await {
                Ok(Some(entry)) => each(directory_entry(entry)?),
                Ok(None) => break,
                Err(source) => {
                    let _ = stream.finish().await;
                    return Err(self.search_error(base, source));
                }
            }
        }
        let result = stream.finish().await;
        result
            .success()
            .map_err(|source| self.search_error(base, source))?;
        Ok(())
    }

    pub(crate) fn search_error(&self, base: &str, source: LdapError) -> Error {
        Error::Search {
            server: self.server.clone(),
            base: base.to_owned(),
            source: Box::new(source),
        }
    }

    /// Ends the session politely.
    pub async fn unbind(mut self) {
        let _ = self.ldap.unbind().await;
    }
}

/// The users of [`scope_filter`], or a group or contact holding `mail` or `proxyAddresses`.
pub fn lint_filter(config: &AdConfig) -> String {
    format!(
        "(|{}(&(objectClass=group)(|(mail=*)(proxyAddresses=*)))(&(objectClass=contact)(|(mail=*)(proxyAddresses=*))))",
        scope_filter(config)
    )
}

/// `(&(objectCategory=person)(objectClass=user)<filter><group>)`.
pub fn scope_filter(config: &AdConfig) -> String {
    let mut filter = String::from("(&(objectCategory=person)(objectClass=user)");
    if let Some(extra) = &config.filter {
        filter.push_str(extra.trim());
    }
    if let Some(group) = &config.group {
        filter.push_str("(memberOf:1.2.840.113556.1.4.1941:=");
        filter.push_str(&ldap3::ldap_escape(group.trim()));
        filter.push(')');
    }
    filter.push(')');
    filter
}

fn tls_config(config: &AdConfig) -> Result<Option<Arc<rustls::ClientConfig>>, Error> {
    use rustls_pki_types::pem::PemObject as _;
    let Some(path) = &config.ca_file else {
        return Ok(None);
    };
    let mut roots = rustls::RootCertStore::empty();
    let certificates =
        rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|source| Error::CaFile {
            path: path.clone(),
            reason: source.to_string(),
        })?;
    for certificate in certificates {
        let certificate = certificate.map_err(|source| Error::CaFile {
            path: path.clone(),
            reason: source.to_string(),
        })?;
        roots.add(certificate).map_err(|source| Error::CaFile {
            path: path.clone(),
            reason: source.to_string(),
        })?;
    }
    if roots.is_empty() {
        return Err(Error::CaFile {
            path: path.clone(),
            reason: "it holds no PEM certificate".to_owned(),
        });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|source| Error::CaFile {
            path: path.clone(),
            reason: source.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(tls)))
}

async fn connect_one(
    config: &AdConfig,
    url: &str,
    transport: Transport,
    tls: Option<Arc<rustls::ClientConfig>>,
    password: &Secret,
) -> Result<Ldap, Error> {
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(config.connect_timeout())
        .set_starttls(transport == Transport::StartTls)
        .set_no_tls_verify(config.danger_skip_certificate_check);
    if let Some(tls) = tls
        && !config.danger_skip_certificate_check
    {
        settings = settings.set_config(tls);
    }
    let connect_error = |source| Error::Connect {
        server: url.to_owned(),
        source: Box::new(source),
    };
    // The connect timeout covers TCP; the TLS handshake (and StartTLS) is bounded here too.
    let connecting = LdapConnAsync::with_settings(settings, url);
    let (conn, mut ldap) = tokio::time::timeout(config.connect_timeout(), connecting)
        .await
        .map_err(|elapsed| connect_error(LdapError::Timeout { elapsed }))?
        .map_err(connect_error)?;
    ldap3::drive!(conn);
    let result = ldap
        .with_timeout(config.connect_timeout().max(Duration::from_secs(1)))
        .simple_bind(&config.bind, password.expose())
        .await
        .map_err(connect_error)?;
    if result.rc != 0 {
        return Err(Error::Bind {
            server: url.to_owned(),
            bind: config.bind.clone(),
            rc: result.rc,
            text: result.text,
        });
    }
    Ok(ldap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_filter_escapes_the_group_dn_issue_3() {
        let mut config = AdConfig::new("ldaps://dc1", "svc");
        config.filter = Some("(department=Sales)".into());
        config.group = Some("CN=Sales (JP)\\, All,OU=Groups,DC=corp".into());
        assert_eq!(
            scope_filter(&config),
            "(&(objectCategory=person)(objectClass=user)(department=Sales)\
             (memberOf:1.2.840.113556.1.4.1941:=CN=Sales \\28JP\\29\\5c, All,OU=Groups,DC=corp))"
        );
        assert!(ldap3::parse_filter(scope_filter(&config)).is_ok());
    }

    #[test]
    fn the_lint_filter_adds_groups_and_contacts_that_hold_addresses_issue_16() {
        let mut config = AdConfig::new("ldaps://dc1", "svc");
        config.filter = Some("(department=Sales)".into());
        let filter = lint_filter(&config);
        assert!(
            filter.starts_with("(|(&(objectCategory=person)(objectClass=user)(department=Sales))")
        );
        assert!(filter.contains("(&(objectClass=contact)(|(mail=*)(proxyAddresses=*)))"));
        assert!(ldap3::parse_filter(filter).is_ok());
    }
}
