//! Templates with bodies, and submitted blocks checked against them.
//!
//! A template's body is the reward to the payout the leader named, then
//! the longest prefix of the valid mempool entries that fits the limits
//! (the pending state was computed for exactly that order, so a prefix
//! applies as predicted). The body is kept in the store under its merkle
//! root before the template is answered, so that any instance on the same
//! database can match a header mined from it.

use protocol::{BlockHeader, Hash256};

use super::Replica;
use crate::api::{Block, Template};
use crate::ledger::{Address, BlockEffects, Ledger, Tx, TxId, merkle_root, verify_all};
use crate::rules::{self, BLOCK_VERSION, Rejection};
use crate::store::{AppendError, StoreError, TemplateBody};

/// Why a submitted block was not appended.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// It does not extend the tip (409): the caller names the case.
    #[error("the block does not extend the tip")]
    NotOnTip,
    /// It breaks a rule (422).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a block is checked on top of a tip: every rule the service applies
/// to a submission whose header extends the tip and whose body is known.
/// The service's submissions and `chain import` both check with it.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// The chain's difficulty.
    pub zero_bits: u8,
    /// The checker's clock (Unix seconds), for the time bounds.
    pub now: u64,
    /// What a body may hold.
    pub limits: rules::BodyLimits,
    /// Whether to verify the body's signatures.
    pub signatures: bool,
}

impl Check {
    /// Checks `header` with `body` as the block after `tip`, whose ledger
    /// is `ledger`: version, merkle root, bits, time, work, the body's
    /// limits and signatures, and that it applies. Returns its hash, the
    /// ledger after it and what applying it did.
    pub fn block(
        &self,
        tip: &crate::store::TipState,
        ledger: &Ledger,
        header: &BlockHeader,
        body: &[Tx],
    ) -> Result<(Hash256, Ledger, BlockEffects), Rejection> {
        if header.version != BLOCK_VERSION {
            return Err(Rejection::Version {
                expected: BLOCK_VERSION,
                got: header.version,
            });
        }
        check_root(header, body)?;
        let template = rules::template(self.zero_bits, tip, body);
        let hash = rules::check(header, &template, self.now)?;
        rules::check_body(body, self.limits)?;
        if self.signatures {
            verify_all(body).map_err(|(index, cause)| {
                Rejection::BadBody(crate::ledger::BlockError {
                    index,
                    id: body.get(index).map(Tx::id).unwrap_or_default(),
                    cause,
                })
            })?;
        }
        let mut next = ledger.clone();
        let effects = next
            .apply_block(template.height, body)
            .map_err(Rejection::BadBody)?;
        Ok((hash, next, effects))
    }
}

/// The body's merkle root must be the header's.
fn check_root(header: &BlockHeader, body: &[Tx]) -> Result<(), Rejection> {
    let ids: Vec<TxId> = body.iter().map(Tx::id).collect();
    let root = merkle_root(&ids);
    if root != header.merkle_root {
        return Err(Rejection::BodyMismatch {
            header: header.merkle_root,
            body: root,
        });
    }
    Ok(())
}

impl Replica {
    /// The template of the next block, paying `payout`.
    pub fn template(&self, payout: Address) -> Result<Template, StoreError> {
        let zero_bits = self.store.params().zero_bits;
        loop {
            let mut view = self.sync()?;
            let limits = self.limits.body;
            let reward = Tx::reward(view.tip.tip.height + 1, payout, crate::ledger::REWARD);
            let mut bytes = reward.encode().len();
            let txs = view
                .queue
                .iter()
                .take(limits.max_txs.saturating_sub(1))
                .take_while(|p| {
                    bytes += p.tx.encode().len();
                    bytes <= limits.max_bytes
                })
                .map(|p| p.tx.clone());
            let body = rules::body(&view.tip, payout, txs);
            let template = rules::template(zero_bits, &view.tip, &body);
            if view.templates.contains(&template.merkle_root) {
                return Ok(template);
            }
            let kept = self.store.put_template(&TemplateBody {
                merkle_root: template.merkle_root,
                parent: view.tip.tip.hash,
                body,
            })?;
            if kept {
                if view.templates.len() >= crate::store::MAX_TEMPLATES {
                    view.templates.clear();
                }
                view.templates.insert(template.merkle_root);
                return Ok(template);
            }
            // The tip moved between the sync and the write: build again.
        }
    }

    /// Checks `header` and its body (the one `sent`, or else the template
    /// body kept under its merkle root) against the tip, the clock `now`
    /// and the ledger, and appends it. Signatures of a sent body are
    /// checked when `check_signatures`; a kept body's were checked when
    /// its transactions were admitted.
    pub fn submit(
        &self,
        header: BlockHeader,
        miner: String,
        sent: Option<Vec<Tx>>,
        now: u64,
        check_signatures: bool,
    ) -> Result<Block, SubmitError> {
        self.submit_confirmed(header, miner, sent, Vec::new(), now, check_signatures)
    }

    /// [`Replica::submit`], recording the coordinators that confirmed the
    /// block (checked by the caller: increasing ids, not zero).
    pub fn submit_confirmed(
        &self,
        header: BlockHeader,
        miner: String,
        sent: Option<Vec<Tx>>,
        confirmed_by: Vec<u16>,
        now: u64,
        check_signatures: bool,
    ) -> Result<Block, SubmitError> {
        let zero_bits = self.store.params().zero_bits;
        let mut view = self.sync()?;
        if header.prev_hash != view.tip.tip.hash {
            return Err(SubmitError::NotOnTip);
        }
        if header.version != BLOCK_VERSION {
            return Err(Rejection::Version {
                expected: BLOCK_VERSION,
                got: header.version,
            }
            .into());
        }
        let (body, external) = match sent {
            Some(body) => {
                check_root(&header, &body)?;
                (body, true)
            }
            None => match self.store.template(&header.merkle_root)? {
                Some(t) if t.parent == view.tip.tip.hash => (t.body, false),
                // Another instance appended a block since the sync (which
                // dropped the bodies): the header is stale, not wrong.
                _ if self.store.tip_state()?.tip.hash != view.tip.tip.hash => {
                    return Err(SubmitError::NotOnTip);
                }
                _ => return Err(Rejection::UnknownMerkleRoot(header.merkle_root).into()),
            },
        };
        let check = Check {
            zero_bits,
            now,
            limits: self.limits.body,
            signatures: external && check_signatures,
        };
        let (hash, next, effects) = check.block(&view.tip, &view.ledger, &header, &body)?;
        let block = Block {
            height: view.tip.tip.height + 1,
            hash,
            header,
            miner,
            received_at: now,
            confirmed_by,
        };
        match self.store.append(&block, &body, &effects.trades) {
            Ok(()) => {}
            Err(AppendError::NotOnTip) => return Err(SubmitError::NotOnTip),
            Err(AppendError::Store(e)) => return Err(e.into()),
        }
        self.announce(&block, body.len(), &effects);
        view.ledger = next;
        view.tip.recent_times.insert(0, block.header.time);
        view.tip.recent_times.truncate(rules::MEDIAN_SPAN);
        view.tip.tip = block.clone();
        view.stale = true;
        view.templates.clear();
        drop(view);
        // Rebuild the pending state now (dropping what no longer applies)
        // rather than on the next request; a failure here is the next
        // request's to report.
        if let Err(e) = self.sync() {
            tracing::warn!("after block {}: {e}", block.height);
        }
        Ok(block)
    }

    /// The tip's hash, after catching up.
    pub fn tip_hash(&self) -> Result<Hash256, StoreError> {
        Ok(self.sync()?.tip.tip.hash)
    }
}
