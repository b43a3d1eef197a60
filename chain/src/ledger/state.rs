//! The ledger's state and how transactions change it: balances, sequence
//! numbers, the book and the orders resting in it.
//!
//! Every transaction is checked completely before anything changes, so a
//! refused one leaves the state as it was. A block is applied in order;
//! a block that fails part-way leaves the state part-way changed, so the
//! service applies blocks to a copy. All arithmetic is checked; because
//! every balance is part of a supply that is itself checked when it grows
//! (rewards, deposits), a credit cannot overflow once a debit succeeded.

use std::collections::{BTreeSet, HashMap};

use super::book::{Book, Fill, Incoming};
use super::error::{BlockError, TxError};
use super::tx::{Action, Tx, TxBody};
use super::types::{Address, Amount, Asset, Price, Side, TxId};

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

    /// Applies the body of the block at `height` (the ledger's height + 1):
    /// orders past their expiry leave the book first, then the reward
    /// (which must come first, and only there) and every transaction in
    /// order. Signatures are not checked here (see [`super::verify_all`]).
    /// On error the ledger is left part-way: apply to a copy.
    pub fn apply_block(&mut self, height: u64, body: &[Tx]) -> Result<BlockEffects, BlockError> {
        let mut effects = BlockEffects {
            expired: self.expire(height),
            trades: Vec::new(),
        };
        let fail = |index: usize, tx: &Tx, cause| BlockError {
            index,
            id: tx.id(),
            cause,
        };
        match body.first() {
            Some(tx) if matches!(tx.body(), TxBody::Reward { .. }) => {}
            Some(tx) => return Err(fail(0, tx, TxError::MisplacedReward)),
            None => {
                return Err(BlockError {
                    index: 0,
                    id: TxId::default(),
                    cause: TxError::MisplacedReward,
                });
            }
        }
        for (index, tx) in body.iter().enumerate() {
            if index > 0 && matches!(tx.body(), TxBody::Reward { .. }) {
                return Err(fail(index, tx, TxError::MisplacedReward));
            }
            self.apply(height, tx, &mut effects.trades)
                .map_err(|cause| fail(index, tx, cause))?;
        }
        self.height = height;
        Ok(effects)
    }

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

    /// Applies one transaction as part of the block at `height`, appending
    /// its trades to `trades`. Checks everything first: on error nothing
    /// changed. Does not check the signature, nor where a reward stands.
    pub fn apply(&mut self, height: u64, tx: &Tx, trades: &mut Vec<Trade>) -> Result<(), TxError> {
        let (signer, sequence, action) = match *tx.body() {
            TxBody::Reward {
                height: h,
                to,
                amount,
            } => {
                if h != height || amount != REWARD {
                    return Err(TxError::WrongReward {
                        height,
                        expected: REWARD,
                    });
                }
                self.minted = self
                    .minted
                    .checked_add(amount)
                    .ok_or(TxError::Overflow("the coin supply"))?;
                return self.credit(to, Asset::Coin, amount);
            }
            TxBody::Signed {
                sequence, action, ..
            } => (tx.signer(), sequence, action),
        };
        let expected = self.next_sequence(&signer);
        if sequence < expected {
            return Err(TxError::SequenceReused {
                expected,
                got: sequence,
            });
        }
        if sequence > expected {
            return Err(TxError::SequenceGap {
                expected,
                got: sequence,
            });
        }
        let next = expected
            .checked_add(1)
            .ok_or(TxError::Overflow("the sequence number"))?;
        match action {
            Action::Transfer { asset, to, amount } => {
                self.check_funds(&signer, asset, amount)?;
                self.debit(signer, asset, amount)?;
                self.credit(to, asset, amount)?;
            }
            Action::Deposit { to, amount } => {
                if self.operator != Some(signer) {
                    return Err(TxError::NotOperator(self.operator));
                }
                if amount.is_zero() {
                    return Err(TxError::ZeroAmount);
                }
                self.deposited = self
                    .deposited
                    .checked_add(amount)
                    .ok_or(TxError::Overflow("the usd supply"))?;
                self.credit(to, Asset::Usd, amount)?;
            }
            Action::Order {
                side,
                price,
                amount,
                expiry,
            } => self.place(tx.id(), signer, height, side, price, amount, expiry, trades)?,
            Action::Cancel { order } => {
                let open = *self
                    .orders
                    .get(&order)
                    .ok_or(TxError::UnknownOrder(order))?;
                if open.owner != signer {
                    return Err(TxError::NotOrderOwner(order));
                }
                self.expiries
                    .remove(&(open.expiry.unwrap_or(u64::MAX), order));
                self.remove_order(order);
            }
        }
        self.accounts.entry(signer).or_default().next_sequence = next;
        Ok(())
    }

    fn check_funds(&self, who: &Address, asset: Asset, amount: Amount) -> Result<(), TxError> {
        if amount.is_zero() {
            return Err(TxError::ZeroAmount);
        }
        let available = self
            .accounts
            .get(who)
            .map_or(Amount::ZERO, |a| a.available(asset));
        if available < amount {
            return Err(TxError::InsufficientFunds {
                account: *who,
                asset,
                available,
                needed: amount,
            });
        }
        Ok(())
    }

    fn debit(&mut self, who: Address, asset: Asset, amount: Amount) -> Result<(), TxError> {
        let balance = self.accounts.entry(who).or_default().balance_mut(asset);
        *balance = balance
            .checked_sub(amount)
            .ok_or(TxError::Overflow("a debit"))?;
        Ok(())
    }

    fn credit(&mut self, who: Address, asset: Asset, amount: Amount) -> Result<(), TxError> {
        let balance = self.accounts.entry(who).or_default().balance_mut(asset);
        *balance = balance
            .checked_add(amount)
            .ok_or(TxError::Overflow("a balance"))?;
        Ok(())
    }

    /// Locks the order's funds, trades it against the book, settles every
    /// fill, and rests the rest (or releases what self-trade prevention
    /// stopped).
    #[allow(clippy::too_many_arguments)]
    fn place(
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
    fn remove_order(&mut self, id: TxId) {
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

    /// Checks that nothing was created or lost: the coin in all accounts
    /// (available and locked) is what rewards minted, the usd is what was
    /// deposited, and every account's locks are exactly what its resting
    /// orders hold. Returns what is wrong.
    pub fn check_conservation(&self) -> Result<(), String> {
        let mut coin = 0u128;
        let mut usd = 0u128;
        let mut locks: HashMap<Address, (u128, u128)> = HashMap::new();
        for (address, account) in &self.accounts {
            coin += u128::from(account.coin.0) + u128::from(account.locked_coin.0);
            usd += u128::from(account.usd.0) + u128::from(account.locked_usd.0);
            locks.entry(*address).or_default();
        }
        if coin != u128::from(self.minted.0) {
            return Err(format!("{coin} coin held, {} minted", self.minted));
        }
        if usd != u128::from(self.deposited.0) {
            return Err(format!("{usd} usd held, {} deposited", self.deposited));
        }
        for side in [Side::Buy, Side::Sell] {
            for (price, level) in self.book.levels(side) {
                for order in level.orders() {
                    let entry = locks.entry(order.owner).or_default();
                    match side {
                        Side::Buy => entry.1 += u128::from(price.0) * u128::from(order.remaining.0),
                        Side::Sell => entry.0 += u128::from(order.remaining.0),
                    }
                    if !self.orders.contains_key(&order.id) {
                        return Err(format!("order {} rests but is not recorded", order.id));
                    }
                }
            }
        }
        for (address, (coin, usd)) in locks {
            let account = self.account(&address);
            if (coin, usd)
                != (
                    u128::from(account.locked_coin.0),
                    u128::from(account.locked_usd.0),
                )
            {
                return Err(format!(
                    "{address} has {} coin and {} usd locked, its orders hold {coin} and {usd}",
                    account.locked_coin, account.locked_usd
                ));
            }
        }
        if self.orders.len() != self.book.len() {
            return Err(format!(
                "{} orders recorded, {} resting",
                self.orders.len(),
                self.book.len()
            ));
        }
        Ok(())
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
