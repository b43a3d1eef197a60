//! The ledger through the real HTTP API on each store (a real SQLite file,
//! a real PostgreSQL database): deposits, transfers, orders matched in
//! blocks, cancels, the book, trades, account views, transaction status,
//! bodies sent with blocks, and conservation after a random workload.
//! Refused transactions: `ledger_refusals.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::ledger::{Action, Address, Amount, Asset, Price, REWARD, Side, SigningKey, Tx, address};
use chain::{ClientError, Store};
use common::ledger::{deposit, order, signed, submit};
use common::{Backend, PAYOUT, Service, on_both_stores_async, operator, solve, trader};
use protocol::hex::Hex;
use serde_json::Value;

on_both_stores_async!(
    orders_match_in_blocks_and_every_view_follows,
    a_block_may_carry_its_own_body_and_is_refused_unless_it_applies,
    a_mempool_entry_that_no_longer_applies_is_dropped_with_its_reason,
    conservation_holds_at_every_height_of_a_random_workload,
);

async fn orders_match_in_blocks_and_every_view_follows(backend: Backend) {
    let Some(svc) =
        Service::ledger_on(backend, "orders_match_in_blocks_and_every_view_follows").await
    else {
        return;
    };
    let (alice, bob) = (trader(1), trader(2));
    let (a, b) = (address(&alice), address(&bob));
    // Coin reaches alice through a block reward and a transfer.
    svc.mine_next().await;
    submit(&svc, &operator(), deposit(b, 50_000)).await;
    let header = svc.mine_next().await;
    let block = svc.get("/v1/blocks/2").await.1;
    assert_eq!(block["hash"], header.hash().to_string());
    let kinds: Vec<&str> = block["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reward", "deposit"]);
    assert_eq!(block["transactions"][0]["to"], PAYOUT.to_string());
    assert_eq!(block["transactions"][1]["amount"], 50_000);

    // A template names its payout: this block's reward goes to alice.
    let template = svc.client.template(&a).await.unwrap();
    assert_eq!(template.payout, a);
    svc.client
        .submit(&solve(&template, template.min_time, 0), "m")
        .await
        .unwrap();
    assert_eq!(
        svc.client.account(&a).await.unwrap().confirmed.coin,
        REWARD.0
    );

    let sell = submit(&svc, &alice, order(Side::Sell, 10, 300)).await;
    let buy = submit(&svc, &bob, order(Side::Buy, 12, 500)).await;
    let record = svc.client.transaction(&buy.id()).await.unwrap().unwrap();
    assert_eq!(record.status, "pending");
    // Pending state already shows the locks; the tip does not.
    let bob_view = svc.client.account(&b).await.unwrap();
    assert_eq!(bob_view.confirmed.locked_usd, 0);
    assert_eq!(bob_view.pending.next_sequence, 1);
    svc.mine_next().await;

    let trades = svc.client.trades(0, 10).await.unwrap();
    assert_eq!(trades.len(), 1);
    let t = &trades[0];
    assert_eq!((t.price, t.amount, t.buyer, t.seller), (10, 300, b, a));
    assert_eq!((t.maker, t.taker), (sell.id(), buy.id()));
    let book = svc.client.book(10).await.unwrap();
    assert!(book.asks.is_empty());
    assert_eq!(
        (book.bids[0].price, book.bids[0].amount, book.bids[0].orders),
        (12, 200, 1)
    );
    let bob_view = svc.client.account(&b).await.unwrap();
    assert_eq!(bob_view.confirmed.coin, 300);
    assert_eq!(bob_view.confirmed.usd, 50_000 - 3_000 - 2_400);
    assert_eq!(bob_view.confirmed.locked_usd, 2_400);
    assert_eq!(bob_view.open_orders.len(), 1);
    assert_eq!(bob_view.open_orders[0].remaining, 200);
    let alice_view = svc.client.account(&a).await.unwrap();
    assert_eq!(
        (alice_view.confirmed.coin, alice_view.confirmed.usd),
        (REWARD.0 - 300, 3_000)
    );
    let record = svc.client.transaction(&buy.id()).await.unwrap().unwrap();
    assert_eq!(
        (record.status.as_str(), record.block, record.position),
        ("in_block", Some(4), Some(2))
    );

    // Cancel releases the rest.
    submit(&svc, &bob, Action::Cancel { order: buy.id() }).await;
    svc.mine_next().await;
    let bob_view = svc.client.account(&b).await.unwrap();
    assert_eq!(
        (bob_view.confirmed.usd, bob_view.confirmed.locked_usd),
        (47_000, 0)
    );
    assert!(svc.client.book(10).await.unwrap().bids.is_empty());
    let stats = svc.client.stats().await.unwrap();
    assert_eq!((stats.admitted, stats.mempool), (4, 0));
}

