//! Fuzz target of the plan-file reader (issue 12), driven by `anchorsync_testkit::fuzz`: a plan is
//! input, and a valid one edited at random (and arbitrary bytes) must be read or refused with the
//! file named, never panic. What is read has every step aimed at its own entry's objects.
//! `ANCHORSYNC_FUZZ_CASES` sets how many inputs it tries (docs/FUZZING.md).

use anchorsync_executor::StepSystem;
use anchorsync_executor::plan_file;
use anchorsync_testkit::fuzz::{config, mutated};
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"{"formatVersion": 1, "strategy": "hard-cloud",
 "sources": {"ad": {"kind": "file", "location": "ad.ldif"}, "cloud": {"kind": "graph", "location": "https://graph.microsoft.com/v1.0", "tenantId": "t1"}},
 "settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"},
 "users": [
  {"dn": "CN=Taro,OU=Tokyo,DC=corp", "sourceAnchor": "iGhmiAEBERG7uxI0VniQqw==",
   "remediation": {"strategy": "hard-cloud", "fixable": true, "pairedCloudUserId": "c1", "steps": [
     {"system": "cloud", "target": "c1", "label": "taro@example.com", "attribute": "onPremisesImmutableId",
      "before": null, "after": "iGhmiAEBERG7uxI0VniQqw==", "purpose": "set-immutable-id"}]}},
  {"dn": "CN=Hanako,OU=Tokyo,DC=corp", "sourceAnchor": "AQIDBAUGBwgJCgsMDQ4PEA==",
   "remediation": {"strategy": "hard-cloud", "fixable": true, "pairedCloudUserId": "c2", "steps": [
     {"system": "cloud", "target": "c2", "label": "hanako@example.co.jp", "attribute": "userPrincipalName",
      "before": "hanako@example.co.jp", "after": "hanako@contoso.onmicrosoft.com", "purpose": "federated-upn-away"},
     {"system": "cloud", "target": "c2", "label": "hanako@example.co.jp", "attribute": "onPremisesImmutableId",
      "before": "x", "after": "AQIDBAUGBwgJCgsMDQ4PEA==", "purpose": "set-immutable-id"},
     {"system": "cloud", "target": "c2", "label": "hanako@example.co.jp", "attribute": "userPrincipalName",
      "before": "hanako@contoso.onmicrosoft.com", "after": "hanako@example.co.jp", "purpose": "federated-upn-back"}]}}
 ]}"#,
    r#"{"formatVersion": 1, "strategy": "hard-ad",
 "settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"},
 "users": [
  {"dn": "CN=Taro,OU=Tokyo,DC=corp", "remediation": {"strategy": "hard-ad", "fixable": true, "steps": [
     {"system": "ad", "target": "CN=Taro,OU=Tokyo,DC=corp", "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
      "before": null, "after": {"base64": "iGhmiAEBERG7uxI0VniQqw=="}, "purpose": "set-anchor"}]}}
 ]}"#,
];

const TOKENS: &[&str] = &[
    "\"",
    ",",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "\"c2\"",
    "\"c1\"",
    "CN=Hanako,OU=Tokyo,DC=corp",
    "\"system\": \"ad\"",
    "\"purpose\": \"clear-immutable-id\"",
    "\\u001b",
    "日本",
    "$",
    "_",
    "==",
];

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn fuzz_plan_file_reader(input in mutated(
        SEEDS.iter().map(|seed| seed.as_bytes().to_vec()).collect(),
        TOKENS.iter().map(|token| token.as_bytes().to_vec()).collect(),
    )) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("plan.json");
        std::fs::write(&path, &input).unwrap();
        match plan_file::read(&path) {
            Ok(plan) => {
                // Read: every AD step writes its own entry's DN.
                for user in &plan.users {
                    for step in &user.steps {
                        if step.system == StepSystem::Ad {
                            prop_assert!(
                                anchorsync_ad::dn::NormalizedDn::new(&step.target)
                                    == anchorsync_ad::dn::NormalizedDn::new(&user.dn),
                                "{} writes {}", user.dn, step.target
                            );
                        }
                    }
                }
            }
            Err(error) => {
                let shown = error.to_string();
                prop_assert!(shown.contains("plan.json"), "{shown}");
            }
        }
    }
}
