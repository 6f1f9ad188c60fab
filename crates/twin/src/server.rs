//! Running the twin: [`TwinServer`] (a background server on a free loopback port, for tests and for
//! embedding) and [`serve`] / [`serve_tls`] (on a listener the caller owns, for `anchorsync twin
//! serve`), over plain HTTP or over HTTPS with a [`TlsIdentity`].

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use anchorsync_core::tenant::TenantSnapshot;

use crate::clock::Clock;
use crate::config::TwinConfig;
use crate::connections::{self, Serving};
use crate::state::{Twin, TwinError};
use crate::tls::TlsIdentity;

/// The twin on `127.0.0.1:<free port>`, served by its own runtime on its own thread, so synchronous
/// tests and other runtimes can use it alike, over plain HTTP ([`TwinServer::start`]) or HTTPS
/// ([`TwinServer::start_tls`]). Stops when dropped.
///
/// ```no_run
/// use anchorsync_core::tenant::TenantSnapshot;
/// use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
///
/// let config = TwinConfig::new("6babcaad-604b-40ac-a9d7-9fd97c0b779f")
///     .with_client(AppClient::with_secret("11111111-2222-3333-4444-555555555555", "s3cret"));
/// let server = TwinServer::start(TenantSnapshot::default(), config).unwrap();
/// let graph = server.base_url(); // http://127.0.0.1:PORT/v1.0
/// let token = server.token_url(); // http://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token
/// // ... point a client at them, then:
/// let after = server.snapshot();
/// ```
pub struct TwinServer {
    addr: SocketAddr,
    twin: Twin,
    /// The certificate served, when over HTTPS.
    tls: Option<TlsIdentity>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TwinServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinServer")
            .field("addr", &self.addr)
            .field("twin", &self.twin)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl TwinServer {
    /// Starts a twin serving `snapshot` with the system clock.
    pub fn start(snapshot: TenantSnapshot, config: TwinConfig) -> Result<Self, TwinError> {
        Self::start_twin(Twin::new(snapshot, config)?)
    }

    /// Starts a twin that reads time from `clock` (tests pass [`Clock::manual`] and move it).
    pub fn start_with_clock(
        snapshot: TenantSnapshot,
        config: TwinConfig,
        clock: Clock,
    ) -> Result<Self, TwinError> {
        Self::start_twin(Twin::with_clock(snapshot, config, clock)?)
    }

    /// Serves an existing [`Twin`].
    pub fn start_twin(twin: Twin) -> Result<Self, TwinError> {
        Self::spawn(twin, None)
    }

    /// Starts a twin serving `snapshot` over HTTPS with `identity` (a
    /// [`TlsIdentity::throwaway`] one: clients trust [`TwinServer::ca_pem`]).
    pub fn start_tls(
        snapshot: TenantSnapshot,
        config: TwinConfig,
        identity: TlsIdentity,
    ) -> Result<Self, TwinError> {
        Self::start_twin_tls(Twin::new(snapshot, config)?, identity)
    }

    /// Serves an existing [`Twin`] over HTTPS with `identity`.
    pub fn start_twin_tls(twin: Twin, identity: TlsIdentity) -> Result<Self, TwinError> {
        Self::spawn(twin, Some(identity))
    }

    fn spawn(twin: Twin, tls: Option<TlsIdentity>) -> Result<Self, TwinError> {
        let tls_config = tls
            .as_ref()
            .map(TlsIdentity::server_config)
            .transpose()
            .map_err(TwinError::Tls)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(TwinError::Server)?;
        listener.set_nonblocking(true).map_err(TwinError::Server)?;
        let addr = listener.local_addr().map_err(TwinError::Server)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("anchorsync-twin")
            .enable_all()
            .build()
            .map_err(TwinError::Server)?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Serving {
            router: crate::app(twin.clone()),
            tls: tls_config,
            limits: twin.config().connections.clone(),
            // Open keep-alive connections are simply dropped: a test fixture needs no drain.
            drain: false,
        };
        let thread = std::thread::Builder::new()
            .name("anchorsync-twin".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let stopped = async {
                        let _ = stopped.await;
                    };
                    let _ = connections::run(listener, serving, stopped).await;
                });
                runtime.shutdown_background();
            })
            .map_err(TwinError::Server)?;
        Ok(Self {
            addr,
            twin,
            tls,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address the twin listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` over TLS): the root, where the token endpoint lives and
    /// the authority a client library is pointed at, in place of `https://login.microsoftonline.com`.
    pub fn root_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The throwaway CA (PEM) a client must trust, when the twin serves HTTPS with a
    /// [`TlsIdentity::throwaway`] certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().and_then(TlsIdentity::ca_pem)
    }

    /// `http://127.0.0.1:PORT/v1.0`: the Graph root, in place of `https://graph.microsoft.com/v1.0`.
    pub fn base_url(&self) -> String {
        format!("{}/v1.0", self.root_url())
    }

    /// The token endpoint for this tenant, in place of
    /// `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        self.token_url_for(self.twin.tenant_id())
    }

    /// The token endpoint for a tenant given by id or domain name (other tenants get AADSTS90002).
    pub fn token_url_for(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.root_url())
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        self.twin.tenant_id()
    }

    /// The tenant as it is now.
    pub fn snapshot(&self) -> TenantSnapshot {
        self.twin.snapshot()
    }

    /// The twin's state (clock, configuration).
    pub fn twin(&self) -> &Twin {
        &self.twin
    }

    /// The twin's clock (a manual clock moves with [`Clock::advance`]).
    pub fn clock(&self) -> &Clock {
        self.twin.clock()
    }
}

impl Drop for TwinServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `twin` on `listener` until `shutdown` completes, then lets open requests finish. The
/// connection limits are the twin's [`TwinConfig::connections`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    twin: Twin,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let serving = Serving {
        router: crate::app(twin.clone()),
        tls: None,
        limits: twin.config().connections.clone(),
        drain: true,
    };
    connections::run(listener, serving, shutdown).await
}

/// [`serve`] over HTTPS: every connection on `listener` completes a TLS handshake with `identity`
/// first, and the URLs the twin hands out say `https`.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    twin: Twin,
    identity: &TlsIdentity,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TwinError> {
    let config = identity.server_config().map_err(TwinError::Tls)?;
    let serving = Serving {
        router: crate::app(twin.clone()),
        tls: Some(config),
        limits: twin.config().connections.clone(),
        drain: true,
    };
    connections::run(listener, serving, shutdown)
        .await
        .map_err(TwinError::Server)
}
