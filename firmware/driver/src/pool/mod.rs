//! Scan workers, one per core, fed by the miner task.
//!
//! The miner state machine hands out one step at a time, sized to take about
//! [`MinerConfig::step`](protocol::miner::MinerConfig::step) at the measured
//! rate of the whole board. [`ScanPool::dispatch`] splits it into one slice
//! per worker (ascending nonces), sized by each worker's measured rate so
//! that all finish together (workers can differ several times over: a
//! hardware engine beside a software kernel, or a core shared with the
//! network); each [`ScanPool::work`] loop scans its slice in short chunks
//! with its [`Scanner`], yielding between them so that a worker sharing a
//! core with the network lets it run, and [`Batch::complete`] puts the
//! outcomes back together with [`ScanOutcome::fold`], so the miner sees
//! exactly what one scan of the step would have returned.
//!
//! Steps are short (milliseconds), so an interrupted job stops being scanned
//! when the step in flight ends: nothing is cancelled mid-slice.

use core::sync::atomic::{AtomicU32, Ordering};

use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant};
use protocol::NonceRange;
use protocol::kernel::{ScanJob, ScanOutcome, Scanner};
use protocol::miner::{Step, StepId};

/// One worker's share of a step.
#[derive(Clone, Copy, Debug)]
struct Slice {
    seq: u32,
    part: u8,
    job: ScanJob,
    range: NonceRange,
    zero_bits: u8,
}

/// A finished slice.
#[derive(Clone, Copy, Debug)]
struct Done {
    seq: u32,
    part: u8,
    /// The worker that scanned it, and how long that took (yields
    /// included: the rate it gets on its core).
    worker: u8,
    took: Duration,
    outcome: ScanOutcome,
}

/// Work queues for `W` workers. Lives in a `static` (or a `StaticCell`):
/// workers on another core or thread borrow it for ever.
pub struct ScanPool<const W: usize> {
    slices: [Signal<CriticalSectionRawMutex, Slice>; W],
    done: Channel<CriticalSectionRawMutex, Done, W>,
    /// Each worker's measured rate in nonces per second, 0 until measured.
    /// Written by the miner task only, as slices come back.
    rates: [AtomicU32; W],
    /// Nonces a worker scans between two yields.
    chunk: u64,
}

impl<const W: usize> core::fmt::Debug for ScanPool<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ScanPool")
            .field("workers", &W)
            .field("chunk", &self.chunk)
            .field("rates", &self.rates())
            .finish_non_exhaustive()
    }
}

/// A step being scanned by the pool.
#[derive(Debug)]
pub struct Batch<const W: usize> {
    id: StepId,
    seq: u32,
    parts: u8,
    outcomes: [Option<ScanOutcome>; W],
    started: Instant,
}

impl<const W: usize> ScanPool<W> {
    /// A pool whose workers scan `chunk` nonces between yields (at least 1).
    pub const fn new(chunk: u32) -> Self {
        assert!(W > 0 && W <= u8::MAX as usize, "1 to 255 workers");
        ScanPool {
            slices: [const { Signal::new() }; W],
            done: Channel::new(),
            rates: [const { AtomicU32::new(0) }; W],
            chunk: if chunk == 0 { 1 } else { chunk as u64 },
        }
    }

    /// Each worker's measured rate (nonces per second; 0: not yet).
    pub fn rates(&self) -> [u32; W] {
        core::array::from_fn(|i| self.rates[i].load(Ordering::Relaxed))
    }

    /// Worker `index`'s loop: scans the slices it is given with `scanner`,
    /// yielding every `chunk` nonces (the pool's). Run one per core (or
    /// thread); never returns.
    pub async fn work<S: Scanner>(&self, index: usize, scanner: S) -> ! {
        self.work_chunked(index, scanner, self.chunk).await
    }

