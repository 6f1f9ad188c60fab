//! `/users`: list (with `$select`, `$filter`, `$top`, `$count`, paging), `$count`, get, create,
//! update, delete, and `memberOf` (<https://learn.microsoft.com/graph/api/resources/user>).

use anchorsync_core::tenant::CloudUser;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::auth::{self, Caller};
use crate::clock;
use crate::context::RequestContext;
use crate::deleted_items;
use crate::error::GraphError;
use crate::filter::{self, Filter, UserSchema};
use crate::messages;
use crate::properties::{self, NOT_ON_LIST, UserProperty};
use crate::query::{Accepts, QueryOptions};
use crate::response::{context_url, entity, graph_json, no_content};
use crate::roles;
use crate::rules;
use crate::state::{AppliedWrite, Twin};

/// The properties a response carries: `$select`ed ones, or the default set.
pub(crate) struct Selection {
    properties: Vec<&'static UserProperty>,
    /// `(a,b)` for `@odata.context`, empty for the default set.
    pub context_suffix: String,
}

pub(crate) fn selection(select: Option<&str>, on_list: bool) -> Result<Selection, GraphError> {
    let Some(select) = select.filter(|select| !select.trim().is_empty()) else {
        return Ok(Selection {
            properties: properties::DEFAULT_SELECT
                .iter()
                .filter_map(|name| properties::find(name))
                .collect(),
            context_suffix: String::new(),
        });
    };
    let mut chosen: Vec<&'static UserProperty> = Vec::new();
    for name in select.split(',').map(str::trim) {
        let property =
            properties::find(name).ok_or_else(|| messages::unknown_property(name, "user"))?;
        if on_list && property.has(NOT_ON_LIST) {
            return Err(messages::select_not_on_list());
        }
        if !chosen.iter().any(|known| known.name == property.name) {
            chosen.push(property);
        }
    }
    let names: Vec<&str> = chosen.iter().map(|property| property.name).collect();
    Ok(Selection {
        context_suffix: format!("({})", names.join(",")),
        properties: chosen,
    })
}

pub(crate) fn render(user: &CloudUser, selection: &Selection) -> Map<String, Value> {
    selection
        .properties
        .iter()
        .map(|property| (property.name.to_owned(), properties::get(user, property)))
        .collect()
}

/// A filter path's value on a user (`onPremisesExtensionAttributes/extensionAttribute1` included).
pub(crate) fn path_value(user: &CloudUser, path: &str) -> Value {
    let mut segments = path.split('/');
    let Some(property) = segments.next().and_then(properties::find) else {
        return Value::Null;
    };
    let mut value = properties::get(user, property);
    for segment in segments {
        value = value.get(segment).cloned().unwrap_or(Value::Null);
    }
    value
}

/// The parsed and gated `$filter` of a users request.
pub(crate) fn user_filter(
    twin: &Twin,
    options: &QueryOptions,
    advanced: bool,
) -> Result<Option<Filter>, GraphError> {
    let Some(text) = options.filter.as_deref() else {
        return Ok(None);
    };
    let filter = Filter::parse(text, &UserSchema)?;
    filter::check_user_gates(&filter, advanced, twin.config().advanced_query)?;
    Ok(Some(filter))
}

fn check_search(options: &QueryOptions, context: &RequestContext) -> Result<(), GraphError> {
    match &options.search {
        None => Ok(()),
        Some(_) if !context.eventual => Err(messages::search_needs_eventual()),
        Some(_) => Err(messages::twin_unsupported("`$search`")),
    }
}

