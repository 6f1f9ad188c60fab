//! The origin (`scheme://host:port`) a client used to reach the twin. Every URL the twin hands out
//! (`@odata.context`, `@odata.nextLink`, the discovery documents) and the token URL a client
//! assertion must name are built from it, so a client that came over HTTPS is sent on over HTTPS
//! to the address it used.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};

use crate::tls::OverTls;

/// `https` when the request came over TLS (the HTTPS server marks those with [`OverTls`]).
pub(crate) fn scheme(extensions: &axum::http::Extensions) -> &'static str {
    if extensions.get::<OverTls>().is_some() {
        "https"
    } else {
        "http"
    }
}

/// `scheme://host`, the host from `Host` (or an absolute request URI), else `localhost`.
pub(crate) fn origin(scheme: &str, headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(ToString::to_string))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// Extractor: the request's origin.
#[derive(Debug, Clone)]
pub(crate) struct Origin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(origin(
            scheme(&parts.extensions),
            &parts.headers,
            &parts.uri,
        )))
    }
}
