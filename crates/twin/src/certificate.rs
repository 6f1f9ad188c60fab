//! Certificates for client assertions: the digests of the thumbprints Entra matches (`x5t` = SHA-1,
//! `x5t#S256` = SHA-256 of the DER; their encoding is the core's [`Thumbprints`]), and a throwaway
//! certificate generator for tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub use anchorsync_core::thumbprint::Thumbprints;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use jsonwebtoken::DecodingKey;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Why a certificate could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// No `CERTIFICATE` block, or a malformed one.
    #[error("no PEM `CERTIFICATE` block could be read")]
    Pem(#[source] rustls_pki_types::pem::Error),
    /// The certificate's key is not an RSA key jsonwebtoken can verify with.
    #[error("the certificate does not hold an RSA public key")]
    Key(#[source] jsonwebtoken::errors::Error),
    /// No certificate at all.
    #[error("the PEM text holds no certificate")]
    Empty,
    /// `openssl` could not be run or failed (test certificates only).
    #[error("`openssl {step}` failed: {detail}")]
    Openssl {
        /// The subcommand.
        step: &'static str,
        /// What it said, or why it could not start.
        detail: String,
    },
    /// A file of the generated certificate could not be read or written.
    #[error("cannot use `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The thumbprints of a DER certificate (the digests here, their encoding in the core).
pub(crate) fn thumbprints_of_der(der: &[u8]) -> Thumbprints {
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    let sha256 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    Thumbprints::from_digests(sha1.as_ref(), sha256.as_ref())
}

/// The thumbprints of the first certificate in a PEM text.
pub(crate) fn thumbprints_of_pem(pem: &str) -> Result<Thumbprints, CertificateError> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(CertificateError::Pem)?;
    Ok(thumbprints_of_der(&der))
}

/// Bytes from Base64 in any of the spellings Entra accepts in client assertions: base64url or
/// standard, with or without `=` padding (MSAL pads its thumbprints, azure-identity every part of
/// its assertions). `None` when it is not Base64 at all.
pub(crate) fn decode_base64_any(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    STANDARD_NO_PAD.decode(standard).ok()
}

fn to_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Every certificate in a PEM text, with its thumbprints and verification key.
pub(crate) fn decode_certificates(
    pem: &str,
) -> Result<Vec<(Thumbprints, DecodingKey)>, CertificateError> {
    let mut decoded = Vec::new();
    for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let der = der.map_err(CertificateError::Pem)?;
        let key =
            DecodingKey::from_rsa_pem(to_pem(&der).as_bytes()).map_err(CertificateError::Key)?;
        decoded.push((thumbprints_of_der(&der), key));
    }
    if decoded.is_empty() {
        return Err(CertificateError::Empty);
    }
    Ok(decoded)
}

/// A throwaway self-signed RSA certificate for tests (made by the `openssl` command, which the
/// test setup installs). **For tests only**: the key is written to a temporary directory.
#[derive(Debug, Clone)]
pub struct TestCertificate {
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// Its private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub private_key_pem: String,
    /// Certificate and key as a PKCS#12 (`.pfx`) file, protected by [`TestCertificate::pfx_password`].
    pub pfx: Vec<u8>,
    /// The PFX password.
    pub pfx_password: String,
    /// The certificate's thumbprints.
    pub thumbprints: Thumbprints,
}

impl TestCertificate {
    /// Generates a 2048-bit RSA key and a certificate for `common_name`, valid for two days.
    pub fn generate(common_name: &str) -> Result<Self, CertificateError> {
        let dir =
            std::env::temp_dir().join(format!("anchorsync-twin-cert-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).map_err(|source| CertificateError::Io {
            path: dir.clone(),
            source,
        })?;
        let result = Self::generate_in(&dir, common_name);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn generate_in(dir: &Path, common_name: &str) -> Result<Self, CertificateError> {
        let key = dir.join("key.pem");
        let cert = dir.join("cert.pem");
        let pfx = dir.join("cert.pfx");
        let password = uuid::Uuid::new_v4().simple().to_string();
        let subject = format!("/CN={common_name}");
        openssl(
            "req",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-sha256",
                "-days",
                "2",
                "-subj",
                &subject,
                "-keyout",
                path(&key),
                "-out",
                path(&cert),
            ],
        )?;
        let passout = format!("pass:{password}");
        openssl(
            "pkcs12",
            &[
                "pkcs12",
                "-export",
                "-inkey",
                path(&key),
                "-in",
                path(&cert),
                "-out",
                path(&pfx),
                "-passout",
                &passout,
            ],
        )?;
        let read = |file: &Path| {
            std::fs::read(file).map_err(|source| CertificateError::Io {
                path: file.to_owned(),
                source,
            })
        };
        let certificate_pem = String::from_utf8_lossy(&read(&cert)?).into_owned();
        Ok(Self {
            thumbprints: thumbprints_of_pem(&certificate_pem)?,
            certificate_pem,
            private_key_pem: String::from_utf8_lossy(&read(&key)?).into_owned(),
            pfx: read(&pfx)?,
            pfx_password: password,
        })
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn openssl(step: &'static str, args: &[&str]) -> Result<(), CertificateError> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|error| CertificateError::Openssl {
            step,
            detail: format!(
                "{error} (install it with `apt-get install openssl`; scripts/install-test-deps.sh does)"
            ),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(CertificateError::Openssl {
            step,
            detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base64_form_of_a_thumbprint_names_the_same_digest() {
        // A digest whose Base64 has both `+`/`-` and `/`/`_` in it, and needs padding.
        let digest = [0xfb, 0xff, 0xbf, 0x01, 0x02];
        let forms = [
            "-_-_AQI",  // base64url, unpadded (jsonwebtoken)
            "-_-_AQI=", // base64url, padded (MSAL)
            "+/+/AQI=", // standard
            "+/+/AQI",  // standard, unpadded
        ];
        for form in forms {
            assert_eq!(
                decode_base64_any(form).as_deref(),
                Some(&digest[..]),
                "{form}"
            );
        }
        assert_eq!(decode_base64_any("not base64!"), None);
        assert_ne!(decode_base64_any("AAAA"), Some(digest.to_vec()));
    }
}
