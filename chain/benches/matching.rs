//! The matching engine alone: orders per second into a price-time book,
//! half of them crossing. Even orders are passive (a buy 1 to 10 ticks
//! below the middle, or a sell above it); odd ones are aggressive (a buy
//! 10 ticks above, a sell 10 below), sized like the passive ones, so the
//! book stays about the same size while every other order trades.
//!
//! `cargo bench -p chain --bench matching`
#![allow(clippy::unwrap_used, missing_docs)]

use chain::ledger::book::{Book, Incoming};
use chain::ledger::{Address, Amount, Price, Side, TxId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protocol::Hash256;

const ORDERS: usize = 100_000;
const MID: u64 = 10_000;

fn workload() -> Vec<Incoming> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    (0..ORDERS)
        .map(|i| {
            let buy = next(2) == 0;
            let price = if i % 2 == 0 {
                let depth = 1 + next(10);
                if buy { MID - depth } else { MID + depth }
            } else if buy {
                MID + 10
            } else {
                MID - 10
            };
            let mut id = [0u8; 32];
            id[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let mut owner = [0u8; 20];
            owner[..8].copy_from_slice(&next(1000).to_le_bytes());
            Incoming {
                id: TxId(Hash256(id)),
                owner: Address(owner),
                side: if buy { Side::Buy } else { Side::Sell },
                price: Price(price),
                amount: Amount(1 + next(100)),
            }
        })
        .collect()
}

fn matching(c: &mut Criterion) {
    let orders = workload();
    let mut fills = Vec::with_capacity(64);
    // What the workload does, once, for the record.
    let mut book = Book::new();
    let (mut crossing, mut total_fills) = (0, 0);
    for o in &orders {
        fills.clear();
        book.place(*o, &mut fills);
        crossing += usize::from(!fills.is_empty());
        total_fills += fills.len();
    }
    println!(
        "workload: {ORDERS} orders, {crossing} of them crossing ({:.0}%), {total_fills} fills, {} left resting",
        100.0 * crossing as f64 / ORDERS as f64,
        book.len()
    );
    let mut group = c.benchmark_group("matching");
    group.throughput(Throughput::Elements(ORDERS as u64));
    group.bench_function("orders, half crossing", |b| {
        b.iter(|| {
            let mut book = Book::new();
            for o in &orders {
                fills.clear();
                book.place(*o, &mut fills);
            }
            book.len()
        })
    });
    group.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
