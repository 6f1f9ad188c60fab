//! Deleted users: `DELETE /users/{id}` moves a user here, `/directory/deletedItems` lists, reads,
//! restores and purges them (<https://learn.microsoft.com/graph/api/user-delete>, <https://learn.microsoft.com/graph/api/directory-deleteditems-restore>).
//!
//! - A deleted user keeps its id and properties and gets `deletedDateTime` from the twin's clock; it
//!   holds none of the unique values (userPrincipalName, proxyAddresses, onPremisesImmutableId), so
//!   an active user may take them. Its role assignments are gone with the delete.
//! - `GET /directory/deletedItems/microsoft.graph.user` takes what `/users` takes (`$select`,
//!   `$filter` with the same advanced-query gating, `$top` up to 999, `$count`, paging), as the
//!   documentation says for the cast ("the query parameters that are supported by the resource that
//!   is specified by the OData cast"). Without the cast the listing is refused.
//! - `POST /directory/deletedItems/{id}/restore` brings the user back with the same id, optionally
//!   under `newUserPrincipalName`, and with `autoReconcileProxyConflict` dropping the proxy addresses
//!   an active object holds meanwhile. Any other clash (userPrincipalName, proxy address without
//!   the switch, onPremisesImmutableId) is Graph's uniqueness error, and nothing changes.
//! - `DELETE /directory/deletedItems/{id}` purges at once; 30 days after the delete the twin purges
//!   by itself, on its clock (a moved [`Clock::manual`](crate::Clock::manual) moves it), whenever
//!   deleted items or the snapshot are looked at.

use std::time::{Duration, SystemTime};

use anchorsync_core::tenant::CloudUser;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::clock;
use crate::context::RequestContext;
use crate::error::GraphError;
use crate::filter::Filter;
use crate::messages;
use crate::properties;
use crate::query::{Accepts, QueryOptions};
use crate::response::{context_url, graph_json, no_content};
use crate::rules;
use crate::state::{AppliedWrite, Directory, Twin, TwinError};
use crate::users::{self, Selection};

