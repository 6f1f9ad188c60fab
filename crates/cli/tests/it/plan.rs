//! `anchorsync plan` (issue 5): scenarios written by hand from docs/rules.md §2-§4, one per rule
//! and several combinations, run through the binary with `--format json`, reading the issue's field
//! names.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::{Value, json};

pub(crate) const BASE: &str = "OU=Tokyo,DC=corp,DC=example,DC=com";
pub(crate) const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

// Base64 of objectGUID / mS-DS-ConsistencyGuid bytes, as LDIF writes them and Entra compares them.
pub(crate) const A1: &str = "iGhmiAEBERG7uxI0VniQqw=="; // 88666888-0101-1111-bbbb-1234567890ab (vectors.json)
pub(crate) const A2: &str = "AQIDBAUGBwgJCgsMDQ4PEA==";
pub(crate) const A3: &str = "EBESExQVFhcYGRobHB0eHw==";
pub(crate) const A4: &str = "ICEiIyQlJicoKSorLC0uLw==";
pub(crate) const A5: &str = "MDEyMzQ1Njc4OTo7PD0+Pw==";
/// Bytes of S-1-5-21-1-2-3-1105.
const SID_1105: &str = "AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==";

/// One LDIF user entry in `BASE`; `lines` are LDIF attribute lines.
pub(crate) fn ad(cn: &str, lines: &[&str]) -> String {
    format!(
        "dn: CN={cn},{BASE}\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n{}\n\n",
        lines.join("\n")
    )
}

/// A cloud user as Graph returns it: `id`, `userPrincipalName`, and more properties.
pub(crate) fn cloud(id: &str, upn: &str, more: Value) -> Value {
    let mut user = json!({"id": id, "userPrincipalName": upn, "accountEnabled": true});
    for (key, value) in more.as_object().unwrap() {
        user[key] = value.clone();
    }
    user
}

pub(crate) fn tenant(users: Vec<Value>, features: Value, roles: Vec<Value>) -> Value {
    json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": "example.com", "authenticationType": "Managed", "isVerified": true},
            {"id": "example.co.jp", "authenticationType": "Federated", "isVerified": true},
            {"id": "lab.example.com", "authenticationType": "Managed", "isVerified": false}
        ],
        "roleAssignments": roles,
        "onPremisesSynchronization": {"id": "tenant", "features": features}
    })
}

pub(crate) fn open_tenant(users: Vec<Value>) -> Value {
    tenant(users, json!({}), vec![])
}

struct Run {
    code: i32,
    json: Value,
    stdout: Vec<u8>,
    stderr: String,
}

fn files(ldif: &str, tenant: &Value) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ad = dir.path().join("users.ldif");
    let cloud = dir.path().join("tenant.json");
    std::fs::write(&ad, ldif).unwrap();
    std::fs::write(&cloud, serde_json::to_vec_pretty(tenant).unwrap()).unwrap();
    (dir, ad, cloud)
}

fn run_with(ldif: &str, tenant: &Value, format: &str, extra: &[&str]) -> Run {
    let (_dir, ad, cloud) = files(ldif, tenant);
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("plan")
        .arg("--ad")
        .arg(&ad)
        .arg("--cloud")
        .arg(&cloud)
        .args(["--format", format])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = if format == "json" {
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
    } else {
        Value::Null
    };
    Run {
        code: output.status.code().unwrap(),
        json,
        stdout: output.stdout,
        stderr,
    }
}

fn plan(ldif: &str, tenant: &Value) -> Run {
    run_with(ldif, tenant, "json", &[])
}

fn plan_with(ldif: &str, tenant: &Value, extra: &[&str]) -> Run {
    run_with(ldif, tenant, "json", extra)
}

impl Run {
    fn user(&self, cn: &str) -> &Value {
        let prefix = format!("CN={cn},");
        self.json["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["dn"].as_str().unwrap().starts_with(&prefix))
            .unwrap_or_else(|| panic!("no user {cn} in {:#}", self.json))
    }

    fn outcome(&self, cn: &str) -> &str {
        self.user(cn)["outcome"].as_str().unwrap()
    }

    fn text(&self, cn: &str, field: &str) -> String {
        self.user(cn)[field].to_string()
    }
}

#[test]
fn record_has_exactly_the_issue_fields_and_summary_every_outcome_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
            ],
        ),
        &open_tenant(vec![]),
    );
    let keys: Vec<&str> = run
        .json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "formatVersion",
            "settings",
            "totals",
            "summary",
            "users",
            "cloudOnly"
        ]
    );
    assert_eq!(run.json["formatVersion"], 1);
    let summary: Vec<&str> = run.json["summary"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        summary,
        [
            "hard-match",
            "soft-match-smtp",
            "soft-match-upn",
            "create",
            "create-with-conflict",
            "invalid-soft-match",
            "admin-role-conflict",
            "hard-match-blocked",
            "ambiguous",
            "invalid-anchor",
            "duplicate-anchor"
        ]
    );
    let user = run.user("Taro");
    let fields: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields[..9],
        [
            "dn",
            "sourceAnchor",
            "outcome",
            "cloudUserId",
            "predictedUserPrincipalName",
            "conflictAttribute",
            "reasons",
            "warnings",
            "attributeChanges"
        ]
    );
    assert_eq!(user["sourceAnchor"], A1);
    assert_eq!(user["outcome"], "create");
    assert_eq!(user["cloudUserId"], Value::Null);
    assert_eq!(user["conflictAttribute"], Value::Null);
    assert_eq!(run.code, 0);
}

