//! The shared test tenant ([`anchorsync_twin::test_tenant`]) and clients pointed at a `TwinServer` on
//! a free port.

use std::sync::OnceLock;
use std::time::Duration;

use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_graph::{ClientSettings, Credential, GraphClient, RetryPolicy};
use anchorsync_twin::{Faults, TestCertificate, Throttling, TwinConfig, TwinServer};

// The tenant itself; `tenant` and `config` below wrap the shared ones for this suite.
pub use anchorsync_twin::test_tenant::*;

/// The shared test tenant ([`anchorsync_twin::test_tenant`]), typed.
pub fn tenant() -> TenantSnapshot {
    anchorsync_twin::test_tenant::tenant().unwrap()
}

/// One throwaway certificate per test binary (made with `openssl`).
pub fn certificate() -> &'static TestCertificate {
    static CERTIFICATE: OnceLock<TestCertificate> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        TestCertificate::generate("anchorsync-graph-test").unwrap_or_else(|error| {
            panic!("cannot make a test certificate: {error} (run scripts/install-test-deps.sh)")
        })
    })
}

/// The shared tenant's app registrations: throttling off unless a test turns it on, no faults.
pub fn config() -> TwinConfig {
    let mut config = anchorsync_twin::test_tenant::config(certificate());
    config.throttling = Throttling {
        enabled: false,
        ..Throttling::default()
    };
    config.faults = Faults::default();
    config
}

pub fn start() -> TwinServer {
    TwinServer::start(tenant(), config()).unwrap()
}

pub fn start_with(config: TwinConfig) -> TwinServer {
    TwinServer::start(tenant(), config).unwrap()
}

/// Small delays, so that tests that provoke failures do not sleep long.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_throttle_retries: 50,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

/// Settings for `client_id` with its secret, pointed at `server`.
pub fn settings(server: &TwinServer, client_id: &str) -> ClientSettings {
    settings_with(
        server,
        client_id,
        Credential::Secret(Secret::new(secret(client_id))),
    )
}

pub fn settings_with(
    server: &TwinServer,
    client_id: &str,
    credential: Credential,
) -> ClientSettings {
    ClientSettings::new(server.tenant_id(), client_id, credential)
        .endpoints(&server.root_url(), &server.base_url())
        .retry(fast_retries())
}

pub fn client(server: &TwinServer, client_id: &str) -> GraphClient {
    GraphClient::new(settings(server, client_id)).unwrap()
}

/// A user as the twin holds it now.
pub fn stored_user(server: &TwinServer, id: &str) -> anchorsync_core::tenant::CloudUser {
    server
        .snapshot()
        .users
        .into_iter()
        .find(|user| user.id == id)
        .unwrap_or_else(|| panic!("no user `{id}` in the twin"))
}

/// Asserts that filler user `n` holds `expected(n)` in the property `read` reads, for `0..count`.
pub fn assert_fillers(
    server: &TwinServer,
    count: usize,
    read: impl Fn(&anchorsync_core::tenant::CloudUser) -> Option<&str>,
    expected: impl Fn(usize) -> String,
) {
    let snapshot = server.snapshot();
    for n in 0..count {
        let user = snapshot
            .users
            .iter()
            .find(|user| user.id == filler_id(n))
            .unwrap_or_else(|| panic!("user {n} is gone"));
        assert_eq!(
            read(user),
            Some(expected(n).as_str()),
            "user {n} lost its update"
        );
    }
}
