//! `anchorsync plan --strategy` (issue 6): pairing, the steps per strategy, the refusals with the
//! strategy that would work, and `outcomeAfter` checked by applying the steps to the input files
//! and planning again. Scenarios are written by hand from docs/rules.md §5 and read the JSON field
//! names of docs/plan-format.md.

use std::path::Path;

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::plan::{A1, A2, A3, BASE, GLOBAL_ADMINISTRATOR, ad, cloud, open_tenant, tenant};

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn plan_files(ad: &Path, cloud: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("plan")
        .arg("--ad")
        .arg(ad)
        .arg("--cloud")
        .arg(cloud)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run {
        code: output.status.code().unwrap(),
        json: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr,
    }
}

fn strategy_plan(ldif: &str, tenant: &Value, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (ad, cloud) = (
        dir.path().join("users.ldif"),
        dir.path().join("tenant.json"),
    );
    std::fs::write(&ad, ldif).unwrap();
    std::fs::write(&cloud, serde_json::to_vec_pretty(tenant).unwrap()).unwrap();
    plan_files(&ad, &cloud, args)
}

impl Run {
    fn remediation(&self, cn: &str) -> &Value {
        let prefix = format!("CN={cn},");
        &self.json["users"]
            .as_array()
            .unwrap_or_else(|| panic!("no plan: {}", self.stderr))
            .iter()
            .find(|user| user["dn"].as_str().unwrap().starts_with(&prefix))
            .unwrap_or_else(|| panic!("no user {cn} in {:#}", self.json))["remediation"]
    }
}

fn guid_bytes(base64: &str) -> Vec<u8> {
    STANDARD.decode(base64).unwrap()
}

#[test]
fn hard_ad_writes_the_cloud_value_as_bytes_into_ms_ds_consistency_guid_issue_6() {
    let ldif = ad(
        "Taro",
        &[
            "userPrincipalName: taro@example.com",
            "proxyAddresses: SMTP:taro@example.com",
            &format!("mS-DS-ConsistencyGuid:: {A1}"),
        ],
    );
    let tenant = open_tenant(vec![cloud(
        "c-taro",
        "taro@example.com",
        json!({"proxyAddresses": ["SMTP:taro@example.com"], "onPremisesImmutableId": A2}),
    )]);
    let run = strategy_plan(&ldif, &tenant, &["--strategy", "hard-ad"]);
    assert_eq!(run.code, 1, "invalid-soft-match needs attention today");
    assert_eq!(run.json["strategy"], "hard-ad");
    assert_eq!(run.json["sources"]["ad"]["kind"], "file");
    assert_eq!(run.json["sources"]["cloud"]["kind"], "file");
    assert_eq!(run.json["sources"]["cloud"]["tenantId"], "tenant");
    let r = run.remediation("Taro");
    assert_eq!(r["strategy"], "hard-ad");
    assert_eq!(r["pairedBy"], json!(["primarySmtp", "userPrincipalName"]));
    assert_eq!(r["fixable"], true);
    assert_eq!(r["reason"], Value::Null);
    assert_eq!(r["alternative"], Value::Null);
    assert_eq!(r["outcomeAfter"], "hard-match");
    assert_eq!(
        r["steps"],
        json!([{
            "system": "ad", "target": format!("CN=Taro,{BASE}"), "label": "taro@example.com",
            "attribute": "mS-DS-ConsistencyGuid", "before": {"base64": A1}, "after": {"base64": A2},
            "purpose": "set-anchor"
        }])
    );
    assert_eq!(guid_bytes(A2).len(), 16);
}