// §3.1 hard match

#[test]
fn hard_match_takes_over_a_cloud_managed_user_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.co.jp",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.co.jp",
            json!({"onPremisesImmutableId": A1}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "hard-match");
    assert_eq!(run.user("Taro")["cloudUserId"], "c1");
    assert!(
        run.text("Taro", "reasons")
            .contains(&format!("onPremisesImmutableId `{A1}`"))
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.json["summary"]["hard-match"], 1);
}

#[test]
fn hard_match_blocked_when_takeover_is_blocked_issue_5() {
    let run = plan(
        &ad("Taro", &[&format!("objectGUID:: {A1}")]),
        &tenant(
            vec![cloud(
                "c1",
                "taro@example.co.jp",
                json!({"onPremisesImmutableId": A1}),
            )],
            json!({"blockCloudObjectTakeoverThroughHardMatchEnabled": true}),
            vec![],
        ),
    );
    assert_eq!(run.outcome("Taro"), "hard-match-blocked");
    assert_eq!(run.user("Taro")["cloudUserId"], "c1");
    assert!(run.text("Taro", "reasons").contains("InvalidHardMatch"));
    assert_eq!(run.code, 1);
}

#[test]
fn already_synced_user_is_joined_even_with_the_block_issue_5() {
    let dn = format!("CN=Taro,{BASE}");
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
            ],
        ),
        &tenant(
            vec![cloud(
                "c1",
                "taro@example.com",
                json!({"onPremisesImmutableId": A1, "onPremisesSyncEnabled": true, "onPremisesDistinguishedName": dn}),
            )],
            json!({"blockCloudObjectTakeoverThroughHardMatchEnabled": true}),
            vec![],
        ),
    );
    assert_eq!(run.outcome("Taro"), "hard-match");
    assert!(run.text("Taro", "reasons").contains("already synchronised"));
    assert_eq!(run.user("Taro")["warnings"], json!([]));
}

#[test]
fn synced_from_another_source_is_a_warning_issue_5() {
    let run = plan(
        &ad("Taro", &[&format!("objectGUID:: {A1}")]),
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.com",
            json!({"onPremisesImmutableId": A1, "onPremisesSyncEnabled": true,
                   "onPremisesDistinguishedName": "CN=Taro,OU=Old,DC=legacy,DC=example,DC=com"}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "hard-match");
    assert!(
        run.text("Taro", "warnings")
            .contains("CN=Taro,OU=Old,DC=legacy")
    );
}

#[test]
fn hard_match_is_case_sensitive_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "other@example.com",
            json!({"onPremisesImmutableId": A1.to_lowercase()}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "create");
    assert!(run.text("Taro", "warnings").contains("only by case"));
}

#[test]
fn consistency_guid_wins_and_object_guid_is_the_fallback_issue_5() {
    let ldif = ad(
        "Both",
        &[
            &format!("objectGUID:: {A1}"),
            &format!("mS-DS-ConsistencyGuid:: {A2}"),
        ],
    ) + &ad("Fallback", &[&format!("objectGUID:: {A3}")]);
    let run = plan(
        &ldif,
        &open_tenant(vec![
            cloud("c1", "a@example.com", json!({"onPremisesImmutableId": A2})),
            cloud("c2", "b@example.com", json!({"onPremisesImmutableId": A1})),
            cloud("c3", "c@example.com", json!({"onPremisesImmutableId": A3})),
        ]),
    );
    assert_eq!(run.user("Both")["cloudUserId"], "c1");
    assert_eq!(run.user("Both")["anchorAttribute"], "mS-DS-ConsistencyGuid");
    assert_eq!(run.user("Fallback")["cloudUserId"], "c3");
    assert_eq!(run.user("Fallback")["anchorAttribute"], "objectGUID");
    assert!(
        run.text("Fallback", "reasons")
            .contains("mS-DS-ConsistencyGuid is empty")
    );
}

// §3.2 soft match

