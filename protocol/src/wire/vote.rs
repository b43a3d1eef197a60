//! The vote on a solution, between coordinators: the leader asks every peer
//! that is up to check a solution it has verified ([`VoteRequest`]), and
//! each answers with what its own check found ([`VoteReply`]). Miners never
//! see either message.
//!
//! What a follower checks, and so what a yes means, is in
//! `docs/wire-format.md` ("The vote"): a follower says yes only to a header
//! it has hashed itself, for the job it knows of the leader it follows.

use serde::{Deserialize, Serialize};

use super::HeaderBytes;
use crate::ids::JobRef;

/// Leader to each peer coordinator that is up: a miner's solution, which
/// the leader has re-hashed, for the peer to check before it is submitted.
/// Sent again (the same bytes) until the peer answers or the vote ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VoteRequest {
    /// The job the solution is for.
    pub job: JobRef,
    /// The solved header, nonce included: what would be submitted.
    pub header: HeaderBytes,
    /// The zero bits the job requires.
    pub zero_bits: u8,
}

impl VoteRequest {
    /// The nonce of the solution (the header's nonce field).
    pub fn nonce(&self) -> u32 {
        self.header.header().nonce
    }
}

/// A peer's answer to a [`VoteRequest`]: the same `job` and `nonce`, so the
/// leader can tell which solution it is about, and the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VoteReply {
    /// The request's job.
    pub job: JobRef,
    /// The request's nonce.
    pub nonce: u32,
    /// What the peer's check found.
    pub vote: Vote,
}

/// A peer's verdict on a solution: yes, or why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Vote {
    /// The header hashes to at least the zero bits required, its `bits`
    /// field is the target for them, and it is the job's header.
    Yes,
    /// The header's hash lacks the zero bits, or its `bits` field is not
    /// the target for the zero bits claimed: the solution is no solution.
    BadWork,
    /// The request is for an epoch or a job older than one the peer has
    /// seen: the sender no longer leads, or the job is over.
    StaleJob,
    /// The header differs from the one the peer was first shown for this
    /// job, in a field other than the nonce.
    OtherHeader,
    /// The sender is not the coordinator the peer sees leading.
    NotLeader,
}

impl Vote {
    /// Whether the verdict is yes.
    pub fn is_yes(self) -> bool {
        matches!(self, Vote::Yes)
    }

    /// A short name for logs and the status.
    pub fn name(self) -> &'static str {
        match self {
            Vote::Yes => "yes",
            Vote::BadWork => "bad_work",
            Vote::StaleJob => "stale_job",
            Vote::OtherHeader => "other_header",
            Vote::NotLeader => "not_leader",
        }
    }
}
