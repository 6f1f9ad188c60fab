//! The Graph twin: a local service that behaves like Microsoft Graph v1.0 and the Entra token
//! endpoint for one tenant, so that every cloud read and write of anchorsync can be proved before it
//! meets a production tenant, and so that an administrator can rehearse a switch-over against a
//! snapshot of their own tenant (`anchorsync twin serve --state FILE`).
//!
//! # Using it
//!
//! - [`app`] turns a [`Twin`] (a [`TenantSnapshot`] plus a [`TwinConfig`]) into an axum
//!   [`Router`]; tests drive it with `tower::ServiceExt::oneshot`, no socket.
//! - [`TwinServer`] serves it on `127.0.0.1:<free port>` from its own runtime and thread:
//!   [`TwinServer::base_url`] replaces `https://graph.microsoft.com/v1.0`,
//!   [`TwinServer::token_url`] replaces `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`,
//!   [`TwinServer::snapshot`] reads the tenant back. It stops on drop.
//! - [`serve`] runs it on a listener you own (the command line's `twin serve`).
//! - Time comes from a [`Clock`]: [`Clock::manual`] lets tests expire tokens and refill throttling
//!   budgets without sleeping.
//! - [`Twin::writes`] lists every write the twin applied, in order, so a test can prove that each
//!   change was sent once (and the fault `fail_properties` refuses chosen PATCHes, to interrupt a
//!   sequence of writes in the middle).
//! - [`TestCertificate`] makes a throwaway RSA certificate (PEM and PFX) for client-assertion tests,
//!   and [`test_tenant`] is the tenant the twin's and the Graph client's tests share.
//!
//! # The rules it enforces, and Microsoft's pages they come from
//!
//! | rule | source |
//! |---|---|
//! | Token endpoint: client secret (form or HTTP Basic) and client assertion (RS256 + `x5t`, PS256 + `x5t#S256`, verified against the configured certificate; `aud` = the token URL, `iss` = `sub` = client id, `exp`/`nbf` with 5 minutes of skew); one resource with `/.default`; AADSTS-style errors (90002, 900144, 70003, 700016, 7000215, 7000218, 70011, 1002012, 500011, 50012, 50027, 700027, 700024, 700021) | [client credentials](https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), [certificate credentials](https://learn.microsoft.com/entra/identity-platform/certificate-credentials) |
//! | No or bad bearer → 401 `InvalidAuthenticationToken` (empty, unparsable, bad signature, wrong audience, expired); missing application permission → 403 `Authorization_RequestDenied` | [errors](https://learn.microsoft.com/graph/errors), [permissions](https://learn.microsoft.com/graph/permissions-reference); texts observed (`messages.rs`) |
//! | `GET /users`: default property set with nulls, `$select` (501 for profile properties on the collection), `$filter`, `$top` 1-999, `$count=true` honoured only with `ConsistencyLevel: eventual`, opaque `@odata.nextLink`, `$skip` refused, `/users/$count` (text/plain, needs the header) | [list users](https://learn.microsoft.com/graph/api/user-list), [advanced queries](https://learn.microsoft.com/graph/aad-advanced-queries), [paging](https://learn.microsoft.com/graph/paging) |
//! | `$filter`: `eq ne gt ge lt le in not and or startsWith endsWith`, `any(x: …)`, `/$count`, `eq null`, doubled quotes; advanced-query gating with the documented errors | [user](https://learn.microsoft.com/graph/api/resources/user), [advanced queries](https://learn.microsoft.com/graph/aad-advanced-queries) |
//! | `GET/PATCH/DELETE /users/{id \| userPrincipalName}`, `POST /users` with its required properties | [get](https://learn.microsoft.com/graph/api/user-get), [update](https://learn.microsoft.com/graph/api/user-update), [delete](https://learn.microsoft.com/graph/api/user-delete), [create](https://learn.microsoft.com/graph/api/user-post-users) |
//! | Uniqueness of userPrincipalName, proxyAddresses (case-insensitive), onPremisesImmutableId (case-sensitive), onPremisesSecurityIdentifier → 400 `ObjectConflict` | [user](https://learn.microsoft.com/graph/api/resources/user) ("mail and proxyAddresses"), [sync errors](https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-sync-errors) |
//! | UPN characters and a verified domain; federated UPN needs onPremisesImmutableId; onPremisesImmutableId of a federated user cannot change (UPN to the initial domain, set, UPN back works); `$`/`_` refused; only JSON `null` clears it (`""` is refused) | [create](https://learn.microsoft.com/graph/api/user-post-users), [user](https://learn.microsoft.com/graph/api/resources/user), [federated sign-in](https://learn.microsoft.com/education/windows/federated-sign-in), [msgraph-sdk-powershell#2514](https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/2514) |
//! | Read-only properties refused; on-premises-mastered properties of synced users refused | [user](https://learn.microsoft.com/graph/api/resources/user), [update](https://learn.microsoft.com/graph/api/user-update) |
//! | Sensitive properties of a user holding a role (and deleting one) need an app whose service principal holds User Administrator (for the lesser roles) or Privileged Authentication / Global Administrator → else 403; setting `passwordProfile` app-only needs a password-resetting role (User, Helpdesk, Password, Authentication, Privileged Authentication or Global Administrator) | [who can perform sensitive actions](https://learn.microsoft.com/graph/api/resources/users), [update](https://learn.microsoft.com/graph/api/user-update) |
//! | A `mail` update makes it the primary `SMTP:` proxy address | [user](https://learn.microsoft.com/graph/api/resources/user) ("mail and proxyAddresses") |
//! | `/domains`, `/users/{id}/memberOf` (directoryRole objects from role assignments), `/roleManagement/directory/roleAssignments` (`$filter` required), `/directory/onPremisesSynchronization` GET, `/{id}` GET and PATCH | [domain](https://learn.microsoft.com/graph/api/resources/domain), [memberOf](https://learn.microsoft.com/graph/api/user-list-memberof), [role assignments](https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments), [onPremisesDirectorySynchronization](https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization) |
//! | `$batch`: ≤ 20 requests, unique ids, `dependsOn` with 424, per-request status, each request authenticated and throttled on its own | [JSON batching](https://learn.microsoft.com/graph/json-batching) |
//! | Throttling: resource units per 10 s and writes per 150 s per app, costs from the table, 429 + `Retry-After` + `x-ms-throttle-scope`/`-information`, `x-ms-resource-unit` on responses; injected 429/503 and latency, seeded | [throttling limits](https://learn.microsoft.com/graph/throttling-limits) |
//! | State loads from and saves to the tenant snapshot format | [`TenantSnapshot`] (Graph's own JSON shapes) |
//!
//! Every error text lives in `messages.rs`, marked observed, OData, or **\[UNCONFIRMED\]** where no
//! public source gives the text and the twin chose a Graph-style one: the federated
//! onPremisesImmutableId refusal, the unverified UPN domain, missing required properties, the
//! role-assignment filter requirement, `$batch` envelope errors and 424, the paging-token error,
//! the `ConflictingObjects` detail, 503, and several AADSTS wordings.
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
//! - **Deleting** a user removes it (no deleted-items container) together with its role
//!   assignments; a synced user cannot be deleted.
//! - `$orderby`, `$expand` and `$search` are answered 400 (twin limitation), `$search` after the
//!   documented header check. `$select` is applied to users; on domains, role assignments, memberOf
//!   and the synchronisation settings it is accepted and the whole entity returned.
//! - Filters that pin `id`, `userPrincipalName`, a proxy address, `onPremisesImmutableId` or
//!   `onPremisesSecurityIdentifier` (also inside `and`/`or`) are answered from the uniqueness
//!   indexes; other filters scan the tenant (about 1.3 µs per user, `docs/PERFORMANCE.md`).
//! - `POST` and `PATCH` bodies must be JSON sent as `application/json`.
//!
//! Tokens are HS256 JWTs signed with a key made at start-up: they are as opaque to clients as
//! Entra's and die with the process. Secrets are held in [`anchorsync_core::secret::Secret`] and never
//! logged.

mod auth;
mod batch;
mod certificate;
mod clock;
mod config;
mod context;
mod directory;
mod error;
mod filter;
mod messages;
mod properties;
mod query;
mod response;
mod roles;
mod rules;
mod server;
mod snapshot;
mod state;
pub mod test_tenant;
mod throttle;
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
    AdvancedQueryMode, AppClient, ConfigError, DEFAULT_TENANT_ID, Faults, STANDARD_PERMISSIONS,
    Throttling, TwinConfig,
};
pub use error::{ErrorDetail, GraphError, TokenError};
pub use server::{TwinServer, serve};
pub use snapshot::{SnapshotError, read_snapshot, write_snapshot};
pub use state::{AppliedWrite, Twin, TwinError};

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
        .route("/domains", get(directory::list_domains))
        .route("/domains/{id}", get(directory::get_domain))
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
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .route(HEALTH_PATH, get(health))
        .fallback(unknown_segment)
        .layer(context())
        .with_state(twin.clone())
        .nest("/v1.0", resources.merge(batch))
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