#[test]
fn soft_match_on_primary_smtp_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:Taro.Yamada@example.com",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro@contoso.onmicrosoft.com",
            json!({"proxyAddresses": ["SMTP:taro.yamada@example.com"]}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "soft-match-smtp");
    assert_eq!(run.user("Taro")["cloudUserId"], "c1");
    assert!(
        run.text("Taro", "reasons")
            .contains("Taro.Yamada@example.com")
    );
    // The UPN moves to the on-premises one: a sign-in name change and an attribute change.
    assert_eq!(
        run.user("Taro")["predictedUserPrincipalName"],
        "taro@example.com"
    );
    assert!(run.text("Taro", "warnings").contains("sign-in name"));
    assert_eq!(
        run.user("Taro")["attributeChanges"][0]["attribute"],
        "userPrincipalName"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn secondary_cloud_proxy_address_counts_unless_primary_only_issue_5() {
    let ldif = ad(
        "Taro",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: taro@example.com",
            "proxyAddresses: SMTP:t.yamada@example.com",
        ],
    );
    let snapshot = open_tenant(vec![cloud(
        "c1",
        "yamada@example.com",
        json!({"proxyAddresses": ["SMTP:yamada@example.com", "smtp:t.yamada@example.com"]}),
    )]);
    let any = plan(&ldif, &snapshot);
    assert_eq!(any.outcome("Taro"), "soft-match-smtp");
    assert!(
        any.text("Taro", "reasons").contains("--smtp-match primary"),
        "the [choice] is named"
    );
    let primary = plan_with(&ldif, &snapshot, &["--smtp-match", "primary"]);
    assert_eq!(primary.outcome("Taro"), "create-with-conflict");
    assert_eq!(primary.user("Taro")["conflictAttribute"], "ProxyAddresses");
    assert_eq!(primary.json["settings"]["smtpMatch"], "primary");
}

#[test]
fn seed_004_upn_to_primary_smtp_and_primary_smtp_to_upn_issue_5() {
    let ldif = ad(
        "UpnToSmtp",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: hanako@example.com",
            "proxyAddresses: SMTP:h.sato@example.com",
        ],
    ) + &ad(
        "SmtpToUpn",
        &[
            &format!("objectGUID:: {A2}"),
            "userPrincipalName: jiro.upn@example.com",
            "mail: jiro@example.com",
        ],
    );
    let run = plan(
        &ldif,
        &open_tenant(vec![
            cloud(
                "c1",
                "hanako@contoso.onmicrosoft.com",
                json!({"proxyAddresses": ["SMTP:hanako@example.com"]}),
            ),
            cloud("c2", "jiro@example.com", json!({})),
        ]),
    );
    assert_eq!(run.outcome("UpnToSmtp"), "soft-match-smtp");
    assert_eq!(run.user("UpnToSmtp")["cloudUserId"], "c1");
    assert_eq!(run.outcome("SmtpToUpn"), "soft-match-smtp");
    assert_eq!(run.user("SmtpToUpn")["cloudUserId"], "c2");
    assert!(
        run.text("SmtpToUpn", "reasons")
            .contains("The Hard Part of Soft Matching")
    );
}

#[test]
fn soft_match_on_upn_and_its_switch_issue_5() {
    let ldif = ad(
        "Taro",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: Taro@Example.com",
        ],
    );
    let users = vec![cloud("c1", "taro@example.com", json!({}))];
    let on = plan(&ldif, &open_tenant(users.clone()));
    assert_eq!(on.outcome("Taro"), "soft-match-upn");
    assert_eq!(on.user("Taro")["cloudUserId"], "c1");
    let off = plan(
        &ldif,
        &tenant(users, json!({"softMatchOnUpnEnabled": false}), vec![]),
    );
    assert_eq!(off.outcome("Taro"), "create-with-conflict");
    assert_eq!(off.user("Taro")["conflictAttribute"], "UserPrincipalName");
    assert_eq!(
        off.user("Taro")["predictedUserPrincipalName"],
        "Taro####@contoso.onmicrosoft.com"
    );
    assert!(
        off.text("Taro", "reasons")
            .contains("softMatchOnUpnEnabled is off")
    );
    assert_eq!(off.code, 1);
}

#[test]
fn block_soft_match_creates_with_conflicts_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:taro@example.com",
            ],
        ),
        &tenant(
            vec![cloud(
                "c1",
                "taro@example.com",
                json!({"proxyAddresses": ["SMTP:taro@example.com"]}),
            )],
            json!({"blockSoftMatchEnabled": true}),
            vec![],
        ),
    );
    assert_eq!(run.outcome("Taro"), "create-with-conflict");
    assert_eq!(run.user("Taro")["conflictAttribute"], "UserPrincipalName");
    assert_eq!(run.user("Taro")["conflictingCloudUserIds"], json!(["c1"]));
    let reasons = run.text("Taro", "reasons");
    assert!(reasons.contains("blockSoftMatchEnabled is on"), "{reasons}");
    assert!(
        reasons.contains("proxy address `SMTP:taro@example.com`"),
        "{reasons}"
    );
}

