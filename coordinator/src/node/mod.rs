//! The coordinator node as a sans-IO state machine: heartbeats, lowest-id
//! leadership with epochs, and, while leading, jobs, leases, answers,
//! interrupts and block submission.
//!
//! # Driving it
//!
//! The driver (`crate::driver`) owns the UDP socket, the clocks, the frame
//! sealer/opener and an HTTP client for the chain service. It calls:
//!
//! 1. [`Node::handle_message`] for every frame the opener accepted;
//! 2. [`Node::handle_timeout`] whenever the clock reaches
//!    [`Node::poll_timeout`];
//! 3. [`Node::handle_chain`] with the reply to each [`ChainCall`] it
//!    performed (calls run concurrently; replies may come in any order;
//!    `chain_io/`);
//! 4. after each `handle_*`: [`Node::poll_transmit`], [`Node::poll_chain`]
//!    and [`Node::poll_event`] until each returns `None`.
//!
//! Every `handle_*` takes [`Now`]: the monotonic instant and the wall-clock
//! seconds (header timestamps need the latter). Nothing here blocks or does
//! IO, so tests drive it with a hand-advanced clock.

mod best;
mod chain_io;
mod coverage;
mod election;
mod handle;
mod job;
mod leading;
mod membership;
mod miners;
mod ops;
mod quorum;
mod status;
mod vote;

use chain::ledger::Address;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::timing::{self, Timing};
use protocol::wire::{LeaderView, Message};
use protocol::{CoordinatorId, Epoch, Hash256, Instant, JobId, JobRef, MinerId, NonceRange};

pub use best::{BestStatus, BestSummary, IntervalBest};
pub use chain_io::{Backoff, ChainCall, ChainError, ChainReply, Pending, Submitted, Template, Tip};
pub use coverage::{Coverage, CoverageCounts};
pub use job::{Job, Lease, NoVerdict, YesVerdict, min_best_bits};
pub use membership::Membership;
pub use miners::{MinerBook, MinerSummary};
pub use quorum::{Quorum, QuorumStatus};
pub use status::{NodeStats, NodeStatus};
pub use vote::{Decision, VoteSummary};

/// A moment, on both clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for every timer.
    pub mono: Instant,
    /// Seconds since the Unix epoch, for header timestamps.
    pub unix: u64,
}

/// Tunables of a coordinator node. (A miner's are
/// `protocol::miner::MinerConfig`; a board's network settings,
/// `miner_driver::CoordinatorConfig`.)
#[derive(Clone, Debug)]
pub struct CoordinatorConfig {
    /// This node's id.
    pub id: CoordinatorId,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// A peer is down after this many missed intervals.
    pub down_after: u32,
    /// The nonces of every job.
    pub nonce_range: NonceRange,
    /// Lease size for a miner whose rate is not known yet.
    pub chunk_default: u64,
    /// A lease should take a miner about this long.
    pub chunk_target: Duration,
    /// Failed claims after which a miner is ignored.
    pub ban_after: u32,
    /// Slack, in bits, of the evidence check on `ProcessAnswerNo`.
    pub evidence_slack: u32,
    /// How often the leader polls the chain tip (`with_heartbeat` derives
    /// it from the heartbeat: `protocol::timing`).
    pub tip_poll: Duration,
    /// Retry delays while the chain service is down.
    pub chain_retry_min: Duration,
    /// Longest retry delay.
    pub chain_retry_max: Duration,
    /// What a leader waits for before it mines (`quorum.rs`).
    pub quorum: Quorum,
    /// Whether solutions are put to a vote of the coordinators up
    /// (`vote/`); off, the leader's own check decides.
    pub votes: bool,
    /// The address this node's blocks pay their reward to: it names it
    /// when it asks for a template.
    pub payout: Address,
    /// The address this node gives others for itself (`--advertise`): its
    /// IP replaces a loopback address of a peer on this machine when a
    /// miner elsewhere asks where the leader is.
    pub advertise: Option<SocketAddr>,
}

