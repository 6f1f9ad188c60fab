//! `anchorsync sync` through the binary against the test Samba DC and a Graph twin (issue 14): the
//! `[sync.attributes]` overrides and the `usage_location` default, `leaving = "keep"`, and a tenant
//! whose new users answer 404 for a while (Entra's replication lag).

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use anchorsync_testkit::{TestDirectory, replace_text};
use anchorsync_twin::{AppClient, Clock, TwinConfig, TwinServer};
use serde_json::Value;

use crate::lab::*;
use crate::sync::{
    apply_sync, assert_applied_as_predicted, by_guid, cloud_state, sync_config, synced_lab,
    test_sync,
};

/// The cloud user holding `anchor` as onPremisesImmutableId.
fn cloud_user_with_anchor(twin: &TwinServer, anchor: &Value) -> Value {
    let (users, _) = cloud_state(twin);
    let holders: Vec<&Value> = users
        .iter()
        .filter(|user| &user["onPremisesImmutableId"] == anchor)
        .collect();
    assert_eq!(holders.len(), 1, "one cloud user per anchor {anchor}");
    holders[0].clone()
}

#[test]
fn sync_attribute_overrides_and_the_usage_location_default_reach_the_twin_issue_14() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "syncattr", 1));
    let dn = ad[0].0.clone();
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        replace_text(&mut admin, &dn, "givenName", &["Taro"]).await;
        replace_text(&mut admin, &dn, "sn", &["Yamada"]).await;
        replace_text(&mut admin, &dn, "mail", &["Taro.Yamada@Example.COM"]).await;
        replace_text(&mut admin, &dn, "title", &["  engineer "]).await;
        replace_text(&mut admin, &dn, "company", &["Yamada Shoji"]).await;
        replace_text(&mut admin, &dn, "physicalDeliveryOfficeName", &["Tokyo 3F"]).await;
    });
    let twin = twin_with(tenant(vec![]), |_| {});
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    sync_config(
        &lab,
        "usage_location = \"JP\"\n\n[sync.attributes]\ndisplayName = \"{givenName} {sn}\"\n\
         mail = \"{mail|lower}\"\njobTitle = \"{title|upper}\"\ncompanyName = \"Contoso Ltd\"\n\
         officeLocation = false\n",
    );

    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1, "{prediction:#}");
    let (code, applied, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_applied_as_predicted(&twin, &prediction, &applied);
    let user = &applied["users"][0];
    assert_eq!(user["action"], "create", "{user}");
    let cloud = cloud_user_with_anchor(&twin, &user["sourceAnchor"]);
    // A template, two transforms, a constant instead of AD's `company`.
    assert_eq!(cloud["displayName"], "Taro Yamada", "{cloud}");
    assert_eq!(cloud["mail"], "taro.yamada@example.com", "{cloud}");
    assert_eq!(cloud["jobTitle"], "ENGINEER", "{cloud}");
    assert_eq!(cloud["companyName"], "Contoso Ltd", "{cloud}");
    // Not managed: AD's physicalDeliveryOfficeName is never sent.
    assert!(cloud["officeLocation"].is_null(), "{cloud}");
    // No AD attribute for usageLocation is configured: the default.
    assert_eq!(cloud["usageLocation"], "JP", "{cloud}");
    let post = twin
        .twin()
        .writes()
        .into_iter()
        .find(|write| write.method == "POST")
        .unwrap();
    assert!(
        !format!("{post:?}").contains("Tokyo 3F"),
        "a property that is not managed was sent: {post:?}"
    );

    // A change in an attribute the template reads updates displayName (and surname, its default
    // rule); one in an attribute that is not managed writes nothing.
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        replace_text(&mut admin, &dn, "sn", &["Suzuki"]).await;
        replace_text(&mut admin, &dn, "physicalDeliveryOfficeName", &["Osaka 1F"]).await;
    });
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1, "{prediction:#}");
    let user = &prediction["users"][0];
    assert_eq!(user["action"], "update", "{user}");
    assert_eq!(
        user["changes"],
        serde_json::json!([
            {"property": "displayName", "old": "Taro Yamada", "new": "Taro Suzuki"},
            {"property": "surname", "old": "Yamada", "new": "Suzuki"}
        ]),
        "{user}"
    );
    let (code, applied, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_applied_as_predicted(&twin, &prediction, &applied);
    let cloud = cloud_user_with_anchor(&twin, &user["sourceAnchor"]);
    assert_eq!(cloud["displayName"], "Taro Suzuki", "{cloud}");
    assert!(cloud["officeLocation"].is_null(), "{cloud}");
    let (code, after) = test_sync(&lab, &[]);
    assert_eq!(code, 0, "still pending: {after:#}");
}

