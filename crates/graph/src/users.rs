//! Typed user operations (<https://learn.microsoft.com/graph/api/resources/user>): list with the
//! snapshot `$select`, get by id or user principal name, find by ImmutableID or proxy address,
//! update one or thousands (`$batch`), create and delete, and the federated-domain workaround for
//! changing an ImmutableID.

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::{CloudUser, USER_SELECT};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::batch::BatchRequest;
use crate::client::{Call, GraphClient};
use crate::error::GraphError;
use crate::odata::{self, Filter, Query};

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
            other: Map::new(),
        }
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
            json!({ "forceChangePasswordNextSignIn": true, "password": self.password.expose() }),
        );
        if let Some(id) = &self.immutable_id {
            body.insert("onPremisesImmutableId".into(), id.clone().into());
        }
        Value::Object(body)
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
        reporter.on_start("PATCH users", Some(updates.len() as u64));
        let results = self.batch(requests, reporter).await;
        reporter.on_finish();
        Ok(results?
            .into_iter()
            .map(|result| result.map(|_| ()))
            .collect())
    }

    /// `POST /users`. Not retried when its outcome is unknown (see [`GraphError::OutcomeUnknown`]).
    pub async fn create_user(&self, user: &NewUser) -> Result<CloudUser, GraphError> {
        let call = Call::new(Method::POST, "/users").body(user.to_json());
        self.call_json(&call).await
    }

    /// `DELETE /users/{key}` (Entra keeps it 30 days in deleted items).
    pub async fn delete_user(&self, key: &UserKey) -> Result<(), GraphError> {
        self.call(&Call::new(Method::DELETE, key.path()))
            .await
            .map(|_| ())
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

#[cfg(test)]
mod tests {
    use super::*;

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
