//! The HTTP service: routes, configuration, and [`serve`], which runs it on
//! a listener the caller bound (tests and the demo bind `127.0.0.1:0`).
//!
//! Every answer is JSON, errors included (`{"error", "code"}`, see
//! [`crate::api::ErrorBody`]): unknown routes, wrong methods, oversize and
//! malformed bodies, and even a panic, which [`CatchPanicLayer`] turns into
//! a 500 rather than a dropped connection. Store calls block, so handlers
//! run them on tokio's blocking pool.

mod error;
mod handlers;
mod submit;

use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
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
/// the requests in flight and returns. Errors only if accepting fails.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(store, config))
        .with_graceful_shutdown(shutdown)
        .await
}
