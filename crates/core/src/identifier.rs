//! The forms of a sourceAnchor and of a security identifier, and the conversions between them.
//!
//! Active Directory stores `objectGUID` and `mS-DS-ConsistencyGuid` as 16 raw bytes in the order of
//! .NET `Guid.ToByteArray()`: the first three fields little-endian. Every other form is derived from
//! those bytes:
//!
//! | form | example |
//! |---|---|
//! | GUID string | `88666888-0101-1111-bbbb-1234567890ab` |
//! | ImmutableID (standard Base64 of the bytes) | `iGhmiAEBERG7uxI0VniQqw==` |
//! | hex of the bytes | `8868668801011111bbbb1234567890ab` |
//! | LDAP filter escape | `\88\68\66\88\01\01\11\11\BB\BB\12\34\56\78\90\AB` |
//!
//! An ImmutableID is *canonical* when decoding and re-encoding it gives the same string. Only canonical
//! values can be produced by Base64-encoding an AD value, so only they can be reached by a hard match
//! written from AD ([`decode_canonical_base64`]).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Why a value is not one of the identifier forms it was read as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// A GUID attribute held a number of bytes other than 16.
    #[error("a GUID has 16 bytes, but this value has {len}")]
    GuidLength {
        /// The number of bytes found.
        len: usize,
    },
    /// A GUID string that does not have the 8-4-4-4-12 hexadecimal layout.
    #[error(
        "`{input}` is not a GUID: expected 32 hexadecimal digits as 8-4-4-4-12, optionally in braces"
    )]
    GuidSyntax {
        /// The text that was read.
        input: String,
    },
    /// A string that is not canonical standard Base64.
    #[error("`{input}` is not canonical Base64: {problem}")]
    Base64 {
        /// The text that was read.
        input: String,
        /// What exactly is wrong with it.
        problem: Base64Problem,
    },
    /// Hexadecimal input that is not 16 bytes of hex digits.
    #[error("`{input}` is not 16 bytes of hexadecimal: {reason}")]
    Hex {
        /// The text that was read.
        input: String,
        /// What exactly is wrong with it.
        reason: String,
    },
    /// An LDAP filter escape that is not a run of `\XX` pairs.
    #[error("`{input}` is not an LDAP filter escape: {reason}")]
    LdapFilter {
        /// The text that was read.
        input: String,
        /// What exactly is wrong with it.
        reason: String,
    },
    /// A SID in string or binary form that does not follow the SID layout.
    #[error("not a security identifier: {reason}")]
    Sid {
        /// What exactly is wrong with it.
        reason: String,
    },
}

/// What is wrong with a string read as standard Base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Problem {
    /// The string is empty.
    Empty,
    /// A base64url character (`-` or `_`) where standard Base64 has `+` or `/`.
    UrlSafeCharacter {
        /// The character found.
        character: char,
        /// Its 1-based position.
        position: usize,
    },
    /// A character outside the Base64 alphabet.
    InvalidCharacter {
        /// The character found.
        character: char,
        /// Its 1-based position.
        position: usize,
    },
    /// Characters after the `=` padding.
    TrailingCharacters {
        /// The characters after the padding.
        trailing: String,
    },
    /// More `=` than the length allows.
    ExtraPadding,
    /// The padding is missing: the length is not a multiple of 4 but adding `=` would fix it.
    MissingPadding {
        /// The value with its padding restored.
        padded: String,
    },
    /// The length is not a multiple of 4 and adding padding does not give a canonical value.
    Length {
        /// The length found.
        len: usize,
    },
    /// The last character carries bits that encoding never sets.
    NonZeroTrailingBits {
        /// What encoding the decoded bytes gives.
        canonical: String,
    },
}

