//! Running the twin: [`TwinServer`] (a background server on a free loopback port, for tests and for
//! embedding) and [`serve`] (on a listener the caller owns, for `anchorsync twin serve`).

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use anchorsync_core::tenant::TenantSnapshot;

use crate::clock::Clock;
use crate::config::TwinConfig;
use crate::state::{Twin, TwinError};

/// The twin on `127.0.0.1:<free port>`, served by its own runtime on its own thread, so synchronous
/// tests and other runtimes can use it alike. Stops when dropped.
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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TwinServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwinServer")
            .field("addr", &self.addr)
            .field("twin", &self.twin)
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
        let router = crate::app(twin.clone());
        let thread = std::thread::Builder::new()
            .name("anchorsync-twin".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = axum::serve(listener, router) => {}
                        _ = stopped => {}
                    }
                });
                // Open keep-alive connections are simply dropped: a test fixture needs no drain.
                runtime.shutdown_background();
            })
            .map_err(TwinError::Server)?;
        Ok(Self {
            addr,
            twin,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address the twin listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the root, where the token endpoint lives.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
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

/// Serves `twin` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    twin: Twin,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, crate::app(twin))
        .with_graceful_shutdown(shutdown)
        .await
}
