//! `anchorsync sync` through the binary against the test Samba DC and a Graph twin (issue 14): every
//! test sync's prediction is compared with what the following `sync --apply` did to the twin.

use std::collections::HashMap;

use anchorsync_testkit::{TestDirectory, replace_text};
use serde_json::Value;

use crate::lab::*;

/// `[sync]` appended to a lab's configuration.
pub fn sync_config(lab: &Lab, section: &str) {
    let mut text = std::fs::read_to_string(&lab.config).unwrap();
    text.push_str("\n[sync]\n");
    text.push_str(section);
    std::fs::write(&lab.config, text).unwrap();
}

/// A test sync as JSON: its exit status and the plan.
pub fn test_sync(lab: &Lab, extra: &[&str]) -> (i32, Value) {
    let output = lab
        .anchorsync()
        .args(["sync", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let code = output.status.code().unwrap();
    assert!(code == 0 || code == 1, "{}", text(&output));
    (code, serde_json::from_slice(&output.stdout).unwrap())
}

/// `sync --apply --yes` writing its plan as JSON to a file: exit status, the plan, the output.
pub fn apply_sync(lab: &Lab, extra: &[&str]) -> (i32, Value, std::process::Output) {
    let path = lab.folder.path().join("applied.json");
    let output = lab
        .anchorsync()
        .args(["sync", "--apply", "--yes", "--format", "json", "-o"])
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    let plan = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    (output.status.code().unwrap(), plan, output)
}

/// The plan's users by objectGUID (users who left have one too: it comes from their link).
pub fn by_guid(plan: &Value) -> HashMap<String, Value> {
    plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            let guid = user["objectGuid"]
                .as_str()
                .or_else(|| user["link"]["objectGuid"].as_str())
                .unwrap()
                .to_owned();
            (guid, user.clone())
        })
        .collect()
}

/// The twin's users and deleted users, in Graph's JSON shape.
fn cloud_state(twin: &anchorsync_twin::TwinServer) -> (Vec<Value>, Vec<Value>) {
    let snapshot = serde_json::to_value(twin.snapshot()).unwrap();
    let list = |name: &str| snapshot[name].as_array().cloned().unwrap_or_default();
    (list("users"), list("deletedUsers"))
}

/// Asserts that the twin holds what `prediction` said the sync would do, user by user and property
/// by property, and that the apply decided exactly the prediction.
pub fn assert_applied_as_predicted(
    twin: &anchorsync_twin::TwinServer,
    prediction: &Value,
    applied: &Value,
) {
    assert_eq!(
        prediction["users"], applied["users"],
        "the apply decided something else than the test sync predicted"
    );
    let (users, deleted) = cloud_state(twin);
    for user in prediction["users"].as_array().unwrap() {
        let action = user["action"].as_str().unwrap();
        let find = |list: &[Value]| -> Option<Value> {
            list.iter()
                .find(|cloud| match user["cloudUserId"].as_str() {
                    Some(id) => cloud["id"] == id,
                    None => cloud["onPremisesImmutableId"] == user["sourceAnchor"],
                })
                .cloned()
        };
        match action {
            "delete" => {
                assert!(find(&deleted).is_some(), "not in deleted items: {user}");
                assert!(find(&users).is_none(), "still a user: {user}");
            }
            "create" | "join" | "update" | "enable" | "disable" | "restore" => {
                let cloud = find(&users).unwrap_or_else(|| panic!("no cloud user for {user}"));
                for change in user["changes"].as_array().unwrap() {
                    let property = change["property"].as_str().unwrap();
                    let now = match property.split_once('.') {
                        Some((outer, inner)) => cloud[outer][inner].clone(),
                        None => cloud[property].clone(),
                    };
                    let new = &change["new"];
                    let same = match property {
                        "userPrincipalName" => {
                            now.as_str().map(str::to_lowercase)
                                == new.as_str().map(str::to_lowercase)
                        }
                        _ => &now == new || (new.is_null() && (now == Value::Array(vec![]))),
                    };
                    assert!(same, "{property}: cloud has {now}, predicted {new}: {user}");
                }
                if action == "create" {
                    let holders = users
                        .iter()
                        .filter(|cloud| cloud["onPremisesImmutableId"] == user["sourceAnchor"])
                        .count();
                    assert_eq!(holders, 1, "one cloud user per AD user: {user}");
                }
            }
            "no-change" | "export-error" | "forget" => {}
            other => panic!("unknown action {other}"),
        }
    }
}

