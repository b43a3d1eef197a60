//! Property tests on random sequences of transactions: conservation at
//! every height, replay giving the same ledger, decoding never panicking,
//! and no overflow near the limits.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

/// A random action by one of `accounts` traders (or the operator).
fn arb_step() -> impl Strategy<Value = (u8, u8, u8, u64, u64, u8)> {
    (0u8..6, 1u8..6, 1u8..6, 1u64..40, 1u64..400, 0u8..8)
}

/// Turns random numbers into a transaction, valid or not.
fn step_tx(
    l: &Ledger,
    (what, who, other, price, amount, expiry): (u8, u8, u8, u64, u64, u8),
) -> Tx {
    let to = address(&key(other));
    let action = match what {
        0 => Action::Transfer {
            asset: if amount % 2 == 0 {
                Asset::Coin
            } else {
                Asset::Usd
            },
            to,
            amount: Amount(amount),
        },
        1 => {
            return signed(
                l,
                OPERATOR,
                Action::Deposit {
                    to,
                    amount: Amount(amount * 10),
                },
            );
        }
        2 | 3 => Action::Order {
            side: if what == 2 { Side::Buy } else { Side::Sell },
            price: Price(price),
            amount: Amount(amount),
            expiry: (expiry > 3).then(|| l.height() + u64::from(expiry)),
        },
        4 => {
            let mine: Vec<TxId> = l
                .account(&address(&key(who)))
                .open_orders
                .into_iter()
                .collect();
            let order = mine
                .get(usize::from(expiry) % mine.len().max(1))
                .copied()
                .unwrap_or_default();
            Action::Cancel { order }
        }
        _ => Action::Order {
            side: if amount % 2 == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            price: Price(u64::MAX / 2 + price),
            amount: Amount(amount),
            expiry: None,
        },
    };
    signed(l, who, action)
}

/// Runs random blocks; each transaction is kept only if it applies.
fn run(
    steps: &[(u8, u8, u8, u64, u64, u8)],
    per_block: usize,
) -> (Ledger, Vec<Vec<Tx>>, Vec<Trade>) {
    let mut l = ledger();
    let mut blocks = Vec::new();
    let mut trades = Vec::new();
    for (i, chunk) in steps.chunks(per_block.max(1)).enumerate() {
        let height = i as u64 + 1;
        let payout = address(&key(chunk.first().map_or(1, |s| s.1)));
        let mut body = vec![Tx::reward(height, payout, REWARD)];
        let mut scratch = l.clone();
        scratch.expire(height);
        scratch.apply(height, &body[0], &mut Vec::new()).unwrap();
        for &step in chunk {
            let tx = step_tx(&scratch, step);
            let before = scratch.clone();
            match scratch.apply(height, &tx, &mut Vec::new()) {
                Ok(()) => body.push(tx),
                Err(_) => assert_eq!(scratch, before, "a refusal changed the ledger"),
            }
        }
        let effects = l.apply_block(height, &body).unwrap();
        assert_eq!(l.book(), scratch.book());
        l.check_conservation().unwrap();
        trades.extend(effects.trades);
        blocks.push(body);
    }
    (l, blocks, trades)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn conservation_holds_at_every_height(steps in prop::collection::vec(arb_step(), 1..300), per_block in 1usize..20) {
        let (l, _, trades) = run(&steps, per_block);
        prop_assert_eq!(l.minted().0, l.height() * REWARD.0);
        // The book never stays crossed.
        if let (Some(bid), Some(ask)) = (l.book().best(Side::Buy), l.book().best(Side::Sell)) {
            prop_assert!(bid < ask, "crossed book: bid {} ask {}", bid, ask);
        }
        prop_assert_eq!(trades.len() as u64, l.trade_count());
    }

    #[test]
    fn replaying_the_blocks_gives_the_same_ledger(steps in prop::collection::vec(arb_step(), 1..200), per_block in 1usize..10) {
        let (l, blocks, trades) = run(&steps, per_block);
        let mut replay = ledger();
        let mut again = Vec::new();
        for (i, body) in blocks.iter().enumerate() {
            let bytes: Vec<Vec<u8>> = body.iter().map(Tx::encode).collect();
            let decoded: Vec<Tx> = bytes.iter().map(|b| Tx::decode(b).unwrap()).collect();
            verify_all(&decoded).unwrap();
            again.extend(replay.apply_block(i as u64 + 1, &decoded).unwrap().trades);
        }
        prop_assert_eq!(&replay, &l);
        prop_assert_eq!(again, trades);
    }

    #[test]
    fn decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(tx) = Tx::decode(&bytes) {
            prop_assert_eq!(tx.encode(), bytes);
        }
    }

    #[test]
    fn orders_near_the_limits_never_overflow(price in any::<u64>(), amount in any::<u64>(), side in any::<bool>()) {
        let mut l = ledger();
        let a = address(&key(1));
        l.apply_block(1, &block(1, a, &[])).unwrap();
        let deposit = signed(&l, OPERATOR, Action::Deposit { to: a, amount: Amount(u64::MAX) });
        l.apply(2, &deposit, &mut Vec::new()).unwrap();
        let side = if side { Side::Buy } else { Side::Sell };
        let order = signed(&l, 1, Action::Order { side, price: Price(price), amount: Amount(amount), expiry: None });
        let before = l.clone();
        if l.apply(2, &order, &mut Vec::new()).is_err() {
            prop_assert_eq!(&l, &before);
        }
        let more = signed(&l, OPERATOR, Action::Deposit { to: a, amount: Amount(1) });
        prop_assert_eq!(l.apply(2, &more, &mut Vec::new()).unwrap_err().code(), "overflow");
        l.check_conservation().unwrap();
    }
}
