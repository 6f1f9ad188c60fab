//! Every error text the twin sends, in one place.
//!
//! Texts marked **observed** were seen in Graph or Entra responses quoted by Microsoft's pages or
//! public issue threads; **OData** texts come from the OData library Graph runs on;
//! **\[UNCONFIRMED\]** texts are the twin's own plausible Graph-style choice where no public source
//! gives the text. Clients must not branch on messages (Graph's own advice,
//! <https://learn.microsoft.com/graph/errors>), only on status and `code`.

use axum::http::{HeaderName, StatusCode};

use crate::error::{GraphError, TokenError};

const WWW_AUTHENTICATE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#;

fn unauthenticated(message: &str) -> GraphError {
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
    .header(axum::http::header::WWW_AUTHENTICATE, WWW_AUTHENTICATE)
}

/// 401: no bearer token (observed).
pub(crate) fn token_empty() -> GraphError {
    unauthenticated("Access token is empty.")
}

/// 401: the bearer is not a JWT (observed).
pub(crate) fn token_unparsable() -> GraphError {
    unauthenticated("CompactToken parsing failed with error code: 80049217")
}

/// 401: bad signature, wrong tenant or not yet valid (observed).
pub(crate) fn token_invalid() -> GraphError {
    unauthenticated("Access token validation failure.")
}

/// 401: a token for another resource (observed).
pub(crate) fn token_invalid_audience() -> GraphError {
    unauthenticated("Access token validation failure. Invalid audience.")
}

/// 401: an expired token. \[UNCONFIRMED\] (commonly reported wording).
pub(crate) fn token_expired() -> GraphError {
    unauthenticated("Lifetime validation failed, the token is expired.")
}

/// 403: a missing application permission, or an admin-protected user (observed).
pub(crate) fn insufficient_privileges() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// 404 for a directory object (observed).
pub(crate) fn not_found(key: &str) -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// 400 for a path Graph does not have (observed).
pub(crate) fn segment_not_found(segment: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}

/// 405 (observed in `$batch` responses).
pub(crate) fn method_not_allowed() -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
}

/// 400: `$skip` on directory collections (observed).
pub(crate) fn skip_unsupported() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "'$skip' is not supported by the service.",
    )
}

/// 400: `/users/$count` without `ConsistencyLevel: eventual` (observed).
pub(crate) fn count_segment_unsupported() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "$count is not currently supported.",
    )
}

/// 400: `$top` outside 1..=999. Text observed; code \[UNCONFIRMED\].
pub(crate) fn invalid_page_size(value: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        format!("Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive."),
    )
}

/// 400: an operator that needs advanced query parameters, sent without them (observed).
pub(crate) fn advanced_operator(operator: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!(
            "Operator '{operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
        ),
    )
}

/// 400: a property that cannot be filtered this way, or not without advanced query parameters
/// (observed).
pub(crate) fn unsupported_filter_property(property: &str, resource: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!(
            "Unsupported or invalid query filter clause specified for property '{property}' of resource '{resource}'."
        ),
    )
}

/// 400: `$search` without `ConsistencyLevel: eventual` (observed).
pub(crate) fn search_needs_eventual() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    )
}

/// 400: the `memberOf/microsoft.graph.directoryRole` cast without advanced query parameters.
/// \[UNCONFIRMED\] (<https://learn.microsoft.com/graph/api/user-list-memberof>: the cast needs
/// them; the text is the twin's).
pub(crate) fn cast_needs_advanced() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "The OData cast to 'microsoft.graph.directoryRole' requires advanced query parameters. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
    )
}

/// 400: a `$filter` that does not parse. \[UNCONFIRMED\] (OData's syntax error under Graph's prefix).
pub(crate) fn filter_syntax(position: usize, filter: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Invalid filter clause: Syntax error at position {position} in '{filter}'."),
    )
}

/// 400: a property the type does not have (OData).
pub(crate) fn unknown_property(name: &str, type_name: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."),
    )
}

/// 400: comparing values of different types (OData).
pub(crate) fn incompatible_operands(left: &str, right: &str, operator: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!(
            "A binary operator with incompatible types was detected. Found operand types '{left}' and '{right}' for operator kind '{operator}'."
        ),
    )
}