#[test]
fn candidate_with_an_immutable_id_is_invalid_soft_match_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.co.jp",
                "proxyAddresses: SMTP:taro@example.co.jp",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.co.jp",
            json!({"proxyAddresses": ["SMTP:taro@example.co.jp"], "onPremisesImmutableId": "260051"}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "invalid-soft-match");
    assert_eq!(run.user("Taro")["cloudUserId"], "c1");
    let reasons = run.text("Taro", "reasons");
    assert!(
        reasons.contains("onPremisesImmutableId `260051`"),
        "{reasons}"
    );
    assert!(reasons.contains("InvalidSoftMatch"), "{reasons}");
    assert!(
        reasons.contains("When you have an existing tenant"),
        "the documented conflict is named: {reasons}"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn candidate_with_a_directory_role_is_admin_role_conflict_issue_5() {
    let run = plan(
        &ad(
            "Admin",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: admin@example.com",
            ],
        ),
        &tenant(
            vec![cloud("c1", "admin@example.com", json!({}))],
            json!({}),
            vec![
                json!({"id": "r1", "principalId": "c1", "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}),
            ],
        ),
    );
    assert_eq!(run.outcome("Admin"), "admin-role-conflict");
    assert_eq!(run.user("Admin")["cloudUserId"], "c1");
    assert!(
        run.text("Admin", "reasons")
            .contains("Global Administrator")
    );
}

#[test]
fn hard_match_onto_an_administrator_warns_issue_5() {
    let run = plan(
        &ad("Admin", &[&format!("objectGUID:: {A1}")]),
        &tenant(
            vec![cloud(
                "c1",
                "admin@example.com",
                json!({"onPremisesImmutableId": A1}),
            )],
            json!({}),
            vec![
                json!({"id": "r1", "principalId": "c1", "roleDefinitionId": GLOBAL_ADMINISTRATOR}),
            ],
        ),
    );
    assert_eq!(run.outcome("Admin"), "hard-match");
    assert!(
        run.text("Admin", "warnings")
            .contains("Global Administrator")
    );
}

#[test]
fn different_candidates_by_smtp_and_upn_are_ambiguous_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:t.yamada@example.com",
            ],
        ),
        &open_tenant(vec![
            cloud(
                "c1",
                "yamada@contoso.onmicrosoft.com",
                json!({"proxyAddresses": ["SMTP:t.yamada@example.com"]}),
            ),
            cloud("c2", "taro@example.com", json!({})),
        ]),
    );
    assert_eq!(run.outcome("Taro"), "ambiguous");
    assert_eq!(run.user("Taro")["cloudUserId"], Value::Null);
    assert_eq!(
        run.user("Taro")["conflictingCloudUserIds"],
        json!(["c1", "c2"])
    );
}

#[test]
fn two_on_premises_users_wanting_one_cloud_user_are_ambiguous_issue_5() {
    let ldif = ad(
        "First",
        &[
            &format!("objectGUID:: {A1}"),
            "proxyAddresses: SMTP:shared@example.com",
        ],
    ) + &ad(
        "Second",
        &[
            &format!("objectGUID:: {A2}"),
            "userPrincipalName: shared@example.com",
        ],
    );
    let run = plan(
        &ldif,
        &open_tenant(vec![cloud(
            "c1",
            "shared@example.com",
            json!({"proxyAddresses": ["SMTP:shared@example.com"]}),
        )]),
    );
    assert_eq!(run.outcome("First"), "ambiguous");
    assert_eq!(run.outcome("Second"), "ambiguous");
    assert!(run.text("First", "reasons").contains("CN=Second"));
}

// §3.3 no match

#[test]
fn create_keeps_a_verified_upn_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:taro@example.com",
            ],
        ),
        &open_tenant(vec![cloud("c1", "someone@example.com", json!({}))]),
    );
    assert_eq!(run.outcome("Taro"), "create");
    assert_eq!(
        run.user("Taro")["predictedUserPrincipalName"],
        "taro@example.com"
    );
    assert_eq!(run.code, 0);
}

#[test]
fn unverified_suffix_becomes_mail_nickname_at_the_initial_domain_issue_5() {
    let ldif = ad(
        "Nick",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: taro@corp.local",
            "mailNickname: tyamada",
            "mail: taro@example.com",
        ],
    ) + &ad(
        "Smtp",
        &[
            &format!("objectGUID:: {A2}"),
            "userPrincipalName: user3@lab.example.com",
            "proxyAddresses: SMTP:user1@example.com",
        ],
    ) + &ad(
        "Upn",
        &[
            &format!("objectGUID:: {A3}"),
            "userPrincipalName: jiro@corp.local",
        ],
    );
    let run = plan(&ldif, &open_tenant(vec![]));
    assert_eq!(
        run.user("Nick")["predictedUserPrincipalName"],
        "tyamada@contoso.onmicrosoft.com"
    );
    assert_eq!(
        run.user("Smtp")["predictedUserPrincipalName"],
        "user1@contoso.onmicrosoft.com"
    );
    assert_eq!(
        run.user("Upn")["predictedUserPrincipalName"],
        "jiro@contoso.onmicrosoft.com"
    );
    assert!(run.text("Smtp", "reasons").contains("not verified"));
    assert!(
        run.text("Nick", "reasons")
            .contains("not a domain of the tenant")
    );
}

#[test]
fn rewritten_upn_taken_is_a_upn_conflict_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@corp.local",
                "mailNickname: taro",
            ],
        ),
        &open_tenant(vec![cloud("c1", "taro@contoso.onmicrosoft.com", json!({}))]),
    );
    assert_eq!(run.outcome("Taro"), "create-with-conflict");
    assert_eq!(run.user("Taro")["conflictAttribute"], "UserPrincipalName");
    assert_eq!(
        run.user("Taro")["predictedUserPrincipalName"],
        "taro####@contoso.onmicrosoft.com"
    );
}