#[test]
fn sync_leaving_keep_writes_nothing_for_a_user_out_of_scope_issue_14() {
    let directory = TestDirectory::from_env();
    let (twin, lab, _, dns) = synced_lab(&directory, "synckeep", 3, |_| {});
    // One of three users leaving is beyond the default 10 %; the guard is not what is tested here.
    sync_config(&lab, "leaving = \"keep\"\nmax_deletion_percent = 100\n");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (elsewhere, _) = runtime.block_on(ad_users(&directory, "synckeepout", 0));
    let (_, before) = test_sync(&lab, &[]);
    let guid = by_guid(&before)
        .into_iter()
        .find(|(_, user)| user["dn"] == dns[0].as_str())
        .map(|(guid, _)| guid)
        .unwrap();
    let cloud_id = by_guid(&before)[&guid]["cloudUserId"].clone();
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        let rdn = dns[0].split(',').next().unwrap();
        admin
            .modifydn(&dns[0], rdn, true, Some(&elsewhere))
            .await
            .unwrap()
            .success()
            .unwrap();
    });

    let (code, prediction) = test_sync(&lab, &[]);
    let user = by_guid(&prediction)[&guid].clone();
    assert_eq!(user["leaving"], true, "{user}");
    assert_eq!(user["action"], "no-change", "{user}");
    assert!(
        user["notes"].to_string().contains("policy `keep`"),
        "{user}"
    );
    assert_eq!(code, 0, "{prediction:#}");
    let writes = twin.twin().writes().len();
    let (code, applied, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_eq!(applied["counts"]["disable"], 0, "{applied:#}");
    assert_eq!(applied["counts"]["delete"], 0, "{applied:#}");
    assert_eq!(twin.twin().writes().len(), writes, "`keep` wrote");
    let (users, deleted) = cloud_state(&twin);
    let cloud = users
        .iter()
        .find(|cloud| cloud["id"] == cloud_id)
        .unwrap_or_else(|| panic!("the kept user is gone: {users:?}"));
    assert_eq!(cloud["accountEnabled"], true, "{cloud}");
    assert!(deleted.is_empty(), "{deleted:?}");
}

/// A twin whose clock stands still, so that a new user stays 404 until the test moves it.
fn lagging_twin() -> TwinServer {
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    config.replication_lag = Duration::from_secs(60);
    let clock = Clock::manual(std::time::UNIX_EPOCH + Duration::from_secs(1_767_225_600));
    TwinServer::start_with_clock(tenant(vec![]), config, clock).unwrap()
}

#[test]
fn sync_right_after_the_creates_rides_the_replication_lag_without_duplicates_issue_14() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "synclag", 3));
    let twin = lagging_twin();
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    let (code, created, output) = apply_sync(&lab, &[]);
    assert_eq!(code, 0, "{}", text(&output));
    assert_eq!(created["counts"]["create"], 3, "{created:#}");

    // The new users are not replicated yet (the twin's clock stands still) when the next sync
    // updates them.
    runtime.block_on(async {
        let mut admin = directory.admin().await;
        for (dn, _) in &ad {
            replace_text(&mut admin, dn, "department", &["Finance"]).await;
        }
    });
    let (code, prediction) = test_sync(&lab, &[]);
    assert_eq!(code, 1, "{prediction:#}");
    assert_eq!(prediction["counts"]["update"], 3, "{prediction:#}");
    let plan_file = lab.folder.path().join("lagging.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("anchorsync"))
        .arg("--config")
        .arg(&lab.config)
        .arg("--data-dir")
        .arg(&lab.data)
        .args(["sync", "--apply", "--yes", "--format", "json", "-o"])
        .arg(&plan_file)
        .env(SECRET_ENV, SECRET)
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .env("ANCHORSYNC_LOG", "info")
        .env_remove("ANCHORSYNC_CONFIG")
        .env_remove("ANCHORSYNC_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Replication catches up once the sync has met a 404 and waits for it.
    let mut stderr = Vec::new();
    let mut waited = false;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if !waited && line.contains("waiting for Entra's replication") {
            waited = true;
            assert!(twin.clock().advance(Duration::from_secs(120)));
        }
        stderr.push(line);
    }
    let status = child.wait().unwrap();
    let stderr = stderr.join("\n");
    assert!(waited, "no 404 met: {stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let applied: Value = serde_json::from_slice(&std::fs::read(&plan_file).unwrap()).unwrap();
    assert_applied_as_predicted(&twin, &prediction, &applied);

    // Every AD user has one cloud user, created once, holding the update.
    let (users, _) = cloud_state(&twin);
    assert_eq!(users.len(), 3, "{users:?}");
    assert!(
        users.iter().all(|user| user["department"] == "Finance"),
        "{users:?}"
    );
    let posts = twin
        .twin()
        .writes()
        .iter()
        .filter(|write| write.method == "POST")
        .count();
    assert_eq!(posts, 3);
    let (code, after) = test_sync(&lab, &[]);
    assert_eq!(code, 0, "still pending: {after:#}");
}
