//! How the app proves who it is: a client secret, or a certificate whose private key signs a client
//! assertion (<https://learn.microsoft.com/entra/identity-platform/certificate-credentials>).
//! Certificates come from PEM (certificate and key in one file) or PFX.
//!
//! Neither the secret nor the key ever reaches `Debug` output: [`Credential`] prints the kind and
//! the certificate's thumbprints only.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchorsync_core::secret::Secret;
pub use anchorsync_core::thumbprint::Thumbprints;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

/// How long a client assertion is valid (Entra recommends 5 to 10 minutes).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// The app's credential.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A client secret.
    Secret(Secret),
    /// A certificate with its private key.
    Certificate(Box<ClientCertificate>),
}

/// How client assertions are signed
/// (<https://learn.microsoft.com/entra/identity-platform/certificate-credentials>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256, certificate named by `x5t#S256` (SHA-256 thumbprint): what
    /// Microsoft's documentation shows since 2025.
    #[default]
    #[serde(rename = "PS256", alias = "ps256")]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, certificate named by `x5t` (SHA-1 thumbprint): the older
    /// documented form.
    #[serde(rename = "RS256", alias = "rs256")]
    Rs256,
}

/// Why a certificate cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// No `CERTIFICATE` block in the PEM text.
    #[error("the PEM text holds no `CERTIFICATE` block")]
    NoCertificate,
    /// No unencrypted private key in the PEM text.
    #[error("the PEM text holds no unencrypted `PRIVATE KEY` or `RSA PRIVATE KEY` block")]
    NoPrivateKey,
    /// The key is not RSA.
    #[error("the private key is not an RSA key; Entra client assertions need RSA")]
    NotRsa,
    /// The key could not be used for signing.
    #[error("the private key cannot sign")]
    Key(#[source] jsonwebtoken::errors::Error),
    /// No certificate in the file belongs to the private key.
    #[error("no certificate in the file belongs to its private key")]
    KeyMismatch,
    /// The PFX could not be opened.
    #[error("the PFX file cannot be opened (wrong password, or not PKCS#12)")]
    Pfx(#[source] p12_keystore::error::Error),
    /// The PFX holds no private key with a certificate.
    #[error("the PFX file holds no private key with its certificate")]
    PfxEmpty,
    /// A PFX needs a password.
    #[error("a PFX file needs `certificate_password_env` or `certificate_password_file`")]
    PfxPassword,
    /// Signing the assertion failed.
    #[error("cannot sign the client assertion")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

impl CredentialError {
    /// How to fix it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoPrivateKey => Some(
                "put the certificate and its private key in one PEM file; decrypt an encrypted key with \
                 `openssl pkey -in key.pem -out key-plain.pem`, or use the PFX with `certificate_password_env`"
                    .to_owned(),
            ),
            Self::Pfx(_) => Some("check the PFX password".to_owned()),
            Self::KeyMismatch => {
                Some("the file must hold the certificate uploaded to the app registration together with its own key".to_owned())
            }
            _ => None,
        }
    }
}

/// The thumbprints of a DER certificate (the digests here, their encoding in the core).
fn thumbprints_of_der(der: &[u8]) -> Thumbprints {
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    let sha256 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    Thumbprints::from_digests(sha1.as_ref(), sha256.as_ref())
}

