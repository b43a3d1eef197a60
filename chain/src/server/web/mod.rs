//! The service's web face beside the API: the explorer at `/` (one page,
//! its script and style embedded in the binary; `/block/{h}`, `/tx/{id}`
//! and `/account/{address}` are the same page, which reads its path), the
//! chain at a glance for it (`GET /v1/summary`), and `GET /metrics`
//! (Prometheus), with the time every API request takes.
//!
//! The page reads only the public API and follows `GET /v1/events`.

mod metrics;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

pub(super) use metrics::{HttpMetrics, observe};

use super::AppState;
use super::error::ApiError;
use super::handlers::blocking;

const INDEX: &str = include_str!("assets/explorer.html");
const SCRIPT: &str = include_str!("assets/explorer.js");
/// The look the explorer shares with the coordinator's dashboard (colours,
/// cards, tables, the range bar): one sheet, so the two pages stay alike.
pub const BASE_STYLE: &str = include_str!("assets/base.css");
const STYLE: &str = concat!(
    include_str!("assets/base.css"),
    include_str!("assets/explorer.css")
);

/// The explorer's pages and assets, `/v1/summary` and `/metrics`.
pub(super) fn routes() -> Router<AppState> {
    let page = || get(|| async { asset("text/html; charset=utf-8", INDEX) });
    Router::new()
        .route("/", page())
        .route("/block/{height}", page())
        .route("/tx/{id}", page())
        .route("/account/{address}", page())
        .route(
            "/explorer.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/explorer.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/v1/summary", get(summary))
        .route("/metrics", get(metrics::metrics))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /v1/summary`: the chain at a glance.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The tip's height.
    pub height: u64,
    /// The tip's hash.
    pub hash: String,
    /// The difficulty, leading zero bits.
    pub zero_bits: u8,
    /// Trades so far (the next trade's number): the newest are
    /// `GET /v1/trades?from=trades-N`.
    pub trades: u64,
    /// Transactions waiting in the mempool.
    pub mempool: usize,
    /// Accounts with any balance, order or transaction.
    pub accounts: usize,
    /// Coin minted by rewards, smallest units.
    pub minted: u64,
    /// Usd deposited, smallest units.
    pub deposited: u64,
    /// The operator's address, when the chain has one.
    pub operator: Option<String>,
}

async fn summary(State(state): State<AppState>) -> Result<Json<Summary>, ApiError> {
    let zero_bits = state.replica.store().params().zero_bits;
    blocking(&state, move |replica| {
        let view = replica.sync()?;
        Ok(Json(Summary {
            height: view.tip.tip.height,
            hash: view.tip.tip.hash.to_string(),
            zero_bits,
            trades: view.ledger.trade_count(),
            mempool: view.queue.len(),
            accounts: view.ledger.accounts().count(),
            minted: view.ledger.minted().0,
            deposited: view.ledger.deposited().0,
            operator: view.ledger.operator().map(|a| a.to_string()),
        }))
    })
    .await
}
