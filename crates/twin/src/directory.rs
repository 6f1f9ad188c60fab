//! `/domains` (<https://learn.microsoft.com/graph/api/resources/domain>),
//! `/roleManagement/directory/roleAssignments`
//! (<https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments>) and
//! `/directory/onPremisesSynchronization`
//! (<https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization>).
//!
//! These resources are rendered with every property of their CSDL type, in the CSDL's order, values
//! taken from the snapshot (its typed fields, then its other properties) or Graph's defaults.

use anchorsync_core::tenant::{Domain, OnPremisesSynchronization, RoleAssignment};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::auth::{self, Caller};
use crate::context::RequestContext;
use crate::error::GraphError;
use crate::filter::{Filter, RoleAssignmentSchema};
use crate::messages;
use crate::query::{Accepts, QueryOptions};
use crate::response::{collection, entity, no_content};
use crate::rules;
use crate::state::Twin;

fn other_or_null(other: &Map<String, Value>, name: &str) -> Value {
    other.get(name).cloned().unwrap_or(Value::Null)
}

fn render_domain(domain: &Domain) -> Value {
    let other = &domain.other;
    json!({
        "id": domain.id,
        "authenticationType": domain.authentication_type,
        "availabilityStatus": domain.availability_status,
        "isAdminManaged": domain.is_admin_managed,
        "isDefault": domain.is_default,
        "isInitial": domain.is_initial,
        "isRoot": domain.is_root,
        "isVerified": domain.is_verified,
        "manufacturer": other_or_null(other, "manufacturer"),
        "model": other_or_null(other, "model"),
        "passwordNotificationWindowInDays": other_or_null(other, "passwordNotificationWindowInDays"),
        "passwordValidityPeriodInDays": other_or_null(other, "passwordValidityPeriodInDays"),
        "state": other_or_null(other, "state"),
        "supportedServices": domain.supported_services,
    })
}

/// `GET /domains`.
pub(crate) async fn list_domains(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_DOMAINS)?;
    QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    let domains: Vec<Value> = twin.directory().domains.iter().map(render_domain).collect();
    Ok(collection(&context.graph_root, "domains", domains))
}

/// `GET /domains/{id}`.
pub(crate) async fn get_domain(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_DOMAINS)?;
    let directory = twin.directory();
    let domain = directory
        .domains
        .iter()
        .find(|domain| domain.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| messages::not_found(&id))?;
    Ok(entity(
        StatusCode::OK,
        &context.graph_root,
        "domains",
        render_domain(domain),
    ))
}

fn render_assignment(assignment: &RoleAssignment) -> Value {
    let other = &assignment.other;
    json!({
        "id": assignment.id,
        "appScopeId": other_or_null(other, "appScopeId"),
        "condition": other_or_null(other, "condition"),
        "directoryScopeId": assignment.directory_scope_id.as_deref().unwrap_or("/"),
        "principalId": assignment.principal_id,
        "principalOrganizationId": other_or_null(other, "principalOrganizationId"),
        "roleDefinitionId": assignment.role_definition_id,
    })
}

fn assignment_value(assignment: &RoleAssignment, path: &str) -> Value {
    match path {
        "id" => Value::from(assignment.id.as_str()),
        "principalId" => Value::from(assignment.principal_id.as_str()),
        "roleDefinitionId" => Value::from(assignment.role_definition_id.as_str()),
        "directoryScopeId" => Value::from(assignment.directory_scope_id.as_deref().unwrap_or("/")),
        other => other_or_null(&assignment.other, other),
    }
}

/// `GET /roleManagement/directory/roleAssignments?$filter=...` (the filter is required).
pub(crate) async fn list_role_assignments(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_ROLES)?;
    let options = QueryOptions::parse(
        query.as_deref(),
        Accepts {
            filter: true,
            paging: false,
            count: false,
            search: false,
        },
    )?;
    let text = options
        .filter
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .ok_or_else(messages::role_assignment_filter_required)?;
    let filter = Filter::parse(text, &RoleAssignmentSchema)?;
    let assignments: Vec<Value> = twin
        .directory()
        .role_assignments
        .iter()
        .filter(|assignment| filter.matches(&|path| assignment_value(assignment, path)))
        .map(render_assignment)
        .collect();
    Ok(collection(
        &context.graph_root,
        "roleManagement/directory/roleAssignments",
        assignments,
    ))
}

