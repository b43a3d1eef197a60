//! One job: a header with one timestamp, its nonce range cut into leases,
//! and the checks every answer must pass before it is believed.

use std::time::Duration;

use protocol::header::sha256d;
use protocol::kernel::Best;
use protocol::{BlockHeader, HEADER_LEN, Hash256, Instant, JobRef, MinerId, NonceRange};

use super::coverage::Coverage;
pub use super::leases::Lease;
use super::leases::LeaseBook;

/// What a `ProcessAnswerNo` turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoVerdict {
    /// Matched its lease; the evidence holds; the range is scanned.
    Accepted,
    /// Its lease had expired but the range was still free: scanned.
    AcceptedLate,
    /// No matching lease and the range is no longer free (re-leased or
    /// scanned): nothing to do.
    Unmatched,
    /// The best hash claimed is not what the nonce hashes to, lies outside
    /// the range, or is too weak for the range's size.
    BadEvidence,
    /// The best hash meets the difficulty: the miner should have answered
    /// yes. The block is taken all the same.
    Solution(Hash256),
}

/// What a `ProcessAnswerYes` turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YesVerdict {
    /// The nonce meets the difficulty: a block.
    Solution(Hash256),
    /// The nonce does not meet the difficulty, or is outside its range.
    Invalid,
}

/// A job being mined by the leader.
#[derive(Clone, Debug)]
pub struct Job {
    /// Epoch and id.
    pub job_ref: JobRef,
    /// Height of the block being mined.
    pub height: u64,
    /// The header, nonce field zero.
    pub header: [u8; HEADER_LEN],
    /// Required zero bits.
    pub zero_bits: u8,
    /// When the job started.
    pub started: Instant,
    coverage: Coverage,
    /// Outstanding leases (ranges are disjoint).
    leases: LeaseBook,
    /// Leases that expired.
    pub expired: u64,
}

/// The weakest best hash believable for a range of `len` nonces: with
/// `len >= 2^(b + slack)` honest hashes, all having fewer than `b` zero bits
/// has probability about `exp(-2^slack)` (e^-32 for a slack of 5).
pub fn min_best_bits(len: u64, slack: u32) -> u32 {
    (63 - len.max(1).leading_zeros()).saturating_sub(slack)
}

impl Job {
    /// A job over `range` for `header` (its nonce field is cleared).
    pub fn new(
        job_ref: JobRef,
        height: u64,
        header: BlockHeader,
        zero_bits: u8,
        range: NonceRange,
        now: Instant,
    ) -> Job {
        Job {
            job_ref,
            height,
            header: header.with_nonce(0).to_bytes(),
            zero_bits,
            started: now,
            coverage: Coverage::new(range),
            leases: LeaseBook::default(),
            expired: 0,
        }
    }

