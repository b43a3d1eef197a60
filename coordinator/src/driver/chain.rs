//! The node's view of the chain service: three calls. The production
//! implementation is the HTTP client in the `chain` crate; tests may use
//! anything that answers the same way.

use std::future::Future;

use chain::ledger::Address;
use protocol::{BlockHeader, CoordinatorId};

use crate::node::{ChainError, Submitted, Template, Tip};

/// The chain service, as a coordinator uses it.
pub trait ChainApi: Send + Sync + 'static {
    /// The template for the next block, its reward paying `payout`.
    fn template(
        &self,
        payout: Address,
    ) -> impl Future<Output = Result<Template, ChainError>> + Send;

    /// Submits a solved header for `height`. A conflict must be resolved
    /// into `Accepted` when the block at that height is this very block (a
    /// retry after a lost reply), `Stale` otherwise.
    /// `confirmed_by` are the coordinators that confirmed it (the vote's
    /// yes), recorded with the block.
    fn submit(
        &self,
        header: BlockHeader,
        height: u64,
        miner: String,
        confirmed_by: Vec<CoordinatorId>,
    ) -> impl Future<Output = Result<Submitted, ChainError>> + Send;

    /// The current tip.
    fn tip(&self) -> impl Future<Output = Result<Tip, ChainError>> + Send;

    /// What to call it in warnings (its URL).
    fn describe(&self) -> String {
        "the chain service".to_owned()
    }

    /// Each instance behind it and its health, when it is several
    /// ([`super::failover::ChainSet`]); empty otherwise.
    fn instances(&self) -> Vec<super::failover::InstanceStatus> {
        Vec::new()
    }
}
