//! The sync's operations (issue 14) through the Graph target, against the twin over HTTP: create with
//! a password that goes nowhere else, a lost create answer resolved by looking the anchor up (never a
//! second user), an update that is a compare-and-set, delete and restore, and the journal's values of
//! booleans and lists.

use anchorsync_core::progress::NoProgress;
use anchorsync_core::remediation::{
    Change, Operation, Property, StepPurpose, StepSystem, StepValue,
};
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_executor::{Resolution, Target, TargetError, TargetSettings, Targets};
use anchorsync_graph::{ClientSettings, Credential};
use anchorsync_store::Step;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use serde_json::json;

const TENANT: &str = "7d2c8e2f-1a7b-4e8f-8b64-7b1d3cae5f33";
const APP: &str = "e0000000-0000-4000-8000-0000000000b7";
const SECRET: &str = "executor-sync-secret";
const KAI: &str = "00000000-0000-4000-8000-00000000f001";
const YUI: &str = "00000000-0000-4000-8000-00000000f002";

fn snapshot() -> TenantSnapshot {
    serde_json::from_value(json!({
        "users": [
            {"id": KAI, "userPrincipalName": "kai@corp.example.com", "displayName": "kai",
             "mailNickname": "kai", "accountEnabled": true, "department": "Sales",
             "onPremisesImmutableId": "AQEBAQEBAQEBAQEBAQEBAQ=="},
            {"id": YUI, "userPrincipalName": "yui@fed.example.com", "displayName": "yui",
             "mailNickname": "yui", "accountEnabled": true, "onPremisesImmutableId": null},
        ],
        "domains": [
            {"id": "exec.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": "corp.example.com", "authenticationType": "Managed", "isDefault": true, "isVerified": true},
            {"id": "fed.example.com", "authenticationType": "Federated", "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap()
}

fn twin(adjust: impl FnOnce(&mut TwinConfig)) -> TwinServer {
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    adjust(&mut config);
    TwinServer::start(snapshot(), config).unwrap()
}

async fn targets(twin: &TwinServer) -> Targets {
    let mut graph = ClientSettings::new(TENANT, APP, Credential::Secret(Secret::new(SECRET)))
        .endpoints(&twin.root_url(), &twin.base_url());
    graph.retry.max_attempts = 2;
    Targets::connect(
        &TargetSettings {
            ad: None,
            graph: Some(graph),
            ad_connections: None,
        },
        &NoProgress,
    )
    .await
    .unwrap()
}

fn text(value: &str) -> StepValue {
    StepValue::Text(value.to_owned())
}

fn property(attribute: &str, value: StepValue) -> Property {
    Property {
        attribute: attribute.to_owned(),
        value,
    }
}

fn step(target: &str, operation: Operation) -> Step {
    Step {
        user_dn: Some("CN=New,DC=corp".to_owned()),
        system: StepSystem::Cloud,
        target: target.to_owned(),
        label: Some("new@corp.example.com".to_owned()),
        purpose: StepPurpose::Sync,
        operation,
    }
}

fn create(anchor: &str) -> Step {
    step(
        anchor,
        Operation::Create {
            anchor: property("onPremisesImmutableId", text(anchor)),
            properties: vec![
                property("accountEnabled", text("false")),
                property("userPrincipalName", text("new@corp.example.com")),
                property("mailNickname", text("new")),
                property("displayName", text("New User")),
                property("businessPhones", text("[\"+81 3 1234 5678\"]")),
                property(
                    "onPremisesExtensionAttributes.extensionAttribute2",
                    text("x2"),
                ),
            ],
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_sends_its_values_and_a_password_nothing_else_sees_issue_14() {
    let server = twin(|_| {});
    let targets = targets(&server).await;
    let written = targets
        .write(&create("BgYGBgYGBgYGBgYGBgYGBg=="))
        .await
        .unwrap();
    let id = written.created.expect("the new user's id");
    let user = server
        .snapshot()
        .users
        .into_iter()
        .find(|user| user.id == id)
        .unwrap();
    assert_eq!(
        user.user_principal_name.as_deref(),
        Some("new@corp.example.com")
    );
    assert_eq!(user.account_enabled, Some(false));
    assert_eq!(user.business_phones, ["+81 3 1234 5678"]);
    assert_eq!(
        user.on_premises_immutable_id.as_deref(),
        Some("BgYGBgYGBgYGBgYGBgYGBg==")
    );
    assert_eq!(
        user.other["onPremisesExtensionAttributes"]["extensionAttribute2"],
        "x2"
    );
    // The twin keeps `passwordProfile` without the password; the step never had one.
    let writes = server.twin().writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "POST");
    assert!(writes[0].body.contains_key("passwordProfile"));
    assert!(writes[0].body["passwordProfile"].get("password").is_none());

    // The same anchor again: Graph refuses a second user with it, so one AD user never becomes two.
    match targets.write(&create("BgYGBgYGBgYGBgYGBgYGBg==")).await {
        Err(TargetError::Refused { reason }) => {
            assert!(reason.contains("held by"), "{reason}");
        }
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(server.snapshot().users.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_answer_is_resolved_by_the_anchor_never_by_a_second_post_issue_14() {
    // The create travels alone or inside a `$batch` call: either answer is lost.
    let server = twin(|config| {
        config.faults.lose_answers = vec!["POST /users".to_owned(), "POST /$batch".to_owned()]
    });
    let targets = targets(&server).await;
    let step = create("BwcHBwcHBwcHBwcHBwcHBw==");
    assert_eq!(
        targets.resolve(&step).await.unwrap(),
        Resolution::NotWritten
    );
    match targets.write(&step).await {
        Err(TargetError::NoAnswer { .. }) => {}
        other => panic!("an answer came: {other:?}"),
    }
    // The user was made; resolving finds it by its anchor and gives its id.
    let made = server
        .snapshot()
        .users
        .into_iter()
        .find(|user| user.on_premises_immutable_id.as_deref() == Some("BwcHBwcHBwcHBwcHBwcHBw=="))
        .unwrap();
    match targets.resolve(&step).await.unwrap() {
        Resolution::Written(written) => {
            assert_eq!(written.created.as_deref(), Some(made.id.as_str()))
        }
        other => panic!("not written: {other:?}"),
    }
    assert_eq!(server.twin().writes().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_one_compare_and_set_patch_issue_14() {
    let server = twin(|_| {});
    let targets = targets(&server).await;
    let update = |department_before: &str| {
        step(
            KAI,
            Operation::Update {
                changes: vec![
                    Change {
                        attribute: "department".to_owned(),
                        before: text(department_before),
                        after: text("Research"),
                    },
                    Change {
                        attribute: "jobTitle".to_owned(),
                        before: StepValue::Absent,
                        after: text("Engineer"),
                    },
                    Change {
                        attribute: "accountEnabled".to_owned(),
                        before: text("true"),
                        after: text("false"),
                    },
                ],
            },
        )
    };
    // The department moved since it was read: a conflict naming it, nothing sent.
    match targets.write(&update("Marketing")).await {
        Err(TargetError::Conflict { reason }) => {
            assert!(reason.contains("`department` is `Sales`"), "{reason}");
        }
        other => panic!("not a conflict: {other:?}"),
    }
    assert!(server.twin().writes().is_empty());
    let planned = update("Sales");
    assert_eq!(
        targets.resolve(&planned).await.unwrap(),
        Resolution::NotWritten
    );
    targets.write(&planned).await.unwrap();
    let writes = server.twin().writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        serde_json::Value::Object(writes[0].body.clone()),
        json!({"department": "Research", "jobTitle": "Engineer", "accountEnabled": false})
    );
    assert!(matches!(
        targets.resolve(&planned).await.unwrap(),
        Resolution::Written(_)
    ));
    // Disabling alone is a `set` of a boolean.
    let enable = step(
        KAI,
        Operation::Set(Change {
            attribute: "accountEnabled".to_owned(),
            before: text("false"),
            after: text("true"),
        }),
    );
    targets.write(&enable).await.unwrap();
    let kai = server
        .snapshot()
        .users
        .into_iter()
        .find(|u| u.id == KAI)
        .unwrap();
    assert_eq!(kai.account_enabled, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_restore_compare_and_resolve_issue_14() {
    let server = twin(|_| {});
    let targets = targets(&server).await;
    let wrong = step(
        KAI,
        Operation::Delete {
            expected: vec![property(
                "onPremisesImmutableId",
                text("AgICAgICAgICAgICAgICAg=="),
            )],
        },
    );
    assert!(matches!(
        targets.write(&wrong).await,
        Err(TargetError::Conflict { .. })
    ));
    let delete = step(
        KAI,
        Operation::Delete {
            expected: vec![property(
                "onPremisesImmutableId",
                text("AQEBAQEBAQEBAQEBAQEBAQ=="),
            )],
        },
    );
    assert_eq!(
        targets.resolve(&delete).await.unwrap(),
        Resolution::NotWritten
    );
    targets.write(&delete).await.unwrap();
    assert!(matches!(
        targets.resolve(&delete).await.unwrap(),
        Resolution::Written(_)
    ));
    assert_eq!(server.snapshot().deleted_users.len(), 1);
    let restore = step(KAI, Operation::Restore);
    assert_eq!(
        targets.resolve(&restore).await.unwrap(),
        Resolution::NotWritten
    );
    targets.write(&restore).await.unwrap();
    assert!(matches!(
        targets.resolve(&restore).await.unwrap(),
        Resolution::Written(_)
    ));
    // Restoring an active user is a conflict: nothing sent.
    assert!(matches!(
        targets.write(&restore).await,
        Err(TargetError::Conflict { .. })
    ));
    let methods: Vec<&str> = server.twin().writes().iter().map(|w| w.method).collect();
    assert_eq!(methods, ["DELETE", "POST"]);
}
