//! `/domains`, `memberOf`, role assignments and `onPremisesSynchronization`, over HTTP (the twin's
//! crate docs list the rules with their sources).

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn domains_list_and_get() {
    let harness = start();
    let token = harness.token(APP).await;
    let list = harness.get("/domains", &token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let domains = list.json();
    assert_eq!(
        domains["@odata.context"],
        format!("{}/$metadata#domains", harness.server.base_url())
    );
    let fabrikam = &domains["value"][2];
    assert_eq!(fabrikam["id"], "fabrikam.com");
    assert_eq!(fabrikam["authenticationType"], "Federated");
    assert_eq!(fabrikam["isVerified"], true);
    assert_eq!(fabrikam["model"], Value::Null);
    let one = harness.get("/domains/CONTOSO.COM", &token).await.json();
    assert_eq!(one["isDefault"], true);
    assert_eq!(
        harness.get("/domains/nowhere.example", &token).await.status,
        404
    );
}

#[tokio::test]
async fn member_of_lists_directory_roles_from_role_assignments() {
    let harness = start();
    let token = harness.token(APP).await;
    let dave = harness
        .get(&format!("/users/{DAVE}/memberOf"), &token)
        .await;
    assert_eq!(dave.status, 200, "{}", dave.text);
    let roles = dave.json()["value"].clone();
    assert_eq!(roles.as_array().unwrap().len(), 1);
    assert_eq!(roles[0]["@odata.type"], "#microsoft.graph.directoryRole");
    assert_eq!(roles[0]["displayName"], "Global Administrator");
    assert_eq!(roles[0]["roleTemplateId"], GLOBAL_ADMINISTRATOR);
    assert_ne!(roles[0]["id"], GLOBAL_ADMINISTRATOR);
    let alice = harness
        .get("/users/alice@contoso.com/memberOf", &token)
        .await;
    assert_eq!(alice.json()["value"], json!([]));
    // The OData cast is an advanced query.
    let cast = format!("/users/{HELEN}/memberOf/microsoft.graph.directoryRole");
    assert_eq!(harness.get(&cast, &token).await.status, 400);
    let counted = harness
        .get_eventual(&format!("{cast}?$count=true"), &token)
        .await
        .json();
    assert_eq!(counted["@odata.count"], 1);
    assert_eq!(counted["value"][0]["displayName"], "Helpdesk Administrator");
    assert_eq!(
        harness
            .get("/users/nobody@contoso.com/memberOf", &token)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn role_assignments_need_a_filter() {
    let harness = start();
    let token = harness.token(APP).await;
    assert_graph_error(
        &harness
            .get("/roleManagement/directory/roleAssignments", &token)
            .await,
        400,
        "BadRequest",
        "A $filter on principalId or roleDefinitionId is required to list role assignments.",
    );
    let reply = harness
        .get(
            &format!("/roleManagement/directory/roleAssignments?$filter=principalId eq '{HELEN}'"),
            &token,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let json = reply.json();
    assert_eq!(
        json["@odata.context"],
        format!(
            "{}/$metadata#roleManagement/directory/roleAssignments",
            harness.server.base_url()
        )
    );
    assert_eq!(
        json["value"],
        json!([{
            "id": "ra-helen-helpdesk",
            "appScopeId": null,
            "condition": null,
            "directoryScopeId": "/",
            "principalId": HELEN,
            "principalOrganizationId": null,
            "roleDefinitionId": HELPDESK_ADMINISTRATOR,
        }])
    );
    let by_role = harness
        .get(
            &format!(
                "/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '{GLOBAL_ADMINISTRATOR}'"
            ),
            &token,
        )
        .await;
    assert_eq!(by_role.json()["value"][0]["principalId"], DAVE);
    let single = harness
        .get(
            "/roleManagement/directory/roleAssignments/ra-dave-global",
            &token,
        )
        .await;
    assert_eq!(single.json()["principalId"], DAVE);
}

#[tokio::test]
async fn on_premises_synchronization_get_and_patch() {
    let harness = start();
    let token = harness.token(APP).await;
    let list = harness
        .get("/directory/onPremisesSynchronization", &token)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let sync = list.json()["value"][0].clone();
    assert_eq!(sync["id"], TENANT);
    assert_eq!(
        sync["features"]["blockCloudObjectTakeoverThroughHardMatchEnabled"],
        true
    );
    assert_eq!(sync["features"]["blockSoftMatchEnabled"], false);
    assert_eq!(sync["features"]["quarantineUponUpnConflictEnabled"], true);
    assert_eq!(sync["features"].as_object().unwrap().len(), 20);
    assert_eq!(
        sync["configuration"]["accidentalDeletionPrevention"]["alertThreshold"],
        500
    );
    let item = format!("/directory/onPremisesSynchronization/{TENANT}");
    // PATCH goes to the item, as documented; the collection answers 405.
    assert_graph_error(
        &harness
            .patch(
                "/directory/onPremisesSynchronization",
                &token,
                json!({"features": {}}),
            )
            .await,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    );
    let reply = harness
        .patch(
            &item,
            &token,
            json!({
                "features": {"blockSoftMatchEnabled": true, "blockCloudObjectTakeoverThroughHardMatchEnabled": false},
                "configuration": {"accidentalDeletionPrevention": {"alertThreshold": 50}},
            }),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let after = harness.get(&item, &token).await.json();
    assert_eq!(after["features"]["blockSoftMatchEnabled"], true);
    assert_eq!(
        after["features"]["blockCloudObjectTakeoverThroughHardMatchEnabled"],
        false
    );
    assert_eq!(
        after["configuration"]["accidentalDeletionPrevention"],
        json!({"alertThreshold": 50, "synchronizationPreventionType": "enabledForCount"})
    );
    let features = harness.server.snapshot().features();
    assert!(features.block_soft_match());
    assert!(!features.block_hard_match_takeover());
    // Refusals.
    assert_eq!(
        harness
            .patch(&item, &token, json!({"features": {"noSuchFeature": true}}))
            .await
            .status,
        400
    );
    assert_graph_error(
        &harness
            .patch(
                &item,
                &token,
                json!({"features": {"passwordWritebackEnabled": true}}),
            )
            .await,
        400,
        "Request_BadRequest",
        "Property 'passwordWritebackEnabled' is read-only and cannot be set.",
    );
    assert_eq!(
        harness
            .patch(
                &item,
                &token,
                json!({"features": {"blockSoftMatchEnabled": "yes"}})
            )
            .await
            .status,
        400
    );
    assert_eq!(
        harness
            .patch(
                "/directory/onPremisesSynchronization/other",
                &token,
                json!({"features": {}})
            )
            .await
            .status,
        404
    );
    let reader = harness.token(READER).await;
    assert_eq!(
        harness
            .patch(&item, &reader, json!({"features": {}}))
            .await
            .status,
        403
    );
}
