//! Typed user operations (<https://learn.microsoft.com/graph/api/resources/user>): list with the
//! snapshot `$select` or with every property a sync manages, get by id or user principal name, find by
//! ImmutableID or proxy address, update one or thousands (`$batch`), create (a lost answer is its own
//! outcome, never resent) and delete, and the federated-domain workaround for changing an ImmutableID.
//! Deleted items are in `deleted_items.rs`.

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::{CloudUser, USER_SELECT};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::batch::{BatchRequest, BatchResponse, Batcher};
use crate::client::{Call, GraphClient};
use crate::error::{GraphError, RequestName};
use crate::odata::{self, Filter, Query};

/// What a sync engine reads of each user besides the snapshot's properties ([`USER_SELECT`]): every
/// other property Entra Connect's out-of-box attribute flow writes through Graph (<https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-sync-attributes-synchronized>):
/// company, address, fax, preferred language and the fifteen extension attributes.
pub const SYNC_EXTRA_SELECT: &[&str] = &[
    "companyName",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "faxNumber",
    "preferredLanguage",
    "onPremisesExtensionAttributes",
];

/// [`USER_SELECT`] followed by [`SYNC_EXTRA_SELECT`]: the `$select` of the sync's reads.
pub fn sync_user_select() -> Vec<&'static str> {
    USER_SELECT
        .iter()
        .chain(SYNC_EXTRA_SELECT)
        .copied()
        .collect()
}

/// Graph's own annotations (`@odata.context`, ...) are not properties of the user.
pub(crate) fn without_annotations(mut user: CloudUser) -> CloudUser {
    user.other.retain(|name, _| !name.starts_with("@odata."));
    user
}

/// The only user returned by a look-up on a unique value, `None` when there is none.
pub(crate) fn the_only(
    users: Vec<CloudUser>,
    request: RequestName,
    property: &'static str,
    value: &str,
) -> Result<Option<CloudUser>, GraphError> {
    if users.len() > 1 {
        return Err(GraphError::NotUnique {
            request,
            property,
            value: value.to_owned(),
            ids: users.into_iter().map(|user| user.id).collect(),
        });
    }
    Ok(users.into_iter().next().map(without_annotations))
}

/// Collections Graph clears with `[]`: they cannot be `null` (<https://learn.microsoft.com/graph/api/user-update>).
const COLLECTIONS: &[&str] = &[
    "businessPhones",
    "otherMails",
    "imAddresses",
    "proxyAddresses",
];

/// How a request names a user: `/users/{id}` or `/users/{userPrincipalName}` (an alternate key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserKey {
    /// The object id.
    Id(String),
    /// The user principal name.
    UserPrincipalName(String),
}

impl UserKey {
    /// `/users/{key}`, encoded: `#` (as in `#EXT#`) becomes `%23`, and a name starting with `$`
    /// uses the `/users('$name')` form Graph documents.
    pub fn path(&self) -> String {
        match self {
            Self::Id(id) => format!("/users/{}", odata::encode_path_segment(id)),
            Self::UserPrincipalName(upn) if upn.starts_with('$') => format!(
                "/users({})",
                odata::encode_path_segment(&odata::string_literal(upn))
            ),
            Self::UserPrincipalName(upn) => {
                format!("/users/{}", odata::encode_path_segment(upn))
            }
        }
    }
}

impl std::fmt::Display for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) | Self::UserPrincipalName(id) => f.write_str(id),
        }
    }
}

/// The properties a `PATCH /users/{id}` changes. Only what is set is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPatch(Map<String, Value>);

impl UserPatch {
    /// An empty patch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `property` to `value`. An empty `onPremisesImmutableId` becomes JSON `null`: Graph
    /// refuses the empty string and clears only with `null`.
    #[must_use]
    pub fn set(mut self, property: &str, value: impl Into<Value>) -> Self {
        let mut value = value.into();
        if property == "onPremisesImmutableId" && value.as_str() == Some("") {
            value = Value::Null;
        }
        self.0.insert(property.to_owned(), value);
        self
    }

    /// `onPremisesImmutableId`: `Some` sets it, `None` clears it with an explicit `null`.
    #[must_use]
    pub fn immutable_id(self, value: Option<&str>) -> Self {
        self.set(
            "onPremisesImmutableId",
            value.map_or(Value::Null, Value::from),
        )
    }

