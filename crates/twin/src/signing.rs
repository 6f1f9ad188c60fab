//! The key the twin signs access tokens with, and its public half as Entra publishes its keys at
//! `jwks_uri` (`{"keys":[{"kty":"RSA","use":"sig","kid","x5t","n","e","x5c","issuer"}]}`).
//!
//! Like Entra, the twin signs with RS256 under an RSA key whose certificate it publishes, and like
//! Entra's keys it is shared by every tenant: one key per process, made (2048 bits) when the first
//! twin starts and gone with the process, so no token outlives it. Making an RSA key takes a tenth of
//! a second to a second, too long to pay for every twin a test suite starts. What keeps one twin
//! from accepting another's tokens is the `rh` claim (Entra's internal revalidation claim): each twin
//! puts its own random value there and checks it.

use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Value, json};

/// Why the signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// The crypto provider could not generate or encode the key.
    #[error("cannot generate the twin's token-signing key")]
    Generate,
    /// The key's certificate could not be made.
    #[error("cannot make the certificate of the twin's token-signing key")]
    Certificate(#[source] rcgen::Error),
    /// jsonwebtoken refused the key.
    #[error("cannot use the twin's token-signing key")]
    Key(#[source] jsonwebtoken::errors::Error),
}

/// The process's signing key, made on first use.
pub(crate) fn process_key() -> Result<Arc<SigningKey>, SigningKeyError> {
    static KEY: Mutex<Option<Arc<SigningKey>>> = Mutex::new(None);
    let mut key = KEY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = key.as_ref() {
        return Ok(Arc::clone(key));
    }
    let made = Arc::new(SigningKey::generate()?);
    *key = Some(Arc::clone(&made));
    Ok(made)
}

/// An RSA key, its self-signed certificate, and the JWKS entry describing it.
pub(crate) struct SigningKey {
    /// `kid` (= `x5t`, as Entra's keys have).
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The `jwks_uri` entry, without `issuer` (added per document).
    jwk: Value,
}

impl SigningKey {
    /// A new 2048-bit RSA key with a self-signed certificate (what `x5c` carries).
    fn generate() -> Result<Self, SigningKeyError> {
        let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| SigningKeyError::Generate)?;
        let pkcs8 = key.as_der().map_err(|_| SigningKeyError::Generate)?;
        let public = key.public_key();
        let modulus = public.modulus().big_endian_without_leading_zero().to_vec();
        let exponent = public.exponent().big_endian_without_leading_zero().to_vec();
        let rcgen_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &pkcs8.as_ref().into(),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(SigningKeyError::Certificate)?;
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "accounts.accesscontrol.windows.net",
        );
        let certificate = params
            .self_signed(&rcgen_key)
            .map_err(SigningKeyError::Certificate)?;
        let thumbprints = crate::certificate::thumbprints_of_der(certificate.der());
        let encoding = EncodingKey::from_rsa_pem(rcgen_key.serialize_pem().as_bytes())
            .map_err(SigningKeyError::Key)?;
        let decoding = DecodingKey::from_rsa_raw_components(&modulus, &exponent);
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "kid": thumbprints.x5t,
            "x5t": thumbprints.x5t,
            "n": URL_SAFE_NO_PAD.encode(&modulus),
            "e": URL_SAFE_NO_PAD.encode(&exponent),
            "x5c": [STANDARD.encode(certificate.der())],
        });
        Ok(Self {
            kid: thumbprints.x5t,
            encoding,
            decoding,
            jwk,
        })
    }

    /// A JWT header as Entra's access tokens carry it: `typ`, `alg` RS256, `x5t`, `kid`.
    pub(crate) fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".to_owned());
        header.x5t = Some(self.kid.clone());
        header.kid = Some(self.kid.clone());
        header
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The `jwks_uri` entry; Entra's v2.0 keys also name their `issuer`.
    pub(crate) fn jwk(&self, issuer: Option<&str>) -> Value {
        let mut jwk = self.jwk.clone();
        if let (Some(issuer), Value::Object(fields)) = (issuer, &mut jwk) {
            fields.insert("issuer".to_owned(), Value::from(issuer));
        }
        jwk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_signed_with_the_key_verify_against_its_published_modulus() {
        let key = process_key().unwrap();
        assert!(Arc::ptr_eq(&key, &process_key().unwrap()), "made once");
        let token =
            jsonwebtoken::encode(&key.header(), &json!({"sub": "x"}), key.encoding()).unwrap();
        let jwk = key.jwk(Some("https://issuer/"));
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(
            &token,
            &DecodingKey::from_rsa_raw_components(&n, &e),
            &validation,
        )
        .unwrap();
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["issuer"], "https://issuer/");
        assert_eq!(jwk["kid"], jwk["x5t"]);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    }
}
