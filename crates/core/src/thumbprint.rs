//! Certificate thumbprints as a client assertion names its certificate: `x5t` is the SHA-1 digest of
//! the certificate's DER and `x5t#S256` its SHA-256 digest, each base64url without padding (RFC 7515
//! §4.1.7-§4.1.8; Microsoft's certificate credentials page,
//! <https://learn.microsoft.com/entra/identity-platform/certificate-credentials>).
//!
//! One type for the Graph client, which puts the thumbprints in its assertions, and the twin, which
//! finds the registered certificate by them. Computing the digests is the caller's (the core does no
//! cryptography); this module owns the encoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The thumbprints of one certificate, in the form an assertion's header carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbprints {
    /// `x5t`: base64url SHA-1 of the certificate's DER (named with RS256 assertions).
    pub x5t: String,
    /// `x5t#S256`: base64url SHA-256 of the certificate's DER (named with PS256 assertions).
    pub x5t_s256: String,
}

impl Thumbprints {
    /// The thumbprints from the SHA-1 and SHA-256 digests of a certificate's DER.
    pub fn from_digests(sha1: &[u8], sha256: &[u8]) -> Self {
        Self {
            x5t: encode_thumbprint(sha1),
            x5t_s256: encode_thumbprint(sha256),
        }
    }
}

/// A digest as a header names a certificate by it: base64url without padding.
pub fn encode_thumbprint(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_match_the_documented_example() {
        // https://learn.microsoft.com/entra/identity-platform/certificate-credentials: SHA-1
        // 84E05C1D98BCE3A5421D225B140B36E86A3D5534 → hOBcHZi846VCHSJbFAs26Go9VTQ
        let sha1 = [
            0x84, 0xE0, 0x5C, 0x1D, 0x98, 0xBC, 0xE3, 0xA5, 0x42, 0x1D, 0x22, 0x5B, 0x14, 0x0B,
            0x36, 0xE8, 0x6A, 0x3D, 0x55, 0x34,
        ];
        assert_eq!(encode_thumbprint(&sha1), "hOBcHZi846VCHSJbFAs26Go9VTQ");
        // A digest whose standard Base64 would hold `+`, `/` and padding: none of them in the header form.
        let sha256 = [0xfb; 32];
        let thumbprints = Thumbprints::from_digests(&sha1, &sha256);
        assert_eq!(thumbprints.x5t, "hOBcHZi846VCHSJbFAs26Go9VTQ");
        assert_eq!(
            thumbprints.x5t_s256,
            "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s"
        );
    }
}