#[test]
fn hard_ad_under_base64_writes_the_decoded_text_issue_6() {
    // HENNGE's profile: employeeID Base64-encoded is the ImmutableID; the cloud value `RTEwMDIz`
    // ("E10023") is written back as text.
    let ldif = ad(
        "Hanako",
        &[
            "userPrincipalName: hanako@example.com",
            "employeeID: E1",
            &format!("objectGUID:: {A1}"),
        ],
    );
    let tenant = open_tenant(vec![cloud(
        "c-hanako",
        "hanako@example.com",
        json!({"onPremisesImmutableId": "RTEwMDIz"}),
    )]);
    let run = strategy_plan(
        &ldif,
        &tenant,
        &[
            "--strategy",
            "hard-ad",
            "--anchor-attribute",
            "employeeID",
            "--anchor-encoding",
            "base64",
        ],
    );
    let r = run.remediation("Hanako");
    assert_eq!(r["fixable"], true, "{r:#}");
    assert_eq!(r["steps"][0]["attribute"], "employeeID");
    assert_eq!(r["steps"][0]["before"], "E1");
    assert_eq!(r["steps"][0]["after"], "E10023");
    assert_eq!(r["outcomeAfter"], "hard-match");
}

#[test]
fn hard_cloud_moves_a_federated_upn_away_and_back_around_the_change_issue_6() {
    let ldif = ad(
        "Jiro",
        &[
            "userPrincipalName: jiro@example.co.jp",
            &format!("mS-DS-ConsistencyGuid:: {A3}"),
        ],
    );
    let tenant = open_tenant(vec![cloud(
        "c-jiro",
        "jiro@example.co.jp",
        json!({"onPremisesImmutableId": "10000183"}),
    )]);
    let run = strategy_plan(&ldif, &tenant, &["--strategy", "hard-cloud"]);
    let r = run.remediation("Jiro");
    assert_eq!(r["fixable"], true, "{r:#}");
    assert_eq!(r["pairedBy"], json!(["userPrincipalName"]));
    assert_eq!(r["outcomeAfter"], "hard-match");
    let step = |system: &str, attribute: &str, before: Value, after: Value, purpose: &str| {
        json!({"system": system, "target": "c-jiro", "label": "jiro@example.co.jp",
               "attribute": attribute, "before": before, "after": after, "purpose": purpose})
    };
    assert_eq!(
        r["steps"],
        json!([
            step(
                "cloud",
                "userPrincipalName",
                json!("jiro@example.co.jp"),
                json!("jiro@contoso.onmicrosoft.com"),
                "federated-upn-away"
            ),
            step(
                "cloud",
                "onPremisesImmutableId",
                json!("10000183"),
                json!(A3),
                "set-immutable-id"
            ),
            step(
                "cloud",
                "userPrincipalName",
                json!("jiro@contoso.onmicrosoft.com"),
                json!("jiro@example.co.jp"),
                "federated-upn-back"
            ),
        ])
    );
}

