//! The rules a sourceAnchor must follow (docs/rules.md §2, from Microsoft's "Design concepts":
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts>).
//!
//! - fewer than 60 characters, where every character outside `a-z A-Z 0-9` counts 3;
//! - for a string source, none of ``\ ! # $ % & * + / = ? ^ ` { } | ~ < > ( ) ' ; : , [ ] " @ _``;
//! - Microsoft Graph additionally refuses `$` and `_` in `onPremisesImmutableId`;
//! - unique among all objects in scope, compared case-sensitively.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::identifier::decode_canonical_base64;

/// The weighted length must stay below this.
pub const MAX_WEIGHTED_LENGTH: usize = 60;

/// Characters a string-valued sourceAnchor may not contain.
pub const FORBIDDEN_IN_STRING_SOURCE: &[char] = &[
    '\\', '!', '#', '$', '%', '&', '*', '+', '/', '=', '?', '^', '`', '{', '}', '|', '~', '<', '>',
    '(', ')', '\'', ';', ':', ',', '[', ']', '"', '@', '_',
];

/// Characters Microsoft Graph refuses in `onPremisesImmutableId`.
pub const FORBIDDEN_BY_GRAPH: &[char] = &['$', '_'];

/// Where a sourceAnchor value comes from, which decides the character rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum AnchorSource {
    /// Binary when the value is canonical Base64 of 16 bytes or contains `+ / =`, a string otherwise.
    #[default]
    Auto,
    /// The Base64 encoding of a binary attribute (objectGUID, mS-DS-ConsistencyGuid).
    Binary,
    /// A string attribute used as is.
    String,
}

/// The length the rules count: characters outside `a-z A-Z 0-9` count 3.
pub fn weighted_length(value: &str) -> usize {
    value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { 1 } else { 3 })
        .sum()
}

/// A broken rule that makes a value unusable as a sourceAnchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorViolation {
    /// No value.
    Empty,
    /// Weighted length of 60 or more.
    TooLong {
        /// The weighted length.
        weighted: usize,
    },
    /// Characters Graph refuses in `onPremisesImmutableId`.
    RefusedByGraph {
        /// The characters found.
        characters: Vec<char>,
    },
    /// Characters forbidden in a string-valued sourceAnchor.
    ForbiddenInString {
        /// The characters found.
        characters: Vec<char>,
    },
    /// Control characters, which no directory or claim carries intact.
    ControlCharacter,
    /// The same value on another object.
    Duplicate {
        /// Where the other one is (its position or DN).
        other: String,
    },
}

fn quote_chars(characters: &[char]) -> String {
    characters
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for AnchorViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the value is empty"),
            Self::TooLong { weighted } => write!(
                f,
                "weighted length is {weighted}: every character outside a-z A-Z 0-9 counts 3, and the total \
                 must be under {MAX_WEIGHTED_LENGTH}"
            ),
            Self::RefusedByGraph { characters } => write!(
                f,
                "contains {}: Microsoft Graph refuses `$` and `_` in onPremisesImmutableId",
                quote_chars(characters)
            ),
            Self::ForbiddenInString { characters } => write!(
                f,
                "contains {}, forbidden in a sourceAnchor taken from a string attribute",
                quote_chars(characters)
            ),
            Self::ControlCharacter => write!(f, "contains a control character"),
            Self::Duplicate { other } => write!(
                f,
                "the same value is also held by {other}: a sourceAnchor must be unique"
            ),
        }
    }
}

/// A finding that does not make the value unusable but deserves a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorWarning {
    /// Canonical Base64 whose decoded length is not the 16 of a GUID.
    NotGuidLength {
        /// The decoded length.
        len: usize,
    },
    /// Not canonical Base64, so no binary AD value encodes to it.
    NotCanonicalBase64,
    /// Read as Base64 of a binary value; the same text from a string attribute would break a rule.
    StringRulesWouldFail {
        /// The characters that a string source forbids.
        characters: Vec<char>,
    },
    /// Leading or trailing whitespace.
    Whitespace,
    /// Looks like an address or a name, which change when people do.
    NameBased,
    /// Differs from another value only by case.
    CaseOnly {
        /// Where the other one is.
        other: String,
        /// The other value.
        other_value: String,
    },
}

