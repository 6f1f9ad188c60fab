//! How `[sync.attributes]` overrides a property's flow: another AD attribute, a constant, a template,
//! a transform, or "not managed".
//!
//! Every override is a string (or `false`):
//!
//! | written | means |
//! |---|---|
//! | `"{title}"` | the AD attribute `title` (any attribute the reader keeps) |
//! | `"{mail\|lower}"` | the attribute, transformed: `lower`, `upper`, `trim`, chained with `\|` |
//! | `"{givenName} {sn}"` | a template: text with attributes in braces (`{{` and `}}` for braces) |
//! | `"Contoso Ltd"` | a constant: a template without attributes |
//! | `false` | not managed: the property is never written |
//!
//! Attribute values and the result are trimmed (Entra Connect's rules `Trim()` nearly every
//! attribute); a template whose attributes are all empty gives no value, so `"{givenName} {sn}"` does not write a lone space. A
//! constant spelled exactly like an AD attribute the readers know (`"title"`) is refused: it almost
//! always means `"{title}"`. Binary attributes (objectGUID...) are written in Base64.

use std::fmt;

use crate::directory::{OnPremUser, STANDARD_ATTRIBUTES, is_binary_attribute};
use crate::identifier::encode_base64;

/// How a property's value is made from an on-premises user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// Entra Connect's out-of-box rule for the property.
    Default,
    /// Never written: the cloud value is left as it is.
    NotManaged,
    /// The same text for every user.
    Constant(String),
    /// One AD attribute, transformed.
    Attribute(Placeholder),
    /// Text and attributes.
    Template(Template),
}

/// One attribute in braces, with its transforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The AD attribute, as written.
    pub attribute: String,
    /// Applied in order.
    pub transforms: Vec<Transform>,
}

/// A simple text transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Lowercase (Unicode).
    Lower,
    /// Uppercase (Unicode).
    Upper,
    /// Leading and trailing whitespace removed.
    Trim,
}

impl Transform {
    /// Every transform, by name.
    pub const ALL: [(&'static str, Self); 3] = [
        ("lower", Self::Lower),
        ("upper", Self::Upper),
        ("trim", Self::Trim),
    ];

    /// The name written after `|`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lower => "lower",
            Self::Upper => "upper",
            Self::Trim => "trim",
        }
    }

    fn apply(self, text: String) -> String {
        match self {
            Self::Lower => text.to_lowercase(),
            Self::Upper => text.to_uppercase(),
            Self::Trim => text.trim().to_owned(),
        }
    }
}

/// Literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The parts.
    pub parts: Vec<TemplatePart>,
}

/// A part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text as written (braces unescaped).
    Literal(String),
    /// An attribute.
    Attribute(Placeholder),
}

/// Why an override cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{` without its `}`.
    #[error("`{{` at character {at} is not closed (write `{{{{` for a literal brace)")]
    Unclosed {
        /// 1-based character position.
        at: usize,
    },
    /// A `}` without a `{`.
    #[error("`}}` at character {at} closes nothing (write `}}}}` for a literal brace)")]
    Unopened {
        /// 1-based character position.
        at: usize,
    },
    /// `{}` or `{|lower}`.
    #[error("`{{}}` at character {at} names no attribute")]
    EmptyPlaceholder {
        /// 1-based character position.
        at: usize,
    },
    /// Not an LDAP attribute name.
    #[error("`{name}` is not an attribute name (a letter, then letters, digits and `-`)")]
    BadAttribute {
        /// As written.
        name: String,
    },
    /// A transform that does not exist.
    #[error("`{name}` is not a transform (lower, upper, trim)")]
    UnknownTransform {
        /// As written.
        name: String,
    },
    /// A constant that is an attribute's name.
    #[error("`{text}` would be the same text for every user; write `{{{text}}}` for the attribute")]
    ConstantLooksLikeAttribute {
        /// The constant.
        text: String,
    },
}

/// Why an AD value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceProblem {
    /// The attribute has several values; the property takes one.
    MultiValued {
        /// The attribute.
        attribute: String,
        /// How many values.
        count: usize,
    },
    /// The attribute's bytes are not UTF-8 text.
    NotText {
        /// The attribute.
        attribute: String,
    },
}

