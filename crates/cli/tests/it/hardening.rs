//! Issue 12: what an adversarial review broke, each tried through the binary as a user would hit it,
//! with variants. Every refusal exits 2 with the file and line, never 101 (a panic), and never shows
//! a secret or a raw control character.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::{Value, json};

use crate::plan::{A1, A2, A3, BASE, ad, cloud, open_tenant};

fn anchorsync(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("anchorsync")
        .unwrap()
        .current_dir(dir)
        // No configuration (none in `dir` either), and a journal of the test's own.
        .env_remove("ANCHORSYNC_CONFIG")
        .env("ANCHORSYNC_DATA_DIR", dir.join("data"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Exit 2, stderr holding every one of `expected`, no raw ESC, and short.
fn refused(output: &Output, expected: &[&str]) {
    assert_eq!(output.status.code(), Some(2), "{}", text(output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for part in expected {
        assert!(stderr.contains(part), "no `{part}` in {}", text(output));
    }
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(
        stderr.len() < 4_000,
        "{} bytes: {stderr:.2000}",
        stderr.len()
    );
}

/// `plan` of `ldif` (written as `users.ldif`, or the name given) against `tenant`.
fn plan(dir: &Path, name: &str, ad_bytes: &[u8], tenant: &Value, extra: &[&str]) -> Output {
    std::fs::write(dir.join(name), ad_bytes).unwrap();
    std::fs::write(
        dir.join("tenant.json"),
        serde_json::to_vec_pretty(tenant).unwrap(),
    )
    .unwrap();
    let mut args = vec!["plan", "--ad", name, "--cloud", "tenant.json"];
    args.extend_from_slice(extra);
    anchorsync(dir, &args)
}

fn users(count: usize) -> Value {
    open_tenant(
        (0..count)
            .map(|n| cloud(&format!("c{n}"), &format!("u{n}@example.com"), json!({})))
            .collect(),
    )
}

#[test]
fn duplicate_dns_in_ldif_and_export_csv_are_refused_naming_both_lines_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let alice = |cn: &str, guid: &str| ad(cn, &[&format!("objectGUID:: {guid}")]);
    // The same DN, and the same DN as AD compares DNs (case, spaces after commas, escapes).
    let variants = [
        format!("dn: CN=Alice,{BASE}"),
        format!("dn: cn=ALICE,{}", BASE.to_lowercase()),
        format!("dn: CN=Alice, {}", BASE.replace(',', ", ")),
        format!("dn: CN=\\41lice,{BASE}"),
    ];
    for variant in variants {
        let second = alice("Alice", A2).replacen(&format!("dn: CN=Alice,{BASE}"), &variant, 1);
        let ldif = format!("{}{}{second}", alice("Alice", A1), alice("Bob", A3));
        let output = plan(dir.path(), "users.ldif", ldif.as_bytes(), &users(1), &[]);
        refused(
            &output,
            &["users.ldif` lines 1 and 15: two entries have the DN"],
        );
    }
    // A DN of 200,000 characters, twice: refused, the DN cut in the message.
    let long = format!("CN={},{BASE}", "x".repeat(200_000));
    let ldif = format!(
        "dn: {long}\nobjectClass: user\nobjectGUID:: {A1}\n\ndn: {long}\nobjectClass: user\nobjectGUID:: {A2}\n\n"
    );
    let output = plan(dir.path(), "users.ldif", ldif.as_bytes(), &users(1), &[]);
    refused(
        &output,
        &["users.ldif` lines 1 and 5: two entries have the DN `CN=xxx"],
    );
    // Two different people are fine.
    let ldif = format!("{}{}", alice("Alice", A1), alice("Bob", A2));
    let output = plan(dir.path(), "users.ldif", ldif.as_bytes(), &users(1), &[]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );

    // Export-Csv: the same, lines counted after the `#TYPE` line.
    let csv = format!(
        "#TYPE Microsoft.ActiveDirectory.Management.ADUser\n\
         \"DistinguishedName\",\"ObjectGUID\",\"UserPrincipalName\"\n\
         \"CN=Alice,{BASE}\",\"88666888-0101-1111-bbbb-1234567890ab\",\"alice@example.com\"\n\
         \"CN=Bob,{BASE}\",\"04030201-0605-0807-090a-0b0c0d0e0f10\",\"bob@example.com\"\n\
         \"cn=alice,{BASE}\",\"14131211-1615-1817-191a-1b1c1d1e1f20\",\"alice2@example.com\"\n"
    );
    let output = plan(dir.path(), "users.csv", csv.as_bytes(), &users(1), &[]);
    refused(
        &output,
        &["users.csv` lines 3 and 5: two entries have the DN `cn=alice,"],
    );
}

#[test]
fn duplicate_or_empty_cloud_user_ids_in_a_snapshot_are_refused_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let ldif = ad("Alice", &[&format!("objectGUID:: {A1}")]);
    let id = "6c1b0a4e-0000-4000-8000-000000000001";
    for (users, expected) in [
        (
            vec![
                cloud(id, "a@example.com", json!({})),
                cloud("other", "b@example.com", json!({})),
                cloud(id, "c@example.com", json!({})),
            ],
            "users 1 and 3 have the same `id`",
        ),
        (
            vec![
                cloud(id, "a@example.com", json!({})),
                cloud(&id.to_uppercase(), "c@example.com", json!({})),
            ],
            "users 1 and 2 have the same `id`",
        ),
        (
            vec![cloud("", "a@example.com", json!({}))],
            "a user's `id` is empty",
        ),
        (
            vec![cloud("  ", "a@example.com", json!({}))],
            "a user's `id` is empty",
        ),
    ] {
        let output = plan(
            dir.path(),
            "users.ldif",
            ldif.as_bytes(),
            &open_tenant(users),
            &[],
        );
        refused(&output, &["tenant.json", expected]);
    }
}

#[test]
fn export_csv_quoting_and_headers_are_checked_as_documented_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let header = "\"DistinguishedName\",\"ObjectGUID\",\"UserPrincipalName\"\n";
    let row = |upn: &str| {
        format!("\"CN=Alice,{BASE}\",\"88666888-0101-1111-bbbb-1234567890ab\",\"{upn}\"\n")
    };
    let good = format!("{header}{}", row("say \"\"hi\"\"@example.com"));
    let output = plan(dir.path(), "users.csv", good.as_bytes(), &users(1), &[]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );
    for (csv, expected) in [
        // A stray quote inside a quoted field.
        (
            format!("{header}{}", row("al\"ice@example.com")),
            "users.csv` line 2: a quote inside a quoted field that is not doubled",
        ),
        (
            format!("{header}{}{}", row("a@example.com"), row("b\"@example.com")),
            "users.csv` line 3: a quote inside a quoted field",
        ),
        // The final quote missing: the file ends inside the field.
        (
            format!(
                "{header}{}",
                row("alice@example.com").trim_end().trim_end_matches('"')
            ),
            "users.csv` line 2: a quoted field that starts here has no closing quote",
        ),
        // A quote inside an unquoted field.
        (
            format!("{header}\"CN=A,{BASE}\",x\"y,a@example.com\n"),
            "line 2: a quote inside a field that does not start with one",
        ),
        // A column twice, in any case.
        (
            format!(
                "\"DistinguishedName\",\"ObjectGUID\",\"UserPrincipalName\",\"userprincipalname\"\n{}",
                row("a@example.com").replace('\n', ",\"b@example.com\"\n")
            ),
            "users.csv` line 1: columns 3 and 4 are both `userprincipalname`",
        ),
    ] {
        let output = plan(dir.path(), "users.csv", csv.as_bytes(), &users(1), &[]);
        refused(&output, &[expected]);
    }
}

#[test]
fn ldif_cut_short_or_with_cr_only_line_ends_is_refused_briefly_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let ldif = format!(
        "{}{}",
        ad("Alice", &[&format!("objectGUID:: {A1}")]),
        ad("Bob", &[&format!("objectGUID:: {A2}")])
    );
    // CR-only line ends, on a file of many users: refused on its first line, the line not echoed.
    let many: String = (0..2_000)
        .map(|n| ad(&format!("User {n}"), &["description: x"]))
        .collect();
    let output = plan(
        dir.path(),
        "users.ldif",
        many.replace('\n', "\r").as_bytes(),
        &users(1),
        &[],
    );
    refused(
        &output,
        &["users.ldif` line 1: a carriage return (CR) that is not followed by a line feed"],
    );
    // A CR inside a value.
    let output = plan(
        dir.path(),
        "users.ldif",
        ldif.replacen("objectClass: top", "objectClass: to\rp", 1)
            .as_bytes(),
        &users(1),
        &[],
    );
    refused(&output, &["users.ldif` line 2: a carriage return"]);
    // Cut inside the last line (a copy cut short), in a value and in an attribute name.
    let end = ldif.trim_end().len();
    for cut in [end - 4, end - 30] {
        let output = plan(
            dir.path(),
            "users.ldif",
            ldif.as_bytes().get(..cut).unwrap(),
            &users(1),
            &[],
        );
        refused(
            &output,
            &["users.ldif` line 13: the file ends inside this line"],
        );
    }
    // CRLF and a file that ends with its last line's end are read.
    for good in [
        ldif.clone(),
        ldif.replace('\n', "\r\n"),
        ldif.trim_end().to_owned() + "\n",
    ] {
        let output = plan(dir.path(), "users.ldif", good.as_bytes(), &users(1), &[]);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            text(&output)
        );
    }
}