/// Builds a block header for the service's template with a body of our own.
async fn post_with_body(svc: &Service, body: &[Tx], root_from: &[Tx]) -> (u16, Value) {
    let state = svc.tip_state().await;
    let template = chain::rules::template(common::ZERO_BITS, &state, root_from);
    let header = solve(&template, template.min_time, 0);
    let transactions: Vec<String> = body.iter().map(|t| Hex(&t.encode()).to_string()).collect();
    svc.post_block(
        &serde_json::json!({
            "header": Hex(&header.to_bytes()).to_string(),
            "miner": "own body",
            "transactions": transactions,
        })
        .to_string(),
    )
    .await
}

async fn a_block_may_carry_its_own_body_and_is_refused_unless_it_applies(backend: Backend) {
    let Some(svc) = Service::ledger_on(
        backend,
        "a_block_may_carry_its_own_body_and_is_refused_unless_it_applies",
    )
    .await
    else {
        return;
    };
    let alice = trader(1);
    let a = address(&alice);
    let state = svc.tip_state().await;
    let reward = Tx::reward(1, a, REWARD);
    let dep = Tx::sign(&operator(), 0, deposit(a, 10));
    let spend = Tx::sign(
        &alice,
        0,
        Action::Transfer {
            asset: Asset::Usd,
            to: PAYOUT,
            amount: Amount(11),
        },
    );
    let mut forged = Tx::sign(&operator(), 0, deposit(a, 99)).encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = Tx::decode(&forged).unwrap();
    let good = vec![reward.clone(), dep.clone()];
    let cases: Vec<(Vec<Tx>, Vec<Tx>, &str)> = vec![
        (good.clone(), vec![reward.clone()], "body_mismatch"),
        (
            vec![reward.clone(), dep.clone(), spend.clone()],
            vec![reward.clone(), dep.clone(), spend],
            "bad_body",
        ),
        (
            vec![reward.clone(), forged.clone()],
            vec![reward.clone(), forged],
            "bad_body",
        ),
        (vec![dep.clone()], vec![dep.clone()], "bad_body"),
        (
            vec![reward.clone(), dep.clone(), dep.clone()],
            vec![reward.clone(), dep.clone(), dep.clone()],
            "duplicate_transaction",
        ),
        (
            vec![Tx::reward(1, a, Amount(1_001))],
            vec![Tx::reward(1, a, Amount(1_001))],
            "bad_body",
        ),
    ];
    for (body, root_from, code) in cases {
        let (status, answer) = post_with_body(&svc, &body, &root_from).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (422, Some(code)),
            "{answer}"
        );
    }
    // A header whose root no template and no sent body has.
    let mut template = chain::rules::template(common::ZERO_BITS, &state, &good);
    template.merkle_root = protocol::Hash256([5; 32]);
    let header = solve(&template, template.min_time, 0);
    let (status, answer) = svc.post_block(&common::body(&header, "m")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("wrong_merkle_root"))
    );
    assert_eq!(svc.client.tip().await.unwrap().height, 0);

    let (status, answer) = post_with_body(&svc, &good, &good).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(svc.client.account(&a).await.unwrap().confirmed.usd, 10);
    let stats = svc.client.stats().await.unwrap();
    assert_eq!(stats.errors["bad_body"], 4);
    assert_eq!(stats.errors["body_mismatch"], 1);
}

async fn a_mempool_entry_that_no_longer_applies_is_dropped_with_its_reason(backend: Backend) {
    let Some(svc) = Service::ledger_on(
        backend,
        "a_mempool_entry_that_no_longer_applies_is_dropped_with_its_reason",
    )
    .await
    else {
        return;
    };
    let alice = trader(1);
    let a = address(&alice);
    submit(&svc, &operator(), deposit(a, 100)).await;
    svc.mine_next().await;
    // An order valid for the next block, but expiring before the one after.
    let height = svc.client.tip().await.unwrap().height;
    let expiring = submit(
        &svc,
        &alice,
        Action::Order {
            side: Side::Buy,
            price: Price(1),
            amount: Amount(10),
            expiry: Some(height + 1),
        },
    )
    .await;
    // A block mined from an older template (without it) moves the tip.
    let state = svc.tip_state().await;
    let body = chain::rules::body(&state, PAYOUT, []);
    let (status, _) = post_with_body(&svc, &body, &body).await;
    assert_eq!(status, 201);
    let body = chain::rules::body(&svc.tip_state().await, PAYOUT, []);
    let (status, _) = post_with_body(&svc, &body, &body).await;
    assert_eq!(status, 201);
    let record = svc
        .client
        .transaction(&expiring.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.status.as_str(), record.code.as_deref()),
        ("dropped", Some("order_expired"))
    );
    let stats = svc.client.stats().await.unwrap();
    assert_eq!(
        (stats.mempool, stats.dropped.get("order_expired")),
        (0, Some(&1))
    );
    assert_eq!(svc.client.account(&a).await.unwrap().pending.usd, 100);
}

