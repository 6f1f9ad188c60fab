//! What can go wrong talking to Microsoft Graph, with everything an administrator needs to act on it:
//! Graph's error code and message, the request it answered (method, path, `request-id`), the
//! `ObjectConflict` details of a uniqueness violation, and the `AADSTS` code of a token refusal.
//!
//! Secrets never reach these types: a token request is named by its URL, never by its form.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::config::ConfigError;
use crate::credential::CredentialError;

/// A failed Graph operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Graph answered with an error body (4xx, or 5xx after the retries).
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// The token endpoint refused the credentials.
    #[error("{0}")]
    Token(Box<TokenError>),
    /// Graph kept answering 429/503/504 (or could not be reached) until the retry budget was spent.
    #[error(
        "`{request}`: gave up after {}; the last answer was {last}{}",
        anchorsync_core::wording::count(usize::try_from(*.attempts).unwrap_or(usize::MAX), "attempt", "attempts"),
        request_id_suffix(.request_id.as_deref())
    )]
    GaveUp {
        /// `METHOD path`.
        request: RequestName,
        /// How many times it was sent.
        attempts: u32,
        /// The last status or transport failure, in words.
        last: String,
        /// Graph's `request-id` of the last answer, when there was one.
        request_id: Option<String>,
    },
    /// A request that is not idempotent (a `POST`) may or may not have been carried out: it was sent
    /// and no answer came back, or the gateway timed out. It is not retried, because a second
    /// attempt could create a second object.
    #[error(
        "`{request}`: the outcome is unknown ({reason}); not retried because `{method}` is not \
         idempotent (client-request-id `{client_request_id}`)",
        method = .request.method
    )]
    OutcomeUnknown {
        /// `METHOD path`.
        request: RequestName,
        /// What happened.
        reason: String,
        /// The `client-request-id` we sent, to quote to Microsoft support.
        client_request_id: String,
    },
    /// The server's TLS certificate is not trusted. Verification is never turned off; a private CA
    /// (a TLS-inspecting proxy, a test endpoint) is added with `ca_file`.
    #[error(
        "`{request}`: the TLS certificate of the server is not trusted ({reason}); certificate verification stays on"
    )]
    Untrusted {
        /// `METHOD url`.
        request: RequestName,
        /// The verifier's words.
        reason: String,
    },
    /// The answer was not the JSON Graph documents.
    #[error("`{request}`: the answer is not the JSON Graph sends{}", request_id_suffix(.request_id.as_deref()))]
    Decode {
        /// `METHOD path`.
        request: RequestName,
        /// Graph's `request-id`.
        request_id: Option<String>,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// The answer was larger than [`ClientSettings::max_response_bytes`](crate::ClientSettings):
    /// it was dropped unread rather than held in memory. Not retried: the same request would bring
    /// the same answer.
    #[error(
        "`{request}`: the answer is larger than {} and was not read{}",
        mebibytes(*.limit),
        request_id_suffix(.request_id.as_deref())
    )]
    ResponseTooLarge {
        /// `METHOD path`.
        request: RequestName,
        /// The limit, in bytes.
        limit: u64,
        /// Graph's `request-id`, when the answer carried one.
        request_id: Option<String>,
    },
    /// A `@odata.nextLink` pointed outside the configured Graph endpoint: following it would send the
    /// access token elsewhere.
    #[error("`@odata.nextLink` `{link}` is outside `{base}`; not followed")]
    ForeignNextLink {
        /// The link.
        link: String,
        /// The configured Graph base URL.
        base: String,
    },
    /// A look-up by a value Entra keeps unique found more than one object: the tenant is not in the
    /// state the caller relies on, and nothing should be written for that value until someone has
    /// looked.
    #[error(
        "`{request}`: {} objects hold {property} `{value}` ({}), which Entra keeps unique",
        .ids.len(),
        .ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    )]
    NotUnique {
        /// `METHOD path` of the look-up.
        request: RequestName,
        /// The property, e.g. `onPremisesImmutableId`.
        property: &'static str,
        /// The value looked up.
        value: String,
        /// The ids of the objects found.
        ids: Vec<String>,
    },
    /// A `$batch` request list the client cannot send as given.
    #[error("$batch: {0}")]
    InvalidBatch(String),
    /// The configuration could not be turned into a client.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The client certificate or secret could not be used.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client")]
    HttpClient(#[source] reqwest::Error),
}

