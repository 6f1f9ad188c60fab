//! Deleted users (`/directory/deletedItems`, <https://learn.microsoft.com/graph/api/resources/directory>): list them, find one by its anchor, restore
//! one (keeping its id) or purge it. A user deleted with [`GraphClient::delete_user`] stays here 30
//! days, then Entra purges it.
//!
//! The listing needs the OData cast `microsoft.graph.user` and takes the query options of `/users`
//! (<https://learn.microsoft.com/graph/api/directory-deleteditems-list>). The restore parameters are
//! sent as raw JSON: Microsoft dropped `autoReconcileProxyConflict` from the published metadata
//! (microsoftgraph/msgraph-metadata#697) although the service takes it.

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::tenant::{CloudUser, USER_SELECT};
use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::{Call, GraphClient};
use crate::error::{GraphError, RequestName};
use crate::odata::{self, Filter, Query};
use crate::users::{sync_user_select, the_only, without_annotations};

const DELETED_USERS: &str = "/directory/deletedItems/microsoft.graph.user";

/// The optional parameters of a restore (<https://learn.microsoft.com/graph/api/directory-deleteditems-restore>).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreOptions {
    /// `newUserPrincipalName`: restore under this UPN, for when an active user took the old one.
    pub new_user_principal_name: Option<String>,
    /// `autoReconcileProxyConflict`: drop the proxy addresses an active object holds meanwhile,
    /// instead of refusing the restore.
    pub auto_reconcile_proxy_conflict: bool,
}

impl RestoreOptions {
    fn to_json(&self) -> Value {
        let mut body = Map::new();
        if let Some(upn) = &self.new_user_principal_name {
            body.insert("newUserPrincipalName".into(), Value::from(upn.as_str()));
        }
        if self.auto_reconcile_proxy_conflict {
            body.insert("autoReconcileProxyConflict".into(), Value::Bool(true));
        }
        Value::Object(body)
    }
}

fn with_deleted_date(select: &[&str]) -> Vec<String> {
    select
        .iter()
        .map(|property| (*property).to_owned())
        .chain(std::iter::once("deletedDateTime".to_owned()))
        .collect()
}

fn deleted_item_path(id: &str) -> String {
    format!("/directory/deletedItems/{}", odata::encode_path_segment(id))
}

impl GraphClient {
    /// Every deleted user with [`sync_user_select`](crate::sync_user_select) and `deletedDateTime`, every page.
    pub async fn list_deleted_users(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        self.list_deleted_users_with(&sync_user_select(), reporter)
            .await
    }

    /// Every deleted user with the snapshot's properties ([`USER_SELECT`]) and `deletedDateTime`:
    /// the snapshot's `deletedUsers`.
    pub(crate) async fn list_deleted_users_for_snapshot(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        self.list_deleted_users_with(USER_SELECT, reporter).await
    }

    async fn list_deleted_users_with(
        &self,
        select: &[&str],
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudUser>, GraphError> {
        let query = Query {
            select: with_deleted_date(select),
            top: Some(self.settings().page_size),
            ..Query::default()
        };
        let users: Vec<CloudUser> = self
            .list(
                format!("{DELETED_USERS}{}", query.to_query_string()),
                false,
                reporter,
            )
            .await?;
        Ok(users.into_iter().map(without_annotations).collect())
    }

    /// The deleted user whose `onPremisesImmutableId` is exactly `immutable_id` (with
    /// [`sync_user_select`](crate::sync_user_select) and `deletedDateTime`), `None` when there is none: the user to restore
    /// when an AD user comes back, and where a lost create may have gone if the user was deleted
    /// since. More than one is [`GraphError::NotUnique`].
    pub async fn find_deleted_user_by_immutable_id(
        &self,
        immutable_id: &str,
    ) -> Result<Option<CloudUser>, GraphError> {
        let query = Query {
            select: with_deleted_date(&sync_user_select()),
            ..Query::default()
        }
        .filter(Filter::eq("onPremisesImmutableId", immutable_id))
        .advanced();
        let path = format!("{DELETED_USERS}{}", query.to_query_string());
        let users: Vec<CloudUser> = self.list(path.clone(), true, &NoProgress).await?;
        the_only(
            users,
            RequestName::new(&Method::GET, path),
            "onPremisesImmutableId",
            immutable_id,
        )
    }

    /// `POST /directory/deletedItems/{id}/restore`: the user is active again with the same id.
    /// A clash with an active object (its UPN without `newUserPrincipalName`, a proxy address
    /// without `autoReconcileProxyConflict`, its ImmutableID) is Graph's `ObjectConflict` error. A
    /// restore whose answer was lost is [`GraphError::OutcomeUnknown`], never sent again: read
    /// `GET /users/{id}` to see whether it happened.
    pub async fn restore_deleted_user(
        &self,
        id: &str,
        options: &RestoreOptions,
    ) -> Result<CloudUser, GraphError> {
        let call = Call::new(Method::POST, format!("{}/restore", deleted_item_path(id)))
            .body(options.to_json());
        let user: CloudUser = self.call_json(&call).await?;
        Ok(without_annotations(user))
    }

    /// `DELETE /directory/deletedItems/{id}`: the user is gone for good (no undo). A `404` after a
    /// lost answer may mean the first attempt went through.
    pub async fn purge_deleted_user(&self, id: &str) -> Result<(), GraphError> {
        self.call(&Call::new(Method::DELETE, deleted_item_path(id)))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_bodies_carry_only_what_is_asked() {
        assert_eq!(RestoreOptions::default().to_json(), serde_json::json!({}));
        let options = RestoreOptions {
            new_user_principal_name: Some("back@contoso.com".into()),
            auto_reconcile_proxy_conflict: true,
        };
        assert_eq!(
            options.to_json(),
            serde_json::json!({"newUserPrincipalName": "back@contoso.com", "autoReconcileProxyConflict": true})
        );
    }
}
