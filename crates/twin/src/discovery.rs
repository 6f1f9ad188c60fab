//! What Microsoft's client libraries ask the authority before they ask for a token: the OpenID
//! discovery document (`GET /{tenant}/v2.0/.well-known/openid-configuration`), the keys tokens are
//! signed with (`jwks_uri`), and instance discovery (`GET /common/discovery/instance`).
//!
//! Shaped as Entra's documents are, with every URL on the twin's own origin (`https` over TLS), so a
//! library that was given the twin as its authority never turns to Microsoft. For the tenant (by id
//! or by one of its domain names) the endpoints name the tenant id, as Entra resolves a domain to
//! its GUID; for `common` and `organizations` they keep that segment and the issuer carries Entra's
//! literal `{tenantid}` placeholder. Of the endpoints a document lists, the twin serves the token
//! endpoint, `jwks_uri` and discovery; the interactive ones (authorize, device code, logout,
//! userinfo, kerberos) are listed because MSAL requires `authorization_endpoint` to be present, and
//! answer 400 like any path the twin does not have.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::TokenError;
use crate::messages;
use crate::origin::Origin;
use crate::query::decode_pairs;
use crate::state::Twin;

/// Which authority a path names.
enum Authority {
    /// This tenant, by id or domain name: its id.
    Tenant(String),
    /// `common` or `organizations`: the segment as written.
    Shared(&'static str),
}

impl Authority {
    fn of(twin: &Twin, tenant: &str) -> Result<Self, TokenError> {
        if tenant.eq_ignore_ascii_case("common") {
            Ok(Self::Shared("common"))
        } else if tenant.eq_ignore_ascii_case("organizations") {
            Ok(Self::Shared("organizations"))
        } else if twin.is_this_tenant(tenant) {
            Ok(Self::Tenant(twin.tenant_id().to_owned()))
        } else {
            Err(messages::discovery_tenant_not_found(tenant))
        }
    }

    /// The path segment endpoints use.
    fn segment(&self) -> &str {
        match self {
            Self::Tenant(id) => id,
            Self::Shared(segment) => segment,
        }
    }

    /// The v2.0 issuer: the tenant's, or Entra's placeholder for multi-tenant authorities.
    fn issuer(&self, origin: &str) -> String {
        match self {
            Self::Tenant(id) => format!("{origin}/{id}/v2.0"),
            Self::Shared(_) => format!("{origin}/{{tenantid}}/v2.0"),
        }
    }
}

/// JSON as Entra's login service sends it.
fn login_json(body: &Value) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=86400, private"),
    );
    response
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(twin): State<Twin>,
    Path(tenant): Path<String>,
    Origin(origin): Origin,
) -> Result<Response, TokenError> {
    let authority = Authority::of(&twin, &tenant)?;
    let base = format!("{origin}/{}", authority.segment());
    let region = match authority {
        Authority::Tenant(_) => Value::from("WW"),
        Authority::Shared(_) => Value::Null,
    };
    let host = origin
        .split_once("://")
        .map_or(origin.as_str(), |(_, host)| host);
    Ok(login_json(&json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": authority.issuer(&origin),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{origin}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": host,
        "rbac_url": "https://pas.windows.net",
    })))
}

/// `GET /{tenant}/discovery/v2.0/keys`: the key access tokens are signed with.
pub(crate) async fn keys(
    State(twin): State<Twin>,
    Path(tenant): Path<String>,
    Origin(origin): Origin,
) -> Result<Response, TokenError> {
    let authority = Authority::of(&twin, &tenant)?;
    let key = twin.signing_key().jwk(Some(&authority.issuer(&origin)));
    Ok(login_json(&json!({ "keys": [key] })))
}

/// `host` of `host:port` (`[::1]` of `[::1]:8400`).
fn without_port(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port))
            if port.chars().all(|c| c.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => authority,
    }
}

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`: what MSAL asks about
/// an authority it does not know (MSAL Python only asks the twin when given its URL as
/// `instance_discovery`; by default it asks login.microsoftonline.com, hence the documented
/// switch `instance_discovery=False`). The twin vouches for itself only.
pub(crate) async fn instance(
    Origin(origin): Origin,
    RawQuery(query): RawQuery,
) -> Result<Response, TokenError> {
    let pairs = decode_pairs(query.as_deref().unwrap_or_default());
    let endpoint = pairs
        .iter()
        .find(|(name, _)| name == "authorization_endpoint")
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| messages::missing_parameter("authorization_endpoint"))?;
    let host = origin
        .split_once("://")
        .map_or(origin.as_str(), |(_, host)| host);
    let (endpoint_host, path) = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .and_then(|rest| rest.split_once('/'))
        .ok_or_else(messages::unknown_instance)?;
    // MSAL names the authority by host name only (it drops the port), so the port is not compared.
    if !without_port(endpoint_host).eq_ignore_ascii_case(without_port(host)) {
        return Err(messages::unknown_instance());
    }
    let tenant = path.split('/').next().unwrap_or_default();
    Ok(login_json(&json!({
        "tenant_discovery_endpoint": format!("{origin}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }],
    })))
}

#[cfg(test)]
mod tests {
    use super::without_port;

    #[test]
    fn ports_are_dropped_from_host_names() {
        assert_eq!(without_port("127.0.0.1:8400"), "127.0.0.1");
        assert_eq!(without_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(without_port("[::1]:8400"), "[::1]");
        assert_eq!(without_port("[::1]"), "[::1]");
        assert_eq!(without_port("localhost:443"), "localhost");
    }
}
