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