/// How long Entra keeps a deleted user restorable (<https://learn.microsoft.com/graph/api/user-delete>).
pub(crate) const RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Permissions that allow deleting, restoring and purging users (<https://learn.microsoft.com/graph/api/user-update>; <https://learn.microsoft.com/graph/api/directory-deleteditems-restore> names
/// `User.DeleteRestore.All` as the least privileged on the newer pages).
pub(crate) const DELETE_RESTORE_USERS: &[&str] = &[
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// Permissions that allow reading deleted users: `User.Read.All` is the least privileged
/// (<https://learn.microsoft.com/graph/api/directory-deleteditems-list>); `User.ReadBasic.All`,
/// enough for `/users`, is not.
pub(crate) const READ_DELETED_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

const USER_CAST: &str = "/directory/deletedItems/microsoft.graph.user";
const USER_TYPE: &str = "#microsoft.graph.user";

/// A user in deleted items.
#[derive(Debug, Clone)]
pub(crate) struct DeletedUser {
    /// The user as it was, with `deletedDateTime` in [`CloudUser::other`].
    pub user: CloudUser,
    /// When it was deleted (the purge counts from here).
    pub deleted_at: SystemTime,
}

impl Directory {
    /// Loads the snapshot's `deletedUsers`: each keeps its `deletedDateTime`, or gets `now` when it
    /// has none.
    pub(crate) fn load_deleted_users(
        &mut self,
        users: Vec<CloudUser>,
        now: SystemTime,
    ) -> Result<(), TwinError> {
        for mut user in users {
            let duplicate = self
                .users
                .get(&user.id)
                .map(|active| active.id.clone())
                .or_else(|| self.deleted.get(&user.id).map(|d| d.user.id.clone()));
            if let Some(first) = duplicate {
                return Err(TwinError::DuplicateValue {
                    property: "id",
                    value: user.id.clone(),
                    first,
                    second: user.id,
                });
            }
            let deleted_at = match user.other.get("deletedDateTime") {
                None | Some(Value::Null) => {
                    user.other.insert(
                        "deletedDateTime".to_owned(),
                        Value::from(clock::rfc3339(now)),
                    );
                    now
                }
                Some(value) => value
                    .as_str()
                    .and_then(clock::parse_rfc3339)
                    .ok_or_else(|| TwinError::DeletedDateTime {
                        id: user.id.clone(),
                        value: value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned),
                    })?,
            };
            self.deleted
                .insert(user.id.clone(), DeletedUser { user, deleted_at });
        }
        Ok(())
    }

    /// Moves an active user into deleted items (its role assignments go, as with every delete).
    pub(crate) fn soft_delete(&mut self, id: &str, now: SystemTime) {
        self.visible_from.remove(id);
        if let Some(mut user) = self.remove_user(id) {
            user.other.insert(
                "deletedDateTime".to_owned(),
                Value::from(clock::rfc3339(now)),
            );
            self.deleted.insert(
                user.id.clone(),
                DeletedUser {
                    user,
                    deleted_at: now,
                },
            );
        }
    }

    /// Purges the deleted users whose retention has passed at `now`; their ids.
    fn expire_deleted(&mut self, now: SystemTime) -> Vec<String> {
        let expired: Vec<String> = self
            .deleted
            .values()
            .filter(|deleted| deleted.deleted_at + RETENTION <= now)
            .map(|deleted| deleted.user.id.clone())
            .collect();
        for id in &expired {
            self.deleted.shift_remove(id);
        }
        expired
    }

    /// A deleted user by object id (any case).
    fn deleted_user(&self, id: &str) -> Option<&DeletedUser> {
        self.deleted
            .get(id)
            .or_else(|| self.deleted.get(&id.to_ascii_lowercase()))
    }

    /// The id of the active object holding `proxy`, if any.
    fn proxy_holder(&self, proxy: &str, itself: &str) -> Option<String> {
        let probe = CloudUser {
            id: itself.to_owned(),
            proxy_addresses: vec![proxy.to_owned()],
            ..CloudUser::default()
        };
        self.conflict(&probe, None).map(|conflict| conflict.holder)
    }
}

impl Twin {
    /// Purges the deleted users whose 30 days have passed on the twin's clock, and lists each
    /// purge in [`Twin::writes`] as `PURGE`.
    pub(crate) fn expire_deleted_users(&self) {
        let now = self.clock().now();
        let expired = self.directory_mut().expire_deleted(now);
        for id in expired {
            self.record_write(AppliedWrite {
                method: "PURGE",
                resource: format!("/directory/deletedItems/{id}"),
                body: Map::new(),
            });
        }
    }
}

/// A deleted user as `/directory/deletedItems/{id}` and `restore` answer: the cast type first.
fn entity(context: &RequestContext, user: &CloudUser, selection: &Selection) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        context_url(&context.graph_root, "directoryObjects/$entity"),
    );
    body.insert("@odata.type".into(), Value::from(USER_TYPE));
    body.extend(users::render(user, selection));
    graph_json(StatusCode::OK, &Value::Object(body))
}

/// `GET /directory/deletedItems` without a cast: not supported by Graph.
pub(crate) async fn list_uncast() -> GraphError {
    messages::deleted_items_cast_required()
}

/// `GET /directory/deletedItems/microsoft.graph.user`.
pub(crate) async fn list(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(READ_DELETED_USERS)?;
    twin.expire_deleted_users();
    let options = QueryOptions::parse(query.as_deref(), Accepts::COLLECTION)?;
    if options.search.is_some() {
        return Err(if context.eventual {
            messages::twin_unsupported("`$search`")
        } else {
            messages::search_needs_eventual()
        });
    }
    let advanced = context.eventual && options.count;
    let filter = users::user_filter(&twin, &options, advanced)?;
    let selection = users::selection(options.select.as_deref(), true)?;
    let start = options.start()?;
    let top = options.top.unwrap_or(100);
    let matches = |user: &CloudUser| {
        filter
            .as_ref()
            .is_none_or(|filter: &Filter| filter.matches(&|path| users::path_value(user, path)))
    };
    let directory = twin.directory();
    let mut page = Vec::new();
    let mut next = None;
    for (position, deleted) in directory.deleted.values().enumerate().skip(start) {
        if matches(&deleted.user) {
            if page.len() == top {
                next = Some(position);
                break;
            }
            page.push(Value::Object(users::render(&deleted.user, &selection)));
        }
    }
    let count = (options.count && context.eventual).then(|| {
        directory
            .deleted
            .values()
            .filter(|deleted| matches(&deleted.user))
            .count()
    });
    drop(directory);
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        context_url(
            &context.graph_root,
            &format!("users{}", selection.context_suffix),
        ),
    );
    if let Some(count) = count {
        body.insert("@odata.count".into(), Value::from(count));
    }
    if let Some(position) = next {
        body.insert(
            "@odata.nextLink".into(),
            Value::from(options.next_link(&context.graph_root, USER_CAST, position)),
        );
    }
    body.insert("value".into(), Value::Array(page));
    Ok(graph_json(StatusCode::OK, &Value::Object(body)))
}

