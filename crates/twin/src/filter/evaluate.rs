//! Evaluation: whether a user or role assignment matches a parsed filter. Strings compare ignoring
//! case, except on properties the schema marks case-sensitive; null and mismatched values satisfy only
//! `ne`.

use std::cmp::Ordering;

use serde_json::Value;

use super::Filter;
use super::expr::{Comparison, Expr, Function, Literal, Subject};

impl Filter {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::filter::UserSchema;

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
}
