//! The ledger: accounts, signed transactions and the order book, as a
//! pure, deterministic library (no IO, no clock, no randomness).
//!
//! - [`types`]: addresses, ids, assets, sides, amounts and prices.
//! - [`tx`]: transactions, their canonical encoding, ids and signatures.
//! - [`book`]: the price-time priority order book.
//! - [`state`]: the [`Ledger`] and how transactions and blocks change it.
//! - [`merkle`]: Bitcoin's merkle root of a body's ids.
//! - [`error`]: why a transaction or a block is refused, by cause.
//!
//! Replaying the same blocks gives the same ledger on any machine: maps
//! that are iterated are ordered, and nothing depends on hashing order.

pub mod book;
pub mod error;
pub mod merkle;
pub mod state;
pub mod tx;
pub mod types;

#[cfg(test)]
mod tests;

pub use ed25519_dalek::SigningKey;
pub use error::{BlockError, DecodeError, TxError};
pub use merkle::merkle_root;
pub use state::{Account, BlockEffects, Ledger, OpenOrder, REWARD, Trade};
pub use tx::{Action, MAX_TX_LEN, Tx, TxBody, verify_all};
pub use types::{Address, Amount, Asset, Price, PublicKey, Side, TxId};

/// The public key of a signing key.
pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifying_key().to_bytes())
}

/// The address of a signing key.
pub fn address(key: &SigningKey) -> Address {
    Address::of_key(&public_key(key))
}