    /// `userPrincipalName`.
    #[must_use]
    pub fn user_principal_name(self, value: &str) -> Self {
        self.set("userPrincipalName", value)
    }

    /// `mail` (Graph recomputes `proxyAddresses` from it); `None` clears it.
    #[must_use]
    pub fn mail(self, value: Option<&str>) -> Self {
        self.set("mail", value.map_or(Value::Null, Value::from))
    }

    /// Clears `property`: an explicit JSON `null`, or `[]` for the collections Graph keeps
    /// non-nullable (`businessPhones`, `otherMails`). One patch may set some properties and clear
    /// others; Graph applies all of them or none.
    #[must_use]
    pub fn clear(self, property: &str) -> Self {
        let empty = if COLLECTIONS.contains(&property) {
            Value::Array(Vec::new())
        } else {
            Value::Null
        };
        self.set(property, empty)
    }

    /// The properties this patch sets or clears.
    pub fn properties(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The JSON body.
    pub fn as_json(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A user to create (`POST /users`, <https://learn.microsoft.com/graph/api/user-post-users>).
#[derive(Debug, Clone)]
pub struct NewUser {
    /// `userPrincipalName`, in a verified domain.
    pub user_principal_name: String,
    /// `displayName`.
    pub display_name: String,
    /// `mailNickname`.
    pub mail_nickname: String,
    /// The initial password.
    pub password: Secret,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// `onPremisesImmutableId`: required when the UPN is in a federated domain.
    pub immutable_id: Option<String>,
    /// `passwordProfile.forceChangePasswordNextSignIn` (default true). A sync engine whose users
    /// sign in through federation, never with this password, sets it to false.
    pub force_change_password: bool,
    /// Any other writable property.
    pub other: Map<String, Value>,
}

impl NewUser {
    /// An enabled user with the required properties.
    pub fn new(
        user_principal_name: impl Into<String>,
        display_name: impl Into<String>,
        mail_nickname: impl Into<String>,
        password: Secret,
    ) -> Self {
        Self {
            user_principal_name: user_principal_name.into(),
            display_name: display_name.into(),
            mail_nickname: mail_nickname.into(),
            password,
            account_enabled: true,
            immutable_id: None,
            force_change_password: true,
            other: Map::new(),
        }
    }

    /// Sets `accountEnabled`.
    #[must_use]
    pub fn account_enabled(mut self, enabled: bool) -> Self {
        self.account_enabled = enabled;
        self
    }

    /// Sets `passwordProfile.forceChangePasswordNextSignIn`.
    #[must_use]
    pub fn force_change_password(mut self, force: bool) -> Self {
        self.force_change_password = force;
        self
    }

    /// Sets `onPremisesImmutableId`.
    #[must_use]
    pub fn immutable_id(mut self, value: impl Into<String>) -> Self {
        self.immutable_id = Some(value.into());
        self
    }

    /// Sets another property.
    #[must_use]
    pub fn set(mut self, property: &str, value: impl Into<Value>) -> Self {
        self.other.insert(property.to_owned(), value.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut body = self.other.clone();
        body.insert("accountEnabled".into(), self.account_enabled.into());
        body.insert("displayName".into(), self.display_name.clone().into());
        body.insert("mailNickname".into(), self.mail_nickname.clone().into());
        body.insert(
            "userPrincipalName".into(),
            self.user_principal_name.clone().into(),
        );
        body.insert(
            "passwordProfile".into(),
            json!({
                "forceChangePasswordNextSignIn": self.force_change_password,
                "password": self.password.expose(),
            }),
        );
        if let Some(id) = &self.immutable_id {
            body.insert("onPremisesImmutableId".into(), id.clone().into());
        }
        Value::Object(body)
    }
}

/// What a `POST /users` came to, when Graph did not refuse it.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    /// `201 Created`: the new user (Graph's default properties, with its id).
    Created(Box<CloudUser>),
    /// The request was sent and no answer came back (the connection broke, a timeout, or a `504`):
    /// Graph may or may not have created the user. It is never sent again by the client: look the
    /// anchor up ([`GraphClient::find_user_by_immutable_id`], then
    /// [`GraphClient::find_deleted_user_by_immutable_id`]) before anything is retried, so that one
    /// AD user never becomes two cloud users.
    NoAnswer {
        /// `POST /users`.
        request: RequestName,
        /// What happened, in words.
        reason: String,
        /// The `client-request-id` sent, to quote to Microsoft support.
        client_request_id: String,
    },
}

impl CreateOutcome {
    /// The created user, when Graph answered.
    pub fn created(&self) -> Option<&CloudUser> {
        match self {
            Self::Created(user) => Some(user),
            Self::NoAnswer { .. } => None,
        }
    }

    fn from_result(result: Result<CloudUser, GraphError>) -> Result<Self, GraphError> {
        match result {
            Ok(user) => Ok(Self::Created(Box::new(without_annotations(user)))),
            Err(GraphError::OutcomeUnknown {
                request,
                reason,
                client_request_id,
            }) => Ok(Self::NoAnswer {
                request,
                reason,
                client_request_id,
            }),
            Err(error) => Err(error),
        }
    }
}

/// `alias@contoso.com` → `alias@contoso.onmicrosoft.com`: where a federated user's UPN goes while
/// its ImmutableID changes.
pub fn temporary_upn(user_principal_name: &str, initial_domain: &str) -> String {
    let alias = user_principal_name
        .rsplit_once('@')
        .map_or(user_principal_name, |(alias, _)| alias);
    format!("{alias}@{initial_domain}")
}

/// Why the federated-domain workaround did not complete.
#[derive(Debug, thiserror::Error)]
pub enum WorkaroundError {
    /// Moving the UPN to the initial domain failed: nothing changed.
    #[error("moving `{upn}` to `{temporary}` failed; nothing was changed")]
    MoveOut {
        /// The federated UPN.
        upn: String,
        /// The UPN in the initial domain.
        temporary: String,
        /// Graph's refusal.
        #[source]
        source: GraphError,
    },
    /// Setting the ImmutableID failed; the UPN was moved back.
    #[error("setting `onPremisesImmutableId` of `{upn}` failed; its UPN was restored")]
    SetRestored {
        /// The federated UPN.
        upn: String,
        /// Graph's refusal.
        #[source]
        source: GraphError,
    },
    /// Moving the UPN back failed: the user is left in the initial domain.
    #[error(
        "`{upn}` is left as `{temporary}`{}: set `userPrincipalName` back to `{upn}` by hand",
        if *.immutable_id_set { " with its new ImmutableID" } else { ", ImmutableID unchanged" }
    )]
    LeftTemporary {
        /// The federated UPN.
        upn: String,
        /// The UPN it is left with.
        temporary: String,
        /// Whether the new ImmutableID was set.
        immutable_id_set: bool,
        /// Graph's refusal of the move back.
        #[source]
        source: GraphError,
    },
}

impl GraphClient {
    /// Users matching `query`, every page.
    pub async fn list_users(
        &self,
        query: &Query,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        self.list(
            format!("/users{}", query.to_query_string()),
            query.advanced,
            reporter,
        )
        .await
    }

    /// Every user with every property a sync manages ([`sync_user_select`]), at `$top=999` unless
    /// [`ClientSettings::page_size`](crate::ClientSettings::page_size) says otherwise.
    pub async fn list_users_for_sync(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        let query = Query::select(&sync_user_select()).top(self.settings().page_size);
        self.list_users(&query, reporter).await
    }

    /// The active user whose `onPremisesImmutableId` is exactly `immutable_id`, with
    /// [`sync_user_select`]; `None` when there is none. Two users with one anchor (which Entra
    /// does not allow) are [`GraphError::NotUnique`]. Uses advanced query parameters, which the
    /// newer documentation requires for this filter.
    pub async fn find_user_by_immutable_id(
        &self,
        immutable_id: &str,
    ) -> Result<Option<CloudUser>, GraphError> {
        let query = Query::select(&sync_user_select())
            .filter(Filter::eq("onPremisesImmutableId", immutable_id))
            .advanced();
        let path = format!("/users{}", query.to_query_string());
        let users = self.list_users(&query, &NoProgress).await?;
        the_only(
            users,
            RequestName::new(&Method::GET, path),
            "onPremisesImmutableId",
            immutable_id,
        )
    }

    /// Every user with the snapshot's properties ([`USER_SELECT`]).
    pub async fn list_all_users(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        let query = Query::select(USER_SELECT).top(self.settings().page_size);
        self.list_users(&query, reporter).await
    }

    /// One user with the snapshot's properties; 404 is an error.
    pub async fn get_user(&self, key: &UserKey) -> Result<CloudUser, GraphError> {
        let query = Query::select(USER_SELECT);
        let call = Call::new(
            Method::GET,
            format!("{}{}", key.path(), query.to_query_string()),
        );
        self.call_json(&call).await
    }

    /// One user with every property a sync manages ([`sync_user_select`]), or `None` when Graph
    /// says it does not exist: what a sync's compare-and-set reads before it writes.
    pub async fn find_user_for_sync(&self, key: &UserKey) -> Result<Option<CloudUser>, GraphError> {
        let query = Query::select(&sync_user_select());
        let call = Call::new(
            Method::GET,
            format!("{}{}", key.path(), query.to_query_string()),
        );
        match self.call_json::<CloudUser>(&call).await {
            Ok(user) => Ok(Some(without_annotations(user))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// One user, or `None` when Graph says it does not exist.
    pub async fn find_user(&self, key: &UserKey) -> Result<Option<CloudUser>, GraphError> {
        match self.get_user(key).await {
            Ok(user) => Ok(Some(user)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Users whose `onPremisesImmutableId` is exactly `immutable_id` (with advanced query
    /// parameters, which the documentation requires in its newer version).
    pub async fn find_users_by_immutable_id(
        &self,
        immutable_id: &str,
    ) -> Result<Vec<CloudUser>, GraphError> {
        let query = Query::select(USER_SELECT)
            .filter(Filter::eq("onPremisesImmutableId", immutable_id))
            .advanced();
        self.list_users(&query, &NoProgress).await
    }

    /// Users holding `address` (`SMTP:a@b.com` or `smtp:...`) in `proxyAddresses`.
    pub async fn find_users_by_proxy_address(
        &self,
        address: &str,
    ) -> Result<Vec<CloudUser>, GraphError> {
        let query = Query::select(USER_SELECT)
            .filter(Filter::any_eq("proxyAddresses", address))
            .advanced();
        self.list_users(&query, &NoProgress).await
    }

    /// `PATCH /users/{key}`.
    pub async fn update_user(&self, key: &UserKey, patch: &UserPatch) -> Result<(), GraphError> {
        let call =
            Call::new(Method::PATCH, key.path()).body(Value::Object(patch.as_json().clone()));
        self.call(&call).await.map(|_| ())
    }

    /// Many `PATCH /users/{key}` through `$batch`; one result per update, in order.
    pub async fn update_users(
        &self,
        updates: &[(UserKey, UserPatch)],
        reporter: &dyn Reporter,
    ) -> Result<Vec<Result<(), GraphError>>, GraphError> {
        let requests = updates
            .iter()
            .map(|(key, patch)| {
                BatchRequest::patch(key.path(), Value::Object(patch.as_json().clone()))
            })
            .collect();
        Ok(self
            .batch_reported("PATCH users", requests, reporter)
            .await?
            .into_iter()
            .map(|result| result.map(|_| ()))
            .collect())
    }

    /// `POST /users`: [`CreateOutcome::Created`], or [`CreateOutcome::NoAnswer`] when the request
    /// went out and no answer came back, which is never sent again. 429 and 503 (Graph did not
    /// carry the request out) are retried like any request; a refusal (`400` with
    /// `ObjectConflict`, a weak password, ...) is an error naming the request.
    pub async fn create_user(&self, user: &NewUser) -> Result<CreateOutcome, GraphError> {
        let call = Call::new(Method::POST, "/users").body(user.to_json());
        CreateOutcome::from_result(self.call_json(&call).await)
    }

    /// Many `POST /users` through `$batch`, one result per user, in order; each is judged alone as
    /// [`GraphClient::create_user`] judges one.
    pub async fn create_users(
        &self,
        users: &[NewUser],
        reporter: &dyn Reporter,
    ) -> Result<Vec<Result<CreateOutcome, GraphError>>, GraphError> {
        let requests = users
            .iter()
            .map(|user| BatchRequest::post("/users", user.to_json()))
            .collect();
        Ok(self
            .batch_reported("POST users", requests, reporter)
            .await?
            .into_iter()
            .map(|result| {
                let user = result.and_then(|response| {
                    decode_user(response, RequestName::new(&Method::POST, "/users"))
                });
                CreateOutcome::from_result(user)
            })
            .collect())
    }

    /// `DELETE /users/{key}`: the user goes into deleted items, restorable for 30 days. A `DELETE`
    /// whose answer was lost is sent again; a `404` then may mean the first one went through.
    pub async fn delete_user(&self, key: &UserKey) -> Result<(), GraphError> {
        self.call(&Call::new(Method::DELETE, key.path()))
            .await
            .map(|_| ())
    }

    /// Many `DELETE /users/{key}` through `$batch`; one result per user, in order.
    pub async fn delete_users(
        &self,
        keys: &[UserKey],
        reporter: &dyn Reporter,
    ) -> Result<Vec<Result<(), GraphError>>, GraphError> {
        let requests = keys
            .iter()
            .map(|key| BatchRequest::delete(key.path()))
            .collect();
        Ok(self
            .batch_reported("DELETE users", requests, reporter)
            .await?
            .into_iter()
            .map(|result| result.map(|_| ()))
            .collect())
    }

    /// [`GraphClient::batch`] as one reported phase named `label`.
    async fn batch_reported(
        &self,
        label: &str,
        requests: Vec<BatchRequest>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Result<BatchResponse, GraphError>>, GraphError> {
        reporter.on_start(label, Some(requests.len() as u64));
        let results = self.batch(requests, reporter).await;
        reporter.on_finish();
        results
    }

    /// Sets (`Some`) or clears (`None`) a user's ImmutableID.
    pub async fn set_immutable_id(
        &self,
        key: &UserKey,
        immutable_id: Option<&str>,
    ) -> Result<(), GraphError> {
        self.update_user(key, &UserPatch::new().immutable_id(immutable_id))
            .await
    }

    /// Changes the ImmutableID of a user whose UPN is in a federated domain, which Entra refuses
    /// directly: UPN to the initial domain, set the ImmutableID, UPN back (docs/rules.md §5,
    /// <https://learn.microsoft.com/education/windows/federated-sign-in>). The UPN is
    /// moved back even when setting the ImmutableID fails; an error says exactly where the user was
    /// left.
    pub async fn set_immutable_id_federated(
        &self,
        user_id: &str,
        user_principal_name: &str,
        initial_domain: &str,
        immutable_id: &str,
    ) -> Result<(), WorkaroundError> {
        let key = UserKey::Id(user_id.to_owned());
        let temporary = temporary_upn(user_principal_name, initial_domain);
        let upn = user_principal_name.to_owned();
        tracing::info!(user = %user_id, %upn, %temporary, "federated ImmutableID change: moving the UPN to the initial domain");
        self.update_user(&key, &UserPatch::new().user_principal_name(&temporary))
            .await
            .map_err(|source| WorkaroundError::MoveOut {
                upn: upn.clone(),
                temporary: temporary.clone(),
                source,
            })?;
        let set = self.set_immutable_id(&key, Some(immutable_id)).await;
        let back = self
            .update_user(&key, &UserPatch::new().user_principal_name(&upn))
            .await;
        match (set, back) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(source), Ok(())) => Err(WorkaroundError::SetRestored { upn, source }),
            (set, Err(source)) => Err(WorkaroundError::LeftTemporary {
                upn,
                temporary,
                immutable_id_set: set.is_ok(),
                source,
            }),
        }
    }
}

impl Batcher {
    /// [`GraphClient::get_user`] carried in a `$batch` call: one user with the snapshot's
    /// properties; 404 is an error.
    pub async fn get_user(&self, key: &UserKey) -> Result<CloudUser, GraphError> {
        let path = format!(
            "{}{}",
            key.path(),
            Query::select(USER_SELECT).to_query_string()
        );
        let response = self.send(BatchRequest::get(path.clone())).await?;
        decode_user(response, RequestName::new(&Method::GET, path))
    }

    /// [`GraphClient::update_user`] carried in a `$batch` call: `PATCH /users/{key}`.
    pub async fn update_user(&self, key: &UserKey, patch: &UserPatch) -> Result<(), GraphError> {
        self.send(BatchRequest::patch(
            key.path(),
            Value::Object(patch.as_json().clone()),
        ))
        .await
        .map(|_| ())
    }

    /// [`GraphClient::find_user_for_sync`] carried in a `$batch` call: one user with every
    /// property a sync manages, or `None` when Graph says it does not exist.
    pub async fn find_user_for_sync(&self, key: &UserKey) -> Result<Option<CloudUser>, GraphError> {
        let path = format!(
            "{}{}",
            key.path(),
            Query::select(&sync_user_select()).to_query_string()
        );
        match self.send(BatchRequest::get(path.clone())).await {
            Ok(response) => decode_user(response, RequestName::new(&Method::GET, path))
                .map(|user| Some(without_annotations(user))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// [`GraphClient::create_user`] carried in a `$batch` call: `POST /users`, judged as
    /// [`GraphClient::create_user`] judges it (a `POST` whose answer was lost is never sent again).
    pub async fn create_user(&self, user: &NewUser) -> Result<CreateOutcome, GraphError> {
        let created = self
            .send(BatchRequest::post("/users", user.to_json()))
            .await
            .and_then(|response| decode_user(response, RequestName::new(&Method::POST, "/users")));
        CreateOutcome::from_result(created)
    }
}

/// A user from a `$batch` answer's body.
pub(crate) fn decode_user(
    response: BatchResponse,
    request: RequestName,
) -> Result<CloudUser, GraphError> {
    let request_id = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("request-id"))
        .map(|(_, value)| value.clone());
    serde_json::from_value(response.body.unwrap_or(Value::Null)).map_err(|source| {
        GraphError::Decode {
            request,
            request_id,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_collections_is_an_empty_array_and_strings_an_explicit_null() {
        let patch = UserPatch::new()
            .set("department", "Sales")
            .clear("jobTitle")
            .clear("businessPhones")
            .clear("otherMails");
        assert_eq!(
            Value::Object(patch.as_json().clone()),
            json!({"department": "Sales", "jobTitle": null, "businessPhones": [], "otherMails": []})
        );
        assert_eq!(
            patch.properties().collect::<Vec<_>>(),
            ["department", "jobTitle", "businessPhones", "otherMails"]
        );
    }

    #[test]
    fn sync_select_adds_to_the_snapshot_select() {
        let select = sync_user_select();
        assert_eq!(select.len(), USER_SELECT.len() + SYNC_EXTRA_SELECT.len());
        assert_eq!(select.first(), Some(&"id"));
        assert!(select.contains(&"onPremisesExtensionAttributes"));
    }

    #[test]
    fn user_paths() {
        assert_eq!(UserKey::Id("87d349ed".into()).path(), "/users/87d349ed");
        assert_eq!(
            UserKey::UserPrincipalName("o'brien@contoso.com".into()).path(),
            "/users/o'brien@contoso.com"
        );
        assert_eq!(
            UserKey::UserPrincipalName("a_b.com#EXT#@t.onmicrosoft.com".into()).path(),
            "/users/a_b.com%23EXT%23@t.onmicrosoft.com"
        );
        assert_eq!(
            UserKey::UserPrincipalName("$adele@contoso.com".into()).path(),
            "/users('$adele@contoso.com')"
        );
    }

    #[test]
    fn clearing_is_an_explicit_null_never_an_empty_string() {
        let patch = UserPatch::new().immutable_id(None);
        assert_eq!(
            serde_json::to_string(patch.as_json()).unwrap(),
            r#"{"onPremisesImmutableId":null}"#
        );
        let patch = UserPatch::new().set("onPremisesImmutableId", "");
        assert_eq!(patch.as_json()["onPremisesImmutableId"], Value::Null);
    }

    #[test]
    fn temporary_upn_keeps_the_alias() {
        assert_eq!(
            temporary_upn("taro.yamada@example.co.jp", "example.onmicrosoft.com"),
            "taro.yamada@example.onmicrosoft.com"
        );
    }

    #[test]
    fn new_user_password_never_in_debug() {
        let user = NewUser::new("a@x.com", "A", "a", Secret::new("Pa55w0rd!"));
        assert!(!format!("{user:?}").contains("Pa55w0rd!"));
        assert_eq!(user.to_json()["passwordProfile"]["password"], "Pa55w0rd!");
    }
}
