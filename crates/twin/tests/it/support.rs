//! The shared test tenant ([`anchorsync_twin::test_tenant`]) and a small HTTP harness around a
//! `TwinServer`.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchorsync_twin::{
    Clock, TenantSnapshot, TestCertificate, TlsIdentity, TwinConfig, TwinServer,
};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

// The tenant itself; `tenant` and `config` below wrap the shared ones for this suite.
pub use anchorsync_twin::test_tenant::*;

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// The shared test tenant ([`anchorsync_twin::test_tenant`]), typed.
pub fn tenant() -> TenantSnapshot {
    anchorsync_twin::test_tenant::tenant().unwrap()
}

/// One throwaway certificate per test binary.
pub fn certificate() -> &'static TestCertificate {
    static CERTIFICATE: OnceLock<TestCertificate> = OnceLock::new();
    CERTIFICATE.get_or_init(|| {
        TestCertificate::generate("anchorsync-twin-test").unwrap_or_else(|error| {
            panic!("cannot make a test certificate: {error} (run scripts/install-test-deps.sh)")
        })
    })
}

/// The shared tenant's app registrations, with the twin's default settings.
pub fn config() -> TwinConfig {
    anchorsync_twin::test_tenant::config(certificate())
}

/// 2025-01-01T00:00:00Z: where manual clocks start.
pub fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_735_689_600)
}

/// A server plus an HTTP client. The harness serves HTTPS (a throwaway CA, which the client trusts
/// and nothing else), so every rule below is proven over TLS, the way clients reach Entra and
/// Graph; [`start_plain`] serves plain HTTP.
pub struct Harness {
    pub server: TwinServer,
    pub http: reqwest::Client,
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// `error.code` and `error.message`.
    pub fn error(&self) -> (String, String) {
        let json = self.json();
        (
            json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

pub fn start() -> Harness {
    start_with(tenant(), config())
}

pub fn start_with(snapshot: TenantSnapshot, config: TwinConfig) -> Harness {
    start_at(snapshot, config, Clock::system())
}

pub fn start_at(snapshot: TenantSnapshot, config: TwinConfig, clock: Clock) -> Harness {
    let twin = anchorsync_twin::Twin::with_clock(snapshot, config, clock).unwrap();
    // The certificate is valid in real time, whatever the twin's clock says.
    let identity = TlsIdentity::throwaway(Clock::system().now()).unwrap();
    let server = TwinServer::start_twin_tls(twin, identity).unwrap();
    let http = trusting(server.ca_pem().unwrap());
    Harness { server, http }
}

/// The test tenant over plain HTTP.
pub fn start_plain() -> Harness {
    Harness {
        server: TwinServer::start(tenant(), config()).unwrap(),
        http: reqwest::Client::new(),
    }
}

/// An HTTP client that trusts `ca_pem` and nothing else.
pub fn trusting(ca_pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

impl Harness {
    /// A token for `client_id` by client secret.
    pub async fn token(&self, client_id: &str) -> String {
        let reply = self
            .token_request(&[
                ("client_id", client_id),
                ("scope", GRAPH_SCOPE),
                ("client_secret", &secret(client_id)),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Reply {
        self.token_request_to(&self.server.token_url(), form).await
    }

    pub async fn token_request_to(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        let response = self.http.post(url).form(form).send().await.unwrap();
        reply(response).await
    }

    /// `method` on `path` below `/v1.0`, with a bearer token and extra headers.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.server.base_url())
        };
        let mut request = self.http.request(method, url);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(reqwest::Method::GET, path, token, None, &[])
            .await
    }

    /// GET with `ConsistencyLevel: eventual`.
    pub async fn get_eventual(&self, path: &str, token: &str) -> Reply {
        self.call(
            reqwest::Method::GET,
            path,
            token,
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(reqwest::Method::PATCH, path, token, Some(body), &[])
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(reqwest::Method::POST, path, token, Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(reqwest::Method::DELETE, path, token, None, &[])
            .await
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        text,
    }
}

/// Asserts a Graph error: status, code, message, and the `innerError` ids.
pub fn assert_graph_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let (actual_code, actual_message) = reply.error();
    assert_eq!(actual_code, code, "{}", reply.text);
    assert_eq!(actual_message, message, "{}", reply.text);
    let inner = &reply.json()["error"]["innerError"];
    assert!(inner["date"].is_string(), "{}", reply.text);
    assert_eq!(
        inner["request-id"].as_str(),
        reply.header("request-id"),
        "{}",
        reply.text
    );
    assert!(inner["client-request-id"].is_string(), "{}", reply.text);
}

/// A minimal valid body for `POST /users`.
pub fn new_user(upn: &str) -> Value {
    json!({
        "accountEnabled": true,
        "displayName": "New User",
        "mailNickname": upn.split('@').next().unwrap(),
        "userPrincipalName": upn,
        "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d"},
    })
}