async fn conservation_holds_at_every_height_of_a_random_workload(backend: Backend) {
    let Some(svc) = Service::ledger_on(
        backend,
        "conservation_holds_at_every_height_of_a_random_workload",
    )
    .await
    else {
        return;
    };
    let keys: Vec<SigningKey> = (1..=5).map(trader).collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for k in &keys {
        submit(&svc, &operator(), deposit(address(k), 10_000)).await;
    }
    for height in 1..=12u64 {
        // Rewards go to the traders in turn, so they have coin to sell.
        let payout = address(&keys[(height % 5) as usize]);
        for _ in 0..12 {
            let k = &keys[next(5) as usize];
            let action = match next(4) {
                0 => Action::Transfer {
                    asset: if next(2) == 0 {
                        Asset::Coin
                    } else {
                        Asset::Usd
                    },
                    to: address(&keys[next(5) as usize]),
                    amount: Amount(1 + next(300)),
                },
                1 => {
                    let open = svc.client.account(&address(k)).await.unwrap().open_orders;
                    match open.first() {
                        Some(o) => Action::Cancel { order: o.id },
                        None => order(Side::Buy, 1 + next(20), 1 + next(50)),
                    }
                }
                _ => order(
                    if next(2) == 0 { Side::Buy } else { Side::Sell },
                    5 + next(10),
                    1 + next(80),
                ),
            };
            let tx = signed(&svc, k, action).await;
            match svc.client.submit_transaction(&tx).await {
                Ok(_) | Err(ClientError::Rejected { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let template = svc.client.template(&payout).await.unwrap();
        svc.client
            .submit(&solve(&template, template.min_time, 0), "load")
            .await
            .unwrap();
        let (mut coin, mut usd) = (0u64, 0u64);
        for k in keys.iter().map(address).chain([PAYOUT]) {
            let v = svc.client.account(&k).await.unwrap();
            assert_eq!(v.height, height);
            coin += v.confirmed.coin + v.confirmed.locked_coin;
            usd += v.confirmed.usd + v.confirmed.locked_usd;
        }
        assert_eq!(coin, height * REWARD.0, "coin at height {height}");
        assert_eq!(usd, 50_000, "usd at height {height}");
        let book = svc.client.book(1000).await.unwrap();
        if let (Some(bid), Some(ask)) = (book.bids.first(), book.asks.first()) {
            assert!(bid.price < ask.price, "crossed at {height}");
        }
    }
    assert!(!svc.client.trades(0, 1000).await.unwrap().is_empty());

    // Replaying the stored blocks gives the same ledger the service built
    // (off the runtime's threads: the PostgreSQL client blocks).
    let store: std::sync::Arc<dyn Store> = svc.store.clone();
    let addresses: Vec<Address> = keys.iter().map(address).chain([PAYOUT]).collect();
    let replayed_of = addresses.clone();
    let (book, accounts) = tokio::task::spawn_blocking(move || {
        let replica = chain::replica::Replica::open(
            store,
            chain::replica::Limits::default(),
            chain::Clock::fixed(common::NOW),
        )
        .unwrap();
        let view = replica.sync().unwrap();
        view.ledger.check_conservation().unwrap();
        let accounts: Vec<_> = replayed_of
            .iter()
            .map(|k| chain::api::AccountView::of(*k, &view.ledger, &view.pending))
            .collect();
        (chain::api::BookView::of(&view.ledger, 1000), accounts)
    })
    .await
    .unwrap();
    assert_eq!(book, svc.client.book(1000).await.unwrap());
    for (k, replayed) in addresses.iter().zip(accounts) {
        assert_eq!(replayed, svc.client.account(k).await.unwrap());
    }
}
