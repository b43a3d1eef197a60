//! Rival blocks for one height submitted at the same moment: exactly one is
//! committed, every other gets 409, and the chain stays a single line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chain::{ChainClient, ClientError, Clock, ServiceConfig};
use common::{Backend, NOW, Service, on_both_stores_async, solve};
use tokio::sync::Barrier;

/// Submits `rivals` different valid blocks for the next height at once,
/// each from its own client (its own connection); returns how many were
/// accepted and how many were refused as stale.
async fn race(svc: &Service, rivals: u32) -> (usize, usize) {
    let template = svc.client.template(&common::PAYOUT).await.unwrap();
    let barrier = Arc::new(Barrier::new(rivals as usize));
    let mut tasks = Vec::new();
    for i in 0..rivals {
        let header = solve(&template, template.min_time + i, 0);
        let client = ChainClient::new(&svc.url).unwrap();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            // Connect first, so that the requests leave together.
            client.tip().await.unwrap();
            barrier.wait().await;
            client.submit(&header, &format!("rival {i}")).await
        }));
    }
    let (mut accepted, mut stale) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(a) => {
                assert_eq!(a.height, template.height);
                accepted += 1;
            }
            Err(ClientError::Stale {
                tip: Some((height, _)),
                ..
            }) => {
                assert_eq!(height, template.height);
                stale += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    (accepted, stale)
}

on_both_stores_async!(two_rivals_one_winner, many_rivals_one_winner);

async fn service(backend: Backend, test: &str) -> Option<Service> {
    let config = ServiceConfig {
        clock: Clock::fixed(NOW),
        ..ServiceConfig::default()
    };
    Service::start_on(backend, test, config, None).await
}

async fn two_rivals_one_winner(backend: Backend) {
    let Some(svc) = service(backend, "two_rivals_one_winner").await else {
        return;
    };
    let rounds = 25;
    for _ in 0..rounds {
        assert_eq!(race(&svc, 2).await, (1, 1));
    }
    assert_single_line(&svc, rounds).await;
}

async fn many_rivals_one_winner(backend: Backend) {
    let Some(svc) = service(backend, "many_rivals_one_winner").await else {
        return;
    };
    for _ in 0..5 {
        assert_eq!(race(&svc, 8).await, (1, 7));
    }
    assert_single_line(&svc, 5).await;
    let stats = svc.client.stats().await.unwrap();
    assert_eq!(stats.accepted, 5);
    assert_eq!(stats.errors.get("stale"), Some(&35));
}

/// The chain holds heights `0..=tip` exactly, each linked to the previous.
async fn assert_single_line(svc: &Service, tip: u64) {
    let blocks = svc.client.blocks(0, 1000).await.unwrap();
    assert_eq!(blocks.len() as u64, tip + 1);
    for (i, pair) in blocks.windows(2).enumerate() {
        assert_eq!(pair[1].height, i as u64 + 1);
        assert_eq!(pair[1].header.prev_hash, pair[0].hash);
    }
    assert_eq!(svc.client.tip().await.unwrap().height, tip);
}
