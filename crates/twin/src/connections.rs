//! How the twin accepts connections: at most [`Connections::max_connections`] at once (one more is
//! closed as soon as it is accepted), each cut when it does not deliver a request's headers within
//! [`Connections::header_read_timeout`] (an idle keep-alive connection, a slow-loris sender, a TLS
//! handshake that never ends), HTTP/1.1 over plain TCP or TLS, and a graceful stop.
//!
//! Each request is stamped with the origin the twin serves at ([`ServedOrigin`]): the local address
//! the connection came in on (the router replaces it with [`crate::TwinConfig::public_url`] when
//! one is configured). The URLs
//! the twin hands out (`@odata.context`, `@odata.nextLink`) are built from it, never from the
//! client's `Host` header, which a client (or anyone in between) can forge.
//!
//! axum's own `serve` offers neither limit, hence this loop on hyper's connection builder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::config::Connections;
use crate::tls::OverTls;

/// The origin (`scheme://host:port`) the twin serves at, for the URLs it hands out.
#[derive(Debug, Clone)]
pub(crate) struct ServedOrigin(pub String);

/// What [`run`] serves and how.
pub(crate) struct Serving {
    pub router: Router,
    /// HTTPS with this configuration; plain HTTP when `None`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub limits: Connections,
    /// On shutdown, wait for the requests under way (the command line) or drop them (a test
    /// fixture, which needs no drain).
    pub drain: bool,
}

/// Accepts connections on `listener` until `shutdown` completes.
pub(crate) async fn run(
    listener: TcpListener,
    serving: Serving,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let Serving {
        router,
        tls,
        limits,
        drain,
    } = serving;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let acceptor = tls.map(TlsAcceptor::from);
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    tokio::pin!(shutdown);
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _peer)) => socket,
                Err(_) => {
                    // Out of file descriptors and the like: wait, as axum's own loop does.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over the cap: close at once, rather than hold a socket the twin will not serve.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(socket);
            continue;
        };
        let Ok(local) = socket.local_addr() else {
            continue;
        };
        let origin = format!("{scheme}://{local}");
        let connection = Connection {
            router: router.clone(),
            origin: ServedOrigin(origin),
            header_read_timeout: limits.header_read_timeout,
            watcher: graceful.watcher(),
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match acceptor {
                None => connection.serve(socket, false).await,
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(
                        connection.header_read_timeout,
                        acceptor.accept(socket),
                    );
                    if let Ok(Ok(stream)) = handshake.await {
                        connection.serve(stream, true).await;
                    }
                }
            }
        });
    }
    drop(listener);
    if drain {
        graceful.shutdown().await;
    }
    Ok(())
}

/// One accepted connection.
struct Connection {
    router: Router,
    origin: ServedOrigin,
    header_read_timeout: Duration,
    watcher: Watcher,
}

impl Connection {
    async fn serve<I>(self, io: I, over_tls: bool)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self {
            router,
            origin,
            header_read_timeout,
            watcher,
        } = self;
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(origin.clone());
            if over_tls {
                request.extensions_mut().insert(OverTls);
            }
            router.clone().oneshot(request)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        let connection = builder.serve_connection(TokioIo::new(io), service);
        // A connection that fails (a header timeout, a reset, a lost answer) just ends.
        let _ = watcher.watch(connection).await;
    }
}
