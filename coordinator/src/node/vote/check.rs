//! A follower's side of the vote: what it knows of the leader's jobs, and
//! the check it runs on each `VoteRequest` before it answers.
//!
//! "The job it knows" is the newest job the leader it follows has named:
//! in its heartbeats (`HeartbeatRequest.job`) or in a vote request; and,
//! for that job, the header first shown in a vote request, nonce aside. A
//! follower says yes only when every step holds, in this order:
//!
//! 1. the request's epoch is not older than the newest the follower has
//!    seen (`StaleJob`: a deposed leader);
//! 2. the sender is the coordinator the follower sees leading
//!    (`NotLeader`);
//! 3. the job is not older than the newest that leader has named
//!    (`StaleJob`: a job it has moved past);
//! 4. for a job it was already shown, the header is that header with
//!    another nonce at most (`OtherHeader`: a leader cannot have one job
//!    confirmed for two different blocks);
//! 5. the follower hashes the header itself: it must meet the zero bits
//!    claimed, and its `bits` field must be the target of those zero bits,
//!    which the chain service checks against its own difficulty
//!    (`BadWork`).
//!
//! So a yes is never given for a header the follower has not hashed, nor
//! to a leader it does not follow, nor for a job that leader has left.

use protocol::header::{HEADER_LEN, NONCE_OFFSET, sha256d};
use protocol::wire::{Vote, VoteRequest};
use protocol::{Epoch, JobRef};

/// What a follower keeps to check vote requests.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// The newest job the leader has named.
    known: Option<JobRef>,
    /// The header (nonce zeroed) first shown for a job.
    shown: Option<(JobRef, [u8; HEADER_LEN])>,
}

impl Checker {
    /// The leader named `job` (in a heartbeat).
    pub fn heard_job(&mut self, job: JobRef) {
        self.known = self.known.max(Some(job));
    }

    /// The newest job known.
    #[cfg(test)]
    pub fn known(&self) -> Option<JobRef> {
        self.known
    }

    /// Checks `req`, from a sender that is (`sender_leads`) or is not the
    /// coordinator this node sees leading, when the newest epoch it has
    /// seen is `max_epoch`.
    pub fn check(&mut self, req: &VoteRequest, sender_leads: bool, max_epoch: Epoch) -> Vote {
        if req.job.epoch < max_epoch {
            return Vote::StaleJob;
        }
        if !sender_leads {
            return Vote::NotLeader;
        }
        if self.known.is_some_and(|k| req.job < k) {
            return Vote::StaleJob;
        }
        self.known = Some(req.job);
        let mut bare = req.header.0;
        bare[NONCE_OFFSET..].fill(0);
        match &self.shown {
            Some((job, header)) if *job == req.job => {
                if *header != bare {
                    return Vote::OtherHeader;
                }
            }
            _ => self.shown = Some((req.job, bare)),
        }
        let bits = req.header.header().bits;
        let meets = sha256d(&req.header.0).meets(req.zero_bits);
        if meets && bits == chain::rules::compact_bits(req.zero_bits) {
            Vote::Yes
        } else {
            Vote::BadWork
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::vectors::GENESIS;
    use protocol::wire::HeaderBytes;
    use protocol::{BlockHeader, JobId};

    use super::*;

    fn job(epoch: u32, job: u32) -> JobRef {
        JobRef {
            epoch: Epoch(epoch),
            job: JobId(job),
        }
    }

    /// Bitcoin's genesis block, with `bits` made the target of 32 zero
    /// bits (which its hash has).
    fn solved() -> BlockHeader {
        let mut h = GENESIS.header();
        h.bits = chain::rules::compact_bits(32);
        h
    }

    fn request(j: JobRef, header: BlockHeader, zero_bits: u8) -> VoteRequest {
        VoteRequest {
            job: j,
            header: HeaderBytes::from(header),
            zero_bits,
        }
    }

    /// A header of 32 zero bits: Bitcoin's genesis scanned for its nonce
    /// with the bits field changed is not one, so search a small one.
    fn mined(zero_bits: u8) -> BlockHeader {
        let mut h = solved();
        h.bits = chain::rules::compact_bits(zero_bits);
        let job = protocol::kernel::ScanJob::new(&h.with_nonce(0).to_bytes());
        let out =
            protocol::kernel::Kernel::portable().scan(&job, protocol::NonceRange::FULL, zero_bits);
        h.with_nonce(out.found.unwrap())
    }

    #[test]
    fn an_honest_solution_gets_a_yes_and_a_forged_one_does_not() {
        let mut c = Checker::default();
        let h = mined(8);
        assert_eq!(
            c.check(&request(job(1, 1), h, 8), true, Epoch(1)),
            Vote::Yes
        );
        // The same header claimed at more zero bits than it has, or with a
        // bits field that is not the target of the zero bits claimed.
        assert_eq!(
            c.check(&request(job(1, 2), h, 30), true, Epoch(1)),
            Vote::BadWork
        );
        let mut low = h;
        low.bits = chain::rules::compact_bits(4);
        assert_eq!(
            c.check(&request(job(1, 3), low, 4), true, Epoch(1)),
            Vote::BadWork
        );
    }

    #[test]
    fn stale_leaders_jobs_and_headers_get_a_no() {
        let mut c = Checker::default();
        let h = mined(8);
        c.heard_job(job(2, 5));
        assert_eq!(
            c.check(&request(job(1, 9), h, 8), true, Epoch(2)),
            Vote::StaleJob
        );
        assert_eq!(
            c.check(&request(job(2, 5), h, 8), false, Epoch(2)),
            Vote::NotLeader
        );
        assert_eq!(
            c.check(&request(job(2, 4), h, 8), true, Epoch(2)),
            Vote::StaleJob
        );
        assert_eq!(
            c.check(&request(job(2, 5), h, 8), true, Epoch(2)),
            Vote::Yes
        );
        // Another nonce of the same job is another solution of it...
        let other_nonce = mined(8).with_nonce(h.nonce ^ 1);
        assert_eq!(
            c.check(&request(job(2, 5), other_nonce, 8), true, Epoch(2)),
            Vote::BadWork
        );
        // ...but another header for the same job is refused, even with work.
        let mut moved = h;
        moved.time += 1;
        assert_eq!(
            c.check(&request(job(2, 5), moved, 0), true, Epoch(2)),
            Vote::OtherHeader
        );
        // A newer job (not yet named in a heartbeat) is learned from the request.
        assert_eq!(
            c.check(&request(job(2, 6), h, 8), true, Epoch(2)),
            Vote::Yes
        );
        assert_eq!(c.known(), Some(job(2, 6)));
    }
}
