//! The ledger's rules on whole workloads: conservation after random
//! sequences of transactions (property tests), deterministic replay,
//! encoding round trips, and every refusal changing nothing.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

const OPERATOR: u8 = 200;

fn ledger() -> Ledger {
    Ledger::new(Some(address(&key(OPERATOR))))
}

/// A block of `txs` after the reward at `height`, paying `payout`.
fn block(height: u64, payout: Address, txs: &[Tx]) -> Vec<Tx> {
    std::iter::once(Tx::reward(height, payout, REWARD))
        .chain(txs.iter().cloned())
        .collect()
}

/// Signs `action` with the account's next sequence in `ledger`.
fn signed(ledger: &Ledger, who: u8, action: Action) -> Tx {
    let k = key(who);
    Tx::sign(&k, ledger.next_sequence(&address(&k)), action)
}

#[test]
fn every_kind_round_trips_through_its_encoding() {
    let k = key(1);
    let to = address(&key(2));
    let actions = [
        Action::Transfer {
            asset: Asset::Coin,
            to,
            amount: Amount(5),
        },
        Action::Deposit {
            to,
            amount: Amount(u64::MAX),
        },
        Action::Order {
            side: Side::Sell,
            price: Price(7),
            amount: Amount(9),
            expiry: Some(40),
        },
        Action::Order {
            side: Side::Buy,
            price: Price(7),
            amount: Amount(9),
            expiry: None,
        },
        Action::Cancel {
            order: TxId(protocol::Hash256([3; 32])),
        },
    ];
    let mut txs: Vec<Tx> = actions.iter().map(|a| Tx::sign(&k, 3, *a)).collect();
    txs.push(Tx::reward(12, to, REWARD));
    let lengths: Vec<usize> = txs.iter().map(|t| t.encode().len()).collect();
    assert_eq!(lengths, [135, 134, 131, 131, 138, 38]);
    for tx in txs {
        let bytes = tx.encode();
        let back = Tx::decode(&bytes).unwrap();
        assert_eq!(back, tx);
        back.verify().unwrap();
        for cut in 0..bytes.len() {
            assert!(Tx::decode(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Tx::decode(&longer),
            Err(DecodeError::Trailing { .. })
        ));
    }
}

#[test]
fn a_changed_byte_breaks_the_signature_or_the_decoding() {
    let tx = Tx::sign(
        &key(1),
        0,
        Action::Transfer {
            asset: Asset::Usd,
            to: address(&key(2)),
            amount: Amount(5),
        },
    );
    let bytes = tx.encode();
    for i in 0..bytes.len() {
        let mut forged = bytes.clone();
        forged[i] ^= 0x01;
        if let Ok(t) = Tx::decode(&forged) {
            assert_eq!(t.verify(), Err(TxError::BadSignature), "byte {i}");
        }
    }
}

#[test]
fn refusals_change_nothing() {
    let mut l = ledger();
    let alice = address(&key(1));
    l.apply_block(1, &block(1, alice, &[])).unwrap();
    let before = l.clone();
    let mut trades = Vec::new();
    let cases: Vec<(Tx, &str)> = vec![
        (
            Tx::sign(
                &key(1),
                1,
                Action::Deposit {
                    to: alice,
                    amount: Amount(1),
                },
            ),
            "sequence_gap",
        ),
        (
            Tx::sign(
                &key(1),
                0,
                Action::Deposit {
                    to: alice,
                    amount: Amount(1),
                },
            ),
            "not_operator",
        ),
        (
            signed(
                &l,
                OPERATOR,
                Action::Deposit {
                    to: alice,
                    amount: Amount(0),
                },
            ),
            "zero_amount",
        ),
        (
            signed(
                &l,
                1,
                Action::Transfer {
                    asset: Asset::Coin,
                    to: alice,
                    amount: Amount(1001),
                },
            ),
            "insufficient_funds",
        ),
        (
            signed(
                &l,
                1,
                Action::Order {
                    side: Side::Buy,
                    price: Price(1),
                    amount: Amount(1),
                    expiry: None,
                },
            ),
            "insufficient_funds",
        ),
        (
            signed(
                &l,
                1,
                Action::Order {
                    side: Side::Buy,
                    price: Price(u64::MAX),
                    amount: Amount(2),
                    expiry: None,
                },
            ),
            "overflow",
        ),
        (
            signed(
                &l,
                1,
                Action::Order {
                    side: Side::Sell,
                    price: Price(0),
                    amount: Amount(2),
                    expiry: None,
                },
            ),
            "zero_price",
        ),
        (
            signed(
                &l,
                1,
                Action::Order {
                    side: Side::Sell,
                    price: Price(3),
                    amount: Amount(2),
                    expiry: Some(1),
                },
            ),
            "order_expired",
        ),
        (
            signed(
                &l,
                1,
                Action::Cancel {
                    order: TxId::default(),
                },
            ),
            "unknown_order",
        ),
        (Tx::reward(2, alice, Amount(1)), "wrong_reward"),
    ];
    for (tx, code) in cases {
        let err = l.apply(2, &tx, &mut trades).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(l, before, "{code} changed the ledger");
    }
    // A deposit after the first must carry the next sequence.
    let dep = signed(
        &l,
        OPERATOR,
        Action::Deposit {
            to: alice,
            amount: Amount(9),
        },
    );
    l.apply(2, &dep, &mut trades).unwrap();
    assert_eq!(
        l.apply(2, &dep, &mut trades).unwrap_err().code(),
        "sequence_reused"
    );
}

#[test]
fn blocks_need_their_reward_first_and_only_there() {
    let mut l = ledger();
    let a = address(&key(1));
    let err = l.clone().apply_block(1, &[]).unwrap_err();
    assert_eq!(err.cause, TxError::MisplacedReward);
    let two = vec![Tx::reward(1, a, REWARD), Tx::reward(1, a, REWARD)];
    assert_eq!(l.clone().apply_block(1, &two).unwrap_err().index, 1);
    assert_eq!(
        l.clone()
            .apply_block(2, &block(1, a, &[]))
            .unwrap_err()
            .cause
            .code(),
        "wrong_reward"
    );
    l.apply_block(1, &block(1, a, &[])).unwrap();
    assert_eq!(l.account(&a).coin, REWARD);
}

#[test]
fn trades_settle_at_the_resting_price_and_locks_follow_orders() {
    let mut l = ledger();
    let (seller, buyer) = (address(&key(1)), address(&key(2)));
    l.apply_block(1, &block(1, seller, &[])).unwrap();
    let deposit = signed(
        &l,
        OPERATOR,
        Action::Deposit {
            to: buyer,
            amount: Amount(10_000),
        },
    );
    let sell = signed(
        &l,
        1,
        Action::Order {
            side: Side::Sell,
            price: Price(10),
            amount: Amount(300),
            expiry: Some(3),
        },
    );
    let effects = l
        .apply_block(2, &block(2, seller, &[deposit, sell.clone()]))
        .unwrap();
    assert!(effects.trades.is_empty());
    assert_eq!(l.account(&seller).locked_coin, Amount(300));
    let buy = signed(
        &l,
        2,
        Action::Order {
            side: Side::Buy,
            price: Price(12),
            amount: Amount(500),
            expiry: None,
        },
    );
    let effects = l
        .apply_block(3, &block(3, seller, std::slice::from_ref(&buy)))
        .unwrap();
    assert_eq!(effects.trades.len(), 1);
    let t = effects.trades[0];
    assert_eq!(
        (t.price, t.amount, t.buyer, t.seller),
        (Price(10), Amount(300), buyer, seller)
    );
    let b = l.account(&buyer);
    // 300 bought at 10; 200 rest locked at 12.
    assert_eq!(
        (b.coin, b.usd, b.locked_usd),
        (Amount(300), Amount(10_000 - 3_000 - 2_400), Amount(2_400))
    );
    assert_eq!(l.account(&seller).usd, Amount(3_000));
    assert!(l.order(&sell.id()).is_none() && l.order(&buy.id()).is_some());
    l.check_conservation().unwrap();
    let cancel = signed(&l, 2, Action::Cancel { order: buy.id() });
    let not_owner = signed(&l, 1, Action::Cancel { order: buy.id() });
    let mut trades = Vec::new();
    assert_eq!(
        l.clone()
            .apply(4, &not_owner, &mut trades)
            .unwrap_err()
            .code(),
        "not_order_owner"
    );
    l.apply_block(4, &block(4, seller, &[cancel])).unwrap();
    assert_eq!(l.account(&buyer).usd, Amount(7_000));
    assert_eq!(l.account(&buyer).locked_usd, Amount(0));
    l.check_conservation().unwrap();
}

#[test]
fn an_order_rests_through_its_expiry_height_and_leaves_after() {
    let mut l = ledger();
    let a = address(&key(1));
    l.apply_block(1, &block(1, a, &[])).unwrap();
    let sell = signed(
        &l,
        1,
        Action::Order {
            side: Side::Sell,
            price: Price(5),
            amount: Amount(10),
            expiry: Some(3),
        },
    );
    l.apply_block(2, &block(2, a, std::slice::from_ref(&sell)))
        .unwrap();
    assert!(
        l.apply_block(3, &block(3, a, &[]))
            .unwrap()
            .expired
            .is_empty()
    );
    assert_eq!(
        l.apply_block(4, &block(4, a, &[])).unwrap().expired,
        [sell.id()]
    );
    assert_eq!(l.account(&a).locked_coin, Amount(0));
    assert!(l.book().is_empty());
    l.check_conservation().unwrap();
}

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