impl CoordinatorConfig {
    /// The defaults of the original design: 5 s heartbeats, the nonce range
    /// 1..=2,000,000,000 in chunks of 100,000 until rates are known.
    pub fn new(id: CoordinatorId) -> CoordinatorConfig {
        CoordinatorConfig::with_heartbeat(id, timing::DEFAULT_HEARTBEAT)
    }

    /// The defaults, with heartbeats every `heartbeat` and the timers the
    /// protocol derives from it.
    pub fn with_heartbeat(id: CoordinatorId, heartbeat: Duration) -> CoordinatorConfig {
        CoordinatorConfig {
            id,
            heartbeat,
            down_after: 2,
            nonce_range: NonceRange::new(1, 2_000_000_000).unwrap_or(NonceRange::FULL),
            chunk_default: 100_000,
            chunk_target: Duration::from_secs(2),
            ban_after: 3,
            evidence_slack: 5,
            tip_poll: Timing::new(heartbeat).tip_poll(),
            chain_retry_min: Duration::from_millis(250),
            chain_retry_max: Duration::from_secs(5),
            quorum: Quorum::default(),
            votes: true,
            payout: Address::default(),
            advertise: None,
        }
    }

    /// How long a peer may be silent before it is down.
    pub fn peer_timeout(&self) -> Duration {
        Timing::new(self.heartbeat).peer_timeout(self.down_after)
    }

    /// The last part of a peer's time-out in which it is probed before it
    /// is declared down (see [`Timing::peer_probe_window`]).
    pub fn probe_window(&self) -> Duration {
        Timing::new(self.heartbeat).peer_probe_window(self.down_after)
    }

    /// How often a suspected peer is probed.
    pub fn probe_every(&self) -> Duration {
        Timing::new(self.heartbeat).peer_probe_every(self.down_after)
    }

    /// How soon an unacknowledged interrupt or lease is sent again (see
    /// [`Timing::resend_after`]).
    pub fn resend_after(&self) -> Duration {
        Timing::new(self.heartbeat).resend_after()
    }

    /// How long a miner may be silent before it is forgotten.
    pub fn miner_timeout(&self) -> Duration {
        Timing::new(self.heartbeat).miner_timeout(self.down_after)
    }
}

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

/// What the leader is doing.
#[derive(Clone, Debug)]
enum Work {
    /// Not leading.
    Idle,
    /// Waiting for a template.
    NeedTemplate { next_try: Instant, call: Pending },
    /// Holding a template until the quorum is reached, and polling the
    /// tip meanwhile.
    Waiting {
        template: Template,
        tip_call: Pending,
    },
    /// Handing out leases, and polling the tip.
    Mining { job: Box<Job>, tip_call: Pending },
    /// Holding a verified solution while the peers vote on it.
    Voting { ballot: Box<vote::Ballot> },
    /// Holding a solution until the chain service takes it.
    Submitting {
        job: Box<Job>,
        nonce: u32,
        miner: MinerId,
        /// The coordinators that confirmed it (the vote's yes).
        confirmed_by: Vec<CoordinatorId>,
        next_try: Instant,
        call: Pending,
    },
}

/// The coordinator node. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Node {
    cfg: CoordinatorConfig,
    members: Membership,
    miners: MinerBook,
    /// `Some(epoch)` while leading.
    leading: Option<Epoch>,
    work: Work,
    next_job: JobId,
    /// The newest job this node closed (solved, stale, exhausted).
    last_closed: Option<JobRef>,
    /// Time of the last job's header, so a new job gets a new timestamp.
    last_time: Option<(Hash256, u32)>,
    next_heartbeat: Instant,
    next_tip: Instant,
    /// When leadership could next change with no message (grace end, a
    /// peer timing out), as of the last input.
    membership_change: Option<Instant>,
    /// When a suspected peer is next due a probe.
    next_probe: Option<Instant>,
    chain: chain_io::ChainState,
    /// The quorum as last evaluated.
    quorum: QuorumStatus,
    /// What this node, leading, last said it waits for (`None`: nothing).
    quorum_said: Option<String>,
    /// A follower's knowledge for checking vote requests.
    checker: vote::Checker,
    /// The best hashes seen.
    best: best::BestBook,
    outbox: VecDeque<Outgoing>,
    calls: VecDeque<ChainCall>,
    events: VecDeque<NodeEvent>,
    stats: NodeStats,
}

