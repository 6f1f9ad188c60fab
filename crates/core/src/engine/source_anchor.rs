//! Rule §2: which value is an on-premises user's sourceAnchor, and whether it may be one.
//!
//! The anchor attribute is chosen once. By default it is `mS-DS-ConsistencyGuid`, and `objectGUID` when
//! that is empty (Entra Connect 1.1.524+ writes objectGUID into mS-DS-ConsistencyGuid before the first
//! export, so both give the same value). How the attribute's bytes become text is a setting
//! ([`AnchorEncoding`]): Entra Connect Base64-encodes binary attributes and copies string attributes as
//! they are; HENNGE's Directory Sync Tool Base64-encodes whatever the type.
//!
//! The character and length rules themselves live in [`crate::anchor`]; this module only decides which
//! value they are applied to and turns their verdict into what a plan reports.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::anchor::{
    AnchorSource, AnchorViolation, AnchorWarning, MAX_WEIGHTED_LENGTH, check_anchor,
    weighted_length,
};
use crate::directory::{OnPremUser, is_binary_attribute};
use crate::identifier::encode_base64;

/// The default anchor attribute (Entra Connect 1.1.524 and later).
pub const CONSISTENCY_GUID: &str = "mS-DS-ConsistencyGuid";

/// The attribute used when mS-DS-ConsistencyGuid is empty.
pub const OBJECT_GUID: &str = "objectGUID";

/// Attributes that hold a person's name or address: they change when people do, and a sourceAnchor
/// must never change (Microsoft's "Design concepts").
pub const NAME_BASED_ATTRIBUTES: &[&str] = &[
    "userPrincipalName",
    "mail",
    "proxyAddresses",
    "targetAddress",
    "mailNickname",
    "sAMAccountName",
    "displayName",
    "cn",
    "name",
    "givenName",
    "sn",
    "distinguishedName",
];

/// How an attribute's bytes become the sourceAnchor text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum AnchorEncoding {
    /// Entra Connect: binary attributes (objectGUID, mS-DS-ConsistencyGuid, objectSid) Base64, string
    /// attributes as they are.
    #[default]
    Auto,
    /// Base64 of the attribute's bytes whatever its type (HENNGE Directory Sync Tool's profile).
    Base64,
    /// The attribute's bytes as text, as they are.
    Raw,
}

impl AnchorEncoding {
    /// The spelling used on the command line and in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Base64 => "base64",
            Self::Raw => "raw",
        }
    }
}

/// Which attribute holds the sourceAnchor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AnchorAttribute {
    /// `mS-DS-ConsistencyGuid`, or `objectGUID` when it is empty: Entra Connect's default.
    #[default]
    ConsistencyGuid,
    /// Any other attribute, used as configured (no fallback).
    Named(String),
}

impl AnchorAttribute {
    /// The attribute a name designates: `mS-DS-ConsistencyGuid` (any case) keeps its objectGUID
    /// fallback, because that is what Entra Connect does with it.
    pub fn from_name(name: &str) -> Self {
        if name.eq_ignore_ascii_case(CONSISTENCY_GUID) {
            Self::ConsistencyGuid
        } else {
            Self::Named(name.to_owned())
        }
    }

    /// The attribute's name.
    pub fn name(&self) -> &str {
        match self {
            Self::ConsistencyGuid => CONSISTENCY_GUID,
            Self::Named(name) => name,
        }
    }

    /// The attribute read when this one is empty.
    pub fn fallback(&self) -> Option<&'static str> {
        match self {
            Self::ConsistencyGuid => Some(OBJECT_GUID),
            Self::Named(_) => None,
        }
    }
}

/// A user's sourceAnchor and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAnchor {
    /// The value Entra compares with onPremisesImmutableId.
    pub value: String,
    /// The attribute the value was read from (borrowed for the two default attributes: a plan holds a
    /// million of these).
    pub attribute: Cow<'static, str>,
    /// Whether `objectGUID` was used because mS-DS-ConsistencyGuid is empty.
    pub fallback: bool,
    /// Whether the value is the Base64 of the attribute's bytes (otherwise the bytes as text).
    pub base64: bool,
    /// How many bytes the attribute holds.
    pub byte_len: usize,
}

