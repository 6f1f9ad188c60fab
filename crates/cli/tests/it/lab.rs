//! A rehearsal lab for the journaled commands (issue 6): an OU of its own on the test Samba DC, a
//! Graph twin on a free port, an `anchorsync.toml` pointing at both, a data directory, and builders
//! for plans written by hand in the documented plan format (crates/core/src/remediation.rs).

use std::path::{Path, PathBuf};
use std::process::Output;

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_testkit::TestDirectory;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

pub const TENANT: &str = "6c1b7d1e-0f6a-4d7e-9a53-6a0c2b9d4e11";
pub const APP: &str = "c0000000-0000-4000-8000-0000000000a6";
pub const SECRET: &str = "apply-test-secret";
pub const SECRET_ENV: &str = "ANCHORSYNC_TEST_APPLY_SECRET";
pub const INITIAL: &str = "lab.onmicrosoft.com";
pub const MANAGED: &str = "corp.example.com";
pub const FEDERATED: &str = "fed.example.com";

/// 16 bytes that differ per `n` and per test process.
pub fn guid_bytes(n: u32) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    bytes[4..8].copy_from_slice(&std::process::id().to_le_bytes());
    bytes[8..].copy_from_slice(b"anchorsy");
    bytes
}

/// The ImmutableID of [`guid_bytes`].
pub fn immutable_id(n: u32) -> String {
    STANDARD.encode(guid_bytes(n))
}

/// A cloud user in Graph's shape.
pub fn cloud_user(id: &str, upn: &str, immutable_id: Option<&str>) -> Value {
    let alias = upn.split('@').next().unwrap_or(upn);
    json!({"id": id, "userPrincipalName": upn, "displayName": alias, "mailNickname": alias,
           "accountEnabled": true, "onPremisesImmutableId": immutable_id})
}

/// A tenant with a managed, a federated and the initial domain.
pub fn tenant(users: Vec<Value>) -> TenantSnapshot {
    serde_json::from_value(json!({
        "users": users,
        "domains": [
            {"id": INITIAL, "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": MANAGED, "authenticationType": "Managed", "isDefault": true, "isVerified": true},
            {"id": FEDERATED, "authenticationType": "Federated", "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {
            "blockSoftMatchEnabled": false, "blockCloudObjectTakeoverThroughHardMatchEnabled": false}},
    }))
    .unwrap()
}

/// A twin serving `snapshot`, with the lab's app and `config` applied.
pub fn twin_with(snapshot: TenantSnapshot, adjust: impl FnOnce(&mut TwinConfig)) -> TwinServer {
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    adjust(&mut config);
    TwinServer::start(snapshot, config).unwrap()
}

fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One lab: a folder with `anchorsync.toml` and a data directory.
pub struct Lab {
    pub folder: tempfile::TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Lab {
    /// A configuration with `[ad]` scoped to `ou` (when given) and `[graph]` pointing at `twin`
    /// (when given).
    pub fn new(directory: Option<(&TestDirectory, &str)>, twin: Option<&TwinServer>) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let mut text = String::new();
        if let Some((directory, ou)) = directory {
            text.push_str(&format!(
                "[ad]\nservers = [{}]\nbind = {}\npassword_file = {}\nca_file = {}\nbase_dns = [{}]\n\n",
                toml_string(&directory.url),
                toml_string(&directory.bind_dn),
                toml_string(&directory.password_file.display().to_string()),
                toml_string(&directory.ca_file.display().to_string()),
                toml_string(ou),
            ));
        }
        if let Some(twin) = twin {
            text.push_str(&format!(
                "[graph]\ntenant_id = \"{TENANT}\"\nclient_id = \"{APP}\"\nauthority = {}\ngraph_url = {}\n\
                 client_secret_env = \"{SECRET_ENV}\"\n",
                toml_string(&twin.root_url()),
                toml_string(&twin.base_url()),
            ));
        }
        let config = folder.path().join("anchorsync.toml");
        std::fs::write(&config, text).unwrap();
        let data = folder.path().join("data");
        Self {
            folder,
            config,
            data,
        }
    }

    /// `anchorsync --config <lab> --data-dir <lab>` with the app secret in the environment.
    pub fn anchorsync(&self) -> Command {
        let mut command = Command::cargo_bin("anchorsync").unwrap();
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(&self.data)
            .env(SECRET_ENV, SECRET)
            .env("ANCHORSYNC_NO_PROGRESS", "1")
            .env_remove("ANCHORSYNC_CONFIG")
            .env_remove("ANCHORSYNC_DATA_DIR");
        command
    }

    /// Writes a file in the lab folder.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.folder.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs `anchorsync apply PLAN` with extra arguments.
    pub fn apply(&self, plan: &Path, extra: &[&str]) -> Output {
        self.anchorsync()
            .arg("apply")
            .arg(plan)
            .args(extra)
            .output()
            .unwrap()
    }

