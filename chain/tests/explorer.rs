//! The explorer and `/metrics` through the real HTTP API on a real SQLite
//! file: the pages in headless Chromium follow blocks, trades and balances
//! made during the test without a reload; the metrics read strictly as
//! the Prometheus text format and move with the chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/browser.rs"]
mod browser;
mod common;
#[path = "support/exposition.rs"]
mod exposition;

use std::time::Duration;

use chain::ledger::{Side, SigningKey, address};
use common::ledger::{deposit, order, submit};
use common::{Service, operator, solve, trader};

const LONG: Duration = Duration::from_secs(90);

/// A chain where alice holds a block reward's coin and bob deposited usd.
async fn market() -> (Service, SigningKey, SigningKey) {
    let svc = Service::start_ledger().await;
    let (alice, bob) = (trader(1), trader(2));
    let template = svc.client.template(&address(&alice)).await.unwrap();
    svc.client
        .submit(&solve(&template, template.min_time, 0), "alice's rig")
        .await
        .unwrap();
    submit(&svc, &operator(), deposit(address(&bob), 50_000)).await;
    svc.mine_next().await;
    (svc, alice, bob)
}

async fn metrics(svc: &Service) -> exposition::Exposition {
    let r = svc
        .http
        .get(format!("{}/metrics", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.unwrap();
    exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_well_formed_and_move_with_the_chain() {
    let (svc, alice, bob) = market().await;
    let before = metrics(&svc).await;
    submit(&svc, &alice, order(Side::Sell, 10, 300)).await;
    submit(&svc, &bob, order(Side::Buy, 12, 500)).await;
    svc.mine_next().await;
    // A refusal, counted by its code.
    let (status, _) = svc.get("/v1/blocks/999").await;
    assert_eq!(status, 404);
    let after = metrics(&svc).await;

    let get = |e: &exposition::Exposition, name: &str| e.get(name, &[]).unwrap();
    assert_eq!(
        get(&after, "chain_height"),
        get(&before, "chain_height") + 1.0
    );
    assert_eq!(
        get(&after, "chain_trades_total"),
        get(&before, "chain_trades_total") + 1.0
    );
    assert_eq!(
        get(&after, "chain_transactions_admitted_total"),
        get(&before, "chain_transactions_admitted_total") + 2.0
    );
    assert!(
        get(&after, "chain_blocks_accepted_total") > get(&before, "chain_blocks_accepted_total")
    );
    assert!(get(&after, "chain_coin_minted_total") > get(&before, "chain_coin_minted_total"));
    assert_eq!(get(&after, "chain_usd_deposited_total"), 50_000.0);
    assert_eq!(get(&after, "chain_mempool_transactions"), 0.0);
    assert!(after.sum("chain_errors_total", &[]) > before.sum("chain_errors_total", &[]));
    // Request latency, by the route's pattern.
    assert!(after.declares("chain_http_request_duration_seconds", "histogram"));
    let posted = |e: &exposition::Exposition| {
        e.sum(
            "chain_http_request_duration_seconds_count",
            &[
                ("method", "POST"),
                ("route", "/v1/transactions"),
                ("status", "202"),
            ],
        )
    };
    assert_eq!(posted(&after), posted(&before) + 2.0);
    assert!(
        after.sum(
            "chain_http_request_duration_seconds_count",
            &[("route", "/v1/blocks/{height}"), ("status", "404")]
        ) >= 1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_pages_are_embedded() {
    let svc = Service::start_ledger().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/block/0", "text/html"),
        (
            "/tx/0000000000000000000000000000000000000000000000000000000000000000",
            "text/html",
        ),
        (
            "/account/0000000000000000000000000000000000000000",
            "text/html",
        ),
        ("/explorer.js", "text/javascript"),
        ("/explorer.css", "text/css"),
    ] {
        let r = svc
            .http
            .get(format!("{}{path}", svc.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
        if path.ends_with(".css") {
            // The base sheet shared with the dashboard, then the
            // explorer's own rules.
            let (base, own) = (body.find(":root"), body.find("#search"));
            assert!(base.is_some() && own.is_some() && base < own, "{body}");
        }
    }
    let (status, summary) = svc.get("/v1/summary").await;
    assert_eq!(status, 200);
    assert_eq!(summary["height"], 0);
    assert_eq!(summary["trades"], 0);
    assert_eq!(summary["operator"], address(&operator()).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_follows_blocks_trades_and_balances_in_a_browser() {
    if !browser::available("the_explorer_follows_blocks_trades_and_balances_in_a_browser") {
        return;
    }
    let (svc, alice, bob) = market().await;
    let mut page = browser::Script::start("explorer", &[&svc.url]);
    let tip: u64 = page.expect("READY", LONG).await.parse().unwrap();
    assert_eq!(tip, svc.client.tip().await.unwrap().height);

    // Orders placed through the API cross in the next block.
    submit(&svc, &alice, order(Side::Sell, 10, 300)).await;
    let buy = submit(&svc, &bob, order(Side::Buy, 12, 500)).await;
    svc.mine_next().await;
    let height = svc.client.tip().await.unwrap().height;
    let trades = svc.client.trades(0, 10).await.unwrap();
    assert_eq!(trades.len(), 1);
    let b = address(&bob);
    page.send(&format!(
        "EXPECT {height} {} {} {b}",
        trades[0].seq,
        buy.id()
    ))
    .await;
    page.expect("ACCOUNT", LONG).await;

    // A deposit while the account page is open shows up on it.
    submit(&svc, &operator(), deposit(b, 777)).await;
    svc.mine_next().await;
    let usd = svc.client.account(&b).await.unwrap().confirmed.usd;
    page.send(&format!("USD {usd}")).await;
    page.finish(LONG).await;
}