impl fmt::Display for Base64Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the value is empty"),
            Self::UrlSafeCharacter {
                character,
                position,
            } => write!(
                f,
                "character {position} is `{character}`, a base64url character; standard Base64 uses `{}` \
                 there, and Microsoft Graph refuses `_` and `$` in onPremisesImmutableId",
                if *character == '-' { '+' } else { '/' }
            ),
            Self::InvalidCharacter {
                character,
                position,
            } => write!(
                f,
                "character {position} is `{}`, which is not in the Base64 alphabet (A-Z a-z 0-9 + / and = \
                 padding)",
                crate::wording::printable_char(*character)
            ),
            Self::TrailingCharacters { trailing } => write!(
                f,
                "`{trailing}` follows the `=` padding; padding only ever ends a value"
            ),
            Self::ExtraPadding => write!(
                f,
                "it has more `=` padding than its length needs (at most two, to make the length a multiple of 4)"
            ),
            Self::MissingPadding { padded } => write!(
                f,
                "the `=` padding is missing (the length is not a multiple of 4); the padded value is `{padded}`"
            ),
            Self::Length { len } => write!(
                f,
                "its length {len} is not a multiple of 4, so no bytes Base64-encode to it"
            ),
            Self::NonZeroTrailingBits { canonical } => write!(
                f,
                "the last character carries bits that encoding never sets; the bytes it decodes to encode \
                 as `{canonical}`"
            ),
        }
    }
}

/// Decodes standard, padded Base64 and insists that re-encoding gives back the same string.
///
/// This is the test for whether a cloud ImmutableID can be reproduced by Base64-encoding an AD value:
/// `260051`, base64url, unpadded or padded-twice strings are all valid *strings* in the cloud, but no AD
/// value encodes to them.
pub fn decode_canonical_base64(input: &str) -> Result<Vec<u8>, IdentifierError> {
    let error = |problem| IdentifierError::Base64 {
        input: input.to_owned(),
        problem,
    };
    if input.is_empty() {
        return Err(error(Base64Problem::Empty));
    }
    let mut padding_start = None;
    for (index, character) in input.chars().enumerate() {
        let position = index + 1;
        match character {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' if padding_start.is_none() => {}
            '=' => {
                padding_start.get_or_insert(index);
            }
            '-' | '_' if padding_start.is_none() => {
                return Err(error(Base64Problem::UrlSafeCharacter {
                    character,
                    position,
                }));
            }
            _ if padding_start.is_some() => {
                let start = padding_start.unwrap_or(index);
                let trailing: String = input
                    .chars()
                    .skip(start)
                    .skip_while(|c| *c == '=')
                    .collect();
                return Err(error(Base64Problem::TrailingCharacters { trailing }));
            }
            _ => {
                return Err(error(Base64Problem::InvalidCharacter {
                    character,
                    position,
                }));
            }
        }
    }
    // Only ASCII is left at this point, so byte lengths are character counts.
    let body_len = padding_start.unwrap_or(input.len());
    let padding_len = input.len() - body_len;
    let needed_padding = (4 - body_len % 4) % 4;
    if body_len % 4 == 1 {
        return Err(error(Base64Problem::Length { len: input.len() }));
    }
    if padding_len > needed_padding {
        return Err(error(Base64Problem::ExtraPadding));
    }
    if padding_len < needed_padding {
        let padded = format!("{}{}", &input[..body_len], "=".repeat(needed_padding));
        // Only suggest the padded form when it is itself canonical: `260051==` is not.
        return Err(error(
            if padding_len == 0 && STANDARD.decode(&padded).is_ok() {
                Base64Problem::MissingPadding { padded }
            } else {
                Base64Problem::Length { len: input.len() }
            },
        ));
    }
    let bytes = match STANDARD.decode(input) {
        Ok(bytes) => bytes,
        Err(base64::DecodeError::InvalidLastSymbol(_, _)) => {
            let lenient = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
            );
            let canonical = lenient
                .decode(input)
                .map(|bytes| STANDARD.encode(bytes))
                .unwrap_or_default();
            return Err(error(Base64Problem::NonZeroTrailingBits { canonical }));
        }
        Err(_) => return Err(error(Base64Problem::Length { len: input.len() })),
    };
    Ok(bytes)
}

