//! TLS verification stays on (issue 4): an HTTPS endpoint whose certificate comes from a private CA is
//! refused, with an error that says so and is not retried, until that CA is added with `ca_file`.
//! The endpoint is a TLS-terminating proxy on a free port in front of a twin.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use anchorsync_core::progress::NoProgress;
use anchorsync_graph::{AssertionAlgorithm, GraphClient, GraphConfig, GraphError};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run openssl ({error}); run scripts/install-test-deps.sh")
        });
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A private CA and a certificate it signed for 127.0.0.1, in `dir`.
fn private_ca(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=anchorsync test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// Accepts TLS on a free port and forwards the plain bytes to `upstream`.
async fn tls_proxy(dir: &Path, upstream: std::net::SocketAddr) -> std::net::SocketAddr {
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    address
}

fn section(address: std::net::SocketAddr, ca_file: Option<&Path>) -> GraphConfig {
    let mut config = GraphConfig::new(TENANT, APP);
    config.authority = Some(format!("https://{address}"));
    config.graph_url = Some(format!("https://{address}/v1.0"));
    config.client_secret_env = Some("SECRET".to_owned());
    config.ca_file = ca_file.map(Path::to_owned);
    config.retry_base_delay_ms = Some(1);
    config
}

#[tokio::test]
async fn a_private_ca_is_trusted_only_through_ca_file_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    private_ca(dir.path());
    let server = start();
    let address = tls_proxy(dir.path(), server.addr()).await;
    let env = |name: &str| (name == "SECRET").then(|| secret(APP));

    let untrusted =
        GraphClient::new(section(address, None).resolve(dir.path(), &env).unwrap()).unwrap();
    let error = untrusted.list_domains().await.unwrap_err();
    let GraphError::Untrusted { .. } = &error else {
        panic!("expected an untrusted-certificate error, got {error:?}")
    };
    assert!(error.to_string().contains("is not trusted"), "{error}");
    assert!(
        error.hint().unwrap().contains("ca_file"),
        "{:?}",
        error.hint()
    );
    assert_eq!(
        untrusted.stats().token_requests,
        1,
        "a certificate refusal is not retried"
    );

    let trusted = GraphClient::new(
        section(address, Some(Path::new("ca.pem")))
            .resolve(dir.path(), &env)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(trusted.list_domains().await.unwrap().len(), 4);
    assert_eq!(
        trusted.list_all_users(&NoProgress).await.unwrap().len(),
        USER_COUNT
    );
}

#[tokio::test]
async fn a_ca_file_without_a_certificate_is_refused_issue_4() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), "not a certificate\n").unwrap();
    let error = section("127.0.0.1:443".parse().unwrap(), Some(Path::new("ca.pem")))
        .resolve(dir.path(), &|_| Some("x".to_owned()))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("ca.pem` holds no PEM certificate"),
        "{error}"
    );
}

/// Issue 13: the twin serves HTTPS itself. anchorsync's client reaches it with the twin's throwaway
/// CA as `ca_file`, with a client secret and with a certificate (whose assertion names the https
/// token URL as its audience), and refuses it without that CA.
#[tokio::test]
async fn a_twin_over_https_is_reached_with_its_own_ca_issue_13() {
    let dir = tempfile::tempdir().unwrap();
    let identity =
        anchorsync_twin::TlsIdentity::throwaway(anchorsync_twin::Clock::system().now()).unwrap();
    std::fs::write(dir.path().join("twin-ca.pem"), identity.ca_pem().unwrap()).unwrap();
    let pem = certificate();
    std::fs::write(
        dir.path().join("app.pem"),
        format!("{}{}", pem.certificate_pem, pem.private_key_pem),
    )
    .unwrap();
    let server = anchorsync_twin::TwinServer::start_tls(tenant(), config(), identity).unwrap();
    let root = server.root_url();
    assert!(root.starts_with("https://"), "{root}");
    let env = |name: &str| (name == "SECRET").then(|| secret(APP));
    let section = |client_id: &str, ca_file: Option<&str>| {
        let mut section = GraphConfig::new(TENANT, client_id);
        section.authority = Some(root.clone());
        section.graph_url = Some(server.base_url());
        section.ca_file = ca_file.map(Into::into);
        section.retry_base_delay_ms = Some(1);
        section
    };

    let mut untrusted = section(APP, None);
    untrusted.client_secret_env = Some("SECRET".to_owned());
    let error = GraphClient::new(untrusted.resolve(dir.path(), &env).unwrap())
        .unwrap()
        .list_domains()
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphError::Untrusted { .. }),
        "expected an untrusted-certificate error, got {error:?}"
    );

    let mut with_secret = section(APP, Some("twin-ca.pem"));
    with_secret.client_secret_env = Some("SECRET".to_owned());
    let client = GraphClient::new(with_secret.resolve(dir.path(), &env).unwrap()).unwrap();
    assert_eq!(client.list_domains().await.unwrap().len(), 4);
    // Every page's @odata.nextLink is https on the twin, which the client follows.
    assert_eq!(
        client.list_all_users(&NoProgress).await.unwrap().len(),
        USER_COUNT
    );

    for algorithm in [AssertionAlgorithm::Ps256, AssertionAlgorithm::Rs256] {
        let mut with_certificate = section(CERT_APP, Some("twin-ca.pem"));
        with_certificate.certificate_file = Some("app.pem".into());
        with_certificate.assertion_algorithm = algorithm;
        let client = GraphClient::new(with_certificate.resolve(dir.path(), &env).unwrap()).unwrap();
        assert_eq!(
            client.list_domains().await.unwrap().len(),
            4,
            "{algorithm:?}"
        );
    }
}
