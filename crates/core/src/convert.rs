//! Reads an identifier in whatever form an administrator pastes it and gives every other form.
//!
//! Detection never guesses: a value that two forms read differently is reported as ambiguous and the
//! caller names the form. The one tie that is broken silently is 32 hexadecimal digits, which are also
//! valid Base64: read as Base64 they decode to 24 bytes that are neither a GUID, a SID nor text, so only
//! the hexadecimal reading means anything.

use std::fmt;

use serde::Serialize;

use crate::identifier::{
    IdentifierError, ObjectGuid, Sid, decode_canonical_base64, decode_hex, decode_ldap_filter,
    encode_base64, encode_hex, encode_ldap_filter,
};

/// A form an identifier can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierForm {
    /// A GUID string, `88666888-0101-1111-bbbb-1234567890ab`, braces and any case accepted; with
    /// `--from guid`, also 32 digits without hyphens (.NET's `N` format).
    Guid,
    /// An ImmutableID: canonical standard Base64 of the bytes.
    ImmutableId,
    /// The bytes in hexadecimal: 32 digits, or pairs separated by spaces as ADSI Edit shows them.
    Hex,
    /// An LDAP filter escape, `\88\68...`.
    LdapFilter,
    /// A SID string, `S-1-5-21-...`.
    Sid,
    /// Base64 of an `objectSid`.
    SidBase64,
    /// Text to be Base64-encoded, as a string attribute under a Base64-encoding profile (never detected:
    /// any string is text).
    Text,
}

impl IdentifierForm {
    /// How the form is named in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Guid => "a GUID string",
            Self::ImmutableId => "an ImmutableID (Base64)",
            Self::Hex => "hexadecimal bytes",
            Self::LdapFilter => "an LDAP filter escape",
            Self::Sid => "a SID string",
            Self::SidBase64 => "the Base64 of an objectSid",
            Self::Text => "text",
        }
    }
}

impl fmt::Display for IdentifierForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What a value means: a GUID, a SID, or other bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// 16 bytes in AD order.
    Guid(ObjectGuid),
    /// A security identifier.
    Sid(Sid),
    /// Bytes that are neither, such as the UTF-8 of a string anchor.
    Bytes(Vec<u8>),
}

impl Identifier {
    /// The bytes AD stores for the value.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Guid(guid) => guid.as_ad_bytes().to_vec(),
            Self::Sid(sid) => sid.to_bytes(),
            Self::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// Every form of one value: the JSON of `anchorsync convert --format json`.
///
/// Keys are always present; the ones that do not apply are `null`. `canonical` says whether
/// `immutableId` is canonical Base64, the only kind an AD value can encode to. `warnings` (last, so
/// the keys before it keep their places) lists what to know about the value, such as an ImmutableID
/// that decodes to other than the 16 bytes of a GUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversion {
    /// The GUID string, for 16-byte values.
    pub guid: Option<String>,
    /// Standard Base64 of the bytes.
    pub immutable_id: Option<String>,
    /// Lowercase hexadecimal of the bytes.
    pub hex: Option<String>,
    /// The LDAP filter escape of the bytes.
    pub ldap_filter: Option<String>,
    /// The SID string, for SIDs.
    pub sid: Option<String>,
    /// The bytes as text when they are printable UTF-8: the value to write into a string AD attribute so
    /// that a Base64-encoding profile (HENNGE's "reverse Base64") produces `immutableId`.
    pub text: Option<String>,
    /// Whether `immutableId` is canonical Base64.
    pub canonical: Option<bool>,
    /// Sentences about the value worth reading before using it.
    pub warnings: Vec<String>,
    /// The form the input was read as (not in the JSON: the text report shows it).
    #[serde(skip)]
    pub read_as: IdentifierForm,
}

impl Conversion {
    /// Every form of a value.
    pub fn of(identifier: &Identifier, read_as: IdentifierForm) -> Self {
        let bytes = identifier.bytes();
        let text = std::str::from_utf8(&bytes)
            .ok()
            .filter(|text| !text.is_empty() && !text.chars().any(char::is_control))
            .map(str::to_owned);
        Self {
            guid: match identifier {
                Identifier::Guid(guid) => Some(guid.to_string()),
                _ => None,
            },
            immutable_id: Some(encode_base64(&bytes)),
            hex: Some(encode_hex(&bytes)),
            ldap_filter: Some(encode_ldap_filter(&bytes)),
            sid: match identifier {
                Identifier::Sid(sid) => Some(sid.to_string()),
                _ => None,
            },
            warnings: not_a_guid_warning(identifier, read_as, text.is_some())
                .into_iter()
                .collect(),
            text,
            canonical: Some(true),
            read_as,
        }
    }
}

