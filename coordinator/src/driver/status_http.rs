//! `--status ADDR`: the node's status as JSON over HTTP, for operators and
//! tests (`GET /status`), beside the dashboard and metrics of `web`. Served by the chain service's connection loop
//! ([`chain::server::serve_router`]), so that a client that half-closes
//! after its request (`printf ... | nc -N`) is answered too.

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
        .merge(super::web::routes())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({
                    "error": "not found; try GET / (dashboard), /status or /metrics"
                })),
            )
        })
        .with_state(rx);
    chain::server::serve_router(listener, app, shutdown).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    #[tokio::test]
    async fn a_client_that_half_closes_gets_the_status() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_tx, rx) = watch::channel(None);
        let (stop, mut stopped) = watch::channel(false);
        let server = tokio::spawn(serve_status(listener, rx, async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        // No status published yet: 503 "starting", but an answer.
        assert!(
            answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{answer:?}"
        );
        assert!(answer.contains("starting"), "{answer:?}");
        stop.send(true).unwrap();
        server.await.unwrap().unwrap();
    }
}