    /// The nonce accounting.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// Outstanding leases.
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.leases.iter()
    }

    /// How many leases are outstanding.
    pub fn lease_count(&self) -> usize {
        self.leases.len()
    }

    /// Leases `miner` holds.
    pub fn leases_of(&self, miner: MinerId) -> usize {
        self.leases.count_of(miner)
    }

    /// The leases `miner` holds.
    pub fn leases_held(&self, miner: MinerId) -> impl Iterator<Item = &Lease> {
        self.leases.of(miner)
    }

    /// Leases up to `len` nonces to `miner` until `now + timeout`.
    pub fn lease(
        &mut self,
        miner: MinerId,
        len: u64,
        now: Instant,
        timeout: Duration,
    ) -> Option<NonceRange> {
        let range = self.coverage.take(len)?;
        self.leases.insert(Lease {
            miner,
            range,
            issued: now,
            expires: now + timeout,
        });
        Some(range)
    }

    /// Returns expired leases to the free list and reports them.
    pub fn expire(&mut self, now: Instant) -> Vec<Lease> {
        let mut out = Vec::new();
        while let Some(l) = self.leases.pop_expired(now) {
            self.coverage.release(l.range);
            self.expired += 1;
            out.push(l);
        }
        out
    }

    /// Returns every lease of `miner` to the free list (it is banned).
    pub fn revoke(&mut self, miner: MinerId) {
        for l in self.leases.remove_miner(miner) {
            self.coverage.release(l.range);
        }
    }

    /// Returns one lease to the free list (its answer was not believed).
    pub fn revoke_range(&mut self, range: NonceRange) {
        if let Some(l) = self.leases.remove(range.first()) {
            self.coverage.release(l.range);
        }
    }

    /// Checks, in constant time, what every change must keep: the coverage
    /// counts add up and the leased count is what the leases hold. The
    /// leader runs it after every change; [`Job::check`] runs each
    /// heartbeat interval.
    pub fn check_counts(&self) -> Result<(), String> {
        let c = self.coverage.counts();
        if c.scanned + c.leased + c.free != c.total {
            return Err(format!("counts do not add up: {c:?}"));
        }
        if self.leases.nonces() != c.leased {
            return Err(format!(
                "leases hold {} nonces, coverage says {}",
                self.leases.nonces(),
                c.leased
            ));
        }
        Ok(())
    }

    /// Checks everything, visiting every lease and free interval: the
    /// leases are disjoint and indexed right (`LeaseBook::check`), agree
    /// with the coverage counts, and the coverage's own invariants hold.
    pub fn check(&self) -> Result<(), String> {
        self.coverage.check()?;
        self.leases.check()?;
        self.check_counts()
    }

    /// The earliest lease expiry.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.leases.next_expiry()
    }

    /// Zero bits of the hash of this job's header with `nonce`.
    pub fn zero_bits_of(&self, nonce: u32) -> u32 {
        let mut bytes = self.header;
        bytes[protocol::header::NONCE_OFFSET..].copy_from_slice(&nonce.to_le_bytes());
        sha256d(&bytes).zero_bits()
    }

    /// Checks and records a `ProcessAnswerNo`.
    pub fn answer_no(
        &mut self,
        miner: MinerId,
        range: NonceRange,
        best: Best,
        slack: u32,
    ) -> NoVerdict {
        let claimed = u32::from(best.zero_bits);
        let actual = self.zero_bits_of(best.nonce).min(255);
        if !range.contains(best.nonce)
            || actual != claimed
            || claimed < min_best_bits(range.len(), slack)
        {
            return NoVerdict::BadEvidence;
        }
        if let YesVerdict::Solution(hash) = self.answer_yes(range, best.nonce) {
            return NoVerdict::Solution(hash);
        }
        match self.leases.get(range.first()) {
            Some(l) if l.miner == miner && l.range == range => {
                self.leases.remove(range.first());
                self.coverage.complete(range);
                NoVerdict::Accepted
            }
            _ if self.coverage.claim_free(range) => NoVerdict::AcceptedLate,
            _ => NoVerdict::Unmatched,
        }
    }

    /// Checks a `ProcessAnswerYes` by re-hashing the header.
    pub fn answer_yes(&self, range: NonceRange, nonce: u32) -> YesVerdict {
        if !range.contains(nonce) {
            return YesVerdict::Invalid;
        }
        let header = BlockHeader::from_bytes(&self.header).with_nonce(nonce);
        let hash = header.hash();
        if hash.meets(self.zero_bits) {
            YesVerdict::Solution(hash)
        } else {
            YesVerdict::Invalid
        }
    }

    /// The header with `nonce`, as submitted to the chain service.
    pub fn solved_header(&self, nonce: u32) -> BlockHeader {
        BlockHeader::from_bytes(&self.header).with_nonce(nonce)
    }

    /// Whether the lease of `miner` for exactly `range` is outstanding.
    pub fn holds(&self, miner: MinerId, range: NonceRange) -> bool {
        self.leases
            .get(range.first())
            .is_some_and(|l| l.miner == miner && l.range == range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::kernel::{Kernel, ScanJob};
    use protocol::vectors::GENESIS;
    use protocol::{Epoch, JobId};

    const M: MinerId = MinerId(5);

    fn job(range: NonceRange, zero_bits: u8) -> Job {
        let job_ref = JobRef {
            epoch: Epoch(1),
            job: JobId(1),
        };
        Job::new(
            job_ref,
            1,
            GENESIS.header(),
            zero_bits,
            range,
            Instant::ZERO,
        )
    }

    #[test]
    fn min_best_bits_follows_the_range_size() {
        assert_eq!(min_best_bits(100_000, 5), 11);
        assert_eq!(min_best_bits(1 << 20, 5), 15);
        assert_eq!(min_best_bits(10, 5), 0);
    }

    #[test]
    fn an_honest_no_is_accepted_and_a_lazy_one_is_not() {
        let mut j = job(NonceRange::new(0, 999_999).unwrap(), 40);
        let r = j
            .lease(M, 100_000, Instant::ZERO, Duration::from_secs(5))
            .unwrap();
        let honest = Kernel::portable().scan(&ScanJob::new(&j.header), r, 40);
        // Lazy: the first nonce, with its true zero bits.
        let lazy = Best {
            nonce: r.first(),
            zero_bits: u8::try_from(j.zero_bits_of(r.first())).unwrap(),
        };
        assert_eq!(j.answer_no(M, r, lazy, 5), NoVerdict::BadEvidence);
        let forged = Best {
            nonce: honest.best.nonce,
            zero_bits: honest.best.zero_bits + 1,
        };
        assert_eq!(j.answer_no(M, r, forged, 5), NoVerdict::BadEvidence);
        assert_eq!(j.answer_no(M, r, honest.best, 5), NoVerdict::Accepted);
        assert_eq!(j.answer_no(M, r, honest.best, 5), NoVerdict::Unmatched);
        assert_eq!(j.coverage().counts().scanned, 100_000);
    }

    #[test]
    fn yes_is_rehashed() {
        let range = NonceRange::new(GENESIS.nonce - 10, GENESIS.nonce + 10).unwrap();
        let j = job(range, 32);
        assert!(matches!(
            j.answer_yes(range, GENESIS.nonce),
            YesVerdict::Solution(_)
        ));
        assert_eq!(j.answer_yes(range, GENESIS.nonce - 1), YesVerdict::Invalid);
        let elsewhere = NonceRange::new(0, 5).unwrap();
        assert_eq!(j.answer_yes(elsewhere, GENESIS.nonce), YesVerdict::Invalid);
    }

    #[test]
    fn leases_expire_back_to_free() {
        let mut j = job(NonceRange::new(1, 1_000).unwrap(), 40);
        let a = j
            .lease(M, 600, Instant::ZERO, Duration::from_millis(10))
            .unwrap();
        assert_eq!(j.next_expiry(), Some(Instant::from_millis(10)));
        assert!(j.expire(Instant::from_millis(9)).is_empty());
        let gone = j.expire(Instant::from_millis(10));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].range, a);
        assert_eq!(j.coverage().counts().free, 1_000);
        j.coverage().check().unwrap();
    }
}