impl GraphError {
    /// The HTTP status Graph answered, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Service(error) => Some(error.status),
            _ => None,
        }
    }

    /// Graph's error code (`Request_BadRequest`, `Authorization_RequestDenied`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service(error) => Some(error.code.as_str()),
            _ => None,
        }
    }

    /// The Graph service error, when Graph answered with one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Self::Service(error) => Some(error),
            _ => None,
        }
    }

    /// Whether Graph said the object does not exist (404 `Request_ResourceNotFound`).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the request was sent and no answer came back (or the gateway timed out): Graph may
    /// or may not have carried it out ([`GraphError::OutcomeUnknown`]). Only a `POST` ends this way;
    /// the other methods are sent again.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }

    /// The properties whose values already belong to another object (`ObjectConflict` details).
    pub fn conflicts(&self) -> Vec<&str> {
        self.service()
            .map(|error| error.conflicting_properties().collect())
            .unwrap_or_default()
    }

    /// How the administrator could fix it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Service(error) => error.hint(),
            Self::Token(error) => error.hint(),
            Self::GaveUp { .. } => Some(
                "Graph is throttling or unavailable; run the command again later (finished work is not repeated), \
                 or lower `concurrency` in the `[graph]` section of `anchorsync.toml`"
                    .to_owned(),
            ),
            Self::NotUnique { property, .. } => Some(format!(
                "look at these objects in the Entra admin center and keep one `{property}` per object"
            )),
            Self::OutcomeUnknown { .. } => Some(
                "read the object back (for example with `anchorsync snapshot cloud`) before trying again, \
                 so that it is not created twice"
                    .to_owned(),
            ),
            Self::Untrusted { .. } => Some(
                "if a proxy or a test endpoint presents a certificate from a private CA, add that CA (PEM) \
                 with `ca_file` in the `[graph]` section; otherwise, check that `authority` and `graph_url` \
                 name the real service"
                    .to_owned(),
            ),
            Self::ResponseTooLarge { .. } => Some(
                "check that `graph_url` names Microsoft Graph (or your twin); if the answers are \
                 legitimately this large, raise `max_response_mib` in the `[graph]` section, or lower \
                 `page_size`"
                    .to_owned(),
            ),
            Self::Credential(error) => error.hint(),
            Self::Config(error) => error.hint(),
            _ => None,
        }
    }
}

/// `64 MiB`, or the bytes when the limit is not whole mebibytes.
fn mebibytes(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        anchorsync_core::wording::count(
            usize::try_from(bytes).unwrap_or(usize::MAX),
            "byte",
            "bytes",
        )
    }
}

impl anchorsync_core::hint::Hint for GraphError {
    fn hint(&self) -> Option<String> {
        GraphError::hint(self)
    }
}

fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (request-id `{id}`)"))
        .unwrap_or_default()
}

/// `METHOD path`, as errors and logs name a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestName {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path below the Graph base URL, with its query, or the token URL.
    pub path: String,
}

impl RequestName {
    pub(crate) fn new(method: &reqwest::Method, path: impl Into<String>) -> Self {
        Self {
            method: method.as_str().to_owned(),
            path: path.into(),
        }
    }
}

impl fmt::Display for RequestName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Very long filters and skip tokens would bury the message.
        const LIMIT: usize = 300;
        if self.path.len() > LIMIT {
            let cut = (0..=LIMIT)
                .rev()
                .find(|i| self.path.is_char_boundary(*i))
                .unwrap_or(0);
            write!(f, "{} {}…", self.method, self.path.get(..cut).unwrap_or(""))
        } else {
            write!(f, "{} {}", self.method, self.path)
        }
    }
}

/// One entry of Graph's `error.details` (for example `{"code":"ObjectConflict","target":"userPrincipalName"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// `ObjectConflict`, `ConflictingObjects`, ...
    #[serde(default)]
    pub code: String,
    /// The explanation.
    #[serde(default)]
    pub message: String,
    /// The property concerned.
    #[serde(default)]
    pub target: Option<String>,
}

/// Graph's error answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// `METHOD path`.
    pub request: RequestName,
    /// The HTTP status.
    pub status: u16,
    /// `error.code`.
    pub code: String,
    /// `error.message`.
    pub message: String,
    /// Graph's `request-id` (header, or `error.innerError.request-id`).
    pub request_id: Option<String>,
    /// The `client-request-id` we sent.
    pub client_request_id: Option<String>,
    /// `error.details`.
    pub details: Vec<ErrorDetail>,
}

