//! The ledger's rules: encoding round trips, every refusal changing
//! nothing, rewards, settlement and expiry; on random workloads
//! (`workloads.rs`), conservation and deterministic replay.
#![allow(clippy::unwrap_used)]

use super::*;

mod workloads;

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