#[test]
fn refusals_give_the_reason_and_the_strategy_that_would_work_issue_6() {
    let ldif = [
        ad(
            "Fed",
            &[
                "userPrincipalName: fed@example.co.jp",
                &format!("mS-DS-ConsistencyGuid:: {A1}"),
            ],
        ),
        ad(
            "Admin",
            &[
                "userPrincipalName: admin@example.com",
                &format!("mS-DS-ConsistencyGuid:: {A2}"),
            ],
        ),
        ad(
            "Short",
            &[
                "userPrincipalName: short@example.com",
                &format!("mS-DS-ConsistencyGuid:: {A3}"),
            ],
        ),
    ]
    .concat();
    let tenant = tenant(
        vec![
            cloud(
                "c-fed",
                "fed@example.co.jp",
                json!({"onPremisesImmutableId": "10000183"}),
            ),
            cloud(
                "c-admin",
                "admin@example.com",
                json!({"onPremisesImmutableId": "YWRtaW4="}),
            ),
            cloud(
                "c-short",
                "short@example.com",
                json!({"onPremisesImmutableId": "260051"}),
            ),
        ],
        json!({}),
        vec![
            json!({"id": "r1", "principalId": "c-admin", "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}),
        ],
    );
    let soft = strategy_plan(&ldif, &tenant, &["--strategy", "soft"]);
    let fed = soft.remediation("Fed");
    assert_eq!(
        (&fed["fixable"], &fed["alternative"]),
        (&json!(false), &json!("hard-ad"))
    );
    assert!(
        fed["reason"].as_str().unwrap().contains("federated domain"),
        "{fed:#}"
    );
    assert_eq!(fed["steps"], json!([]));
    let admin = soft.remediation("Admin");
    assert_eq!(admin["alternative"], "hard-ad");
    assert!(
        admin["reason"]
            .as_str()
            .unwrap()
            .contains("Global Administrator")
    );
    let hard_ad = strategy_plan(&ldif, &tenant, &["--strategy", "hard-ad"]);
    let short = hard_ad.remediation("Short");
    assert_eq!(short["alternative"], "soft");
    assert!(
        short["reason"]
            .as_str()
            .unwrap()
            .contains("not canonical Base64"),
        "{short:#}"
    );
    let fed = hard_ad.remediation("Fed");
    assert_eq!(fed["alternative"], "hard-cloud");
    assert!(
        fed["reason"].as_str().unwrap().contains("6 bytes"),
        "{fed:#}"
    );
    let hard_cloud = strategy_plan(&ldif, &tenant, &["--strategy", "hard-cloud"]);
    let admin = hard_cloud.remediation("Admin");
    assert_eq!(
        (&admin["fixable"], &admin["alternative"]),
        (&json!(false), &json!("hard-ad"))
    );
    // Exit status keeps plan's meaning: these users need attention today.
    assert_eq!(hard_cloud.code, 1);
}

#[test]
fn pairing_conflicts_are_reported_with_rules_and_cloud_users_issue_6() {
    let ldif = ad(
        "Mixed",
        &[
            "userPrincipalName: mixed@example.com",
            "proxyAddresses: SMTP:m.other@example.com",
            &format!("mS-DS-ConsistencyGuid:: {A1}"),
        ],
    );
    let tenant = open_tenant(vec![
        cloud("c-upn", "mixed@example.com", json!({})),
        cloud(
            "c-smtp",
            "other@example.com",
            json!({"proxyAddresses": ["SMTP:m.other@example.com"]}),
        ),
    ]);
    let run = strategy_plan(&ldif, &tenant, &["--strategy", "hard-cloud"]);
    let r = run.remediation("Mixed");
    assert_eq!(r["fixable"], false);
    assert_eq!(r["pairedBy"], json!([]));
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .starts_with("pairing conflict"),
        "{r:#}"
    );
    assert_eq!(
        r["pairingConflicts"],
        json!([
            {"rule": "primarySmtp", "cloudUserId": "c-smtp", "userPrincipalName": "other@example.com"},
            {"rule": "userPrincipalName", "cloudUserId": "c-upn", "userPrincipalName": "mixed@example.com"}
        ])
    );
    // A mapping file names the pair; the disagreeing rule stays visible.
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("pairs.csv");
    std::fs::write(
        &mapping,
        format!("\u{feff}dn,cloudUserPrincipalName\r\n\"CN=Mixed,{BASE}\",mixed@example.com\r\n"),
    )
    .unwrap();
    let run = strategy_plan(
        &ldif,
        &tenant,
        &[
            "--strategy",
            "hard-cloud",
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    let r = run.remediation("Mixed");
    assert_eq!(r["fixable"], true, "{r:#}");
    assert_eq!(r["pairedBy"], json!(["mapping", "userPrincipalName"]));
    assert_eq!(r["pairingConflicts"][0]["rule"], "primarySmtp");
    assert_eq!(r["steps"][0]["target"], "c-upn");
}

#[test]
fn join_attribute_pairs_by_employee_id_issue_6() {
    let ldif = ad(
        "Emp",
        &[
            "userPrincipalName: emp@corp.local",
            "employeeID: E42",
            &format!("mS-DS-ConsistencyGuid:: {A1}"),
        ],
    );
    let tenant = open_tenant(vec![cloud(
        "c-emp",
        "e.yamada@example.com",
        json!({"employeeId": "e42"}),
    )]);
    let without = strategy_plan(&ldif, &tenant, &["--strategy", "hard-cloud"]);
    assert_eq!(without.remediation("Emp")["fixable"], false);
    let with = strategy_plan(
        &ldif,
        &tenant,
        &["--strategy", "hard-cloud", "--join-attribute", "employeeId"],
    );
    let r = with.remediation("Emp");
    assert_eq!(r["pairedBy"], json!(["joinAttribute"]));
    assert_eq!(r["outcomeAfter"], "hard-match");
}

#[test]
fn without_strategy_the_plan_has_no_strategy_fields_and_a_bad_mapping_is_exit_2_issue_6() {
    let ldif = ad(
        "Taro",
        &[
            "userPrincipalName: taro@example.com",
            &format!("mS-DS-ConsistencyGuid:: {A1}"),
        ],
    );
    let tenant = open_tenant(vec![cloud("c-taro", "taro@example.com", json!({}))]);
    let run = strategy_plan(&ldif, &tenant, &[]);
    assert!(run.json.get("strategy").is_none() && run.json.get("sources").is_none());
    assert!(run.json["users"][0].get("remediation").is_none());
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("pairs.csv");
    std::fs::write(&mapping, "dn,cloudUserId\nCN=A,c1\nCN=B\n").unwrap();
    let run = strategy_plan(
        &ldif,
        &tenant,
        &["--strategy", "soft", "--mapping", mapping.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("pairs.csv") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
}

/// Applies a plan's fixable steps to the input files the way `apply` changes the systems: AD values
/// into the LDIF records (by DN), cloud values into the snapshot's users (by id).
fn apply_to_files(plan: &Value, ldif: &Path, snapshot: &Path) {
    let mut ad_changes: Vec<(String, String, Value)> = Vec::new();
    let mut cloud: Value = serde_json::from_slice(&std::fs::read(snapshot).unwrap()).unwrap();
    for user in plan["users"].as_array().unwrap() {
        let r = &user["remediation"];
        if r["fixable"] != true {
            continue;
        }
        for step in r["steps"].as_array().unwrap() {
            let target = step["target"].as_str().unwrap();
            let attribute = step["attribute"].as_str().unwrap().to_owned();
            if step["system"] == "ad" {
                ad_changes.push((target.to_lowercase(), attribute, step["after"].clone()));
                continue;
            }
            let holder = cloud["users"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|user| user["id"] == target)
                .unwrap();
            assert_eq!(
                holder[&attribute], step["before"],
                "{target} {attribute}: `before` must be the current value"
            );
            holder[&attribute] = step["after"].clone();
        }
    }
    std::fs::write(snapshot, serde_json::to_vec(&cloud).unwrap()).unwrap();
    if ad_changes.is_empty() {
        return;
    }
    let text = std::fs::read_to_string(ldif).unwrap();
    let mut out = String::new();
    for record in text.split("\n\n") {
        // Unfold continuation lines, then find the record's DN.
        let mut lines: Vec<String> = Vec::new();
        for line in record.lines() {
            match (line.strip_prefix(' '), lines.last_mut()) {
                (Some(rest), Some(last)) => last.push_str(rest),
                _ => lines.push(line.to_owned()),
            }
        }
        let dn = lines.iter().find_map(|line| {
            line.strip_prefix("dn:: ")
                .map(|b64| String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap())
                .or_else(|| line.strip_prefix("dn: ").map(str::to_owned))
        });
        if let Some(dn) = dn
            && let Some((_, attribute, after)) = ad_changes
                .iter()
                .find(|(target, _, _)| *target == dn.to_lowercase())
        {
            let prefix = format!("{}:", attribute.to_lowercase());
            lines.retain(|line| !line.to_lowercase().starts_with(&prefix));
            match after {
                Value::Object(bytes) => lines.push(format!(
                    "{attribute}:: {}",
                    bytes["base64"].as_str().unwrap()
                )),
                Value::String(text) => {
                    lines.push(format!("{attribute}:: {}", STANDARD.encode(text)))
                }
                _ => {}
            }
        }
        out.push_str(&lines.join("\n"));
        out.push_str("\n\n");
    }
    std::fs::write(ldif, out).unwrap();
}

/// The strong property: for generated directories, applying every fixable user's steps to the input
/// files and planning again gives exactly each user's `outcomeAfter`.
#[test]
fn outcome_after_is_what_plan_says_once_the_steps_are_applied_issue_6() {
    let generated = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("demo", vec!["--demo"]),
        ("mixed", vec!["--users", "600", "--seed", "11"]),
    ] {
        let dir = generated.path().join(name);
        let output = Command::cargo_bin("anchorsync")
            .unwrap()
            .arg("generate")
            .args(&args)
            .arg("-o")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(output.status.success());
        // The same tenant once federation is switched off: the soft strategy's case.
        let mut unfederated: Value =
            serde_json::from_slice(&std::fs::read(dir.join("tenant.json")).unwrap()).unwrap();
        for domain in unfederated["domains"].as_array_mut().unwrap() {
            domain["authenticationType"] = json!("Managed");
        }
        std::fs::write(
            dir.join("unfederated.json"),
            serde_json::to_vec(&unfederated).unwrap(),
        )
        .unwrap();
        for (strategy, tenant_file) in [
            ("hard-ad", "tenant.json"),
            ("hard-cloud", "tenant.json"),
            ("soft", "unfederated.json"),
        ] {
            let work = tempfile::tempdir().unwrap();
            let (ldif, snapshot) = (work.path().join("ad.ldif"), work.path().join("tenant.json"));
            std::fs::copy(dir.join("ad.ldif"), &ldif).unwrap();
            std::fs::copy(dir.join(tenant_file), &snapshot).unwrap();
            let before = plan_files(&ldif, &snapshot, &["--strategy", strategy]);
            let fixable = before.json["users"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|user| user["remediation"]["fixable"] == true)
                .count();
            assert!(
                fixable > 5,
                "{name} {strategy}: only {fixable} fixable users make a weak test"
            );
            apply_to_files(&before.json, &ldif, &snapshot);
            let after = plan_files(&ldif, &snapshot, &[]);
            let outcomes: std::collections::HashMap<&str, &Value> = after.json["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| (user["dn"].as_str().unwrap(), &user["outcome"]))
                .collect();
            for user in before.json["users"].as_array().unwrap() {
                let dn = user["dn"].as_str().unwrap();
                assert_eq!(
                    outcomes[dn], &user["remediation"]["outcomeAfter"],
                    "{name} {strategy}: {dn}: {:#}",
                    user["remediation"]
                );
                if user["remediation"]["fixable"] == true {
                    let wanted: &[&str] = if strategy == "soft" {
                        &["soft-match-smtp", "soft-match-upn"]
                    } else {
                        &["hard-match", "hard-match-blocked"]
                    };
                    assert!(wanted.contains(&outcomes[dn].as_str().unwrap()), "{dn}");
                }
            }
        }
    }
}

/// End to end on the twin: `plan --strategy` against a live tenant, `apply --yes`, `plan` again: every
/// user's outcome is the `outcomeAfter` the first plan predicted (hard-cloud on the bundled demo tenant;
/// soft on the same tenant with federation switched off).
#[test]
fn applying_a_plan_to_the_twin_gives_the_predicted_outcomes_issue_6() {
    use anchorsync_core::tenant::TenantSnapshot;
    use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    for strategy in ["hard-cloud", "soft"] {
        let dir = tempfile::tempdir().unwrap();
        let mut tenant: TenantSnapshot =
            serde_json::from_slice(&std::fs::read(demo.join("tenant.json")).unwrap()).unwrap();
        if strategy == "soft" {
            for domain in &mut tenant.domains {
                domain.authentication_type = "Managed".to_owned();
            }
        }
        let twin = TwinServer::start(
            tenant,
            TwinConfig::new("8abb4741-c8a9-42ee-bc16-d09c6396aa02").with_client(
                AppClient::with_secret("c0ffee00-0000-4000-8000-000000000001", "s3cret"),
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("secret"), "s3cret").unwrap();
        let config = dir.path().join("anchorsync.toml");
        std::fs::write(
            &config,
            format!(
                "[graph]\ntenant_id = \"{}\"\nclient_id = \"c0ffee00-0000-4000-8000-000000000001\"\n\
                 token_url = \"{}\"\ngraph_url = \"{}\"\nclient_secret_file = \"{}\"\n",
                twin.tenant_id(),
                twin.token_url(),
                twin.base_url(),
                dir.path().join("secret").display()
            ),
        )
        .unwrap();
        let anchorsync = |args: &[&str]| {
            Command::cargo_bin("anchorsync")
                .unwrap()
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .env("ANCHORSYNC_NO_PROGRESS", "1")
                .args(args)
                .output()
                .unwrap()
        };
        let ad = demo.join("ad.ldif");
        let ad = ad.to_str().unwrap();
        let plan_path = dir.path().join("plan.json");
        let made = anchorsync(&[
            "plan",
            "--ad",
            ad,
            "--cloud",
            "graph",
            "--strategy",
            strategy,
            "--format",
            "json",
            "-o",
            plan_path.to_str().unwrap(),
        ]);
        assert_eq!(
            made.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let before: Value = serde_json::from_slice(&std::fs::read(&plan_path).unwrap()).unwrap();
        let fixable = before["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|user| user["remediation"]["fixable"] == true)
            .count();
        assert!(fixable > 5, "{strategy}: {fixable} fixable users");
        let applied = anchorsync(&["apply", plan_path.to_str().unwrap(), "--yes"]);
        assert_eq!(
            applied.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&applied.stdout),
            String::from_utf8_lossy(&applied.stderr)
        );
        let replanned = anchorsync(&["plan", "--ad", ad, "--cloud", "graph", "--format", "json"]);
        let after: Value = serde_json::from_slice(&replanned.stdout).unwrap();
        let outcomes: std::collections::HashMap<&str, &Value> = after["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| (user["dn"].as_str().unwrap(), &user["outcome"]))
            .collect();
        for user in before["users"].as_array().unwrap() {
            let dn = user["dn"].as_str().unwrap();
            assert_eq!(
                outcomes[dn], &user["remediation"]["outcomeAfter"],
                "{strategy}: {dn}"
            );
        }
    }
}

#[test]
fn table_groups_of_refusals_name_their_users_never_a_placeholder_issue_10() {
    // Seven federated users `soft` cannot fix (one cause, each with its own UPN in the reason), and
    // one administrator (a cause of its own).
    let mut ldif = String::new();
    let mut users = Vec::new();
    for n in 1..=7u8 {
        ldif.push_str(&ad(
            &format!("Fed {n}"),
            &[
                &format!("userPrincipalName: fed{n}@example.co.jp"),
                &format!("objectGUID:: {}", STANDARD.encode([n; 16])),
            ],
        ));
        users.push(cloud(
            &format!("c-fed-{n}"),
            &format!("fed{n}@example.co.jp"),
            json!({"onPremisesImmutableId": format!("ZmVkMDAw{n}A==")}),
        ));
    }
    ldif.push_str(&ad(
        "Admin",
        &[
            "userPrincipalName: admin@example.com",
            &format!("mS-DS-ConsistencyGuid:: {A2}"),
        ],
    ));
    users.push(cloud(
        "c-admin",
        "admin@example.com",
        json!({"onPremisesImmutableId": "YWRtaW4="}),
    ));
    let tenant = tenant(
        users,
        json!({}),
        vec![
            json!({"id": "r1", "principalId": "c-admin", "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"}),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let (ad_file, cloud_file) = (
        dir.path().join("users.ldif"),
        dir.path().join("tenant.json"),
    );
    std::fs::write(&ad_file, ldif).unwrap();
    std::fs::write(&cloud_file, tenant.to_string()).unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .arg("plan")
        .arg("--ad")
        .arg(&ad_file)
        .arg("--cloud")
        .arg(&cloud_file)
        .args(["--strategy", "soft"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let refusals = &text[text.find("Not fixable with soft, by reason:").expect(&text)..];
    assert!(!refusals.contains('…'), "{refusals}");
    // The group's reason is a real one (the first user's, values included)...
    assert!(
        refusals.contains("7  `fed1@example.co.jp` signs in through the federated domain"),
        "{refusals}"
    );
    // ...and the group names its first users and counts the rest.
    let joined = refusals.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains(
            "users: fed1@example.co.jp, fed2@example.co.jp, fed3@example.co.jp, fed4@example.co.jp, \
             fed5@example.co.jp and 2 more (the reason names the first user's values"
        ),
        "{refusals}"
    );
    assert!(joined.contains("user: admin@example.com"), "{refusals}");
    assert!(
        !joined.contains("admin@example.com (the reason"),
        "{refusals}"
    );
    for line in text.lines().filter(|line| !line.contains("CN=")) {
        assert!(line.chars().count() <= 100, "{line}");
    }
}