/// Why a user has no usable sourceAnchor (outcome `invalid-anchor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorProblem {
    /// The attribute (and its fallback) has no value.
    Missing {
        /// The configured attribute.
        attribute: String,
        /// The fallback that was empty too.
        fallback: Option<String>,
    },
    /// The attribute has several values.
    MultiValued {
        /// The attribute.
        attribute: String,
        /// How many values.
        count: usize,
    },
    /// The encoding takes the bytes as text, and they are not UTF-8.
    NotText {
        /// The attribute.
        attribute: String,
    },
    /// The value breaks the sourceAnchor rules.
    BrokenRules {
        /// The rules it breaks.
        violations: Vec<AnchorViolation>,
    },
}

/// A finding about a valid sourceAnchor that an administrator should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorNote {
    /// mS-DS-ConsistencyGuid holds a number of bytes other than the 16 of a GUID.
    ConsistencyGuidLength {
        /// The number of bytes.
        len: usize,
    },
    /// The anchor attribute holds a name or address.
    NameBasedAttribute {
        /// The attribute.
        attribute: String,
    },
    /// The value looks like an address or a name.
    NameBasedValue,
    /// The value has leading or trailing whitespace.
    Whitespace,
}

/// Turns an attribute's bytes into sourceAnchor text under an encoding. `None` when the encoding takes
/// the bytes as text and they are not UTF-8.
pub fn encode_anchor(
    attribute: &str,
    bytes: &[u8],
    encoding: AnchorEncoding,
) -> Option<(String, bool)> {
    let base64 = match encoding {
        AnchorEncoding::Auto => is_binary_attribute(attribute),
        AnchorEncoding::Base64 => true,
        AnchorEncoding::Raw => false,
    };
    if base64 {
        Some((encode_base64(bytes), true))
    } else {
        std::str::from_utf8(bytes)
            .ok()
            .map(|text| (text.to_owned(), false))
    }
}

/// Reads a user's sourceAnchor: the configured attribute, its fallback when empty, encoded.
pub fn source_anchor(
    user: &OnPremUser,
    attribute: &AnchorAttribute,
    encoding: AnchorEncoding,
) -> Result<SourceAnchor, AnchorProblem> {
    let (name, bytes, fallback): (Cow<'static, str>, Vec<u8>, bool) = match attribute {
        AnchorAttribute::ConsistencyGuid => {
            match (
                user.consistency_guid.as_ref().filter(|b| !b.is_empty()),
                user.object_guid,
            ) {
                (Some(bytes), _) => (Cow::Borrowed(CONSISTENCY_GUID), bytes.clone(), false),
                (None, Some(guid)) => (
                    Cow::Borrowed(OBJECT_GUID),
                    guid.as_ad_bytes().to_vec(),
                    true,
                ),
                (None, None) => {
                    return Err(AnchorProblem::Missing {
                        attribute: CONSISTENCY_GUID.to_owned(),
                        fallback: Some(OBJECT_GUID.to_owned()),
                    });
                }
            }
        }
        AnchorAttribute::Named(name) => {
            let mut values = user.attribute_values(name);
            values.retain(|value| !value.is_empty());
            match values.len() {
                0 => {
                    return Err(AnchorProblem::Missing {
                        attribute: name.clone(),
                        fallback: None,
                    });
                }
                1 => (
                    Cow::Owned(name.clone()),
                    values.pop().unwrap_or_default(),
                    false,
                ),
                count => {
                    return Err(AnchorProblem::MultiValued {
                        attribute: name.clone(),
                        count,
                    });
                }
            }
        }
    };
    let Some((value, base64)) = encode_anchor(&name, &bytes, encoding) else {
        return Err(AnchorProblem::NotText {
            attribute: name.into_owned(),
        });
    };
    Ok(SourceAnchor {
        value,
        attribute: name,
        fallback,
        base64,
        byte_len: bytes.len(),
    })
}

