//! `anchorsync check-anchor` (issue 2).

use assert_cmd::Command;
use serde_json::Value;

fn check(values: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("check-anchor")
        .args(values)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

#[test]
fn valid_values_exit_0() {
    let (code, json) = check(&["iGhmiAEBERG7uxI0VniQqw==", "E10023", "taro.yamada"]);
    assert_eq!(code, 0);
    for entry in json.as_array().unwrap() {
        assert_eq!(entry["valid"], true, "{entry}");
        assert!(entry["errors"].as_array().unwrap().is_empty());
        let keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["value", "valid", "errors", "warnings"]);
    }
}

#[test]
fn each_rule_makes_a_value_invalid_issue_2() {
    let too_long = "a".repeat(60);
    let (code, json) = check(&[
        &too_long,
        "user@example.com",
        "abc$def",
        "AbC",
        "AbC",
        "aBc",
    ]);
    assert_eq!(code, 1);
    let entries = json.as_array().unwrap();
    let errors = |index: usize| entries[index]["errors"].to_string();
    assert!(errors(0).contains("weighted length is 60"), "{}", errors(0));
    assert!(
        errors(1).contains("`.`") || errors(1).contains("`@`"),
        "{}",
        errors(1)
    );
    assert!(errors(2).contains("Graph refuses"), "{}", errors(2));
    assert!(errors(3).contains("unique"), "{}", errors(3));
    assert_eq!(entries[5]["valid"], true);
    assert!(
        entries[5]["warnings"]
            .to_string()
            .contains("differs only by case")
    );
}

#[test]
fn a_binary_source_refuses_non_canonical_base64_issue_12() {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["check-anchor", "--source", "binary", "--format", "json"])
        .args([
            "iGhmiAEBERG7uxI0VniQqw",
            "iGhmiAEBERG7uxI0VniQqx==",
            "iGhmiAEBERG7uxI0VniQqw==x",
            "iGhmiAEBERG7uxI0VniQqw==",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries = json.as_array().unwrap();
    for entry in &entries[..3] {
        assert_eq!(entry["valid"], false, "{entry}");
        assert!(
            entry["errors"].to_string().contains("not canonical Base64")
                || entry["errors"]
                    .to_string()
                    .contains("canonical Base64 of its bytes"),
            "{entry}"
        );
    }
    assert_eq!(entries[3]["valid"], true, "{}", entries[3]);
}
