//! The token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials,
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>) and the
//! bearer check in front of every Graph request.
//!
//! Tokens are JWTs signed RS256 with the key published at the discovery documents' `jwks_uri`
//! (`signing.rs`); clients must treat them as opaque, as they must Entra's. They carry the app's
//! permissions (`roles`) at issue time, like Entra's; the app's directory role is read from the
//! configuration at each request.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::certificate::decode_base64_any;
use crate::clock::unix_seconds;
use crate::error::{GraphError, TokenError};
use crate::messages;
use crate::origin::Origin;
use crate::query::{decode_component, decode_pairs};
use crate::state::{RegisteredClient, Twin};

/// The audience of Graph tokens.
const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Microsoft Graph's application id, also accepted as the scope's resource.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew Entra tolerates on client assertions.
const ASSERTION_SKEW_SECONDS: u64 = 300;

/// The app behind a request, as the bearer token says.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// `appid`.
    pub client_id: String,
    /// Granted application permissions (`roles`).
    pub roles: Vec<String>,
    /// The directory role of the app's service principal, from the configuration.
    pub directory_role: Option<String>,
}

impl Caller {
    /// 403 unless the token carries one of `permissions`.
    pub(crate) fn require(&self, permissions: &[&str]) -> Result<(), GraphError> {
        if self.roles.iter().any(|role| {
            permissions
                .iter()
                .any(|permission| permission.eq_ignore_ascii_case(role))
        }) {
            Ok(())
        } else {
            Err(messages::insufficient_privileges())
        }
    }
}

/// Permissions that allow reading users.
pub(crate) const READ_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "User.ReadBasic.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow creating and deleting users.
pub(crate) const WRITE_USERS: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
/// Permissions that allow updating users (<https://learn.microsoft.com/graph/api/user-update>).
pub(crate) const UPDATE_USERS: &[&str] = &[
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
    "User.ReadUpdate.All",
];
/// Permissions that allow listing a user's directory-role memberships.
pub(crate) const READ_MEMBERSHIPS: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "GroupMember.Read.All",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
];
/// Permissions that allow listing groups (<https://learn.microsoft.com/graph/api/group-list>).
pub(crate) const READ_GROUPS: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow listing organisational contacts
/// (<https://learn.microsoft.com/graph/api/orgcontact-list>).
pub(crate) const READ_CONTACTS: &[&str] = &[
    "OrgContact.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow reading domains.
pub(crate) const READ_DOMAINS: &[&str] = &[
    "Domain.Read.All",
    "Domain.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow reading the organization (application permissions; `User.Read` reads
/// part of it only in delegated scenarios, which the twin does not have).
pub(crate) const READ_ORGANIZATION: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow reading role assignments.
pub(crate) const READ_ROLES: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// Permissions that allow reading the synchronisation settings (the twin accepts app-only access,
/// which <https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get> disputes).
pub(crate) const READ_SYNC: &[&str] = &[
    "OnPremDirectorySynchronization.Read.All",
    "OnPremDirectorySynchronization.ReadWrite.All",
];
/// Permissions that allow changing the synchronisation settings.
pub(crate) const WRITE_SYNC: &[&str] = &["OnPremDirectorySynchronization.ReadWrite.All"];

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    aud: String,
    iss: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    appid: String,
    appidacr: String,
    idtyp: String,
    oid: String,
    /// The issuing twin (Entra's internal revalidation claim).
    rh: String,
    roles: Vec<String>,
    sub: String,
    tid: String,
    uti: String,
    ver: String,
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    aud: Option<serde_json::Value>,
    iss: Option<String>,
    sub: Option<String>,
    /// NumericDate: seconds, which may have a fraction (MSAL for Python writes `exp` and `iat` as
    /// floats; RFC 7519 §2 allows it).
    exp: Option<f64>,
    nbf: Option<f64>,
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
}

/// `client_id:client_secret` from `Authorization: Basic` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((decode_component(id), decode_component(secret)))
}

