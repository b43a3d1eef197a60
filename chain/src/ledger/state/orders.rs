//! Orders in the ledger: locking an order's funds, matching it against the
//! book, settling every fill, resting or releasing the rest, and expiry.
//! Separate from `apply.rs` because this is where locks move: every lock
//! taken here is released here.

use super::{Account, Ledger, OpenOrder, Trade};
use crate::ledger::book::{Fill, Incoming};
use crate::ledger::error::TxError;
use crate::ledger::types::{Address, Amount, Asset, Price, Side, TxId};

impl Ledger {
    /// Takes out of the book every order whose expiry is before `height`
    /// and releases what it locked; returns their ids, oldest expiry first.
    pub fn expire(&mut self, height: u64) -> Vec<TxId> {
        let mut expired = Vec::new();
        while let Some(&(expiry, id)) = self.expiries.first() {
            if expiry >= height {
                break;
            }
            self.expiries.pop_first();
            self.remove_order(id);
            expired.push(id);
        }
        expired
    }

    /// Locks the order's funds, trades it against the book, settles every
    /// fill, and rests the rest (or releases what self-trade prevention
    /// stopped).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn place(
        &mut self,
        id: TxId,
        owner: Address,
        height: u64,
        side: Side,
        price: Price,
        amount: Amount,
        expiry: Option<u64>,
        trades: &mut Vec<Trade>,
    ) -> Result<(), TxError> {
        if price.0 == 0 {
            return Err(TxError::ZeroPrice);
        }
        if amount.is_zero() {
            return Err(TxError::ZeroAmount);
        }
        if let Some(expiry) = expiry.filter(|&e| e < height) {
            return Err(TxError::Expired { expiry, height });
        }
        let (asset, lock) = match side {
            Side::Buy => (
                Asset::Usd,
                price
                    .cost(amount)
                    .ok_or(TxError::Overflow("price times amount"))?,
            ),
            Side::Sell => (Asset::Coin, amount),
        };
        self.check_funds(&owner, asset, lock)?;
        let account = self.accounts.entry(owner).or_default();
        match side {
            Side::Buy => {
                account.usd = Amount(account.usd.0 - lock.0);
                account.locked_usd = add(account.locked_usd, lock)?;
            }
            Side::Sell => {
                account.coin = Amount(account.coin.0 - lock.0);
                account.locked_coin = add(account.locked_coin, lock)?;
            }
        }
        let incoming = Incoming {
            id,
            owner,
            side,
            price,
            amount,
        };
        let mut fills = std::mem::take(&mut self.fills);
        fills.clear();
        let placed = self.book.place(incoming, &mut fills);
        let settled = fills
            .iter()
            .try_for_each(|fill| self.settle(&incoming, height, fill, trades));
        self.fills = fills;
        settled?;
        if !placed.stopped.is_zero() {
            let account = self.accounts.entry(owner).or_default();
            release(account, side, price, placed.stopped)?;
        }
        if !placed.rested.is_zero() {
            self.orders.insert(
                id,
                OpenOrder {
                    owner,
                    side,
                    price,
                    amount,
                    expiry,
                    height,
                },
            );
            self.expiries.insert((expiry.unwrap_or(u64::MAX), id));
            self.accounts
                .entry(owner)
                .or_default()
                .open_orders
                .insert(id);
        }
        Ok(())
    }

    /// Moves the coin and usd of one fill and records the trade.
    fn settle(
        &mut self,
        taker: &Incoming,
        height: u64,
        fill: &Fill,
        trades: &mut Vec<Trade>,
    ) -> Result<(), TxError> {
        let (q, p) = (fill.amount, fill.price);
        let paid = p.cost(q).ok_or(TxError::Overflow("price times amount"))?;
        let (buyer, seller) = match taker.side {
            Side::Buy => (taker.owner, fill.maker_owner),
            Side::Sell => (fill.maker_owner, taker.owner),
        };
        // The buyer's lock was taken at its own limit price: the incoming
        // buyer's may be above the trade's, and the difference comes back.
        let buyer_limit = match taker.side {
            Side::Buy => taker.price,
            Side::Sell => p,
        };
        let buyer_lock = buyer_limit
            .cost(q)
            .ok_or(TxError::Overflow("price times amount"))?;
        let b = self.accounts.entry(buyer).or_default();
        b.locked_usd = sub(b.locked_usd, buyer_lock)?;
        b.usd = add(b.usd, sub(buyer_lock, paid)?)?;
        b.coin = add(b.coin, q)?;
        let s = self.accounts.entry(seller).or_default();
        s.locked_coin = sub(s.locked_coin, q)?;
        s.usd = add(s.usd, paid)?;
        if fill.done {
            if let Some(open) = self.orders.remove(&fill.maker) {
                self.expiries
                    .remove(&(open.expiry.unwrap_or(u64::MAX), fill.maker));
            }
            self.accounts
                .entry(fill.maker_owner)
                .or_default()
                .open_orders
                .remove(&fill.maker);
        }
        trades.push(Trade {
            seq: self.trades,
            height,
            taker: taker.id,
            maker: fill.maker,
            taker_side: taker.side,
            buyer,
            seller,
            price: p,
            amount: q,
        });
        self.trades += 1;
        Ok(())
    }

    /// Takes a resting order out of the book and releases its lock. The
    /// caller has removed its expiry entry (or is consuming it).
    pub(super) fn remove_order(&mut self, id: TxId) {
        let Some(open) = self.orders.remove(&id) else {
            return;
        };
        let Some((side, price, rest)) = self.book.cancel(id) else {
            return;
        };
        let account = self.accounts.entry(open.owner).or_default();
        account.open_orders.remove(&id);
        // The lock is part of the account's balance, so releasing it
        // cannot overflow; `release` is checked all the same.
        let _ = release(account, side, price, rest.remaining);
    }
}

fn add(a: Amount, b: Amount) -> Result<Amount, TxError> {
    a.checked_add(b).ok_or(TxError::Overflow("a balance"))
}

fn sub(a: Amount, b: Amount) -> Result<Amount, TxError> {
    a.checked_sub(b).ok_or(TxError::Overflow("a lock"))
}

/// Gives back the lock of `amount` coin units of an order at `price`.
fn release(account: &mut Account, side: Side, price: Price, amount: Amount) -> Result<(), TxError> {
    match side {
        Side::Buy => {
            let usd = price
                .cost(amount)
                .ok_or(TxError::Overflow("price times amount"))?;
            account.locked_usd = sub(account.locked_usd, usd)?;
            account.usd = add(account.usd, usd)?;
        }
        Side::Sell => {
            account.locked_coin = sub(account.locked_coin, amount)?;
            account.coin = add(account.coin, amount)?;
        }
    }
    Ok(())
}