    /// `anchorsync runs --format json`'s runs.
    pub fn runs(&self) -> Vec<Value> {
        let output = self
            .anchorsync()
            .args(["runs", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let runs: Value = serde_json::from_slice(&output.stdout).unwrap();
        runs["runs"].as_array().unwrap().clone()
    }

    /// The report of run `id`.
    pub fn report(&self, id: &str) -> Value {
        let path = self.data.join("runs").join(format!("{id}.json"));
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    }

    /// The newest run's report.
    pub fn last_report(&self) -> Value {
        let runs = self.runs();
        let last = runs.last().expect("a run");
        self.report(last["id"].as_str().unwrap())
    }
}

/// stdout and stderr, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// An AD step setting the anchor attribute.
pub fn set_anchor(dn: &str, label: &str, before: Option<&[u8]>, after: &[u8]) -> Value {
    json!({"system": "ad", "target": dn, "label": label, "attribute": "mS-DS-ConsistencyGuid",
           "before": before.map(|bytes| json!({"base64": STANDARD.encode(bytes)})),
           "after": {"base64": STANDARD.encode(after)}, "purpose": "set-anchor"})
}

/// A cloud step.
pub fn cloud_step(
    id: &str,
    label: &str,
    attribute: &str,
    before: Option<&str>,
    after: Option<&str>,
    purpose: &str,
) -> Value {
    json!({"system": "cloud", "target": id, "label": label, "attribute": attribute,
           "before": before, "after": after, "purpose": purpose})
}

/// The three steps of hard-cloud on a federated user.
pub fn federated_steps(id: &str, upn: &str, before: Option<&str>, after: &str) -> Vec<Value> {
    let alias = upn.split('@').next().unwrap();
    let temporary = format!("{alias}@{INITIAL}");
    vec![
        cloud_step(
            id,
            upn,
            "userPrincipalName",
            Some(upn),
            Some(&temporary),
            "federated-upn-away",
        ),
        cloud_step(
            id,
            upn,
            "onPremisesImmutableId",
            before,
            Some(after),
            "set-immutable-id",
        ),
        cloud_step(
            id,
            upn,
            "userPrincipalName",
            Some(&temporary),
            Some(upn),
            "federated-upn-back",
        ),
    ]
}

/// A plan as `plan --strategy` writes it (the fields `apply` reads, plus an outcome): made against
/// the lab's tenant, each entry paired with the cloud user its cloud steps write, and with the
/// sourceAnchor its `set-immutable-id` step sets.
pub fn plan(strategy: &str, users: &[(&str, Vec<Value>)]) -> String {
    let users: Vec<Value> = users
        .iter()
        .map(|(dn, steps)| {
            let cloud = steps.iter().find(|step| step["system"] == "cloud");
            let anchor = steps
                .iter()
                .find(|step| step["purpose"] == "set-immutable-id")
                .map(|step| step["after"].clone());
            json!({"dn": dn, "outcome": "create", "sourceAnchor": anchor, "remediation": {
                "strategy": strategy, "pairedBy": ["userPrincipalName"],
                "pairedCloudUserId": cloud.map(|step| step["target"].clone()), "fixable": true,
                "reason": null, "alternative": null, "outcomeAfter": "hard-match", "steps": steps}})
        })
        .collect();
    serde_json::to_string_pretty(&json!({
        "formatVersion": 1, "strategy": strategy,
        "settings": {"anchorAttribute": "mS-DS-ConsistencyGuid", "anchorEncoding": "auto"},
        "summary": {}, "users": users,
        "sources": {"ad": {"kind": "file", "location": "users.ldif"},
                    "cloud": {"kind": "file", "location": "tenant.json", "tenantId": TENANT}},
    }))
    .unwrap()
}

/// The cloud user `id` in the twin now.
pub fn cloud_now(twin: &TwinServer, id: &str) -> (Option<String>, Option<String>) {
    let snapshot = twin.snapshot();
    let user = snapshot.users.iter().find(|user| user.id == id).unwrap();
    (
        user.user_principal_name.clone(),
        user.on_premises_immutable_id.clone(),
    )
}

/// A fresh OU with `count` users; their DNs and UPNs.
pub async fn ad_users(
    directory: &TestDirectory,
    purpose: &str,
    count: usize,
) -> (String, Vec<(String, String)>) {
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, purpose).await;
    let mut users = Vec::new();
    for n in 0..count {
        let dn = directory
            .add_user(
                &mut admin,
                &ou,
                &format!("User {n}"),
                &format!("{purpose}{n}"),
            )
            .await;
        let upn = directory
            .read_values(&mut admin, &dn, "userPrincipalName")
            .await;
        users.push((dn, String::from_utf8(upn[0].clone()).unwrap()));
    }
    (ou, users)
}

pub async fn anchor_of(directory: &TestDirectory, dn: &str) -> Vec<Vec<u8>> {
    let mut admin = directory.admin().await;
    directory
        .read_values(&mut admin, dn, "mS-DS-ConsistencyGuid")
        .await
}