/// `GET /users`.
pub(crate) async fn list(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_USERS)?;
    let options = QueryOptions::parse(query.as_deref(), Accepts::COLLECTION)?;
    check_search(&options, &context)?;
    // Advanced queries need both the header and $count=true
    // (<https://learn.microsoft.com/graph/aad-advanced-queries>).
    let advanced = context.eventual && options.count;
    let filter = user_filter(&twin, &options, advanced)?;
    let selection = selection(options.select.as_deref(), true)?;
    let start = options.start()?;
    let top = options.top.unwrap_or(100);
    let matches = |user: &CloudUser| {
        filter
            .as_ref()
            .is_none_or(|filter| filter.matches(&|path| path_value(user, path)))
    };
    let directory = twin.directory();
    // Filters that pin an indexed value visit only the users holding it.
    let candidates = filter
        .as_ref()
        .and_then(Filter::index_keys)
        .map(|keys| directory.candidates(&keys));
    let positions: Box<dyn Iterator<Item = usize>> = match &candidates {
        Some(positions) => Box::new(positions.iter().copied().filter(move |p| *p >= start)),
        None => Box::new(start..directory.users.len()),
    };
    let mut page = Vec::with_capacity(top.min(directory.users.len()));
    let mut next = None;
    for position in positions {
        let Some((_, user)) = directory.users.get_index(position) else {
            break;
        };
        if matches(user) {
            if page.len() == top {
                next = Some(position);
                break;
            }
            page.push(Value::Object(render(user, &selection)));
        }
    }
    // `$count=true` without `ConsistencyLevel: eventual` is silently ignored
    // (<https://learn.microsoft.com/graph/aad-advanced-queries>).
    let count = (options.count && context.eventual).then(|| match &candidates {
        Some(positions) => positions
            .iter()
            .filter_map(|position| directory.users.get_index(*position))
            .filter(|(_, user)| matches(user))
            .count(),
        None => directory
            .users
            .values()
            .filter(|user| matches(user))
            .count(),
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
            Value::from(options.next_link(&context.graph_root, "/users", position)),
        );
    }
    body.insert("value".into(), Value::Array(page));
    Ok(graph_json(StatusCode::OK, &Value::Object(body)))
}

/// `GET /users/$count`: `text/plain`, only with `ConsistencyLevel: eventual`.
async fn count(
    twin: Twin,
    context: RequestContext,
    caller: Caller,
    query: Option<String>,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_USERS)?;
    if !context.eventual {
        return Err(messages::count_segment_unsupported());
    }
    let options = QueryOptions::parse(
        query.as_deref(),
        Accepts {
            filter: true,
            paging: false,
            count: false,
            search: true,
        },
    )?;
    check_search(&options, &context)?;
    let filter = user_filter(&twin, &options, true)?;
    let matches = |user: &CloudUser| {
        filter
            .as_ref()
            .is_none_or(|filter| filter.matches(&|path| path_value(user, path)))
    };
    let directory = twin.directory();
    let count = match filter.as_ref().and_then(Filter::index_keys) {
        Some(keys) => directory
            .candidates(&keys)
            .into_iter()
            .filter_map(|position| directory.users.get_index(position))
            .filter(|(_, user)| matches(user))
            .count(),
        None => directory
            .users
            .values()
            .filter(|user| matches(user))
            .count(),
    };
    drop(directory);
    let mut response = (StatusCode::OK, count.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    Ok(response)
}

/// `GET /users/{id | userPrincipalName}` (and `/users/$count`).
pub(crate) async fn get(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    if key == "$count" {
        return count(twin, context, caller, query).await;
    }
    caller.require(auth::READ_USERS)?;
    let options = QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    let selection = selection(options.select.as_deref(), false)?;
    let directory = twin.directory();
    let user = directory
        .visible_user(&key, context.now)
        .ok_or_else(|| messages::not_found(&key))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        context_url(
            &context.graph_root,
            &format!("users{}/$entity", selection.context_suffix),
        ),
    );
    body.extend(render(user, &selection));
    Ok(graph_json(StatusCode::OK, &Value::Object(body)))
}

