//! The Graph twin: a local service that behaves like Microsoft Graph v1.0 and the Entra token
//! endpoint for one tenant, so that every cloud read and write of anchorsync can be proved before it
//! meets a production tenant, and so that an administrator can rehearse a switch-over against a
//! snapshot of their own tenant (`anchorsync twin serve --state FILE`).
//!
//! # Using it
//!
//! - [`app`] turns a [`Twin`] (a [`TenantSnapshot`] plus a [`TwinConfig`]) into an axum
//!   [`Router`]; tests drive it with `tower::ServiceExt::oneshot`, no socket.
//! - [`TwinServer`] serves it on `127.0.0.1:<free port>` from its own runtime and thread, over plain
//!   HTTP ([`TwinServer::start`]) or HTTPS ([`TwinServer::start_tls`] with a [`TlsIdentity`]: a
//!   throwaway CA and `localhost` certificate, or PEM files): [`TwinServer::root_url`] replaces
//!   `https://login.microsoftonline.com` as the authority, [`TwinServer::base_url`] replaces
//!   `https://graph.microsoft.com/v1.0`, [`TwinServer::token_url`] replaces
//!   `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, [`TwinServer::ca_pem`] is the
//!   CA a client must trust, [`TwinServer::snapshot`] reads the tenant back. It stops on drop.
//! - [`serve`] and [`serve_tls`] run it on a listener you own (the command line's `twin serve`,
//!   `twin serve --tls`).
//! - Microsoft's client libraries work against it unmodified over HTTPS (MSAL and azure-identity
//!   with `instance_discovery=False` / `disable_instance_discovery=True`, msgraph-sdk with the
//!   twin's host in `allowed_hosts`): `tests/python/test_msal_twin.py`, run by the test
//!   `microsoft_clients`.
//! - Time comes from a [`Clock`]: [`Clock::manual`] lets tests expire tokens and refill throttling
//!   budgets without sleeping.
//! - [`Twin::writes`] lists every write the twin applied (creates, updates, deletes, restores,
//!   purges, the twin's own 30-day purges), in order and without passwords, so a test can prove
//!   that each change was sent once. The fault `fail_properties` refuses chosen PATCHes, to
//!   interrupt a sequence of writes in the middle; `lose_answers` carries chosen requests out and
//!   then cuts the connection, so a client meets a `POST` whose outcome it cannot know.
//! - `pad_answers` follows chosen answers with [`Faults::padding_bytes`] blanks, chunked without
//!   `Content-Length`: one enormous page, to prove a client caps what it reads.
//! - With `twin serve --state FILE`, [`save_after_writes`] rewrites the file atomically after writes
//!   and holds each write's answer until the file has it: a killed twin loses no acknowledged write.
//! - The server ([`serve`], [`serve_tls`], [`TwinServer`]) holds at most
//!   [`Connections::max_connections`] connections (one more is closed at once), cuts a connection
//!   that sends no whole request head within [`Connections::header_read_timeout`] (idle, slow-loris,
//!   stalled TLS handshake), and speaks HTTP/1.1. The links it hands out (`@odata.context`,
//!   `@odata.nextLink`) use [`TwinConfig::public_url`] or the address the connection came in on,
//!   never the `Host` header.
//! - [`TwinConfig::replication_lag`] (off by default) makes a new user `404` by id for a while, as
//!   Entra's replicas do.
//! - [`TestCertificate`] makes a throwaway RSA certificate (PEM and PFX) for client-assertion tests,
//!   and [`test_tenant`] is the tenant the twin's and the Graph client's tests share.
//!
//! # The rules it enforces, and Microsoft's pages they come from
//!
//! | rule | source |
//! |---|---|
//! | Token endpoint: client secret (form or HTTP Basic) and client assertion (RS256 + `x5t`, PS256 + `x5t#S256`, the thumbprint in base64url with or without `=` padding or in standard Base64, the JWS parts padded or not; verified against the configured certificate; `aud` = `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` or the token URL the client used, `https` over TLS; `iss` = `sub` = client id; `exp`/`nbf`, fractional or whole seconds, with 5 minutes of skew); one resource with `/.default`; AADSTS-style errors (90002, 900144, 70003, 700016, 7000215, 7000218, 70011, 1002012, 500011, 50012, 50027, 700027, 700024, 700021) | [client credentials](https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), [certificate credentials](https://learn.microsoft.com/entra/identity-platform/certificate-credentials) |
//! | OpenID discovery `/{tenant}/v2.0/.well-known/openid-configuration` for the tenant (id or domain), `common` and `organizations`; `jwks_uri` `/{tenant}/discovery/v2.0/keys` with the RS256 key access tokens are signed with (`kid`, `x5t`, `n`, `e`, `x5c`, `issuer`); instance discovery `/common/discovery/instance`; unknown tenant 400 `invalid_tenant` AADSTS90002, foreign instance `invalid_instance` AADSTS50049 | [OpenID Connect on the Microsoft identity platform](https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc) |
//! | `/organization` and `/organization/{id}` (`Organization.Read.All`, `Directory.Read.All` or their ReadWrite forms) | [organization](https://learn.microsoft.com/graph/api/resources/organization) |
//! | No or bad bearer → 401 `InvalidAuthenticationToken` (empty, unparsable, bad signature, wrong audience, expired); missing application permission → 403 `Authorization_RequestDenied` | [errors](https://learn.microsoft.com/graph/errors), [permissions](https://learn.microsoft.com/graph/permissions-reference); texts observed (`messages.rs`) |
//! | `GET /users`: default property set with nulls, `$select` (501 for profile properties on the collection), `$filter`, `$top` 1-999, `$count=true` honoured only with `ConsistencyLevel: eventual`, opaque `@odata.nextLink`, `$skip` refused, `/users/$count` (text/plain, needs the header) | [list users](https://learn.microsoft.com/graph/api/user-list), [advanced queries](https://learn.microsoft.com/graph/aad-advanced-queries), [paging](https://learn.microsoft.com/graph/paging) |
//! | `$filter`: `eq ne gt ge lt le in not and or startsWith endsWith`, `any(x: …)`, `/$count`, `eq null`, doubled quotes; advanced-query gating with the documented errors; nesting (parentheses, `not`, lambdas) deeper than [`MAX_FILTER_DEPTH`] answered 400 `Invalid filter clause: The recursion limit has been exceeded.`, as OData's parser stops at its recursion limit (also inside `$batch`) | [user](https://learn.microsoft.com/graph/api/resources/user), [advanced queries](https://learn.microsoft.com/graph/aad-advanced-queries), [OData's `QueryParserSettings`](https://github.com/OData/odata.net) |
//! | `GET/PATCH/DELETE /users/{id \| userPrincipalName}` | [get](https://learn.microsoft.com/graph/api/user-get), [update](https://learn.microsoft.com/graph/api/user-update), [delete](https://learn.microsoft.com/graph/api/user-delete) |
//! | `POST /users`: a password (`A password must be specified to create a new user.`), then `accountEnabled`, `displayName`, `mailNickname`, `userPrincipalName`; 201 with the default properties and `Location` | [create](https://learn.microsoft.com/graph/api/user-post-users) |
//! | Password policy: 8-256 printable ASCII characters (no Unicode), three of lower case, upper case, digit, symbol (a blank counts), unless `passwordPolicies` has `DisableStrongPassword`; on POST and PATCH, with the documented complexity error | [password policies](https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy) |
//! | Lengths (displayName 256, givenName/surname/mailNickname/department/companyName/mobilePhone 64, jobTitle/city/state/country 128, postalCode 40, streetAddress 1024, employeeId 16, userPrincipalName 113, extension attributes 1024), one `businessPhones` value, `usageLocation` of two letters, at most 250 `otherMails`; `displayName` and collections cannot be `null` | [user](https://learn.microsoft.com/graph/api/resources/user) |
//! | `DELETE /users/{id}` moves the user into deleted items for 30 days (`deletedDateTime` from the twin's clock; deleted users hold no unique value); `GET /directory/deletedItems/microsoft.graph.user` (`$select`, `$filter` gated like `/users`, `$top`, `$count`, paging), `GET /directory/deletedItems/{id}`, `POST …/{id}/restore` (same id; `newUserPrincipalName`, `autoReconcileProxyConflict`; a clash is the uniqueness error), `DELETE /directory/deletedItems/{id}`; purged by the twin 30 days after the delete; loaded from and saved to the snapshot's `deletedUsers` | [delete user](https://learn.microsoft.com/graph/api/user-delete), [list deleted items](https://learn.microsoft.com/graph/api/directory-deleteditems-list), [restore](https://learn.microsoft.com/graph/api/directory-deleteditems-restore), [permanently delete](https://learn.microsoft.com/graph/api/directory-deleteditems-delete) |
//! | Optional replication lag: a new user answers 404 `Request_ResourceNotFound` by id or UPN for [`TwinConfig::replication_lag`] | [designing for eventual consistency](https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/) |
//! | Uniqueness of userPrincipalName, proxyAddresses (case-insensitive), onPremisesImmutableId (case-sensitive), onPremisesSecurityIdentifier → 400 `ObjectConflict` | [user](https://learn.microsoft.com/graph/api/resources/user) ("mail and proxyAddresses"), [sync errors](https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors) |
//! | UPN characters, ≤ 64 before `@` and ≤ 48 after, no `.` right before `@`, and a verified domain (`Property userPrincipalName is invalid.`); federated UPN needs onPremisesImmutableId; onPremisesImmutableId of a federated user cannot change (UPN to the initial domain, set, UPN back works); `$`/`_` refused; only JSON `null` clears it (`""` is refused) | [create](https://learn.microsoft.com/graph/api/user-post-users), [user](https://learn.microsoft.com/graph/api/resources/user), [password and UPN policies](https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy), [federated sign-in](https://learn.microsoft.com/education/windows/federated-sign-in), [msgraph-sdk-powershell#2514](https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/2514) |
//! | Read-only properties refused on POST and PATCH (`proxyAddresses`, the `onPremises*` properties, `createdDateTime`, ...: `Property 'X' is read-only and cannot be set.`); on-premises-mastered properties of synced users refused | [user](https://learn.microsoft.com/graph/api/resources/user), [update](https://learn.microsoft.com/graph/api/user-update) |
//! | Sensitive properties of a user holding a role (and deleting one) need an app whose service principal holds User Administrator (for the lesser roles) or Privileged Authentication / Global Administrator → else 403; setting `passwordProfile` app-only needs a password-resetting role (User, Helpdesk, Password, Authentication, Privileged Authentication or Global Administrator) | [who can perform sensitive actions](https://learn.microsoft.com/graph/api/resources/users), [update](https://learn.microsoft.com/graph/api/user-update) |
//! | A `mail` update makes it the primary `SMTP:` proxy address | [user](https://learn.microsoft.com/graph/api/resources/user) ("mail and proxyAddresses") |
//! | `GET /groups`, `GET /contacts`: read-only, `$select` (the type's properties; another is 400), `$top` (1-999, default 100), `@odata.nextLink` paging; seeded from and saved to the snapshot's `groups` and `contacts`; `Group.Read.All` / `OrgContact.Read.All` (or `Directory.Read.All`) | [list groups](https://learn.microsoft.com/graph/api/group-list), [list orgContacts](https://learn.microsoft.com/graph/api/orgcontact-list) |
//! | `/domains`, `/users/{id}/memberOf` (directoryRole objects from role assignments), `/roleManagement/directory/roleAssignments` (`$filter` required), `/directory/onPremisesSynchronization` GET, `/{id}` GET and PATCH | [domain](https://learn.microsoft.com/graph/api/resources/domain), [memberOf](https://learn.microsoft.com/graph/api/user-list-memberof), [role assignments](https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments), [onPremisesDirectorySynchronization](https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization) |
//! | `$batch`: ≤ 20 requests, unique ids, `dependsOn` with 424, per-request status, each request authenticated and throttled on its own; creates, deletes, restores and purges work inside it | [JSON batching](https://learn.microsoft.com/graph/json-batching) |
//! | Throttling: resource units per 10 s and writes per 150 s per app, costs from the table (every POST, PATCH and DELETE, restores and purges included, is a write), 429 + `Retry-After` + `x-ms-throttle-scope`/`-information`, `x-ms-resource-unit` on responses; injected 429/503 and latency, seeded (a response latency per request, fixed or uniform or log-normal; a `$batch` call is one request); answers lost on purpose (`lose_answers`) | [throttling limits](https://learn.microsoft.com/graph/throttling-limits) |
//! | State loads from and saves to the tenant snapshot format | [`TenantSnapshot`] (Graph's own JSON shapes) |
//!
//! Every error text lives in `messages.rs`, marked observed, OData, or **\[UNCONFIRMED\]** where no
//! public source gives the text and the twin chose a Graph-style one: the federated
//! onPremisesImmutableId refusal, missing required properties other than the password (the
//! directory's wording for other objects), the role-assignment filter requirement, `$batch` envelope
//! errors and 424, the paging-token error, the `ConflictingObjects` detail, a restore's clash (Graph's
//! uniqueness error), deleted items without the type cast, a restore parameter of the wrong type, 503,
//! and several AADSTS wordings.
//!
//! # Choices where the documentation conflicts or is silent
//!
//! - **Advanced queries** ([`AdvancedQueryMode`]): where the older and newer filter tables disagree
//!   (`onPremisesImmutableId eq`, `onPremisesSecurityIdentifier eq`, date properties, `ge`/`le` on
//!   default string properties), strict mode (the default) requires `ConsistencyLevel: eventual`
//!   and `$count=true`; lenient mode does not.
//! - **Filter case**: string comparisons ignore case except on `onPremisesImmutableId`, which is
//!   case-sensitive like the sourceAnchor.
//! - **Federated immutable-id change**: decided on the UPN stored before the PATCH, so one PATCH may
//!   move a managed user into a federated domain together with its onPremisesImmutableId, but a
//!   federated user's value changes only after its UPN left the federated domain.
//! - **onPremisesSynchronization** accepts app-only access with
//!   `OnPremDirectorySynchronization.Read.All`/`.ReadWrite.All` (the docs disagree); PATCH only on
//!   the `/{id}` item, as documented.
//! - **On-premises-mastered properties** (not enumerated by Microsoft): what Entra Connect
//!   synchronises; `usageLocation`, `otherMails` and `passwordPolicies` stay writable.
//! - **Throttling** uses continuously refilling token buckets; `Retry-After` is the whole seconds
//!   until the request would fit. The `$batch` envelope is neither throttled nor faulted; its
//!   requests are.
//! - **Deleting** a user moves it into deleted items and removes its role assignments (a restore
//!   does not bring them back); a synced user cannot be deleted. Deleted users reserve no
//!   userPrincipalName, proxy address or onPremisesImmutableId (Microsoft's documentation leaves this
//!   unconfirmed; the restore parameters imply it); the clash surfaces on restore.
//! - **Replication lag** applies to reads and writes by id or UPN of users created by `POST`; lists
//!   and restored users are not delayed.
//! - **Restore** answers `@odata.context` `…#directoryObjects/$entity` with `@odata.type` and the
//!   default properties, like the documented example; a missing `deletedDateTime` in a snapshot's
//!   `deletedUsers` is read as "deleted when the twin started".
//! - `$orderby`, `$expand` and `$search` are answered 400 (twin limitation), `$search` after the
//!   documented header check. `$select` is applied to users; on domains, role assignments, memberOf
//!   and the synchronisation settings it is accepted and the whole entity returned.
//! - Filters that pin `id`, `userPrincipalName`, a proxy address, `onPremisesImmutableId` or
//!   `onPremisesSecurityIdentifier` (also inside `and`/`or`) are answered from the uniqueness
//!   indexes; other filters scan the tenant (about 1.3 µs per user, `docs/PERFORMANCE.md`).
//! - `POST` and `PATCH` bodies must be JSON sent as `application/json`.
//! - **Discovery documents** list every endpoint Entra's do, on the twin's own origin; the twin
//!   serves the token endpoint, `jwks_uri` and discovery, not the interactive endpoints (authorize,
//!   device code, logout, userinfo), which MSAL needs listed but client credentials never call.
//!   Instance discovery vouches for the twin's own host only, compared without the port because
//!   MSAL drops it; MSAL and azure-identity ask login.microsoftonline.com unless told not to.
//! - **`/organization`** is derived, since the snapshot holds none: the tenant id, the initial
//!   domain's first label as `displayName`, the verified domains of `/domains`, and
//!   `onPremisesSyncEnabled` `true` (with the latest `onPremisesLastSyncDateTime` of the users) once
//!   any user is synchronised from on-premises, else `null` (`organization.rs`).
//! - **TLS**: rustls with aws-lc-rs, TLS 1.2 and 1.3, HTTP/1.1. The throwaway CA's key is dropped
//!   once it has signed the server certificate (valid for 30 days), so it can sign nothing else.
//!
//! Access tokens are RS256 JWTs shaped like Entra's (`kid`, `x5t`), signed with an RSA key made once
//! per process and published at `jwks_uri`; the `rh` claim names the issuing twin, so one twin
//! refuses another's tokens. They are as opaque to clients as Entra's and die with the process.
//! Secrets are held in [`anchorsync_core::secret::Secret`] and never logged.

