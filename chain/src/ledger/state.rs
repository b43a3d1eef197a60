//! The ledger's state and how transactions change it: balances, sequence
//! numbers, the book and the orders resting in it.
//!
//! Every transaction is checked completely before anything changes, so a
//! refused one leaves the state as it was. A block is applied in order;
//! a block that fails part-way leaves the state part-way changed, so the
//! service applies blocks to a copy. All arithmetic is checked; because
//! every balance is part of a supply that is itself checked when it grows
//! (rewards, deposits), a credit cannot overflow once a debit succeeded.
//!
//! This file holds the state's types and what reads them; what changes the
//! state is split by what it touches: `apply.rs` (blocks, transactions,
//! balances), `orders.rs` (locks, matching, settlement, expiry) and
//! `audit.rs` (the conservation check).

use std::collections::{BTreeSet, HashMap};

use super::book::{Book, Fill};
use super::types::{Address, Amount, Asset, Price, Side, TxId};

mod apply;
mod audit;
mod orders;

/// The coin every block's reward mints, in coin units.
pub const REWARD: Amount = Amount(1_000);

/// One account: what it holds, what is locked in its resting orders, and
/// the sequence number its next transaction must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Coin it may spend.
    pub coin: Amount,
    /// Usd it may spend.
    pub usd: Amount,
    /// Coin locked in resting sell orders.
    pub locked_coin: Amount,
    /// Usd locked in resting buy orders.
    pub locked_usd: Amount,
    /// The sequence number of its next transaction (0 for a new account).
    pub next_sequence: u64,
    /// Its orders resting in the book.
    pub open_orders: BTreeSet<TxId>,
}

impl Account {
    fn available(&self, asset: Asset) -> Amount {
        match asset {
            Asset::Coin => self.coin,
            Asset::Usd => self.usd,
        }
    }

    fn balance_mut(&mut self, asset: Asset) -> &mut Amount {
        match asset {
            Asset::Coin => &mut self.coin,
            Asset::Usd => &mut self.usd,
        }
    }
}

/// An order resting in the book, as placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// Whose it is.
    pub owner: Address,
    /// Buy or sell.
    pub side: Side,
    /// Its limit price.
    pub price: Price,
    /// The coin units it was placed for.
    pub amount: Amount,
    /// The last height it may rest at.
    pub expiry: Option<u64>,
    /// The height of the block that placed it.
    pub height: u64,
}

/// A trade: coin from seller to buyer, usd the other way, at the resting
/// order's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Its number: trades are numbered from 0 in the order they happen.
    pub seq: u64,
    /// The block it happened in.
    pub height: u64,
    /// The incoming order.
    pub taker: TxId,
    /// The resting order.
    pub maker: TxId,
    /// The incoming order's side.
    pub taker_side: Side,
    /// Who received the coin.
    pub buyer: Address,
    /// Who received the usd.
    pub seller: Address,
    /// Usd units per coin unit.
    pub price: Price,
    /// Coin units.
    pub amount: Amount,
}

/// What applying a block did besides changing balances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockEffects {
    /// Orders that expired before its transactions applied.
    pub expired: Vec<TxId>,
    /// Its trades, in order.
    pub trades: Vec<Trade>,
}

/// The whole ledger at one height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    operator: Option<Address>,
    height: u64,
    accounts: HashMap<Address, Account>,
    book: Book,
    orders: HashMap<TxId, OpenOrder>,
    expiries: BTreeSet<(u64, TxId)>,
    minted: Amount,
    deposited: Amount,
    trades: u64,
    fills: Vec<Fill>,
}

impl Ledger {
    /// The ledger after genesis: nothing minted, nothing deposited. Only
    /// `operator` may sign deposits (nobody, if `None`).
    pub fn new(operator: Option<Address>) -> Ledger {
        Ledger {
            operator,
            height: 0,
            accounts: HashMap::new(),
            book: Book::new(),
            orders: HashMap::new(),
            expiries: BTreeSet::new(),
            minted: Amount::ZERO,
            deposited: Amount::ZERO,
            trades: 0,
            fills: Vec::new(),
        }
    }

    /// The height of the last block applied (0: genesis).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Who may sign deposits.
    pub fn operator(&self) -> Option<Address> {
        self.operator
    }

    /// An account; a default (empty) one if it never received anything.
    pub fn account(&self, address: &Address) -> Account {
        self.accounts.get(address).cloned().unwrap_or_default()
    }

    /// The sequence number `address`'s next transaction must carry.
    pub fn next_sequence(&self, address: &Address) -> u64 {
        self.accounts.get(address).map_or(0, |a| a.next_sequence)
    }

    /// Every account that ever received or sent something.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// The order book.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// A resting order, as placed.
    pub fn order(&self, id: &TxId) -> Option<&OpenOrder> {
        self.orders.get(id)
    }

    /// All coin ever minted (rewards).
    pub fn minted(&self) -> Amount {
        self.minted
    }

    /// All usd ever deposited.
    pub fn deposited(&self) -> Amount {
        self.deposited
    }

    /// How many trades happened so far (the next trade's number).
    pub fn trade_count(&self) -> u64 {
        self.trades
    }
}