/// Standard, padded Base64 of some bytes: the form Entra Connect gives a binary sourceAnchor.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Lowercase hexadecimal of some bytes, without separators.
pub fn encode_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// The LDAP filter escape of some bytes (`\88\68...`, RFC 4515), to search a binary attribute.
pub fn encode_ldap_filter(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 3), |mut out, byte| {
            let _ = write!(out, "\\{byte:02X}");
            out
        })
}

/// Reads hexadecimal bytes: 32 digits, or 16 pairs separated by spaces, each optionally prefixed `0x`
/// (the way ADSI Edit shows an octet string).
pub fn decode_hex(input: &str) -> Result<Vec<u8>, IdentifierError> {
    let error = |reason: String| IdentifierError::Hex {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    let digits: String = if trimmed.contains(char::is_whitespace) {
        trimmed
            .split_whitespace()
            .map(|pair| {
                pair.strip_prefix("0x")
                    .or_else(|| pair.strip_prefix("0X"))
                    .unwrap_or(pair)
            })
            .map(|pair| {
                if pair.len() == 2 {
                    Ok(pair)
                } else {
                    Err(error(format!("`{pair}` is not a two-digit byte")))
                }
            })
            .collect::<Result<String, _>>()?
    } else {
        trimmed.to_owned()
    };
    if let Some((position, character)) = digits
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(error(format!(
            "character {} is `{character}`, not a hexadecimal digit",
            position + 1
        )));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(error(format!(
            "{} is an odd number",
            crate::wording::count(digits.len(), "digit", "digits")
        )));
    }
    (0..digits.len())
        .step_by(2)
        .map(|start| {
            digits
                .get(start..start + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| error("unreadable digit pair".to_owned()))
        })
        .collect()
}

/// Reads an LDAP filter escape: one or more `\XX` pairs and nothing else.
pub fn decode_ldap_filter(input: &str) -> Result<Vec<u8>, IdentifierError> {
    let error = |reason: String| IdentifierError::LdapFilter {
        input: input.to_owned(),
        reason,
    };
    let mut bytes = Vec::with_capacity(input.len() / 3);
    let mut rest = input.trim();
    if rest.is_empty() {
        return Err(error("it is empty".to_owned()));
    }
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix('\\') else {
            return Err(error(format!("expected `\\` before `{rest}`")));
        };
        let pair = after
            .get(..2)
            .filter(|pair| pair.chars().all(|c| c.is_ascii_hexdigit()));
        let Some(pair) = pair else {
            return Err(error(format!(
                "`\\{}` is not `\\` followed by two hexadecimal digits",
                after.chars().take(2).collect::<String>()
            )));
        };
        bytes.push(
            u8::from_str_radix(pair, 16)
                .map_err(|_| error(format!("`{pair}` is not hexadecimal")))?,
        );
        rest = &after[2..];
    }
    Ok(bytes)
}

/// An `objectGUID` (or `mS-DS-ConsistencyGuid` holding one): 16 bytes in AD's byte order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectGuid([u8; 16]);

impl ObjectGuid {
    /// Wraps the 16 bytes exactly as AD stores them.
    pub const fn from_ad_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Wraps a value read from AD, refusing any length but 16.
    pub fn try_from_ad_bytes(bytes: &[u8]) -> Result<Self, IdentifierError> {
        <[u8; 16]>::try_from(bytes)
            .map(Self)
            .map_err(|_| IdentifierError::GuidLength { len: bytes.len() })
    }

    /// The bytes as AD stores them (`Guid.ToByteArray()` order).
    pub const fn as_ad_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The ImmutableID Entra Connect computes from this value.
    pub fn immutable_id(&self) -> ImmutableId {
        ImmutableId::from_bytes(&self.0)
    }

    /// The lowercase hexadecimal of the AD bytes.
    pub fn hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// The LDAP filter escape of the AD bytes.
    pub fn ldap_filter(&self) -> String {
        encode_ldap_filter(&self.0)
    }