#[test]
fn control_characters_from_input_reach_no_terminal_raw_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    use base64::Engine as _;
    let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let hostile_dn = format!("CN=Eve\u{1b}]0;owned\u{7}\u{1b}[2J,{BASE}");
    let ldif = format!(
        "dn:: {}\nobjectClass: user\nobjectGUID:: {A1}\ndisplayName:: {}\nuserPrincipalName:: {}\n\n",
        base64(&hostile_dn),
        base64("Eve\u{1b}[8m\u{9b}31m"),
        base64("eve\u{1b}[1A@example.com"),
    );
    // The cloud user holds another ImmutableID: Eve needs attention, and the table shows her.
    let tenant = open_tenant(vec![cloud(
        "c1",
        "eve\u{1b}[1A@example.com",
        json!({"displayName": "\u{1b}]52;c;ZXZpbA==\u{7}", "onPremisesImmutableId": A2}),
    )]);
    for format in ["table", "csv"] {
        let output = plan(
            dir.path(),
            "users.ldif",
            ldif.as_bytes(),
            &tenant,
            &["--format", format],
        );
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        if format == "table" {
            assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
            assert!(!stdout.contains('\u{9b}'), "{stdout:?}");
            assert!(stdout.contains("CN=Eve\\u{1b}]0;owned\\u{7}"), "{stdout}");
        }
    }
    // verify's table.
    std::fs::write(dir.path().join("tenant.json"), tenant.to_string()).unwrap();
    let output = anchorsync(
        dir.path(),
        &["verify", "--ad", "users.ldif", "--cloud", "tenant.json"],
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        text(&output)
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
    // check-anchor shows the value it was given.
    let output = anchorsync(dir.path(), &["check-anchor", "ab\u{1b}]0;x\u{7}cd"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ab\\u{1b}]0;x\\u{7}cd"), "{stdout}");
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'));
    // An error quoting an input line.
    let output = plan(
        dir.path(),
        "users.ldif",
        format!("dn: CN=A,{BASE}\nno colon \u{1b}[2J here\n\n").as_bytes(),
        &tenant,
        &[],
    );
    refused(&output, &["no colon \\u{1b}[2J here"]);
}

#[test]
fn configuration_errors_name_line_and_key_never_the_value_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "Sup3rSecretValue-do-not-print";
    std::fs::write(dir.path().join("users.ldif"), ad("A", &[])).unwrap();
    std::fs::write(dir.path().join("tenant.json"), users(1).to_string()).unwrap();
    for (config, expected) in [
        (
            format!("[graph]\ntenant_id = \"t\"\nclient_id = \"c\"\npassword = \"{secret}\"\n"),
            "line 4 (key `[graph].password`)",
        ),
        (
            format!("[graph]\ntenant_id = \"t\"\nclient_secret = [\"{secret}\"]\n"),
            "line 3 (key `[graph].client_secret`)",
        ),
        (
            format!("[graph]\nclient_secret = \"{secret}\n"),
            "line 2 (key `[graph].client_secret`)",
        ),
        (
            format!("[graph]\nclient_secret = {secret}\n"),
            "line 2 (key `[graph].client_secret`)",
        ),
        (
            format!("[ad]\nurl = \"ldaps://dc\"\nbind_password = 12345{}\n", 678),
            "line 3 (key `[ad].bind_password`)",
        ),
    ] {
        std::fs::write(dir.path().join("anchorsync.toml"), &config).unwrap();
        let output = Command::cargo_bin("anchorsync")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "--config",
                "anchorsync.toml",
                "plan",
                "--ad",
                "users.ldif",
                "--cloud",
                "tenant.json",
            ])
            .output()
            .unwrap();
        refused(&output, &["anchorsync.toml` ", expected, "is not valid"]);
        let all = text(&output);
        assert!(!all.contains(secret), "{all}");
        assert!(!all.contains("12345678"), "{all}");
    }
}

