//! `GET /metrics`: the service in the Prometheus text format (version
//! 0.0.4). The HTTP latency histogram is kept as requests are answered;
//! everything else is read at the scrape from what the service already
//! keeps (its counters, the replica's ledger and mempool).

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::handlers::blocking;

type Labels = Vec<(&'static str, String)>;
type LatencyFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// What the service measures as it answers.
#[derive(Debug)]
pub(in crate::server) struct HttpMetrics {
    started: Instant,
    latency: LatencyFamily,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            started: Instant::now(),
            // 100 µs to about 3 s.
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 15))
            }),
        }
    }
}

/// Middleware on every route: the time to each answer, by method, route
/// (the pattern, so the label set stays small) and status.
pub(in crate::server) async fn observe(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let labels = vec![
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    state
        .http
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

fn counter(r: &mut Registry, name: &str, help: &str, value: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(value);
    r.register(name, help, c);
}

fn gauge(r: &mut Registry, name: &str, help: &str, value: i64) {
    let g = Gauge::<i64>::default();
    g.set(value);
    r.register(name, help, g);
}

fn by_code<'a>(
    r: &mut Registry,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (&'a String, &'a u64)>,
) {
    let f = Family::<Labels, Counter>::default();
    for (code, v) in values {
        f.get_or_create(&vec![("code", code.clone())]).inc_by(*v);
    }
    r.register(name, help, f);
}

fn int(v: impl TryInto<i64>) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

pub(super) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let stats = state.counters.snapshot();
    let admitted = state.replica.admitted();
    let dropped = state.replica.dropped();
    let streams = state
        .config
        .max_streams
        .saturating_sub(state.streams.available_permits());
    let ledger = blocking(&state, |replica| {
        let view = replica.sync()?;
        Ok((
            view.tip.tip.height,
            view.queue.len(),
            view.ledger.trade_count(),
            view.ledger.accounts().count(),
            view.ledger.minted().0,
            view.ledger.deposited().0,
        ))
    })
    .await?;
    let (height, mempool, trades, accounts, minted, deposited) = ledger;

    let mut r = Registry::with_prefix("chain");
    r.register(
        "build",
        "The running build",
        Info::new(vec![("version", env!("CARGO_PKG_VERSION").to_owned())]),
    );
    let uptime = Gauge::<f64, AtomicU64>::default();
    uptime.set(state.http.started.elapsed().as_secs_f64());
    r.register_with_unit(
        "uptime",
        "Time since the service started",
        Unit::Seconds,
        uptime,
    );
    gauge(&mut r, "height", "Height of the tip", int(height));
    counter(
        &mut r,
        "blocks_accepted",
        "Blocks this instance accepted",
        stats.accepted,
    );
    counter(
        &mut r,
        "transactions_admitted",
        "Transactions this instance admitted to the mempool",
        admitted,
    );
    gauge(
        &mut r,
        "mempool_transactions",
        "Transactions waiting in the mempool",
        int(mempool),
    );
    by_code(
        &mut r,
        "mempool_dropped",
        "Mempool entries dropped because they no longer applied, by code",
        &dropped,
    );
    by_code(
        &mut r,
        "errors",
        "Error answers, by code (see docs/chain-api.md)",
        &stats.errors,
    );
    counter(&mut r, "trades", "Trades committed", trades);
    gauge(
        &mut r,
        "accounts",
        "Accounts with any balance, order or transaction",
        int(accounts),
    );
    counter(
        &mut r,
        "coin_minted",
        "Coin created by block rewards, smallest units",
        minted,
    );
    counter(
        &mut r,
        "usd_deposited",
        "Usd created by deposits, smallest units",
        deposited,
    );
    gauge(
        &mut r,
        "event_streams",
        "Event streams (GET /v1/events) open",
        int(streams),
    );
    r.register_with_unit(
        "http_request_duration",
        "Time to answer each request, by method, route and status",
        Unit::Seconds,
        state.http.latency.clone(),
    );
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_text::encode(&mut text, &r);
    Ok((
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        text,
    )
        .into_response())
}
