//! What a node hands its driver besides chain calls: the datagrams to send
//! and the events worth a log line. Apart from the state machine because
//! the driver, the demo and the tests all read these types, not the node.

use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::Message;
use protocol::{CoordinatorId, Epoch, Hash256, JobRef, MinerId, NonceRange};

use super::Decision;

/// A message to seal and send to a socket address. (A miner's outgoing
/// message is `protocol::miner::Transmit`, addressed by `Dest`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// Destination.
    pub to: SocketAddr,
    /// The message.
    pub message: Message,
}

/// Something worth a log line or a progress update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// This node now leads.
    BecameLeader {
        /// Its epoch.
        epoch: Epoch,
    },
    /// This node stopped leading.
    SteppedDown {
        /// Who leads now, as far as it knows.
        leader: Option<CoordinatorId>,
    },
    /// A job started.
    JobStarted {
        /// The job.
        job: JobRef,
        /// Height mined.
        height: u64,
        /// Header time.
        time: u32,
        /// Required zero bits.
        zero_bits: u8,
    },
    /// A job's whole range was scanned without a solution.
    JobExhausted {
        /// The job.
        job: JobRef,
    },
    /// The chain tip moved under a job.
    JobStale {
        /// The job.
        job: JobRef,
    },
    /// A verified solution.
    SolutionFound {
        /// Its job.
        job: JobRef,
        /// Who found it.
        miner: MinerId,
        /// The nonce.
        nonce: u32,
        /// The block hash.
        hash: Hash256,
    },
    /// The chain service accepted a block.
    BlockAccepted {
        /// Height.
        height: u64,
        /// Hash.
        hash: Hash256,
        /// Who found it.
        miner: MinerId,
    },
    /// The chain service already had a block at that height.
    BlockStale {
        /// What it said.
        reason: String,
    },
    /// The chain service refused a block.
    BlockRejected {
        /// What it said.
        reason: String,
    },
    /// The chain service stopped answering.
    ChainDown {
        /// The error.
        error: String,
    },
    /// The chain service answers again.
    ChainUp {
        /// How long it was down.
        after: Duration,
    },
    /// A miner was banned for failed claims.
    MinerBanned {
        /// The miner.
        miner: MinerId,
        /// Its failed claims.
        claims: u32,
        /// What its last failed claim was.
        reason: &'static str,
    },
    /// Two coordinators claim to lead the same epoch (two nodes with one
    /// id, or a split that healed): work from both is mixed up until one
    /// steps down.
    TwoLeaders {
        /// The epoch.
        epoch: Epoch,
        /// Who claim it, the lower id first.
        leaders: [CoordinatorId; 2],
    },
    /// A lease expired unanswered.
    LeaseExpired {
        /// Its holder.
        miner: MinerId,
        /// The range.
        range: NonceRange,
    },
    /// The leader waits for its quorum (and starts or leases nothing).
    QuorumWaiting {
        /// What is missing, in words.
        waiting_for: String,
    },
    /// The leader's quorum is reached.
    QuorumMet {
        /// Miners registered.
        miners: u32,
        /// Coordinators up.
        coordinators: u16,
    },
    /// A verified solution was put to the peers' vote.
    VoteStarted {
        /// Its job.
        job: JobRef,
        /// The nonce.
        nonce: u32,
        /// The peers asked.
        asked: Vec<CoordinatorId>,
    },
    /// The vote on a solution ended.
    VoteDecided {
        /// Its job.
        job: JobRef,
        /// The nonce.
        nonce: u32,
        /// Who found it.
        miner: MinerId,
        /// What it decided.
        decision: Decision,
        /// Who said yes, the leader included.
        yes: Vec<CoordinatorId>,
        /// Who said no, and why.
        no: Vec<(CoordinatorId, protocol::wire::Vote)>,
        /// Who had not answered when the vote closed (empty when it was
        /// decided before).
        absent: Vec<CoordinatorId>,
        /// From the verified solution to the decision: what the vote added
        /// before the submission.
        took: Duration,
    },
    /// This node answered a leader's vote request.
    VoteCast {
        /// The leader.
        leader: CoordinatorId,
        /// The job.
        job: JobRef,
        /// The nonce.
        nonce: u32,
        /// Its answer.
        vote: protocol::wire::Vote,
    },
}
