//! One leased range being scanned in steps.

use crate::ids::JobRef;
use crate::kernel::{Best, ScanJob, ScanOutcome};
use crate::range::NonceRange;
use crate::wire::{Process, WireAddr};

/// A `Process` being worked on.
#[derive(Clone, Debug)]
pub(super) struct Assignment {
    pub job: JobRef,
    /// Unique among the miner's assignments (see `StepId`).
    pub serial: u32,
    pub scan: ScanJob,
    pub zero_bits: u8,
    pub range: NonceRange,
    /// Where the `Process` came from: answers go back there.
    pub reply_to: WireAddr,
    /// The next nonce to hand out as a step; `None` once all are handed out.
    pub next: Option<u32>,
    /// Outcome of the steps completed so far (in order), as one scan of
    /// them would report it.
    pub done: ScanOutcome,
}

impl Assignment {
    pub fn new(p: &Process, reply_to: WireAddr, serial: u32) -> Assignment {
        Assignment {
            job: p.job,
            serial,
            scan: ScanJob::new(&p.header.0),
            zero_bits: p.zero_bits,
            range: p.range,
            reply_to,
            next: Some(p.range.first()),
            done: ScanOutcome::none(p.range.first()),
        }
    }

    /// Hands out the next `len` nonces (at least one).
    pub fn take_step(&mut self, len: u64) -> Option<NonceRange> {
        let first = self.next?;
        let rest = NonceRange::new(first, self.range.last()).ok()?;
        let (head, tail) = rest.split_first(len.max(1));
        self.next = tail.map(|t| t.first());
        head
    }

    /// Records a completed step. Steps complete in the order they were
    /// handed out (one is in flight at a time).
    pub fn record(&mut self, outcome: ScanOutcome) {
        self.done = self.done.then(outcome);
        if outcome.found.is_some() {
            // Nothing after a solution matters.
            self.next = None;
        }
    }

    /// Whether every nonce was handed out and its step recorded.
    pub fn finished(&self, in_flight: bool) -> bool {
        self.next.is_none() && !in_flight
    }

    pub fn found(&self) -> Option<u32> {
        self.done.found
    }

    pub fn best(&self) -> Best {
        self.done.best
    }

    /// Nonces not yet handed out.
    pub fn remaining(&self) -> u64 {
        self.next
            .map_or(0, |n| u64::from(self.range.last()) - u64::from(n) + 1)
    }
}
