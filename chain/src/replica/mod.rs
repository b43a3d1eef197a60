//! The ledger an instance serves, derived from the store.
//!
//! The store holds facts: blocks with their bodies, the mempool in
//! admission order, template bodies. A [`Replica`] keeps in memory what
//! follows from them: the [`Ledger`] at the tip (by replaying every block's
//! body from genesis when it opens) and the pending state (the ledger after
//! every still-valid mempool entry, in order), and brings both up to date
//! from the store before each use ([`Replica::sync`]). Blocks and
//! admissions written through another instance on the same database are
//! therefore seen by this one on its next request, or within
//! [`crate::ServiceConfig::follow_every`] by the follower task, which is
//! also what turns them into events.
//!
//! `admit.rs` is the mempool's group commit; `blocks.rs` builds templates
//! and takes submitted blocks.

mod admit;
mod blocks;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use protocol::Hash256;
use tokio::sync::broadcast;

pub use admit::{Admission, AdmitOutcome, AdmitRefusal, Admitter};
pub use blocks::{Check, SubmitError};

use crate::api::{Event, TradeView};
use crate::ledger::{BlockEffects, Ledger, TxId};
use crate::rules::BodyLimits;
use crate::server::Clock;
use crate::store::{Dropped, MempoolMark, Pending, Store, StoreError, TipState};

/// Events buffered for slow subscribers before they miss some.
const EVENT_BUFFER: usize = 4096;

/// Blocks read from the store per query while catching up.
const REPLAY_PAGE: usize = 500;

/// What a replica limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// What a block's body may hold.
    pub body: BodyLimits,
    /// Transactions the mempool holds at most.
    pub max_mempool: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: BodyLimits::default(),
            max_mempool: 100_000,
        }
    }
}

/// The ledger at the tip and after the mempool, kept up to date from the
/// store.
pub struct Replica {
    store: Arc<dyn Store>,
    view: Mutex<View>,
    events: broadcast::Sender<Event>,
    limits: Limits,
    clock: Clock,
    admitted: AtomicU64,
    commits: AtomicU64,
    /// `View::queue.len()`, readable without the view's lock (which a
    /// write holds through its fsync).
    pending: AtomicU64,
    dropped: Mutex<BTreeMap<String, u64>>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("store", &self.store)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// What the replica knows, under one lock.
#[derive(Debug)]
pub struct View {
    /// The tip the ledger is at, and the times before it.
    pub tip: TipState,
    /// The ledger at the tip.
    pub ledger: Ledger,
    /// The ledger after the valid mempool entries, for the next height.
    pub pending: Ledger,
    /// The valid mempool entries, in admission order.
    pub queue: Vec<Pending>,
    queued: HashSet<TxId>,
    mark: MempoolMark,
    /// Rebuild `pending` from the store at the next sync.
    stale: bool,
    /// Roots of the template bodies stored for this tip.
    templates: HashSet<Hash256>,
    /// Set when a stored block did not apply: the store is corrupt.
    broken: Option<String>,
}

impl Replica {
    /// Replays the store's chain into a new replica.
    pub fn open(
        store: Arc<dyn Store>,
        limits: Limits,
        clock: Clock,
    ) -> Result<Replica, StoreError> {
        let genesis = store
            .block(0)?
            .ok_or_else(|| StoreError::Corrupt("the chain has no genesis block".into()))?;
        let operator = store
            .params()
            .operator
            .map(|k| crate::ledger::Address::of_key(&k));
        let ledger = Ledger::new(operator);
        let view = View {
            tip: TipState {
                recent_times: vec![genesis.header.time],
                tip: genesis,
            },
            pending: ledger.clone(),
            ledger,
            queue: Vec::new(),
            queued: HashSet::new(),
            mark: MempoolMark {
                tip: Hash256::ZERO,
                last_seq: 0,
            },
            stale: true,
            templates: HashSet::new(),
            broken: None,
        };
        let replica = Replica {
            store,
            view: Mutex::new(view),
            events: broadcast::channel(EVENT_BUFFER).0,
            limits,
            clock,
            admitted: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            dropped: Mutex::new(BTreeMap::new()),
        };
        drop(replica.sync()?);
        Ok(replica)
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A new subscription to the events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Transactions admitted through this replica.
    pub fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }

