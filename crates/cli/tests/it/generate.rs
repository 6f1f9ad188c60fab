//! `anchorsync generate` (issue 5): the synthetic pair is deterministic, and `plan` predicts the mix it
//! declares.

use assert_cmd::Command;
use serde_json::Value;

fn generate(dir: &std::path::Path, args: &[&str]) {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("generate")
        .args(args)
        .arg("-o")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn plan_predicts_the_declared_mix_and_same_seed_gives_same_bytes_issue_5() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    generate(one.path(), &["--users", "400", "--seed", "5"]);
    generate(two.path(), &["--users", "400", "--seed", "5"]);
    for name in ["ad.ldif", "tenant.json", "expected.json"] {
        assert_eq!(
            std::fs::read(one.path().join(name)).unwrap(),
            std::fs::read(two.path().join(name)).unwrap(),
            "{name}"
        );
    }
    let expected: Value =
        serde_json::from_slice(&std::fs::read(one.path().join("expected.json")).unwrap()).unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["plan", "--format", "json", "--ad"])
        .arg(one.path().join("ad.ldif"))
        .arg("--cloud")
        .arg(one.path().join("tenant.json"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the realistic mix has users that need attention"
    );
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["summary"], expected["summary"]);
    assert_eq!(plan["totals"]["onPremisesUsers"], 400);
    assert_eq!(plan["totals"]["cloudUsers"], expected["cloudUsers"]);
}

#[test]
fn demo_and_mix_options_issue_5() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &["--demo"]);
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected.json")).unwrap()).unwrap();
    assert_eq!(expected["users"], 200);
    assert!(
        expected["summary"]
            .as_object()
            .unwrap()
            .values()
            .all(|count| count.as_u64().unwrap() > 0)
    );

    let clean = tempfile::tempdir().unwrap();
    generate(
        clean.path(),
        &["--users", "50", "--mix", "hard-match=1,create=1"],
    );
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["plan", "--ad"])
        .arg(clean.path().join("ad.ldif"))
        .arg("--cloud")
        .arg(clean.path().join("tenant.json"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let bad = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["generate", "--users", "5", "--mix", "soft=1", "-o"])
        .arg(dir.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`soft` is not an outcome"));
}