impl fmt::Display for AnchorWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotGuidLength { len } => write!(
                f,
                "decodes to {}, not the 16 of a GUID: it was not derived from objectGUID or \
                 mS-DS-ConsistencyGuid",
                crate::wording::count(*len, "byte", "bytes")
            ),
            Self::NotCanonicalBase64 => write!(
                f,
                "not canonical Base64: no binary AD value encodes to it, so only a string attribute copied \
                 as is can carry it, and a hard match written from AD cannot reproduce it"
            ),
            Self::StringRulesWouldFail { characters } => write!(
                f,
                "read as the Base64 of a binary attribute; from a string attribute copied as is, {} would \
                 be forbidden",
                quote_chars(characters)
            ),
            Self::Whitespace => write!(
                f,
                "has leading or trailing whitespace, which copy and paste and many tools lose"
            ),
            Self::NameBased => write!(
                f,
                "looks like an address or name; a name-based anchor changes when the person is renamed, and \
                 a sourceAnchor must never change"
            ),
            Self::CaseOnly { other, other_value } => write!(
                f,
                "differs only by case from {other} (`{other_value}`): Entra compares sourceAnchors \
                 case-sensitively, but a tool or identity provider that does not will confuse the two"
            ),
        }
    }
}

/// The verdict on one value: the JSON of `anchorsync check-anchor --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorCheck {
    /// The value checked.
    pub value: String,
    /// Whether it can be a sourceAnchor.
    pub valid: bool,
    /// Rules it breaks.
    #[serde(serialize_with = "display_all")]
    pub errors: Vec<AnchorViolation>,
    /// Findings worth a look.
    #[serde(serialize_with = "display_all")]
    pub warnings: Vec<AnchorWarning>,
}

fn display_all<S: serde::Serializer, T: fmt::Display>(
    items: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(ToString::to_string))
}

/// Checks one value on its own (uniqueness needs the others: see [`check_anchors`]).
pub fn check_anchor(value: &str, source: AnchorSource) -> AnchorCheck {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if value.is_empty() {
        errors.push(AnchorViolation::Empty);
    }
    let weighted = weighted_length(value);
    if weighted >= MAX_WEIGHTED_LENGTH {
        errors.push(AnchorViolation::TooLong { weighted });
    }
    let found = |set: &[char]| -> Vec<char> {
        let mut characters: Vec<char> = value.chars().filter(|c| set.contains(c)).collect();
        characters.sort_unstable();
        characters.dedup();
        characters
    };
    let refused = found(FORBIDDEN_BY_GRAPH);
    if !refused.is_empty() {
        errors.push(AnchorViolation::RefusedByGraph {
            characters: refused,
        });
    }
    if value.chars().any(char::is_control) {
        errors.push(AnchorViolation::ControlCharacter);
    }
    let decoded = decode_canonical_base64(value).ok();
    let as_string = match source {
        AnchorSource::String => true,
        AnchorSource::Binary => false,
        // Short words such as `taro` are canonical Base64 too: only a GUID's length or Base64's own
        // punctuation makes the binary reading the likely one.
        AnchorSource::Auto => !decoded
            .as_ref()
            .is_some_and(|bytes| bytes.len() == 16 || value.contains(['+', '/', '='])),
    };
    // Graph's refusal already covers `$` and `_`; name only the rest here.
    let forbidden: Vec<char> = found(FORBIDDEN_IN_STRING_SOURCE)
        .into_iter()
        .filter(|c| !FORBIDDEN_BY_GRAPH.contains(c))
        .collect();
    if as_string {
        if !forbidden.is_empty() {
            errors.push(AnchorViolation::ForbiddenInString {
                characters: forbidden,
            });
        }
        if !value.is_empty() && decoded.is_none() {
            warnings.push(AnchorWarning::NotCanonicalBase64);
        }
    } else if !forbidden.is_empty() {
        warnings.push(AnchorWarning::StringRulesWouldFail {
            characters: forbidden,
        });
    }
    if let Some(bytes) = &decoded
        && bytes.len() != 16
        && !as_string
    {
        warnings.push(AnchorWarning::NotGuidLength { len: bytes.len() });
    }
    if value.trim() != value {
        warnings.push(AnchorWarning::Whitespace);
    }
    if value.contains('@') || value.contains(' ') {
        warnings.push(AnchorWarning::NameBased);
    }
    AnchorCheck {
        value: value.to_owned(),
        valid: errors.is_empty(),
        errors,
        warnings,
    }
}

