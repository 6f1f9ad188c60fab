//! `anchorsync twin serve` and `twin healthcheck` (issue 4): the binary serves a snapshot, answers
//! Graph requests, and saves the tenant back on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use anchorsync_core::tenant::TenantSnapshot;
use serde_json::json;

const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
const CLIENT: &str = "00000000-0000-4000-8000-0000000a11ce";
const SECRET: &str = "rehearsal-secret";

fn binary() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("anchorsync")
}

fn snapshot() -> TenantSnapshot {
    serde_json::from_value(json!({
        "users": [{"id": "11111111-0000-4000-8000-000000000001", "userPrincipalName": "alice@contoso.com",
                   "displayName": "Alice", "mailNickname": "alice", "accountEnabled": true}],
        "domains": [{"id": "contoso.com", "authenticationType": "Managed", "isDefault": true,
                     "isInitial": false, "isVerified": true, "supportedServices": ["Email"]}],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap()
}

/// A running `twin serve`; killed if a test fails before it is terminated.
struct Serving {
    child: Option<Child>,
    graph: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Serving {
    fn start(state: &std::path::Path) -> Self {
        Self::start_with(state, &[], "http://127.0.0.1:")
    }

    fn start_with(
        state: &std::path::Path,
        extra: &[&std::ffi::OsStr],
        scheme_and_host: &str,
    ) -> Self {
        let mut child = Command::new(binary())
            .args(["twin", "serve", "--listen", "127.0.0.1:0", "--state"])
            .arg(state)
            .args(extra)
            .env("ANCHORSYNC_TWIN_CLIENT_SECRET", SECRET)
            .env_remove("ANCHORSYNC_TWIN_CLIENT_ID")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with(scheme_and_host),
            "first stdout line: {line:?}"
        );
        Self {
            child: Some(child),
            graph: line.trim().to_owned(),
        }
    }

    fn root(&self) -> &str {
        self.graph.trim_end_matches("/v1.0")
    }

    /// A token by client secret, then Alice's job title changed through Graph.
    async fn set_job_title(&self, http: &reqwest::Client, title: &str) {
        let token: serde_json::Value = http
            .post(format!("{}/{TENANT}/oauth2/v2.0/token", self.root()))
            .form(&[
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap();
        let patched = http
            .patch(format!("{}/users/alice@contoso.com", self.graph))
            .bearer_auth(token)
            .json(&json!({"jobTitle": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 204);
    }

    /// SIGTERM, then the exit status and stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn serve_answers_graph_and_saves_the_tenant_on_sigterm_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let original = snapshot().to_json().unwrap();
    std::fs::write(&state, &original).unwrap();
    let serving = Serving::start(&state);

    let healthy = Command::new(binary())
        .args(["twin", "healthcheck", "--url", serving.root()])
        .output()
        .unwrap();
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let health: serde_json::Value = serde_json::from_slice(&healthy.stdout).unwrap();
    assert_eq!(health["tenantId"], TENANT);
    // The URL `twin serve` prints first (the Graph root) works as well as the root (issue 10).
    for url in [serving.graph.clone(), format!("{}/", serving.graph)] {
        let healthy = Command::new(binary())
            .args(["twin", "healthcheck", "--url", &url])
            .output()
            .unwrap();
        assert!(
            healthy.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&healthy.stderr)
        );
        let health: serde_json::Value = serde_json::from_slice(&healthy.stdout).unwrap();
        assert_eq!(health["tenantId"], TENANT, "{url}");
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(serving.set_job_title(&reqwest::Client::new(), "Rehearsed"));

    let (status, stderr) = serving.terminate();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("saved the tenant"), "{stderr}");
    assert!(!stderr.contains(SECRET), "the secret never reaches the log");
    let saved = std::fs::read_to_string(&state).unwrap();
    let reread = TenantSnapshot::from_json(&saved).unwrap();
    assert_eq!(reread.users[0].job_title.as_deref(), Some("Rehearsed"));
    // Nothing else changed: the saved file is the original with that one value.
    let mut expected = snapshot();
    expected.users[0].job_title = Some("Rehearsed".to_owned());
    assert_eq!(saved, expected.to_json().unwrap());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn acknowledged_writes_survive_sigkill_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    std::fs::write(&state, snapshot().to_json().unwrap()).unwrap();
    let mut serving = Serving::start(&state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    runtime.block_on(async {
        for title in ["One", "Two", "Acknowledged"] {
            serving.set_job_title(&http, title).await;
        }
    });
    // SIGKILL: no signal handler runs, nothing is saved on the way out.
    let mut child = serving.child.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    let saved = TenantSnapshot::from_json(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.users[0].job_title.as_deref(), Some("Acknowledged"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("tenant.json")],
        "no temporary file left"
    );

    // A new twin on the same file serves the write, and saves on as before.
    let serving = Serving::start(&state);
    runtime.block_on(serving.set_job_title(&http, "After the restart"));
    let (status, stderr) = serving.terminate();
    assert!(status.success(), "{stderr}");
    let saved = TenantSnapshot::from_json(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        saved.users[0].job_title.as_deref(),
        Some("After the restart")
    );
}

#[test]
fn an_unchanged_tenant_is_saved_byte_for_byte_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let original = snapshot().to_json().unwrap();
    std::fs::write(&state, &original).unwrap();
    let (status, stderr) = Serving::start(&state).terminate();
    assert!(status.success(), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), original);
}

#[test]
fn serve_without_a_secret_says_where_to_put_one_issue_4() {
    let output = Command::new(binary())
        .args(["twin", "serve", "--listen", "127.0.0.1:0"])
        .env_remove("ANCHORSYNC_TWIN_CLIENT_SECRET")
        .env_remove("ANCHORSYNC_TWIN_CLIENT_SECRET_FILE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`ANCHORSYNC_TWIN_CLIENT_SECRET`"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_fails_when_nothing_listens_issue_4() {
    // Bind and release a port, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = Command::new(binary())
        .args([
            "twin",
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no twin answers"));
}

#[test]
fn serve_tls_writes_its_throwaway_ca_and_healthcheck_trusts_it_issue_13() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    std::fs::write(&state, snapshot().to_json().unwrap()).unwrap();
    let ca_file = dir.path().join("twin-ca.pem");
    let serving = Serving::start_with(
        &state,
        &[
            "--tls".as_ref(),
            "--tls-ca-out".as_ref(),
            ca_file.as_os_str(),
        ],
        "https://127.0.0.1:",
    );
    let ca = std::fs::read_to_string(&ca_file).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");

    let healthcheck = |ca: Option<&std::path::Path>| {
        let mut command = Command::new(binary());
        command.args(["twin", "healthcheck", "--url", serving.root()]);
        if let Some(ca) = ca {
            command.arg("--ca-file").arg(ca);
        }
        command.output().unwrap()
    };
    // Verification stays on: without the CA the twin is not trusted.
    assert_eq!(healthcheck(None).status.code(), Some(2));
    let trusted = healthcheck(Some(&ca_file));
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .build()
            .unwrap();
        let discovery: serde_json::Value = http
            .get(format!(
                "{}/{TENANT}/v2.0/.well-known/openid-configuration",
                serving.root()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            discovery["token_endpoint"],
            format!("{}/{TENANT}/oauth2/v2.0/token", serving.root())
        );
        serving.set_job_title(&http, "Over TLS").await;
    });

    let (status, stderr) = serving.terminate();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("trust `{}`", ca_file.display())),
        "{stderr}"
    );
    let saved = TenantSnapshot::from_json(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved.users[0].job_title.as_deref(), Some("Over TLS"));
}

#[test]
fn tls_flags_need_each_other_issue_13() {
    for args in [
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"][..],
        &["--tls", "--tls-cert", "cert.pem"][..],
        &["--tls-ca-out", "ca.pem"][..],
    ] {
        let output = Command::new(binary())
            .args(["twin", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("ANCHORSYNC_TWIN_CLIENT_SECRET", SECRET)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("required"), "{args:?}: {stderr}");
    }
    // Files that are not a certificate and key are refused before anything listens.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let output = Command::new(binary())
        .args([
            "twin",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--tls-cert",
        ])
        .arg(dir.path().join("cert.pem"))
        .arg("--tls-key")
        .arg(dir.path().join("key.pem"))
        .env("ANCHORSYNC_TWIN_CLIENT_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot use `--tls-cert` and `--tls-key`"),
        "{stderr}"
    );
    assert!(stderr.contains("holds no PEM certificate"), "{stderr}");
}
