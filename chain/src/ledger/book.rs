//! The order book: price-time priority, as in a textbook. Each side is an
//! ordered map from price to a level, and each level a FIFO queue of the
//! orders resting at that price, oldest first. An incoming order trades
//! against the best opposite level while prices cross, each fill at the
//! resting order's price and for the smaller of the two amounts; what is
//! left of it rests at its own price, behind everything already there.
//!
//! The book knows nothing of balances: [`super::state`] locks funds before
//! an order comes here and settles every [`Fill`] it reports. Everything
//! is integer arithmetic on amounts that only shrink, so nothing here can
//! overflow, and the outcome depends only on the order of calls.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::types::{Address, Amount, Price, Side, TxId};

/// An order resting in the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resting {
    /// Its id.
    pub id: TxId,
    /// Whose it is.
    pub owner: Address,
    /// Coin units still to trade.
    pub remaining: Amount,
}

/// The orders at one price, oldest first, and their sum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Level {
    queue: VecDeque<Resting>,
    total: Amount,
}

impl Level {
    /// Coin units resting at this price.
    pub fn total(&self) -> Amount {
        self.total
    }

    /// The orders, oldest first.
    pub fn orders(&self) -> impl Iterator<Item = &Resting> {
        self.queue.iter()
    }
}

/// An order arriving at the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incoming {
    /// Its id.
    pub id: TxId,
    /// Whose it is.
    pub owner: Address,
    /// Buy or sell.
    pub side: Side,
    /// Its limit price.
    pub price: Price,
    /// Coin units.
    pub amount: Amount,
}

/// One trade between the incoming order and a resting one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// The resting order.
    pub maker: TxId,
    /// Its owner.
    pub maker_owner: Address,
    /// The price: the resting order's.
    pub price: Price,
    /// Coin units traded.
    pub amount: Amount,
    /// Whether this fill used up the resting order (it left the book).
    pub done: bool,
}

/// What became of an incoming order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placed {
    /// Coin units traded.
    pub filled: Amount,
    /// Coin units left resting in the book.
    pub rested: Amount,
    /// Coin units dropped because the next order to trade with was the
    /// owner's own (self-trade prevention: the incoming order stops).
    pub stopped: Amount,
}