/// A value read from an encoded form that decodes to other than 16 bytes was not made from a GUID (a
/// HENNGE-style numeric ImmutableID such as `10000183` is 6 bytes): mS-DS-ConsistencyGuid cannot hold
/// it, so a hard match written from AD into that attribute cannot reproduce it.
fn not_a_guid_warning(
    identifier: &Identifier,
    read_as: IdentifierForm,
    text: bool,
) -> Option<String> {
    let Identifier::Bytes(bytes) = identifier else {
        return None;
    };
    if read_as == IdentifierForm::Text {
        return None;
    }
    let not_guid = crate::anchor::AnchorWarning::NotGuidLength { len: bytes.len() };
    let string_attribute = if text {
        " or, under a Base64-encoding profile (HENNGE Directory Sync), write `text` into a string anchor \
         attribute"
    } else {
        ""
    };
    Some(format!(
        "{not_guid}. mS-DS-ConsistencyGuid holds 16 bytes, so a hard match written from AD into it \
         (`--strategy hard-ad`) cannot reproduce this value: set the cloud ImmutableID from AD instead \
         (`--strategy hard-cloud`){string_attribute}"
    ))
}

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The value reads as no form.
    #[error("`{input}` is not an identifier anchorsync recognises: {reason}")]
    Unrecognised {
        /// The value.
        input: String,
        /// Why each plausible form rejected it.
        reason: String,
    },
    /// The value reads as more than one form, with different meanings.
    #[error("`{input}` is ambiguous: it reads as {}", readings.iter().map(|(form, meaning)| format!("{form} ({meaning})")).collect::<Vec<_>>().join(" or as "))]
    Ambiguous {
        /// The value.
        input: String,
        /// Each form and what it would mean.
        readings: Vec<(IdentifierForm, String)>,
    },
    /// The value does not read as the form the caller named.
    #[error("`{input}` is not {form}")]
    NotThatForm {
        /// The value.
        input: String,
        /// The form named.
        form: IdentifierForm,
        /// What is wrong with it.
        #[source]
        source: IdentifierError,
    },
}