mod auth;
mod batch;
mod certificate;
mod clock;
mod config;
mod connections;
mod context;
mod deleted_items;
mod directory;
mod discovery;
mod error;
mod filter;
mod latency;
mod lost_answers;
mod messages;
mod organization;
mod origin;
mod padded_answers;
mod persist;
mod properties;
mod query;
mod recipients;
mod replication;
mod response;
mod roles;
mod rules;
mod server;
mod signing;
mod snapshot;
mod state;
pub mod test_tenant;
mod throttle;
mod tls;
mod users;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

pub use anchorsync_core::tenant::TenantSnapshot;
pub use batch::MAX_BATCH_REQUESTS;
pub use certificate::{CertificateError, TestCertificate, Thumbprints};
pub use clock::Clock;
pub use config::{
    AdvancedQueryMode, AppClient, ConfigError, Connections, DEFAULT_TENANT_ID, Faults,
    STANDARD_PERMISSIONS, Throttling, TwinConfig,
};
pub use error::{ErrorDetail, GraphError, TokenError};
pub use filter::MAX_FILTER_DEPTH;
pub use latency::Latency;
pub use persist::save_after_writes;
pub use server::{TwinServer, serve, serve_tls};
pub use signing::SigningKeyError;
pub use snapshot::{SnapshotError, read_snapshot, write_snapshot};
pub use state::{AppliedWrite, Twin, TwinError};
pub use tls::{TlsError, TlsIdentity};

