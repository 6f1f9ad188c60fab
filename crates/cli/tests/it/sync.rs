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
pub fn cloud_state(twin: &anchorsync_twin::TwinServer) -> (Vec<Value>, Vec<Value>) {
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

/// An OU of `count` AD users, a twin, a lab, and a first sync that created them all.
pub fn synced_lab(
    directory: &TestDirectory,
    purpose: &str,
    count: usize,
    adjust: impl FnOnce(&mut anchorsync_twin::TwinConfig),
) -> (anchorsync_twin::TwinServer, Lab, String, Vec<String>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(directory, purpose, count));
    let twin = twin_with(tenant(vec![]), adjust);
    let lab = Lab::new(Some((directory, &ou)), Some(&twin));
    let (code, applied, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_eq!(applied["counts"]["create"], count, "{applied:#}");
    (twin, lab, ou, ad.into_iter().map(|(dn, _)| dn).collect())
}

#[test]
fn deletion_guard_refuses_sixty_percent_then_allow_deletions_lets_exactly_that_run_through_issue_14()
 {
    let directory = TestDirectory::from_env();
    let (twin, lab, _, dns) = synced_lab(&directory, "syncguard", 10, |_| {});
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (elsewhere, _) = runtime.block_on(ad_users(&directory, "syncguardout", 0));
    // A scope mistake: six of ten users moved out of the OU.
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        for dn in &dns[..6] {
            let rdn = dn.split(',').next().unwrap();
            admin
                .modifydn(dn, rdn, true, Some(&elsewhere))
                .await
                .unwrap()
                .success()
                .unwrap();
        }
    });
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1);
    assert_eq!(prediction["guard"]["verdict"], "refused", "{prediction:#}");
    assert_eq!(prediction["guard"]["deletions"], 6);
    let writes = twin.twin().writes().len();
    let (code, _, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 1, "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("deletion guard")
            || String::from_utf8_lossy(&output.stdout).contains("deletion guard"),
        "{}",
        text(&output)
    );
    assert_eq!(twin.twin().writes().len(), writes, "a refused run wrote");
    // Another number is refused too.
    let (code, _, _) = apply_sync(&lab, &["--allow-deletions", "5"]);
    assert_eq!(code, 1);
    assert_eq!(twin.twin().writes().len(), writes);

    let (code, applied, output) = apply_sync(&lab, &["--allow-deletions", "6"]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_eq!(applied["guard"]["verdict"], "allowed");
    assert_eq!(applied["counts"]["disable"], 6);
    assert_applied_as_predicted(&twin, &applied, &applied);
    let disabled = cloud_state(&twin)
        .0
        .iter()
        .filter(|user| user["accountEnabled"] == false)
        .count();
    assert_eq!(disabled, 6);

    // `undo` of the sync run enables them again.
    let runs = lab.runs();
    let last = runs.last().unwrap();
    assert_eq!(last["kind"], "sync");
    let undo = lab
        .anchorsync()
        .args(["undo", last["id"].as_str().unwrap(), "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    let disabled = cloud_state(&twin)
        .0
        .iter()
        .filter(|user| user["accountEnabled"] == false)
        .count();
    assert_eq!(disabled, 0);
}

/// `sync --apply --yes` run until it completes (a run that gave up on a request is resumed by the
/// next): the plan each attempt printed.
fn apply_until_done(lab: &Lab) -> Vec<Value> {
    let mut plans = Vec::new();
    let mut retried = false;
    for _ in 0..8 {
        let (code, plan, output) = apply_sync(lab, &[]);
        plans.push(plan);
        retried |= String::from_utf8_lossy(&output.stderr).contains("retrying");
        assert!(
            code != 0 || retried,
            "no 429 or 503 met: the storm did not happen"
        );
        match code {
            0 => return plans,
            2 => assert!(
                String::from_utf8_lossy(&output.stderr).contains("Run the command again"),
                "{}",
                text(&output)
            ),
            _ => panic!("{}", text(&output)),
        }
    }
    panic!("`sync --apply` did not complete in 8 attempts");
}

#[test]
fn a_429_storm_and_503s_during_a_sync_lose_nothing_issue_14() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "syncstorm", 8));
    let dns: Vec<&str> = ad.iter().map(|(dn, _)| dn.as_str()).collect();
    let twin = twin_with(tenant(vec![]), |config| {
        config.faults.throttle_rate = 0.3;
        config.faults.unavailable_rate = 0.15;
        config.faults.retry_after_seconds = 0;
    });
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    let attempts = apply_until_done(&lab);
    eprintln!("created in {} attempts", attempts.len());
    // Every user created once, each holding its own anchor.
    let (users, _) = cloud_state(&twin);
    assert_eq!(users.len(), dns.len());
    let posts = twin
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "POST")
        .count();
    assert_eq!(posts, dns.len());
    // Updates through the storm too: each PATCH once, all of them applied.
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        for dn in &dns {
            replace_text(&mut admin, dn, "title", &["Engineer"]).await;
        }
    });
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1);
    assert_eq!(prediction["counts"]["update"], dns.len());
    let before = twin.twin().writes().len();
    apply_until_done(&lab);
    let patches: Vec<String> = twin.twin().writes()[before..]
        .iter()
        .map(|write| write.resource.clone())
        .collect();
    let mut unique = patches.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        patches.len(),
        "a PATCH sent twice: {patches:?}"
    );
    assert_eq!(patches.len(), dns.len());
    let titles = cloud_state(&twin)
        .0
        .iter()
        .filter(|user| user["jobTitle"] == "Engineer")
        .count();
    assert_eq!(titles, dns.len());
    let (code, after) = test_sync(&lab, &[]);
    assert_eq!(code, 0, "{after:#}");
}

