//! Issue 13: Microsoft's own client libraries for Python (MSAL, azure-identity, msgraph-sdk, pinned
//! in `tests/python/requirements.txt`), unmodified, against twins served over HTTPS. This test starts
//! the twins, writes the throwaway CA and the app's certificate to files, and runs
//! `tests/python/test_msal_twin.py` with the virtual environment's python, which
//! `scripts/microsoft-clients.sh` makes and `scripts/test.sh` names in `ANCHORSYNC_TEST_PYTHON`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anchorsync_twin::{AppClient, Clock, Throttling, TlsIdentity, TwinConfig, TwinServer};
use serde_json::Value;

use crate::support::*;

/// Secret, standard permissions plus `Organization.Read.All`.
const PYTHON_APP: &str = "a0000000-0000-4000-8000-0000000000b1";

fn python() -> PathBuf {
    let python = std::env::var_os("ANCHORSYNC_TEST_PYTHON").unwrap_or_else(|| {
        panic!(
            "ANCHORSYNC_TEST_PYTHON is not set: it names the python of the virtual environment with \
             Microsoft's client libraries. Make it with `ANCHORSYNC_TEST_PYTHON=$(scripts/microsoft-clients.sh)` \
             (scripts/test.sh does; on Debian it needs python3-venv, which scripts/install-test-deps.sh installs)"
        )
    });
    let python = PathBuf::from(python);
    assert!(
        python.is_file(),
        "ANCHORSYNC_TEST_PYTHON names `{}`, which does not exist: run scripts/microsoft-clients.sh again",
        python.display()
    );
    python
}

fn python_config() -> TwinConfig {
    let mut permissions: Vec<String> = anchorsync_twin::STANDARD_PERMISSIONS
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    permissions.push("Organization.Read.All".to_owned());
    config().with_client(
        AppClient::with_secret(PYTHON_APP, secret(PYTHON_APP)).permissions(permissions),
    )
}

#[test]
fn microsoft_client_libraries_work_against_the_twin_over_https() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let identity = TlsIdentity::throwaway(Clock::system().now()).unwrap();
    let ca_file = dir.path().join("twin-ca.pem");
    std::fs::write(&ca_file, identity.ca_pem().unwrap()).unwrap();
    let cert_file = dir.path().join("app.pem");
    let certificate = certificate();
    std::fs::write(
        &cert_file,
        format!(
            "{}{}",
            certificate.private_key_pem, certificate.certificate_pem
        ),
    )
    .unwrap();

    let twin = TwinServer::start_tls(tenant(), python_config(), identity.clone()).unwrap();
    // One write per two seconds: the second of two quick PATCHes is answered 429.
    let mut throttled_config = python_config();
    throttled_config.throttling = Throttling {
        write_budget: 1,
        write_window: Duration::from_secs(2),
        ..Throttling::default()
    };
    let throttled = TwinServer::start_tls(tenant(), throttled_config, identity).unwrap();

    let test_file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_msal_twin.py");
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-v",
            "--tb=short",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
            "--rootdir",
        ])
        .arg(dir.path())
        .arg(&test_file)
        .current_dir(dir.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("REQUESTS_CA_BUNDLE", &ca_file)
        .env("SSL_CERT_FILE", &ca_file)
        .env("TWIN_AUTHORITY", twin.root_url())
        .env("TWIN_GRAPH", twin.base_url())
        .env("TWIN_THROTTLED_AUTHORITY", throttled.root_url())
        .env("TWIN_THROTTLED_GRAPH", throttled.base_url())
        .env("TWIN_TENANT_ID", TENANT)
        .env("TWIN_TENANT_DOMAIN", "contoso.com")
        .env("TWIN_CLIENT_ID", PYTHON_APP)
        .env("TWIN_CLIENT_SECRET", secret(PYTHON_APP))
        .env("TWIN_CERT_CLIENT_ID", CERT_APP)
        .env("TWIN_CERT_FILE", &cert_file)
        .env("TWIN_USER_COUNT", USER_COUNT.to_string())
        .env("TWIN_ALICE_ID", ALICE)
        .env("TWIN_BOB_ID", BOB)
        .env("TWIN_OBRIEN_ID", OBRIEN)
        .env_remove("AZURE_AUTHORITY_HOST")
        .output()
        .unwrap_or_else(|error| panic!("cannot run `{}`: {error}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python tests failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(" passed") && !stdout.contains(" skipped"),
        "{stdout}"
    );
    eprintln!("{stdout}");

    // What msgraph-sdk wrote, seen from the twin: Alice's ImmutableID set, then cleared with
    // JSON null; the federated change refused, so not applied.
    let immutable_id_writes: Vec<Value> = twin
        .twin()
        .writes()
        .into_iter()
        .filter(|write| write.resource == format!("/users/{ALICE}"))
        .filter_map(|write| write.body.get("onPremisesImmutableId").cloned())
        .collect();
    assert_eq!(
        immutable_id_writes,
        vec![Value::from("QUxJQ0UrYW5jaG9yLzE="), Value::Null]
    );
    assert!(
        twin.twin()
            .writes()
            .iter()
            .all(|write| write.resource != format!("/users/{BOB}"))
    );
    // The throttled twin applied both job titles, each once, although one PATCH was sent twice.
    let job_titles: Vec<Value> = throttled
        .twin()
        .writes()
        .into_iter()
        .filter_map(|write| write.body.get("jobTitle").cloned())
        .collect();
    assert_eq!(
        job_titles,
        vec![Value::from("first"), Value::from("second")]
    );
}
