//! OData query options as Graph reads them: string literals with doubled single quotes, values
//! percent-encoded so that the `+` and `/` of a Base64 ImmutableID arrive intact (a raw `+` in a
//! query string decodes to a space), and the advanced-query switch (`ConsistencyLevel: eventual`
//! with `$count=true`) for filters that need it
//! (<https://learn.microsoft.com/graph/aad-advanced-queries>).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a query-option value keeps unencoded: letters, digits and the OData punctuation that means
/// the same encoded or not. `+`, `/`, `=`, `&`, `#`, `%` and spaces are always encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'$')
    .remove(b'*')
    .remove(b'@');

/// What a path segment keeps unencoded. `#` (as in `#EXT#` guest names), `/`, `?`, `%` and `^` are
/// encoded.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'\'')
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')');

/// An OData string literal: `'o''brien@contoso.com'`.
pub fn string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A percent-encoded query-option value.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// A percent-encoded path segment.
pub fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// A `$filter` expression, built from parts that quote their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    /// `property eq 'value'`.
    pub fn eq(property: &str, value: &str) -> Self {
        Self(format!("{property} eq {}", string_literal(value)))
    }

    /// `property eq null`.
    pub fn is_null(property: &str) -> Self {
        Self(format!("{property} eq null"))
    }

    /// `startsWith(property, 'value')`.
    pub fn starts_with(property: &str, value: &str) -> Self {
        Self(format!("startsWith({property}, {})", string_literal(value)))
    }

    /// `property in ('a', 'b')`.
    pub fn is_in<'a>(property: &str, values: impl IntoIterator<Item = &'a str>) -> Self {
        let list: Vec<String> = values.into_iter().map(string_literal).collect();
        Self(format!("{property} in ({})", list.join(", ")))
    }

    /// `collection/any(x:x eq 'value')`, for string collections such as `proxyAddresses`.
    pub fn any_eq(collection: &str, value: &str) -> Self {
        Self(format!(
            "{collection}/any(x:x eq {})",
            string_literal(value)
        ))
    }

    /// `(self) and (other)`.
    #[must_use]
    pub fn and(self, other: Filter) -> Self {
        Self(format!("({}) and ({})", self.0, other.0))
    }

    /// `(self) or (other)`.
    #[must_use]
    pub fn or(self, other: Filter) -> Self {
        Self(format!("({}) or ({})", self.0, other.0))
    }

    /// The expression as Graph reads it (before percent-encoding).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Query options for a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `$select`.
    pub select: Vec<String>,
    /// `$filter`.
    pub filter: Option<Filter>,
    /// `$top`.
    pub top: Option<u32>,
    /// Send `ConsistencyLevel: eventual` and `$count=true`: needed by filters on
    /// `onPremisesImmutableId`, `proxyAddresses`, `endsWith`, `ne`, `not`
    /// (<https://learn.microsoft.com/graph/aad-advanced-queries>). The documentation disagrees
    /// about some of them, so the client sends both whenever a filter touches these properties.
    pub advanced: bool,
}

impl Query {
    /// Selects `properties`.
    pub fn select(properties: &[&str]) -> Self {
        Self {
            select: properties.iter().map(|p| (*p).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// Adds a filter.
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Sets `$top`.
    #[must_use]
    pub fn top(mut self, top: u32) -> Self {
        self.top = Some(top);
        self
    }

    /// Turns advanced query parameters on.
    #[must_use]
    pub fn advanced(mut self) -> Self {
        self.advanced = true;
        self
    }

    /// `?$select=...&$filter=...&$top=...&$count=true`, encoded; empty when there is nothing.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<String> = Vec::new();
        if !self.select.is_empty() {
            pairs.push(format!(
                "$select={}",
                encode_query_value(&self.select.join(","))
            ));
        }
        if let Some(filter) = &self.filter {
            pairs.push(format!("$filter={}", encode_query_value(filter.as_str())));
        }
        if let Some(top) = self.top {
            pairs.push(format!("$top={top}"));
        }
        if self.advanced {
            pairs.push("$count=true".to_owned());
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(
            Filter::eq("userPrincipalName", "o'brien@contoso.com").as_str(),
            "userPrincipalName eq 'o''brien@contoso.com'"
        );
        assert_eq!(string_literal("''"), "''''''");
    }

    #[test]
    fn base64_survives_encoding() {
        let query = Query::default()
            .filter(Filter::eq(
                "onPremisesImmutableId",
                "+D9q4TtdW06deixqiw5/EQ==",
            ))
            .advanced();
        assert_eq!(
            query.to_query_string(),
            "?$filter=onPremisesImmutableId%20eq%20'%2BD9q4TtdW06deixqiw5%2FEQ%3D%3D'&$count=true"
        );
    }

    #[test]
    fn select_top_and_lambda() {
        let query = Query::select(&["id", "proxyAddresses"])
            .filter(Filter::any_eq("proxyAddresses", "SMTP:a&b@x.com"))
            .top(999);
        assert_eq!(
            query.to_query_string(),
            "?$select=id,proxyAddresses&$filter=proxyAddresses%2Fany(x:x%20eq%20'SMTP:a%26b@x.com')&$top=999"
        );
        assert_eq!(Query::default().to_query_string(), "");
    }

    #[test]
    fn path_segments_encode_hash_and_slash() {
        assert_eq!(
            encode_path_segment("alice_contoso.com#EXT#@x.onmicrosoft.com"),
            "alice_contoso.com%23EXT%23@x.onmicrosoft.com"
        );
        assert_eq!(encode_path_segment("a/b?c%"), "a%2Fb%3Fc%25");
        assert_eq!(
            Filter::is_in("id", ["a", "b'c"]).as_str(),
            "id in ('a', 'b''c')"
        );
    }
}
