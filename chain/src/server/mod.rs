//! The HTTP service: routes, configuration, and [`serve`], which runs it on
//! a listener the caller bound (tests and the demo bind `127.0.0.1:0`).
//!
//! Every answer is JSON, errors included (`{"error", "code"}`, see
//! [`crate::api::ErrorBody`]): unknown routes, wrong methods, oversize and
//! malformed bodies, and even a panic, which [`CatchPanicLayer`] turns into
//! a 500 rather than a dropped connection. Store calls block, so handlers
//! run them on tokio's blocking pool.
//!
//! [`serve_router`] is the connection loop (hyper's HTTP/1.1 server through
//! hyper-util) rather than `axum::serve`, which cannot answer a client that
//! half-closes its side after sending its request (`printf ... | nc -N`,
//! HTTP/1.0-style scripts): hyper takes that end of input for a vanished
//! client unless `half_close` is on, and `axum::serve` does not turn it on.

mod error;
mod handlers;
mod submit;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::store::Store;
use error::Counters;

/// Where the service reads the time: Unix seconds. Injected so that tests
/// can pin it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        }))
    }

    /// A clock that always reads `secs`.
    pub fn fixed(secs: u64) -> Clock {
        Clock(Arc::new(move || secs))
    }

    /// The current time, Unix seconds.
    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The service's settings (the chain's own parameters live in the store).
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The clock that bounds header times and stamps `received_at`.
    pub clock: Clock,
    /// Largest request body accepted, in bytes (a submission is ~250).
    pub max_body_bytes: usize,
    /// Blocks per page of `GET /v1/blocks` when `limit` is not given.
    pub default_page: usize,
    /// Largest `limit` of `GET /v1/blocks`.
    pub max_page: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            clock: Clock::system(),
            max_body_bytes: 4096,
            default_page: 100,
            max_page: 1000,
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
struct AppState {
    store: Arc<dyn Store>,
    config: Arc<ServiceConfig>,
    counters: Arc<Counters>,
}

/// The API as an axum [`Router`], for embedding in another server.
pub fn router(store: Arc<dyn Store>, config: ServiceConfig) -> Router {
    let max_body = config.max_body_bytes;
    let state = AppState {
        store,
        config: Arc::new(config),
        counters: Arc::new(Counters::default()),
    };
    Router::new()
        .route("/v1/template", get(handlers::template))
        .route("/v1/tip", get(handlers::tip))
        .route("/v1/blocks", get(handlers::list).post(handlers::submit))
        .route("/v1/blocks/{height}", get(handlers::block))
        .route("/v1/stats", get(handlers::stats))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::wrong_method)
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::count_and_log,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes
/// the requests in flight and returns (see [`serve_router`]).
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_router(listener, router(store, config), shutdown).await
}

/// Serves `app` over HTTP/1.1 on `listener` until `shutdown` completes:
/// then it stops accepting, lets every connection finish the request it is
/// on (idle ones close at once), and returns when all have closed.
///
/// A client may half-close its side once its request is sent and still
/// gets the answer. A failed accept never ends serving: a connection reset
/// before it was accepted is skipped, and anything else (out of file
/// descriptors, say) is logged and retried after a second, as hyper's own
/// server did. The `Result` is for callers that treat serving as fallible.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    // The timer lets hyper apply its default 30 s limit on reading a
    // request's head, so a silent client does not hold a connection forever.
    http.half_close(true).timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
