//! The transaction documents: submissions one at a time and in batches,
//! what admission answered, a transaction's fields and status, and a
//! block with its body. Apart from the book and accounts because these
//! describe what was sent, not the state it led to.

use protocol::hex::Hex;
use serde::{Deserialize, Serialize};

use super::id_hex;
use crate::api::Block;
use crate::ledger::{Action, Tx, TxBody, TxId};

/// `POST /v1/transactions` body: the transaction's canonical encoding as
/// hex (`docs/chain-api.md` describes every byte).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxSubmission {
    /// The encoded transaction, signature included, as hex.
    pub tx: String,
}

/// `POST /v1/transactions` body with many transactions: each admitted or
/// refused on its own, in order (at most [`MAX_TX_BATCH`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxBatch {
    /// The encoded transactions, as hex.
    pub txs: Vec<String>,
}

/// Transactions one `POST /v1/transactions` may carry.
pub const MAX_TX_BATCH: usize = 256;

/// One transaction's outcome in a batch: accepted, or the error answer a
/// request of its own would have had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TxOutcome {
    /// In the mempool (or already known).
    Accepted(TxAccepted),
    /// Refused: `{"error", "code"}`.
    Refused(crate::api::ErrorBody),
}

/// `202` answer to a batch: one outcome per transaction, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBatchAccepted {
    /// The outcomes.
    pub results: Vec<TxOutcome>,
}

/// `202` answer to `POST /v1/transactions`: the transaction is durably in
/// the mempool (or was already known: `duplicate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxAccepted {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `pending` or `in_block`.
    pub status: String,
    /// Whether the service already had it (nothing was added).
    pub duplicate: bool,
    /// Its block's height, when `in_block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

/// A transaction as JSON: its id, kind, encoding, and the fields of its
/// kind (absent fields are not part of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `reward`, `transfer`, `deposit`, `order` or `cancel`.
    pub kind: String,
    /// The canonical encoding, as hex.
    pub raw: String,
    /// The signer's public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The signer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The signer's sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The receiver (reward, transfer, deposit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `coin` or `usd` (transfer; reward: coin; deposit: usd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// `buy` or `sell` (order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// Limit price, usd units per coin unit (order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<u64>,
    /// The last height the order may rest at (order, if it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<u64>,
    /// The order cancelled (cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The block the reward is for (reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

impl TxView {
    /// The JSON of `tx`.
    pub fn of(tx: &Tx) -> TxView {
        let mut v = TxView {
            id: tx.id(),
            kind: tx.kind().to_owned(),
            raw: Hex(&tx.encode()).to_string(),
            signer: None,
            from: None,
            sequence: None,
            to: None,
            asset: None,
            amount: None,
            side: None,
            price: None,
            expiry: None,
            order: None,
            height: None,
        };
        match *tx.body() {
            TxBody::Reward { height, to, amount } => {
                v.height = Some(height);
                v.to = Some(to.to_string());
                v.asset = Some("coin".into());
                v.amount = Some(amount.0);
            }
            TxBody::Signed {
                signer,
                sequence,
                action,
            } => {
                v.signer = Some(signer.to_string());
                v.from = Some(tx.signer().to_string());
                v.sequence = Some(sequence);
                match action {
                    Action::Transfer { asset, to, amount } => {
                        v.asset = Some(asset.name().into());
                        v.to = Some(to.to_string());
                        v.amount = Some(amount.0);
                    }
                    Action::Deposit { to, amount } => {
                        v.asset = Some("usd".into());
                        v.to = Some(to.to_string());
                        v.amount = Some(amount.0);
                    }
                    Action::Order {
                        side,
                        price,
                        amount,
                        expiry,
                    } => {
                        v.side = Some(side.name().into());
                        v.price = Some(price.0);
                        v.amount = Some(amount.0);
                        v.expiry = expiry;
                    }
                    Action::Cancel { order } => v.order = Some(order.to_string()),
                }
            }
        }
        v
    }
}

/// `GET /v1/transactions/{id}`: a transaction and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    #[serde(flatten)]
    pub tx: TxView,
    /// `pending`, `in_block` or `dropped`.
    pub status: String,
    /// The block's height (`in_block`), or the tip's when it was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Its position in the block's body (`in_block`; 0 is the reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// Why it was dropped: a stable code (`dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why it was dropped, for people (`dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A block with its transactions: `GET /v1/blocks/{height}` and the items
/// of `GET /v1/blocks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    /// The block.
    #[serde(flatten)]
    pub block: Block,
    /// Its body, the reward first (none for genesis).
    pub transactions: Vec<TxView>,
}