#[test]
fn a_malformed_sync_section_exits_2_naming_the_key_issue_14() {
    let twin = twin_with(tenant(vec![]), |_| {});
    for (section, key) in [
        ("max_deletion_percent = 150\n", "max_deletion_percent"),
        ("leaving = \"vanish\"\n", "leaving"),
        ("anchor_writebak = true\n", "anchor_writebak"),
        ("[sync.attributes]\nmail = \"{mail|lowr}\"\n", "mail"),
    ] {
        let lab = Lab::new(None, Some(&twin));
        sync_config(&lab, section);
        let users = lab.write("users.ldif", "");
        let output = lab
            .anchorsync()
            .args(["sync", "--ad"])
            .arg(&users)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{section}: {}",
            text(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{section}: {stderr}");
        assert!(twin.twin().writes().is_empty());
    }
}

#[test]
fn sync_apply_killed_at_20_moments_completes_with_each_write_once_and_no_duplicate_user_issue_14() {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    const KILLS: usize = 20;
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "synccrash", 32));
    // Four AD users have a cloud user with their UPN: joined by soft match (a PATCH), the other 28
    // are created (a POST each); every anchor is written back to AD.
    let cloud: Vec<Value> = ad[..4]
        .iter()
        .enumerate()
        .map(|(n, (_, upn))| {
            cloud_user(
                &format!("71000000-0000-4000-8000-0000000000{n:02}"),
                upn,
                None,
            )
        })
        .collect();
    let twin = twin_with(tenant(cloud), |config| {
        config.faults.latency = Duration::from_millis(20);
        config.faults.response_latency = anchorsync_twin::Latency::Fixed(Duration::from_millis(50));
    });
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    // Eight users' writes at once (issue 15's crash tests run at concurrency 8 or more), so a run
    // lasts several rounds of the twin's latency and the kills land inside it.
    let mut config = std::fs::read_to_string(&lab.config).unwrap();
    config.push_str("\n[runs]\nconcurrency = 8\n");
    std::fs::write(&lab.config, config).unwrap();
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1);
    let creates = prediction["counts"]["create"].as_u64().unwrap() as usize;
    let joins = prediction["counts"]["join"].as_u64().unwrap() as usize;
    assert_eq!(creates + joins, ad.len(), "{prediction:#}");
    assert!(joins >= 1 && creates >= 1, "{prediction:#}");

    let binary = assert_cmd::cargo::cargo_bin("anchorsync");
    let attempt = || {
        let mut command = Command::new(&binary);
        command
            .arg("--config")
            .arg(&lab.config)
            .arg("--data-dir")
            .arg(&lab.data)
            .args(["sync", "--apply", "--yes"])
            .env(SECRET_ENV, SECRET)
            .env("ANCHORSYNC_NO_PROGRESS", "1")
            .env_remove("ANCHORSYNC_CONFIG")
            .env_remove("ANCHORSYNC_DATA_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut moments = crate::crash::Moments(14);
    let mut killed = 0;
    let mut mid_run = 0;
    let mut completed = None;
    while killed < KILLS {
        let mut child = attempt().spawn().unwrap();
        if killed % 4 == 0 {
            std::thread::sleep(Duration::from_millis(moments.next_ms() % 600));
        } else {
            let target = twin.twin().writes().len() + 1 + (moments.next_ms() % 2) as usize;
            while twin.twin().writes().len() < target && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(moments.next_ms() % 45));
        }
        if child.try_wait().unwrap().is_some() {
            completed = Some(child.wait_with_output().unwrap());
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed += 1;
        let written = twin.twin().writes().len();
        if written > 0 && written < ad.len() {
            mid_run += 1;
        }
    }
    let output = match completed {
        Some(output) => output,
        None => attempt().output().unwrap(),
    };
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    eprintln!("killed {killed} times ({mid_run} in the middle of the run) before it completed");
    assert!(
        mid_run >= 5,
        "only {mid_run} of {killed} kills landed in the middle of the run"
    );

    // In sync now, and each AD user has exactly one cloud user, holding the anchor AD holds.
    let (code, after) = test_sync(&lab, &[]);
    assert_eq!(code, 0, "{after:#}");
    let (users, _) = cloud_state(&twin);
    assert_eq!(users.len(), ad.len(), "a duplicate cloud user");
    for (dn, _) in &ad {
        let anchor = runtime.block_on(anchor_of(&directory, dn));
        assert_eq!(anchor.len(), 1, "{dn}");
        let immutable_id =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &anchor[0]);
        let holders = users
            .iter()
            .filter(|user| user["onPremisesImmutableId"] == immutable_id.as_str())
            .count();
        assert_eq!(holders, 1, "{dn}");
    }
    // Each write reached the twin exactly once: one POST per create, no PATCH twice.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut posts = 0;
    for write in twin.twin().writes() {
        let key = if write.method == "POST" {
            posts += 1;
            (
                "POST".to_owned(),
                write.body["onPremisesImmutableId"].to_string(),
            )
        } else {
            (
                write.resource.clone(),
                Value::Object(write.body).to_string(),
            )
        };
        *seen.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "written more than once: {twice:?}");
    assert_eq!(posts, creates);
    // No run left unfinished.
    for run in lab.runs() {
        assert_eq!(run["kind"], "sync");
        assert_ne!(run["status"], "running", "{run}");
    }
}

