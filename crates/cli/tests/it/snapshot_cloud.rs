//! `anchorsync snapshot cloud` (issue 4) against Graph twins on free ports: snapshot, serve the
//! snapshot with a twin, snapshot again gives the same file; warnings and errors.

use std::path::{Path, PathBuf};

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use assert_cmd::Command;
use serde_json::json;

const TENANT: &str = "0d4c8a4e-9b1f-4c55-8a21-3a9f8e7d6c5b";
const APP: &str = "c0000000-0000-4000-8000-000000000001";
const NO_SYNC_APP: &str = "c0000000-0000-4000-8000-000000000002";
const SECRET: &str = "cli-snapshot-test-secret";
const SECRET_ENV: &str = "ANCHORSYNC_TEST_GRAPH_SECRET";

/// Users out of order, a federated domain, an administrator.
fn seed() -> TenantSnapshot {
    serde_json::from_value(json!({
        "users": [
            {"id": "30000000-0000-4000-8000-000000000003", "userPrincipalName": "taro@example.co.jp",
             "displayName": "山田 太郎", "mailNickname": "taro", "accountEnabled": true,
             "onPremisesImmutableId": "+D9q4TtdW06deixqiw5/EQ==", "mail": "taro@example.co.jp",
             "proxyAddresses": ["SMTP:taro@example.co.jp", "smtp:taro@example.onmicrosoft.com"]},
            {"id": "30000000-0000-4000-8000-000000000001", "userPrincipalName": "admin@example.onmicrosoft.com",
             "displayName": "Admin", "mailNickname": "admin", "accountEnabled": true},
            {"id": "30000000-0000-4000-8000-000000000002", "userPrincipalName": "hanako@example.com",
             "displayName": "Hanako", "mailNickname": "hanako", "accountEnabled": false,
             "department": "Sales", "usageLocation": "JP"},
        ],
        "domains": [
            {"id": "example.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true,
             "isVerified": true, "supportedServices": ["Email"]},
            {"id": "example.co.jp", "authenticationType": "Federated", "isVerified": true, "supportedServices": ["Email"]},
            {"id": "example.com", "authenticationType": "Managed", "isDefault": true, "isVerified": true,
             "supportedServices": ["Email"]},
        ],
        "roleAssignments": [
            {"id": "ra-admin", "principalId": "30000000-0000-4000-8000-000000000001",
             "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"},
        ],
        "onPremisesSynchronization": {"id": TENANT, "features": {"blockSoftMatchEnabled": false}},
    }))
    .unwrap()
}

fn twin(snapshot: TenantSnapshot) -> TwinServer {
    let config = TwinConfig::new(TENANT)
        .with_client(AppClient::with_secret(APP, SECRET))
        .with_client(AppClient::with_secret(NO_SYNC_APP, SECRET).permissions([
            "User.Read.All",
            "Domain.Read.All",
            "RoleManagement.Read.Directory",
        ]));
    TwinServer::start(snapshot, config).unwrap()
}

/// An `anchorsync.toml` pointing at `server` as `client_id`.
fn write_config(dir: &Path, server: &TwinServer, client_id: &str) -> PathBuf {
    let path = dir.join("anchorsync.toml");
    std::fs::write(
        &path,
        format!(
            "[graph]\ntenant_id = \"{TENANT}\"\nclient_id = \"{client_id}\"\n\
             authority = \"{}\"\ngraph_url = \"{}\"\nclient_secret_env = \"{SECRET_ENV}\"\n",
            server.root_url(),
            server.base_url()
        ),
    )
    .unwrap();
    path
}

fn snapshot_cloud(config: &Path, secret: &str) -> Command {
    let mut command = Command::cargo_bin("anchorsync").unwrap();
    command
        .args(["snapshot", "cloud", "--config"])
        .arg(config)
        .env(SECRET_ENV, secret)
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .env_remove("ANCHORSYNC_CONFIG");
    command
}

#[test]
fn snapshot_serve_snapshot_gives_the_same_file_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let first_file = dir.path().join("first.json");
    let second_file = dir.path().join("second.json");

    let first_twin = twin(seed());
    let config = write_config(dir.path(), &first_twin, APP);
    let output = snapshot_cloud(&config, SECRET)
        .arg("-o")
        .arg(&first_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(output.stdout.is_empty(), "data goes to the file only");
    assert!(
        stderr.contains("snapshot: 3 users, 3 domains, 1 role assignment written to"),
        "{stderr}"
    );
    let first = std::fs::read(&first_file).unwrap();
    let parsed: TenantSnapshot = serde_json::from_slice(&first).unwrap();
    let ids: Vec<&str> = parsed.users.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "30000000-0000-4000-8000-000000000001",
            "30000000-0000-4000-8000-000000000002",
            "30000000-0000-4000-8000-000000000003"
        ]
    );
    assert_eq!(
        parsed.users[2].on_premises_immutable_id.as_deref(),
        Some("+D9q4TtdW06deixqiw5/EQ==")
    );

    // Serve what was written, and read it again.
    let second_twin = twin(anchorsync_twin::read_snapshot(&first_file).unwrap());
    let config = write_config(dir.path(), &second_twin, APP);
    let output = snapshot_cloud(&config, SECRET)
        .arg("--output")
        .arg(&second_file)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let second = std::fs::read(&second_file).unwrap();
    assert_eq!(
        String::from_utf8(second).unwrap(),
        String::from_utf8(first.clone()).unwrap()
    );

    // Without `-o`, the same bytes on stdout.
    let output = snapshot_cloud(&config, SECRET).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, first);
}

#[test]
fn a_refused_synchronisation_read_warns_and_still_writes_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let server = twin(seed());
    let config = write_config(dir.path(), &server, NO_SYNC_APP);
    let file = dir.path().join("tenant.json");
    let output = snapshot_cloud(&config, SECRET)
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: `onPremisesSynchronization` was not read (`GET /directory/onPremisesSynchronization` answered 403"),
        "{stderr}"
    );
    let written: TenantSnapshot = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written.users.len(), 3);
    assert_eq!(written.on_premises_synchronization, None);
}

#[test]
fn a_wrong_secret_fails_with_aadsts_and_keeps_the_old_file_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let server = twin(seed());
    let config = write_config(dir.path(), &server, APP);
    let file = dir.path().join("tenant.json");
    std::fs::write(&file, "previous snapshot\n").unwrap();
    let output = snapshot_cloud(&config, "not-the-secret")
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: cannot read the tenant from `http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("(AADSTS7000215)"), "{stderr}");
    assert!(
        stderr.contains("hint: the client secret is wrong or expired"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "previous snapshot\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn no_graph_section_or_no_secret_is_explained_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("anchorsync.toml");
    std::fs::write(&config, "").unwrap();
    let output = snapshot_cloud(&config, SECRET).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no `[graph]` section in"), "{stderr}");

    let server = twin(seed());
    let config = write_config(dir.path(), &server, APP);
    let output = snapshot_cloud(&config, SECRET)
        .env_remove(SECRET_ENV)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "environment variable `ANCHORSYNC_TEST_GRAPH_SECRET` (named in `[graph]`) is not set"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: export ANCHORSYNC_TEST_GRAPH_SECRET="),
        "{stderr}"
    );
}