impl Mapping {
    /// Reads an override as written in `[sync.attributes]` (module docs).
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let parts = parse_parts(text)?;
        match parts.as_slice() {
            [] => Ok(Self::Constant(String::new())),
            [TemplatePart::Literal(literal)] => {
                let known = STANDARD_ATTRIBUTES
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(literal.trim()));
                if known {
                    return Err(TemplateError::ConstantLooksLikeAttribute {
                        text: literal.trim().to_owned(),
                    });
                }
                Ok(Self::Constant(literal.clone()))
            }
            [TemplatePart::Attribute(placeholder)] => Ok(Self::Attribute(placeholder.clone())),
            _ => Ok(Self::Template(Template { parts })),
        }
    }

    /// The AD attributes this mapping reads (the readers must keep them).
    pub fn attributes(&self) -> Vec<&str> {
        match self {
            Self::Attribute(placeholder) => vec![placeholder.attribute.as_str()],
            Self::Template(template) => template
                .parts
                .iter()
                .filter_map(|part| match part {
                    TemplatePart::Attribute(placeholder) => Some(placeholder.attribute.as_str()),
                    TemplatePart::Literal(_) => None,
                })
                .collect(),
            Self::Default | Self::NotManaged | Self::Constant(_) => Vec::new(),
        }
    }

    /// The value for one user, trimmed; `None` when empty. Only for `Constant`, `Attribute` and
    /// `Template` (the others give `None`).
    pub fn evaluate(&self, user: &OnPremUser) -> Result<Option<String>, SourceProblem> {
        let text = match self {
            Self::Default | Self::NotManaged => return Ok(None),
            Self::Constant(text) => text.clone(),
            Self::Attribute(placeholder) => placeholder.value(user)?.unwrap_or_default(),
            Self::Template(template) => {
                let mut text = String::new();
                let mut any = false;
                for part in &template.parts {
                    match part {
                        TemplatePart::Literal(literal) => text.push_str(literal),
                        TemplatePart::Attribute(placeholder) => {
                            if let Some(value) = placeholder.value(user)? {
                                any |= !value.is_empty();
                                text.push_str(&value);
                            }
                        }
                    }
                }
                if !any {
                    return Ok(None);
                }
                text
            }
        };
        let trimmed = text.trim();
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }
}

impl Placeholder {
    /// The attribute's single value as text, trimmed and transformed; `None` when absent.
    pub fn value(&self, user: &OnPremUser) -> Result<Option<String>, SourceProblem> {
        let mut values = user.attribute_values(&self.attribute);
        values.retain(|value| !value.is_empty());
        let bytes = match values.len() {
            0 => return Ok(None),
            1 => values.pop().unwrap_or_default(),
            count => {
                return Err(SourceProblem::MultiValued {
                    attribute: self.attribute.clone(),
                    count,
                });
            }
        };
        let text = if is_binary_attribute(&self.attribute) {
            encode_base64(&bytes)
        } else {
            String::from_utf8(bytes).map_err(|_| SourceProblem::NotText {
                attribute: self.attribute.clone(),
            })?
        };
        Ok(Some(
            self.transforms
                .iter()
                .fold(text.trim().to_owned(), |text, transform| {
                    transform.apply(text)
                }),
        ))
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}", self.attribute)?;
        for transform in &self.transforms {
            write!(f, "|{}", transform.name())?;
        }
        f.write_str("}")
    }
}

impl fmt::Display for Mapping {
    /// The override as written (`parse` of the text gives the mapping back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let literal = |f: &mut fmt::Formatter<'_>, text: &str| {
            f.write_str(&text.replace('{', "{{").replace('}', "}}"))
        };
        match self {
            Self::Default => f.write_str("default"),
            Self::NotManaged => f.write_str("not managed"),
            Self::Constant(text) => literal(f, text),
            Self::Attribute(placeholder) => placeholder.fmt(f),
            Self::Template(template) => {
                for part in &template.parts {
                    match part {
                        TemplatePart::Literal(text) => literal(f, text)?,
                        TemplatePart::Attribute(placeholder) => placeholder.fmt(f)?,
                    }
                }
                Ok(())
            }
        }
    }
}

