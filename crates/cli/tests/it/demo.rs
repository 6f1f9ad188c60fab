//! `anchorsync demo` (issues 6 and 10): the walk-through runs through the binary, on a fresh output
//! directory, with the twin it starts itself; it follows HENNGE's recommended method (hard-ad carried
//! out on the AD export), and ends with AD, Microsoft 365 and HENNGE Access Control agreeing for every
//! user it fixed, no AADSTS51004, and no line wider than 100 columns.

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;
use unicode_width::UnicodeWidthStr as _;

fn users_by_dn(report: &Value) -> BTreeMap<String, Value> {
    report["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| (user["dn"].as_str().unwrap().to_owned(), user.clone()))
        .collect()
}

fn fixed_dns(plan: &Value) -> Vec<String> {
    plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| user["remediation"]["fixable"] == true)
        .map(|user| user["dn"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn demo_carries_out_hard_ad_and_ends_with_every_fixed_user_agreeing_issue_10() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("demo")
        .arg("--out")
        .arg(&out)
        // No configuration of the user's is read: a broken one in the environment changes nothing.
        .env("ANCHORSYNC_CONFIG", dir.path().join("missing.toml"))
        // Nor the journal the environment names for real work: rehearsal runs stay in the demo's folder.
        .env("ANCHORSYNC_DATA_DIR", dir.path().join("real-journal"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in stdout.lines() {
        assert!(line.width() <= 100, "wider than 100 columns: {line:?}");
    }
    for step in [
        "1. Plan",
        "2. Verify",
        "3. Fix AD, HENNGE's recommended method: hard-ad",
        "4. Open the tenant to hard matches",
        "5. Plan and verify again",
        "6. The users AD cannot take the value of",
        "7. The first sync from AD",
        "$ anchorsync sync --ad ad-after-hard-ad.ldif --apply --yes",
        "The sync did what the test sync showed.",
        "8. The journal",
        "$ anchorsync apply plan-hard-ad.json --emit ldif -o ad-changes.ldif",
    ] {
        assert!(stdout.contains(step), "no `{step}` in:\n{stdout}");
    }
    assert!(
        !dir.path().join("real-journal").exists(),
        "the demo wrote into ANCHORSYNC_DATA_DIR"
    );
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
    };
    // The first sync (issue 14): what the test sync showed, each join to the cloud user plan named.
    let before_sync = read("plan-before-sync.json");
    let (test_sync, synced) = (read("sync-test.json"), read("sync.json"));
    assert_eq!(test_sync["users"], synced["users"]);
    let mut joined = 0;
    for user in before_sync["users"].as_array().unwrap() {
        let record = synced["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|record| record["dn"] == user["dn"])
            .unwrap();
        if record["action"] == "join" {
            joined += 1;
            assert_eq!(record["cloudUserId"], user["cloudUserId"], "{record}");
            assert_eq!(record["newLink"]["outcome"], user["outcome"], "{record}");
        }
    }
    assert!(joined > 50, "only {joined} joined");
    let plan = read("plan.json");
    // Every outcome of the vocabulary occurs in the bundled data.
    for (outcome, count) in plan["summary"].as_object().unwrap() {
        assert!(
            count.as_u64().unwrap() > 0,
            "no `{outcome}` in the demo data"
        );
    }
    // Today, federated users would fail to sign in after the switch-over.
    assert!(
        read("verify-before.json")["summary"]["signInRisks"]
            .as_u64()
            .unwrap()
            > 0
    );

    // hard-ad was carried out: the emitted LDIF applied to a copy of the export, and planned again,
    // every user it fixed hard-matches.
    let hard_ad = read("plan-hard-ad.json");
    assert_eq!(hard_ad["strategy"], "hard-ad");
    let hard_ad_fixed = fixed_dns(&hard_ad);
    assert!(!hard_ad_fixed.is_empty());
    let ldif = std::fs::read_to_string(out.join("ad-changes.ldif")).unwrap();
    assert_eq!(
        ldif.matches("changetype: modify").count(),
        hard_ad_fixed.len(),
        "{ldif}"
    );
    assert!(out.join("ad-after-hard-ad.ldif").exists());
    let after_ad = users_by_dn(&read("plan-after-hard-ad.json"));
    for dn in &hard_ad_fixed {
        assert_eq!(after_ad[dn]["outcome"], "hard-match", "{dn}");
    }
    // Verify after hard-ad: every user it fixed agrees in all three, with HAC's own, unchanged list.
    let verify_after_ad = users_by_dn(&read("verify-after-hard-ad.json"));
    for dn in &hard_ad_fixed {
        let user = &verify_after_ad[dn];
        assert_eq!(user["status"], "agree", "{user:#}");
        assert_eq!(user["cloudImmutableId"], user["sourceAnchor"], "{user:#}");
        assert_eq!(user["idpImmutableId"], user["sourceAnchor"], "{user:#}");
        assert_eq!(user["signInRisk"], false, "{user:#}");
    }

    // hard-cloud for the rest, applied to the twin with the journal, after the block went off.
    let hard_cloud = read("plan-hard-cloud.json");
    assert_eq!(hard_cloud["sources"]["cloud"]["kind"], "graph");
    let hard_cloud_fixed = fixed_dns(&hard_cloud);
    assert!(!hard_cloud_fixed.is_empty());
    let mut reports: Vec<Value> = std::fs::read_dir(out.join("data/runs"))
        .unwrap()
        .map(|entry| {
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap()
        })
        .collect();
    reports.sort_by_key(|report| report["run"]["startedAt"].as_str().unwrap().to_owned());
    let kinds: Vec<&str> = reports
        .iter()
        .map(|report| report["run"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["tenant-matching", "apply", "sync"]);
    for report in &reports {
        assert_eq!(report["run"]["status"], "completed");
        assert_eq!(report["counts"]["failed"], 0);
    }

    // The end: AD, Microsoft 365 and HAC (after its sync from AD) agree for every user the demo fixed,
    // and nobody fails to sign in.
    let last = read("verify.json");
    assert_eq!(last["summary"]["users"], 200);
    assert_eq!(last["summary"]["signInRisks"], 0, "{:#}", last["summary"]);
    let last_users = users_by_dn(&last);
    for dn in hard_ad_fixed.iter().chain(&hard_cloud_fixed) {
        let user = &last_users[dn];
        assert_eq!(user["status"], "agree", "{user:#}");
        assert_eq!(user["outcome"], "hard-match", "{user:#}");
        assert_eq!(user["cloudImmutableId"], user["sourceAnchor"], "{user:#}");
        if user["idpLine"].is_number() {
            assert_eq!(user["idpImmutableId"], user["sourceAnchor"], "{user:#}");
        }
    }
    // The demo says so (its paragraphs wrap, so words are compared, not lines).
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("and 0 users would fail to sign in (AADSTS51004)"),
        "{stdout}"
    );
}
