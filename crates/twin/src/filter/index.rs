//! The indexed values a filter pins down (`userPrincipalName eq`, `id in`, `proxyAddresses/any(p:p eq …)`,
//! …), so the directory looks a few users up instead of scanning every user, then still applies the
//! whole filter.

use super::Filter;
use super::expr::{Comparison, Expr, Literal, Subject};

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::UserSchema;

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
}