#[test]
fn duplicate_rows_of_the_hac_export_are_refused_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.ldif"),
        ad(
            "Alice",
            &[
                &format!("objectGUID:: {A1}"),
                "userPrincipalName: alice@example.com",
            ],
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("tenant.json"), users(1).to_string()).unwrap();
    for (hac, expected) in [
        (
            format!(
                "Username,Login ID,ImmutableID\nalice,alice@example.com,{A1}\nbob,bob@example.com,x\nalice2,ALICE@example.com,{A2}\n"
            ),
            "lines 2 and 4 both name the user `ALICE@example.com`",
        ),
        (
            format!(
                "Username,Login ID,ImmutableID\nalice,alice@example.com,{A1}\nalice,alice2@example.com,{A2}\n"
            ),
            "lines 2 and 3 both name the user `alice`",
        ),
    ] {
        std::fs::write(dir.path().join("hac.csv"), hac).unwrap();
        let output = anchorsync(
            dir.path(),
            &[
                "verify",
                "--ad",
                "users.ldif",
                "--cloud",
                "tenant.json",
                "--hac",
                "hac.csv",
            ],
        );
        refused(&output, &["hac.csv", expected]);
    }
}

#[test]
fn a_data_directory_that_is_a_file_exits_2_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    for data_dir in [Path::new("/etc/passwd"), file.as_path()] {
        for command in [&["runs"][..], &["runs", "--format", "json"]] {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["--data-dir", data_dir.to_str().unwrap()]);
            let output = anchorsync(dir.path(), &args);
            refused(&output, &["is not a directory"]);
        }
    }
}

