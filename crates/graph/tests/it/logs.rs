//! Logs name every request by method, path, status, `request-id` and `client-request-id`, and
//! never carry a secret, an assertion or a token (issue 4).

use std::io::Write;
use std::sync::{Arc, Mutex};

use anchorsync_core::progress::NoProgress;
use anchorsync_core::secret::Secret;
use anchorsync_graph::{
    AssertionAlgorithm, ClientCertificate, Credential, GraphClient, UserKey, UserPatch,
};

use crate::support::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// tracing caches per callsite whether anyone listens, across threads: a subscriber set for one
/// test while others run without one misses events at random. So the check runs in a process of
/// its own, with a global subscriber.
#[test]
fn logs_carry_request_ids_and_no_secret_issue_4() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "logs::captured_logs",
            "--ignored",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child test did not run: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[tokio::test]
#[ignore = "runs in its own process, started by logs_carry_request_ids_and_no_secret_issue_4"]
async fn captured_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = start();
    let with_secret = client(&server, APP);
    with_secret.list_domains().await.unwrap();
    with_secret
        .update_users(
            &[(
                UserKey::Id(filler_id(1)),
                UserPatch::new().set("department", "Logs"),
            )],
            &NoProgress,
        )
        .await
        .unwrap();
    let token = with_secret.access_token().await.unwrap();
    let wrong = GraphClient::new(settings_with(
        &server,
        APP,
        Credential::Secret(Secret::new("a-wrong-secret-for-the-log-test")),
    ))
    .unwrap();
    assert!(wrong.list_domains().await.is_err());
    let pem = format!(
        "{}{}",
        certificate().certificate_pem,
        certificate().private_key_pem
    );
    let certificate =
        ClientCertificate::from_pem(pem.as_bytes(), AssertionAlgorithm::Ps256).unwrap();
    let with_certificate = GraphClient::new(settings_with(
        &server,
        CERT_APP,
        Credential::Certificate(Box::new(certificate)),
    ))
    .unwrap();
    with_certificate.list_domains().await.unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("graph request"), "{logs}");
    assert!(logs.contains("path=/domains"), "{logs}");
    assert!(logs.contains("request_id="), "{logs}");
    assert!(logs.contains("client_request_id="), "{logs}");
    assert!(logs.contains("graph batch"), "{logs}");
    for secret in [
        secret(APP).as_str(),
        "a-wrong-secret-for-the-log-test",
        token.expose(),
        // The start of any JWT (header `{"`): tokens and client assertions.
        "eyJ",
    ] {
        assert!(!logs.contains(secret), "`{secret}` is in the logs");
    }
}