impl Node {
    /// A node started at `now`. It waits one heartbeat interval before it
    /// may claim leadership, to learn its peers and their epoch first.
    pub fn new(cfg: CoordinatorConfig, now: Now) -> Node {
        let mut members = Membership::new(cfg.id, cfg.peer_timeout(), now.mono, cfg.heartbeat);
        members.set_probing(cfg.probe_window(), cfg.probe_every());
        Node {
            members,
            miners: MinerBook::default(),
            leading: None,
            work: Work::Idle,
            next_job: JobId(1),
            last_closed: None,
            last_time: None,
            next_heartbeat: now.mono,
            next_tip: now.mono,
            membership_change: None,
            next_probe: None,
            chain: chain_io::ChainState::new(cfg.chain_retry_min, cfg.chain_retry_max),
            quorum: QuorumStatus::default(),
            quorum_said: None,
            checker: vote::Checker::default(),
            best: best::BestBook::default(),
            outbox: VecDeque::new(),
            calls: VecDeque::new(),
            events: VecDeque::new(),
            stats: NodeStats::default(),
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CoordinatorConfig {
        &self.cfg
    }

    /// Adds a peer coordinator (from the command line or the registry).
    pub fn add_peer(&mut self, id: CoordinatorId, addr: SocketAddr) {
        self.members.add_peer(id, addr);
    }

    /// Whether this node leads.
    pub fn is_leader(&self) -> bool {
        self.leading.is_some()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.outbox.pop_front()
    }

    /// The next chain-service call to perform.
    pub fn poll_chain(&mut self) -> Option<ChainCall> {
        self.calls.pop_front()
    }

    /// The next event to log.
    pub fn poll_event(&mut self) -> Option<NodeEvent> {
        self.events.pop_front()
    }

    /// When [`Node::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Instant {
        let mut t = self.next_heartbeat;
        let mut at = |x: Instant| t = t.min(x);
        if let Some(c) = self.membership_change {
            at(c);
        }
        if let Some(p) = self.next_probe {
            at(p);
        }
        if self.leading.is_some()
            && let Some(i) = self.miners.next_interrupt()
        {
            at(i);
        }
        match &self.work {
            Work::Idle => {}
            Work::NeedTemplate { next_try, call } | Work::Submitting { next_try, call, .. } => {
                if call.is_idle() {
                    at(*next_try);
                }
            }
            Work::Mining { job, tip_call } => {
                if tip_call.is_idle() {
                    at(self.next_tip);
                }
                if let Some(e) = job.next_expiry() {
                    at(e);
                }
            }
            Work::Waiting { tip_call, .. } => {
                if tip_call.is_idle() {
                    at(self.next_tip);
                }
            }
            Work::Voting { ballot } => at(ballot.next_timer()),
        }
        t
    }

    /// The leadership view this node reports.
    fn view(&self, now: Instant) -> LeaderView {
        LeaderView {
            epoch: self.leading.unwrap_or(self.members.max_epoch()),
            leader: if self.leading.is_some() {
                Some(self.cfg.id)
            } else {
                self.members.leader(now)
            },
        }
    }

    /// The current job, while mining.
    fn current_job(&self) -> Option<&Job> {
        match &self.work {
            Work::Mining { job, .. } => Some(job),
            _ => None,
        }
    }

    fn send(&mut self, to: SocketAddr, message: Message) {
        self.stats.sent += 1;
        self.outbox.push_back(Outgoing { to, message });
    }

    fn event(&mut self, e: NodeEvent) {
        self.events.push_back(e);
    }
}

#[cfg(test)]
mod tests;
