//! `/organization`: the tenant itself, a collection of one (`GET /organization`) and by id
//! (`GET /organization/{id}`), as documented at
//! <https://learn.microsoft.com/graph/api/resources/organization?view=graph-rest-1.0>.
//!
//! The tenant snapshot holds no organization record, so the twin derives one that agrees with what
//! it serves elsewhere: `id` is the tenant id; `displayName` the initial domain's first label
//! (`contoso` for `contoso.onmicrosoft.com`); `verifiedDomains` the verified entries of `/domains`;
//! `onPremisesSyncEnabled` is `true` once any user is synchronised from on-premises (a tenant only
//! has such users while directory synchronisation is on) and `null` otherwise (never synced), and
//! `onPremisesLastSyncDateTime` the latest of those users' `onPremisesLastSyncDateTime`. The
//! address, plans and notification lists are empty or `null`.

use anchorsync_core::tenant::Domain;
use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::{self, Caller};
use crate::context::RequestContext;
use crate::error::GraphError;
use crate::messages;
use crate::query::{Accepts, QueryOptions};
use crate::response::{collection, entity};
use crate::state::Twin;

/// A `verifiedDomain`: `capabilities` is the domain's services joined with `", "`.
fn verified_domain(domain: &Domain) -> Value {
    let capabilities = if domain.supported_services.is_empty() {
        "None".to_owned()
    } else {
        domain.supported_services.join(", ")
    };
    json!({
        "capabilities": capabilities,
        "isDefault": domain.is_default,
        "isInitial": domain.is_initial,
        "name": domain.id,
        "type": domain.authentication_type,
    })
}

fn render_organization(twin: &Twin) -> Value {
    let directory = twin.directory();
    let display_name = directory
        .domains
        .iter()
        .find(|domain| domain.is_initial)
        .and_then(|domain| domain.id.split('.').next())
        .unwrap_or(twin.tenant_id())
        .to_owned();
    let synced = directory
        .users
        .values()
        .filter(|user| user.on_premises_sync_enabled == Some(true));
    let mut sync_enabled = Value::Null;
    let mut last_sync: Option<&str> = None;
    for user in synced {
        sync_enabled = Value::Bool(true);
        if let Some(time) = user.on_premises_last_sync_date_time.as_deref() {
            // ISO 8601 in UTC ("…Z"), as Graph writes it: text order is time order.
            if last_sync.is_none_or(|latest| time > latest) {
                last_sync = Some(time);
            }
        }
    }
    let verified: Vec<Value> = directory
        .domains
        .iter()
        .filter(|domain| domain.is_verified)
        .map(verified_domain)
        .collect();
    json!({
        "id": twin.tenant_id(),
        "deletedDateTime": null,
        "businessPhones": [],
        "city": null,
        "country": null,
        "countryLetterCode": null,
        "createdDateTime": null,
        "defaultUsageLocation": null,
        "displayName": display_name,
        "isMultipleDataLocationsForServicesEnabled": null,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": last_sync,
        "onPremisesSyncEnabled": sync_enabled,
        "partnerTenantType": null,
        "postalCode": null,
        "preferredLanguage": null,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": null,
        "street": null,
        "technicalNotificationMails": [],
        "tenantType": "AAD",
        "assignedPlans": [],
        "privacyProfile": null,
        "provisionedPlans": [],
        "verifiedDomains": verified,
    })
}

/// `GET /organization`.
pub(crate) async fn list(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_ORGANIZATION)?;
    QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    Ok(collection(
        &context.graph_root,
        "organization",
        vec![render_organization(&twin)],
    ))
}

/// `GET /organization/{id}`.
pub(crate) async fn get(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    caller.require(auth::READ_ORGANIZATION)?;
    QueryOptions::parse(query.as_deref(), Accepts::SELECT_ONLY)?;
    if !id.eq_ignore_ascii_case(twin.tenant_id()) {
        return Err(messages::not_found(&id));
    }
    Ok(entity(
        StatusCode::OK,
        &context.graph_root,
        "organization",
        render_organization(&twin),
    ))
}
