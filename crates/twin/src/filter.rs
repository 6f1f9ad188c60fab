//! The `$filter` subset Graph's directory accepts (graph.md §1.4, §8 item 10): `eq ne gt ge lt le`,
//! `in`, `not`, `and`, `or`, `startsWith`/`endsWith`, `collection/any(x: x eq '…')`,
//! `collection/$count eq 0`, `eq null`, and string literals with doubled single quotes.
//!
//! Parsing is separate from gating: [`Filter::usages`] lists which property is used how, and the
//! resource decides whether that needs advanced query parameters ([`user_gate`]).
//!
//! Comparisons of strings ignore case, except on `onPremisesImmutableId`, which like the
//! sourceAnchor is case-sensitive (graph.md §9 lists filter case-sensitivity as unconfirmed; this is
//! the twin's choice).

use std::cmp::Ordering;

use serde_json::Value;

use crate::config::AdvancedQueryMode;
use crate::error::GraphError;
use crate::messages;
use crate::properties::{self, Kind};

/// The type of a property as the filter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterKind {
    String,
    Boolean,
    DateTime,
    Number,
    Strings,
    Other,
}

impl FilterKind {
    fn edm(self) -> &'static str {
        match self {
            Self::String => "Edm.String",
            Self::Boolean => "Edm.Boolean",
            Self::DateTime => "Edm.DateTimeOffset",
            Self::Number => "Edm.Int32",
            Self::Strings => "Collection(Edm.String)",
            Self::Other => "Edm.ComplexType",
        }
    }
}

/// What a filter may reference on a resource.
pub(crate) trait Schema {
    /// `user`, `unifiedRoleAssignment`: for error messages.
    fn type_name(&self) -> &'static str;
    /// The canonical path and kind of a (case-insensitive) property path.
    fn resolve(&self, path: &str) -> Option<(String, FilterKind)>;
    /// Whether string comparisons on the property are case-sensitive.
    fn case_sensitive(&self, _path: &str) -> bool {
        false
    }
}

/// `user`'s properties.
pub(crate) struct UserSchema;

impl Schema for UserSchema {
    fn type_name(&self) -> &'static str {
        "user"
    }

    fn resolve(&self, path: &str) -> Option<(String, FilterKind)> {
        let (head, rest) = match path.split_once('/') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let property = properties::find(head)?;
        match (property.kind, rest) {
            (Kind::Object, Some(sub)) => {
                if property.name == "onPremisesExtensionAttributes" {
                    let number = sub
                        .to_ascii_lowercase()
                        .strip_prefix("extensionattribute")?
                        .parse::<u8>()
                        .ok()
                        .filter(|n| (1..=15).contains(n))?;
                    Some((
                        format!("{}/extensionAttribute{number}", property.name),
                        FilterKind::String,
                    ))
                } else {
                    Some((format!("{}/{sub}", property.name), FilterKind::String))
                }
            }
            (_, Some(_)) => None,
            (kind, None) => Some((
                property.name.to_owned(),
                match kind {
                    Kind::String => FilterKind::String,
                    Kind::Boolean => FilterKind::Boolean,
                    Kind::DateTime => FilterKind::DateTime,
                    Kind::Int32 => FilterKind::Number,
                    Kind::Strings => FilterKind::Strings,
                    Kind::Object | Kind::Objects => FilterKind::Other,
                },
            )),
        }
    }

    fn case_sensitive(&self, path: &str) -> bool {
        path == "onPremisesImmutableId"
    }
}

/// `unifiedRoleAssignment`'s filterable properties.
pub(crate) struct RoleAssignmentSchema;

impl Schema for RoleAssignmentSchema {
    fn type_name(&self) -> &'static str {
        "unifiedRoleAssignment"
    }

    fn resolve(&self, path: &str) -> Option<(String, FilterKind)> {
        [
            "id",
            "principalId",
            "roleDefinitionId",
            "directoryScopeId",
            "appScopeId",
        ]
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(path))
        .map(|name| (name.to_owned(), FilterKind::String))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    String(String),
    Boolean(bool),
    Number(i64),
    DateTime(String),
    Null,
}