/// The join invariant: every user the first `sync --apply` joins is joined to the cloud user `plan`
/// named, with the outcome `plan` predicted; created users are created once; flagged users are
/// export errors carrying the plan's reasons and are not written.
fn first_sync_keeps_plans_promise(generate: &[&str]) {
    let folder = tempfile::tempdir().unwrap();
    let generated = assert_cmd::Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("generate")
        .args(generate)
        .arg("--output")
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    let ldif = folder.path().join("ad.ldif");
    let snapshot_file = folder.path().join("tenant.json");
    let snapshot: anchorsync_core::tenant::TenantSnapshot =
        serde_json::from_slice(&std::fs::read(&snapshot_file).unwrap()).unwrap();
    let tenant_id = snapshot
        .on_premises_synchronization
        .as_ref()
        .map(|sync| sync.id.clone())
        .unwrap_or_else(|| TENANT.to_owned());
    let mut config = anchorsync_twin::TwinConfig::new(tenant_id.clone())
        .with_client(anchorsync_twin::AppClient::with_secret(APP, SECRET));
    // The invariant, not Graph's budget, is under test here (the benchmark measures the budget).
    config.throttling.enabled = false;
    let twin = anchorsync_twin::TwinServer::start(snapshot, config).unwrap();
    let lab = Lab::new(None, Some(&twin));
    let text_config = std::fs::read_to_string(&lab.config)
        .unwrap()
        .replace(TENANT, &tenant_id);
    std::fs::write(&lab.config, text_config).unwrap();
    sync_config(&lab, "anchor_writeback = false\n");

    let planned = lab
        .anchorsync()
        .args(["plan", "--format", "json", "--ad"])
        .arg(&ldif)
        .arg("--cloud")
        .arg(&snapshot_file)
        .output()
        .unwrap();
    assert!(
        matches!(planned.status.code(), Some(0 | 1)),
        "{}",
        text(&planned)
    );
    let plan: Value = serde_json::from_slice(&planned.stdout).unwrap();

    let applied_file = lab.folder.path().join("applied.json");
    let applied = lab
        .anchorsync()
        .args(["sync", "--apply", "--yes", "--format", "json", "--ad"])
        .arg(&ldif)
        .arg("-o")
        .arg(&applied_file)
        .output()
        .unwrap();
    assert!(
        matches!(applied.status.code(), Some(0 | 1)),
        "{}",
        text(&applied)
    );
    let sync: Value = serde_json::from_slice(&std::fs::read(&applied_file).unwrap()).unwrap();
    let records: HashMap<&str, &Value> = sync["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|user| Some((user["dn"].as_str()?, user)))
        .collect();
    let (cloud, _) = cloud_state(&twin);
    let mut by_anchor: HashMap<String, Vec<Value>> = HashMap::new();
    for user in &cloud {
        if let Some(anchor) = user["onPremisesImmutableId"].as_str() {
            by_anchor
                .entry(anchor.to_owned())
                .or_default()
                .push(user["id"].clone());
        }
    }
    let holders = |anchor: &Value| {
        anchor
            .as_str()
            .and_then(|anchor| by_anchor.get(anchor))
            .cloned()
            .unwrap_or_default()
    };
    let written: std::collections::HashSet<String> = twin
        .twin()
        .writes()
        .iter()
        .map(|write| write.resource.clone())
        .collect();
    let mut by_outcome: HashMap<String, usize> = HashMap::new();
    for user in plan["users"].as_array().unwrap() {
        let dn = user["dn"].as_str().unwrap();
        let outcome = user["outcome"].as_str().unwrap();
        *by_outcome.entry(outcome.to_owned()).or_default() += 1;
        let record = records
            .get(dn)
            .unwrap_or_else(|| panic!("{dn} not in the sync"));
        // The values of a user the engine matches or creates may still be refused (Graph would
        // refuse the write): an export error that is not the plan's, with nothing written.
        if record["action"] == "export-error"
            && record["exportErrors"][0]["code"] != "plan-outcome"
            && !outcome_needs_attention(outcome)
        {
            if let Some(id) = user["cloudUserId"].as_str() {
                assert!(
                    !written.contains(&format!("/users/{id}")),
                    "{dn}: {id} written"
                );
            }
            *by_outcome.entry("refused-values".to_owned()).or_default() += 1;
            continue;
        }
        match outcome {
            "hard-match" | "soft-match-smtp" | "soft-match-upn" => {
                assert_eq!(record["action"], "join", "{dn}: {record}");
                assert_eq!(record["newLink"]["outcome"], outcome, "{dn}: {record}");
                assert_eq!(record["cloudUserId"], user["cloudUserId"], "{dn}: {record}");
                assert_eq!(
                    holders(&user["sourceAnchor"]),
                    vec![user["cloudUserId"].clone()],
                    "{dn}"
                );
            }
            "create" => {
                assert_eq!(record["action"], "create", "{dn}: {record}");
                assert_eq!(holders(&user["sourceAnchor"]).len(), 1, "{dn}");
            }
            _ => {
                assert_eq!(record["action"], "export-error", "{dn}: {record}");
                let error = &record["exportErrors"][0];
                assert_eq!(error["outcome"], outcome, "{dn}: {record}");
                let reasons: Vec<&str> = user["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|reason| reason.as_str().unwrap())
                    .collect();
                assert_eq!(error["message"], reasons.join(" "), "{dn}: {record}");
                if let Some(id) = user["cloudUserId"].as_str() {
                    assert!(
                        !written.contains(&format!("/users/{id}")),
                        "{dn}: {id} written"
                    );
                }
            }
        }
    }
    // The apply wrote every write it planned: none refused, none in conflict.
    let runs = lab.runs();
    let run = runs.last().unwrap();
    assert_eq!(run["kind"], "sync");
    assert_eq!(run["counts"]["failed"], 0, "{run}");
    assert_eq!(run["counts"]["conflict"], 0, "{run}");
    eprintln!("join invariant held for {by_outcome:?}");
    assert!(
        by_outcome.len() >= 5,
        "too few outcomes to prove much: {by_outcome:?}"
    );

    // `sync status` keeps the flagged users' export errors and the run.
    let status = lab
        .anchorsync()
        .args(["sync", "status", "--format", "json", "--ad"])
        .arg(&ldif)
        .output()
        .unwrap();
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "{}",
        text(&status)
    );
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["lastRun"]["kind"], "sync", "{status:#}");
    assert_eq!(
        status["exportErrors"].as_array().unwrap().len(),
        sync["counts"]["exportError"].as_u64().unwrap() as usize
    );
    assert_eq!(
        status["links"]["total"].as_u64().unwrap() as usize,
        sync["counts"]["join"].as_u64().unwrap() as usize
            + sync["counts"]["create"].as_u64().unwrap() as usize
    );
}