#[test]
fn demo_out_takes_a_relative_directory_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchorsync(dir.path(), &["demo", "--out", "walk/through"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(dir.path().join("walk/through/plan.json").is_file());
    assert!(!dir.path().join("walk/through/walk").exists());
}

#[test]
fn plan_o_interrupted_leaves_no_temporary_file_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchorsync(
        dir.path(),
        &["generate", "--users", "20000", "--seed", "12", "-o", "data"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let temporary = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".anchorsync-")
            })
    };
    let mut interrupted = Vec::new();
    for (attempt, signal) in ["INT", "TERM", "INT", "TERM", "INT", "TERM"]
        .iter()
        .enumerate()
    {
        if interrupted.contains(signal) {
            continue;
        }
        let out = dir.path().join(format!("out{attempt}"));
        std::fs::create_dir(&out).unwrap();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("anchorsync"))
            .current_dir(dir.path())
            .env_remove("ANCHORSYNC_CONFIG")
            .args([
                "plan",
                "--ad",
                "data/ad.ldif",
                "--cloud",
                "data/tenant.json",
            ])
            .args(["--format", "json", "-o"])
            .arg(out.join("plan.json"))
            .spawn()
            .unwrap();
        // Wait for the temporary file (or for the command to finish first).
        let finished = loop {
            if temporary(&out) {
                break None;
            }
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            std::thread::yield_now();
        };
        if finished.is_some() {
            continue;
        }
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        if matches!(status.code(), Some(0 | 1)) {
            // The signal came after the plan was written and renamed: `plan` ended as it does
            // uninterrupted (1: users need attention, as in this generated mix).
            continue;
        }
        interrupted.push(*signal);
        assert_eq!(
            status.code(),
            Some(if *signal == "INT" { 130 } else { 143 }),
            "{status:?}"
        );
        assert!(
            !temporary(&out),
            "a temporary file was left in {}",
            out.display()
        );
        // Interrupted after the rename, the plan is whole; before it, there is none.
        if let Ok(bytes) = std::fs::read(out.join("plan.json")) {
            serde_json::from_slice::<Value>(&bytes).expect("a whole plan");
        }
    }
    assert!(
        !interrupted.is_empty(),
        "no run was interrupted while writing"
    );
}

#[test]
fn an_ad_step_aimed_at_another_dn_is_refused_before_anything_is_emitted_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let plan = |target: &str| {
        json!({"formatVersion": 1, "strategy": "hard-ad",
          "settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"},
          "users": [{"dn": format!("CN=Taro,{BASE}"), "remediation": {"strategy": "hard-ad", "fixable": true,
            "steps": [{"system": "ad", "target": target, "label": "taro", "attribute": "mS-DS-ConsistencyGuid",
              "before": null, "after": {"base64": A1}, "purpose": "set-anchor"}]}}]})
    };
    for target in [
        format!("CN=Hanako,{BASE}"),
        "CN=Taro,OU=Osaka,DC=corp,DC=example,DC=com".to_owned(),
    ] {
        std::fs::write(dir.path().join("plan.json"), plan(&target).to_string()).unwrap();
        let output = anchorsync(
            dir.path(),
            &["apply", "plan.json", "--emit", "ldif", "-o", "changes.ldif"],
        );
        refused(
            &output,
            &[
                "plan.json` line",
                &format!(
                    "user `CN=Taro,{BASE}`, step 1: the step writes to the AD object `{target}`"
                ),
            ],
        );
        assert!(!dir.path().join("changes.ldif").exists());
    }
    // The same DN as AD compares DNs is its own object: emitted, naming the DN written.
    let same = format!("cn=taro, {}", BASE.to_uppercase());
    std::fs::write(dir.path().join("plan.json"), plan(&same).to_string()).unwrap();
    let output = anchorsync(
        dir.path(),
        &["apply", "plan.json", "--emit", "ldif", "-o", "changes.ldif"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let ldif = std::fs::read_to_string(dir.path().join("changes.ldif")).unwrap();
    assert!(ldif.contains(&format!("dn: {same}")), "{ldif}");
}
