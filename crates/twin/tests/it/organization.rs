//! `/organization` (issue 13): the tenant, consistent with `/domains` and its synchronised users.

use anchorsync_twin::AppClient;
use serde_json::{Value, json};

use crate::support::*;

const ORG_READER: &str = "a0000000-0000-4000-8000-0000000000a1";

fn with_org_reader() -> anchorsync_twin::TwinConfig {
    config().with_client(
        AppClient::with_secret(ORG_READER, secret(ORG_READER))
            .permissions(["Organization.Read.All"]),
    )
}

#[tokio::test]
async fn organization_lists_the_tenant_with_its_verified_domains_and_sync_state() {
    let harness = start_with(tenant(), with_org_reader());
    let token = harness.token(ORG_READER).await;
    let list = harness.get("/organization", &token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let json = list.json();
    assert_eq!(
        json["@odata.context"],
        format!("{}/$metadata#organization", harness.server.base_url())
    );
    let [organization] = json["value"].as_array().unwrap().as_slice() else {
        panic!("one organization: {json}")
    };
    assert_eq!(organization["id"], TENANT);
    assert_eq!(organization["displayName"], "contoso");
    assert_eq!(organization["tenantType"], "AAD");
    // Carol is synchronised from on-premises, last on 2024-05-01.
    assert_eq!(organization["onPremisesSyncEnabled"], true);
    assert_eq!(
        organization["onPremisesLastSyncDateTime"],
        "2024-05-01T00:00:00Z"
    );
    // The verified domains of /domains, unverified.example left out.
    let domains = harness.get("/domains", &token).await;
    assert_eq!(
        domains.status, 403,
        "Organization.Read.All does not read /domains"
    );
    let verified: Vec<Value> = tenant_json()["domains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|domain| domain["isVerified"] == true)
        .map(|domain| {
            json!({
                "capabilities": domain["supportedServices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|service| service.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(", "),
                "isDefault": domain["isDefault"],
                "isInitial": domain["isInitial"],
                "name": domain["id"],
                "type": domain["authenticationType"],
            })
        })
        .collect();
    assert_eq!(organization["verifiedDomains"], Value::Array(verified));
    assert_eq!(
        organization["verifiedDomains"][2],
        json!({"capabilities": "Email", "isDefault": false, "isInitial": false, "name": "fabrikam.com", "type": "Federated"})
    );

    let by_id = harness
        .get(&format!("/organization/{TENANT}"), &token)
        .await;
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    let entity = by_id.json();
    assert_eq!(
        entity["@odata.context"],
        format!(
            "{}/$metadata#organization/$entity",
            harness.server.base_url()
        )
    );
    let mut without_context = entity.clone();
    without_context
        .as_object_mut()
        .unwrap()
        .remove("@odata.context");
    assert_eq!(&without_context, organization);

    assert_graph_error(
        &harness
            .get("/organization/00000000-0000-0000-0000-000000000000", &token)
            .await,
        404,
        "Request_ResourceNotFound",
        "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
}

#[tokio::test]
async fn a_tenant_without_synchronised_users_has_never_synced() {
    let mut snapshot = tenant();
    for user in &mut snapshot.users {
        user.on_premises_sync_enabled = None;
    }
    let harness = start_with(snapshot, with_org_reader());
    let token = harness.token(ORG_READER).await;
    let organization = harness.get("/organization", &token).await.json()["value"][0].clone();
    assert_eq!(organization["onPremisesSyncEnabled"], Value::Null);
    assert_eq!(organization["onPremisesLastSyncDateTime"], Value::Null);
}

#[tokio::test]
async fn organization_needs_an_organization_or_directory_permission() {
    let harness = start();
    // The standard anchorsync app holds User.ReadWrite.All, Domain.Read.All, ... but none of
    // Organization.Read.All, Directory.Read.All: app-only, that is not enough.
    let token = harness.token(APP).await;
    assert_graph_error(
        &harness.get("/organization", &token).await,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );
}
