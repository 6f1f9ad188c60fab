//! `anchorsync verify` (issue 6): AD, Microsoft 365 and a HENNGE Access Control export compared per user,
//! through the binary, on hand-written files.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

use super::plan::{A1, A2, ad, cloud, open_tenant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn verify(dir: &Path, ldif: &str, tenant: &Value, hac: Option<&[u8]>, extra: &[&str]) -> Run {
    std::fs::write(dir.join("users.ldif"), ldif).unwrap();
    std::fs::write(dir.join("tenant.json"), serde_json::to_vec(tenant).unwrap()).unwrap();
    let mut command = Command::cargo_bin("anchorsync").unwrap();
    command
        .arg("verify")
        .arg("--ad")
        .arg(dir.join("users.ldif"))
        .arg("--cloud")
        .arg(dir.join("tenant.json"));
    if let Some(hac) = hac {
        std::fs::write(dir.join("hac-users.csv"), hac).unwrap();
        command.arg("--hac").arg(dir.join("hac-users.csv"));
    }
    let output = command.args(extra).output().unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

fn directory() -> (String, Value) {
    let ldif = [
        ad(
            "Taro",
            &[
                "userPrincipalName: taro@example.co.jp",
                &format!("mS-DS-ConsistencyGuid:: {A1}"),
            ],
        ),
        ad(
            "Hanako",
            &[
                "userPrincipalName: hanako@example.co.jp",
                &format!("mS-DS-ConsistencyGuid:: {A2}"),
            ],
        ),
    ]
    .concat();
    let tenant = open_tenant(vec![
        cloud(
            "c-taro",
            "taro@example.co.jp",
            json!({"onPremisesImmutableId": A1}),
        ),
        cloud(
            "c-hanako",
            "hanako@example.co.jp",
            json!({"onPremisesImmutableId": A2}),
        ),
    ]);
    (ldif, tenant)
}

#[test]
fn japanese_headers_in_utf16_and_a_federated_disagreement_is_aadsts51004_issue_6() {
    let dir = tempfile::tempdir().unwrap();
    let (ldif, tenant) = directory();
    // HAC still sends its own ID for Hanako: her federated sign-in fails.
    let hac = utf16le(&format!(
        "ユーザー名,メールアドレス,姓,ImmutableID\r\ntaro,taro@example.co.jp,山田,{A1}\r\nhanako,hanako@example.co.jp,佐藤,10000183\r\n"
    ));
    let run = verify(
        dir.path(),
        &ldif,
        &tenant,
        Some(&hac),
        &["--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["agree"], 1);
    assert_eq!(report["summary"]["signInRisks"], 1);
    let hanako = &report["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["userPrincipalName"] == "hanako@example.co.jp")
        .unwrap();
    assert_eq!(hanako["status"], "disagree");
    assert_eq!(hanako["signInRisk"], true);
    assert_eq!(hanako["sourceAnchor"], A2);
    assert_eq!(hanako["cloudImmutableId"], A2);
    assert_eq!(hanako["idpImmutableId"], "10000183");
    assert_eq!(hanako["idpLine"], 3);
    assert!(
        hanako["reasons"].to_string().contains("AADSTS51004"),
        "{hanako:#}"
    );
    let table = verify(dir.path(), &ldif, &tenant, Some(&hac), &[]);
    assert!(
        table.stdout.contains("disagree (AADSTS51004)"),
        "{}",
        table.stdout
    );
}

#[test]
fn everything_agrees_with_exit_0_and_column_overrides_issue_6() {
    let dir = tempfile::tempdir().unwrap();
    let (ldif, tenant) = directory();
    let hac = format!(
        "\u{feff}Login,Federation ID\ntaro@example.co.jp,{A1}\nhanako@example.co.jp,{A2}\n"
    );
    let run = verify(
        dir.path(),
        &ldif,
        &tenant,
        Some(hac.as_bytes()),
        &[
            "--hac-column",
            "immutableId=Federation ID",
            "--hac-column",
            "userPrincipalName=Login",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with('\u{feff}'));
    assert_eq!(run.stdout.matches(",agree,").count(), 2, "{}", run.stdout);
    // AD and Microsoft 365 alone, without an export.
    let run = verify(dir.path(), &ldif, &tenant, None, &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("no identity provider export compared"));
}

#[test]
fn a_malformed_export_is_exit_2_with_file_and_line_issue_6() {
    let dir = tempfile::tempdir().unwrap();
    let (ldif, tenant) = directory();
    let run = verify(
        dir.path(),
        &ldif,
        &tenant,
        Some(b"Email,ImmutableID\ntaro@example.co.jp,AQID\nbroken\n"),
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("hac-users.csv") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
    let run = verify(dir.path(), &ldif, &tenant, Some(b"Email,Name\na,b\n"), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no ImmutableID column"),
        "{}",
        run.stderr
    );
}

/// Runs the binary and reads its JSON output (exit status 0 or 1).
fn json_of(args: &[&std::ffi::OsStr]) -> Value {
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `plan --format json` and `verify --format json` of the same inputs give the same outcome and cloud
/// user for every user, and the same counts; returns both.
fn plan_and_verify_agree(ad: &Path, cloud: &Path, hac: Option<&Path>) -> (Value, Value) {
    let os = |text: &'static str| std::ffi::OsStr::new(text);
    let plan = json_of(&[
        os("plan"),
        os("--ad"),
        ad.as_os_str(),
        os("--cloud"),
        cloud.as_os_str(),
        os("--format"),
        os("json"),
    ]);
    let mut verify_args = vec![
        os("verify"),
        os("--ad"),
        ad.as_os_str(),
        os("--cloud"),
        cloud.as_os_str(),
        os("--format"),
        os("json"),
    ];
    if let Some(hac) = hac {
        verify_args.extend([os("--hac"), hac.as_os_str()]);
    }
    let verify = json_of(&verify_args);
    assert_eq!(verify["formatVersion"], 2);
    let planned = plan["users"].as_array().unwrap();
    let verified = verify["users"].as_array().unwrap();
    assert_eq!(planned.len(), verified.len());
    for (planned, verified) in planned.iter().zip(verified) {
        assert_eq!(planned["dn"], verified["dn"]);
        assert_eq!(
            (&planned["outcome"], &planned["cloudUserId"]),
            (&verified["outcome"], &verified["cloudUserId"]),
            "{}",
            planned["dn"]
        );
    }
    assert_eq!(verify["summary"]["outcomes"], plan["summary"]);
    (plan, verify)
}

#[test]
fn verify_takes_the_prediction_of_plan_for_every_user_of_the_demo_data_issue_10() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let (_, verify) = plan_and_verify_agree(
        &demo.join("ad.ldif"),
        &demo.join("tenant.json"),
        Some(&demo.join("hac-users.csv")),
    );
    // What verify used to contradict plan on: admins it called pending soft matches, and soft matches
    // through a secondary proxy address it called users without a cloud user.
    let mut checked = 0;
    for user in verify["users"].as_array().unwrap() {
        match user["outcome"].as_str().unwrap() {
            "admin-role-conflict" => {
                assert_eq!(user["status"], "will-not-match", "{user:#}");
                checked += 1;
            }
            "soft-match-smtp" | "soft-match-upn" => {
                assert!(!user["cloudUserId"].is_null(), "{user:#}");
                assert_ne!(user["status"], "no-cloud-user", "{user:#}");
                checked += 1;
            }
            _ => {}
        }
    }
    assert_eq!(checked, 4 + 31 + 11);
}

#[test]
fn verify_takes_the_prediction_of_plan_for_10000_generated_users_issue_10() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["generate", "--users", "10000", "--seed", "10", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (plan, verify) = plan_and_verify_agree(
        &dir.path().join("ad.ldif"),
        &dir.path().join("tenant.json"),
        None,
    );
    assert_eq!(verify["summary"]["users"], 10_000);
    // Every outcome occurs, so every derivation was exercised.
    for (outcome, count) in plan["summary"].as_object().unwrap() {
        assert!(count.as_u64().unwrap() > 0, "no `{outcome}`");
    }
}
