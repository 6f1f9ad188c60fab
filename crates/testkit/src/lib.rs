//! Test support shared by every crate's tests (dev-only): where the test Samba AD DC is, the fixture
//! it was seeded with, and helpers for tests that need objects of their own.
//!
//! The DC is started by `scripts/test.sh` (the README's test command) or by hand with
//! `scripts/samba-dc.sh start`; both export its settings as `ANCHORSYNC_TEST_LDAP_*` variables. A test
//! that needs the DC calls [`TestDirectory::from_env`], which fails the test (never skips it) with a
//! message saying how to get one when the variables are missing.
//!
//! Tests that change the directory create their own OU with [`TestDirectory::unique_ou`] and work only
//! inside it, so tests run in parallel and the counts that read tests expect stay exact.

// A missing or broken test directory fails the test that asked for it, with a message saying how to
// start one: panicking is this crate's way of reporting.
#![allow(clippy::panic)]

pub mod fixture;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};

/// The variables `scripts/samba-dc.sh` writes into its env file.
pub const ENV_URL: &str = "ANCHORSYNC_TEST_LDAP_URL";
/// PEM file of the CA that signed the DC's certificate.
pub const ENV_CA: &str = "ANCHORSYNC_TEST_LDAP_CA";
/// Bind DN of the DC's administrator.
pub const ENV_BIND: &str = "ANCHORSYNC_TEST_LDAP_BIND";
/// File holding the administrator's password.
pub const ENV_PASSWORD_FILE: &str = "ANCHORSYNC_TEST_LDAP_PASSWORD_FILE";
/// The domain naming context.
pub const ENV_BASE: &str = "ANCHORSYNC_TEST_LDAP_BASE";
/// How many users `OU=Bulk` holds (the DC's seed size).
pub const ENV_BULK_USERS: &str = "ANCHORSYNC_TEST_LDAP_BULK_USERS";

const HOW_TO_GET_ONE: &str = "this test needs the test Samba AD DC. Run the whole suite with \
`scripts/test.sh` (as root on Debian 12: it installs Samba, starts a DC, runs the tests and stops it), \
or start a DC by hand with `sudo scripts/samba-dc.sh start`, then `source <the printed directory>/env` \
and run `cargo test --workspace` in the same shell";

/// The test DC, as the environment describes it.
#[derive(Debug, Clone)]
pub struct TestDirectory {
    /// `ldaps://127.x.y.z`.
    pub url: String,
    /// The CA file that verifies the DC's certificate.
    pub ca_file: PathBuf,
    /// The administrator's bind DN.
    pub bind_dn: String,
    /// The file holding the administrator's password.
    pub password_file: PathBuf,
    /// The administrator's password.
    pub password: String,
    /// The domain naming context (`DC=corp,DC=example,DC=com`).
    pub base: String,
    /// The fixture the DC was seeded with.
    pub fixture: fixture::Fixture,
}

