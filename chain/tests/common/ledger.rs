//! Ledger helpers of the tests that send transactions: signing with the
//! account's next sequence, submitting, posting raw bodies, and the
//! actions they build most.

use chain::ledger::{Action, Address, Amount, Price, Side, SigningKey, Tx, address};
use reqwest::Method;
use serde_json::Value;

use super::Service;

/// `action` signed by `key` with its next sequence after the mempool.
pub async fn signed(svc: &Service, key: &SigningKey, action: Action) -> Tx {
    let account = svc.client.account(&address(key)).await.unwrap();
    Tx::sign(key, account.pending.next_sequence, action)
}

pub async fn submit(svc: &Service, key: &SigningKey, action: Action) -> Tx {
    let tx = signed(svc, key, action).await;
    let accepted = svc.client.submit_transaction(&tx).await.unwrap();
    assert_eq!(
        (accepted.id, accepted.status.as_str()),
        (tx.id(), "pending")
    );
    tx
}

pub async fn post_tx(svc: &Service, tx_hex: &str) -> (u16, Value) {
    svc.send(
        Method::POST,
        "/v1/transactions",
        Some("application/json"),
        serde_json::json!({ "tx": tx_hex }).to_string(),
    )
    .await
}

pub fn deposit(to: Address, amount: u64) -> Action {
    Action::Deposit {
        to,
        amount: Amount(amount),
    }
}

pub fn order(side: Side, price: u64, amount: u64) -> Action {
    Action::Order {
        side,
        price: Price(price),
        amount: Amount(amount),
        expiry: None,
    }
}