    /// [`work`](Self::work), yielding every `chunk` nonces instead: a
    /// worker alone on its core can scan long chunks.
    pub async fn work_chunked<S: Scanner>(&self, index: usize, mut scanner: S, chunk: u64) -> ! {
        let chunk = chunk.max(1);
        let Some(inbox) = self.slices.get(index) else {
            panic!("worker index {} out of range", index);
        };
        loop {
            let slice = inbox.wait().await;
            let started = Instant::now();
            let outcome = Self::scan(&mut scanner, &slice, chunk).await;
            self.done
                .send(Done {
                    seq: slice.seq,
                    part: slice.part,
                    // `index` < W <= 255 (checked in `new`).
                    worker: index as u8,
                    took: started.elapsed(),
                    outcome,
                })
                .await;
        }
    }

    async fn scan<S: Scanner>(scanner: &mut S, slice: &Slice, chunk: u64) -> ScanOutcome {
        let mut total = ScanOutcome::none(slice.range.first());
        let mut rest = Some(slice.range);
        while let Some(range) = rest {
            let (head, tail) = range.split_first(chunk);
            let Some(head) = head else { break };
            let outcome = scanner.scan(&slice.job, head, slice.zero_bits);
            total = total.then(outcome);
            if outcome.found.is_some() {
                break;
            }
            rest = tail;
            if rest.is_some() {
                yield_now().await;
            }
        }
        total
    }

    /// Splits `step` into one slice per worker, sized by their rates, and
    /// hands them out. `seq` tells this step's results from any other's.
    pub fn dispatch(&self, step: &Step, seq: u32, now: Instant) -> Batch<W> {
        let shares = split::shares(step.range.len(), self.rates());
        let mut rest = Some(step.range);
        let mut parts = 0u8;
        for (inbox, share) in self.slices.iter().zip(shares) {
            if share == 0 {
                continue;
            }
            let Some(range) = rest else { break };
            let (head, tail) = range.split_first(share);
            let Some(head) = head else { break };
            inbox.signal(Slice {
                seq,
                part: parts,
                job: step.job,
                range: head,
                zero_bits: step.zero_bits,
            });
            parts += 1;
            rest = tail;
        }
        Batch {
            id: step.id,
            seq,
            parts,
            outcomes: [None; W],
            started: now,
        }
    }

    /// Records every slice already finished, without waiting. Returns the
    /// step's combined outcome once every slice is in. The miner task calls
    /// this on every turn, so a stream of datagrams cannot hold back
    /// finished steps.
    pub fn try_done(&self, batch: &mut Batch<W>) -> Option<ScanOutcome> {
        while let Ok(done) = self.done.try_receive() {
            self.measured(&done);
            batch.record(done);
        }
        batch.complete()
    }

    /// Waits for the next finished slice and records it in `batch`.
    /// Returns the step's combined outcome once every slice is in.
    pub async fn next_done(&self, batch: &mut Batch<W>) -> Option<ScanOutcome> {
        let done = self.done.receive().await;
        self.measured(&done);
        batch.record(done);
        batch.complete()
    }

    /// Updates the rate of the worker that finished `done`.
    fn measured(&self, done: &Done) {
        let Some(rate) = self.rates.get(usize::from(done.worker)) else {
            return;
        };
        let old = rate.load(Ordering::Relaxed);
        let new = split::smoothed(old, done.outcome.hashes, done.took.as_micros());
        rate.store(new, Ordering::Relaxed);
    }
}

impl<const W: usize> Batch<W> {
    /// The step this batch scans.
    pub fn id(&self) -> StepId {
        self.id
    }

    /// When it was handed out.
    pub fn started(&self) -> Instant {
        self.started
    }

    fn record(&mut self, done: Done) {
        if done.seq != self.seq {
            return; // a slice of another step: cannot happen, one batch at a time
        }
        if let Some(slot) = self.outcomes.get_mut(usize::from(done.part)) {
            *slot = Some(done.outcome);
        }
    }

    /// The whole step's outcome once every slice is in, as one scan of it
    /// would report: slices are combined in nonce order.
    pub fn complete(&self) -> Option<ScanOutcome> {
        let slices = self.outcomes.iter().take(usize::from(self.parts));
        if slices.clone().any(Option::is_none) {
            return None;
        }
        let first = self.id.range().first();
        Some(ScanOutcome::fold(first, slices.flatten().copied()))
    }
}

mod split;
#[cfg(test)]
mod tests;