/// `GET /roleManagement/directory/roleAssignments/{id}`.
pub(crate) async fn get_role_assignment(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_ROLES)?;
    let directory = twin.directory();
    let assignment = directory
        .role_assignments
        .iter()
        .find(|assignment| assignment.id == id)
        .ok_or_else(|| messages::not_found(&id))?;
    Ok(entity(
        StatusCode::OK,
        &context.graph_root,
        "roleManagement/directory/roleAssignments",
        render_assignment(assignment),
    ))
}

/// The `features` of `onPremisesDirectorySynchronizationFeature`, in the CSDL's order, with the
/// values a tenant has when nothing was changed (the GET example of
/// <https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get>).
const FEATURES: &[(&str, bool)] = &[
    (
        "allowOnPremUpdateOfOnPremisesObjectIdentifierEnabled",
        false,
    ),
    ("blockCloudObjectTakeoverThroughHardMatchEnabled", false),
    ("blockSoftMatchEnabled", false),
    ("bypassDirSyncOverridesEnabled", false),
    ("cloudPasswordPolicyForPasswordSyncedUsersEnabled", false),
    ("concurrentCredentialUpdateEnabled", false),
    ("concurrentOrgIdProvisioningEnabled", false),
    ("deviceWritebackEnabled", false),
    ("directoryExtensionsEnabled", false),
    ("fopeConflictResolutionEnabled", false),
    ("groupWriteBackEnabled", false),
    ("passwordSyncEnabled", false),
    ("passwordWritebackEnabled", false),
    ("quarantineUponProxyAddressesConflictEnabled", true),
    ("quarantineUponUpnConflictEnabled", true),
    ("softMatchOnUpnEnabled", true),
    ("synchronizeUpnForManagedUsersEnabled", true),
    ("unifiedGroupWritebackEnabled", false),
    ("userForcePasswordChangeOnLogonEnabled", false),
    ("userWritebackEnabled", false),
];

/// Features Graph does not let anyone change.
const FIXED_FEATURES: &[&str] = &["passwordWritebackEnabled"];

const PREVENTION_TYPES: &[&str] = &[
    "disabled",
    "enabledForCount",
    "enabledForPercentage",
    "unknownFutureValue",
];

fn feature(sync: Option<&OnPremisesSynchronization>, name: &str, default: bool) -> bool {
    let Some(sync) = sync else {
        return default;
    };
    let features = &sync.features;
    let typed = match name {
        "blockSoftMatchEnabled" => features.block_soft_match_enabled,
        "blockCloudObjectTakeoverThroughHardMatchEnabled" => {
            features.block_cloud_object_takeover_through_hard_match_enabled
        }
        "softMatchOnUpnEnabled" => features.soft_match_on_upn_enabled,
        other => features.other.get(other).and_then(Value::as_bool),
    };
    typed.unwrap_or(default)
}

fn render_sync(tenant_id: &str, sync: Option<&OnPremisesSynchronization>) -> Value {
    let mut features = Map::new();
    for (name, default) in FEATURES {
        features.insert(
            (*name).to_owned(),
            Value::from(feature(sync, name, *default)),
        );
    }
    let prevention = sync
        .and_then(|sync| sync.configuration.as_ref())
        .and_then(|configuration| configuration.get("accidentalDeletionPrevention"));
    let prevention_type = prevention
        .and_then(|p| p.get("synchronizationPreventionType"))
        .and_then(Value::as_str)
        .unwrap_or("enabledForCount");
    let threshold = prevention
        .and_then(|p| p.get("alertThreshold"))
        .and_then(Value::as_i64)
        .unwrap_or(500);
    json!({
        "id": sync.map_or(tenant_id, |sync| sync.id.as_str()),
        "configuration": {
            "accidentalDeletionPrevention": {
                "alertThreshold": threshold,
                "synchronizationPreventionType": prevention_type,
            }
        },
        "features": features,
    })
}

/// `GET /directory/onPremisesSynchronization`: a collection of one.
pub(crate) async fn list_sync(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_SYNC)?;
    QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    let sync = render_sync(
        twin.tenant_id(),
        twin.directory().on_premises_synchronization.as_ref(),
    );
    Ok(collection(
        &context.graph_root,
        "directory/onPremisesSynchronization",
        vec![sync],
    ))
}