impl TestDirectory {
    /// Reads the DC's settings from the environment, failing the test with directions when absent.
    pub fn from_env() -> Self {
        let var = |name: &str| -> String {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => value,
                _ => panic!("`{name}` is not set: {HOW_TO_GET_ONE}"),
            }
        };
        let password_file = PathBuf::from(var(ENV_PASSWORD_FILE));
        let password = std::fs::read_to_string(&password_file)
            .unwrap_or_else(|error| {
                panic!(
                    "cannot read `{}` ({error}): {HOW_TO_GET_ONE}",
                    password_file.display()
                )
            })
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        let bulk_users = std::env::var(ENV_BULK_USERS)
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(fixture::DEFAULT_BULK_USERS);
        let base = var(ENV_BASE);
        assert!(
            base.eq_ignore_ascii_case(fixture::DOMAIN_DN),
            "`{ENV_BASE}` is `{base}`, but the fixture lives in `{}`",
            fixture::DOMAIN_DN
        );
        Self {
            url: var(ENV_URL),
            ca_file: PathBuf::from(var(ENV_CA)),
            bind_dn: var(ENV_BIND),
            password_file,
            password,
            base,
            fixture: fixture::Fixture::new(bulk_users),
        }
    }

    /// A TLS configuration that trusts exactly the DC's CA.
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        use rustls_pki_types::pem::PemObject as _;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pki_types::CertificateDer::pem_file_iter(&self.ca_file)
            .unwrap_or_else(|error| panic!("reading `{}`: {error}", self.ca_file.display()))
        {
            roots
                .add(cert.unwrap_or_else(|error| panic!("reading the CA: {error}")))
                .unwrap_or_else(|error| panic!("adding the CA: {error}"));
        }
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|error| panic!("TLS versions: {error}"))
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }

    /// An LDAPS connection bound as the administrator, for arranging what a test needs.
    pub async fn admin(&self) -> Ldap {
        self.bind(&self.bind_dn, &self.password).await
    }

    /// An LDAPS connection bound as any account.
    pub async fn bind(&self, bind_dn: &str, password: &str) -> Ldap {
        let settings = LdapConnSettings::new()
            .set_config(self.tls_config())
            .set_conn_timeout(Duration::from_secs(10));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.url)
            .await
            .unwrap_or_else(|error| panic!("connecting to `{}`: {error}", self.url));
        ldap3::drive!(conn);
        ldap.simple_bind(bind_dn, password)
            .await
            .and_then(ldap3::LdapResult::success)
            .unwrap_or_else(|error| panic!("binding as `{bind_dn}`: {error}"));
        ldap
    }

    /// Creates a new, empty OU under `OU=Tests` of the domain, named after `purpose` and unique to
    /// this process and call, and returns its DN.
    pub async fn unique_ou(&self, ldap: &mut Ldap, purpose: &str) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let tests = format!("OU=Tests,{}", self.base);
        add_ignoring_existing(ldap, &tests, &[("objectClass", &["organizationalUnit"])]).await;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dn = format!(
            "OU={purpose}-{}-{n}-{},{tests}",
            std::process::id(),
            unique_suffix()
        );
        add(ldap, &dn, &[("objectClass", &["organizationalUnit"])]).await;
        dn
    }

    /// Creates a user `CN=<cn>` in `ou` with a few attributes and returns its DN. The
    /// sAMAccountName (unique in the whole domain, at most 20 characters) is `sam` shortened, with a
    /// suffix unique to this run, so tests can run again against the same DC.
    pub async fn add_user(&self, ldap: &mut Ldap, ou: &str, cn: &str, sam: &str) -> String {
        static USERS: AtomicU32 = AtomicU32::new(0);
        let n = USERS.fetch_add(1, Ordering::Relaxed);
        let prefix: String = sam
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect();
        let unique =
            (u128::from(std::process::id()) << 20 ^ unique_suffix() ^ u128::from(n)) as u32;
        let sam = format!("{prefix}-{unique:08x}");
        let sam = sam.as_str();
        let dn = format!("CN={cn},{ou}");
        let upn = format!("{sam}@corp.example.com");
        let smtp = format!("SMTP:{sam}@example.com");
        let uac = fixture::UAC_ENABLED.to_string();
        add(
            ldap,
            &dn,
            &[
                ("objectClass", &["user"]),
                ("sAMAccountName", &[sam]),
                ("userPrincipalName", &[&upn]),
                ("proxyAddresses", &[&smtp]),
                ("userAccountControl", &[&uac]),
            ],
        )
        .await;
        dn
    }

    /// Creates an enabled user with a password, for binding as someone without special rights.
    pub async fn add_user_with_password(
        &self,
        ldap: &mut Ldap,
        ou: &str,
        sam: &str,
        password: &str,
    ) -> String {
        let dn = self.add_user(ldap, ou, sam, sam).await;
        let quoted: Vec<u8> = format!("\"{password}\"")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        modify(
            ldap,
            &dn,
            vec![Mod::Replace(
                b"unicodePwd".to_vec(),
                HashSet::from([quoted]),
            )],
        )
        .await;
        modify(
            ldap,
            &dn,
            vec![Mod::Replace(
                b"userAccountControl".to_vec(),
                HashSet::from([b"512".to_vec()]),
            )],
        )
        .await;
        dn
    }

    /// The value of one attribute of one object as the administrator reads it (bytes).
    pub async fn read_values(&self, ldap: &mut Ldap, dn: &str, attribute: &str) -> Vec<Vec<u8>> {
        let (entries, _) = ldap
            .search(dn, Scope::Base, "(objectClass=*)", vec![attribute])
            .await
            .and_then(ldap3::SearchResult::success)
            .unwrap_or_else(|error| panic!("reading `{attribute}` of `{dn}`: {error}"));
        let mut values = Vec::new();
        for entry in entries {
            let entry = SearchEntry::construct(entry);
            for (name, found) in entry.bin_attrs.into_iter().chain(
                entry
                    .attrs
                    .into_iter()
                    .map(|(n, v)| (n, v.into_iter().map(String::into_bytes).collect())),
            ) {
                if name.eq_ignore_ascii_case(attribute) {
                    values.extend(found);
                }
            }
        }
        values
    }
}

