//! `anchorsync apply`, `undo`, `runs` and `tenant` through the binary, against the test Samba DC and
//! Graph twins (issue 6). Plans are written by hand in the documented format.

use anchorsync_testkit::TestDirectory;
use serde_json::{Value, json};

use crate::lab::*;

/// Two AD users and two cloud users; a plan that sets both anchors in AD and, per cloud user,
/// changes (`change`) or clears its ImmutableID `immutable_id(base + i)`.
struct Mixed {
    twin: anchorsync_twin::TwinServer,
    lab: Lab,
    users: Vec<(String, String)>,
    ids: Vec<String>,
    plan_file: std::path::PathBuf,
}

async fn mixed(directory: &TestDirectory, purpose: &str, base: u32, change: bool) -> Mixed {
    let (ou, users) = ad_users(directory, purpose, 2).await;
    let ids: Vec<String> = (1..=2)
        .map(|n| format!("{base:08}-0000-4000-8000-00000000000{n}"))
        .collect();
    let cloud: Vec<Value> = ids
        .iter()
        .zip(base..)
        .map(|(id, n)| {
            cloud_user(
                id,
                &format!("{purpose}{n}@{MANAGED}"),
                Some(&immutable_id(n)),
            )
        })
        .collect();
    let twin = twin_with(tenant(cloud), |_| {});
    let lab = Lab::new(Some((directory, &ou)), Some(&twin));
    let mut steps: Vec<(&str, Vec<Value>)> = Vec::new();
    for (((dn, upn), id), n) in users.iter().zip(&ids).zip(base..) {
        let cloud = if change {
            cloud_step(
                id,
                upn,
                "onPremisesImmutableId",
                Some(&immutable_id(n)),
                Some(&immutable_id(n + 10)),
                "set-immutable-id",
            )
        } else {
            cloud_step(
                id,
                upn,
                "onPremisesImmutableId",
                Some(&immutable_id(n)),
                None,
                "clear-immutable-id",
            )
        };
        steps.push((
            dn.as_str(),
            vec![set_anchor(dn, upn, None, &guid_bytes(n + 10)), cloud],
        ));
    }
    let strategy = if change { "hard-cloud" } else { "soft" };
    let plan_file = lab.write("plan.json", &plan(strategy, &steps));
    Mixed {
        twin,
        lab,
        users,
        ids,
        plan_file,
    }
}

fn outcomes(plan: &Value) -> Vec<String> {
    plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["outcome"].as_str().unwrap().to_owned())
        .collect()
}