#[test]
fn secondary_address_taken_is_a_proxy_conflict_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:taro@example.com",
                "proxyAddresses: smtp:sales@example.com",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "hanako@example.com",
            json!({"proxyAddresses": ["SMTP:hanako@example.com", "smtp:sales@example.com"]}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "create-with-conflict");
    assert_eq!(run.user("Taro")["conflictAttribute"], "ProxyAddresses");
    assert_eq!(
        run.user("Taro")["predictedUserPrincipalName"],
        "taro@example.com"
    );
    assert!(
        run.text("Taro", "reasons")
            .contains("smtp:sales@example.com")
    );
}

#[test]
fn object_sid_held_under_another_anchor_is_a_sid_conflict_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                &format!("objectSid:: {SID_1105}"),
                "userPrincipalName: taro.new@example.com",
                "proxyAddresses: SMTP:taro.new@example.com",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro.old@example.com",
            json!({"onPremisesImmutableId": A2, "onPremisesSyncEnabled": true,
                   "onPremisesSecurityIdentifier": "S-1-5-21-1-2-3-1105", "proxyAddresses": ["SMTP:taro.old@example.com"]}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "create-with-conflict");
    assert_eq!(
        run.user("Taro")["conflictAttribute"],
        "OnPremiseSecurityIdentifier"
    );
    assert!(run.text("Taro", "reasons").contains("S-1-5-21-1-2-3-1105"));
    // The old synced user is reached by nobody: it is listed, with a warning.
    let cloud_only = &run.json["cloudOnly"][0];
    assert_eq!(cloud_only["id"], "c1");
    assert_eq!(cloud_only["onPremisesSyncEnabled"], true);
}

// §3.4 anchors

#[test]
fn missing_anchor_is_invalid_anchor_even_when_soft_match_would_work_issue_5() {
    let run = plan(
        &ad(
            "NoGuid",
            &[
                "userPrincipalName: taro@example.com",
                "proxyAddresses: SMTP:taro@example.com",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.com",
            json!({"proxyAddresses": ["SMTP:taro@example.com"]}),
        )]),
    );
    assert_eq!(run.outcome("NoGuid"), "invalid-anchor");
    assert_eq!(run.user("NoGuid")["sourceAnchor"], Value::Null);
    assert!(run.text("NoGuid", "reasons").contains("both empty"));
    assert_eq!(run.code, 1);
}

#[test]
fn anchor_breaking_the_rules_is_invalid_anchor_issue_5() {
    let long = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7";
    let ldif = ad(
        "Long",
        &[
            &format!("objectGUID:: {A1}"),
            &format!("mS-DS-ConsistencyGuid:: {long}"),
        ],
    ) + &ad(
        "Employee",
        &[&format!("objectGUID:: {A2}"), "employeeID: E-100_23"],
    );
    let run = plan(&ldif, &open_tenant(vec![]));
    assert_eq!(run.outcome("Long"), "invalid-anchor");
    assert!(run.text("Long", "reasons").contains("weighted length"));
    let named = plan_with(
        &ldif,
        &open_tenant(vec![]),
        &["--anchor-attribute", "employeeID"],
    );
    assert_eq!(named.outcome("Employee"), "invalid-anchor");
    assert!(named.text("Employee", "reasons").contains("`_`"));
    assert_eq!(
        named.outcome("Long"),
        "invalid-anchor",
        "no employeeID at all"
    );
    assert!(
        named
            .text("Long", "reasons")
            .contains("employeeID is empty")
    );
}

#[test]
fn same_anchor_on_two_users_is_duplicate_anchor_for_both_issue_5() {
    let ldif = ad(
        "Taro",
        &[
            &format!("objectGUID:: {A1}"),
            &format!("mS-DS-ConsistencyGuid:: {A3}"),
        ],
    ) + &ad(
        "Taro Admin",
        &[
            &format!("objectGUID:: {A2}"),
            &format!("mS-DS-ConsistencyGuid:: {A3}"),
        ],
    );
    let run = plan(
        &ldif,
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.com",
            json!({"onPremisesImmutableId": A3}),
        )]),
    );
    assert_eq!(run.outcome("Taro"), "duplicate-anchor");
    assert_eq!(run.outcome("Taro Admin"), "duplicate-anchor");
    assert!(run.text("Taro", "reasons").contains("CN=Taro Admin"));
    assert_eq!(run.json["summary"]["duplicate-anchor"], 2);
}

#[test]
fn string_anchor_raw_or_base64_encoded_issue_5() {
    let ldif = ad(
        "Taro",
        &[&format!("objectGUID:: {A1}"), "employeeID: E10023"],
    );
    let snapshot = open_tenant(vec![
        cloud(
            "raw",
            "a@example.com",
            json!({"onPremisesImmutableId": "E10023"}),
        ),
        cloud(
            "b64",
            "b@example.com",
            json!({"onPremisesImmutableId": "RTEwMDIz"}),
        ),
    ]);
    let auto = plan_with(&ldif, &snapshot, &["--anchor-attribute", "employeeID"]);
    assert_eq!(auto.user("Taro")["cloudUserId"], "raw");
    let hennge = plan_with(
        &ldif,
        &snapshot,
        &[
            "--anchor-attribute",
            "employeeID",
            "--anchor-encoding",
            "base64",
        ],
    );
    assert_eq!(hennge.user("Taro")["cloudUserId"], "b64");
    assert_eq!(hennge.json["settings"]["anchorEncoding"], "base64");
}

