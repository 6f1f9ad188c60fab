//! `anchorsync snapshot ad` against the test Samba DC (issue 3).

use assert_cmd::Command;

use anchorsync_ad::{AdConfig, AdConnection};
use anchorsync_core::directory::OnPremUser;
use anchorsync_core::progress::NoProgress;
use anchorsync_testkit::TestDirectory;

fn anchorsync() -> Command {
    Command::cargo_bin("anchorsync").unwrap()
}

fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn config_file(
    directory: &TestDirectory,
    folder: &std::path::Path,
    base: &str,
) -> std::path::PathBuf {
    let path = folder.join("anchorsync.toml");
    let text = format!(
        "[ad]\nservers = [{}]\nbind = {}\npassword_file = {}\nca_file = {}\nbase_dns = [{}]\npage_size = 500\n",
        toml_string(&directory.url),
        toml_string(&directory.bind_dn),
        toml_string(&directory.password_file.display().to_string()),
        toml_string(&directory.ca_file.display().to_string()),
        toml_string(base),
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn snapshot_read_back_gives_the_same_users_as_the_live_read_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let folder = tempfile::tempdir().unwrap();
    let config = config_file(&directory, folder.path(), &fixture.root());
    let output = folder.path().join("users.ldif");
    let result = anchorsync()
        .arg("--config")
        .arg(&config)
        .args(["snapshot", "ad", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(result.stdout.is_empty(), "data goes to the file only");

    let mut from_file = anchorsync_ad::file::read_users(&output).unwrap();
    from_file.sort_by(|a, b| a.dn.cmp(&b.dn));

    let mut ad = AdConfig::new(directory.url.clone(), directory.bind_dn.clone());
    ad.password_file = Some(directory.password_file.clone());
    ad.ca_file = Some(directory.ca_file.clone());
    ad.base_dns = vec![fixture.root()];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut live: Vec<OnPremUser> = runtime
        .block_on(async {
            let password = ad.password().unwrap();
            let mut connection = AdConnection::connect(&ad, &password, &NoProgress)
                .await
                .unwrap();
            connection.read_users(&NoProgress).await.unwrap()
        })
        .into_iter()
        .map(|entry| OnPremUser::from_entry(entry).unwrap())
        .collect();
    live.sort_by(|a, b| a.dn.cmp(&b.dn));
    assert_eq!(live.len(), fixture.users.len());
    assert_eq!(from_file, live);

    // Without -o the same LDIF goes to stdout.
    let stdout = anchorsync()
        .arg("--config")
        .arg(&config)
        .args(["snapshot", "ad"])
        .output()
        .unwrap();
    assert!(stdout.status.success());
    assert_eq!(stdout.stdout, std::fs::read(&output).unwrap());

    // `plan --ad ad` reads the same directory live and gives the plan of the snapshot file.
    let tenant = folder.path().join("tenant.json");
    std::fs::write(
        &tenant,
        r#"{"users": [], "domains": [{"id": "corp.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true}], "roleAssignments": [], "onPremisesSynchronization": {"id": "tenant", "features": {}}}"#,
    )
    .unwrap();
    let plan = |ad: &std::ffi::OsStr| {
        let result = anchorsync()
            .arg("--config")
            .arg(&config)
            .args(["plan", "--format", "json", "--ad"])
            .arg(ad)
            .arg("--cloud")
            .arg(&tenant)
            .output()
            .unwrap();
        assert!(
            matches!(result.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&result.stdout).unwrap()
    };
    let live = plan(std::ffi::OsStr::new("ad"));
    let offline = plan(output.as_os_str());
    assert_eq!(live["summary"], offline["summary"]);
    assert_eq!(live["users"], offline["users"]);
    assert_eq!(live["users"].as_array().unwrap().len(), fixture.users.len());
}

#[test]
fn snapshot_without_ad_section_or_with_plaintext_fails_clearly_issue_3() {
    let folder = tempfile::tempdir().unwrap();
    let config = folder.path().join("anchorsync.toml");
    std::fs::write(&config, "").unwrap();
    let result = anchorsync()
        .arg("--config")
        .arg(&config)
        .args(["snapshot", "ad"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("has no `[ad]` section"), "{stderr}");

    std::fs::write(
        &config,
        "[ad]\nservers = [\"ldap://dc1.corp.example.com\"]\nbind = \"svc@corp.example.com\"\npassword_env = \"ANCHORSYNC_TEST_UNSET_PASSWORD\"\n",
    )
    .unwrap();
    let result = anchorsync()
        .arg("--config")
        .arg(&config)
        .args(["snapshot", "ad"])
        .env("ANCHORSYNC_TEST_UNSET_PASSWORD", "x")
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("would send the password and the directory in clear text"),
        "{stderr}"
    );
    assert!(result.stdout.is_empty());
}

#[test]
fn snapshot_changes_keeps_a_cookie_per_source_issue_3() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, users) = runtime.block_on(async {
        let mut admin = directory.admin().await;
        let ou = directory.unique_ou(&mut admin, "cli-changes").await;
        let mut users = Vec::new();
        for n in 0..3 {
            users.push(
                directory
                    .add_user(&mut admin, &ou, &format!("Changes {n}"), "changes")
                    .await,
            );
        }
        (ou, users)
    });
    let folder = tempfile::tempdir().unwrap();
    let config = config_file(&directory, folder.path(), &ou);
    let state = folder.path().join("state.db");
    let run = |output: &std::path::Path| {
        anchorsync()
            .arg("--config")
            .arg(&config)
            .args(["snapshot", "ad", "--changes", "--state"])
            .arg(&state)
            .arg("-o")
            .arg(output)
            .output()
            .unwrap()
    };
    let dns = |path: &std::path::Path| -> Vec<String> {
        anchorsync_ad::file::read_users(path)
            .unwrap()
            .into_iter()
            .map(|u| u.dn)
            .collect()
    };

    let first = folder.path().join("first.ldif");
    assert!(run(&first).status.success());
    assert_eq!(dns(&first).len(), 3);

    runtime.block_on(async {
        let mut admin = directory.admin().await;
        anchorsync_testkit::replace_text(&mut admin, &users[2], "title", &["Changed"]).await;
    });
    // A run whose output cannot be written keeps the old cookie: the change is not lost.
    let failed = run(&folder.path().join("missing-folder").join("x.ldif"));
    assert_eq!(failed.status.code(), Some(2));
    let second = folder.path().join("second.ldif");
    assert!(run(&second).status.success());
    assert_eq!(dns(&second), vec![users[2].clone()]);
    let text = std::fs::read_to_string(&second).unwrap();
    assert!(
        text.contains("1 user changed since the last read (dirsync)"),
        "{text}"
    );

    let third = folder.path().join("third.ldif");
    assert!(run(&third).status.success());
    assert!(dns(&third).is_empty());
}