#[test]
fn first_sync_joins_the_demo_users_as_plan_predicted_issue_14() {
    first_sync_keeps_plans_promise(&["--demo"]);
}

#[test]
fn first_sync_joins_10000_generated_users_as_plan_predicted_issue_14() {
    first_sync_keeps_plans_promise(&["--users", "10000", "--seed", "14"]);
}

fn outcome_needs_attention(outcome: &str) -> bool {
    !matches!(
        outcome,
        "hard-match" | "soft-match-smtp" | "soft-match-upn" | "create"
    )
}

#[test]
fn a_test_sync_of_files_writes_html_csv_and_table_and_nothing_else_issue_14() {
    let folder = tempfile::tempdir().unwrap();
    let generated = assert_cmd::Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["generate", "--demo", "--output"])
        .arg(folder.path())
        .output()
        .unwrap();
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    let lab = Lab::new(None, None);
    let ldif = folder.path().join("ad.ldif");
    let snapshot = folder.path().join("tenant.json");
    let run = |format: &str, output: &str| {
        let path = lab.folder.path().join(output);
        let result = lab
            .anchorsync()
            .args(["sync", "--format", format, "--ad"])
            .arg(&ldif)
            .arg("--cloud")
            .arg(&snapshot)
            .arg("-o")
            .arg(&path)
            .output()
            .unwrap();
        // Changes are pending on a first sync: exit 1.
        assert_eq!(result.status.code(), Some(1), "{}", text(&result));
        std::fs::read_to_string(path).unwrap()
    };
    let html = run("html", "sync.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("anchorsync sync"));
    assert!(html.contains("default-src &#39;none&#39;"));
    assert!(!html.contains("<script"));
    let json: Value = serde_json::from_str(&run("json", "sync.json")).unwrap();
    let first_dn = json["users"][0]["dn"].as_str().unwrap();
    assert!(
        html.contains(&first_dn.replace('&', "&amp;")) || json["users"][0]["action"] == "no-change"
    );
    let csv = run("csv", "sync.csv");
    assert!(csv.starts_with("\u{feff}dn,objectGuid,cloudUserId,userPrincipalName,action,property,old,new,kind,message\r\n"), "{}", &csv[..200]);
    let table = run("table", "sync.txt");
    assert!(table.contains("create"), "{table}");
    // A test sync keeps nothing: no journal was made.
    assert!(!lab.data.join("anchorsync.db").exists());
}

#[test]
fn undo_of_a_sync_run_deletes_the_users_it_created_and_the_next_sync_restores_them_issue_14() {
    let directory = TestDirectory::from_env();
    let (twin, lab, _, dns) = synced_lab(&directory, "syncundo", 2, |_| {});
    let runs = lab.runs();
    let run = runs.last().unwrap();
    assert_eq!(run["kind"], "sync");
    let undo = lab
        .anchorsync()
        .args(["undo", run["id"].as_str().unwrap(), "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    let (users, deleted) = cloud_state(&twin);
    assert!(users.is_empty(), "{users:?}");
    assert_eq!(deleted.len(), dns.len());
    // The created users wait in deleted items: the next sync restores them, never creates again.
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1);
    assert_eq!(prediction["counts"]["restore"], dns.len(), "{prediction:#}");
    assert_eq!(prediction["counts"]["create"], 0);
    let (code, applied, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_applied_as_predicted(&twin, &prediction, &applied);
    let posts = twin
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "POST" && write.resource.starts_with("/users/"))
        .count();
    assert_eq!(posts, dns.len(), "created again");
}
