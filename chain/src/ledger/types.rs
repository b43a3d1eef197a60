//! The ledger's value types: addresses, transaction ids, assets, sides,
//! amounts and prices. Amounts and prices are whole numbers of the
//! smallest unit; the ledger has no decimals and never rounds.

use std::fmt;

use protocol::Hash256;
use sha2::{Digest, Sha256};

/// Bytes of an address.
pub const ADDRESS_LEN: usize = 20;

/// An account's address: the first 20 bytes of the SHA-256 of its Ed25519
/// public key, shown as 40 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; ADDRESS_LEN]);

impl Address {
    /// The address of the public key `key` (32 bytes).
    pub fn of_key(key: &PublicKey) -> Address {
        let digest = Sha256::digest(key.0);
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(&digest[..ADDRESS_LEN]);
        Address(out)
    }

    /// Parses 40 hex characters (either case).
    pub fn parse(text: &str) -> Result<Address, protocol::hex::HexError> {
        protocol::hex::decode(text.trim()).map(Address)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        protocol::hex::Hex(&self.0).fmt(f)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// An Ed25519 public key as it travels: 32 bytes (checked when a signature
/// is verified, not when decoded).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parses 64 hex characters.
    pub fn parse(text: &str) -> Result<PublicKey, protocol::hex::HexError> {
        protocol::hex::decode(text.trim()).map(PublicKey)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        protocol::hex::Hex(&self.0).fmt(f)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// A transaction's id: `sha256d` of its unsigned encoding, shown reversed
/// (as Bitcoin shows transaction ids). An order's id is its transaction's.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TxId(pub Hash256);

impl Ord for TxId {
    fn cmp(&self, other: &TxId) -> std::cmp::Ordering {
        self.0.0.cmp(&other.0.0)
    }
}

impl PartialOrd for TxId {
    fn partial_cmp(&self, other: &TxId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TxId {
    /// Parses the display form (64 hex characters).
    pub fn parse(text: &str) -> Result<TxId, protocol::hex::HexError> {
        Hash256::from_display_hex(text.trim()).map(TxId)
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({self})")
    }
}

/// The two assets: `coin`, minted only by block rewards, and `usd`,
/// created only by deposits the operator signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Asset {
    /// The mined asset.
    Coin,
    /// The deposited asset, the book's quote currency.
    Usd,
}

impl Asset {
    /// Its byte in the encoding.
    pub fn code(self) -> u8 {
        match self {
            Asset::Coin => 0,
            Asset::Usd => 1,
        }
    }

    /// From its byte.
    pub fn from_code(b: u8) -> Option<Asset> {
        match b {
            0 => Some(Asset::Coin),
            1 => Some(Asset::Usd),
            _ => None,
        }
    }

    /// Its name in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Asset::Coin => "coin",
            Asset::Usd => "usd",
        }
    }
}

/// Which side of the book an order is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// Buys coin, pays usd.
    Buy,
    /// Sells coin, receives usd.
    Sell,
}

impl Side {
    /// Its byte in the encoding.
    pub fn code(self) -> u8 {
        match self {
            Side::Buy => 0,
            Side::Sell => 1,
        }
    }

    /// From its byte.
    pub fn from_code(b: u8) -> Option<Side> {
        match b {
            0 => Some(Side::Buy),
            1 => Some(Side::Sell),
            _ => None,
        }
    }

    /// Its name in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }

    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// A quantity of one asset in its smallest unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(pub u64);

impl Amount {
    /// Nothing.
    pub const ZERO: Amount = Amount(0);

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// `self - other`, or `None` if `other` is larger.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// The smaller of the two.
    pub fn min(self, other: Amount) -> Amount {
        Amount(self.0.min(other.0))
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A limit price: usd units per coin unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Price(pub u64);

impl Price {
    /// What `amount` coin units cost at this price, in usd units; `None`
    /// if that does not fit in 64 bits.
    pub fn cost(self, amount: Amount) -> Option<Amount> {
        self.0.checked_mul(amount.0).map(Amount)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