fn is_name_based(attribute: &str) -> bool {
    NAME_BASED_ATTRIBUTES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(attribute))
}

/// Applies the sourceAnchor rules to a value: `Err` when it breaks one, otherwise what deserves a look.
pub fn check_source_anchor(anchor: &SourceAnchor) -> Result<Vec<AnchorNote>, AnchorProblem> {
    // Base64 output holds only A-Z a-z 0-9 + / =: of the rules only the weighted length can fail, and
    // neither whitespace nor an address can appear. Checking that much is enough for the million
    // binary anchors of a large directory; anything else gets every rule.
    if anchor.base64
        && !anchor.value.is_empty()
        && weighted_length(&anchor.value) < MAX_WEIGHTED_LENGTH
    {
        let mut notes = Vec::new();
        if anchor.attribute.eq_ignore_ascii_case(CONSISTENCY_GUID) && anchor.byte_len != 16 {
            notes.push(AnchorNote::ConsistencyGuidLength {
                len: anchor.byte_len,
            });
        }
        if is_name_based(&anchor.attribute) {
            notes.push(AnchorNote::NameBasedAttribute {
                attribute: anchor.attribute.clone().into_owned(),
            });
        }
        return Ok(notes);
    }
    let source = if anchor.base64 {
        AnchorSource::Binary
    } else {
        AnchorSource::String
    };
    let check = check_anchor(&anchor.value, source);
    if !check.valid {
        return Err(AnchorProblem::BrokenRules {
            violations: check.errors,
        });
    }
    let mut notes = Vec::new();
    if anchor.attribute.eq_ignore_ascii_case(CONSISTENCY_GUID) && anchor.byte_len != 16 {
        notes.push(AnchorNote::ConsistencyGuidLength {
            len: anchor.byte_len,
        });
    }
    if is_name_based(&anchor.attribute) {
        notes.push(AnchorNote::NameBasedAttribute {
            attribute: anchor.attribute.clone().into_owned(),
        });
    }
    // Only the findings that say something about this value; the Base64-versus-string readings that
    // `check_anchor` offers for a value of unknown origin do not apply when the origin is known.
    for warning in check.warnings {
        match warning {
            AnchorWarning::Whitespace => notes.push(AnchorNote::Whitespace),
            AnchorWarning::NameBased
                if !notes
                    .iter()
                    .any(|note| matches!(note, AnchorNote::NameBasedAttribute { .. })) =>
            {
                notes.push(AnchorNote::NameBasedValue);
            }
            _ => {}
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::ObjectGuid;

    fn user() -> OnPremUser {
        OnPremUser {
            dn: "CN=Taro,DC=corp".into(),
            object_guid: Some(
                "88666888-0101-1111-bbbb-1234567890ab"
                    .parse::<ObjectGuid>()
                    .unwrap(),
            ),
            ..OnPremUser::default()
        }
    }

    #[test]
    fn default_reads_consistency_guid_then_object_guid() {
        let mut user = user();
        let anchor =
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto).unwrap();
        assert_eq!(anchor.value, "iGhmiAEBERG7uxI0VniQqw==");
        assert_eq!(anchor.attribute, OBJECT_GUID);
        assert!(anchor.fallback && anchor.base64);

        user.consistency_guid = Some(vec![1; 16]);
        let anchor =
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto).unwrap();
        assert_eq!(anchor.value, "AQEBAQEBAQEBAQEBAQEBAQ==");
        assert_eq!(anchor.attribute, CONSISTENCY_GUID);
        assert!(!anchor.fallback);

        // An empty value is no value: Entra Connect falls back.
        user.consistency_guid = Some(Vec::new());
        let anchor =
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto).unwrap();
        assert_eq!(anchor.attribute, OBJECT_GUID);
    }

    #[test]
    fn missing_anchor_names_both_attributes() {
        let user = OnPremUser::default();
        assert_eq!(
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto),
            Err(AnchorProblem::Missing {
                attribute: CONSISTENCY_GUID.into(),
                fallback: Some(OBJECT_GUID.into())
            })
        );
    }

    #[test]
    fn string_attribute_auto_is_raw_and_base64_profile_encodes_it() {
        let mut user = user();
        user.employee_id = Some("E10023".into());
        let attribute = AnchorAttribute::from_name("employeeID");
        let raw = source_anchor(&user, &attribute, AnchorEncoding::Auto).unwrap();
        assert_eq!((raw.value.as_str(), raw.base64), ("E10023", false));
        let hennge = source_anchor(&user, &attribute, AnchorEncoding::Base64).unwrap();
        assert_eq!((hennge.value.as_str(), hennge.base64), ("RTEwMDIz", true));
    }

    #[test]
    fn raw_encoding_of_a_guid_is_not_text() {
        let mut user = user();
        user.consistency_guid = Some(vec![0xff; 16]);
        assert_eq!(
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Raw),
            Err(AnchorProblem::NotText {
                attribute: CONSISTENCY_GUID.into()
            })
        );
    }

    #[test]
    fn multi_valued_attribute_is_refused() {
        let mut user = user();
        user.proxy_addresses = vec!["SMTP:a@x.com".into(), "smtp:b@x.com".into()];
        assert!(matches!(
            source_anchor(
                &user,
                &AnchorAttribute::from_name("proxyAddresses"),
                AnchorEncoding::Auto
            ),
            Err(AnchorProblem::MultiValued { count: 2, .. })
        ));
    }

    #[test]
    fn rules_apply_to_the_encoded_value() {
        let mut user = user();
        user.consistency_guid = Some(vec![0xfb; 45]); // Base64 of 45 bytes: 60 characters
        let anchor =
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto).unwrap();
        let problem = check_source_anchor(&anchor).unwrap_err();
        assert!(
            matches!(problem, AnchorProblem::BrokenRules { .. }),
            "{problem:?}"
        );

        user.consistency_guid = Some(vec![7; 20]);
        let anchor =
            source_anchor(&user, &AnchorAttribute::default(), AnchorEncoding::Auto).unwrap();
        assert_eq!(
            check_source_anchor(&anchor).unwrap(),
            vec![AnchorNote::ConsistencyGuidLength { len: 20 }]
        );

        user.employee_id = Some("E-100_23".into());
        let anchor = source_anchor(
            &user,
            &AnchorAttribute::from_name("employeeID"),
            AnchorEncoding::Auto,
        )
        .unwrap();
        assert!(check_source_anchor(&anchor).is_err());
    }

    #[test]
    fn base64_fast_path_agrees_with_every_rule() {
        let mut state = 7u64;
        for len in [0usize, 1, 15, 16, 20, 40, 41, 42, 43, 44, 45, 60] {
            for _ in 0..200 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        (state >> 56) as u8
                    })
                    .collect();
                let anchor = SourceAnchor {
                    value: encode_base64(&bytes),
                    attribute: Cow::Borrowed(OBJECT_GUID),
                    fallback: false,
                    base64: true,
                    byte_len: len,
                };
                let full = check_anchor(&anchor.value, AnchorSource::Binary);
                assert_eq!(
                    check_source_anchor(&anchor).is_ok(),
                    full.valid,
                    "{}",
                    anchor.value
                );
            }
        }
    }

    #[test]
    fn name_based_attribute_is_noted() {
        let mut user = user();
        user.sam_account_name = Some("taro".into());
        let anchor = source_anchor(
            &user,
            &AnchorAttribute::from_name("sAMAccountName"),
            AnchorEncoding::Auto,
        )
        .unwrap();
        assert_eq!(
            check_source_anchor(&anchor).unwrap(),
            vec![AnchorNote::NameBasedAttribute {
                attribute: "sAMAccountName".into()
            }]
        );
    }
}