/// Compares secrets without stopping at the first difference.
fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    State(twin): State<Twin>,
    Path(tenant): Path<String>,
    Origin(origin): Origin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, TokenError> {
    if !twin.is_this_tenant(&tenant) {
        return Err(messages::tenant_not_found(&tenant));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form = if is_form {
        decode_pairs(&String::from_utf8_lossy(&body))
    } else {
        Vec::new()
    };
    let grant =
        form_value(&form, "grant_type").ok_or_else(|| messages::missing_parameter("grant_type"))?;
    if grant != "client_credentials" {
        return Err(messages::unsupported_grant_type(grant));
    }
    let basic = basic_credentials(&headers);
    let client_id = form_value(&form, "client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| messages::missing_parameter("client_id"))?;
    let scope = form_value(&form, "scope").ok_or_else(|| messages::missing_parameter("scope"))?;
    let client = twin
        .client(&client_id)
        .ok_or_else(|| messages::unknown_client(&client_id, &tenant))?;
    check_scope(scope, &tenant)?;
    let now = twin.clock().now();
    let method = if let Some(assertion) = form_value(&form, "client_assertion") {
        let kind = form_value(&form, "client_assertion_type").unwrap_or_default();
        if kind != JWT_BEARER {
            return Err(messages::unsupported_assertion_type(kind));
        }
        check_assertion(&twin, client, assertion, &origin, unix_seconds(now))?;
        "2"
    } else {
        let secret = form_value(&form, "client_secret")
            .map(str::to_owned)
            .or_else(|| basic.map(|(_, secret)| secret))
            .ok_or_else(messages::missing_credential)?;
        let matches = client
            .config
            .secret
            .as_ref()
            .is_some_and(|expected| secrets_equal(expected.expose(), &secret));
        if !matches {
            return Err(messages::invalid_secret(&client.config.client_id));
        }
        "1"
    };
    let issued = unix_seconds(now);
    let lifetime = twin.config().token_lifetime.as_secs();
    let claims = AccessClaims {
        aud: GRAPH_AUDIENCE.to_owned(),
        iss: format!("https://sts.windows.net/{}/", twin.tenant_id()),
        iat: issued,
        nbf: issued,
        exp: issued + lifetime,
        appid: client.config.client_id.clone(),
        appidacr: method.to_owned(),
        idtyp: "app".to_owned(),
        oid: client.config.client_id.clone(),
        rh: twin.instance().to_owned(),
        roles: client.config.permissions.clone(),
        sub: client.config.client_id.clone(),
        tid: twin.tenant_id().to_owned(),
        uti: uuid::Uuid::new_v4().simple().to_string(),
        ver: "1.0".to_owned(),
    };
    let signing_key = twin.signing_key();
    let access_token = jsonwebtoken::encode(&signing_key.header(), &claims, signing_key.encoding())
        .map_err(|_| messages::malformed_assertion("the twin could not sign a token"))?;
    let body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// One resource, `/.default`, and that resource is Graph.
fn check_scope(scope: &str, tenant: &str) -> Result<(), TokenError> {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let [only] = scopes.as_slice() else {
        return Err(messages::invalid_scope(scope));
    };
    let Some(resource) = only.strip_suffix("/.default") else {
        return Err(messages::scope_needs_default(only));
    };
    let resource = resource.trim_end_matches('/');
    if resource.eq_ignore_ascii_case(GRAPH_AUDIENCE) || resource.eq_ignore_ascii_case(GRAPH_APP_ID)
    {
        Ok(())
    } else {
        Err(messages::unknown_resource(resource, tenant))
    }
}

/// Verifies a client assertion: a registered certificate (by `x5t` or `x5t#S256`, in any of the
/// Base64 forms Entra accepts), its signature (RS256 or PS256), `aud`, `iss` = `sub` = client id,
/// `nbf`/`exp`.
fn check_assertion(
    twin: &Twin,
    client: &RegisteredClient,
    assertion: &str,
    origin: &str,
    now: u64,
) -> Result<(), TokenError> {
    let not_compact = || messages::malformed_assertion("the assertion is not a compact JWS");
    // azure-identity pads each part of its assertions with `=`; Entra accepts that, so the parts
    // are decoded here rather than by jsonwebtoken (which wants them unpadded), and the signature
    // is checked over the parts exactly as sent.
    let mut parts = assertion.split('.');
    let (Some(header_part), Some(claims_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(not_compact());
    };
    let json_part = |part: &str| decode_base64_any(part).ok_or_else(not_compact);
    let header: jsonwebtoken::Header =
        serde_json::from_slice(&json_part(header_part)?).map_err(|_| not_compact())?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(messages::malformed_assertion(
            "the assertion must be signed with RS256 or PS256",
        ));
    }
    let thumbprint = header
        .x5t_s256
        .clone()
        .or_else(|| header.x5t.clone())
        .unwrap_or_default();
    // MSAL writes base64url with `=` padding, jsonwebtoken without; Entra also takes standard
    // Base64. All name the same digest.
    let named = |thumbprint: Option<&String>, registered: &str| {
        thumbprint
            .and_then(|thumbprint| decode_base64_any(thumbprint))
            .is_some_and(|digest| Some(digest) == decode_base64_any(registered))
    };
    let certificate = client.certificates.iter().find(|certificate| {
        named(header.x5t_s256.as_ref(), &certificate.thumbprints.x5t_s256)
            || named(header.x5t.as_ref(), &certificate.thumbprints.x5t)
    });
    let Some(certificate) = certificate else {
        return Err(messages::invalid_assertion_signature(
            "The key was not found.",
            &thumbprint,
        ));
    };
    let signed = assertion
        .get(..header_part.len() + 1 + claims_part.len())
        .unwrap_or_default();
    let verified = jsonwebtoken::crypto::verify(
        signature_part.trim_end_matches('='),
        signed.as_bytes(),
        &certificate.key,
        header.alg,
    )
    .unwrap_or(false);
    if !verified {
        return Err(messages::invalid_assertion_signature(
            "The signature is invalid.",
            &thumbprint,
        ));
    }
    // Time and audience are checked below against the twin's clock and URL.
    let claims: AssertionClaims =
        serde_json::from_slice(&json_part(claims_part)?).map_err(|_| not_compact())?;
    let client_id = &client.config.client_id;
    if claims.iss.as_deref() != Some(client_id.as_str())
        || claims.sub.as_deref() != Some(client_id.as_str())
    {
        return Err(messages::assertion_client_mismatch());
    }
    let audience = match &claims.aud {
        Some(serde_json::Value::String(audience)) => audience.clone(),
        Some(serde_json::Value::Array(values)) if values.len() == 1 => values
            .first()
            .and_then(|value| value.as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if !audience_is_token_endpoint(twin, &audience, origin) {
        return Err(messages::assertion_audience(&audience));
    }
    // Whole seconds, as Entra reports them; a fraction never decides.
    let seconds = |date: Option<f64>| {
        date.filter(|date| date.is_finite())
            .map(|date| date.max(0.0) as u64)
    };
    let (nbf, exp) = (seconds(claims.nbf), seconds(claims.exp));
    let in_range = exp.is_some_and(|exp| now < exp + ASSERTION_SKEW_SECONDS)
        && nbf.unwrap_or(0) <= now + ASSERTION_SKEW_SECONDS;
    if !in_range {
        return Err(messages::assertion_time_range(now, nbf, exp));
    }
    Ok(())
}

/// `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, or the same path on the origin
/// the client used (a client pointed at the twin signs for the URL it posts to: `https` over TLS).
fn audience_is_token_endpoint(twin: &Twin, audience: &str, origin: &str) -> bool {
    let twin_origin = format!("{origin}/");
    let Some(rest) = audience
        .strip_prefix("https://login.microsoftonline.com/")
        .or_else(|| audience.strip_prefix(&twin_origin))
    else {
        return false;
    };
    match rest.split_once('/') {
        Some((tenant, path)) => {
            twin.is_this_tenant(tenant) && path.trim_end_matches('/') == "oauth2/v2.0/token"
        }
        None => false,
    }
}

/// Middleware: 401 without a valid bearer token; otherwise the [`Caller`] becomes an extension.
pub(crate) async fn authenticate(
    State(twin): State<Twin>,
    mut request: Request,
    next: Next,
) -> Response {
    match caller(&twin, request.headers()) {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn caller(twin: &Twin, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .trim();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(if value.contains(' ') { "" } else { value })
        .trim();
    if token.is_empty() {
        return Err(messages::token_empty());
    }
    if jsonwebtoken::decode_header(token).is_err() {
        return Err(messages::token_unparsable());
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<AccessClaims>(token, twin.signing_key().decoding(), &validation)
            .map_err(|_| messages::token_invalid())?
            .claims;
    // Signed with the process's key, but by another twin.
    if claims.rh != twin.instance() {
        return Err(messages::token_invalid());
    }
    if claims.aud != GRAPH_AUDIENCE && claims.aud != GRAPH_APP_ID {
        return Err(messages::token_invalid_audience());
    }
    if !claims.tid.eq_ignore_ascii_case(twin.tenant_id()) {
        return Err(messages::token_invalid());
    }
    let now = unix_seconds(twin.clock().now());
    if now >= claims.exp {
        return Err(messages::token_expired());
    }
    if now < claims.nbf {
        return Err(messages::token_invalid());
    }
    let directory_role = twin
        .client(&claims.appid)
        .and_then(|client| client.config.directory_role.clone());
    Ok(Caller {
        client_id: claims.appid,
        roles: claims.roles,
        directory_role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        assert!(check_scope("https://graph.microsoft.com/.default", "t").is_ok());
        assert!(check_scope("https://graph.microsoft.com//.default", "t").is_ok());
        assert!(check_scope("00000003-0000-0000-c000-000000000000/.default", "t").is_ok());
        assert_eq!(
            check_scope("User.Read.All", "t").unwrap_err().aadsts,
            1_002_012
        );
        assert_eq!(
            check_scope(
                "https://graph.microsoft.com/.default https://management.azure.com/.default",
                "t"
            )
            .unwrap_err()
            .aadsts,
            70011
        );
        assert_eq!(
            check_scope("https://management.azure.com/.default", "t")
                .unwrap_err()
                .aadsts,
            500_011
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
