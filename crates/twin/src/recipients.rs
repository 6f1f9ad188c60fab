//! `/groups` (<https://learn.microsoft.com/graph/api/group-list>) and `/contacts`
//! (<https://learn.microsoft.com/graph/api/orgcontact-list>): read-only lists with `$select`, `$top` and
//! `@odata.nextLink` paging, seeded from the snapshot's `groups` and `contacts`. The twin holds only what
//! a snapshot keeps of them (id, displayName, mail, mailNickname, proxyAddresses and whatever else the
//! snapshot's objects carry); another property of the type is `null`.

use anchorsync_core::tenant::CloudRecipient;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::auth::{self, Caller};
use crate::context::RequestContext;
use crate::error::GraphError;
use crate::messages;
use crate::query::{Accepts, QueryOptions};
use crate::response::{context_url, graph_json};
use crate::state::{Directory, Twin};

/// `$top` and paging, but no `$filter`, `$count` or `$search` in the twin.
const PAGING_ONLY: Accepts = Accepts {
    filter: false,
    paging: true,
    count: false,
    search: false,
};

/// Graph's page size when `$top` is not given.
const DEFAULT_PAGE: usize = 100;

/// The properties of `microsoft.graph.group` (v1.0) a `$select` may name.
const GROUP_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "description",
    "classification",
    "createdDateTime",
    "deletedDateTime",
    "expirationDateTime",
    "isAssignableToRole",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "renewedDateTime",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "theme",
    "uniqueName",
    "visibility",
];

/// The properties of `microsoft.graph.orgContact` (v1.0) a `$select` may name.
const CONTACT_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "addresses",
    "companyName",
    "deletedDateTime",
    "department",
    "givenName",
    "jobTitle",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSyncEnabled",
    "phones",
    "serviceProvisioningErrors",
    "surname",
];

/// One of the two listings.
#[derive(Clone, Copy)]
struct Listing {
    /// The path segment and `@odata.context` fragment: `groups` or `contacts`.
    segment: &'static str,
    /// The type name in error messages: `group` or `orgContact`.
    type_name: &'static str,
    properties: &'static [&'static str],
    permissions: &'static [&'static str],
    objects: fn(&Directory) -> &[CloudRecipient],
}

const GROUPS: Listing = Listing {
    segment: "groups",
    type_name: "group",
    properties: GROUP_PROPERTIES,
    permissions: auth::READ_GROUPS,
    objects: |directory| &directory.groups,
};

const CONTACTS: Listing = Listing {
    segment: "contacts",
    type_name: "orgContact",
    properties: CONTACT_PROPERTIES,
    permissions: auth::READ_CONTACTS,
    objects: |directory| &directory.contacts,
};

/// A property's value on an object: the typed ones, else what the snapshot kept, else `null`.
fn property(object: &CloudRecipient, name: &str) -> Value {
    match name {
        "id" => Value::from(object.id.clone()),
        "displayName" => Value::from(object.display_name.clone()),
        "mail" => Value::from(object.mail.clone()),
        "mailNickname" => Value::from(object.mail_nickname.clone()),
        "proxyAddresses" => Value::from(object.proxy_addresses.clone()),
        _ => object.other.get(name).cloned().unwrap_or(Value::Null),
    }
}

/// Every property the object has: the typed ones, then the snapshot's others.
fn everything(object: &CloudRecipient) -> Map<String, Value> {
    let mut rendered: Map<String, Value> = [
        "id",
        "displayName",
        "mail",
        "mailNickname",
        "proxyAddresses",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), property(object, name)))
    .collect();
    for (name, value) in &object.other {
        rendered
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
    rendered
}

/// The `$select`ed names, checked against the type; `None` for the default set.
fn selected(
    listing: Listing,
    select: Option<&str>,
) -> Result<Option<Vec<&'static str>>, GraphError> {
    let Some(select) = select.filter(|select| !select.trim().is_empty()) else {
        return Ok(None);
    };
    let mut chosen: Vec<&'static str> = Vec::new();
    for name in select.split(',').map(str::trim) {
        // Graph matches property names case-insensitively and answers in the schema's spelling.
        let known = listing
            .properties
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name))
            .ok_or_else(|| messages::unknown_property(name, listing.type_name))?;
        if !chosen.contains(known) {
            chosen.push(known);
        }
    }
    Ok(Some(chosen))
}

async fn list(
    listing: Listing,
    twin: Twin,
    context: RequestContext,
    caller: Caller,
    query: Option<String>,
) -> Result<Response, GraphError> {
    caller.require(listing.permissions)?;
    let options = QueryOptions::parse(query.as_deref(), PAGING_ONLY)?;
    let chosen = selected(listing, options.select.as_deref())?;
    let start = options.start()?;
    let top = options.top.unwrap_or(DEFAULT_PAGE);
    let directory = twin.directory();
    let objects = (listing.objects)(&directory);
    let page: Vec<Value> = objects
        .iter()
        .skip(start)
        .take(top)
        .map(|object| {
            Value::Object(match &chosen {
                Some(names) => names
                    .iter()
                    .map(|name| ((*name).to_owned(), property(object, name)))
                    .collect(),
                None => everything(object),
            })
        })
        .collect();
    let next = start.saturating_add(top);
    let more = next < objects.len();
    drop(directory);
    let fragment = match &chosen {
        Some(names) => format!("{}({})", listing.segment, names.join(",")),
        None => listing.segment.to_owned(),
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        context_url(&context.graph_root, &fragment),
    );
    if more {
        body.insert(
            "@odata.nextLink".into(),
            Value::from(options.next_link(
                &context.graph_root,
                &format!("/{}", listing.segment),
                next,
            )),
        );
    }
    body.insert("value".into(), Value::Array(page));
    Ok(graph_json(StatusCode::OK, &Value::Object(body)))
}

/// `GET /groups`.
pub(crate) async fn list_groups(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    list(GROUPS, twin, context, caller, query).await
}

/// `GET /contacts`.
pub(crate) async fn list_contacts(
    State(twin): State<Twin>,
    Extension(context): Extension<RequestContext>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    list(CONTACTS, twin, context, caller, query).await
}