impl crate::hint::Hint for ConvertError {
    /// A hint saying how to fix the input, when there is one.
    fn hint(&self) -> Option<String> {
        match self {
            Self::Ambiguous { readings, .. } => Some(format!(
                "name the form with {}",
                readings
                    .iter()
                    .map(|(form, _)| format!("`--from {}`", form_flag(*form)))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            Self::Unrecognised { .. } => Some(
                "accepted forms: GUID (`88666888-0101-1111-bbbb-1234567890ab`), ImmutableID \
                 (`iGhmiAEBERG7uxI0VniQqw==`), 32 hex digits, LDAP escape (`\\88\\68...`), SID \
                 (`S-1-5-21-...`) or Base64 of an objectSid; a cloud ImmutableID that is not canonical \
                 Base64 cannot be produced from any AD value: pair that user by soft match, or use a \
                 string anchor attribute copied as is"
                    .to_owned(),
            ),
            Self::NotThatForm { .. } => None,
        }
    }
}

fn form_flag(form: IdentifierForm) -> &'static str {
    match form {
        IdentifierForm::Guid => "guid",
        IdentifierForm::ImmutableId => "immutable-id",
        IdentifierForm::Hex => "hex",
        IdentifierForm::LdapFilter => "ldap-filter",
        IdentifierForm::Sid => "sid",
        IdentifierForm::SidBase64 => "sid-base64",
        IdentifierForm::Text => "text",
    }
}

/// Reads a value in a named form.
pub fn read_as(input: &str, form: IdentifierForm) -> Result<Identifier, ConvertError> {
    let wrap = |source| ConvertError::NotThatForm {
        input: input.to_owned(),
        form,
        source,
    };
    let trimmed = input.trim();
    match form {
        IdentifierForm::Guid => {
            if trimmed.len() == 32 && trimmed.chars().all(|c| c.is_ascii_hexdigit()) {
                let uuid = uuid::Uuid::parse_str(trimmed).map_err(|_| {
                    wrap(IdentifierError::GuidSyntax {
                        input: input.to_owned(),
                    })
                })?;
                return Ok(Identifier::Guid(ObjectGuid::from_ad_bytes(
                    uuid.to_bytes_le(),
                )));
            }
            ObjectGuid::parse_guid_string(trimmed)
                .map(Identifier::Guid)
                .map_err(wrap)
        }
        IdentifierForm::ImmutableId => {
            let bytes = decode_canonical_base64(trimmed).map_err(wrap)?;
            Ok(bytes_meaning(bytes, false))
        }
        IdentifierForm::Hex => decode_hex(trimmed)
            .map(|b| bytes_meaning(b, false))
            .map_err(wrap),
        IdentifierForm::LdapFilter => decode_ldap_filter(trimmed)
            .map(|b| bytes_meaning(b, true))
            .map_err(wrap),
        IdentifierForm::Sid => trimmed.parse::<Sid>().map(Identifier::Sid).map_err(wrap),
        IdentifierForm::SidBase64 => {
            let bytes = decode_canonical_base64(trimmed).map_err(wrap)?;
            Sid::from_bytes(&bytes).map(Identifier::Sid).map_err(wrap)
        }
        IdentifierForm::Text => Ok(Identifier::Bytes(input.as_bytes().to_vec())),
    }
}

/// What some bytes mean: 16 are a GUID; SID-shaped bytes of another length are a SID when `sid_ok`.
fn bytes_meaning(bytes: Vec<u8>, sid_ok: bool) -> Identifier {
    if let Ok(guid) = ObjectGuid::try_from_ad_bytes(&bytes) {
        return Identifier::Guid(guid);
    }
    if sid_ok && let Ok(sid) = Sid::from_bytes(&bytes) {
        return Identifier::Sid(sid);
    }
    Identifier::Bytes(bytes)
}

/// Converts a value, detecting its form unless one is named.
pub fn convert(input: &str, from: Option<IdentifierForm>) -> Result<Conversion, ConvertError> {
    if let Some(form) = from {
        let identifier = read_as(input, form)?;
        return Ok(Conversion::of(&identifier, form));
    }
    let (form, identifier) = detect(input)?;
    Ok(Conversion::of(&identifier, form))
}

/// Detects the form of a value.
pub fn detect(input: &str) -> Result<(IdentifierForm, Identifier), ConvertError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ConvertError::Unrecognised {
            input: input.to_owned(),
            reason: "it is empty".to_owned(),
        });
    }
    // Forms with characters Base64 never has are unambiguous.
    if trimmed.starts_with('\\') {
        return read_as(trimmed, IdentifierForm::LdapFilter)
            .map(|id| (IdentifierForm::LdapFilter, id));
    }
    if trimmed.len() > 2
        && trimmed
            .get(..2)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("S-"))
    {
        return read_as(trimmed, IdentifierForm::Sid).map(|id| (IdentifierForm::Sid, id));
    }
    if trimmed.contains('-') && ObjectGuid::parse_guid_string(trimmed).is_ok() {
        return read_as(trimmed, IdentifierForm::Guid).map(|id| (IdentifierForm::Guid, id));
    }
    let looks_hex = (trimmed.len() == 32 && trimmed.chars().all(|c| c.is_ascii_hexdigit()))
        || (trimmed.contains(' ') && decode_hex(trimmed).is_ok_and(|bytes| bytes.len() == 16));
    if looks_hex {
        let hex_reading = read_as(trimmed, IdentifierForm::Hex)?;
        // The same 32 characters are also Base64 of 24 bytes; that reading only matters when it is text.
        if let Ok(bytes) = decode_canonical_base64(trimmed)
            && let Ok(text) = std::str::from_utf8(&bytes)
            && !text.chars().any(char::is_control)
        {
            return Err(ConvertError::Ambiguous {
                input: input.to_owned(),
                readings: vec![
                    (IdentifierForm::Hex, describe(&hex_reading)),
                    (
                        IdentifierForm::ImmutableId,
                        format!("the Base64 of the text `{text}`"),
                    ),
                ],
            });
        }
        return Ok((IdentifierForm::Hex, hex_reading));
    }
    match decode_canonical_base64(trimmed) {
        Ok(bytes) => {
            let guid = ObjectGuid::try_from_ad_bytes(&bytes).ok();
            let sid = Sid::from_bytes(&bytes).ok();
            match (guid, sid) {
                (Some(guid), Some(sid)) => Err(ConvertError::Ambiguous {
                    input: input.to_owned(),
                    readings: vec![
                        (IdentifierForm::ImmutableId, format!("GUID {guid}")),
                        (IdentifierForm::SidBase64, format!("SID {sid}")),
                    ],
                }),
                (Some(guid), None) => Ok((IdentifierForm::ImmutableId, Identifier::Guid(guid))),
                (None, Some(sid)) => Ok((IdentifierForm::SidBase64, Identifier::Sid(sid))),
                (None, None) => Ok((IdentifierForm::ImmutableId, Identifier::Bytes(bytes))),
            }
        }
        Err(IdentifierError::Base64 { problem, .. }) => Err(ConvertError::Unrecognised {
            input: input.to_owned(),
            reason: format!(
                "it is not a GUID, 32 hex digits, an LDAP escape or a SID, and as an ImmutableID it is \
                 not canonical Base64: {problem}"
            ),
        }),
        Err(other) => Err(ConvertError::Unrecognised {
            input: input.to_owned(),
            reason: other.to_string(),
        }),
    }
}

