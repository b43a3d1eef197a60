//! The state documents: the book's levels, trades, and an account's
//! balances and open orders (confirmed and pending). Apart from the
//! transaction documents because these are read from a [`Ledger`], not
//! from a transaction.

use serde::{Deserialize, Serialize};

use super::{address_hex, id_hex};
use crate::ledger::{Account, Address, Ledger, Side, Trade, TxId};

/// One price level of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelView {
    /// Usd units per coin unit.
    pub price: u64,
    /// Coin units resting at this price.
    pub amount: u64,
    /// Orders resting at this price.
    pub orders: usize,
}

/// `GET /v1/book`: the book at the tip, best prices first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookView {
    /// The tip's height.
    pub height: u64,
    /// Buy orders, highest price first.
    pub bids: Vec<LevelView>,
    /// Sell orders, lowest price first.
    pub asks: Vec<LevelView>,
}

impl BookView {
    /// The top `depth` levels of each side of `ledger`'s book.
    pub fn of(ledger: &Ledger, depth: usize) -> BookView {
        let side = |s| {
            ledger
                .book()
                .levels(s)
                .take(depth)
                .map(|(price, level)| LevelView {
                    price: price.0,
                    amount: level.total().0,
                    orders: level.orders().count(),
                })
                .collect()
        };
        BookView {
            height: ledger.height(),
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }
}

/// A trade: `GET /v1/trades` and the `trade` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    /// Its number (trades count from 0).
    pub seq: u64,
    /// The block it happened in.
    pub height: u64,
    /// The incoming order's id.
    #[serde(with = "id_hex")]
    pub taker: TxId,
    /// The resting order's id.
    #[serde(with = "id_hex")]
    pub maker: TxId,
    /// The incoming order's side.
    pub taker_side: String,
    /// Who received the coin.
    #[serde(with = "address_hex")]
    pub buyer: Address,
    /// Who received the usd.
    #[serde(with = "address_hex")]
    pub seller: Address,
    /// Usd units per coin unit (the resting order's price).
    pub price: u64,
    /// Coin units.
    pub amount: u64,
}

impl From<&Trade> for TradeView {
    fn from(t: &Trade) -> TradeView {
        TradeView {
            seq: t.seq,
            height: t.height,
            taker: t.taker,
            maker: t.maker,
            taker_side: t.taker_side.name().into(),
            buyer: t.buyer,
            seller: t.seller,
            price: t.price.0,
            amount: t.amount.0,
        }
    }
}

/// What an account holds at one state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    /// Coin it may spend.
    pub coin: u64,
    /// Usd it may spend.
    pub usd: u64,
    /// Coin locked in resting sell orders.
    pub locked_coin: u64,
    /// Usd locked in resting buy orders.
    pub locked_usd: u64,
    /// The sequence number its next transaction must carry.
    pub next_sequence: u64,
}

impl From<&Account> for Balances {
    fn from(a: &Account) -> Balances {
        Balances {
            coin: a.coin.0,
            usd: a.usd.0,
            locked_coin: a.locked_coin.0,
            locked_usd: a.locked_usd.0,
            next_sequence: a.next_sequence,
        }
    }
}

/// A resting order of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `buy` or `sell`.
    pub side: String,
    /// Limit price.
    pub price: u64,
    /// Coin units it was placed for.
    pub amount: u64,
    /// Coin units still resting.
    pub remaining: u64,
    /// The last height it may rest at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<u64>,
    /// The block that placed it.
    pub height: u64,
}

/// `GET /v1/accounts/{address}`: balances at the tip and after the
/// mempool, and the resting orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The address.
    #[serde(with = "address_hex")]
    pub address: Address,
    /// The tip's height.
    pub height: u64,
    /// At the tip.
    #[serde(flatten)]
    pub confirmed: Balances,
    /// After every pending transaction of the mempool: `next_sequence`
    /// here is what the account's next transaction must carry.
    pub pending: Balances,
    /// Its orders resting in the book at the tip, oldest id first.
    pub open_orders: Vec<OrderView>,
}

impl AccountView {
    /// `address` in `confirmed` (the tip) and `pending` (after the
    /// mempool).
    pub fn of(address: Address, confirmed: &Ledger, pending: &Ledger) -> AccountView {
        let account = confirmed.account(&address);
        let open_orders = account
            .open_orders
            .iter()
            .filter_map(|id| {
                let open = confirmed.order(id)?;
                let (_, _, rest) = confirmed.book().get(id)?;
                Some(OrderView {
                    id: *id,
                    side: open.side.name().into(),
                    price: open.price.0,
                    amount: open.amount.0,
                    remaining: rest.remaining.0,
                    expiry: open.expiry,
                    height: open.height,
                })
            })
            .collect();
        AccountView {
            address,
            height: confirmed.height(),
            confirmed: Balances::from(&account),
            pending: Balances::from(&pending.account(&address)),
            open_orders,
        }
    }
}
