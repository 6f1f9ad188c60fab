//! `anchorsync demo` (issue 6): the walk-through runs through the binary, on a fresh output directory,
//! with the twin it starts itself, and leaves the files it names.

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn demo_walks_through_plan_strategy_and_verify_and_writes_its_files_issue_6() {
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
    for step in [
        "1. Plan",
        "2. Open the tenant to hard matches",
        "3. Plan a fix: hard-cloud",
        "4. Apply",
        "5. Plan again",
        "AADSTS51004",
        "6. Undo",
    ] {
        assert!(stdout.contains(step), "no `{step}` in:\n{stdout}");
    }
    assert!(stdout.contains(&out.join("plan.html").display().to_string()));
    assert!(
        !dir.path().join("real-journal").exists(),
        "the demo wrote into ANCHORSYNC_DATA_DIR"
    );
    assert!(out.join("data").join("runs").is_dir());
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap()
    };
    let plan = read("plan.json");
    // Every outcome of the vocabulary occurs in the bundled data.
    for (outcome, count) in plan["summary"].as_object().unwrap() {
        assert!(
            count.as_u64().unwrap() > 0,
            "no `{outcome}` in the demo data"
        );
    }
    let strategy = read("plan-hard-cloud.json");
    assert_eq!(strategy["strategy"], "hard-cloud");
    // The plan was made against the twin, through the configuration the demo wrote.
    assert_eq!(strategy["sources"]["cloud"]["kind"], "graph");
    assert!(
        strategy["sources"]["cloud"]["location"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let federated = strategy["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| user["remediation"]["steps"].as_array().unwrap().len() == 3)
        .count();
    assert!(federated > 0, "the demo shows the federated three steps");
    let verify = read("verify.json");
    assert_eq!(verify["summary"]["users"], 200);
    assert!(verify["summary"]["signInRisks"].as_u64().unwrap() > 0);
    assert!(out.join("input/hac-users.csv").exists());

    // apply and undo ran against the twin, journaled in the demo's data directory.
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
    // The hard-match block switched off, the fix, its undo, and the block switched back on.
    assert_eq!(kinds, ["tenant-matching", "apply", "undo", "undo"]);
    let planned_steps: usize = strategy["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| user["remediation"]["fixable"] == true)
        .map(|user| user["remediation"]["steps"].as_array().unwrap().len())
        .sum();
    for (report, steps) in reports.iter().zip([1, planned_steps, planned_steps, 1]) {
        assert_eq!(report["counts"]["done"], steps, "{:#}", report["counts"]);
        assert_eq!(report["run"]["status"], "completed");
    }
    // Planned again after apply, every fixed user has the outcome the fix predicted.
    let after = read("plan-after-apply.json");
    let outcome_of = |dn: &Value| {
        after["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| &user["dn"] == dn)
            .map(|user| user["outcome"].clone())
    };
    let mut fixed = 0;
    for user in strategy["users"].as_array().unwrap() {
        if user["remediation"]["fixable"] == true {
            fixed += 1;
            assert_eq!(
                outcome_of(&user["dn"]),
                Some(user["remediation"]["outcomeAfter"].clone()),
                "{}",
                user["dn"]
            );
            assert_eq!(user["remediation"]["outcomeAfter"], "hard-match");
        }
    }
    assert!(fixed > 0);
    // After apply, the fixed users agree between AD and Microsoft 365.
    let after_apply = read("verify.json");
    assert!(
        after_apply["summary"]["agree"].as_u64().unwrap()
            > verify_of_inputs(&out)["summary"]["agree"].as_u64().unwrap()
    );
    // After undo the tenant is what it was: verify gives exactly what it gives on the bundled files.
    assert_eq!(read("verify-after-undo.json"), verify_of_inputs(&out));
    // The AD side of hard-ad, emitted as LDIF.
    let ldif = std::fs::read_to_string(out.join("ad-changes.ldif")).unwrap();
    assert!(ldif.contains("mS-DS-ConsistencyGuid:: "), "{ldif}");
}

fn verify_of_inputs(out: &std::path::Path) -> Value {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("verify")
        .arg("--ad")
        .arg(out.join("input/ad.ldif"))
        .arg("--cloud")
        .arg(out.join("input/tenant.json"))
        .arg("--hac")
        .arg(out.join("input/hac-users.csv"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}
