//! How a block and each transaction in it change the ledger: the reward
//! first, sequence numbers, transfers and deposits, and the balance checks
//! every debit passes. Kept apart from the order book's side (`orders.rs`)
//! so that the rules of a transaction read in one place.

use super::{BlockEffects, Ledger, REWARD, Trade};
use crate::ledger::error::{BlockError, TxError};
use crate::ledger::tx::{Action, Tx, TxBody};
use crate::ledger::types::{Address, Amount, Asset, TxId};

impl Ledger {
    /// Applies the body of the block at `height` (the ledger's height + 1):
    /// orders past their expiry leave the book first, then the reward
    /// (which must come first, and only there) and every transaction in
    /// order. Signatures are not checked here (see [`crate::ledger::verify_all`]).
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

    pub(super) fn check_funds(
        &self,
        who: &Address,
        asset: Asset,
        amount: Amount,
    ) -> Result<(), TxError> {
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
}