    /// Reads the GUID string form, with or without braces, in any case.
    pub fn parse_guid_string(input: &str) -> Result<Self, IdentifierError> {
        let inner = input
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or(input);
        let layout_ok = inner.len() == 36
            && inner.char_indices().all(|(index, c)| match index {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if !layout_ok {
            return Err(IdentifierError::GuidSyntax {
                input: input.to_owned(),
            });
        }
        uuid::Uuid::parse_str(inner)
            .map(|uuid| Self(uuid.to_bytes_le()))
            .map_err(|_| IdentifierError::GuidSyntax {
                input: input.to_owned(),
            })
    }
}

impl fmt::Display for ObjectGuid {
    /// The lowercase GUID string, as `Get-ADUser` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&uuid::Uuid::from_bytes_le(self.0).hyphenated(), f)
    }
}

impl fmt::Debug for ObjectGuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectGuid({self})")
    }
}

impl FromStr for ObjectGuid {
    type Err = IdentifierError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse_guid_string(input)
    }
}

impl serde::Serialize for ObjectGuid {
    /// The GUID string (`88666888-0101-1111-bbbb-1234567890ab`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ObjectGuid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A cloud `onPremisesImmutableId` or the sourceAnchor computed for an on-premises user.
///
/// Any string can be an ImmutableID in the cloud; comparison is case-sensitive and exact.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ImmutableId(String);

impl ImmutableId {
    /// Wraps a value as found (a cloud value, or a string anchor used as is).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The Base64 of some bytes: the sourceAnchor of a binary attribute.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(encode_base64(bytes))
    }

    /// The text of the value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the value and returns its text.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The bytes the value decodes to, when it is canonical Base64.
    pub fn decode(&self) -> Result<Vec<u8>, IdentifierError> {
        decode_canonical_base64(&self.0)
    }

    /// The GUID the value encodes, when it is canonical Base64 of exactly 16 bytes.
    pub fn to_object_guid(&self) -> Result<ObjectGuid, IdentifierError> {
        ObjectGuid::try_from_ad_bytes(&self.decode()?)
    }
}

impl fmt::Display for ImmutableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ImmutableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImmutableId({:?})", self.0)
    }
}

/// A Windows security identifier (`objectSid`; Graph's `onPremisesSecurityIdentifier` is its string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sid {
    revision: u8,
    authority: u64,
    sub_authorities: Vec<u32>,
}

impl Sid {
    /// The largest number of sub-authorities a SID may have.
    pub const MAX_SUB_AUTHORITIES: usize = 15;

    /// Reads the binary form: revision, count, 48-bit big-endian authority, little-endian sub-authorities.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentifierError> {
        let error = |reason: String| IdentifierError::Sid { reason };
        let (&revision, rest) = bytes
            .split_first()
            .ok_or_else(|| error("the value is empty".to_owned()))?;
        if revision != 1 {
            return Err(error(format!("revision is {revision}, not 1")));
        }
        let (&count, rest) = rest
            .split_first()
            .ok_or_else(|| error("the sub-authority count is missing".to_owned()))?;
        let count = usize::from(count);
        if count > Self::MAX_SUB_AUTHORITIES {
            return Err(error(format!("{count} sub-authorities, more than 15")));
        }
        let expected = 8 + 4 * count;
        if bytes.len() != expected {
            return Err(error(format!(
                "{}, but a SID with {} has {expected}",
                crate::wording::count(bytes.len(), "byte", "bytes"),
                crate::wording::count(count, "sub-authority", "sub-authorities")
            )));
        }
        let (authority_bytes, rest) = rest
            .split_at_checked(6)
            .ok_or_else(|| error("too short".to_owned()))?;
        let authority = authority_bytes
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        let sub_authorities = rest
            .chunks_exact(4)
            .map(|chunk| {
                let mut word = [0u8; 4];
                word.copy_from_slice(chunk);
                u32::from_le_bytes(word)
            })
            .collect();
        Ok(Self {
            revision,
            authority,
            sub_authorities,
        })
    }

    /// The binary form, as AD stores `objectSid`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + 4 * self.sub_authorities.len());
        bytes.push(self.revision);
        // Bounded by MAX_SUB_AUTHORITIES when constructed.
        bytes.push(u8::try_from(self.sub_authorities.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for sub in &self.sub_authorities {
            bytes.extend_from_slice(&sub.to_le_bytes());
        }
        bytes
    }

    /// The relative identifier: the last sub-authority.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities.last().copied()
    }
}

