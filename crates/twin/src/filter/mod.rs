//! The `$filter` subset Graph's directory accepts
//! (<https://learn.microsoft.com/graph/aad-advanced-queries>): `eq ne gt ge lt le`, `in`, `not`,
//! `and`, `or`, `startsWith`/`endsWith`, `collection/any(x: x eq '…')`, `collection/$count eq 0`,
//! `eq null`, and string literals with doubled single quotes.
//!
//! Parsing is separate from gating: [`Filter::usages`] lists which property is used how, and the
//! resource decides whether that needs advanced query parameters ([`gate::user_gate`]).
//!
//! Comparisons of strings ignore case, except on `onPremisesImmutableId`, which like the
//! sourceAnchor is case-sensitive (the documentation does not say how filters compare case; this is
//! the twin's choice).
//!
//! One module per concern: [`lexer`] (tokens), [`parser`] (grammar and type checks, against a
//! [`schema`]), [`expr`] (the parsed tree), [`evaluate`] (matching), [`index`] (the values a filter
//! pins down) and [`gate`] (advanced query parameters).

mod evaluate;
mod expr;
mod gate;
mod index;
mod lexer;
mod parser;
mod schema;

pub(crate) use gate::check_user_gates;
pub(crate) use index::IndexKey;
pub(crate) use schema::{RoleAssignmentSchema, UserSchema};

use expr::{Expr, Usage};

/// A parsed, type-checked `$filter`.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    expr: Expr,
    case_sensitive: Vec<String>,
    /// Every property use, for gating.
    pub usages: Vec<Usage>,
}