/// The actions of a plan by objectGUID.
fn actions(plan: &Value) -> HashMap<String, String> {
    by_guid(plan)
        .into_iter()
        .map(|(guid, user)| (guid, user["action"].as_str().unwrap().to_owned()))
        .collect()
}

/// One step of the lifecycle: a test sync predicting `expected` (action per AD user index), the
/// apply, and the comparison; then a test sync that finds nothing left to do.
fn step(
    twin: &anchorsync_twin::TwinServer,
    lab: &Lab,
    guids: &[String],
    expected: &[(usize, &str)],
) -> Value {
    let (code, prediction) = test_sync(lab, &[]);
    let actions = actions(&prediction);
    for (index, action) in expected {
        assert_eq!(
            actions.get(&guids[*index]).map(String::as_str),
            Some(*action),
            "user {index}: {prediction:#}"
        );
    }
    let pending = expected.iter().any(|(_, action)| *action != "no-change");
    assert_eq!(code, i32::from(pending), "{prediction:#}");
    let writes_before = twin.twin().writes().len();
    let (code, applied, output) = apply_sync(lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_applied_as_predicted(twin, &prediction, &applied);
    if !pending {
        assert_eq!(
            twin.twin().writes().len(),
            writes_before,
            "a sync in step wrote"
        );
    }
    let (code, after) = test_sync(lab, &[]);
    assert_eq!(code, 0, "still pending after the apply: {after:#}");
    prediction
}

fn guid_of(user: &Value) -> String {
    user["objectGuid"].as_str().unwrap().to_owned()
}

#[test]
fn lifecycle_each_prediction_is_what_the_apply_did_issue_14() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "synclife", 3));
    let (elsewhere, _) = runtime.block_on(ad_users(&directory, "synclifeout", 0));
    // A cloud-only user the sync must never touch.
    let twin = twin_with(
        tenant(vec![cloud_user(
            "70000000-0000-4000-8000-000000000001",
            &format!("cloudonly@{MANAGED}"),
            None,
        )]),
        |_| {},
    );
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    // Three users: any leaver is a third of them, beyond the default guard.
    sync_config(&lab, "leaving = \"delete\"\nmax_deletion_percent = 100\n");

    // Create: three POSTs, and each anchor written back to AD.
    let (code, first) = test_sync(&lab, &[]);
    assert_eq!(code, 1);
    let dns: Vec<&str> = ad.iter().map(|(dn, _)| dn.as_str()).collect();
    let mut guids = Vec::new();
    for dn in &dns {
        let user = first["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["dn"] == *dn)
            .unwrap_or_else(|| panic!("{dn} not in {first:#}"));
        guids.push(guid_of(user));
    }
    let first = step(
        &twin,
        &lab,
        &guids,
        &[(0, "create"), (1, "create"), (2, "create")],
    );
    let posts = twin
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "POST" && write.resource.starts_with("/users/"))
        .count();
    assert_eq!(posts, 3);
    // The cloud ids the creates made, by AD user.
    let (cloud_users, _) = cloud_state(&twin);
    let created: Vec<Value> = guids
        .iter()
        .map(|guid| {
            let anchor = &by_guid(&first)[guid]["sourceAnchor"];
            cloud_users
                .iter()
                .find(|cloud| &cloud["onPremisesImmutableId"] == anchor)
                .unwrap()["id"]
                .clone()
        })
        .collect();
    for (dn, user) in dns.iter().zip(first["users"].as_array().unwrap()) {
        assert!(user["anchorWriteback"].is_object(), "{user}");
        assert!(
            !runtime.block_on(anchor_of(&directory, dn)).is_empty(),
            "{dn}"
        );
    }
    // Nothing changed: a re-sync writes nothing.
    step(
        &twin,
        &lab,
        &guids,
        &[(0, "no-change"), (1, "no-change"), (2, "no-change")],
    );

    // Update: one property, old → new.
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        replace_text(&mut admin, dns[0], "department", &["Finance"]).await;
    });
    let update = step(&twin, &lab, &guids, &[(0, "update"), (1, "no-change")]);
    let user = &by_guid(&update)[&guids[0]];
    assert_eq!(
        user["changes"],
        serde_json::json!([{"property": "department", "old": null, "new": "Finance"}])
    );

    // Rename: a new UPN.
    let renamed = format!("renamed-{}@{MANAGED}", std::process::id());
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        replace_text(&mut admin, dns[1], "userPrincipalName", &[&renamed]).await;
    });
    let rename = step(&twin, &lab, &guids, &[(1, "update")]);
    assert_eq!(
        by_guid(&rename)[&guids[1]]["changes"][0]["new"],
        renamed.as_str()
    );

    // Disable, then enable again.
    let set_uac = |dn: &str, value: &str| {
        runtime.block_on(async {
            let mut admin = directory.admin().await;
            replace_text(&mut admin, dn, "userAccountControl", &[value]).await;
        });
    };
    set_uac(dns[2], "514");
    step(&twin, &lab, &guids, &[(2, "disable")]);
    set_uac(dns[2], "512");
    step(&twin, &lab, &guids, &[(2, "enable")]);

    // Out of scope (moved to another OU): deleted under `leaving = "delete"`; back in scope: restored.
    let moved = runtime.block_on(async {
        let mut admin = directory.admin().await;
        let rdn = dns[0].split(',').next().unwrap().to_owned();
        admin
            .modifydn(dns[0], &rdn, true, Some(&elsewhere))
            .await
            .unwrap()
            .success()
            .unwrap();
        format!("{rdn},{elsewhere}")
    });
    step(&twin, &lab, &guids, &[(0, "delete")]);
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        let rdn = moved.split(',').next().unwrap().to_owned();
        admin
            .modifydn(&moved, &rdn, true, Some(&ou))
            .await
            .unwrap()
            .success()
            .unwrap();
    });
    let back = step(&twin, &lab, &guids, &[(0, "restore")]);
    let cloud_id = by_guid(&back)[&guids[0]]["cloudUserId"].clone();
    assert_eq!(cloud_id, created[0]);

    // Deleted in AD: deleted in the cloud. Re-created in AD with the same anchor: restored, not
    // created again.
    let anchor = runtime.block_on(anchor_of(&directory, dns[2]));
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        admin.delete(dns[2]).await.unwrap().success().unwrap();
    });
    step(&twin, &lab, &guids, &[(2, "delete")]);
    let returned = runtime.block_on(async {
        let mut admin = directory.admin().await;
        let dn = directory
            .add_user(&mut admin, &ou, "User 2 again", "synclife2")
            .await;
        anchorsync_testkit::replace_bytes(&mut admin, &dn, "mS-DS-ConsistencyGuid", &[&anchor[0]])
            .await;
        dn
    });
    let (_, prediction) = test_sync(&lab, &[]);
    let user = prediction["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["dn"] == returned.as_str())
        .unwrap()
        .clone();
    assert_eq!(user["action"], "restore", "{user}");
    assert_eq!(user["cloudUserId"], created[2], "{user}");
    guids.push(guid_of(&user));
    step(&twin, &lab, &guids, &[(3, "restore")]);
    let posts_after = twin
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "POST" && write.resource.starts_with("/users/"))
        .count();
    assert_eq!(posts_after, 3, "a returning user was created again");

    // The cloud-only user was never written.
    assert!(twin.twin().writes().iter().all(|write| {
        !write
            .resource
            .contains("70000000-0000-4000-8000-000000000001")
    }));
    // Every apply is a sync run in `runs`.
    let runs = lab.runs();
    assert!(runs.iter().all(|run| run["kind"] == "sync"), "{runs:?}");
}
