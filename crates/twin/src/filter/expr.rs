//! The parsed filter: a tree of comparisons, `in`, functions and lambdas under `and`, `or` and `not`, and
//! the list of how it uses each property ([`Usage`]), which the advanced-query gate reads.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    String(String),
    Boolean(bool),
    Number(i64),
    DateTime(String),
    Null,
}

impl Literal {
    pub(super) fn edm(&self) -> &'static str {
        match self {
            Self::String(_) => "Edm.String",
            Self::Boolean(_) => "Edm.Boolean",
            Self::Number(_) => "Edm.Int32",
            Self::DateTime(_) => "Edm.DateTimeOffset",
            Self::Null => "null",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Comparison {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparison {
    pub(super) fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    /// `'x' eq p` is `p eq 'x'`; `5 lt n` is `n gt 5`.
    pub(super) fn mirrored(self) -> Self {
        match self {
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            same => same,
        }
    }

    pub(super) fn odata_kind(self) -> &'static str {
        match self {
            Self::Eq => "Equal",
            Self::Ne => "NotEqual",
            Self::Gt => "GreaterThan",
            Self::Ge => "GreaterThanOrEqual",
            Self::Lt => "LessThan",
            Self::Le => "LessThanOrEqual",
        }
    }

    pub(super) fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Function {
    StartsWith,
    EndsWith,
}

/// What a comparison is made on: a property, the lambda variable, or a collection's count.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Subject {
    Property(String),
    Variable,
    Count(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Subject, Comparison, Literal),
    In(Subject, Vec<Literal>),
    Function(Function, Subject, String),
    Any(String, Box<Expr>),
}

/// How a filter uses a property, for advanced-query gating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Eq,
    EqNull,
    Ne,
    In,
    Range,
    StartsWith,
    EndsWith,
    AnyEq,
    AnyStartsWith,
    AnyEndsWith,
    Count,
}

/// One use of a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Usage {
    /// The top-level property (`onPremisesExtensionAttributes` for its sub-attributes).
    pub property: String,
    pub operation: Use,
    /// Under a `not`.
    pub negated: bool,
}
