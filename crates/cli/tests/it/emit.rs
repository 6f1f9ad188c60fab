//! `anchorsync apply --emit ldif|powershell -o FILE` (issue 6): the changes written as files,
//! nothing executed or journaled; the LDIF applied by OpenLDAP's `ldapmodify` to the test Samba DC,
//! and refused by it once the values are no longer the plan's.

use std::process::Command;

use anchorsync_testkit::TestDirectory;
use serde_json::Value;

use crate::lab::*;

fn ldapmodify(directory: &TestDirectory, file: &std::path::Path) -> std::process::Output {
    Command::new("ldapmodify")
        .args(["-H", &directory.url, "-D", &directory.bind_dn, "-y"])
        .arg(&directory.password_file)
        .arg("-f")
        .arg(file)
        .env("LDAPTLS_CACERT", &directory.ca_file)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run `ldapmodify` ({error}): install ldap-utils (scripts/install-test-deps.sh)")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emitted_ldif_is_applied_by_ldapmodify_and_refused_when_stale_issue_6() {
    let directory = TestDirectory::from_env();
    let (_, users) = ad_users(&directory, "emit", 2).await;
    // The first user already has an anchor, which the plan replaces; the second has none.
    let mut admin = directory.admin().await;
    let old = guid_bytes(900);
    anchorsync_testkit::replace_bytes(&mut admin, &users[0].0, "mS-DS-ConsistencyGuid", &[&old])
        .await;
    let federated = "70000000-0000-4000-8000-000000000001";
    let managed = "70000000-0000-4000-8000-000000000002";
    let fed_upn = format!("o'brien@{FEDERATED}");
    let mut fed_steps = federated_steps(
        federated,
        &fed_upn,
        Some(&immutable_id(910)),
        &immutable_id(911),
    );
    fed_steps.insert(
        0,
        set_anchor(&users[0].0, &users[0].1, Some(&old), &guid_bytes(901)),
    );
    let plan_users = vec![
        (users[0].0.as_str(), fed_steps),
        (
            users[1].0.as_str(),
            vec![
                set_anchor(&users[1].0, &users[1].1, None, &guid_bytes(902)),
                cloud_step(
                    managed,
                    &users[1].1,
                    "onPremisesImmutableId",
                    Some(&immutable_id(912)),
                    None,
                    "clear-immutable-id",
                ),
            ],
        ),
    ];
    let lab = Lab::new(None, None);
    let plan_file = lab.write("plan.json", &plan("hard-ad", &plan_users));
    let ldif = lab.folder.path().join("changes.ldif");
    let output = lab
        .anchorsync()
        .args(["apply"])
        .arg(&plan_file)
        .args(["--emit", "ldif", "-o"])
        .arg(&ldif)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("wrote 2 AD changes to"), "{stdout}");
    assert!(stdout.contains("changes-cloud.ps1"), "{stdout}");
    assert!(
        stdout.contains("nothing was executed or journaled"),
        "{stdout}"
    );
    assert!(!lab.data.exists(), "nothing journaled");
    assert_eq!(
        anchor_of(&directory, &users[0].0).await,
        vec![old.to_vec()],
        "nothing executed"
    );

    // ldapmodify applies it...
    let applied = ldapmodify(&directory, &ldif);
    assert!(applied.status.success(), "{}", text(&applied));
    assert_eq!(
        anchor_of(&directory, &users[0].0).await,
        vec![guid_bytes(901).to_vec()]
    );
    assert_eq!(
        anchor_of(&directory, &users[1].0).await,
        vec![guid_bytes(902).to_vec()]
    );
    // ...and refuses it once the values are no longer the plan's `before`, changing nothing.
    let stale = ldapmodify(&directory, &ldif);
    assert!(!stale.status.success(), "{}", text(&stale));
    assert_eq!(
        anchor_of(&directory, &users[0].0).await,
        vec![guid_bytes(901).to_vec()]
    );

    // The cloud script: read, compare, PATCH with an explicit null; the UPN back in `finally`.
    let script = std::fs::read_to_string(lab.folder.path().join("changes-cloud.ps1")).unwrap();
    assert!(
        script.contains("Invoke-MgGraphRequest -Method PATCH"),
        "{script}"
    );
    assert!(
        script.contains(&format!(
            "Set-AnchorsyncUser -Id '{managed}' -Body '{{\"onPremisesImmutableId\":null}}'"
        )),
        "{script}"
    );
    let away = script
        .find(&format!("\"userPrincipalName\":\"o''brien@{INITIAL}\""))
        .unwrap();
    let set = script
        .find(&format!(
            "\"onPremisesImmutableId\":\"{}\"",
            immutable_id(911)
        ))
        .unwrap();
    let finally = script.find("} finally {").unwrap();
    let back = script
        .find(&format!(
            "-Body '{{\"userPrincipalName\":\"o''brien@{FEDERATED}\"}}'"
        ))
        .unwrap();
    assert!(away < set && set < finally && finally < back, "{script}");
    assert!(
        script.contains(&format!(
            "Assert-AnchorsyncUser -Id '{federated}' -Property 'onPremisesImmutableId' -Expected '{}'",
            immutable_id(910)
        )),
        "{script}"
    );

    // The PowerShell form of the AD changes checks the current value before Set-ADUser.
    let ps1 = lab.folder.path().join("changes.ps1");
    let output = lab
        .anchorsync()
        .args(["apply"])
        .arg(&plan_file)
        .args(["--emit", "powershell", "-o"])
        .arg(&ps1)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let script = std::fs::read_to_string(&ps1).unwrap();
    assert!(
        script.contains("Set-ADUser -Identity $Identity -Replace"),
        "{script}"
    );
    assert!(
        script.contains(&format!(
            "-Attribute 'mS-DS-ConsistencyGuid' -Expected 'base64:{}' -New ([Convert]::FromBase64String('{}'))",
            immutable_id(900),
            immutable_id(901)
        )),
        "{script}"
    );
    let runs: Value = serde_json::from_slice(
        &lab.anchorsync()
            .args(["runs", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(runs["runs"], serde_json::json!([]), "nothing journaled");
}

#[test]
fn powershell_scripts_are_utf8_with_a_byte_order_mark_issue_10() {
    // Windows PowerShell 5.1 reads a script without a byte-order mark in the ANSI code page: the
    // Japanese DN and UPN below would reach Set-ADUser and Graph garbled.
    let dn = "CN=山田 太郎,OU=東京,DC=corp,DC=example,DC=com";
    let upn = "yamada.taro@example.co.jp";
    let plan_users = vec![(
        dn,
        vec![
            set_anchor(dn, upn, None, &guid_bytes(920)),
            cloud_step(
                "70000000-0000-4000-8000-000000000003",
                "山田 太郎",
                "onPremisesImmutableId",
                Some(&immutable_id(921)),
                None,
                "clear-immutable-id",
            ),
        ],
    )];
    let lab = Lab::new(None, None);
    let plan_file = lab.write("plan.json", &plan("hard-ad", &plan_users));
    let ps1 = lab.folder.path().join("changes.ps1");
    let output = lab.apply(
        &plan_file,
        &["--emit", "powershell", "-o", ps1.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for script in [ps1.clone(), lab.folder.path().join("changes-cloud.ps1")] {
        let bytes = std::fs::read(&script).unwrap();
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "`{}` starts with {:x?}",
            script.display(),
            &bytes[..3]
        );
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(!text.starts_with('\u{feff}'), "one byte-order mark");
        assert!(text.contains("山田 太郎"), "{text}");
    }
    // LDIF stays without one: ldapmodify would read it as part of the first line.
    let ldif = lab.folder.path().join("changes.ldif");
    let output = lab.apply(
        &plan_file,
        &["--emit", "ldif", "-o", ldif.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!std::fs::read(&ldif).unwrap().starts_with(b"\xEF\xBB\xBF"));
}
