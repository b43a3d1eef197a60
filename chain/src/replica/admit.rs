//! The mempool's group commit. Every admission goes through one writer
//! thread, which takes all the admissions waiting at once, checks each
//! against the pending state in order, and writes the ones that apply in
//! one store transaction: one fsync for the whole batch. Only then does
//! each request get its answer, so a `202` always means durable.
//!
//! Instances sharing a store take turns ([`Store::admission_turn`](crate::store::Store::admission_turn)): a
//! batch is checked and written within one turn, so another instance's
//! admissions cannot move the mempool under it; only a block appended
//! meanwhile makes it check again.
//!
//! Signatures are checked before an admission reaches the writer (by the
//! HTTP handler, on the runtime's threads), so the writer does only what
//! must be serial: sequence numbers, funds, the write.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use tokio::sync::oneshot;

use super::Replica;
use crate::api::Event;
use crate::ledger::{Tx, TxError};
use crate::store::{AdmitError, Pending, TxStatus};

/// Admissions taken into one batch at most.
const MAX_BATCH: usize = 1024;

/// Admissions waiting for the writer at most; past that, new ones are
/// refused as busy (503) rather than queued without bound.
const QUEUE: usize = 16_384;

/// Times a batch is checked again when the tip moved under it.
const ATTEMPTS: usize = 4;

/// How an admission ended well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdmitOutcome {
    /// Newly in the mempool.
    Admitted,
    /// Already in the mempool.
    AlreadyPending,
    /// Already in the block at this height.
    InBlock(u64),
}

/// Why an admission was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdmitRefusal {
    /// The transaction does not apply to the pending state.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The mempool is full.
    #[error("the mempool holds its maximum of {0} transactions; retry after the next block")]
    MempoolFull(usize),
    /// Too many admissions are waiting.
    #[error("too many transactions are waiting to be admitted; retry shortly")]
    Busy,
    /// The store failed; nothing was admitted.
    #[error("the chain store failed ({0}); nothing was admitted, retry later")]
    Unavailable(String),
}

/// One transaction to admit and where its answer goes.
#[derive(Debug)]
pub struct Admission {
    /// The transaction, its signature already checked.
    pub tx: Tx,
    /// The answer.
    pub reply: oneshot::Sender<Result<AdmitOutcome, AdmitRefusal>>,
}

/// The handle requests send admissions through. Dropping every clone
/// stops the writer thread once it has answered what it holds.
#[derive(Clone, Debug)]
pub struct Admitter {
    queue: SyncSender<Admission>,
}

impl Admitter {
    /// Starts the writer thread for `replica`.
    pub fn start(replica: Arc<Replica>) -> std::io::Result<Admitter> {
        let (queue, incoming) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("mempool-writer".into())
            .spawn(move || writer(&replica, &incoming))?;
        Ok(Admitter { queue })
    }

    /// Queues `tx`; the answer arrives once it is durable or refused.
    pub async fn admit(&self, tx: Tx) -> Result<AdmitOutcome, AdmitRefusal> {
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Admission { tx, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(AdmitRefusal::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(AdmitRefusal::Unavailable(
                    "the mempool writer stopped".into(),
                ));
            }
        }
        answer.await.unwrap_or(Err(AdmitRefusal::Busy))
    }
}

fn writer(replica: &Replica, incoming: &Receiver<Admission>) {
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcomes = replica.admit_batch(batch.iter().map(|a| &a.tx).collect());
        for (admission, outcome) in batch.into_iter().zip(outcomes) {
            // A requester that went away no longer needs its answer.
            let _ = admission.reply.send(outcome);
        }
    }
}

impl Replica {
    /// Checks `txs` in order against the pending state and admits those
    /// that apply, in one store transaction; one outcome per transaction.
    pub fn admit_batch(&self, txs: Vec<&Tx>) -> Vec<Result<AdmitOutcome, AdmitRefusal>> {
        for _ in 0..ATTEMPTS {
            let turn = match self.store.admission_turn() {
                Ok(turn) => turn,
                Err(e) => {
                    let text = e.to_string();
                    return txs
                        .iter()
                        .map(|_| Err(AdmitRefusal::Unavailable(text.clone())))
                        .collect();
                }
            };
            let attempt = self.try_admit(&txs);
            drop(turn);
            match attempt {
                Ok(outcomes) => return outcomes,
                Err(AdmitError::Moved) => continue,
                Err(AdmitError::Store(e)) => {
                    let text = e.to_string();
                    return txs
                        .iter()
                        .map(|_| Err(AdmitRefusal::Unavailable(text.clone())))
                        .collect();
                }
            }
        }
        txs.iter().map(|_| Err(AdmitRefusal::Busy)).collect()
    }

    fn try_admit(
        &self,
        txs: &[&Tx],
    ) -> Result<Vec<Result<AdmitOutcome, AdmitRefusal>>, AdmitError> {
        let mut view = self.sync()?;
        let height = view.ledger.height() + 1;
        let mut outcomes = Vec::with_capacity(txs.len());
        let mut accepted: Vec<Tx> = Vec::new();
        let mut in_batch = std::collections::HashSet::new();
        let mut trash = Vec::new();
        let max = self.limits.max_mempool;
        for tx in txs {
            let id = tx.id();
            let outcome = if view.queued.contains(&id) || in_batch.contains(&id) {
                Ok(AdmitOutcome::AlreadyPending)
            } else if view.queue.len() + accepted.len() >= max {
                Err(AdmitRefusal::MempoolFull(max))
            } else {
                match view.pending.apply(height, tx, &mut trash) {
                    Ok(()) => {
                        in_batch.insert(id);
                        accepted.push((*tx).clone());
                        Ok(AdmitOutcome::Admitted)
                    }
                    Err(e @ TxError::SequenceReused { .. }) => {
                        // A retry of a transaction that made it into a block.
                        match self.store.transaction(&id) {
                            Ok(Some((_, TxStatus::InBlock { height, .. }))) => {
                                Ok(AdmitOutcome::InBlock(height))
                            }
                            Ok(_) => Err(AdmitRefusal::Invalid(e)),
                            Err(e) => Err(AdmitRefusal::Unavailable(e.to_string())),
                        }
                    }
                    Err(e) => Err(AdmitRefusal::Invalid(e)),
                }
            };
            outcomes.push(outcome);
        }
        if accepted.is_empty() {
            return Ok(outcomes);
        }
        let now = self.clock.now();
        match self.store.admit(view.mark, &accepted, now) {
            Ok(seqs) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                for (tx, seq) in accepted.into_iter().zip(seqs) {
                    view.mark.last_seq = seq;
                    view.queued.insert(tx.id());
                    self.send(Event::Admitted {
                        id: tx.id(),
                        kind: tx.kind().into(),
                        from: tx.signer().to_string(),
                    });
                    view.queue.push(Pending {
                        seq,
                        tx,
                        received_at: now,
                    });
                    self.admitted.fetch_add(1, Ordering::Relaxed);
                }
                self.pending
                    .store(view.queue.len() as u64, Ordering::Relaxed);
                Ok(outcomes)
            }
            Err(e) => {
                // The pending state holds what was not written.
                view.stale = true;
                Err(e)
            }
        }
    }
}