fn describe(identifier: &Identifier) -> String {
    match identifier {
        Identifier::Guid(guid) => format!("GUID {guid}"),
        Identifier::Sid(sid) => format!("SID {sid}"),
        Identifier::Bytes(bytes) => format!("{} bytes", bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_form_of_one_guid() {
        for input in [
            "88666888-0101-1111-bbbb-1234567890ab",
            "{88666888-0101-1111-BBBB-1234567890AB}",
            "iGhmiAEBERG7uxI0VniQqw==",
            "8868668801011111bbbb1234567890ab",
            "88 68 66 88 01 01 11 11 bb bb 12 34 56 78 90 ab",
            "0x88 0x68 0x66 0x88 0x01 0x01 0x11 0x11 0xBB 0xBB 0x12 0x34 0x56 0x78 0x90 0xAB",
            r"\88\68\66\88\01\01\11\11\BB\BB\12\34\56\78\90\AB",
        ] {
            let conversion = convert(input, None).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                conversion.guid.as_deref(),
                Some("88666888-0101-1111-bbbb-1234567890ab"),
                "{input}"
            );
            assert_eq!(
                conversion.immutable_id.as_deref(),
                Some("iGhmiAEBERG7uxI0VniQqw=="),
                "{input}"
            );
        }
    }

    #[test]
    fn guid_without_hyphens_needs_the_form_named() {
        let conversion = convert(
            "8866688801011111bbbb1234567890ab",
            Some(IdentifierForm::Guid),
        )
        .unwrap();
        assert_eq!(
            conversion.guid.as_deref(),
            Some("88666888-0101-1111-bbbb-1234567890ab")
        );
        // Detected, the same digits are the bytes in AD order: a different GUID.
        let detected = convert("8866688801011111bbbb1234567890ab", None).unwrap();
        assert_eq!(
            detected.guid.as_deref(),
            Some("88686688-0101-1111-bbbb-1234567890ab")
        );
    }

    #[test]
    fn sixteen_bytes_that_are_also_a_sid_are_ambiguous() {
        // revision 1, two sub-authorities: 16 bytes, also a GUID.
        let sid: Sid = "S-1-5-21-1000".parse().unwrap();
        let input = encode_base64(&sid.to_bytes());
        assert!(matches!(
            convert(&input, None),
            Err(ConvertError::Ambiguous { .. })
        ));
        assert_eq!(
            convert(&input, Some(IdentifierForm::SidBase64))
                .unwrap()
                .sid
                .as_deref(),
            Some("S-1-5-21-1000")
        );
    }

    #[test]
    fn a_value_of_other_than_16_bytes_says_it_is_not_a_guid_issue_10() {
        let numeric = convert("10000183", None).unwrap();
        assert_eq!(numeric.hex.as_deref(), Some("d74d34d35f37"));
        assert_eq!(numeric.warnings.len(), 1);
        assert!(
            numeric.warnings[0].starts_with(
                "decodes to 6 bytes, not the 16 of a GUID: it was not derived from objectGUID"
            ),
            "{:?}",
            numeric.warnings
        );
        assert!(numeric.warnings[0].contains("hard-cloud"));
        let long = convert(r"\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11", None).unwrap();
        assert!(long.warnings[0].starts_with("decodes to 17 bytes"));
        // A GUID, a SID, or text given as text: nothing to warn about.
        assert!(
            convert("iGhmiAEBERG7uxI0VniQqw==", None)
                .unwrap()
                .warnings
                .is_empty()
        );
        assert!(
            convert("S-1-5-21-1-2-3-1105", None)
                .unwrap()
                .warnings
                .is_empty()
        );
        assert!(
            convert("E10023", Some(IdentifierForm::Text))
                .unwrap()
                .warnings
                .is_empty()
        );
        assert!(convert("RTEwMDIz", None).unwrap().warnings[0].contains("write `text`"));
    }

    #[test]
    fn non_ascii_input_is_refused_not_a_panic_issue_10() {
        let error = convert("山田太郎", None).unwrap_err().to_string();
        assert!(error.contains("character 1 is `山`"), "{error}");
        let error = convert("S\u{e9}", None).unwrap_err().to_string();
        assert!(error.contains("`Sé`"), "{error}");
    }

    #[test]
    fn text_profile_value() {
        let conversion = convert("RTEwMDIz", None).unwrap();
        assert_eq!(conversion.text.as_deref(), Some("E10023"));
        assert_eq!(conversion.guid, None);
        let conversion = convert("山田太郎", Some(IdentifierForm::Text)).unwrap();
        assert_eq!(conversion.immutable_id.as_deref(), Some("5bGx55Sw5aSq6YOO"));
    }
}
