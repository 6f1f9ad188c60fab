//! OData system query options (`$select`, `$filter`, `$top`, `$count`, `$skiptoken`, ...) and the
//! opaque paging tokens of `@odata.nextLink` (<https://learn.microsoft.com/graph/query-parameters>,
//! <https://learn.microsoft.com/graph/paging>).
//!
//! Query strings decode like forms: `%XX` and `+` as a space. That is why a client must encode the
//! `+` of a Base64 ImmutableID as `%2B`; the twin reproduces the pitfall.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::GraphError;
use crate::messages;

/// Decodes one `application/x-www-form-urlencoded` component.
pub(crate) fn decode_component(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                if let Some(decoded) = hex {
                    out.push(decoded);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `a=1&b=2` into pairs, in order.
pub(crate) fn decode_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key), decode_component(value))
        })
        .collect()
}

/// The system query options of one request.
#[derive(Debug, Default, Clone)]
pub(crate) struct QueryOptions {
    pub select: Option<String>,
    pub filter: Option<String>,
    pub top: Option<usize>,
    pub count: bool,
    pub skiptoken: Option<String>,
    pub search: Option<String>,
    /// The options as sent (still encoded), without `$skiptoken`: the next link repeats them.
    raw_without_skiptoken: Vec<String>,
}

/// Which options a resource takes besides `$select`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepts {
    pub filter: bool,
    pub paging: bool,
    pub count: bool,
    pub search: bool,
}

impl Accepts {
    pub(crate) const SELECT_ONLY: Self = Self {
        filter: false,
        paging: false,
        count: false,
        search: false,
    };
    pub(crate) const COLLECTION: Self = Self {
        filter: true,
        paging: true,
        count: true,
        search: true,
    };
}

impl QueryOptions {
    /// Parses a raw query string.
    pub(crate) fn parse(raw: Option<&str>, accepts: Accepts) -> Result<Self, GraphError> {
        let mut options = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_component(raw_key);
            let value = decode_component(raw_value);
            let name = key.trim().to_ascii_lowercase();
            if !name.starts_with('$') {
                // Non-system parameters are ignored, as OData services do.
                options.raw_without_skiptoken.push(pair.to_owned());
                continue;
            }
            if seen.contains(&name) {
                return Err(messages::query_option_twice(key.trim()));
            }
            seen.push(name.clone());
            if name != "$skiptoken" {
                options.raw_without_skiptoken.push(pair.to_owned());
            }
            match name.as_str() {
                "$select" => options.select = Some(value),
                "$skip" => return Err(messages::skip_unsupported()),
                "$filter" if accepts.filter => options.filter = Some(value),
                "$top" if accepts.paging => {
                    let top = value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|top| (1..=999).contains(top))
                        .ok_or_else(|| messages::invalid_page_size(value.trim()))?;
                    options.top = Some(top);
                }
                "$skiptoken" if accepts.paging => options.skiptoken = Some(value),
                "$count" if accepts.count => {
                    options.count = match value.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(messages::invalid_query_value("$count", &value)),
                    };
                }
                "$search" if accepts.search => options.search = Some(value),
                "$orderby" | "$expand" if accepts.filter => {
                    return Err(messages::twin_unsupported(&format!("`{}`", key.trim())));
                }
                _ => return Err(messages::query_option_unsupported(key.trim())),
            }
        }
        Ok(options)
    }

    /// The absolute `@odata.nextLink` continuing after `position`.
    pub(crate) fn next_link(&self, graph_root: &str, path: &str, position: usize) -> String {
        let mut query = self.raw_without_skiptoken.join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!(
            "{graph_root}{path}?{query}$skiptoken={}",
            encode_skiptoken(position)
        )
    }

    /// The scan position a `$skiptoken` stands for (0 without one).
    pub(crate) fn start(&self) -> Result<usize, GraphError> {
        self.skiptoken.as_deref().map_or(Ok(0), |token| {
            decode_skiptoken(token).ok_or_else(messages::invalid_skiptoken)
        })
    }
}

const SKIPTOKEN_MAGIC: &[u8] = b"ASTWIN1";

/// An opaque token: clients follow `@odata.nextLink` verbatim and never build one.
pub(crate) fn encode_skiptoken(position: usize) -> String {
    let mut bytes = SKIPTOKEN_MAGIC.to_vec();
    bytes.extend_from_slice(&(position as u64).to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let rest = bytes.strip_prefix(SKIPTOKEN_MAGIC)?;
    let position: [u8; 8] = rest.try_into().ok()?;
    usize::try_from(u64::from_be_bytes(position)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_decodes_as_space_like_on_graph() {
        assert_eq!(decode_component("a+b%2Bc%3D%3d"), "a b+c==");
        assert_eq!(decode_component("100%"), "100%");
    }

    #[test]
    fn skiptokens_round_trip_and_refuse_others() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(1234)), Some(1234));
        assert_eq!(decode_skiptoken("RFNwdAIAAQAAAD8"), None);
    }

    #[test]
    fn options_are_checked() {
        let accepts = Accepts::COLLECTION;
        let options = QueryOptions::parse(Some("$top=5&%24select=id&foo=1"), accepts).unwrap();
        assert_eq!(options.top, Some(5));
        assert_eq!(options.select.as_deref(), Some("id"));
        assert_eq!(
            options.next_link("http://h/v1.0", "/users", 7),
            format!(
                "http://h/v1.0/users?$top=5&%24select=id&foo=1&$skiptoken={}",
                encode_skiptoken(7)
            )
        );
        let error = QueryOptions::parse(Some("$top=1000"), accepts).unwrap_err();
        assert_eq!(
            error.message,
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
        );
        let error = QueryOptions::parse(Some("$skip=1"), accepts).unwrap_err();
        assert_eq!(error.message, "'$skip' is not supported by the service.");
        let error = QueryOptions::parse(Some("$top=1&$top=2"), accepts).unwrap_err();
        assert_eq!(error.code, "BadRequest");
    }
}