// §4 what the cloud user becomes, and the warnings

#[test]
fn attribute_changes_list_what_the_match_overwrites_or_removes_issue_5() {
    let run = plan(
        &ad(
            "Taro",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: taro@example.com",
                "displayName:: 5bGx55SwIOWkqumDjg==",
                "title: Manager",
                "telephoneNumber: +81 3-5555-1234",
            ],
        ),
        &open_tenant(vec![cloud(
            "c1",
            "taro@example.com",
            json!({"onPremisesImmutableId": A1, "displayName": "Taro Yamada", "jobTitle": "Manager",
                   "department": "Sales", "businessPhones": []}),
        )]),
    );
    assert_eq!(
        run.user("Taro")["attributeChanges"],
        json!([
            {"attribute": "displayName", "cloudValue": "Taro Yamada", "onPremValue": "山田 太郎"},
            {"attribute": "department", "cloudValue": "Sales", "onPremValue": null},
            {"attribute": "businessPhones", "cloudValue": [], "onPremValue": ["+81 3-5555-1234"]}
        ])
    );
}

#[test]
fn warnings_an_administrator_needs_issue_5() {
    let ldif = ad(
        "Disabled",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: d@example.com",
            "userAccountControl: 514",
        ],
    ) + &ad(
        "Federated",
        &[
            &format!("objectGUID:: {A2}"),
            "userPrincipalName: f@example.co.jp",
        ],
    ) + &ad(
        "ShortGuid",
        &[
            &format!("objectGUID:: {A4}"),
            "mS-DS-ConsistencyGuid:: BwcHBwcHBwcHBwcHBwcHBwcHBwc=",
            "userPrincipalName: s@example.com",
        ],
    ) + &ad(
        "Aliases",
        &[
            &format!("objectGUID:: {A5}"),
            "userPrincipalName: a@example.com",
            "proxyAddresses: SMTP:a@example.com",
        ],
    );
    let run = plan(
        &ldif,
        &open_tenant(vec![
            cloud("c1", "d@example.com", json!({"onPremisesImmutableId": A1})),
            cloud(
                "c2",
                "a@example.com",
                json!({"proxyAddresses": ["SMTP:a@example.com", "smtp:sales@example.com"]}),
            ),
        ]),
    );
    assert!(run.text("Disabled", "warnings").contains("disabled"));
    assert!(
        run.text("Disabled", "warnings")
            .contains("is enabled today")
    );
    assert_eq!(run.outcome("Federated"), "create");
    assert!(run.text("Federated", "warnings").contains("AADSTS51004"));
    assert!(run.text("ShortGuid", "warnings").contains("20 bytes"));
    assert_eq!(run.outcome("Aliases"), "soft-match-smtp");
    assert!(
        run.text("Aliases", "warnings")
            .contains("smtp:sales@example.com")
    );
    let named = plan_with(
        &ad(
            "Sam",
            &[&format!("objectGUID:: {A1}"), "sAMAccountName: taro"],
        ),
        &open_tenant(vec![]),
        &["--anchor-attribute", "sAMAccountName"],
    );
    assert!(named.text("Sam", "warnings").contains("holds a name"));
}

#[test]
fn cloud_only_lists_users_nobody_reaches_and_flags_immutable_ids_issue_5() {
    let run = plan(
        &ad("Taro", &[&format!("objectGUID:: {A1}")]),
        &open_tenant(vec![
            cloud(
                "z",
                "zed@example.co.jp",
                json!({"onPremisesImmutableId": A5}),
            ),
            cloud("a", "alice@example.com", json!({})),
            cloud(
                "m",
                "taro@example.com",
                json!({"onPremisesImmutableId": A1}),
            ),
        ]),
    );
    let cloud_only = run.json["cloudOnly"].as_array().unwrap();
    let ids: Vec<&str> = cloud_only
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["a", "z"],
        "sorted by userPrincipalName, the matched one left out"
    );
    assert_eq!(cloud_only[1]["onPremisesImmutableId"], A5);
    assert_eq!(cloud_only[1]["federated"], true);
    assert!(
        cloud_only[1]["warnings"]
            .to_string()
            .contains("identity provider")
    );
    assert_eq!(cloud_only[0]["warnings"], json!([]));
}

// Determinism, formats, exit status, bad input

#[test]
fn same_input_same_bytes_whatever_the_ldif_order_issue_5() {
    let first = ad("B", &[&format!("objectGUID:: {A1}")]);
    let second = ad("A", &[&format!("objectGUID:: {A2}")]);
    let snapshot = open_tenant(vec![
        cloud("x", "x@example.com", json!({})),
        cloud("y", "y@example.com", json!({})),
    ]);
    let one = plan(&(first.clone() + &second), &snapshot);
    let two = plan(&(second + &first), &snapshot);
    assert_eq!(one.stdout, two.stdout);
    assert!(
        one.json["users"][0]["dn"]
            .as_str()
            .unwrap()
            .starts_with("CN=A,")
    );
}