/// Both sides of the book, and where each resting order is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book {
    bids: BTreeMap<Price, Level>,
    asks: BTreeMap<Price, Level>,
    index: HashMap<TxId, (Side, Price)>,
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// Trades `order` against the opposite side while prices cross and
    /// rests what is left, appending every trade to `fills` in the order
    /// it happened. If the next resting order to trade with is the owner's
    /// own, the incoming order stops there: what it has not traded is
    /// neither traded nor rested (reported as `stopped`).
    pub fn place(&mut self, order: Incoming, fills: &mut Vec<Fill>) -> Placed {
        let mut remaining = order.amount;
        let mut stopped = Amount::ZERO;
        let opposite = match order.side {
            Side::Buy => &mut self.asks,
            Side::Sell => &mut self.bids,
        };
        while !remaining.is_zero() {
            let entry = match order.side {
                Side::Buy => opposite.first_entry(),
                Side::Sell => opposite.last_entry(),
            };
            let Some(mut entry) = entry else { break };
            let price = *entry.key();
            let crosses = match order.side {
                Side::Buy => price <= order.price,
                Side::Sell => price >= order.price,
            };
            if !crosses {
                break;
            }
            let level = entry.get_mut();
            while !remaining.is_zero() {
                let Some(maker) = level.queue.front_mut() else {
                    break;
                };
                if maker.owner == order.owner {
                    stopped = remaining;
                    remaining = Amount::ZERO;
                    break;
                }
                let amount = remaining.min(maker.remaining);
                remaining = Amount(remaining.0 - amount.0);
                maker.remaining = Amount(maker.remaining.0 - amount.0);
                fills.push(Fill {
                    maker: maker.id,
                    maker_owner: maker.owner,
                    price,
                    amount,
                    done: maker.remaining.is_zero(),
                });
                level.total = Amount(level.total.0 - amount.0);
                if maker.remaining.is_zero() {
                    let id = maker.id;
                    level.queue.pop_front();
                    self.index.remove(&id);
                }
            }
            if level.queue.is_empty() {
                entry.remove();
            }
        }
        let filled = Amount(order.amount.0 - remaining.0 - stopped.0);
        if !remaining.is_zero() {
            let own = match order.side {
                Side::Buy => &mut self.bids,
                Side::Sell => &mut self.asks,
            };
            let level = own.entry(order.price).or_default();
            level.queue.push_back(Resting {
                id: order.id,
                owner: order.owner,
                remaining,
            });
            level.total = Amount(level.total.0 + remaining.0);
            self.index.insert(order.id, (order.side, order.price));
        }
        Placed {
            filled,
            rested: remaining,
            stopped,
        }
    }

    /// Takes order `id` out of the book: its side, price and what was left
    /// of it; `None` if it is not resting.
    pub fn cancel(&mut self, id: TxId) -> Option<(Side, Price, Resting)> {
        let (side, price) = self.index.remove(&id)?;
        let levels = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let level = levels.get_mut(&price)?;
        let at = level.queue.iter().position(|o| o.id == id)?;
        let order = level.queue.remove(at)?;
        level.total = Amount(level.total.0 - order.remaining.0);
        if level.queue.is_empty() {
            levels.remove(&price);
        }
        Some((side, price, order))
    }

    /// Where order `id` rests and what is left of it.
    pub fn get(&self, id: &TxId) -> Option<(Side, Price, Resting)> {
        let &(side, price) = self.index.get(id)?;
        let level = match side {
            Side::Buy => self.bids.get(&price),
            Side::Sell => self.asks.get(&price),
        }?;
        let order = level.queue.iter().find(|o| o.id == *id)?;
        Some((side, price, *order))
    }

    /// The best (highest bid, lowest ask) price of `side`.
    pub fn best(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.bids.keys().next_back().copied(),
            Side::Sell => self.asks.keys().next().copied(),
        }
    }

    /// The levels of `side`, best first.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = (Price, &Level)> + '_> {
        match side {
            Side::Buy => Box::new(self.bids.iter().rev().map(|(p, l)| (*p, l))),
            Side::Sell => Box::new(self.asks.iter().map(|(p, l)| (*p, l))),
        }
    }

    /// How many orders rest in the book.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no order rests.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> TxId {
        TxId(protocol::Hash256([n; 32]))
    }

    fn order(n: u8, owner: u8, side: Side, price: u64, amount: u64) -> Incoming {
        Incoming {
            id: id(n),
            owner: Address([owner; 20]),
            side,
            price: Price(price),
            amount: Amount(amount),
        }
    }

    #[test]
    fn a_crossing_order_trades_at_resting_prices_best_first_then_oldest_first() {
        let mut book = Book::new();
        let mut fills = Vec::new();
        book.place(order(1, 1, Side::Sell, 101, 5), &mut fills);
        book.place(order(2, 2, Side::Sell, 100, 3), &mut fills);
        book.place(order(3, 3, Side::Sell, 100, 4), &mut fills);
        assert!(fills.is_empty());
        let placed = book.place(order(4, 4, Side::Buy, 101, 10), &mut fills);
        let got: Vec<_> = fills
            .iter()
            .map(|f| (f.maker, f.price.0, f.amount.0))
            .collect();
        assert_eq!(got, [(id(2), 100, 3), (id(3), 100, 4), (id(1), 101, 3)]);
        assert_eq!((placed.filled.0, placed.rested.0), (10, 0));
        assert_eq!(book.get(&id(1)).map(|o| o.2.remaining.0), Some(2));
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn the_rest_of_a_partial_fill_rests_at_its_own_price() {
        let mut book = Book::new();
        let mut fills = Vec::new();
        book.place(order(1, 1, Side::Buy, 50, 2), &mut fills);
        let placed = book.place(order(2, 2, Side::Sell, 40, 5), &mut fills);
        assert_eq!((placed.filled.0, placed.rested.0), (2, 3));
        assert_eq!(fills[0].price, Price(50));
        assert_eq!(book.best(Side::Sell), Some(Price(40)));
        assert_eq!(book.best(Side::Buy), None);
    }

    #[test]
    fn an_order_stops_at_its_owners_resting_order() {
        let mut book = Book::new();
        let mut fills = Vec::new();
        book.place(order(1, 9, Side::Sell, 10, 5), &mut fills);
        book.place(order(2, 7, Side::Sell, 11, 5), &mut fills);
        let placed = book.place(order(3, 9, Side::Buy, 11, 4), &mut fills);
        assert!(fills.is_empty());
        assert_eq!(placed.stopped, Amount(4));
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn cancel_removes_exactly_one_order() {
        let mut book = Book::new();
        let mut fills = Vec::new();
        book.place(order(1, 1, Side::Buy, 10, 5), &mut fills);
        book.place(order(2, 2, Side::Buy, 10, 6), &mut fills);
        let (side, price, gone) = book.cancel(id(1)).unwrap();
        assert_eq!(
            (side, price, gone.remaining),
            (Side::Buy, Price(10), Amount(5))
        );
        assert_eq!(book.cancel(id(1)), None);
        let levels: Vec<_> = book
            .levels(Side::Buy)
            .map(|(p, l)| (p.0, l.total().0))
            .collect();
        assert_eq!(levels, [(10, 6)]);
        book.cancel(id(2)).unwrap();
        assert!(book.is_empty() && book.levels(Side::Buy).next().is_none());
    }
}