fn sync_id(twin: &Twin) -> String {
    twin.directory()
        .on_premises_synchronization
        .as_ref()
        .map_or_else(|| twin.tenant_id().to_owned(), |sync| sync.id.clone())
}

/// `GET /directory/onPremisesSynchronization/{id}`.
pub(crate) async fn get_sync(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_SYNC)?;
    if !id.eq_ignore_ascii_case(&sync_id(&twin)) {
        return Err(messages::not_found(&id));
    }
    let sync = render_sync(
        twin.tenant_id(),
        twin.directory().on_premises_synchronization.as_ref(),
    );
    Ok(entity(
        StatusCode::OK,
        &context.graph_root,
        "directory/onPremisesSynchronization",
        sync,
    ))
}

const SYNC_RESOURCE: &str = "OnPremisesDirectorySynchronization";

/// `PATCH /directory/onPremisesSynchronization/{id}`: 204.
pub(crate) async fn update_sync(
    State(twin): State<Twin>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    caller.require(auth::WRITE_SYNC)?;
    if !id.eq_ignore_ascii_case(&sync_id(&twin)) {
        return Err(messages::not_found(&id));
    }
    let body = rules::parse_body(&headers, &body)?;
    let mut directory = twin.directory_mut();
    let mut sync = directory
        .on_premises_synchronization
        .clone()
        .unwrap_or_else(|| OnPremisesSynchronization {
            id: twin.tenant_id().to_owned(),
            ..OnPremisesSynchronization::default()
        });
    let current = directory.on_premises_synchronization.as_ref();
    for (name, value) in &body {
        match name.as_str() {
            "features" => {
                let Value::Object(changes) = value else {
                    return Err(messages::invalid_value("features", SYNC_RESOURCE));
                };
                for (feature_name, change) in changes {
                    let Some((canonical, default)) = FEATURES
                        .iter()
                        .find(|(known, _)| known.eq_ignore_ascii_case(feature_name))
                    else {
                        return Err(messages::invalid_property(feature_name));
                    };
                    let Some(enabled) = change.as_bool() else {
                        return Err(messages::invalid_value(canonical, SYNC_RESOURCE));
                    };
                    if FIXED_FEATURES.contains(canonical)
                        && enabled != feature(current, canonical, *default)
                    {
                        return Err(messages::read_only(canonical));
                    }
                    let features = &mut sync.features;
                    match *canonical {
                        "blockSoftMatchEnabled" => {
                            features.block_soft_match_enabled = Some(enabled)
                        }
                        "blockCloudObjectTakeoverThroughHardMatchEnabled" => {
                            features.block_cloud_object_takeover_through_hard_match_enabled =
                                Some(enabled);
                        }
                        "softMatchOnUpnEnabled" => {
                            features.soft_match_on_upn_enabled = Some(enabled)
                        }
                        other => {
                            features
                                .other
                                .insert(other.to_owned(), Value::from(enabled));
                        }
                    }
                }
            }
            "configuration" => {
                let prevention = value.get("accidentalDeletionPrevention");
                let valid_shape = value.as_object().is_some_and(|configuration| {
                    configuration
                        .keys()
                        .all(|key| key == "accidentalDeletionPrevention")
                });
                let valid_prevention = prevention.is_none_or(|prevention| {
                    prevention.as_object().is_some_and(|fields| {
                        fields.iter().all(|(key, field)| match key.as_str() {
                            "synchronizationPreventionType" => field
                                .as_str()
                                .is_some_and(|kind| PREVENTION_TYPES.contains(&kind)),
                            "alertThreshold" => field.as_i64().is_some_and(|n| n >= 0),
                            _ => false,
                        })
                    })
                });
                if !valid_shape || !valid_prevention {
                    return Err(messages::invalid_value("configuration", SYNC_RESOURCE));
                }
                let mut merged = sync.configuration.clone().unwrap_or_else(|| json!({}));
                merge(&mut merged, value);
                sync.configuration = Some(merged);
            }
            "id" => return Err(messages::read_only("id")),
            other => return Err(messages::invalid_property(other)),
        }
    }
    let resource = format!("/directory/onPremisesSynchronization/{}", sync.id);
    directory.on_premises_synchronization = Some(sync);
    drop(directory);
    twin.record_write(crate::state::AppliedWrite {
        method: "PATCH",
        resource,
        body,
    });
    Ok(no_content())
}

/// JSON merge: objects merge key by key, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}