/// 501: `$select` of a property that only single-user reads return (observed).
pub(crate) fn select_not_on_list() -> GraphError {
    GraphError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        "This operation target is not yet supported.",
    )
}

/// 400: a system query option the resource does not take. \[UNCONFIRMED\]
pub(crate) fn query_option_unsupported(name: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("The query parameter '{name}' is not supported."),
    )
}

/// 400: a system query option given twice (OData).
pub(crate) fn query_option_twice(name: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!(
            "Query option '{name}' was specified more than once, but it must be specified at most once."
        ),
    )
}

/// 400: a query option value that is not of its type. \[UNCONFIRMED\]
pub(crate) fn invalid_query_value(name: &str, value: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Invalid value '{value}' for query option '{name}'."),
    )
}

/// 400: something Graph supports but the twin does not (a documented limitation of the twin).
pub(crate) fn twin_unsupported(feature: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        format!("The Graph twin does not support {feature}."),
    )
}

/// 400: a `$skiptoken` the twin did not issue. \[UNCONFIRMED\]
pub(crate) fn invalid_skiptoken() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    )
}

/// 400: a body that is not JSON (observed).
pub(crate) fn invalid_json() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    )
}

/// 400: writing a read-only property (observed for `onPremisesSyncEnabled`).
pub(crate) fn read_only(property: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        format!("Property '{property}' is read-only and cannot be set."),
    )
}

/// 400: a value the property does not take, or a missing required property (observed for invalid
/// values; \[UNCONFIRMED\] for missing ones).
pub(crate) fn invalid_value(property: &str, resource: &str) -> GraphError {
    let message =
        format!("Invalid value specified for property '{property}' of resource '{resource}'.");
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        message.clone(),
    )
    .detail("InvalidValue", message, property)
}

/// 400: a property the type does not have, in a write. \[UNCONFIRMED\]
pub(crate) fn invalid_property(property: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        format!("Invalid property '{property}'."),
    )
}

/// 400: a user in a federated domain without `onPremisesImmutableId` (observed).
pub(crate) fn properties_invalid() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "One or more properties contains invalid values.",
    )
}

/// 400: a user principal name outside the tenant's verified domains (observed on `POST /users` with
/// a domain the tenant does not hold, Stack Overflow 48923171, 2018; the detail's `message` is the
/// twin's).
pub(crate) fn upn_domain_invalid() -> GraphError {
    let message = "Property userPrincipalName is invalid.";
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message).detail(
        "InvalidValue",
        message,
        "userPrincipalName",
    )
}

/// 400: `POST /users` without `passwordProfile.password` (observed,
/// microsoftgraph/msgraph-sdk-powershell#3307).
pub(crate) fn password_required() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "A password must be specified to create a new user.",
    )
}

/// 400: `POST /users` without one of its other required properties. The directory's wording for a
/// missing required property (observed for `identifierUris` and `alternativeSecurityIds`; for the
/// user's properties \[UNCONFIRMED\]).
pub(crate) fn required_property(property: &str) -> GraphError {
    let message = format!("Property {property} value is required but is empty or missing.");
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        message.clone(),
    )
    .detail("InvalidValue", message, property)
}

/// 400: a password the tenant's policy refuses (observed, microsoftgraph/msgraph-sdk-java-auth#36,
/// microsoftgraph/msgraph-sdk-dotnet#2793).
pub(crate) fn password_complexity() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "The specified password does not comply with password complexity requirements. Please provide a different password.",
    )
}

/// 400: a uniqueness conflict. Message and `ObjectConflict` detail observed; the
/// `ConflictingObjects` detail naming the other object's id is \[UNCONFIRMED\] (truncated in the
/// observed body).
pub(crate) fn conflict(property: &str, other_object_id: &str) -> GraphError {
    let message =
        format!("Another object with the same value for property {property} already exists.");
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        message.clone(),
    )
    .detail("ObjectConflict", message, property)
    .detail(
        "ConflictingObjects",
        format!("Conflicting object: {other_object_id}"),
        other_object_id,
    )
}

/// 400: writing an on-premises-mastered property of a synced user (observed).
pub(crate) fn mastered_property() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
    )
}

