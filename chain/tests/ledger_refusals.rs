//! Refused transactions through the real HTTP API on each store (a real
//! SQLite file, a real PostgreSQL database): every refusal gets its stable
//! code, is counted, and changes nothing; a batch is judged transaction by
//! transaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::ledger::{Action, Amount, Asset, REWARD, Side, Tx, TxBody, address};
use common::ledger::{deposit, order, post_tx, signed, submit};
use common::{Backend, Service, on_both_stores_async, operator, trader};
use protocol::hex::Hex;
use reqwest::Method;

on_both_stores_async!(bad_transactions_get_their_code_are_counted_and_change_nothing);

async fn bad_transactions_get_their_code_are_counted_and_change_nothing(backend: Backend) {
    let Some(svc) = Service::ledger_on(
        backend,
        "bad_transactions_get_their_code_are_counted_and_change_nothing",
    )
    .await
    else {
        return;
    };
    let alice = trader(1);
    let a = address(&alice);
    submit(&svc, &operator(), deposit(a, 1_000)).await;
    let good = signed(&svc, &alice, order(Side::Buy, 10, 5)).await;
    let hex = Hex(&good.encode()).to_string();
    let mut forged = good.encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let TxBody::Signed {
        signer,
        sequence,
        action,
    } = *good.body()
    else {
        unreachable!()
    };
    let resign = |seq| Tx::sign(&alice, seq, action);
    let stranger_deposit = Tx::sign(&alice, sequence, deposit(a, 5));
    let cases: Vec<(String, u16, &str)> = vec![
        ("zz".into(), 400, "bad_transaction"),
        (hex[..hex.len() - 2].into(), 400, "bad_transaction"),
        (format!("{hex}00"), 400, "bad_transaction"),
        (
            Hex(&Tx::reward(1, a, REWARD).encode()).to_string(),
            400,
            "bad_transaction",
        ),
        (Hex(&forged).to_string(), 422, "bad_signature"),
        (
            Hex(&resign(sequence + 1).encode()).to_string(),
            422,
            "sequence_gap",
        ),
        (
            Hex(&stranger_deposit.encode()).to_string(),
            422,
            "not_operator",
        ),
        (
            Hex(&Tx::sign(&alice, 0, order(Side::Buy, 1, 1_001)).encode()).to_string(),
            422,
            "insufficient_funds",
        ),
        (
            Hex(&Tx::sign(&alice, 0, order(Side::Buy, 0, 1)).encode()).to_string(),
            422,
            "zero_price",
        ),
        (
            Hex(&Tx::sign(&alice, 0, order(Side::Sell, 1, 0)).encode()).to_string(),
            422,
            "zero_amount",
        ),
        (
            Hex(&Tx::sign(&alice, 0, order(Side::Buy, u64::MAX, 2)).encode()).to_string(),
            422,
            "overflow",
        ),
        (
            Hex(&Tx::sign(
                &alice,
                0,
                Action::Transfer {
                    asset: Asset::Coin,
                    to: a,
                    amount: Amount(1),
                },
            )
            .encode())
            .to_string(),
            422,
            "insufficient_funds",
        ),
    ];
    let _ = signer;
    let before = svc.client.account(&a).await.unwrap();
    for (text, status, code) in &cases {
        let (got, body) = post_tx(&svc, text).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (*status, Some(*code)),
            "{body}"
        );
        assert!(body["error"].as_str().unwrap().len() > 15);
    }
    for (body, status, code) in [
        ("{}", 400, "invalid_body"),
        ("not json", 400, "malformed_json"),
        (r#"{"tx": "00", "fee": 1}"#, 400, "invalid_body"),
    ] {
        let (got, answer) = svc
            .send(
                Method::POST,
                "/v1/transactions",
                Some("application/json"),
                body,
            )
            .await;
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)));
    }
    let (got, answer) = svc.send(Method::POST, "/v1/transactions", None, "{}").await;
    assert_eq!(
        (got, answer["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let limit = chain::ServiceConfig::default().tx_body_limit();
    let (got, answer) = post_tx(&svc, &"0".repeat(limit)).await;
    assert_eq!(
        (got, answer["code"].as_str()),
        (413, Some("body_too_large"))
    );
    assert_eq!(svc.client.account(&a).await.unwrap(), before);

    // The good one goes in; sending it again is a duplicate, not an error.
    let (got, first) = post_tx(&svc, &hex).await;
    assert_eq!((got, first["duplicate"].as_bool()), (202, Some(false)));
    let (got, again) = post_tx(&svc, &hex).await;
    assert_eq!((got, again["duplicate"].as_bool()), (202, Some(true)));
    let (got, reused) = post_tx(&svc, &Hex(&resign(sequence).encode()).to_string()).await;
    assert_eq!(
        got, 202,
        "the same signed transaction is the same id: {reused}"
    );
    let other = Tx::sign(&alice, sequence, order(Side::Buy, 11, 5));
    let (got, reused) = post_tx(&svc, &Hex(&other.encode()).to_string()).await;
    assert_eq!(
        (got, reused["code"].as_str()),
        (422, Some("sequence_reused"))
    );
    svc.mine_next().await;
    let (got, included) = post_tx(&svc, &hex).await;
    assert_eq!(
        (
            got,
            included["status"].as_str(),
            included["height"].as_u64()
        ),
        (202, Some("in_block"), Some(1))
    );

    let stats = svc.client.stats().await.unwrap();
    for code in [
        "bad_transaction",
        "bad_signature",
        "sequence_gap",
        "not_operator",
        "insufficient_funds",
        "zero_price",
        "zero_amount",
        "overflow",
        "sequence_reused",
        "body_too_large",
    ] {
        assert!(
            stats.errors.get(code).is_some_and(|n| *n >= 1),
            "{code}: {stats:?}"
        );
    }
    assert_eq!(stats.errors["insufficient_funds"], 2);
    assert_eq!(stats.admitted, 2);
}

#[tokio::test]
async fn a_batch_is_admitted_transaction_by_transaction() {
    let svc = Service::start_ledger().await;
    let alice = trader(1);
    let a = address(&alice);
    let good = Tx::sign(&operator(), 0, deposit(a, 5));
    let next = Tx::sign(&operator(), 1, deposit(a, 6));
    let mut forged = Tx::sign(&operator(), 2, deposit(a, 7)).encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = Tx::decode(&forged).unwrap();
    let gap = Tx::sign(&operator(), 9, deposit(a, 8));
    let results = svc
        .client
        .submit_transactions(&[good.clone(), next.clone(), forged, gap, good.clone()])
        .await
        .unwrap();
    let summary: Vec<String> = results
        .iter()
        .map(|r| match r {
            chain::api::TxOutcome::Accepted(a) => format!("{} {}", a.status, a.duplicate),
            chain::api::TxOutcome::Refused(e) => e.code.clone(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "pending false",
            "pending false",
            "bad_signature",
            "sequence_gap",
            "pending true"
        ]
    );
    assert_eq!(svc.client.account(&a).await.unwrap().pending.usd, 11);
    let stats = svc.client.stats().await.unwrap();
    assert_eq!(
        (stats.errors["bad_signature"], stats.errors["sequence_gap"]),
        (1, 1)
    );
    let (status, answer) = svc
        .send(
            Method::POST,
            "/v1/transactions",
            Some("application/json"),
            serde_json::json!({ "txs": [] }).to_string(),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalid_body"))
    );
}
