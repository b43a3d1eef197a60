//! The event stream's documents (`GET /v1/events`): one enum for every
//! server-sent event, apart from the request and response documents
//! because it is pushed, not asked for.

use serde::{Deserialize, Serialize};

use super::{TradeView, id_hex};
use crate::ledger::TxId;

/// One event of `GET /v1/events`; the SSE event's name is the variant's
/// (`block`, `trade`, `admitted`, `dropped`, `expired`), its data the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A block was committed.
    Block {
        /// Its height.
        height: u64,
        /// Its hash.
        #[serde(with = "crate::api::hash_hex")]
        hash: protocol::Hash256,
        /// Who mined it.
        miner: String,
        /// Its transactions, the reward included.
        transactions: usize,
    },
    /// A trade was committed (in a block just announced).
    Trade(TradeView),
    /// A transaction entered the mempool.
    Admitted {
        /// Its id.
        #[serde(with = "id_hex")]
        id: TxId,
        /// Its kind.
        kind: String,
        /// Its signer's address.
        from: String,
    },
    /// A mempool entry was dropped: it no longer applies.
    Dropped {
        /// Its id.
        #[serde(with = "id_hex")]
        id: TxId,
        /// Why (a stable code).
        code: String,
    },
    /// An order left the book at its expiry.
    Expired {
        /// The order's id.
        #[serde(with = "id_hex")]
        order: TxId,
        /// The block before which it left.
        height: u64,
    },
}

impl Event {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Block { .. } => "block",
            Event::Trade(_) => "trade",
            Event::Admitted { .. } => "admitted",
            Event::Dropped { .. } => "dropped",
            Event::Expired { .. } => "expired",
        }
    }
}
