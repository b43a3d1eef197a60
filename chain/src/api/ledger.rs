//! The ledger's JSON documents: transactions, their status, the book,
//! trades, accounts and the event stream. Addresses are 40 hex
//! characters, public keys 64, transaction ids 64 in display order; every
//! amount and price is a whole number of the smallest unit.
//!
//! Split by what a document describes: `txs.rs` (transactions and their
//! status), `market.rs` (the book, trades, accounts) and `events.rs` (the
//! event stream); the serde helpers they share stay here.

mod events;
mod market;
mod txs;

pub use events::*;
pub use market::*;
pub use txs::*;

use crate::ledger::{Address, PublicKey};

/// Serde for a [`TxId`](crate::ledger::TxId) in display order.
pub mod id_hex {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::ledger::TxId;

    /// Writes the display form.
    pub fn serialize<S: Serializer>(id: &TxId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    /// Reads the display form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TxId, D::Error> {
        let text = String::deserialize(d)?;
        TxId::parse(&text).map_err(de::Error::custom)
    }
}

/// Serde for an [`Address`] as 40 hex characters.
pub mod address_hex {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::ledger::Address;

    /// Writes the hex.
    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    /// Reads the hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        Address::parse(&text).map_err(de::Error::custom)
    }
}

/// A public key's address, from its hex (for clients).
pub fn address_of_key_hex(text: &str) -> Option<Address> {
    PublicKey::parse(text).ok().map(|k| Address::of_key(&k))
}