/// A certificate and its private key, ready to sign client assertions.
#[derive(Clone)]
pub struct ClientCertificate {
    key: EncodingKey,
    thumbprints: Thumbprints,
    algorithm: AssertionAlgorithm,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.thumbprints.x5t)
            .field("x5t#S256", &self.thumbprints.x5t_s256)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Reads a PEM file's bytes or a PFX file's bytes: PEM when the text has a `-----BEGIN` line.
    pub fn from_bytes(
        bytes: &[u8],
        password: Option<&Secret>,
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, CredentialError> {
        let is_pem = bytes.windows(10).any(|window| window == b"-----BEGIN");
        if is_pem {
            Self::from_pem(bytes, algorithm)
        } else {
            let password = password.ok_or(CredentialError::PfxPassword)?;
            Self::from_pfx(bytes, password, algorithm)
        }
    }

    /// A PEM text holding the certificate (and possibly its chain) and the unencrypted private key.
    pub fn from_pem(pem: &[u8], algorithm: AssertionAlgorithm) -> Result<Self, CredentialError> {
        let certificates: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(pem)
            .filter_map(Result::ok)
            .map(|der| der.as_ref().to_vec())
            .collect();
        if certificates.is_empty() {
            return Err(CredentialError::NoCertificate);
        }
        let key = match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs1(der)) => EncodingKey::from_rsa_der(der.secret_pkcs1_der()),
            Ok(PrivateKeyDer::Pkcs8(der)) => rsa_key_from_pkcs8(der.secret_pkcs8_der())?,
            Ok(_) => return Err(CredentialError::NotRsa),
            Err(_) => return Err(CredentialError::NoPrivateKey),
        };
        Self::pair(key, &certificates, algorithm)
    }

    /// A PKCS#12 (`.pfx`) file.
    pub fn from_pfx(
        pfx: &[u8],
        password: &Secret,
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, CredentialError> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            pfx,
            password.expose(),
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(CredentialError::Pfx)?;
        let (_, chain) = store.private_key_chain().ok_or(CredentialError::PfxEmpty)?;
        let certificates: Vec<Vec<u8>> = chain
            .certs()
            .iter()
            .map(|certificate| certificate.as_der().to_vec())
            .collect();
        if certificates.is_empty() {
            return Err(CredentialError::PfxEmpty);
        }
        let key = rsa_key_from_pkcs8(chain.key().as_der())?;
        Self::pair(key, &certificates, algorithm)
    }

    /// Picks the certificate whose public key verifies a signature of `key`.
    fn pair(
        key: EncodingKey,
        certificates: &[Vec<u8>],
        algorithm: AssertionAlgorithm,
    ) -> Result<Self, CredentialError> {
        let probe = jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &serde_json::json!({ "probe": true }),
            &key,
        )
        .map_err(CredentialError::Key)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        for der in certificates {
            let Ok(public) = DecodingKey::from_rsa_pem(pem_block("CERTIFICATE", der).as_bytes())
            else {
                continue;
            };
            if jsonwebtoken::decode::<serde_json::Value>(&probe, &public, &validation).is_ok() {
                return Ok(Self {
                    key,
                    thumbprints: thumbprints_of_der(der),
                    algorithm,
                });
            }
        }
        Err(CredentialError::KeyMismatch)
    }

    /// The certificate's thumbprints.
    pub fn thumbprints(&self) -> &Thumbprints {
        &self.thumbprints
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> AssertionAlgorithm {
        self.algorithm
    }

    /// A signed client assertion for `client_id` at `token_url`, valid from `now` for five minutes.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: SystemTime,
    ) -> Result<Secret, CredentialError> {
        let mut header = match self.algorithm {
            AssertionAlgorithm::Ps256 => {
                let mut header = Header::new(Algorithm::PS256);
                header.x5t_s256 = Some(self.thumbprints.x5t_s256.clone());
                header
            }
            AssertionAlgorithm::Rs256 => {
                let mut header = Header::new(Algorithm::RS256);
                header.x5t = Some(self.thumbprints.x5t.clone());
                header
            }
        };
        header.typ = Some("JWT".to_owned());
        let issued = now
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": issued,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME.as_secs(),
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(CredentialError::Sign)
    }
}

/// jsonwebtoken signs with PKCS#1 keys; it unwraps a PKCS#8 key given as PEM.
fn rsa_key_from_pkcs8(der: &[u8]) -> Result<EncodingKey, CredentialError> {
    let pem = Secret::new(pem_block("PRIVATE KEY", der));
    EncodingKey::from_rsa_pem(pem.expose().as_bytes()).map_err(|_| CredentialError::NotRsa)
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_key_or_certificate_is_named() {
        assert!(matches!(
            ClientCertificate::from_pem(b"nothing", AssertionAlgorithm::Ps256),
            Err(CredentialError::NoCertificate)
        ));
        assert!(matches!(
            ClientCertificate::from_bytes(b"\x30\x82", None, AssertionAlgorithm::Ps256),
            Err(CredentialError::PfxPassword)
        ));
    }
}