#[test]
fn table_counts_first_then_attention_in_100_columns_issue_5() {
    let ldif = ad(
        "Fine",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: fine@example.com",
        ],
    ) + &ad("Broken", &["userPrincipalName: broken@example.com"]);
    let run = run_with(&ldif, &open_tenant(vec![]), "table", &[]);
    assert_eq!(run.code, 1);
    let text = String::from_utf8(run.stdout).unwrap();
    let counts = text.find("invalid-anchor").unwrap();
    let details = text.find("Users that need attention (1)").unwrap();
    assert!(counts < details, "{text}");
    assert!(
        text.contains(&format!("invalid-anchor  CN=Broken,{BASE}")),
        "{text}"
    );
    assert!(
        !text.contains("CN=Fine"),
        "fine users are not listed: {text}"
    );
    for line in text.lines().filter(|line| !line.contains("CN=")) {
        assert!(line.chars().count() <= 100, "{line}");
    }
    assert!(!text.contains('\u{1b}'), "no colour");
}

#[test]
fn csv_opens_in_excel_issue_5() {
    let ldif = ad(
        "Taro",
        &[
            "objectGUID:: +D9q4TtdW06deixqiw5/EQ==",
            "displayName:: 5bGx55SwIOWkqumDjg==",
        ],
    ) + &ad("Hanako", &[&format!("objectGUID:: {A2}")]);
    let run = run_with(&ldif, &open_tenant(vec![]), "csv", &[]);
    assert_eq!(run.code, 0);
    let bytes = run.stdout;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        text.matches("\r\n").count(),
        3,
        "header and one row per user: {text}"
    );
    assert!(text.starts_with("dn,userPrincipalName,outcome,sourceAnchor,"));
    assert!(
        text.contains(",'+D9q4TtdW06deixqiw5/EQ==,"),
        "formula defused: {text}"
    );
    assert!(text.contains(" | "), "reasons joined: {text}");
}