/// 400: changing the `onPremisesImmutableId` of a user whose UPN is in a federated domain.
/// \[UNCONFIRMED\] (refused, <https://learn.microsoft.com/education/windows/federated-sign-in>; the
/// text is the twin's).
pub(crate) fn federated_immutable_id() -> GraphError {
    let message = "Unable to update property 'onPremisesImmutableId' of a user whose userPrincipalName is in a federated domain. Move the userPrincipalName to a managed domain first.";
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message).detail(
        "InvalidValue",
        message,
        "onPremisesImmutableId",
    )
}

/// 400: listing role assignments without `$filter`. \[UNCONFIRMED\] (a 400 reported in
/// <https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/12453>; the text is the
/// twin's).
pub(crate) fn role_assignment_filter_required() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "A $filter on principalId or roleDefinitionId is required to list role assignments.",
    )
}

/// 429 from an exhausted budget. Message observed; headers per
/// <https://learn.microsoft.com/graph/throttling-limits>.
pub(crate) fn throttled(
    client_id: &str,
    retry_after: u64,
    scope: &str,
    information: &str,
) -> GraphError {
    GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!(
            "Too many requests from Identifier:{client_id} under category:throttle.aad.ags.appId.large. Please try again later."
        ),
    )
    .header(axum::http::header::RETRY_AFTER, retry_after.to_string())
    .header(HeaderName::from_static("x-ms-throttle-scope"), scope)
    .header(HeaderName::from_static("x-ms-throttle-information"), information)
}

/// 429 injected at random ("it is possible to receive 429 even when the limits are not reached").
pub(crate) fn injected_throttle(client_id: &str, retry_after: u64) -> GraphError {
    GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!(
            "Too many requests from Identifier:{client_id} under category:throttle.aad.ags.appId.large. Please try again later."
        ),
    )
    .header(axum::http::header::RETRY_AFTER, retry_after.to_string())
}

/// 503 injected at random. Code from Graph's error list; text \[UNCONFIRMED\].
pub(crate) fn unavailable(retry_after: u64) -> GraphError {
    GraphError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
        "The service is temporarily unavailable. Please try again later.",
    )
    .header(axum::http::header::RETRY_AFTER, retry_after.to_string())
}

/// 500: a PATCH refused by the `fail_properties` fault (twin-only; not retried by clients, unlike
/// 503, so a sequence of writes stops where a test wants it to).
pub(crate) fn injected_failure(property: &str) -> GraphError {
    GraphError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "generalException",
        format!(
            "Injected fault: PATCHes that set `{property}` fail (twin `faults.fail_properties`)."
        ),
    )
}

/// 400: `GET /directory/deletedItems` without the OData cast to a type, which Graph documents as
/// not supported. \[UNCONFIRMED\] (status and text are the twin's).
pub(crate) fn deleted_items_cast_required() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "The OData cast to a type (such as 'microsoft.graph.user') is a required part of the URI for deleted items.",
    )
}

/// 400: a parameter an OData action does not have (OData).
pub(crate) fn unknown_action_parameter(name: &str, action: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!(
            "The parameter '{name}' in the request payload is not a valid parameter for the operation '{action}'."
        ),
    )
}

/// 400: an action parameter of the wrong type. \[UNCONFIRMED\]
pub(crate) fn invalid_action_parameter(name: &str, action: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Invalid value specified for parameter '{name}' of operation '{action}'."),
    )
}

/// 400: a `$batch` body that is not a batch. \[UNCONFIRMED\]
pub(crate) fn batch_malformed(reason: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Invalid batch payload format: {reason}."),
    )
}

/// 400: more than 20 requests in a batch. \[UNCONFIRMED\]
pub(crate) fn batch_too_many(count: usize) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Number of requests in the batch is {count}; the limit is 20."),
    )
}

/// 424 for a request whose dependency failed. \[UNCONFIRMED\]
pub(crate) fn failed_dependency() -> GraphError {
    GraphError::new(
        StatusCode::FAILED_DEPENDENCY,
        "FailedDependency",
        "The request depends on a request that failed.",
    )
}

// ---- token endpoint (AADSTS) ----