impl FromStr for Sid {
    type Err = IdentifierError;

    /// Reads `S-1-5-21-...`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| IdentifierError::Sid { reason };
        let mut parts = input.split('-');
        if !parts.next().is_some_and(|s| s.eq_ignore_ascii_case("S")) {
            return Err(error(format!("`{input}` does not start with `S-`")));
        }
        let mut number = |what: &str| -> Result<u64, IdentifierError> {
            let part = parts
                .next()
                .ok_or_else(|| error(format!("`{input}` has no {what}")))?;
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(error(format!(
                    "`{part}` in `{input}` is not a decimal {what}"
                )));
            }
            part.parse::<u64>()
                .map_err(|_| error(format!("`{part}` in `{input}` is too large for a {what}")))
        };
        let revision = number("revision")?;
        if revision != 1 {
            return Err(error(format!("`{input}` has revision {revision}, not 1")));
        }
        let authority = number("identifier authority")?;
        if authority >= 1 << 48 {
            return Err(error(format!(
                "the authority of `{input}` does not fit in 48 bits"
            )));
        }
        let mut sub_authorities = Vec::new();
        for part in parts {
            let value = if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                part.parse::<u32>().ok()
            } else {
                None
            };
            let value = value.ok_or_else(|| {
                error(format!(
                    "`{part}` in `{input}` is not a sub-authority (a 32-bit decimal number)"
                ))
            })?;
            sub_authorities.push(value);
        }
        if sub_authorities.len() > Self::MAX_SUB_AUTHORITIES {
            return Err(error(format!("`{input}` has more than 15 sub-authorities")));
        }
        Ok(Self {
            revision: 1,
            authority,
            sub_authorities,
        })
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-{}-{}", self.revision, self.authority)?;
        for sub in &self.sub_authorities {
            write!(f, "-{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_string_to_immutable_id_uses_dotnet_byte_order() {
        let guid: ObjectGuid = "88666888-0101-1111-bbbb-1234567890ab".parse().unwrap();
        assert_eq!(guid.immutable_id().as_str(), "iGhmiAEBERG7uxI0VniQqw==");
        assert_eq!(guid.hex(), "8868668801011111bbbb1234567890ab");
    }

    #[test]
    fn canonical_base64_problems_are_named() {
        let problem = |input: &str| match decode_canonical_base64(input) {
            Err(IdentifierError::Base64 { problem, .. }) => problem,
            other => panic!("expected a Base64 problem for {input}, got {other:?}"),
        };
        assert_eq!(problem("260051"), Base64Problem::Length { len: 6 });
        assert_eq!(
            problem("iGhmiAEBERG7uxI0VniQqw"),
            Base64Problem::MissingPadding {
                padded: "iGhmiAEBERG7uxI0VniQqw==".into()
            }
        );
        assert!(matches!(
            problem("iGhmiAEBERG7uxI0VniQq_=="),
            Base64Problem::UrlSafeCharacter {
                character: '_',
                position: 22
            }
        ));
        assert_eq!(
            problem("qgCqABG7IszdM0TuRO5E7g==x"),
            Base64Problem::TrailingCharacters {
                trailing: "x".into()
            }
        );
        assert_eq!(
            problem("qgCqABG7IszdM0TuRO5E7g==="),
            Base64Problem::ExtraPadding
        );
        assert_eq!(
            problem("qgCqABG7IszdM0TuRO5E7g"),
            Base64Problem::MissingPadding {
                padded: "qgCqABG7IszdM0TuRO5E7g==".into()
            }
        );
        assert_eq!(problem("abcde"), Base64Problem::Length { len: 5 });
        assert!(matches!(
            problem("iGhmiAEBERG7uxI0VniQqx=="),
            Base64Problem::NonZeroTrailingBits { .. }
        ));
        assert!(matches!(
            problem("ab c"),
            Base64Problem::InvalidCharacter {
                character: ' ',
                position: 3
            }
        ));
    }
}