/// The path of the twin's own health check (not part of Graph; no token needed).
pub const HEALTH_PATH: &str = "/_twin/health";

/// The twin as an axum router: the token endpoint at `/{tenant}/oauth2/v2.0/token`, Graph at
/// `/v1.0`, and [`HEALTH_PATH`].
pub fn app(twin: Twin) -> Router {
    let context = || from_fn_with_state(twin.clock().clone(), context::with_context);
    let authenticate = || from_fn_with_state(twin.clone(), auth::authenticate);
    // Each resource request (direct, or inside a batch) gets its own context, bearer check and
    // throttling.
    let resources: Router = Router::new()
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/{key}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/users/{key}/memberOf", get(users::member_of))
        .route(
            "/users/{key}/memberOf/microsoft.graph.directoryRole",
            get(users::member_of_roles),
        )
        .route("/groups", get(recipients::list_groups))
        .route("/contacts", get(recipients::list_contacts))
        .route("/domains", get(directory::list_domains))
        .route("/domains/{id}", get(directory::get_domain))
        .route("/organization", get(organization::list))
        .route("/organization/{id}", get(organization::get))
        .route(
            "/roleManagement/directory/roleAssignments",
            get(directory::list_role_assignments),
        )
        .route(
            "/roleManagement/directory/roleAssignments/{id}",
            get(directory::get_role_assignment),
        )
        .route(
            "/directory/onPremisesSynchronization",
            get(directory::list_sync),
        )
        .route(
            "/directory/onPremisesSynchronization/{id}",
            get(directory::get_sync).patch(directory::update_sync),
        )
        .route("/directory/deletedItems", get(deleted_items::list_uncast))
        .route(
            "/directory/deletedItems/microsoft.graph.user",
            get(deleted_items::list),
        )
        .route(
            "/directory/deletedItems/{id}",
            get(deleted_items::get).delete(deleted_items::purge),
        )
        .route(
            "/directory/deletedItems/{id}/restore",
            post(deleted_items::restore),
        )
        .route(
            "/directory/deletedItems/{id}/microsoft.graph.restore",
            post(deleted_items::restore),
        )
        .fallback(unknown_segment)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(twin.clone(), throttle::throttle))
        .layer(authenticate())
        .layer(context())
        .with_state(twin.clone());
    let batch: Router = Router::new()
        .route("/$batch", post(batch::batch))
        .with_state(batch::BatchState {
            resources: resources.clone(),
        })
        .layer(authenticate())
        .layer(context());
    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/common/discovery/instance", get(discovery::instance))
        .route(HEALTH_PATH, get(health))
        .fallback(unknown_segment)
        .layer(context())
        .with_state(twin.clone())
        .nest(
            "/v1.0",
            resources
                .merge(batch)
                .layer(from_fn_with_state(twin.clone(), lost_answers::lose_answers))
                .layer(from_fn_with_state(
                    twin.clone(),
                    padded_answers::pad_answers,
                ))
                .layer(from_fn_with_state(
                    twin.clone(),
                    persist::acknowledge_when_saved,
                ))
                .layer(from_fn_with_state(twin.clone(), latency::respond_late)),
        );
    // Outermost, so it replaces the connection's own address before any handler reads it.
    match &twin.config().public_url {
        Some(url) => router.layer(axum::Extension(connections::ServedOrigin(
            url.trim_end_matches('/').to_owned(),
        ))),
        None => router,
    }
}

/// 400 `Resource not found for the segment '…'`, like Graph for a path it does not have.
async fn unknown_segment(OriginalUri(uri): OriginalUri) -> GraphError {
    let path = uri.path();
    let after_version = path.strip_prefix("/v1.0").unwrap_or(path);
    let segment = after_version
        .split('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or_default();
    messages::segment_not_found(segment)
}

async fn method_not_allowed() -> GraphError {
    messages::method_not_allowed()
}

async fn health(State(twin): State<Twin>) -> Response {
    let users = twin.directory().users.len();
    response::graph_json(
        StatusCode::OK,
        &json!({"status": "ok", "tenantId": twin.tenant_id(), "users": users}),
    )
}
