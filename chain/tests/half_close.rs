//! Clients that half-close: they send a request, shut down their write half
//! (`printf ... | nc -N`, HTTP/1.0-style scripts) and wait for the answer.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Service, body, solve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `request` raw, shuts down the write half, and reads until the
/// server closes (or 10 s pass: then the answer is whatever came).
async fn half_closed(url: &str, request: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_request_is_answered_after_the_client_half_closes() {
    let mut svc = Service::start().await;
    let answer = half_closed(
        &svc.url,
        "GET /v1/tip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
    assert!(answer.contains("\"height\":0"), "{answer:?}");

    // HTTP/1.0, no Connection header: the server closes after answering.
    let answer = half_closed(
        &svc.url,
        "GET /v1/template?payout=0707070707070707070707070707070707070707 HTTP/1.0\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.0 200 OK\r\n"), "{answer:?}");
    assert!(answer.contains("\"height\":1"), "{answer:?}");
    svc.stop().await;
}

#[tokio::test]
async fn a_submission_whose_client_half_closes_is_committed_and_answered() {
    let mut svc = Service::start().await;
    let template = svc.client.template(&common::PAYOUT).await.unwrap();
    let block = body(&solve(&template, template.min_time, 0), "nc");
    let request = format!(
        "POST /v1/blocks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{block}",
        block.len()
    );
    let answer = half_closed(&svc.url, &request).await;
    assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer:?}");
    assert_eq!(svc.client.tip().await.unwrap().height, 1);
    svc.stop().await;
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_shutdown() {
    let mut svc = Service::start().await;
    let addr = svc.url.trim_start_matches("http://").to_owned();
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /v1/tip HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // The connection is kept alive, idle; stopping must not wait for it.
    tokio::time::timeout(Duration::from_secs(10), svc.stop())
        .await
        .unwrap();
    assert!(TcpStream::connect(&addr).await.is_err());
}