/// Adds an object, failing the test on error.
pub async fn add(ldap: &mut Ldap, dn: &str, attributes: &[(&str, &[&str])]) {
    let attrs: Vec<(String, HashSet<String>)> = attributes
        .iter()
        .map(|(name, values)| {
            (
                (*name).to_owned(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect();
    ldap.add(dn, attrs)
        .await
        .and_then(ldap3::LdapResult::success)
        .unwrap_or_else(|error| panic!("adding `{dn}`: {error}"));
}

async fn add_ignoring_existing(ldap: &mut Ldap, dn: &str, attributes: &[(&str, &[&str])]) {
    let attrs: Vec<(String, HashSet<String>)> = attributes
        .iter()
        .map(|(name, values)| {
            (
                (*name).to_owned(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect();
    let result = ldap
        .add(dn, attrs)
        .await
        .unwrap_or_else(|error| panic!("adding `{dn}`: {error}"));
    // 68: entryAlreadyExists, when another test got there first.
    assert!(
        result.rc == 0 || result.rc == 68,
        "adding `{dn}`: {result:?}"
    );
}

/// Applies modifications to an object, failing the test on error.
pub async fn modify(ldap: &mut Ldap, dn: &str, mods: Vec<Mod<Vec<u8>>>) {
    ldap.modify(dn, mods)
        .await
        .and_then(ldap3::LdapResult::success)
        .unwrap_or_else(|error| panic!("modifying `{dn}`: {error}"));
}

/// Replaces one attribute's values with text, failing the test on error.
pub async fn replace_text(ldap: &mut Ldap, dn: &str, attribute: &str, values: &[&str]) {
    modify(
        ldap,
        dn,
        vec![Mod::Replace(
            attribute.as_bytes().to_vec(),
            values.iter().map(|v| v.as_bytes().to_vec()).collect(),
        )],
    )
    .await;
}

/// Replaces one attribute's values with bytes (none clears it), failing the test on error.
pub async fn replace_bytes(ldap: &mut Ldap, dn: &str, attribute: &str, values: &[&[u8]]) {
    modify(
        ldap,
        dn,
        vec![Mod::Replace(
            attribute.as_bytes().to_vec(),
            values.iter().map(|v| v.to_vec()).collect(),
        )],
    )
    .await;
}

fn unique_suffix() -> u128 {
    #[allow(clippy::disallowed_methods)] // a name, not a decision: only has to differ between runs
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() % 1_000_000_000)
}
