//! The coordinator's web face, beside `GET /status`: the dashboard at `/`
//! (one page, its script and style embedded in the binary), its live feed
//! `GET /events` (Server-Sent Events), and `GET /metrics` (Prometheus).
//!
//! Everything is read from the status snapshot the node task publishes on
//! its timer and from the driver's [`Telemetry`]; a request never reaches
//! the node itself, so a busy dashboard cannot slow the protocol.

mod events;
mod metrics;
pub mod telemetry;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{Semaphore, watch};

pub use telemetry::Telemetry;

use super::CoordinatorStatus;

/// What the handlers read: the latest snapshot, once there is one.
pub type Shared = watch::Receiver<Option<CoordinatorStatus>>;

/// Live dashboards served at once at most; more get `503`.
pub const MAX_STREAMS: usize = 64;

const INDEX: &str = include_str!("assets/dashboard.html");
const SCRIPT: &str = include_str!("assets/dashboard.js");
/// The dashboard looks like the chain explorer: its style is the explorer's
/// base sheet.
const STYLE: &str = chain::server::BASE_STYLE;

/// The dashboard, its feed and the metrics, for the status server.
pub fn routes() -> Router<Shared> {
    let streams = Arc::new(Semaphore::new(MAX_STREAMS));
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/dashboard.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/dashboard.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/events",
            get(move |State(rx): State<Shared>| events::stream(rx, Arc::clone(&streams))),
        )
        .route("/metrics", get(metrics_handler))
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

async fn metrics_handler(State(rx): State<Shared>) -> Response {
    let Some(status) = rx.borrow().clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n").into_response();
    };
    let body = metrics::render(&status, &status.telemetry);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response()
}
