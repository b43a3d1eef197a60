//! `--status ADDR`: the node's status as JSON over HTTP, for operators and
//! tests (`GET /status`).

use std::future::Future;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::node::CoordinatorStatus;

type Shared = watch::Receiver<Option<CoordinatorStatus>>;

async fn status(State(rx): State<Shared>) -> Response {
    match rx.borrow().clone() {
        Some(s) => Json(s).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "starting"})),
        )
            .into_response(),
    }
}

/// Serves the status on `listener` until `shutdown`.
pub async fn serve_status(
    listener: TcpListener,
    rx: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/status", get(status))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({"error": "not found; try GET /status"})),
            )
        })
        .with_state(rx);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