/// AADSTS90002: the tenant in the path is unknown (observed).
pub(crate) fn tenant_not_found(tenant: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

/// AADSTS900144: a required form parameter is missing (observed).
pub(crate) fn missing_parameter(name: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900_144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// AADSTS70003: a grant type other than client credentials. \[UNCONFIRMED\] wording.
pub(crate) fn unsupported_grant_type(grant: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        70003,
        format!("The app requested an unsupported grant type '{grant}'."),
    )
}

/// AADSTS700016: an unknown client id (observed).
pub(crate) fn unknown_client(client_id: &str, tenant: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700_016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// AADSTS7000215: a wrong client secret (observed).
pub(crate) fn invalid_secret(client_id: &str) -> TokenError {
    TokenError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7_000_215,
        format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
        ),
    )
}

/// AADSTS7000218: neither a secret nor an assertion (observed).
pub(crate) fn missing_credential() -> TokenError {
    TokenError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7_000_218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )
}

/// AADSTS70011: a scope that is not one resource's `/.default` (observed).
pub(crate) fn invalid_scope(scope: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        70011,
        format!(
            "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
        ),
    )
}

/// AADSTS1002012: a delegated-style scope in a client-credentials request (observed).
pub(crate) fn scope_needs_default(scope: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        1_002_012,
        format!(
            "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
        ),
    )
}

/// AADSTS500011: a resource the tenant does not know (observed).
pub(crate) fn unknown_resource(resource: &str, tenant: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_resource",
        500_011,
        format!(
            "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
        ),
    )
}

/// AADSTS50012: an assertion type other than jwt-bearer. \[UNCONFIRMED\] wording.
pub(crate) fn unsupported_assertion_type(kind: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client",
        50012,
        format!(
            "The client_assertion_type '{kind}' is not supported. Use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
        ),
    )
}

/// AADSTS50027: an assertion that is not a JWT (observed code; wording \[UNCONFIRMED\]).
pub(crate) fn malformed_assertion(reason: &str) -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        50027,
        format!("JWT token is invalid or malformed. [Reason - {reason}]"),
    )
}

/// AADSTS700027: an assertion signed by an unregistered key, or with a bad signature (observed
/// code; wording \[UNCONFIRMED\]).
pub(crate) fn invalid_assertion_signature(reason: &str, thumbprint: &str) -> TokenError {
    TokenError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        700_027,
        format!(
            "Client assertion failed signature validation. [Reason - {reason}, Thumbprint of key used by client: '{thumbprint}']"
        ),
    )
}

/// AADSTS700024: an assertion outside its `nbf`..`exp` window (observed code and wording).
pub(crate) fn assertion_time_range(now: u64, nbf: Option<u64>, exp: Option<u64>) -> TokenError {
    let show = |value: Option<u64>| value.map_or_else(|| "(missing)".to_owned(), |v| v.to_string());
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client",
        700_024,
        format!(
            "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {}, expiry time of assertion {}.",
            show(nbf),
            show(exp)
        ),
    )
}

/// AADSTS700021: `iss`/`sub` not the client id (observed code; wording \[UNCONFIRMED\]).
pub(crate) fn assertion_client_mismatch() -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client",
        700_021,
        "Client assertion application identifier doesn't match 'client_id' parameter.",
    )
}

/// AADSTS50013: `aud` not this token endpoint. \[UNCONFIRMED\]
pub(crate) fn assertion_audience(audience: &str) -> TokenError {
    TokenError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        50013,
        format!(
            "Assertion failed signature validation. [Reason - The audience '{audience}' is not the token endpoint of this tenant.]"
        ),
    )
}

// ---- discovery (OpenID configuration, instance discovery) ----

/// AADSTS90002 from the OpenID discovery document of an unknown tenant (observed code;
/// `invalid_tenant` there, where the token endpoint says `invalid_request`).
pub(crate) fn discovery_tenant_not_found(tenant: &str) -> TokenError {
    TokenError {
        error: "invalid_tenant",
        ..tenant_not_found(tenant)
    }
}

/// AADSTS50049: instance discovery for an authority on another host (observed code and wording;
/// MSAL reads `invalid_instance`).
pub(crate) fn unknown_instance() -> TokenError {
    TokenError::new(
        StatusCode::BAD_REQUEST,
        "invalid_instance",
        50049,
        "Unknown or invalid instance.",
    )
}
