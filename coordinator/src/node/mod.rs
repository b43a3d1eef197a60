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
mod config;
mod coverage;
mod election;
mod event;
mod handle;
mod job;
mod leading;
mod leases;
mod membership;
mod miners;
mod ops;
mod quorum;
mod status;
mod vote;
mod work;

use std::collections::VecDeque;
use std::net::SocketAddr;

use protocol::wire::{LeaderView, Message};
use protocol::{CoordinatorId, Epoch, Hash256, Instant, JobId, JobRef, MinerId};

pub use best::{BestStatus, BestSummary, IntervalBest};
pub use chain_io::{Backoff, ChainCall, ChainError, ChainReply, Pending, Submitted, Template, Tip};
pub use config::CoordinatorConfig;
pub use coverage::{Coverage, CoverageCounts};
pub use event::{NodeEvent, Outgoing};
pub use job::{Job, Lease, NoVerdict, YesVerdict, min_best_bits};
pub use membership::Membership;
pub use miners::{MinerBook, MinerSummary};
pub use quorum::{Quorum, QuorumStatus};
pub use status::{NodeStats, NodeStatus};
pub use vote::{Decision, VoteSummary};
use work::Work;

/// A moment, on both clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for every timer.
    pub mono: Instant,
    /// Seconds since the Unix epoch, for header timestamps.
    pub unix: u64,
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
    /// When the next slice of miners is due its heartbeat, and the last
    /// miner sent one (`leading.rs`).
    next_miner_beat: Instant,
    beat_cursor: Option<MinerId>,
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
            next_miner_beat: now.mono,
            beat_cursor: None,
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
        if self.leading.is_some() {
            if let Some(i) = self.miners.next_interrupt() {
                at(i);
            }
            if !self.miners.is_empty() {
                at(self.next_miner_beat);
            }
        }
        match &self.work {
            Work::Idle | Work::Done => {}
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
