//! `GET /v1/events` over real HTTP, and two service instances on one
//! store (an SQLite file; a PostgreSQL database): a template served by one
//! is mined and submitted to the other, each reports what was committed
//! through the other, and batches sent to both at once are all admitted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chain::ledger::{Action, Amount, Price, Side, Tx, address};
use chain::{ChainClient, Clock, Location, ServiceConfig, Store};
use common::{Backend, NOW, PAYOUT, Service, on_both_stores_async, operator, solve, trader};
use tokio::net::TcpListener;

/// Reads SSE events (name, JSON data) from a streaming response.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(url: &str) -> Events {
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{url}/v1/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, skipping keep-alive comments.
    async fn next(&mut self) -> (String, serde_json::Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(v).unwrap());
                    }
                }
                if let (Some(name), Some(data)) = (name, data) {
                    return (name, data);
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("an event within 20 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event named `name`.
    async fn next_named(&mut self, name: &str) -> serde_json::Value {
        loop {
            let (n, data) = self.next().await;
            if n == name {
                return data;
            }
        }
    }
}

on_both_stores_async!(
    admissions_blocks_and_trades_are_streamed_as_they_commit,
    two_instances_on_one_database_share_mempool_templates_and_events,
    batches_through_two_instances_at_once_are_all_admitted,
);

async fn admissions_blocks_and_trades_are_streamed_as_they_commit(backend: Backend) {
    let Some(mut svc) = Service::ledger_on(backend, "admissions_blocks_and_trades").await else {
        return;
    };
    let mut events = Events::open(&svc.url).await;
    let (a, b) = (trader(1), trader(2));
    let fund = |key, seq, amount| {
        Tx::sign(
            &operator(),
            seq,
            Action::Deposit {
                to: address(key),
                amount: Amount(amount),
            },
        )
    };
    let first = fund(&b, 0, 1_000);
    svc.client.submit_transaction(&first).await.unwrap();
    let admitted = events.next_named("admitted").await;
    assert_eq!(admitted["id"], first.id().to_string());
    assert_eq!(admitted["kind"], "deposit");

    // Alice gets a reward, sells; bob buys.
    let template = svc.client.template(&address(&a)).await.unwrap();
    svc.client
        .submit(&solve(&template, template.min_time, 0), "m")
        .await
        .unwrap();
    let block = events.next_named("block").await;
    assert_eq!(
        (block["height"].as_u64(), block["transactions"].as_u64()),
        (Some(1), Some(2))
    );
    let order = |key, side, seq| {
        Tx::sign(
            key,
            seq,
            Action::Order {
                side,
                price: Price(3),
                amount: Amount(100),
                expiry: None,
            },
        )
    };
    svc.client
        .submit_transaction(&order(&a, Side::Sell, 0))
        .await
        .unwrap();
    svc.client
        .submit_transaction(&order(&b, Side::Buy, 0))
        .await
        .unwrap();
    svc.mine_next().await;
    let block = events.next_named("block").await;
    assert_eq!(block["height"], 2);
    let trade = events.next_named("trade").await;
    assert_eq!(
        (trade["price"].as_u64(), trade["amount"].as_u64()),
        (Some(3), Some(100))
    );
    assert_eq!(trade["buyer"], address(&b).to_string());
    // Shutting down ends the stream rather than waiting for it.
    tokio::time::timeout(Duration::from_secs(10), svc.stop())
        .await
        .expect("shutdown with an open event stream");
}

async fn instance(
    db: &Location,
    follow_every: Duration,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let store: Arc<dyn Store> = db.open(Default::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = ServiceConfig {
        clock: Clock::fixed(NOW),
        follow_every: Some(follow_every),
        ..ServiceConfig::default()
    };
    let task = tokio::spawn(chain::serve(
        listener,
        store,
        config,
        std::future::pending(),
    ));
    (url, task)
}

async fn two_instances_on_one_database_share_mempool_templates_and_events(backend: Backend) {
    let Some(first) = Service::ledger_on(backend, "two_instances_on_one_database").await else {
        return;
    };
    // SQLite's other processes are seen by polling; PostgreSQL's are
    // heard at once, so B's poll is left at an hour there: its events can
    // only come from notifications.
    let poll = match backend {
        Backend::Sqlite => Duration::from_millis(50),
        Backend::Postgres => Duration::from_secs(3600),
    };
    let (url_b, _task) = instance(&first.db, poll).await;
    let b = ChainClient::new(&url_b).unwrap();
    let mut events_b = Events::open(&url_b).await;

    // Admitted through A, pending at B.
    let dep = Tx::sign(
        &operator(),
        0,
        Action::Deposit {
            to: address(&trader(1)),
            amount: Amount(77),
        },
    );
    first.client.submit_transaction(&dep).await.unwrap();
    let seen = events_b.next_named("admitted").await;
    assert_eq!(seen["id"], dep.id().to_string());
    assert_eq!(
        b.account(&address(&trader(1))).await.unwrap().pending.usd,
        77
    );
    // The same transaction sent to B is a duplicate.
    assert!(b.submit_transaction(&dep).await.unwrap().duplicate);

    // A template from A, solved and submitted to B.
    let template = first.client.template(&PAYOUT).await.unwrap();
    assert_eq!(template.transactions, 2);
    let header = solve(&template, template.min_time, 0);
    assert_eq!(b.submit(&header, "via b").await.unwrap().height, 1);
    let block = events_b.next_named("block").await;
    assert_eq!(block["miner"], "via b");
    // A follows: the same ledger, and the block is a duplicate there.
    let view = first.client.account(&address(&trader(1))).await.unwrap();
    assert_eq!((view.height, view.confirmed.usd), (1, 77));
    assert!(matches!(
        first.client.submit(&header, "again").await,
        Err(chain::ClientError::Duplicate { height: 1, .. })
    ));
    assert_eq!(b.stats().await.unwrap().mempool, 0);
}

async fn batches_through_two_instances_at_once_are_all_admitted(backend: Backend) {
    use chain::api::TxOutcome;
    use chain::ledger::{Address, Asset};
    let Some(first) = Service::ledger_on(backend, "batches_through_two_instances").await else {
        return;
    };
    let (url_b, _task) = instance(&first.db, Duration::from_millis(50)).await;
    let clients = [first.client.clone(), ChainClient::new(&url_b).unwrap()];
    const GROUPS: u8 = 4;
    const GROUP: u8 = 16;
    const BATCHES: u64 = 8;
    let keys: Vec<_> = (1..=GROUPS * GROUP).map(trader).collect();
    let deposits: Vec<Tx> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let deposit = Action::Deposit {
                to: address(k),
                amount: Amount(1_000),
            };
            Tx::sign(&operator(), i as u64, deposit)
        })
        .collect();
    let outcomes = first.client.submit_transactions(&deposits).await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, TxOutcome::Accepted(_))));
    // Each group's batches (one transfer per account) through one
    // instance, the groups alternating, all at once: each instance keeps
    // moving the mempool the other checks against.
    let tasks: Vec<_> = keys
        .chunks(usize::from(GROUP))
        .enumerate()
        .map(|(g, group)| {
            let client = clients[g % 2].clone();
            let batches: Vec<Vec<Tx>> = (0..BATCHES)
                .map(|seq| {
                    let send = |k| {
                        let action = Action::Transfer {
                            asset: Asset::Usd,
                            to: Address([9; 20]),
                            amount: Amount(1),
                        };
                        Tx::sign(k, seq, action)
                    };
                    group.iter().map(send).collect()
                })
                .collect();
            tokio::spawn(async move {
                let mut refused = Vec::new();
                for batch in batches {
                    let outcomes = client.submit_transactions(&batch).await.unwrap();
                    refused.extend(
                        outcomes
                            .into_iter()
                            .filter(|o| !matches!(o, TxOutcome::Accepted(_))),
                    );
                }
                refused
            })
        })
        .collect();
    for t in tasks {
        let refused = t.await.unwrap();
        assert!(refused.is_empty(), "refused: {refused:?}");
    }
    let expected = u64::from(GROUPS * GROUP) * (BATCHES + 1);
    let store = first.store.clone();
    let read = tokio::task::spawn_blocking(move || store.mempool(0).unwrap())
        .await
        .unwrap();
    assert_eq!(read.entries.len() as u64, expected);
    let received = first.client.account(&Address([9; 20])).await.unwrap();
    assert_eq!(received.pending.usd, u64::from(GROUPS * GROUP) * BATCHES);
}