fn parse_parts(text: &str) -> Result<Vec<TemplatePart>, TemplateError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some((index, character)) = chars.next() {
        match character {
            '{' if chars.next_if(|(_, next)| *next == '{').is_some() => literal.push('{'),
            '}' if chars.next_if(|(_, next)| *next == '}').is_some() => literal.push('}'),
            '}' => return Err(TemplateError::Unopened { at: index + 1 }),
            '{' => {
                let mut inside = String::new();
                let mut closed = false;
                for (_, next) in chars.by_ref() {
                    if next == '}' {
                        closed = true;
                        break;
                    }
                    inside.push(next);
                }
                if !closed {
                    return Err(TemplateError::Unclosed { at: index + 1 });
                }
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePart::Attribute(placeholder(&inside, index + 1)?));
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() {
        parts.push(TemplatePart::Literal(literal));
    }
    Ok(parts)
}

/// Whether `name` is an LDAP attribute name (RFC 4512 `descr`: a letter, then letters, digits and `-`).
pub fn is_attribute_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters.next().is_some_and(|c| c.is_ascii_alphabetic())
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn placeholder(inside: &str, at: usize) -> Result<Placeholder, TemplateError> {
    let mut pieces = inside.split('|').map(str::trim);
    let attribute = pieces.next().unwrap_or_default();
    if attribute.is_empty() {
        return Err(TemplateError::EmptyPlaceholder { at });
    }
    if !is_attribute_name(attribute) {
        return Err(TemplateError::BadAttribute {
            name: attribute.to_owned(),
        });
    }
    let transforms = pieces
        .map(|name| {
            Transform::ALL
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
                .map(|(_, transform)| *transform)
                .ok_or_else(|| TemplateError::UnknownTransform {
                    name: name.to_owned(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Placeholder {
        attribute: attribute.to_owned(),
        transforms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::DirectoryEntry;

    fn user() -> OnPremUser {
        let mut entry = DirectoryEntry::new("CN=Taro,DC=corp");
        entry.push("givenName", " Taro ");
        entry.push("sn", "Yamada");
        entry.push("mail", "Taro.Yamada@Example.com");
        entry.push("proxyAddresses", "SMTP:a@example.com");
        entry.push("proxyAddresses", "smtp:b@example.com");
        entry.push("objectGUID", vec![0x88u8; 16]);
        entry.push("employeeType", vec![0xffu8, 0xfe]);
        OnPremUser::from_entry(entry).unwrap()
    }

    #[test]
    fn each_kind_parses_and_prints_back() {
        for text in [
            "{title}",
            "{mail|lower}",
            "{sn|trim|upper}",
            "{givenName} {sn}",
            "Contoso Ltd",
            "{{literal}} {sn}",
        ] {
            let mapping = Mapping::parse(text).unwrap();
            assert_eq!(mapping.to_string(), text);
            assert_eq!(Mapping::parse(&mapping.to_string()).unwrap(), mapping);
        }
        assert!(matches!(
            Mapping::parse("{title}"),
            Ok(Mapping::Attribute(_))
        ));
        assert!(matches!(
            Mapping::parse("Contoso"),
            Ok(Mapping::Constant(_))
        ));
        assert!(matches!(
            Mapping::parse("{a} {b}"),
            Ok(Mapping::Template(_))
        ));
        assert_eq!(
            Mapping::parse("{givenName} {sn|upper}")
                .unwrap()
                .attributes(),
            ["givenName", "sn"]
        );
    }

    #[test]
    fn parse_errors_say_what_and_where() {
        let cases = [
            (
                "{givenName",
                "`{` at character 1 is not closed (write `{{` for a literal brace)",
            ),
            (
                "a}b",
                "`}` at character 2 closes nothing (write `}}` for a literal brace)",
            ),
            ("x {} y", "`{}` at character 3 names no attribute"),
            (
                "{given name}",
                "`given name` is not an attribute name (a letter, then letters, digits and `-`)",
            ),
            (
                "{mail|lowr}",
                "`lowr` is not a transform (lower, upper, trim)",
            ),
            (
                "title",
                "`title` would be the same text for every user; write `{title}` for the attribute",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                Mapping::parse(text).unwrap_err().to_string(),
                message,
                "{text}"
            );
        }
    }

    #[test]
    fn evaluation_trims_transforms_and_reports_unusable_values() {
        let user = user();
        let value = |text: &str| Mapping::parse(text).unwrap().evaluate(&user);
        assert_eq!(value("{givenName} {sn}"), Ok(Some("Taro Yamada".into())));
        assert_eq!(
            value("{mail|lower}"),
            Ok(Some("taro.yamada@example.com".into()))
        );
        assert_eq!(value("{sn|upper}"), Ok(Some("YAMADA".into())));
        assert_eq!(
            value("Dept {department}"),
            Ok(None),
            "every attribute empty"
        );
        assert_eq!(value("{title}"), Ok(None));
        assert_eq!(value(" Contoso "), Ok(Some("Contoso".into())));
        assert_eq!(value("{objectGUID}"), Ok(Some(encode_base64(&[0x88; 16]))));
        assert_eq!(
            value("{proxyAddresses}"),
            Err(SourceProblem::MultiValued {
                attribute: "proxyAddresses".into(),
                count: 2
            })
        );
        assert_eq!(
            value("{employeeType}"),
            Err(SourceProblem::NotText {
                attribute: "employeeType".into()
            })
        );
    }
}
