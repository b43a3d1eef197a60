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
mod ledger;
mod submit;
mod web;

pub use web::BASE_STYLE;

use std::future::Future;
use std::io;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower_http::catch_panic::CatchPanicLayer;

use crate::replica::{Admitter, Limits, Replica};
use crate::store::{Store, StoreError};
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
    /// Largest request body accepted, in bytes (a block submission without
    /// transactions is ~250, a transaction ~300), except block
    /// submissions that carry their body (see [`ServiceConfig::block_body_limit`]).
    pub max_body_bytes: usize,
    /// Blocks per page of `GET /v1/blocks` when `limit` is not given.
    pub default_page: usize,
    /// Largest `limit` of `GET /v1/blocks`, `GET /v1/trades`.
    pub max_page: usize,
    /// Transactions one page of `GET /v1/blocks` shows at most (a page
    /// ends after the block that reaches it).
    pub max_page_transactions: usize,
    /// What a block's body may hold, and how many transactions wait.
    pub limits: Limits,
    /// Whether signatures are checked. Only a benchmark measuring what the
    /// checks cost turns this off; a chain served without them accepts
    /// forgeries.
    pub check_signatures: bool,
    /// How often the follower looks for blocks and transactions written
    /// by other instances on the same database (to send their events);
    /// `None`: only when a request comes.
    pub follow_every: Option<Duration>,
    /// Event streams (`GET /v1/events`) open at once at most.
    pub max_streams: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            clock: Clock::system(),
            max_body_bytes: 4096,
            default_page: 100,
            max_page: 1000,
            max_page_transactions: 5000,
            limits: Limits::default(),
            check_signatures: true,
            follow_every: Some(Duration::from_millis(500)),
            max_streams: 256,
        }
    }
}

impl ServiceConfig {
    /// Largest `POST /v1/transactions` body: a batch of the most
    /// transactions, as hex.
    pub fn tx_body_limit(&self) -> usize {
        self.max_body_bytes
            .saturating_add(crate::api::MAX_TX_BATCH * (2 * crate::ledger::MAX_TX_LEN + 4))
    }

    /// Largest `POST /v1/blocks` body: a submission with every transaction
    /// of a full block as hex.
    pub fn block_body_limit(&self) -> usize {
        self.max_body_bytes
            .saturating_add(self.limits.body.max_bytes.saturating_mul(2))
            .saturating_add(self.limits.body.max_txs.saturating_mul(4))
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
struct AppState {
    replica: Arc<Replica>,
    admitter: Admitter,
    config: Arc<ServiceConfig>,
    counters: Arc<Counters>,
    /// Becomes true when the service shuts down: event streams end.
    closing: watch::Sender<bool>,
    streams: Arc<Semaphore>,
    http: Arc<web::HttpMetrics>,
}

/// The API as an axum [`Router`], for embedding in another server: it
/// replays the chain from `store` first (see [`Replica`]). Its event
/// streams end only when their clients go; [`serve`] also ends them when
/// it shuts down.
pub fn router(store: Arc<dyn Store>, config: ServiceConfig) -> Result<Router, StoreError> {
    Ok(build(store, config)?.0)
}

fn build(
    store: Arc<dyn Store>,
    config: ServiceConfig,
) -> Result<(Router, watch::Sender<bool>), StoreError> {
    let max_body = config.max_body_bytes;
    let block_body = config.block_body_limit();
    let tx_body = config.tx_body_limit();
    let replica = Arc::new(Replica::open(store, config.limits, config.clock.clone())?);
    let admitter = Admitter::start(replica.clone())
        .map_err(|e| StoreError::Corrupt(format!("cannot start the mempool writer: {e}")))?;
    let (closing, _) = watch::channel(false);
    if let (Some(every), Ok(runtime)) = (config.follow_every, tokio::runtime::Handle::try_current())
    {
        runtime.spawn(follow(Arc::downgrade(&replica), every, closing.subscribe()));
    }
    let state = AppState {
        replica,
        admitter,
        streams: Arc::new(Semaphore::new(config.max_streams)),
        config: Arc::new(config),
        counters: Arc::new(Counters::default()),
        closing: closing.clone(),
        http: Arc::default(),
    };
    let router = Router::new()
        .route("/v1/template", get(handlers::template))
        .route("/v1/tip", get(handlers::tip))
        .route(
            "/v1/blocks",
            get(handlers::list)
                .post(handlers::submit)
                .layer(DefaultBodyLimit::max(block_body)),
        )
        .route("/v1/blocks/{height}", get(handlers::block))
        .route(
            "/v1/transactions",
            post(ledger::post_transaction).layer(DefaultBodyLimit::max(tx_body)),
        )
        .route("/v1/transactions/{id}", get(ledger::transaction))
        .route("/v1/book", get(ledger::book))
        .route("/v1/trades", get(ledger::trades))
        .route("/v1/accounts/{address}", get(ledger::account))
        .route("/v1/events", get(ledger::events))
        .route("/v1/stats", get(handlers::stats))
        .merge(web::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), web::observe))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::wrong_method)
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::count_and_log,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state);
    Ok((router, closing))
}

/// Brings the replica up to date every `every`, and as soon as the store
/// says something was committed (through any instance), until the service
/// closes (or the replica is gone), so that blocks and transactions written
/// by other instances become events without waiting for a request here.
async fn follow(replica: Weak<Replica>, every: Duration, mut closing: watch::Receiver<bool>) {
    let mut changes = replica.upgrade().and_then(|r| r.store().changes());
    loop {
        let changed = async {
            match changes.as_mut() {
                Some(rx) => {
                    if rx.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = closing.wait_for(|c| *c) => return,
            () = tokio::time::sleep(every) => {}
            () = changed => {}
        }
        let Some(replica) = replica.upgrade() else {
            return;
        };
        let synced = tokio::task::spawn_blocking(move || replica.sync().map(drop)).await;
        if let Ok(Err(e)) = synced {
            tracing::debug!("following the store: {e}");
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes, then ends the
/// event streams, finishes the requests in flight and returns (see
/// [`serve_router`]). Replaying the chain from the store comes first; a
/// store whose blocks do not replay is an error.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: ServiceConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (app, closing) = tokio::task::spawn_blocking(move || build(store, config))
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    serve_router(listener, app, async move {
        shutdown.await;
        let _ = closing.send(true);
    })
    .await
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