/// `POST /users`: 201 with the new user's default properties.
pub(crate) async fn create(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    caller.require(auth::WRITE_USERS)?;
    let request = rules::parse_body(&headers, &body)?;
    let changes = rules::changes(request.clone())?;
    let mut directory = twin.directory_mut();
    let user = rules::create(
        &directory,
        changes,
        uuid::Uuid::new_v4().to_string(),
        clock::rfc3339(context.now),
    )?;
    let selection = selection(None, false)?;
    let body = Value::Object(render(&user, &selection));
    let location = format!("{}/users/{}", context.graph_root, user.id);
    let resource = format!("/users/{}", user.id);
    let lag = twin.config().replication_lag;
    if !lag.is_zero() {
        directory.hide_until(&user.id, context.now + lag);
    }
    directory.insert_user(user);
    drop(directory);
    twin.record_write(AppliedWrite {
        method: "POST",
        resource,
        body: without_password(request),
    });
    let mut response = entity(StatusCode::CREATED, &context.graph_root, "users", body);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `PATCH /users/{id | userPrincipalName}`: 204.
pub(crate) async fn update(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    caller.require(auth::UPDATE_USERS)?;
    let mut directory = twin.directory_mut();
    let existing = directory
        .visible_user(&key, context.now)
        .cloned()
        .ok_or_else(|| messages::not_found(&key))?;
    let body = rules::parse_body(&headers, &body)?;
    if let Some(property) = twin
        .config()
        .faults
        .fail_properties
        .iter()
        .find(|property| body.keys().any(|name| name.eq_ignore_ascii_case(property)))
    {
        return Err(messages::injected_failure(property));
    }
    let changes = rules::changes(body.clone())?;
    let updated = rules::update(&directory, &caller, &existing, changes)?;
    let resource = format!("/users/{}", updated.id);
    directory.replace_user(updated);
    drop(directory);
    twin.record_write(AppliedWrite {
        method: "PATCH",
        resource,
        body: without_password(body),
    });
    Ok(no_content())
}

/// `DELETE /users/{id | userPrincipalName}`: 204; the user moves into deleted items.
pub(crate) async fn delete(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
) -> Result<Response, GraphError> {
    caller.require(deleted_items::DELETE_RESTORE_USERS)?;
    let mut directory = twin.directory_mut();
    let existing = directory
        .visible_user(&key, context.now)
        .cloned()
        .ok_or_else(|| messages::not_found(&key))?;
    rules::check_delete(&directory, &caller, &existing)?;
    directory.soft_delete(&existing.id, context.now);
    drop(directory);
    twin.record_write(AppliedWrite {
        method: "DELETE",
        resource: format!("/users/{}", existing.id),
        body: serde_json::Map::new(),
    });
    Ok(no_content())
}

/// A write's body as [`Twin::writes`] lists it: never with a password.
fn without_password(mut body: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Object(profile)) = body.get_mut("passwordProfile") {
        profile.remove("password");
    }
    body
}

/// `GET /users/{id}/memberOf`: the directory roles the user holds, as `directoryRole` objects (the
/// twin's tenant has no groups or administrative units).
pub(crate) async fn member_of(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    memberships(&twin, &context, &caller, &key, query.as_deref(), false)
}

/// `GET /users/{id}/memberOf/microsoft.graph.directoryRole`: the OData cast, an advanced query.
pub(crate) async fn member_of_roles(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    memberships(&twin, &context, &caller, &key, query.as_deref(), true)
}

fn memberships(
    twin: &Twin,
    context: &RequestContext,
    caller: &Caller,
    key: &str,
    query: Option<&str>,
    cast: bool,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_MEMBERSHIPS)?;
    let options = QueryOptions::parse(
        query,
        Accepts {
            filter: false,
            paging: true,
            count: true,
            search: false,
        },
    )?;
    if cast && !(context.eventual && options.count) {
        return Err(messages::cast_needs_advanced());
    }
    let directory = twin.directory();
    let user = directory
        .visible_user(key, context.now)
        .ok_or_else(|| messages::not_found(key))?;
    let roles: Vec<Value> = directory
        .roles_of(&user.id)
        .into_iter()
        .map(|role| roles::directory_role(twin.tenant_id(), role))
        .collect();
    let mut body = Map::new();
    let fragment = if cast {
        "directoryRoles"
    } else {
        "directoryObjects"
    };
    body.insert(
        "@odata.context".into(),
        context_url(&context.graph_root, fragment),
    );
    if options.count && context.eventual {
        body.insert("@odata.count".into(), Value::from(roles.len()));
    }
    body.insert("value".into(), Value::Array(roles));
    Ok(graph_json(StatusCode::OK, &Value::Object(body)))
}
