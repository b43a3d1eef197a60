//! Block application: transactions per second applied to the ledger (a
//! 1,000-transaction block of orders, half of them crossing, and
//! transfers, from 1,000 funded accounts), without and with checking their
//! signatures first. A block built from the mempool is applied without
//! the checks (they were made at admission); a block that brings its own
//! body is checked.
//!
//! `cargo bench -p chain --bench apply`
#![allow(clippy::unwrap_used, missing_docs)]

use chain::ledger::{
    Action, Address, Amount, Asset, Ledger, Price, REWARD, Side, SigningKey, Tx, address,
    verify_all,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const ACCOUNTS: usize = 1000;

fn key(i: usize) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// A ledger where every account holds coin and usd, and the next block.
fn setup() -> (Ledger, Vec<Tx>) {
    let operator = SigningKey::from_bytes(&[1; 32]);
    let treasury = SigningKey::from_bytes(&[2; 32]);
    let mut ledger = Ledger::new(Some(address(&operator)));
    let mut height = 0;
    let mut block = |ledger: &mut Ledger, txs: Vec<Tx>| {
        height += 1;
        let mut body = vec![Tx::reward(height, address(&treasury), REWARD)];
        body.extend(txs);
        ledger.apply_block(height, &body).unwrap();
        height
    };
    for _ in 0..ACCOUNTS {
        block(&mut ledger, Vec::new());
    }
    let keys: Vec<SigningKey> = (0..ACCOUNTS).map(key).collect();
    let deposits = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Tx::sign(
                &operator,
                i as u64,
                Action::Deposit {
                    to: address(k),
                    amount: Amount(1_000_000),
                },
            )
        })
        .collect();
    block(&mut ledger, deposits);
    let coin = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let action = Action::Transfer {
                asset: Asset::Coin,
                to: address(k),
                amount: Amount(900),
            };
            Tx::sign(&treasury, i as u64, action)
        })
        .collect();
    let last = block(&mut ledger, coin);
    let mut body = vec![Tx::reward(last + 1, Address([9; 20]), REWARD)];
    for (i, k) in keys.iter().enumerate() {
        let action = match i % 4 {
            0 => Action::Order {
                side: Side::Sell,
                price: Price(100 + (i % 10) as u64),
                amount: Amount(5),
                expiry: None,
            },
            1 => Action::Order {
                side: Side::Buy,
                price: Price(110),
                amount: Amount(5),
                expiry: None,
            },
            2 => Action::Order {
                side: Side::Buy,
                price: Price(90 - (i % 10) as u64),
                amount: Amount(5),
                expiry: None,
            },
            _ => Action::Transfer {
                asset: Asset::Usd,
                to: address(&keys[(i + 1) % ACCOUNTS]),
                amount: Amount(10),
            },
        };
        body.push(Tx::sign(k, 0, action));
    }
    (ledger, body)
}

fn apply(c: &mut Criterion) {
    let (ledger, body) = setup();
    let height = ledger.height() + 1;
    let trades = ledger
        .clone()
        .apply_block(height, &body)
        .unwrap()
        .trades
        .len();
    println!("block: {} transactions, {trades} trades", body.len());
    let mut group = c.benchmark_group("apply");
    group.throughput(Throughput::Elements(body.len() as u64));
    group.bench_function("block, no signature checks", |b| {
        b.iter_batched(
            || ledger.clone(),
            |mut l| l.apply_block(height, &body).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("block, signatures checked", |b| {
        b.iter_batched(
            || ledger.clone(),
            |mut l| {
                verify_all(&body).unwrap();
                l.apply_block(height, &body).unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
