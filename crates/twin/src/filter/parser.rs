//! The filter's grammar: a recursive-descent parser over the lexer's tokens that type-checks every
//! comparison against the resource's [`Schema`] and records each property's use for the gate.

use crate::error::GraphError;
use crate::messages;

use super::Filter;
use super::expr::{Comparison, Expr, Function, Literal, Subject, Usage, Use};
use super::lexer::{Lexer, Token};
use super::schema::{FilterKind, Schema};

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

impl Filter {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::UserSchema;

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
}