/// Checks values together: each on its own, then exact duplicates (an error on both) and values that
/// differ only by case (a warning on both). Values are referred to as `value #n`, counting from 1.
pub fn check_anchors<S: AsRef<str>>(values: &[S], source: AnchorSource) -> Vec<AnchorCheck> {
    let mut checks: Vec<AnchorCheck> = values
        .iter()
        .map(|value| check_anchor(value.as_ref(), source))
        .collect();
    let mut by_folded: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, value) in values.iter().enumerate() {
        by_folded
            .entry(value.as_ref().to_lowercase())
            .or_default()
            .push(index);
    }
    let mut groups: Vec<&Vec<usize>> = by_folded.values().filter(|group| group.len() > 1).collect();
    groups.sort();
    for group in groups {
        for &index in group {
            for &other in group {
                if other == index {
                    continue;
                }
                let (Some(this_value), Some(other_value)) = (values.get(index), values.get(other))
                else {
                    continue;
                };
                let (this_value, other_value) = (this_value.as_ref(), other_value.as_ref());
                let Some(check) = checks.get_mut(index) else {
                    continue;
                };
                let other_label = format!("value #{}", other + 1);
                if this_value == other_value {
                    check
                        .errors
                        .push(AnchorViolation::Duplicate { other: other_label });
                    check.valid = false;
                } else {
                    check.warnings.push(AnchorWarning::CaseOnly {
                        other: other_label,
                        other_value: other_value.to_owned(),
                    });
                }
            }
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_length_counts_non_alphanumerics_three_times() {
        assert_eq!(weighted_length("iGhmiAEBERG7uxI0VniQqw=="), 22 + 6);
        assert_eq!(weighted_length("山"), 3);
        let long = "a".repeat(59);
        assert!(check_anchor(&long, AnchorSource::String).valid);
        assert!(!check_anchor(&format!("{long}a"), AnchorSource::String).valid);
        assert!(!check_anchor(&format!("{}.", "a".repeat(57)), AnchorSource::String).valid);
    }

    #[test]
    fn base64_guid_is_valid_but_the_same_text_from_a_string_is_not() {
        assert!(check_anchor("iGhmiAEBERG7uxI0VniQqw==", AnchorSource::Auto).valid);
        let string = check_anchor("iGhmiAEBERG7uxI0VniQqw==", AnchorSource::String);
        assert!(!string.valid);
        assert_eq!(
            string.errors,
            vec![AnchorViolation::ForbiddenInString {
                characters: vec!['=']
            }]
        );
    }

    #[test]
    fn graph_refuses_dollar_and_underscore() {
        let check = check_anchor("iGhmiAEBERG7uxI0VniQq_==", AnchorSource::Auto);
        assert!(!check.valid);
        assert!(check.errors.contains(&AnchorViolation::RefusedByGraph {
            characters: vec!['_']
        }));
    }

    #[test]
    fn duplicates_and_case_only_differences_among_values() {
        let checks = check_anchors(&["AbCd", "abcd", "AbCd"], AnchorSource::Auto);
        assert!(!checks[0].valid && !checks[2].valid);
        assert!(checks[1].valid);
        assert_eq!(
            checks[1]
                .warnings
                .iter()
                .filter(|w| matches!(w, AnchorWarning::CaseOnly { .. }))
                .count(),
            2
        );
    }
}