impl ServiceError {
    /// Builds the error from an answer's status and body; a body that is not Graph's error JSON
    /// still gives an error (code `unknownError`, the text as message).
    pub(crate) fn from_body(
        request: RequestName,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
        client_request_id: Option<String>,
    ) -> Self {
        let envelope: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
        let (code, message, inner_request_id, details) = match envelope {
            Some(ErrorEnvelope { error }) => (
                error.code,
                error.message,
                error.inner_error.and_then(|inner| inner.request_id),
                error.details,
            ),
            None => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let message = if text.is_empty() {
                    format!("HTTP {status} with no error body")
                } else {
                    text.chars().take(500).collect()
                };
                ("unknownError".to_owned(), message, None, Vec::new())
            }
        };
        Self {
            request,
            status,
            code,
            message,
            request_id: request_id.or(inner_request_id),
            client_request_id,
            details,
        }
    }

    /// From an inner `$batch` answer, whose body is already JSON.
    pub(crate) fn from_value(
        request: RequestName,
        status: u16,
        body: Option<&Value>,
        request_id: Option<String>,
    ) -> Self {
        let bytes = body
            .map(|body| serde_json::to_vec(body).unwrap_or_default())
            .unwrap_or_default();
        Self::from_body(request, status, &bytes, request_id, None)
    }

    /// The properties named by `ObjectConflict` details.
    pub fn conflicting_properties(&self) -> impl Iterator<Item = &str> {
        self.details
            .iter()
            .filter(|detail| detail.code.eq_ignore_ascii_case("ObjectConflict"))
            .filter_map(|detail| detail.target.as_deref())
    }

    /// The ids of the objects that already hold the value (`ConflictingObjects` details), when
    /// Graph names them.
    pub fn conflicting_objects(&self) -> impl Iterator<Item = &str> {
        self.details
            .iter()
            .filter(|detail| detail.code.eq_ignore_ascii_case("ConflictingObjects"))
            .filter_map(|detail| detail.target.as_deref())
    }

    fn hint(&self) -> Option<String> {
        match (self.status, self.code.as_str()) {
            (401, _) => Some(
                "the access token was refused: check that `graph_url` and the token endpoint belong to the same cloud, \
                 and that the app registration is in tenant `tenant_id`"
                    .to_owned(),
            ),
            (403, "Authorization_RequestDenied") if self.request.method != "GET" => Some(format!(
                "grant the app the application permission for `{}` (for users: `User.ReadWrite.All`) and give admin consent; \
                 changing sensitive attributes of an administrator also needs a directory role for the app's service principal \
                 (Privileged Authentication Administrator)",
                self.request.path
            )),
            (403, _) => Some(format!(
                "grant the app the application permission that `{}` needs and give admin consent (see the `[graph]` section of the README)",
                self.request.path
            )),
            (400, _) if self.conflicting_properties().next().is_some() => Some(format!(
                "another object already holds this value of {}; find it with a filter on that property",
                self.conflicting_properties()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` answered {} `{}`: {}",
            self.request,
            self.status,
            self.code,
            self.message.trim_end_matches('.')
        )?;
        let conflicts: Vec<&str> = self.conflicting_properties().collect();
        if !conflicts.is_empty() {
            write!(f, " (ObjectConflict on `{}`)", conflicts.join("`, `"))?;
        }
        f.write_str(&request_id_suffix(self.request_id.as_deref()))
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner_error: Option<InnerError>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
}

/// The token endpoint's refusal (`{"error","error_description","error_codes",...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// The token URL.
    pub token_url: String,
    /// The app (client) id.
    pub client_id: String,
    /// The HTTP status.
    pub status: u16,
    /// OAuth `error` (`invalid_client`, `invalid_scope`, ...).
    pub error: String,
    /// The `AADSTS` number (`7000215` for a wrong secret, ...), when Entra gave one.
    pub aadsts: Option<u32>,
    /// The first line of `error_description`.
    pub description: String,
    /// `trace_id`, to quote to Microsoft support.
    pub trace_id: Option<String>,
    /// `correlation_id`.
    pub correlation_id: Option<String>,
}

#[derive(Deserialize)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
}

impl TokenError {
    pub(crate) fn from_body(token_url: &str, client_id: &str, status: u16, body: &[u8]) -> Self {
        let parsed: Option<TokenErrorBody> = serde_json::from_slice(body).ok();
        match parsed {
            Some(body) => {
                // Entra's description carries trace lines after the first; the first says it all.
                let description = body
                    .error_description
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let aadsts = body
                    .error_codes
                    .first()
                    .copied()
                    .or_else(|| aadsts_in(&description));
                Self {
                    token_url: token_url.to_owned(),
                    client_id: client_id.to_owned(),
                    status,
                    error: body.error,
                    aadsts,
                    description,
                    trace_id: body.trace_id,
                    correlation_id: body.correlation_id,
                }
            }
            None => Self {
                token_url: token_url.to_owned(),
                client_id: client_id.to_owned(),
                status,
                error: "unknown".to_owned(),
                aadsts: None,
                description: String::from_utf8_lossy(body).chars().take(300).collect(),
                trace_id: None,
                correlation_id: None,
            },
        }
    }

    fn hint(&self) -> Option<String> {
        let hint = match self.aadsts? {
            7_000_215 | 7_000_222 => {
                "the client secret is wrong or expired: give the secret's *value* (not its id) through `client_secret_env` or `client_secret_file`"
            }
            700_016 => {
                "no app registration with this `client_id` exists in the tenant: check `client_id` and `tenant_id`, and that the app was consented in this tenant"
            }
            90_002 | 900_023 => {
                "the tenant was not found: check `tenant_id` (a GUID or a verified domain name)"
            }
            700_027 | 700_024 | 700_023 => {
                "the client assertion was refused: upload the certificate (the public part) to the app registration, and check the machine's clock"
            }
            70_011 | 1_002_012 | 500_011 => {
                "`scope` must name one resource followed by `/.default`, for Microsoft Graph `https://graph.microsoft.com/.default`"
            }
            7_000_218 => {
                "the request had no credential: set `client_secret_env`, `client_secret_file` or `certificate_file`"
            }
            _ => return None,
        };
        Some(hint.to_owned())
    }
}

/// `AADSTS70011: ...` → 70011.
fn aadsts_in(text: &str) -> Option<u32> {
    let rest = text.split("AADSTS").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the token endpoint `{}` refused client `{}` with {} `{}`",
            self.token_url, self.client_id, self.status, self.error
        )?;
        if let Some(code) = self.aadsts {
            write!(f, " (AADSTS{code})")?;
        }
        if !self.description.is_empty() {
            write!(f, ": {}", self.description.trim_end_matches('.'))?;
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " (trace id `{trace}`)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(path: &str) -> RequestName {
        RequestName {
            method: "PATCH".to_owned(),
            path: path.to_owned(),
        }
    }

    #[test]
    fn service_error_names_request_code_conflict_and_request_id() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"Another object with the same value for property userPrincipalName already exists.","innerError":{"date":"2024-01-01T00:00:00","request-id":"r-1","client-request-id":"c-1"},"details":[{"code":"ObjectConflict","message":"x","target":"userPrincipalName"}]}}"#;
        let error =
            ServiceError::from_body(patch("/users/u1"), 400, body, None, Some("c-1".into()));
        assert_eq!(
            error.to_string(),
            "`PATCH /users/u1` answered 400 `Request_BadRequest`: Another object with the same value for property \
             userPrincipalName already exists (ObjectConflict on `userPrincipalName`) (request-id `r-1`)"
        );
        assert_eq!(
            error.conflicting_properties().collect::<Vec<_>>(),
            ["userPrincipalName"]
        );
    }

    #[test]
    fn non_json_error_body_still_gives_an_error() {
        let error = ServiceError::from_body(
            patch("/users/u1"),
            502,
            b"Bad Gateway",
            Some("r".into()),
            None,
        );
        assert_eq!(error.code, "unknownError");
        assert_eq!(error.message, "Bad Gateway");
    }

    #[test]
    fn token_error_keeps_aadsts_and_first_line() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[7000215],"trace_id":"t","correlation_id":"c"}"#;
        let error = TokenError::from_body("https://login/x/oauth2/v2.0/token", "app", 401, body);
        assert_eq!(error.aadsts, Some(7_000_215));
        assert_eq!(
            error.to_string(),
            "the token endpoint `https://login/x/oauth2/v2.0/token` refused client `app` with 401 `invalid_client` \
             (AADSTS7000215): AADSTS7000215: Invalid client secret provided (trace id `t`)"
        );
        assert!(error.hint().unwrap().contains("client_secret_env"));
        assert_eq!(aadsts_in("AADSTS70011: The provided value"), Some(70011));
    }

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        let name = patch(&"é".repeat(400));
        assert!(name.to_string().ends_with('…'));
    }
}