    /// Store transactions that admitted them (group commits).
    pub fn admission_commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Mempool entries dropped by this replica, by code.
    pub fn dropped(&self) -> BTreeMap<String, u64> {
        self.dropped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The view, brought up to date with the store: blocks appended and
    /// transactions admitted since the last call (through any instance)
    /// are applied, and events sent for them.
    pub fn sync(&self) -> Result<MutexGuard<'_, View>, StoreError> {
        let mut view = self.view.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(why) = &view.broken {
            return Err(StoreError::Corrupt(why.clone()));
        }
        if let Err(e) = self.catch_up(&mut view) {
            if let StoreError::Corrupt(why) = &e {
                view.broken = Some(why.clone());
            }
            view.stale = true;
            return Err(e);
        }
        Ok(view)
    }

    fn catch_up(&self, view: &mut View) -> Result<(), StoreError> {
        loop {
            let state = self.store.tip_state()?;
            if state.tip.hash != view.tip.tip.hash {
                // `replay` keeps `view.tip` (and the recent times) with the
                // ledger, block by block.
                self.replay(view, state.tip.height)?;
                view.stale = true;
                view.templates.clear();
            }
            let after = if view.stale { 0 } else { view.mark.last_seq };
            let read = self.store.mempool(after)?;
            if read.mark.tip != view.tip.tip.hash {
                // A block arrived between the two reads.
                continue;
            }
            if view.stale {
                view.pending = view.ledger.clone();
                view.pending.expire(view.ledger.height() + 1);
                view.queue.clear();
                view.queued.clear();
            }
            let height = view.ledger.height() + 1;
            let mut dropped = Vec::new();
            let mut trash = Vec::new();
            for entry in read.entries {
                let id = entry.tx.id();
                match view.pending.apply(height, &entry.tx, &mut trash) {
                    Ok(()) => {
                        if !view.stale {
                            // Admitted through another instance.
                            self.send(Event::Admitted {
                                id,
                                kind: entry.tx.kind().into(),
                                from: entry.tx.signer().to_string(),
                            });
                        }
                        view.queued.insert(id);
                        view.queue.push(entry);
                    }
                    Err(e) => dropped.push(Dropped {
                        id,
                        code: e.code().into(),
                        reason: e.to_string(),
                    }),
                }
            }
            view.mark = read.mark;
            view.stale = false;
            self.pending
                .store(view.queue.len() as u64, Ordering::Relaxed);
            if !dropped.is_empty() && self.store.drop_pending(read.mark.tip, &dropped)? {
                let mut counts = self.dropped.lock().unwrap_or_else(PoisonError::into_inner);
                for d in dropped {
                    *counts.entry(d.code.clone()).or_default() += 1;
                    self.send(Event::Dropped {
                        id: d.id,
                        code: d.code,
                    });
                }
            }
            return Ok(());
        }
    }

    /// Applies the stored blocks after the ledger's height up to `target`.
    fn replay(&self, view: &mut View, target: u64) -> Result<(), StoreError> {
        while view.ledger.height() < target {
            let from = view.ledger.height() + 1;
            let page = self.store.blocks_with_bodies(from, REPLAY_PAGE, 50_000)?;
            if page.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "the tip is at height {target} but block {from} is missing"
                )));
            }
            for (block, body) in page {
                if block.header.prev_hash != view.tip.tip.hash || block.height != from_next(view) {
                    return Err(StoreError::Corrupt(format!(
                        "block {} does not extend block {}",
                        block.height, view.tip.tip.height
                    )));
                }
                let effects = view.ledger.apply_block(block.height, &body).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "stored block {} does not apply: {e}",
                        block.height
                    ))
                })?;
                self.announce(&block, body.len(), &effects);
                view.tip.recent_times.insert(0, block.header.time);
                view.tip.recent_times.truncate(crate::rules::MEDIAN_SPAN);
                view.tip.tip = block;
            }
        }
        Ok(())
    }

    /// Sends the events of a committed block.
    fn announce(&self, block: &crate::api::Block, transactions: usize, effects: &BlockEffects) {
        self.send(Event::Block {
            height: block.height,
            hash: block.hash,
            miner: block.miner.clone(),
            transactions,
        });
        for order in &effects.expired {
            self.send(Event::Expired {
                order: *order,
                height: block.height,
            });
        }
        for trade in &effects.trades {
            self.send(Event::Trade(TradeView::from(trade)));
        }
    }

    fn send(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}

fn from_next(view: &View) -> u64 {
    view.ledger.height() + 1
}

impl Replica {
    /// Valid mempool entries as last synced (no store access, no lock).
    pub fn pending_count(&self) -> usize {
        self.pending.load(Ordering::Relaxed) as usize
    }
}
