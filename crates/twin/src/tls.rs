//! HTTPS for the twin: the certificate it presents ([`TlsIdentity`]: from PEM files, or a throwaway
//! CA and a `localhost` certificate made at start-up) and the rustls configuration the accept loop
//! (`connections.rs`) completes handshakes with.
//!
//! Microsoft's client libraries (MSAL, azure-identity) refuse an authority that is not `https`, so a
//! twin that such a script can be pointed at must speak TLS, and the script must trust the twin's
//! certificate: the throwaway CA is handed out as PEM ([`TlsIdentity::ca_pem`]) for
//! `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE` or anchorsync's own `ca_file`. Nothing here, nor in any
//! client the project configures, switches certificate verification off.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How long the throwaway certificates are valid, from a day before they were made.
const THROWAWAY_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);
const ONE_DAY: Duration = Duration::from_secs(24 * 3600);

/// Why the twin cannot serve HTTPS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate file holds no PEM `CERTIFICATE` block, or a malformed one.
    #[error("`{what}` holds no PEM certificate")]
    Certificate {
        /// The file, or "the certificate text".
        what: String,
        /// The PEM reader's complaint, when it had one.
        #[source]
        source: Option<rustls_pki_types::pem::Error>,
    },
    /// The key file holds no PEM private key (PKCS#8, PKCS#1 or SEC1), or a malformed one.
    #[error("`{what}` holds no PEM private key")]
    Key {
        /// The file, or "the key text".
        what: String,
        /// The PEM reader's complaint.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// rustls refused the certificate and key (a key that does not match, an unsupported key).
    #[error("the certificate and key cannot be used for TLS")]
    Rustls(#[source] rustls::Error),
    /// The throwaway CA or certificate could not be made.
    #[error("cannot make the throwaway TLS certificate")]
    Generate(#[source] rcgen::Error),
}

/// The certificate chain and key the twin presents over HTTPS.
pub struct TlsIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca_pem: Option<String>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certificates", &self.chain.len())
            .field("throwaway_ca", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl Clone for TlsIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            ca_pem: self.ca_pem.clone(),
        }
    }
}

impl TlsIdentity {
    /// A throwaway CA (made now, its key dropped as soon as it has signed) and a certificate it
    /// signed for `localhost`, `127.0.0.1` and `::1`, valid from a day before `now` for 30 days.
    /// Clients trust [`TlsIdentity::ca_pem`].
    pub fn throwaway(now: SystemTime) -> Result<Self, TlsError> {
        let not_before = time::OffsetDateTime::from(now - ONE_DAY);
        let not_after = time::OffsetDateTime::from(now + THROWAWAY_VALIDITY);
        let ca_key = rcgen::KeyPair::generate().map_err(TlsError::Generate)?;
        let mut ca = rcgen::CertificateParams::default();
        ca.distinguished_name = rcgen::DistinguishedName::new();
        ca.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!(
                "anchorsync twin throwaway CA {}",
                uuid::Uuid::new_v4().simple()
            ),
        );
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca.not_before = not_before;
        ca.not_after = not_after;
        let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).map_err(TlsError::Generate)?;

        let server_key = rcgen::KeyPair::generate().map_err(TlsError::Generate)?;
        let mut server = rcgen::CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])
        .map_err(TlsError::Generate)?;
        server.distinguished_name = rcgen::DistinguishedName::new();
        server
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        server.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        // Python 3.13's default strict verification wants the authority key identifier.
        server.use_authority_key_identifier_extension = true;
        server.not_before = not_before;
        server.not_after = not_after;
        let certificate = server
            .signed_by(&server_key, &ca)
            .map_err(TlsError::Generate)?;
        let key = PrivateKeyDer::try_from(server_key.serialize_der())
            .map_err(|_| TlsError::Generate(rcgen::Error::CouldNotParseKeyPair))?;
        Ok(Self {
            chain: vec![certificate.der().clone()],
            key,
            ca_pem: Some(ca.pem()),
        })
    }

    /// A certificate chain (PEM, the server's certificate first) and its private key (PEM: PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem(certificate_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        Self::parse(
            certificate_pem,
            key_pem,
            "the certificate text",
            "the key text",
        )
    }

    /// [`TlsIdentity::from_pem`] from files.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::parse(
            &read(certificate)?,
            &read(key)?,
            &certificate.display().to_string(),
            &key.display().to_string(),
        )
    }

    fn parse(
        certificate_pem: &[u8],
        key_pem: &[u8],
        certificate_name: &str,
        key_name: &str,
    ) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(certificate_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TlsError::Certificate {
                what: certificate_name.to_owned(),
                source: Some(source),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Certificate {
                what: certificate_name.to_owned(),
                source: None,
            });
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|source| TlsError::Key {
            what: key_name.to_owned(),
            source,
        })?;
        let identity = Self {
            chain,
            key,
            ca_pem: None,
        };
        // Refuse a key that does not belong to the certificate now, not at the first handshake.
        identity.server_config()?;
        Ok(identity)
    }

    /// The throwaway CA's certificate (PEM) that clients must trust; `None` for files.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// rustls's server configuration: TLS 1.2 and 1.3 with aws-lc-rs, HTTP/1.1.
    pub(crate) fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_no_client_auth()
        .with_single_cert(self.chain.clone(), self.key.clone_key())
        .map_err(TlsError::Rustls)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// A request extension set on every request that arrived over TLS, so that the URLs the twin hands
/// out say `https`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverTls;

/// A listener whose connections have completed their TLS handshake. Handshakes run on tasks of
/// their own, so a slow or silent client holds up no other; a failed one is dropped (the client
/// sees why: an unknown CA, a name mismatch).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_hold_a_certificate_and_its_key() {
        let identity = TlsIdentity::throwaway(crate::clock::Clock::system().now()).unwrap();
        let ca = identity.ca_pem().unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
        let error = TlsIdentity::from_pem(b"no pem here", b"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`the certificate text` holds no PEM certificate"
        );
        let error = TlsIdentity::from_pem(ca.as_bytes(), b"nothing").unwrap_err();
        assert_eq!(error.to_string(), "`the key text` holds no PEM private key");
        // The CA's certificate with another key: rustls refuses the pair.
        let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let error = TlsIdentity::from_pem(ca.as_bytes(), other.as_bytes()).unwrap_err();
        assert!(matches!(error, TlsError::Rustls(_)), "{error:?}");
    }
}