impl Literal {
    fn edm(&self) -> &'static str {
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
enum Comparison {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparison {
    fn from_keyword(word: &str) -> Option<Self> {
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
    fn mirrored(self) -> Self {
        match self {
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            same => same,
        }
    }

    fn odata_kind(self) -> &'static str {
        match self {
            Self::Eq => "Equal",
            Self::Ne => "NotEqual",
            Self::Gt => "GreaterThan",
            Self::Ge => "GreaterThanOrEqual",
            Self::Lt => "LessThan",
            Self::Le => "LessThanOrEqual",
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
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
enum Function {
    StartsWith,
    EndsWith,
}

/// What a comparison is made on: a property, the lambda variable, or a collection's count.
#[derive(Debug, Clone, PartialEq)]
enum Subject {
    Property(String),
    Variable,
    Count(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
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

/// A parsed, type-checked `$filter`.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    expr: Expr,
    case_sensitive: Vec<String>,
    /// Every property use, for gating.
    pub usages: Vec<Usage>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Number(i64),
    DateTime(String),
    Open,
    Close,
    Comma,
    Colon,
}

struct Lexer {
    tokens: Vec<(usize, Token)>,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$' | '/' | '@')
}

impl Lexer {
    fn run(text: &str) -> Result<Vec<(usize, Token)>, GraphError> {
        let mut lexer = Self { tokens: Vec::new() };
        let mut chars = text.char_indices().peekable();
        while let Some(&(at, c)) = chars.peek() {
            match c {
                c if c.is_whitespace() => {
                    chars.next();
                }
                '(' | ')' | ',' | ':' => {
                    chars.next();
                    lexer.tokens.push((
                        at,
                        match c {
                            '(' => Token::Open,
                            ')' => Token::Close,
                            ',' => Token::Comma,
                            _ => Token::Colon,
                        },
                    ));
                }
                '\'' => {
                    chars.next();
                    let mut value = String::new();
                    let mut closed = false;
                    while let Some((_, c)) = chars.next() {
                        if c == '\'' {
                            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                                chars.next();
                                value.push('\'');
                            } else {
                                closed = true;
                                break;
                            }
                        } else {
                            value.push(c);
                        }
                    }
                    if !closed {
                        return Err(messages::filter_syntax(at, text));
                    }
                    lexer.tokens.push((at, Token::Str(value)));
                }
                c if c.is_ascii_digit() || c == '-' => {
                    let mut literal = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+') {
                            literal.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    let token = if let Ok(number) = literal.parse::<i64>() {
                        Token::Number(number)
                    } else if literal.len() >= 10 && literal.contains('-') {
                        Token::DateTime(literal)
                    } else {
                        return Err(messages::filter_syntax(at, text));
                    };
                    lexer.tokens.push((at, token));
                }
                c if is_word_char(c) => {
                    let mut word = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if is_word_char(c) {
                            word.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    lexer.tokens.push((at, Token::Word(word)));
                }
                _ => return Err(messages::filter_syntax(at, text)),
            }
        }
        Ok(lexer.tokens)
    }
}

struct Parser<'a, 's> {
    text: &'a str,
    tokens: Vec<(usize, Token)>,
    next: usize,
    schema: &'s dyn Schema,
    variable: Option<String>,
    usages: Vec<Usage>,
    negations: usize,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, token)| token)
    }

    fn position(&self) -> usize {
        self.tokens
            .get(self.next)
            .map_or(self.text.len(), |(at, _)| *at)
    }

    fn syntax(&self) -> GraphError {
        messages::filter_syntax(self.position(), self.text)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).map(|(_, token)| token.clone());
        self.next += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, expected: &Token) -> Result<(), GraphError> {
        if self.peek() == Some(expected) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn expression(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.conjunction()?;
        while self.keyword("or") {
            let right = self.conjunction()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, GraphError> {
        if self.keyword("not") {
            self.negations += 1;
            let inner = self.unary();
            self.negations -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.primary()
    }

    fn record(&mut self, property: &str, operation: Use) {
        let top = property.split('/').next().unwrap_or(property).to_owned();
        self.usages.push(Usage {
            property: top,
            operation,
            negated: self.negations > 0,
        });
    }

    fn primary(&mut self) -> Result<Expr, GraphError> {
        match self.peek().cloned() {
            Some(Token::Open) => {
                self.bump();
                let inner = self.expression()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word))
                if self.tokens.get(self.next + 1).map(|(_, t)| t) == Some(&Token::Open) =>
            {
                let lower = word.to_ascii_lowercase();
                if lower == "startswith" || lower == "endswith" {
                    self.function(if lower == "startswith" {
                        Function::StartsWith
                    } else {
                        Function::EndsWith
                    })
                } else if let Some(collection) = lower
                    .strip_suffix("/any")
                    .and_then(|_| word.get(..word.len() - 4))
                {
                    self.lambda(collection.to_owned())
                } else {
                    Err(self.syntax())
                }
            }
            Some(_) => self.comparison(),
            None => Err(self.syntax()),
        }
    }

    /// `startsWith(subject, 'text')`.
    fn function(&mut self, function: Function) -> Result<Expr, GraphError> {
        self.bump();
        self.expect(&Token::Open)?;
        let subject = self.subject()?;
        self.expect(&Token::Comma)?;
        let Some(Token::Str(argument)) = self.bump() else {
            return Err(self.syntax());
        };
        self.expect(&Token::Close)?;
        let (name, kind) = self.subject_kind(&subject);
        if kind != FilterKind::String {
            return Err(messages::unsupported_filter_property(
                &name,
                &resource_name(self.schema),
            ));
        }
        let operation = match (function, &subject) {
            (Function::StartsWith, Subject::Variable) => Use::AnyStartsWith,
            (Function::EndsWith, Subject::Variable) => Use::AnyEndsWith,
            (Function::StartsWith, _) => Use::StartsWith,
            (Function::EndsWith, _) => Use::EndsWith,
        };
        if !matches!(subject, Subject::Variable) {
            self.record(&name, operation);
        }
        Ok(Expr::Function(function, subject, argument))
    }

    /// `collection/any(x: predicate on x)`.
    fn lambda(&mut self, collection: String) -> Result<Expr, GraphError> {
        self.bump();
        self.expect(&Token::Open)?;
        let Some(Token::Word(variable)) = self.bump() else {
            return Err(self.syntax());
        };
        self.expect(&Token::Colon)?;
        let (path, kind) = self
            .schema
            .resolve(&collection)
            .ok_or_else(|| messages::unknown_property(&collection, self.schema.type_name()))?;
        if kind != FilterKind::Strings {
            return Err(messages::unsupported_filter_property(
                &path,
                &resource_name(self.schema),
            ));
        }
        if self.variable.is_some() {
            return Err(self.syntax());
        }
        self.variable = Some(variable);
        let first_usage = self.usages.len();
        let predicate = self.expression();
        self.variable = None;
        let predicate = predicate?;
        self.expect(&Token::Close)?;
        // The lambda's own comparisons were on the variable: record them against the collection.
        let inner = lambda_uses(&predicate);
        self.usages.truncate(first_usage);
        for operation in inner {
            self.record(&path, operation);
        }
        Ok(Expr::Any(path, Box::new(predicate)))
    }

    /// A property path, the lambda variable, or `collection/$count`.
    fn subject(&mut self) -> Result<Subject, GraphError> {
        let Some(Token::Word(word)) = self.bump() else {
            return Err(self.syntax());
        };
        if self
            .variable
            .as_deref()
            .is_some_and(|variable| variable == word)
        {
            return Ok(Subject::Variable);
        }
        if let Some(collection) = word
            .to_ascii_lowercase()
            .strip_suffix("/$count")
            .and_then(|_| word.get(..word.len() - 7))
        {
            let (path, kind) = self
                .schema
                .resolve(collection)
                .ok_or_else(|| messages::unknown_property(collection, self.schema.type_name()))?;
            if kind != FilterKind::Strings {
                return Err(messages::unsupported_filter_property(
                    &path,
                    &resource_name(self.schema),
                ));
            }
            return Ok(Subject::Count(path));
        }
        let (path, _) = self
            .schema
            .resolve(&word)
            .ok_or_else(|| messages::unknown_property(&word, self.schema.type_name()))?;
        Ok(Subject::Property(path))
    }

    fn subject_kind(&self, subject: &Subject) -> (String, FilterKind) {
        match subject {
            Subject::Variable => ("$it".to_owned(), FilterKind::String),
            Subject::Count(path) => (path.clone(), FilterKind::Number),
            Subject::Property(path) => (
                path.clone(),
                self.schema
                    .resolve(path)
                    .map_or(FilterKind::Other, |(_, kind)| kind),
            ),
        }
    }

    fn literal(&mut self) -> Result<Literal, GraphError> {
        match self.bump() {
            Some(Token::Str(text)) => Ok(Literal::String(text)),
            Some(Token::Number(number)) => Ok(Literal::Number(number)),
            Some(Token::DateTime(text)) => Ok(Literal::DateTime(text)),
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("true") => {
                Ok(Literal::Boolean(true))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("false") => {
                Ok(Literal::Boolean(false))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            _ => {
                self.next = self.next.saturating_sub(1);
                Err(self.syntax())
            }
        }
    }

    fn is_literal_next(&self) -> bool {
        match self.peek() {
            Some(Token::Str(_) | Token::Number(_) | Token::DateTime(_)) => true,
            Some(Token::Word(word)) => ["true", "false", "null"]
                .iter()
                .any(|literal| word.eq_ignore_ascii_case(literal)),
            _ => false,
        }
    }

    /// `subject op literal`, `literal op subject` or `subject in (literals)`.
    fn comparison(&mut self) -> Result<Expr, GraphError> {
        let (subject, literal_first) = if self.is_literal_next() {
            (None, Some(self.literal()?))
        } else {
            (Some(self.subject()?), None)
        };
        let Some(Token::Word(operator)) = self.bump() else {
            return Err(self.syntax());
        };
        if operator.eq_ignore_ascii_case("in") {
            let Some(subject) = subject else {
                return Err(self.syntax());
            };
            self.expect(&Token::Open)?;
            let mut values = vec![self.literal()?];
            while self.peek() == Some(&Token::Comma) {
                self.bump();
                values.push(self.literal()?);
            }
            self.expect(&Token::Close)?;
            let (name, kind) = self.subject_kind(&subject);
            for value in &values {
                check_types(kind, value, Comparison::Eq)?;
            }
            if !matches!(subject, Subject::Variable) {
                self.record(&name, Use::In);
            }
            return Ok(Expr::In(subject, values));
        }
        let comparison = Comparison::from_keyword(&operator).ok_or_else(|| self.syntax())?;
        let (subject, literal, comparison) = match (subject, literal_first) {
            (Some(subject), None) => (subject, self.literal()?, comparison),
            (None, Some(literal)) => (self.subject()?, literal, comparison.mirrored()),
            _ => return Err(self.syntax()),
        };
        let (name, kind) = self.subject_kind(&subject);
        check_types(kind, &literal, comparison)?;
        let operation = match (&subject, comparison, &literal) {
            (Subject::Count(_), _, _) => Use::Count,
            (Subject::Variable, _, _) => Use::AnyEq,
            (_, Comparison::Eq, Literal::Null) => Use::EqNull,
            (_, Comparison::Ne, _) => Use::Ne,
            (_, Comparison::Eq, _) => Use::Eq,
            _ => Use::Range,
        };
        if !matches!(subject, Subject::Variable) {
            self.record(&name, operation);
        }
        Ok(Expr::Compare(subject, comparison, literal))
    }
}

fn resource_name(schema: &dyn Schema) -> String {
    let name = schema.type_name();
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

fn check_types(
    kind: FilterKind,
    literal: &Literal,
    comparison: Comparison,
) -> Result<(), GraphError> {
    let compatible = match (kind, literal) {
        (_, Literal::Null) => matches!(comparison, Comparison::Eq | Comparison::Ne),
        (FilterKind::String, Literal::String(_)) => true,
        (FilterKind::DateTime, Literal::DateTime(_) | Literal::String(_)) => true,
        (FilterKind::Boolean, Literal::Boolean(_)) => true,
        (FilterKind::Number, Literal::Number(_)) => true,
        _ => false,
    };
    if compatible {
        Ok(())
    } else {
        Err(messages::incompatible_operands(
            kind.edm(),
            literal.edm(),
            comparison.odata_kind(),
        ))
    }
}

/// The uses a lambda predicate makes of its variable.
fn lambda_uses(predicate: &Expr) -> Vec<Use> {
    match predicate {
        Expr::And(a, b) | Expr::Or(a, b) => {
            let mut uses = lambda_uses(a);
            uses.extend(lambda_uses(b));
            uses
        }
        Expr::Not(inner) => lambda_uses(inner),
        Expr::Compare(Subject::Variable, _, _) | Expr::In(Subject::Variable, _) => vec![Use::AnyEq],
        Expr::Function(Function::StartsWith, Subject::Variable, _) => vec![Use::AnyStartsWith],
        Expr::Function(Function::EndsWith, Subject::Variable, _) => vec![Use::AnyEndsWith],
        _ => Vec::new(),
    }
}

/// A value the directory keeps an index of, named by a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexKey {
    Id(String),
    UserPrincipalName(String),
    ProxyAddress(String),
    ImmutableId(String),
    SecurityIdentifier(String),
}

fn index_key(property: &str, value: &str) -> Option<IndexKey> {
    let value = value.to_owned();
    Some(match property {
        "id" => IndexKey::Id(value),
        "userPrincipalName" => IndexKey::UserPrincipalName(value),
        "onPremisesImmutableId" => IndexKey::ImmutableId(value),
        "onPremisesSecurityIdentifier" => IndexKey::SecurityIdentifier(value),
        _ => return None,
    })
}

fn string_literals(literals: &[Literal]) -> Option<Vec<&str>> {
    literals
        .iter()
        .map(|literal| match literal {
            Literal::String(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The indexed values an object must hold to match, when the filter pins them down.
fn index_keys(expr: &Expr) -> Option<Vec<IndexKey>> {
    match expr {
        Expr::Compare(Subject::Property(property), Comparison::Eq, Literal::String(value)) => {
            index_key(property, value).map(|key| vec![key])
        }
        Expr::In(Subject::Property(property), literals) => string_literals(literals)?
            .into_iter()
            .map(|value| index_key(property, value))
            .collect(),
        Expr::Any(collection, predicate) if collection == "proxyAddresses" => {
            match predicate.as_ref() {
                Expr::Compare(Subject::Variable, Comparison::Eq, Literal::String(value)) => {
                    Some(vec![IndexKey::ProxyAddress(value.clone())])
                }
                Expr::In(Subject::Variable, literals) => Some(
                    string_literals(literals)?
                        .into_iter()
                        .map(|value| IndexKey::ProxyAddress(value.to_owned()))
                        .collect(),
                ),
                _ => None,
            }
        }
        Expr::And(a, b) => index_keys(a).or_else(|| index_keys(b)),
        Expr::Or(a, b) => {
            let mut keys = index_keys(a)?;
            keys.extend(index_keys(b)?);
            Some(keys)
        }
        _ => None,
    }
}

impl Filter {
    /// When every match must hold one of a few indexed values (`userPrincipalName eq`, `id in`,
    /// `proxyAddresses/any(p:p eq …)`, `onPremisesImmutableId eq`, …, possibly inside `and`), those
    /// values: the caller looks them up instead of scanning, then still applies the whole filter.
    pub(crate) fn index_keys(&self) -> Option<Vec<IndexKey>> {
        index_keys(&self.expr)
    }

    /// Parses and type-checks `text` against `schema`.
    pub(crate) fn parse(text: &str, schema: &dyn Schema) -> Result<Self, GraphError> {
        let tokens = Lexer::run(text)?;
        let mut parser = Parser {
            text,
            tokens,
            next: 0,
            schema,
            variable: None,
            usages: Vec::new(),
            negations: 0,
        };
        let expr = parser.expression()?;
        if parser.peek().is_some() {
            return Err(parser.syntax());
        }
        let mut case_sensitive: Vec<String> = parser
            .usages
            .iter()
            .map(|usage| usage.property.clone())
            .filter(|property| schema.case_sensitive(property))
            .collect();
        case_sensitive.dedup();
        Ok(Self {
            expr,
            case_sensitive,
            usages: parser.usages,
        })
    }

    /// Whether an object matches; `get` returns a property path's value.
    pub(crate) fn matches(&self, get: &dyn Fn(&str) -> Value) -> bool {
        self.eval(&self.expr, get, None)
    }

    fn eval(&self, expr: &Expr, get: &dyn Fn(&str) -> Value, item: Option<(&str, &Value)>) -> bool {
        match expr {
            Expr::And(a, b) => self.eval(a, get, item) && self.eval(b, get, item),
            Expr::Or(a, b) => self.eval(a, get, item) || self.eval(b, get, item),
            Expr::Not(inner) => !self.eval(inner, get, item),
            Expr::Compare(subject, comparison, literal) => {
                let (value, sensitive) = self.resolve(subject, get, item);
                compare(&value, *comparison, literal, sensitive)
            }
            Expr::In(subject, literals) => {
                let (value, sensitive) = self.resolve(subject, get, item);
                literals
                    .iter()
                    .any(|literal| compare(&value, Comparison::Eq, literal, sensitive))
            }
            Expr::Function(function, subject, argument) => {
                let (value, sensitive) = self.resolve(subject, get, item);
                let Some(text) = value.as_str() else {
                    return false;
                };
                let (text, argument) = if sensitive {
                    (text.to_owned(), argument.clone())
                } else {
                    (text.to_lowercase(), argument.to_lowercase())
                };
                match function {
                    Function::StartsWith => text.starts_with(&argument),
                    Function::EndsWith => text.ends_with(&argument),
                }
            }
            Expr::Any(path, predicate) => match get(path) {
                Value::Array(values) => values
                    .iter()
                    .any(|value| self.eval(predicate, get, Some((path, value)))),
                _ => false,
            },
        }
    }

    fn resolve(
        &self,
        subject: &Subject,
        get: &dyn Fn(&str) -> Value,
        item: Option<(&str, &Value)>,
    ) -> (Value, bool) {
        match subject {
            Subject::Variable => match item {
                Some((path, value)) => {
                    (value.clone(), self.case_sensitive.iter().any(|p| p == path))
                }
                None => (Value::Null, false),
            },
            Subject::Count(path) => {
                let count = get(path).as_array().map_or(0, Vec::len);
                (Value::from(count), false)
            }
            Subject::Property(path) => (
                get(path),
                self.case_sensitive
                    .iter()
                    .any(|p| p == path.split('/').next().unwrap_or(path)),
            ),
        }
    }
}

fn compare(value: &Value, comparison: Comparison, literal: &Literal, case_sensitive: bool) -> bool {
    let ordering = match (value, literal) {
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (_, Literal::Null) | (Value::Null, _) => None,
        (Value::String(text), Literal::String(other) | Literal::DateTime(other)) => {
            Some(if case_sensitive {
                text.as_str().cmp(other.as_str())
            } else {
                text.to_lowercase().cmp(&other.to_lowercase())
            })
        }
        (Value::Bool(value), Literal::Boolean(other)) => Some(value.cmp(other)),
        (Value::Number(value), Literal::Number(other)) => value.as_i64().map(|v| v.cmp(other)),
        _ => None,
    };
    match ordering {
        Some(ordering) => comparison.holds(ordering),
        // Null or mismatched values: only `ne` holds.
        None => comparison == Comparison::Ne,
    }
}

/// Whether a use of a property needs advanced query parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Default,
    Advanced,
    Unsupported,
}

/// String properties Graph filters with `eq`, `in` and `startsWith` by default.
const DEFAULT_STRING_PROPERTIES: &[&str] = &[
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "mailNickname",
    "jobTitle",
    "department",
    "usageLocation",
    "employeeId",
    "city",
    "country",
    "state",
    "preferredLanguage",
    "onPremisesUserPrincipalName",
    "userType",
];

/// Properties Graph filters only with advanced query parameters.
const ADVANCED_PROPERTIES: &[&str] = &[
    "companyName",
    "mobilePhone",
    "officeLocation",
    "postalCode",
    "streetAddress",
    "employeeType",
    "employeeHireDate",
    "employeeOrgData",
    "faxNumber",
    "onPremisesSamAccountName",
    "onPremisesExtensionAttributes",
    "creationType",
    "externalUserState",
    "ageGroup",
    "showInAddressList",
];

/// The twin's reading of the advanced-query tables (graph.md §1.3, §1.4). Where the older and newer
/// tables disagree (`onPremisesImmutableId eq`, `onPremisesSecurityIdentifier eq`,
/// `onPremisesLastSyncDateTime`, `createdDateTime`, and `ge`/`le` on the default string
/// properties), `mode` decides: strict requires advanced query parameters.
pub(crate) fn user_gate(property: &str, operation: Use, mode: AdvancedQueryMode) -> Gate {
    let disputed = if mode == AdvancedQueryMode::Strict {
        Gate::Advanced
    } else {
        Gate::Default
    };
    let default_string = DEFAULT_STRING_PROPERTIES.contains(&property);
    let filterable = default_string
        || ADVANCED_PROPERTIES.contains(&property)
        || matches!(
            property,
            "id" | "accountEnabled"
                | "onPremisesSyncEnabled"
                | "onPremisesImmutableId"
                | "onPremisesSecurityIdentifier"
                | "onPremisesLastSyncDateTime"
                | "createdDateTime"
        );
    match (property, operation) {
        (_, Use::Ne) | (_, Use::EqNull) => {
            if filterable {
                Gate::Advanced
            } else {
                Gate::Unsupported
            }
        }
        ("mail" | "userPrincipalName", Use::EndsWith) => Gate::Advanced,
        (_, Use::EndsWith) => Gate::Unsupported,
        ("proxyAddresses" | "otherMails", Use::AnyEq | Use::AnyStartsWith) => Gate::Default,
        ("proxyAddresses" | "otherMails", Use::AnyEndsWith | Use::Count) => Gate::Advanced,
        ("businessPhones" | "imAddresses", Use::AnyEq | Use::AnyStartsWith | Use::Count) => {
            Gate::Advanced
        }
        (_, Use::AnyEq | Use::AnyStartsWith | Use::AnyEndsWith | Use::Count) => Gate::Unsupported,
        ("id", Use::Eq | Use::In) => Gate::Default,
        ("accountEnabled" | "onPremisesSyncEnabled", Use::Eq | Use::In) => Gate::Default,
        (p, Use::Eq | Use::In | Use::StartsWith) if DEFAULT_STRING_PROPERTIES.contains(&p) => {
            Gate::Default
        }
        (p, Use::Range) if DEFAULT_STRING_PROPERTIES.contains(&p) => disputed,
        ("onPremisesImmutableId", Use::Eq) => disputed,
        ("onPremisesImmutableId", Use::In | Use::Range) => Gate::Advanced,
        ("onPremisesSecurityIdentifier", Use::Eq | Use::In) => disputed,
        ("onPremisesLastSyncDateTime" | "createdDateTime", Use::Eq | Use::In | Use::Range) => {
            disputed
        }
        (p, Use::Eq | Use::In | Use::StartsWith | Use::Range)
            if ADVANCED_PROPERTIES.contains(&p) =>
        {
            Gate::Advanced
        }
        _ => Gate::Unsupported,
    }
}

/// Checks every use of a user filter against the gates: the documented error when advanced query
/// parameters are needed and missing, or the property cannot be filtered so at all.
pub(crate) fn check_user_gates(
    filter: &Filter,
    advanced: bool,
    mode: AdvancedQueryMode,
) -> Result<(), GraphError> {
    for usage in &filter.usages {
        let gate = user_gate(&usage.property, usage.operation, mode);
        if gate == Gate::Unsupported {
            return Err(messages::unsupported_filter_property(
                &usage.property,
                "User",
            ));
        }
        if advanced {
            continue;
        }
        if usage.negated {
            return Err(messages::advanced_operator("not"));
        }
        if gate == Gate::Advanced {
            return Err(match usage.operation {
                Use::Ne => messages::advanced_operator("ne"),
                Use::EndsWith | Use::AnyEndsWith => messages::advanced_operator("endsWith"),
                _ => messages::unsupported_filter_property(&usage.property, "User"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user_matches(filter: &str, user: &Value) -> bool {
        let filter = Filter::parse(filter, &UserSchema).unwrap();
        filter.matches(&|path| {
            let mut value = user.clone();
            for segment in path.split('/') {
                value = value.get(segment).cloned().unwrap_or(Value::Null);
            }
            value
        })
    }

    #[test]
    fn evaluates_the_documented_operators() {
        let user = json!({
            "userPrincipalName": "O'Brien@Contoso.com",
            "mail": null,
            "accountEnabled": true,
            "onPremisesImmutableId": "iGhmiAEBERG7uxI0VniQqw==",
            "proxyAddresses": ["SMTP:obrien@contoso.com", "smtp:ob@sales.contoso.com"],
            "onPremisesExtensionAttributes": {"extensionAttribute1": "E10023"},
        });
        assert!(user_matches(
            "userPrincipalName eq 'o''brien@contoso.com'",
            &user
        ));
        assert!(user_matches(
            "mail eq null and accountEnabled eq true",
            &user
        ));
        assert!(user_matches(
            "not(startsWith(userPrincipalName, 'x'))",
            &user
        ));
        assert!(user_matches(
            "endsWith(userPrincipalName,'@contoso.com')",
            &user
        ));
        assert!(user_matches(
            "userPrincipalName in ('a@b.c', 'O''BRIEN@contoso.com')",
            &user
        ));
        assert!(user_matches(
            "proxyAddresses/any(p:p eq 'smtp:OBRIEN@contoso.com')",
            &user
        ));
        assert!(user_matches(
            "proxyAddresses/any (x: startsWith(x, 'smtp:ob@'))",
            &user
        ));
        assert!(user_matches("proxyAddresses/$count eq 2", &user));
        assert!(user_matches(
            "userPrincipalName ge 'n' and userPrincipalName le 'p'",
            &user
        ));
        assert!(user_matches(
            "onPremisesExtensionAttributes/extensionAttribute1 eq 'e10023'",
            &user
        ));
        assert!(user_matches(
            "onPremisesImmutableId eq 'iGhmiAEBERG7uxI0VniQqw=='",
            &user
        ));
        // The sourceAnchor is case-sensitive.
        assert!(!user_matches(
            "onPremisesImmutableId eq 'IGHMIAEBERG7UXI0VNIQQW=='",
            &user
        ));
        assert!(user_matches(
            "mail ne 'x' or accountEnabled eq false",
            &user
        ));
        assert!(!user_matches(
            "(mail eq 'x' or accountEnabled eq false)",
            &user
        ));
    }

    #[test]
    fn syntax_and_type_errors_are_graph_errors() {
        let error = Filter::parse("userPrincipalName eq 'x", &UserSchema).unwrap_err();
        assert_eq!(
            error.message,
            "Invalid filter clause: Syntax error at position 21 in 'userPrincipalName eq 'x'."
        );
        let error = Filter::parse("nope eq 'x'", &UserSchema).unwrap_err();
        assert_eq!(
            error.message,
            "Could not find a property named 'nope' on type 'microsoft.graph.user'."
        );
        let error = Filter::parse("accountEnabled eq 'yes'", &UserSchema).unwrap_err();
        assert!(
            error
                .message
                .starts_with("A binary operator with incompatible types")
        );
    }

    #[test]
    fn indexed_values_are_found_only_where_they_decide_the_match() {
        let keys = |text: &str| Filter::parse(text, &UserSchema).unwrap().index_keys();
        assert_eq!(
            keys("userPrincipalName eq 'a@b.c' and accountEnabled eq true"),
            Some(vec![IndexKey::UserPrincipalName("a@b.c".into())])
        );
        assert_eq!(
            keys("proxyAddresses/any(p:p eq 'smtp:a@b.c') or id in ('1','2')"),
            Some(vec![
                IndexKey::ProxyAddress("smtp:a@b.c".into()),
                IndexKey::Id("1".into()),
                IndexKey::Id("2".into()),
            ])
        );
        assert_eq!(
            keys("userPrincipalName eq 'a@b.c' or displayName eq 'x'"),
            None
        );
        assert_eq!(keys("not(onPremisesImmutableId eq 'x')"), None);
        assert_eq!(keys("startsWith(userPrincipalName,'a')"), None);
    }

    #[test]
    fn gates_follow_the_strictness() {
        let strict = AdvancedQueryMode::Strict;
        let lenient = AdvancedQueryMode::Lenient;
        let check = |text: &str, advanced: bool, mode| {
            check_user_gates(&Filter::parse(text, &UserSchema).unwrap(), advanced, mode)
        };
        assert!(check("userPrincipalName eq 'a@b.c'", false, strict).is_ok());
        assert!(check("proxyAddresses/any(p:p eq 'smtp:a@b.c')", false, strict).is_ok());
        assert_eq!(
            check("endsWith(mail, 'b.c')", false, strict)
                .unwrap_err()
                .message,
            messages::advanced_operator("endsWith").message
        );
        assert!(check("endsWith(mail, 'b.c')", true, strict).is_ok());
        assert!(check("onPremisesImmutableId eq 'x'", false, strict).is_err());
        assert!(check("onPremisesImmutableId eq 'x'", false, lenient).is_ok());
        assert_eq!(
            check("onPremisesSamAccountName eq 'x'", false, lenient)
                .unwrap_err()
                .message,
            "Unsupported or invalid query filter clause specified for property 'onPremisesSamAccountName' of resource 'User'."
        );
        assert_eq!(
            check("not(displayName eq 'x')", false, lenient)
                .unwrap_err()
                .message,
            messages::advanced_operator("not").message
        );
        assert!(check("endsWith(displayName, 'x')", true, strict).is_err());
    }
}