fn plan_json(lab: &Lab, cloud: &str) -> Value {
    let output = lab
        .anchorsync()
        .args(["plan", "--ad", "ad", "--cloud", cloud, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn step_states(report: &Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["state"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_ad_on_the_dc_then_plan_reports_hard_match_and_undo_restores_issue_6() {
    let directory = TestDirectory::from_env();
    let (ou, users) = ad_users(&directory, "hardad", 2).await;
    let cloud: Vec<Value> = (0..2)
        .map(|n| {
            cloud_user(
                &format!("10000000-0000-4000-8000-00000000000{n}"),
                &format!("cloud{n}@{MANAGED}"),
                Some(&immutable_id(100 + n)),
            )
        })
        .collect();
    let lab = Lab::new(Some((&directory, &ou)), None);
    let tenant_file = lab.write(
        "tenant.json",
        &serde_json::to_string(&tenant(cloud)).unwrap(),
    );
    let before = plan_json(&lab, tenant_file.to_str().unwrap());
    assert_eq!(outcomes(&before), ["create", "create"]);

    let steps: Vec<(&str, Vec<Value>)> = users
        .iter()
        .zip(100u32..)
        .map(|((dn, upn), n)| (dn.as_str(), vec![set_anchor(dn, upn, None, &guid_bytes(n))]))
        .collect();
    let plan_file = lab.write("plan.json", &plan("hard-ad", &steps));

    // A plan that writes outside the configured scope is refused before anything is read.
    let outside = lab.write(
        "outside.json",
        &plan(
            "hard-ad",
            &[(
                "CN=Someone,CN=Users,DC=corp,DC=example,DC=com",
                vec![set_anchor(
                    "CN=Someone,CN=Users,DC=corp,DC=example,DC=com",
                    "someone",
                    None,
                    &guid_bytes(199),
                )],
            )],
        ),
    );
    let refused = lab.apply(&outside, &["--yes"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("outside the configured `[ad]` base DNs"),
        "{}",
        text(&refused)
    );

    // A dry run reads, writes and journals nothing.
    let dry = lab.apply(&plan_file, &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(stdout.contains("2 users, 2 steps"), "{stdout}");
    assert!(
        stdout.contains("dry run: nothing was read, changed or journaled"),
        "{stdout}"
    );
    assert!(lab.runs().is_empty());
    assert!(anchor_of(&directory, &users[0].0).await.is_empty());

    let applied = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    for ((dn, _), n) in users.iter().zip(100u32..) {
        assert_eq!(
            anchor_of(&directory, dn).await,
            vec![guid_bytes(n).to_vec()]
        );
    }
    // `plan` reads AD live again: both users now hard-match.
    let after = plan_json(&lab, tenant_file.to_str().unwrap());
    assert_eq!(outcomes(&after), ["hard-match", "hard-match"]);

    let runs = lab.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["kind"], "apply");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["counts"]["done"], 2);
    let report = lab.report(runs[0]["id"].as_str().unwrap());
    assert_eq!(report["steps"][0]["replaced"], Value::Null);
    assert_eq!(
        report["steps"][0]["after"]["base64"],
        immutable_id(100).as_str()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let path = lab
            .data
            .join("runs")
            .join(format!("{}.json", runs[0]["id"].as_str().unwrap()));
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the report is readable by its owner only");
    }

    // Applying the same plan again resumes nothing (the run is finished) and is refused as stale.
    let again = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));

    // Undo clears both values again.
    let id = runs[0]["id"].as_str().unwrap().to_owned();
    let undo = lab
        .anchorsync()
        .args(["undo", &id, "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    for (dn, _) in &users {
        assert!(anchor_of(&directory, dn).await.is_empty());
    }
    let undone = lab
        .anchorsync()
        .args(["undo", &id, "--yes"])
        .output()
        .unwrap();
    assert_eq!(undone.status.code(), Some(2), "{}", text(&undone));
    assert!(
        String::from_utf8_lossy(&undone.stderr).contains("was already undone by run"),
        "{}",
        text(&undone)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_on_the_twin_then_plan_reports_soft_match_issue_6() {
    let directory = TestDirectory::from_env();
    let (ou, users) = ad_users(&directory, "soft", 2).await;
    let ids: Vec<String> = (0..2)
        .map(|n| format!("20000000-0000-4000-8000-00000000000{n}"))
        .collect();
    let cloud: Vec<Value> = users
        .iter()
        .zip(&ids)
        .zip(200u32..)
        .map(|(((_, upn), id), n)| cloud_user(id, upn, Some(&immutable_id(n))))
        .collect();
    let twin = twin_with(tenant(cloud), |_| {});
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    let before = plan_json(&lab, "graph");
    assert_eq!(
        outcomes(&before),
        ["invalid-soft-match", "invalid-soft-match"]
    );

    let steps: Vec<(&str, Vec<Value>)> = users
        .iter()
        .zip(&ids)
        .zip(200u32..)
        .map(|(((dn, upn), id), n)| {
            (
                dn.as_str(),
                vec![cloud_step(
                    id,
                    upn,
                    "onPremisesImmutableId",
                    Some(&immutable_id(n)),
                    None,
                    "clear-immutable-id",
                )],
            )
        })
        .collect();
    let plan_file = lab.write("plan.json", &plan("soft", &steps));
    let applied = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    for id in &ids {
        assert_eq!(cloud_now(&twin, id).1, None);
    }
    // Cleared with an explicit null, once per user.
    let writes = twin.twin().writes();
    assert_eq!(writes.len(), 2);
    assert!(
        writes
            .iter()
            .all(|write| write.body["onPremisesImmutableId"].is_null())
    );
    let after = plan_json(&lab, "graph");
    assert_eq!(outcomes(&after), ["soft-match-upn", "soft-match-upn"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_cloud_on_a_federated_user_restores_the_upn_when_interrupted_issue_6() {
    let id = "30000000-0000-4000-8000-000000000001";
    let upn = format!("taro@{FEDERATED}");
    let old = immutable_id(300);
    let new = immutable_id(301);
    let seed = || tenant(vec![cloud_user(id, &upn, Some(&old))]);
    let dn = "CN=Taro,OU=Staff,DC=corp,DC=example,DC=com";

    // The twin refuses to change a federated user's ImmutableID in place: one step is not enough.
    let twin = twin_with(seed(), |_| {});
    let lab = Lab::new(None, Some(&twin));
    let direct = lab.write(
        "direct.json",
        &plan(
            "hard-cloud",
            &[(
                dn,
                vec![cloud_step(
                    id,
                    &upn,
                    "onPremisesImmutableId",
                    Some(&old),
                    Some(&new),
                    "set-immutable-id",
                )],
            )],
        ),
    );
    let output = lab.apply(&direct, &["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("federated domain"),
        "{}",
        text(&output)
    );
    assert_eq!(cloud_now(&twin, id), (Some(upn.clone()), Some(old.clone())));

    // The workaround, interrupted in the middle: the ImmutableID PATCH fails (injected), and the UPN is
    // moved back all the same.
    let plan_text = plan(
        "hard-cloud",
        &[(dn, federated_steps(id, &upn, Some(&old), &new))],
    );
    let failing = twin_with(seed(), |config| {
        config.faults.fail_properties = vec!["onPremisesImmutableId".to_owned()];
    });
    let lab = Lab::new(None, Some(&failing));
    let plan_file = lab.write("plan.json", &plan_text);
    let dry = lab.apply(&plan_file, &[]);
    assert!(
        String::from_utf8_lossy(&dry.stdout)
            .contains(&format!("`{upn}` → `taro@{INITIAL}` and back")),
        "{}",
        text(&dry)
    );
    let output = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        cloud_now(&failing, id),
        (Some(upn.clone()), Some(old.clone()))
    );
    let writes = failing.twin().writes();
    let upns: Vec<&Value> = writes
        .iter()
        .map(|write| &write.body["userPrincipalName"])
        .collect();
    assert_eq!(upns, [&json!(format!("taro@{INITIAL}")), &json!(upn)]);
    assert_eq!(step_states(&lab.last_report()), ["done", "failed", "done"]);

    // Without the fault: all three steps, and undo puts the old value back the same way.
    let twin = twin_with(seed(), |_| {});
    let lab = Lab::new(None, Some(&twin));
    let plan_file = lab.write("plan.json", &plan_text);
    let output = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(cloud_now(&twin, id), (Some(upn.clone()), Some(new.clone())));
    assert_eq!(twin.twin().writes().len(), 3);
    let run = lab.runs()[0]["id"].as_str().unwrap().to_owned();
    let undo = lab.anchorsync().args(["undo", &run]).output().unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    assert_eq!(twin.twin().writes().len(), 3, "a dry run writes nothing");
    let undo = lab
        .anchorsync()
        .args(["undo", &run, "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    assert_eq!(cloud_now(&twin, id), (Some(upn.clone()), Some(old.clone())));
    let report = lab.last_report();
    let purposes: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(
        purposes,
        [
            "federated-upn-away",
            "set-immutable-id",
            "federated-upn-back"
        ]
    );
    assert_eq!(report["run"]["undoes"], run.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_refuses_to_overwrite_a_later_change_issue_6() {
    let directory = TestDirectory::from_env();
    let Mixed {
        twin,
        lab,
        users,
        ids,
        plan_file,
    } = mixed(&directory, "undo", 400, true).await;
    let applied = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    let run = lab.runs()[0]["id"].as_str().unwrap().to_owned();

    // Later, someone changes the second user on both sides.
    let mut admin = directory.admin().await;
    let later = guid_bytes(499);
    anchorsync_testkit::replace_bytes(&mut admin, &users[1].0, "mS-DS-ConsistencyGuid", &[&later])
        .await;
    let client = anchorsync_graph::GraphClient::new(
        anchorsync_graph::ClientSettings::new(
            TENANT,
            APP,
            anchorsync_graph::Credential::Secret(anchorsync_core::secret::Secret::new(SECRET)),
        )
        .endpoints(&twin.root_url(), &twin.base_url()),
    )
    .unwrap();
    client
        .set_immutable_id(
            &anchorsync_graph::UserKey::Id(ids[1].clone()),
            Some(&immutable_id(498)),
        )
        .await
        .unwrap();

    let undo = lab
        .anchorsync()
        .args(["undo", &run, "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(1), "{}", text(&undo));
    let stdout = String::from_utf8_lossy(&undo.stdout);
    assert!(stdout.contains("completed-with-errors"), "{stdout}");
    // The first user is back where it was; the second keeps the later values.
    assert!(anchor_of(&directory, &users[0].0).await.is_empty());
    assert_eq!(cloud_now(&twin, &ids[0]).1, Some(immutable_id(400)));
    assert_eq!(
        anchor_of(&directory, &users[1].0).await,
        vec![later.to_vec()]
    );
    assert_eq!(cloud_now(&twin, &ids[1]).1, Some(immutable_id(498)));
    let report = lab.last_report();
    // Newest first: user 2's cloud and AD steps, then user 1's.
    assert_eq!(
        step_states(&report),
        ["conflict", "skipped", "done", "done"]
    );
    assert!(
        report["steps"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&immutable_id(498)),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_plan_is_refused_with_nothing_written_issue_6() {
    let directory = TestDirectory::from_env();
    let Mixed {
        twin,
        lab,
        users,
        plan_file,
        ..
    } = mixed(&directory, "stale", 500, false).await;
    // The second user's anchor was set since the plan was made.
    let mut admin = directory.admin().await;
    let since = guid_bytes(599);
    anchorsync_testkit::replace_bytes(&mut admin, &users[1].0, "mS-DS-ConsistencyGuid", &[&since])
        .await;

    let output = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("refused: 1 value is no longer what the plan expects"),
        "{stdout}"
    );
    assert!(stdout.contains(&users[1].0), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "ad `mS-DS-ConsistencyGuid` should be `(empty)` but is `0x{}`",
            guid_bytes(599)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )),
        "{stdout}"
    );
    assert!(
        twin.twin().writes().is_empty(),
        "nothing written to the tenant"
    );
    assert!(
        anchor_of(&directory, &users[0].0).await.is_empty(),
        "nor to AD"
    );
    let runs = lab.runs();
    assert_eq!(runs[0]["status"], "refused");
    let report = lab.report(runs[0]["id"].as_str().unwrap());
    assert_eq!(report["stale"][0]["userDn"], users[1].0.as_str());
    assert_eq!(report["stale"][0]["expected"], Value::Null);
}

#[test]
fn a_bad_plan_is_an_error_naming_file_line_and_user_and_nothing_happens_issue_6() {
    // No servers configured: a bad plan is refused before anything would connect.
    let lab = Lab::new(None, None);
    let bad = lab.write(
        "plan.json",
        &plan(
            "hard-ad",
            &[(
                "CN=Hanako,DC=corp",
                vec![
                    json!({"system": "ad", "target": "CN=Hanako,DC=corp", "label": "hanako",
                            "attribute": "mS-DS-ConsistencyGuid", "before": null,
                            "after": {"base64": "not base64!"}, "purpose": "set-anchor"}),
                ],
            )],
        ),
    );
    let output = lab.apply(&bad, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plan.json` line "), "{stderr}");
    assert!(stderr.contains("(user `CN=Hanako,DC=corp`)"), "{stderr}");
    assert!(
        stderr.contains("hint: `apply` takes the JSON of"),
        "{stderr}"
    );
    assert!(!lab.data.exists(), "nothing journaled");

    let short = lab.write(
        "short.json",
        &plan(
            "hard-ad",
            &[(
                "CN=Hanako,DC=corp",
                vec![set_anchor("CN=Hanako,DC=corp", "hanako", None, &[1, 2, 3])],
            )],
        ),
    );
    let output = lab.apply(&short, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("user `CN=Hanako,DC=corp`, step 1: the `after` value of `mS-DS-ConsistencyGuid` is 3 bytes; a GUID is 16"),
        "{stderr}"
    );
    assert!(!lab.data.exists(), "nothing journaled");
}

#[test]
fn concurrency_out_of_range_is_refused_before_anything_happens_issue_15() {
    let lab = Lab::new(None, None);
    let good = lab.write(
        "plan.json",
        &plan(
            "hard-ad",
            &[(
                "CN=Hanako,DC=corp",
                vec![set_anchor("CN=Hanako,DC=corp", "hanako", None, &[7; 16])],
            )],
        ),
    );
    let output = lab.apply(&good, &["--yes", "--concurrency", "0"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--concurrency"),
        "{}",
        text(&output)
    );
    let config = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(
        &lab.config,
        format!("{config}\n[runs]\nconcurrency = 300\n"),
    )
    .unwrap();
    let output = lab.apply(&good, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`concurrency` in `[runs]` must be from 1 to 256, not 300"),
        "{stderr}"
    );
    assert!(stderr.contains("anchorsync.toml"), "{stderr}");
    assert!(!lab.data.exists(), "nothing journaled");
}

#[test]
fn errors_show_a_japanese_dn_as_it_reads_and_escape_control_characters_issue_10() {
    let lab = Lab::new(None, None);
    // A DN as an administrator might paste it, with a stray escape sequence and a line break.
    let dn = "CN=山田 太郎\u{1b}[2J\n,OU=東京,DC=corp";
    let short = lab.write(
        "short.json",
        &plan(
            "hard-ad",
            &[(dn, vec![set_anchor(dn, "山田", None, &[1, 2, 3])])],
        ),
    );
    let output = lab.apply(&short, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(r"user `CN=山田 太郎\u{1b}[2J\n,OU=東京,DC=corp`, step 1"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(
        !stderr.lines().any(|line| line.starts_with(",OU=")),
        "the value's line break does not start a line: {stderr}"
    );
    assert!(!lab.data.exists(), "nothing journaled");
}

#[test]
fn tenant_show_and_matching_switch_undoably_with_a_reminder_issue_6() {
    let twin = twin_with(tenant(Vec::new()), |_| {});
    let lab = Lab::new(None, Some(&twin));
    let show = lab.anchorsync().args(["tenant", "show"]).output().unwrap();
    assert_eq!(show.status.code(), Some(0), "{}", text(&show));
    let stdout = String::from_utf8_lossy(&show.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[1], "matching:");
    assert!(lines[2].starts_with("  blockSoftMatchEnabled "), "{stdout}");
    assert!(lines[2].contains(" off "), "{stdout}");
    assert!(lines[4].starts_with("  softMatchOnUpnEnabled "), "{stdout}");

    let dry = lab
        .anchorsync()
        .args(["tenant", "matching", "--block-soft-match", "on"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(twin.twin().writes().is_empty());

    let on = lab
        .anchorsync()
        .args([
            "tenant",
            "matching",
            "--block-soft-match",
            "on",
            "--block-hard-match",
            "on",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(on.status.code(), Some(0), "{}", text(&on));
    let features = |twin: &anchorsync_twin::TwinServer| {
        let sync = twin.snapshot().on_premises_synchronization.unwrap();
        (
            sync.features.block_soft_match(),
            sync.features.block_hard_match_takeover(),
        )
    };
    assert_eq!(features(&twin), (true, true));
    let off = lab
        .anchorsync()
        .args(["tenant", "matching", "--block-soft-match", "off", "--yes"])
        .output()
        .unwrap();
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    assert!(
        String::from_utf8_lossy(&off.stdout)
            .contains("reminder: Microsoft advises keeping both blocks on"),
        "{}",
        text(&off)
    );
    assert_eq!(features(&twin), (false, true));
    let json = lab
        .anchorsync()
        .args(["tenant", "show", "--format", "json"])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(shown["matching"]["blockSoftMatchEnabled"], false);
    assert_eq!(
        shown["matching"]["blockCloudObjectTakeoverThroughHardMatchEnabled"],
        true
    );

    // Undoing the last switch turns soft matching's block back on.
    let runs = lab.runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["kind"], "tenant-matching");
    let undo = lab
        .anchorsync()
        .args(["undo", runs[1]["id"].as_str().unwrap(), "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    assert_eq!(features(&twin), (true, true));
    let text_runs = lab.anchorsync().arg("runs").output().unwrap();
    let listing = String::from_utf8_lossy(&text_runs.stdout);
    assert_eq!(listing.lines().count(), 4, "{listing}");
    // An undo can itself be undone.
    let undo_run = lab.runs()[2]["id"].as_str().unwrap().to_owned();
    let redo = lab
        .anchorsync()
        .args(["undo", &undo_run, "--yes"])
        .output()
        .unwrap();
    assert_eq!(redo.status.code(), Some(0), "{}", text(&redo));
    assert_eq!(features(&twin), (false, true));
    assert!(
        listing.contains(&format!("undoes `{}`", runs[1]["id"].as_str().unwrap())),
        "{listing}"
    );
}

/// Two cloud users on a twin, and a lab pointing at it: the target of the hostile plans below.
fn two_cloud_users(base: u32) -> (anchorsync_twin::TwinServer, Lab, [String; 2]) {
    let ids = [1, 2].map(|n| format!("{base:08}-0000-4000-8000-00000000000{n}"));
    let twin = twin_with(
        tenant(vec![
            cloud_user(
                &ids[0],
                &format!("alice{base}@{MANAGED}"),
                Some(&immutable_id(base)),
            ),
            cloud_user(
                &ids[1],
                &format!("bob{base}@{MANAGED}"),
                Some(&immutable_id(base + 1)),
            ),
        ]),
        |_| {},
    );
    let lab = Lab::new(None, Some(&twin));
    (twin, lab, ids)
}

/// A soft plan clearing Alice's ImmutableID, then `edit` applied to its JSON.
fn soft_plan(
    lab: &Lab,
    base: u32,
    ids: &[String; 2],
    edit: impl FnOnce(&mut Value),
) -> std::path::PathBuf {
    let text = plan(
        "soft",
        &[(
            "CN=Alice,OU=Staff,DC=corp,DC=example,DC=com",
            vec![cloud_step(
                &ids[0],
                &format!("alice{base}@{MANAGED}"),
                "onPremisesImmutableId",
                Some(&immutable_id(base)),
                None,
                "clear-immutable-id",
            )],
        )],
    );
    let mut json: Value = serde_json::from_str(&text).unwrap();
    edit(&mut json);
    lab.write("plan.json", &serde_json::to_string_pretty(&json).unwrap())
}

#[test]
fn a_step_aimed_at_another_user_than_its_entry_is_refused_issue_12() {
    let base = 1200;
    let (twin, lab, ids) = two_cloud_users(base);
    let step = "/users/0/remediation/steps/0";
    // The step's target is Bob's id (as written, and in upper case), the label still says Alice.
    for target in [ids[1].clone(), ids[1].to_uppercase()] {
        let file = soft_plan(&lab, base, &ids, |plan| {
            *plan.pointer_mut(&format!("{step}/target")).unwrap() = json!(target);
        });
        for args in [&["--yes"][..], &[][..]] {
            let output = lab.apply(&file, args);
            assert_eq!(output.status.code(), Some(2), "{}", text(&output));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&format!(
                    "writes to the cloud user `{target}`, but this entry is paired with `{}`",
                    ids[0]
                )),
                "{stderr}"
            );
            assert!(stderr.contains("user `CN=Alice,OU=Staff"), "{stderr}");
        }
    }
    // An AD step whose target is another DN, under the same entry.
    let file = soft_plan(&lab, base, &ids, |plan| {
        plan.pointer_mut("/users/0/remediation/steps")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .insert(
                0,
                set_anchor(
                    "CN=Bob,OU=Staff,DC=corp,DC=example,DC=com",
                    "alice",
                    None,
                    &guid_bytes(7),
                ),
            );
    });
    let output = lab.apply(&file, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("writes to the AD object `CN=Bob,OU=Staff,DC=corp,DC=example,DC=com`"),
        "{}",
        text(&output)
    );
    // A second entry (another DN) writing the same cloud user.
    let file = soft_plan(&lab, base, &ids, |plan| {
        let mut other = plan["users"][0].clone();
        other["dn"] = json!("CN=Mallory,OU=Staff,DC=corp,DC=example,DC=com");
        plan["users"].as_array_mut().unwrap().push(other);
    });
    let output = lab.apply(&file, &["--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains(&format!("both change the cloud user `{}`", ids[0])),
        "{}",
        text(&output)
    );
    assert!(twin.twin().writes().is_empty(), "nothing written");
    assert!(!lab.data.exists(), "nothing journaled");

    // A consistent plan for Bob: carried out, and its messages name the object written, not only the
    // label the plan gives it.
    let file = soft_plan(&lab, base, &ids, |plan| {
        *plan.pointer_mut(&format!("{step}/target")).unwrap() = json!(ids[1]);
        *plan.pointer_mut(&format!("{step}/before")).unwrap() = json!(immutable_id(base + 1));
        *plan
            .pointer_mut("/users/0/remediation/pairedCloudUserId")
            .unwrap() = json!(ids[1]);
    });
    let output = lab.apply(&file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains(&format!("of `alice{base}@{MANAGED}` (`{}`)", ids[1])),
        "{}",
        text(&output)
    );
}

#[test]
fn values_are_checked_and_the_tenant_required_before_any_write_issue_12() {
    let base = 1210;
    let (twin, lab, ids) = two_cloud_users(base);
    let long = "A".repeat(10 << 20);
    let set = |after: &str| {
        let after = after.to_owned();
        move |plan: &mut Value| {
            plan["strategy"] = json!("hard-cloud");
            let step = plan.pointer_mut("/users/0/remediation/steps/0").unwrap();
            step["purpose"] = json!("set-immutable-id");
            step["after"] = json!(after);
            plan["users"][0]["sourceAnchor"] = json!(after);
        }
    };
    for (after, expected) in [
        ("iGhmiAEBERG7uxI0VniQqw", "padding is missing"),
        ("iGhmiAEBERG7uxI0VniQqx==", "bits that encoding never sets"),
        ("iGhmiAEBERG7uxI0VniQ$w==", "`$` or `_`"),
        ("iGhmiAEBERG7uxI0VniQ_w==", "`$` or `_`"),
        (
            "iGhmiAEBERG7uxI0VniQqw==\u{1b}[2J",
            "contains a control character",
        ),
        (long.as_str(), "10,485,760 bytes long"),
    ] {
        let file = soft_plan(&lab, base, &ids, set(after));
        let output = lab.apply(&file, &["--yes"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{after:.40}: {}",
            text(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{after:.40}: {stderr:.2000}");
        assert!(stderr.contains("user `CN=Alice,OU=Staff"), "{stderr:.2000}");
        assert!(
            stderr.len() < 4_000,
            "the value is quoted whole: {} bytes",
            stderr.len()
        );
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    }
    // The plan's tenant: removed, emptied, the kind changed to dodge it, or another tenant.
    let tenant = "/sources/cloud/tenantId";
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let edits: Vec<(Edit, &str)> = vec![
        (
            Box::new(|plan: &mut Value| {
                plan["sources"]["cloud"]
                    .as_object_mut()
                    .unwrap()
                    .remove("tenantId");
            }),
            "does not say which tenant it was made against",
        ),
        (
            Box::new(|plan: &mut Value| *plan.pointer_mut(tenant).unwrap() = json!(" ")),
            "does not say which tenant it was made against",
        ),
        (
            Box::new(|plan: &mut Value| {
                plan["sources"]["cloud"] =
                    json!({"kind": "graph", "location": "https://graph.microsoft.com/v1.0"});
            }),
            "does not say which tenant it was made against",
        ),
        (
            Box::new(|plan: &mut Value| {
                plan.as_object_mut().unwrap().remove("sources");
            }),
            "does not say which tenant it was made against",
        ),
        (
            Box::new(|plan: &mut Value| {
                *plan.pointer_mut(tenant).unwrap() = json!("11111111-2222-3333-4444-555555555555");
            }),
            "the plan was made against tenant `11111111-2222-3333-4444-555555555555`",
        ),
    ];
    for (edit, expected) in edits {
        let file = soft_plan(&lab, base, &ids, edit);
        let output = lab.apply(&file, &["--yes"]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(expected),
            "{}",
            text(&output)
        );
    }
    assert!(twin.twin().writes().is_empty(), "nothing written");
    // The same plan with its tenant is carried out.
    let file = soft_plan(&lab, base, &ids, |_| {});
    let output = lab.apply(&file, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(cloud_now(&twin, &ids[0]).1, None);
}

#[test]
fn the_journal_and_its_lock_are_owner_only_issue_12() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let base = 1220;
    let (twin, lab, ids) = two_cloud_users(base);
    // An existing data directory others can read: warned about, left as the administrator made it.
    std::fs::create_dir(&lab.data).unwrap();
    std::fs::set_permissions(&lab.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = soft_plan(&lab, base, &ids, |_| {});
    let output = lab.apply(&file, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is readable by other users (mode 755)"),
        "{stderr}"
    );
    assert_eq!(cloud_now(&twin, &ids[0]).1, None);
    for name in ["anchorsync.db", "anchorsync.lock"] {
        assert_eq!(mode(&lab.data.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&lab.data.join("runs")), 0o700);
    for entry in std::fs::read_dir(lab.data.join("runs")).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }
    // Files an older build left readable (the database, its -wal and -shm, the lock): made owner-only
    // by the next command that opens the journal, `runs` included.
    for name in [
        "anchorsync.db",
        "anchorsync.db-wal",
        "anchorsync.db-shm",
        "anchorsync.lock",
    ] {
        let path = lab.data.join(name);
        if !path.exists() {
            std::fs::write(&path, "").unwrap();
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let output = lab.anchorsync().arg("runs").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for name in ["anchorsync.db", "anchorsync.db-wal", "anchorsync.db-shm"] {
        let path = lab.data.join(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    // A data directory anchorsync creates: 0700, and no warning.
    let base = 1225;
    let (_twin, lab, ids) = two_cloud_users(base);
    let file = soft_plan(&lab, base, &ids, |_| {});
    let output = lab.apply(&file, &["--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("readable by other users"), "{stderr}");
    assert_eq!(mode(&lab.data), 0o700);
    assert_eq!(mode(&lab.data.join("anchorsync.db")), 0o600);
    assert_eq!(mode(&lab.data.join("anchorsync.lock")), 0o600);
}
