//! Why a transaction or a block is refused, by cause. Every variant has a
//! stable `code` that the HTTP API answers with and `/v1/stats` counts.

use super::types::{Address, Amount, Asset, TxId};

/// Why bytes are not a transaction (HTTP 400 `bad_transaction`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The first byte is not [`TX_VERSION`](super::tx::TX_VERSION).
    #[error("encoding version {0} is not 1")]
    Version(u8),
    /// The second byte names no kind.
    #[error("kind byte {0} is not 0 (reward) to 4 (cancel)")]
    Kind(u8),
    /// An asset byte other than 0 (coin) or 1 (usd).
    #[error("asset byte {0} is not 0 (coin) or 1 (usd)")]
    Asset(u8),
    /// A side byte other than 0 (buy) or 1 (sell).
    #[error("side byte {0} is not 0 (buy) or 1 (sell)")]
    Side(u8),
    /// The bytes end inside a field.
    #[error("the transaction ends at byte {at}, inside a field of {needed} bytes")]
    Short {
        /// Where the field starts.
        at: usize,
        /// Its length.
        needed: usize,
    },
    /// Bytes after the end of the transaction.
    #[error("this kind of transaction is {expected} bytes, not {got}")]
    Trailing {
        /// Its length.
        expected: usize,
        /// What was given.
        got: usize,
    },
}

/// Why a transaction does not apply (HTTP 422 at admission; a block
/// holding it is refused).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The signature does not verify under the signer's key, or the key is
    /// not a valid Ed25519 key.
    #[error("the signature does not verify under the signer's public key")]
    BadSignature,
    /// A sequence number the account has already used.
    #[error("sequence {got} was already used; the account's next sequence is {expected}")]
    SequenceReused {
        /// The next sequence number.
        expected: u64,
        /// What the transaction carries.
        got: u64,
    },
    /// A sequence number beyond the next one.
    #[error("sequence {got} skips ahead; the account's next sequence is {expected}")]
    SequenceGap {
        /// The next sequence number.
        expected: u64,
        /// What the transaction carries.
        got: u64,
    },
    /// The account has too little available (unlocked) balance.
    #[error("{account} has {available} {} available, {needed} needed", asset.name())]
    InsufficientFunds {
        /// The account.
        account: Address,
        /// Which asset.
        asset: Asset,
        /// Its available balance.
        available: Amount,
        /// What the transaction needs.
        needed: Amount,
    },
    /// An amount of zero.
    #[error("the amount must be at least 1")]
    ZeroAmount,
    /// A price of zero.
    #[error("the price must be at least 1")]
    ZeroPrice,
    /// A value whose arithmetic leaves 64 bits (price times amount, a
    /// balance, the total supply).
    #[error("{0} does not fit in 64 bits")]
    Overflow(&'static str),
    /// A deposit not signed by the chain's operator.
    #[error("deposits must be signed by the chain's operator key{}", match .0 { Some(op) => format!(" ({op})"), None => "; this chain has none".into() })]
    NotOperator(Option<Address>),
    /// A cancel of an order that is not in the book.
    #[error("order {0} is not resting in the book (never placed, filled, cancelled or expired)")]
    UnknownOrder(TxId),
    /// A cancel of someone else's order.
    #[error("order {0} belongs to another account")]
    NotOrderOwner(TxId),
    /// An order whose expiry height is before the block it would enter.
    #[error("the order expires at height {expiry}, before height {height}")]
    Expired {
        /// The order's expiry.
        expiry: u64,
        /// The height it would enter at.
        height: u64,
    },
    /// A reward anywhere but first, or a block without one first.
    #[error("the reward must be a block's first transaction, and only it")]
    MisplacedReward,
    /// A reward for another height or of another amount.
    #[error("the reward must be {expected} coin for height {height}")]
    WrongReward {
        /// The block's height.
        height: u64,
        /// The fixed reward.
        expected: Amount,
    },
}

impl TxError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::BadSignature => "bad_signature",
            TxError::SequenceReused { .. } => "sequence_reused",
            TxError::SequenceGap { .. } => "sequence_gap",
            TxError::InsufficientFunds { .. } => "insufficient_funds",
            TxError::ZeroAmount => "zero_amount",
            TxError::ZeroPrice => "zero_price",
            TxError::Overflow(_) => "overflow",
            TxError::NotOperator(_) => "not_operator",
            TxError::UnknownOrder(_) => "unknown_order",
            TxError::NotOrderOwner(_) => "not_order_owner",
            TxError::Expired { .. } => "order_expired",
            TxError::MisplacedReward => "misplaced_reward",
            TxError::WrongReward { .. } => "wrong_reward",
        }
    }
}

/// Why a block's body does not apply: the first transaction that fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transaction {index} ({id}) of the body does not apply: {cause}")]
pub struct BlockError {
    /// Its position in the body (0 is the reward).
    pub index: usize,
    /// Its id.
    pub id: TxId,
    /// Why.
    pub cause: TxError,
}
