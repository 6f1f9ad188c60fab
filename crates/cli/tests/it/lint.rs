//! `anchorsync lint` through the binary, against the test Samba DC (issue 16): findings read live,
//! `--fix` applied through `apply`, undone through `undo`.

use anchorsync_testkit::{TestDirectory, add, replace_text};
use serde_json::Value;

use crate::lab::*;

fn lint_json(lab: &Lab, extra: &[&str]) -> (Option<i32>, Value) {
    let output = lab
        .anchorsync()
        .args(["lint", "--ad", "ad", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

/// `(dn, attribute, value, rule)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            let field = |name: &str| finding[name].as_str().unwrap_or_default().to_owned();
            (
                field("dn"),
                field("attribute"),
                field("value"),
                field("rule"),
            )
        })
        .collect()
}

async fn values(directory: &TestDirectory, dn: &str, attribute: &str) -> Vec<Vec<u8>> {
    let mut admin = directory.admin().await;
    let mut values = directory.read_values(&mut admin, dn, attribute).await;
    values.sort();
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lint_fix_applies_through_apply_and_undo_restores_every_byte_issue_16() {
    let directory = TestDirectory::from_env();
    let (ou, users) = ad_users(&directory, "lint", 2).await;
    let (taro, taro_upn) = &users[0];
    let (hanako, _) = &users[1];
    let sam = taro_upn.split('@').next().unwrap().to_owned();
    let mut admin = directory.admin().await;
    // Taro: a `.` before the `@`, spaces around mailNickname, a parenthesis in a secondary address.
    let bad_upn = format!("{sam}.@corp.example.com");
    let bad_nickname = format!(" {sam} ");
    let bad_proxy = format!("smtp:{sam}(x)@example.com");
    let primary = format!("SMTP:{sam}@example.com");
    replace_text(&mut admin, taro, "userPrincipalName", &[&bad_upn]).await;
    replace_text(&mut admin, taro, "mailNickname", &[&bad_nickname]).await;
    replace_text(&mut admin, taro, "proxyAddresses", &[&primary, &bad_proxy]).await;
    // A group whose mail is Hanako's address: a duplicate across objects and attributes.
    let hanako_address =
        String::from_utf8(values(&directory, hanako, "proxyAddresses").await[0].clone())
            .unwrap()
            .trim_start_matches("SMTP:")
            .to_owned();
    let group = format!("CN=Lint Group,{ou}");
    add(
        &mut admin,
        &group,
        &[
            ("objectClass", &["group"]),
            ("displayName", &["Lint Group"]),
            ("mail", &[&hanako_address]),
        ],
    )
    .await;

    // A contact holding Hanako's address as a proxy address: contacts are read too.
    let contact = format!("CN=Lint Contact,{ou}");
    let contact_proxy = format!("smtp:{hanako_address}");
    add(
        &mut admin,
        &contact,
        &[
            ("objectClass", &["contact"]),
            ("displayName", &["Lint Contact"]),
            ("proxyAddresses", &[&contact_proxy]),
        ],
    )
    .await;

    let lab = Lab::new(Some((&directory, &ou)), None);
    let tenant_file = lab.write(
        "tenant.json",
        &serde_json::to_string(&tenant(Vec::new())).unwrap(),
    );
    let plan_outcomes = || {
        let output = lab
            .anchorsync()
            .args([
                "plan",
                "--ad",
                "ad",
                "--cloud",
                tenant_file.to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            text(&output)
        );
        let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
        plan["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| {
                (
                    user["dn"].as_str().unwrap().to_owned(),
                    user["outcome"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let outcomes_before = plan_outcomes();

    let (status, report) = lint_json(&lab, &[]);
    assert_eq!(status, Some(1));
    let found = findings(&report);
    let has = |dn: &str, rule: &str| found.iter().any(|(d, _, _, r)| d == dn && r == rule);
    assert!(has(taro, "upn-dot-before-at"), "{found:?}");
    assert!(has(taro, "whitespace"), "{found:?}");
    assert!(has(taro, "proxy-character"), "{found:?}");
    assert!(has(hanako, "duplicate-address"), "{found:?}");
    assert!(
        has(&group, "duplicate-address"),
        "the group is read too: {found:?}"
    );
    assert!(
        has(&contact, "duplicate-address"),
        "the contact is read too: {found:?}"
    );

    let before: Vec<Vec<Vec<u8>>> = futures_values(&directory, taro).await;

    // Duplicates are never accepted automatically.
    let refused = lab
        .anchorsync()
        .args(["lint", "--ad", "ad", "--fix"])
        .arg(lab.folder.path().join("never.json"))
        .args(["--accept", "duplicate-address"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));

    let fix_file = lab.folder.path().join("fix.json");
    let output = lab
        .anchorsync()
        .args(["lint", "--ad", "ad", "--format", "json", "--fix"])
        .arg(&fix_file)
        .args([
            "--accept",
            "whitespace,upn-dot-before-at",
            "--accept",
            "proxy-character",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let plan: Value = serde_json::from_slice(&std::fs::read(&fix_file).unwrap()).unwrap();
    let steps: Vec<&Value> = plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|user| user["remediation"]["steps"].as_array().unwrap())
        .collect();
    assert_eq!(steps.len(), 3, "{plan:#}");
    assert!(
        steps.iter().all(|step| step["target"] == taro.as_str()),
        "only Taro's values: {plan:#}"
    );

    // `apply --emit powershell` changes one proxy address, never the whole list.
    let script = lab.folder.path().join("fix.ps1");
    let emitted = lab.apply(
        &fix_file,
        &["--emit", "powershell", "-o", script.to_str().unwrap()],
    );
    assert_eq!(emitted.status.code(), Some(0), "{}", text(&emitted));
    let script = std::fs::read_to_string(&script).unwrap();
    assert!(
        script.contains("Set-AnchorsyncListValue -Identity"),
        "{script}"
    );

    let applied = lab.apply(&fix_file, &["--yes"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    assert_eq!(
        values(&directory, taro, "userPrincipalName").await,
        vec![format!("{sam}@corp.example.com").into_bytes()]
    );
    assert_eq!(
        values(&directory, taro, "mailNickname").await,
        vec![sam.clone().into_bytes()]
    );
    let mut proxies = vec![
        primary.clone().into_bytes(),
        format!("smtp:{sam}x@example.com").into_bytes(),
    ];
    proxies.sort();
    assert_eq!(values(&directory, taro, "proxyAddresses").await, proxies);

    // Lint again: none of the fixed findings, the duplicate still there; plan: no new conflict.
    let (_, after) = lint_json(&lab, &[]);
    let found_after = findings(&after);
    for rule in ["upn-dot-before-at", "whitespace", "proxy-character"] {
        assert!(
            !found_after
                .iter()
                .any(|(d, _, _, r)| d == taro && r == rule),
            "{rule}: {found_after:?}"
        );
    }
    assert!(
        found_after
            .iter()
            .any(|(d, _, _, r)| d == hanako && r == "duplicate-address")
    );
    assert_eq!(plan_outcomes(), outcomes_before);

    // Undo: every value back, byte for byte.
    let runs = lab.runs();
    let id = runs[0]["id"].as_str().unwrap().to_owned();
    let undo = lab
        .anchorsync()
        .args(["undo", &id, "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    assert_eq!(futures_values(&directory, taro).await, before);
}

/// Taro's three fixed attributes, each sorted.
async fn futures_values(directory: &TestDirectory, dn: &str) -> Vec<Vec<Vec<u8>>> {
    let mut all = Vec::new();
    for attribute in ["userPrincipalName", "mailNickname", "proxyAddresses"] {
        all.push(values(directory, dn, attribute).await);
    }
    all
}

#[test]
fn bad_input_is_an_error_naming_the_problem_issue_16() {
    let lab = Lab::new(None, None);
    let ldif = lab.write(
        "users.ldif",
        "dn: CN=Taro,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Taro\ndisplayName: Taro\nuserPrincipalName: taro@example.com\n",
    );
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--ignore",
            "no-such-rule",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`--ignore no-such-rule` names no rule")
    );
    let clean = lab
        .anchorsync()
        .args(["lint", "--ad", ldif.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
}

#[test]
fn lint_format_html_filters_in_chromium_and_fetches_nothing_issue_16() {
    let lab = Lab::new(None, None);
    let ldif = lab.write(
        "users.ldif",
        "dn: CN=Taro <b>x</b>,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Taro\ndisplayName: Taro\nuserPrincipalName: taro.@example.com\n\n\
         dn: CN=Hanako,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Hanako\ndisplayName: Hanako\nuserPrincipalName: hanako@corp.local\n\
         proxyAddresses: smtp:taro.@example.com\n",
    );
    let page = lab.folder.path().join("lint.html");
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));

    let browser = crate::browser::Browser::start();
    let url = browser.open_file(&page);
    let rows = || -> usize {
        browser
            .run(
                "return [...document.querySelectorAll('#finding-table tbody tr')].filter((tr) => !tr.hidden).length;",
                serde_json::json!([]),
            )
            .as_u64()
            .unwrap() as usize
    };
    browser.wait_for(
        "the findings are counted",
        "return document.getElementById('shown').textContent.endsWith('findings shown');",
        serde_json::json!([]),
    );
    let all = rows();
    assert!(all >= 4, "{all}");
    // The DN is text, not markup.
    let cell = browser.run(
        "return [...document.querySelectorAll('#finding-table tbody td code')].map((c) => c.textContent).join('\\n');",
        serde_json::json!([]),
    );
    assert!(cell.as_str().unwrap().contains("<b>x</b>"), "{cell}");
    let input = browser.find("#finding-filter");
    browser.type_into(&input, "upn-tld");
    browser.wait_for(
        "one finding is left",
        "return document.getElementById('shown').textContent.startsWith('1 of');",
        serde_json::json!([]),
    );
    assert_eq!(rows(), 1);
    crate::html_report::assert_quiet_and_offline(&browser, &url);
}

#[test]
fn an_edited_findings_csv_becomes_the_fixes_and_duplicates_need_a_decision_issue_16() {
    let lab = Lab::new(None, None);
    let ldif = lab.write(
        "users.ldif",
        "dn: CN=Taro,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Taro\ndisplayName: Taro\n\
         userPrincipalName: taro@example.com\nproxyAddresses: SMTP:taro@example.com\nproxyAddresses: smtp:info@example.com\n\n\
         dn: CN=Info,OU=Groups,DC=corp\nobjectClass: group\ncn: Info\ndisplayName: Info\nmail: info@example.com\n\n\
         dn: CN=Hanako,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Hanako\ndisplayName: Hanako\n\
         userPrincipalName: hanako@example.com\nmailNickname: hana ko\n",
    );
    let csv_path = lab.folder.path().join("findings.csv");
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--format",
            "csv",
            "-o",
            csv_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    // The administrator removes Taro's copy of the group's address and edits Hanako's alias by hand.
    let edited: Vec<String> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|line| {
            if line.starts_with("\"CN=Taro,") && line.contains("smtp:info@example.com") {
                // `proposed` stays empty, ACTION `remove`, UPDATE empty.
                format!("{},remove,", &line[..line.len() - 2])
            } else if line.starts_with("\"CN=Hanako,") && line.contains("mailnickname-character") {
                let cut = line.rfind(",,").unwrap();
                format!("{},edit,hanako.y", &line[..cut])
            } else {
                line.to_owned()
            }
        })
        .collect();
    let actions = lab.write("actions.csv", &edited.join("\r\n"));
    let fix = lab.folder.path().join("fix.json");
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--fix",
            fix.to_str().unwrap(),
            "--actions",
        ])
        .arg(&actions)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let plan: Value = serde_json::from_slice(&std::fs::read(&fix).unwrap()).unwrap();
    let steps: Vec<(String, String, Value, Value)> = plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|user| user["remediation"]["steps"].as_array().unwrap().clone())
        .map(|step| {
            (
                step["target"].as_str().unwrap().to_owned(),
                step["attribute"].as_str().unwrap().to_owned(),
                step["before"].clone(),
                step["after"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "CN=Hanako,OU=Tokyo,DC=corp".to_owned(),
                "mailNickname".to_owned(),
                "hana ko".into(),
                "hanako.y".into()
            ),
            (
                "CN=Taro,OU=Tokyo,DC=corp".to_owned(),
                "proxyAddresses".to_owned(),
                "smtp:info@example.com".into(),
                Value::Null
            ),
        ],
        "{plan:#}"
    );

    // An edit to a value another object holds is refused, naming both, and no plan is written.
    let conflicting: Vec<String> = edited
        .iter()
        .map(|line| line.replace(",remove,", ",edit,"))
        .map(|line| {
            if line.starts_with("\"CN=Taro,") && line.contains(",edit,") {
                format!("{line}smtp:hanako@example.com")
            } else {
                line
            }
        })
        .collect();
    let actions = lab.write("conflicting.csv", &conflicting.join("\r\n"));
    let refused_plan = lab.folder.path().join("refused.json");
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--fix",
            refused_plan.to_str().unwrap(),
            "--actions",
        ])
        .arg(&actions)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("which another AD object holds"),
        "{}",
        text(&output)
    );
    assert!(!refused_plan.exists());
}

#[test]
fn with_the_tenant_unmatched_cloud_users_collide_and_unverified_suffixes_are_named_issue_16() {
    let lab = Lab::new(None, None);
    let ldif = lab.write(
        "users.ldif",
        &format!(
            "dn: CN=Taro,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Taro\ndisplayName: Taro\n\
             userPrincipalName: taro@{MANAGED}\nmailNickname: taro\n\n\
             dn: CN=Jiro,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Jiro\ndisplayName: Jiro\n\
             userPrincipalName: jiro@partner.example.org\nmailNickname: jiro\n"
        ),
    );
    // A cloud user with another UPN holds Taro's UPN as a secondary address: no AD user matches it.
    let mut cloud = cloud_user(
        "10000000-0000-4000-8000-000000000001",
        &format!("someone@{MANAGED}"),
        None,
    );
    cloud["proxyAddresses"] = serde_json::json!([
        format!("SMTP:someone@{MANAGED}"),
        format!("smtp:TARO@{MANAGED}")
    ]);
    let tenant_file = lab.write(
        "tenant.json",
        &serde_json::to_string(&tenant(vec![cloud])).unwrap(),
    );
    let output = lab
        .anchorsync()
        .args([
            "lint",
            "--ad",
            ldif.to_str().unwrap(),
            "--cloud",
            tenant_file.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = findings(&report);
    assert!(
        found.iter().any(|(dn, _, _, rule)| dn == "CN=Taro,OU=Tokyo,DC=corp" && rule == "duplicate-address"),
        "{found:?}"
    );
    let unverified = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule"] == "upn-unverified-domain")
        .unwrap();
    assert_eq!(unverified["dn"], "CN=Jiro,OU=Tokyo,DC=corp");
    assert!(
        unverified["why"]
            .as_str()
            .unwrap()
            .contains(&format!("`jiro@{INITIAL}`")),
        "{unverified}"
    );
    // Without the tenant, neither is known.
    let output = lab
        .anchorsync()
        .args(["lint", "--ad", ldif.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// A tenant with a mail-enabled group holding Taro's UPN as a secondary address and a contact whose
/// primary address is Hanako's `mail`; no cloud user collides.
fn tenant_with_recipients() -> anchorsync_core::tenant::TenantSnapshot {
    let mut snapshot = tenant(Vec::new());
    snapshot.groups = serde_json::from_value(serde_json::json!([
        {"id": "20000000-0000-4000-8000-000000000001", "displayName": "All staff",
         "mail": format!("staff@{MANAGED}"), "mailNickname": "staff",
         "proxyAddresses": [format!("SMTP:staff@{MANAGED}"), format!("smtp:Taro@{MANAGED}")]},
        // A security group without an address collides with nothing.
        {"id": "20000000-0000-4000-8000-000000000002", "displayName": "Admins",
         "mail": null, "mailNickname": "admins", "proxyAddresses": []}
    ]))
    .unwrap();
    snapshot.contacts = serde_json::from_value(serde_json::json!([
        {"id": "30000000-0000-4000-8000-000000000001", "displayName": "Sales desk",
         "mail": "sales@partner.example.org", "mailNickname": "salesdesk",
         "proxyAddresses": ["SMTP:Sales@Partner.example.org"]}
    ]))
    .unwrap();
    snapshot
}

fn recipients_ldif(lab: &Lab) -> std::path::PathBuf {
    lab.write(
        "recipients.ldif",
        &format!(
            "dn: CN=Taro,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Taro\ndisplayName: Taro\n\
             userPrincipalName: taro@{MANAGED}\nmailNickname: taro\n\n\
             dn: CN=Hanako,OU=Tokyo,DC=corp\nobjectClass: user\ncn: Hanako\ndisplayName: Hanako\n\
             userPrincipalName: hanako@{MANAGED}\nmail: sales@partner.example.org\nmailNickname: hanako\n"
        ),
    )
}

/// The `why` of the duplicate-address finding on `dn`.
fn duplicate_why(report: &Value, dn: &str) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["dn"] == dn && finding["rule"] == "duplicate-address")
        .unwrap_or_else(|| panic!("no duplicate-address on {dn}: {report}"))["why"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn assert_recipients_found(report: &Value) {
    let taro = duplicate_why(report, "CN=Taro,OU=Tokyo,DC=corp");
    assert!(
        taro.contains("the cloud group `All staff` (id `20000000-0000-4000-8000-000000000001`"),
        "{taro}"
    );
    let hanako = duplicate_why(report, "CN=Hanako,OU=Tokyo,DC=corp");
    assert!(
        hanako
            .contains("the cloud contact `Sales desk` (id `30000000-0000-4000-8000-000000000001`"),
        "{hanako}"
    );
}

#[test]
fn with_the_tenant_cloud_groups_and_contacts_holding_ad_addresses_are_named_issue_16() {
    let lab = Lab::new(None, None);
    let ldif = recipients_ldif(&lab);
    let tenant_file = lab.write("tenant.json", &tenant_with_recipients().to_json().unwrap());
    let lint = |cloud: &str| {
        lab.anchorsync()
            .args(["lint", "--ad", ldif.to_str().unwrap(), "--cloud", cloud])
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    // From a snapshot file.
    let output = lint(tenant_file.to_str().unwrap());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_recipients_found(&serde_json::from_slice(&output.stdout).unwrap());
    // From a running twin serving the same tenant, read over /groups and /contacts.
    // The lab's app holds the twin's standard permissions, Group.Read.All and OrgContact.Read.All among them.
    let twin = twin_with(tenant_with_recipients(), |_| {});
    let live = Lab::new(None, Some(&twin));
    let ldif = recipients_ldif(&live);
    let output = live
        .anchorsync()
        .args(["lint", "--ad", ldif.to_str().unwrap(), "--cloud", "graph"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_recipients_found(&serde_json::from_slice(&output.stdout).unwrap());
    // An app without those permissions: a warning naming them, and the rest of the lint still runs.
    let refused = twin_with(tenant_with_recipients(), |config| {
        if let Some(client) = config.clients.first_mut() {
            client.permissions.retain(|permission| {
                !matches!(
                    permission.as_str(),
                    "Group.Read.All" | "OrgContact.Read.All"
                )
            });
        }
    });
    let lab = Lab::new(None, Some(&refused));
    let ldif = recipients_ldif(&lab);
    let output = lab
        .anchorsync()
        .args(["lint", "--ad", ldif.to_str().unwrap(), "--cloud", "graph"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        stderr.contains("warning: groups were not read") && stderr.contains("Group.Read.All"),
        "{stderr}"
    );
    assert!(stderr.contains("OrgContact.Read.All"), "{stderr}");
}