#[test]
fn output_file_is_written_whole_issue_5() {
    let (dir, ad_file, cloud_file) = files(
        &ad("Taro", &[&format!("objectGUID:: {A1}")]),
        &open_tenant(vec![]),
    );
    let out = dir.path().join("plan.json");
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["plan", "--format", "json", "-o"])
        .arg(&out)
        .arg("--ad")
        .arg(&ad_file)
        .arg("--cloud")
        .arg(&cloud_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let plan: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(plan["summary"]["create"], 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".anchorsync-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn malformed_snapshot_names_file_line_and_column_and_writes_nothing_issue_5() {
    let dir = tempfile::tempdir().unwrap();
    let ad_file = dir.path().join("users.ldif");
    let cloud_file = dir.path().join("tenant.json");
    let out = dir.path().join("plan.json");
    std::fs::write(&ad_file, ad("Taro", &[&format!("objectGUID:: {A1}")])).unwrap();
    std::fs::write(&cloud_file, "{\"users\": [\n  {\"id\": \"1\",}\n]}\n").unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["plan", "--format", "json", "-o"])
        .arg(&out)
        .arg("--ad")
        .arg(&ad_file)
        .arg("--cloud")
        .arg(&cloud_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tenant.json` line 2 column"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "nothing else written"
    );
}

#[test]
fn malformed_ldif_names_file_and_line_issue_5() {
    let run = run_with(
        "dn: CN=A,DC=x\nobjectGUID:: not*base64\n",
        &open_tenant(vec![]),
        "table",
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("users.ldif` line 2"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// `--parse-only` reads both files as `plan` does (the benchmark's floor, issue 15): it counts the users,
/// refuses a broken file as `plan` does, and makes no plan.
#[test]
fn parse_only_counts_both_sides_and_refuses_what_plan_refuses_issue_15() {
    let ldif = [
        ad("Taro", &[&format!("objectGUID:: {A1}")]),
        ad("Hanako", &[&format!("objectGUID:: {A2}")]),
    ]
    .join("\n");
    let tenant = open_tenant(vec![cloud("1", "taro@contoso.com", json!({}))]);
    let run = run_with(&ldif, &tenant, "table", &["--parse-only"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("read 2 on-premises users and 1 cloud user; no plan was made"),
        "{stdout}"
    );
    assert!(!stdout.contains("hard-match"), "no plan: {stdout}");

    let broken = run_with(
        "dn: CN=A,DC=x\nobjectGUID:: not*base64\n",
        &tenant,
        "table",
        &["--parse-only"],
    );
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains("users.ldif` line 2"),
        "{}",
        broken.stderr
    );

    let with_strategy = run_with(
        &ldif,
        &tenant,
        "table",
        &["--parse-only", "--strategy", "soft"],
    );
    assert_eq!(with_strategy.code, 2, "{}", with_strategy.stderr);
    assert!(
        with_strategy.stderr.contains("--strategy"),
        "{}",
        with_strategy.stderr
    );
}

#[test]
fn live_sources_without_a_configuration_say_which_section_is_missing_issue_5() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("anchorsync.toml");
    std::fs::write(&config, "").unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(["plan", "--ad", "ad", "--cloud", "graph"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no `[ad]` section"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn export_csv_type_names_print_the_select_object_the_readme_promises_issue_10() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(
        &csv,
        "#TYPE Microsoft.ActiveDirectory.Management.ADUser\r\n\
         \"DistinguishedName\",\"ObjectGUID\",\"UserPrincipalName\",\"proxyAddresses\",\"mS-DS-ConsistencyGuid\"\r\n\
         \"CN=山田 太郎,OU=東京,DC=corp\",\"88666888-0101-1111-bbbb-1234567890ab\",\"taro@corp\",\"SMTP:taro@corp\",\"System.Byte[]\"\r\n",
    )
    .unwrap();
    let cloud_file = dir.path().join("tenant.json");
    std::fs::write(&cloud_file, open_tenant(vec![]).to_string()).unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("plan")
        .arg("--ad")
        .arg(&csv)
        .arg("--cloud")
        .arg(&cloud_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("line 3, column 5 (`mS-DS-ConsistencyGuid`): `System.Byte[]`"),
        "{stderr}"
    );
    // README, "snapshot ad": the `Select-Object` that exports them properly, proxyAddresses joined
    // with `;`, mS-DS-ConsistencyGuid as Base64 or as a GUID string.
    let hint = &stderr[stderr.find("\nhint: ").expect("a hint")..];
    assert!(hint.contains("Select-Object "), "{hint}");
    assert!(
        hint.contains("@{n='proxyAddresses';e={$_.proxyAddresses -join ';'}}"),
        "{hint}"
    );
    assert!(hint.contains("[Convert]::ToBase64String("), "{hint}");
    assert!(hint.contains("as a GUID string"), "{hint}");
    assert!(hint.contains("[guid]::new("), "{hint}");
}

#[test]
fn a_missing_configuration_file_is_reported_as_missing_issue_10() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.ldif"),
        ad("Taro", &[&format!("objectGUID:: {A1}")]),
    )
    .unwrap();
    let run = |args: &[&str], env: Option<&std::path::Path>| {
        let mut command = Command::cargo_bin("anchorsync").unwrap();
        command
            .current_dir(dir.path())
            .env_remove("ANCHORSYNC_CONFIG")
            .args(args);
        if let Some(path) = env {
            command.env("ANCHORSYNC_CONFIG", path);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    // No file at all: not "no `[graph]` section", but where anchorsync looked and how to give one.
    let stderr = run(&["plan", "--ad", "users.ldif", "--cloud", "graph"], None);
    assert!(!stderr.contains("no `[graph]` section"), "{stderr}");
    assert!(stderr.contains("no configuration file"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`anchorsync.toml` is not in the current directory (`{}`)",
            dir.path().display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--config FILE"), "{stderr}");
    assert!(stderr.contains("ANCHORSYNC_CONFIG"), "{stderr}");
    assert!(stderr.contains("[graph]"), "{stderr}");
    let stderr = run(&["plan", "--ad", "ad", "--cloud", "tenant.json"], None);
    assert!(stderr.contains("no configuration file"), "{stderr}");
    assert!(stderr.contains("[ad]"), "{stderr}");
    // A file named on the command line or in the environment that is not there.
    let missing = dir.path().join("lab.toml");
    let stderr = run(
        &[
            "--config",
            missing.to_str().unwrap(),
            "plan",
            "--ad",
            "users.ldif",
            "--cloud",
            "graph",
        ],
        None,
    );
    assert!(
        stderr.contains(&format!(
            "the configuration file `{}` does not exist",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--config"), "{stderr}");
    let stderr = run(
        &["plan", "--ad", "users.ldif", "--cloud", "graph"],
        Some(&missing),
    );
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("ANCHORSYNC_CONFIG"), "{stderr}");
}

#[test]
fn a_count_of_one_is_singular_issue_10() {
    // One AD user that needs attention (no anchor), one cloud user no AD user reaches, with an
    // ImmutableID.
    let (dir, ad_file, cloud_file) = files(
        &ad("Broken", &["userPrincipalName: broken@example.com"]),
        &open_tenant(vec![cloud(
            "c1",
            "other@example.com",
            json!({"onPremisesImmutableId": A2}),
        )]),
    );
    let run = |args: &[&str]| {
        let output = Command::cargo_bin("anchorsync")
            .unwrap()
            .args(args)
            .arg("--ad")
            .arg(&ad_file)
            .arg("--cloud")
            .arg(&cloud_file)
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            !text.contains("1 users") && !text.contains(" 1 cloud users"),
            "{text}"
        );
        text
    };
    let table = run(&["plan"]);
    for expected in [
        "anchorsync plan: 1 on-premises user, 1 cloud user",
        "1 needs attention",
        "reaches: 1 (1 carries an ImmutableID; its federated sign-in depends on it)",
    ] {
        assert!(
            table
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(expected),
            "{expected:?} not in {table}"
        );
    }
    let verify = run(&["verify"]);
    assert!(
        verify.starts_with("1 user: 0 agree, 0 disagree,"),
        "{verify}"
    );
    drop(dir);

    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["convert", "AA=="])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("decodes to 1 byte, not the 16"), "{text}");
}
