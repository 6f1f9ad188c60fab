//! Fuzz targets of the core's readers (issue 12), driven by `anchorsync_testkit::fuzz`: a tenant
//! snapshot and pasted identifiers, valid ones edited at random (and arbitrary bytes), must be read or
//! refused, never panic. What a snapshot read holds has each cloud user id once, none empty.
//! `ANCHORSYNC_FUZZ_CASES` sets how many inputs each target tries (docs/FUZZING.md).

use anchorsync_core::convert::{convert, detect};
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_testkit::fuzz::{config, mutated};
use proptest::prelude::*;

const SNAPSHOT_SEEDS: &[&str] = &[
    r#"{"users": [
  {"id": "6c1b0a4e-0000-4000-8000-000000000001", "userPrincipalName": "taro@example.com",
   "proxyAddresses": ["SMTP:taro@example.com"], "onPremisesImmutableId": "iGhmiAEBERG7uxI0VniQqw==",
   "onPremisesSyncEnabled": true, "accountEnabled": true, "displayName": "山田 太郎"},
  {"id": "6c1b0a4e-0000-4000-8000-000000000002", "userPrincipalName": "hanako@contoso.onmicrosoft.com",
   "proxyAddresses": null, "onPremisesImmutableId": null}
 ],
 "deletedUsers": [{"id": "6c1b0a4e-0000-4000-8000-000000000003", "userPrincipalName": "gone@example.com"}],
 "domains": [{"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true}],
 "roleAssignments": [],
 "onPremisesSynchronization": {"id": "tenant", "features": {"blockSoftMatchEnabled": false}}}"#,
    r#"{"users": []}"#,
];

const SNAPSHOT_TOKENS: &[&str] = &[
    "\"",
    ",",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "\"id\": \"\"",
    "\"id\": \"6c1b0a4e-0000-4000-8000-000000000001\"",
    "\\u001b",
    "\\ud800",
    "日本",
    "1e999",
    "-0",
    "true",
];

const IDENTIFIER_SEEDS: &[&str] = &[
    "88666888-0101-1111-bbbb-1234567890ab",
    "{88666888-0101-1111-BBBB-1234567890AB}",
    "iGhmiAEBERG7uxI0VniQqw==",
    "886668880101 1111bbbb 1234567890ab",
    "\\88\\66\\68\\88\\01\\01\\11\\11\\bb\\bb\\12\\34\\56\\78\\90\\ab",
    "S-1-5-21-1004336348-1177238915-682003330-1105",
    "AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==",
];

const IDENTIFIER_TOKENS: &[&str] = &[
    "-", "{", "}", "\\", "=", "+", "/", "_", " ", "０", "Ａ", "日本", "é", "\u{301}", "\u{1b}",
    "S-",
];

fn bytes(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|text| text.as_bytes().to_vec()).collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fuzz_tenant_snapshot_reader(input in mutated(bytes(SNAPSHOT_SEEDS), bytes(SNAPSHOT_TOKENS))) {
        let text = String::from_utf8_lossy(&input);
        match TenantSnapshot::from_json(&text) {
            Ok(snapshot) => {
                let mut ids = std::collections::HashSet::new();
                for user in &snapshot.users {
                    prop_assert!(!user.id.trim().is_empty());
                    prop_assert!(ids.insert(user.id.to_ascii_lowercase()), "`{}` twice", user.id);
                }
                let _ = snapshot.to_json();
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }

    #[test]
    fn fuzz_identifier_detection(input in mutated(bytes(IDENTIFIER_SEEDS), bytes(IDENTIFIER_TOKENS))) {
        let text = String::from_utf8_lossy(&input);
        // The error quotes the input as pasted; the command line shows it escaped (main.rs).
        if let Err(error) = detect(&text) {
            let _ = error.to_string();
        }
        let _ = convert(&text, None);
    }
}
