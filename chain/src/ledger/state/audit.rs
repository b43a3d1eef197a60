//! The ledger's conservation check: an audit over the whole state, used by
//! tests and replays, apart from the code that changes the state so that it
//! checks the result independently of how it was reached.

use std::collections::HashMap;

use super::Ledger;
use crate::ledger::types::{Address, Side};

impl Ledger {
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