/// `GET /directory/deletedItems/{id}`.
pub(crate) async fn get(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(READ_DELETED_USERS)?;
    twin.expire_deleted_users();
    let options = QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    let selection = users::selection(options.select.as_deref(), false)?;
    let directory = twin.directory();
    let deleted = directory
        .deleted_user(&id)
        .ok_or_else(|| messages::not_found(&id))?;
    Ok(entity(&context, &deleted.user, &selection))
}

/// The parameters of `restore` (<https://learn.microsoft.com/graph/api/directory-deleteditems-restore>).
#[derive(Default)]
struct RestoreParameters {
    new_user_principal_name: Option<String>,
    auto_reconcile_proxy_conflict: bool,
}

fn restore_parameters(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(RestoreParameters, Map<String, Value>), GraphError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((RestoreParameters::default(), Map::new()));
    }
    let fields = rules::parse_body(headers, body)?;
    let mut parameters = RestoreParameters::default();
    for (name, value) in &fields {
        match name.as_str() {
            "newUserPrincipalName" => match value {
                Value::String(upn) => parameters.new_user_principal_name = Some(upn.clone()),
                Value::Null => {}
                _ => return Err(messages::invalid_action_parameter(name, "restore")),
            },
            "autoReconcileProxyConflict" => match value {
                Value::Bool(reconcile) => parameters.auto_reconcile_proxy_conflict = *reconcile,
                Value::Null => {}
                _ => return Err(messages::invalid_action_parameter(name, "restore")),
            },
            other => return Err(messages::unknown_action_parameter(other, "restore")),
        }
    }
    Ok((parameters, fields))
}

/// `POST /directory/deletedItems/{id}/restore`: 200 with the restored user, same id.
pub(crate) async fn restore(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    caller.require(DELETE_RESTORE_USERS)?;
    twin.expire_deleted_users();
    let (parameters, fields) = restore_parameters(&headers, &body)?;
    let mut directory = twin.directory_mut();
    let deleted = directory
        .deleted_user(&id)
        .ok_or_else(|| messages::not_found(&id))?;
    let mut user = deleted.user.clone();
    user.other.remove("deletedDateTime");
    let mut upn_changed = false;
    if let Some(upn) = parameters.new_user_principal_name {
        let value = Value::from(upn.as_str());
        let valid = properties::find("userPrincipalName")
            .is_some_and(|property| rules::valid_value(property, &value));
        if !valid {
            return Err(messages::invalid_value("userPrincipalName", "User"));
        }
        upn_changed = user.user_principal_name.as_deref() != Some(upn.as_str());
        user.user_principal_name = Some(upn);
    }
    if parameters.auto_reconcile_proxy_conflict {
        let held: Vec<String> = user
            .proxy_addresses
            .iter()
            .filter(|proxy| directory.proxy_holder(proxy, &user.id).is_some())
            .cloned()
            .collect();
        user.proxy_addresses.retain(|proxy| !held.contains(proxy));
    }
    rules::check_directory_rules(&directory, &user, upn_changed, None)?;
    directory.deleted.shift_remove(&user.id);
    directory.insert_user(user.clone());
    drop(directory);
    twin.record_write(AppliedWrite {
        method: "POST",
        resource: format!("/directory/deletedItems/{}/restore", user.id),
        body: fields,
    });
    let selection = users::selection(None, false)?;
    Ok(entity(&context, &user, &selection))
}

/// `DELETE /directory/deletedItems/{id}`: 204, the user is gone for good.
pub(crate) async fn purge(
    State(twin): State<Twin>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    caller.require(DELETE_RESTORE_USERS)?;
    twin.expire_deleted_users();
    let mut directory = twin.directory_mut();
    let deleted_id = directory
        .deleted_user(&id)
        .map(|deleted| deleted.user.id.clone())
        .ok_or_else(|| messages::not_found(&id))?;
    directory.deleted.shift_remove(&deleted_id);
    drop(directory);
    twin.record_write(AppliedWrite {
        method: "DELETE",
        resource: format!("/directory/deletedItems/{deleted_id}"),
        body: Map::new(),
    });
    Ok(no_content())
}
