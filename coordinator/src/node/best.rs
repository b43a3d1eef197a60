//! The best hashes the leader has seen: of the current job, and of each
//! block interval (from one block on the chain to the next, across the
//! jobs in between). They come from the best hashes miners send with each
//! `ProcessAnswerNo`, taken only once re-hashed (`job.rs`), so they are
//! the near misses of the whole fleet: "best so far: 31 of 32 zero bits,
//! by m3".

use std::collections::VecDeque;

use protocol::{JobRef, MinerId};
use serde::Serialize;

/// Completed block intervals kept for the status.
pub const INTERVALS_KEPT: usize = 16;

/// One best hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BestHash {
    /// Its leading zero bits.
    pub zero_bits: u8,
    /// The zero bits its job required.
    pub needed: u8,
    /// Its nonce.
    pub nonce: u32,
    /// Who found it.
    pub miner: MinerId,
    /// Its job.
    pub job: JobRef,
}

impl BestHash {
    /// Whether `self` beats `other`: more zero bits; the earlier on a tie.
    fn beats(&self, other: Option<&BestHash>) -> bool {
        other.is_none_or(|o| self.zero_bits > o.zero_bits)
    }

    fn summary(&self) -> BestSummary {
        BestSummary {
            zero_bits: self.zero_bits,
            needed: self.needed,
            miner: self.miner.to_string(),
            nonce: self.nonce,
            job: self.job.to_string(),
            text: format!(
                "{} of {} zero bits, by {}",
                self.zero_bits, self.needed, self.miner
            ),
        }
    }
}

/// A best hash, as the status shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BestSummary {
    /// Its leading zero bits.
    pub zero_bits: u8,
    /// The zero bits its job required.
    pub needed: u8,
    /// Who found it (`m3`).
    pub miner: String,
    /// Its nonce.
    pub nonce: u32,
    /// Its job (`e1/j2`).
    pub job: String,
    /// In words: `31 of 32 zero bits, by m3`.
    pub text: String,
}

/// The best hash of a block interval that has ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IntervalBest {
    /// The height of the block that ended it.
    pub height: u64,
    /// The best hash before that block, if any answer came in.
    pub best: Option<BestSummary>,
}

/// The `best` object of the status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BestStatus {
    /// The current job's best.
    pub job: Option<BestSummary>,
    /// The best since the last block: "best so far".
    pub interval: Option<BestSummary>,
    /// The last intervals that ended with a block, newest first.
    pub intervals: Vec<IntervalBest>,
}

/// The best hashes seen.
#[derive(Clone, Debug, Default)]
pub struct BestBook {
    job: Option<BestHash>,
    interval: Option<BestHash>,
    ended: VecDeque<(u64, Option<BestHash>)>,
}

impl BestBook {
    /// Takes in a checked best hash.
    pub fn offer(&mut self, best: BestHash) {
        if self.job.is_some_and(|j| j.job != best.job) {
            self.job = None;
        }
        if best.beats(self.job.as_ref()) {
            self.job = Some(best);
        }
        if best.beats(self.interval.as_ref()) {
            self.interval = Some(best);
        }
    }

    /// A new job started: its best starts empty.
    pub fn new_job(&mut self) {
        self.job = None;
    }

    /// A block at `height` ended the interval.
    pub fn block(&mut self, height: u64) {
        if self.ended.front().is_some_and(|(h, _)| *h == height) {
            return;
        }
        self.ended.push_front((height, self.interval.take()));
        self.ended.truncate(INTERVALS_KEPT);
    }

    /// The status.
    pub fn status(&self) -> BestStatus {
        BestStatus {
            job: self.job.as_ref().map(BestHash::summary),
            interval: self.interval.as_ref().map(BestHash::summary),
            intervals: self
                .ended
                .iter()
                .map(|(height, b)| IntervalBest {
                    height: *height,
                    best: b.as_ref().map(BestHash::summary),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::{Epoch, JobId};

    use super::*;

    fn best(job: u32, zero_bits: u8, miner: u32) -> BestHash {
        BestHash {
            zero_bits,
            needed: 32,
            nonce: 7,
            miner: MinerId(miner),
            job: JobRef {
                epoch: Epoch(1),
                job: JobId(job),
            },
        }
    }

    #[test]
    fn keeps_the_best_of_the_job_and_of_the_interval() {
        let mut b = BestBook::default();
        b.offer(best(1, 20, 1));
        b.offer(best(1, 31, 3));
        b.offer(best(1, 25, 2));
        let s = b.status();
        assert_eq!(s.interval.unwrap().text, "31 of 32 zero bits, by m3");
        // A new job: its own best, the interval's carries on.
        b.new_job();
        b.offer(best(2, 22, 1));
        let s = b.status();
        assert_eq!(s.job.unwrap().zero_bits, 22);
        assert_eq!(s.interval.unwrap().zero_bits, 31);
        // A block ends the interval; repeated news of it changes nothing.
        b.block(5);
        b.block(5);
        let s = b.status();
        assert_eq!(s.interval, None);
        assert_eq!(s.intervals.len(), 1);
        assert_eq!(s.intervals[0].height, 5);
        assert_eq!(s.intervals[0].best.as_ref().unwrap().zero_bits, 31);
        for h in 6..40 {
            b.block(h);
        }
        assert_eq!(b.status().intervals.len(), INTERVALS_KEPT);
        assert_eq!(b.status().intervals[0].height, 39);
    }
}
