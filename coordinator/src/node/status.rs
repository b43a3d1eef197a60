//! A serializable snapshot of a node, for the status endpoint, the demo's
//! progress display and the tests.

use serde::Serialize;

use protocol::wire::ChainHealth;
use protocol::{CoordinatorId, Instant};

use super::{BestStatus, CoverageCounts, MinerSummary, Node, QuorumStatus, VoteSummary, Work};

/// Counters since start.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeStats {
    /// Messages handled.
    pub received: u64,
    /// Statuses (`HeartbeatReply`) handled from miners, work requests
    /// included.
    pub miner_heartbeats: u64,
    /// Messages queued for sending.
    pub sent: u64,
    /// Jobs started.
    pub jobs: u64,
    /// Leases issued.
    pub leases: u64,
    /// `Process` messages sent again to a miner whose request showed it
    /// did not hold them.
    pub leases_resent: u64,
    /// Leases that expired unanswered.
    pub leases_expired: u64,
    /// Ranges answered and verified.
    pub ranges_scanned: u64,
    /// Verified solutions.
    pub solutions: u64,
    /// Blocks the chain service accepted.
    pub blocks: u64,
    /// Blocks that lost the race for their height.
    pub blocks_stale: u64,
    /// Blocks the chain service refused.
    pub blocks_rejected: u64,
    /// Interrupts sent.
    pub interrupts: u64,
    /// Interrupts sent again, unacknowledged.
    pub interrupts_resent: u64,
    /// Answers for jobs or leases no longer current.
    pub stale_answers: u64,
    /// Answers whose checks failed.
    pub failed_claims: u64,
    /// Messages from banned miners, ignored.
    pub ignored_banned: u64,
    /// Messages of a kind this node never expects.
    pub unexpected: u64,
    /// Failed chain calls.
    pub chain_failures: u64,
    /// Probes sent to peers suspected of being down.
    pub peer_probes: u64,
    /// Breaches of the accounting invariants (always zero, or a bug).
    pub invariant_violations: u64,
    /// The last breach, described.
    pub last_violation: Option<String>,
    /// When the last solution was verified (monotonic ms).
    #[serde(skip)]
    pub last_solution_at: Option<Instant>,
    /// Solutions put to a vote of the peers.
    pub votes: u64,
    /// Votes a majority said no to: the solution was dropped.
    pub votes_rejected: u64,
    /// Votes with no majority either way: the solution was dropped.
    pub votes_undecided: u64,
    /// Peers counted absent, silent when a vote closed.
    pub votes_absent: u64,
    /// Vote requests sent again to a silent peer.
    pub vote_requests_resent: u64,
    /// Vote answers for no vote in progress, or repeated.
    pub late_votes: u64,
    /// Vote requests this node answered yes (as a follower).
    pub votes_cast_yes: u64,
    /// Vote requests this node answered no.
    pub votes_cast_no: u64,
    /// How long the last vote took, from the verified solution to its
    /// decision (ms).
    pub vote_ms_last: Option<u64>,
    /// The longest vote (ms).
    pub vote_ms_max: u64,
}

/// The current job, summarized.
#[derive(Clone, Debug, Serialize)]
pub struct JobSummary {
    /// `epoch/job`.
    pub job: String,
    /// Height mined.
    pub height: u64,
    /// Required zero bits.
    pub zero_bits: u8,
    /// Header time.
    pub time: u32,
    /// Nonce accounting.
    pub coverage: CoverageCounts,
    /// Outstanding leases.
    pub leases: usize,
    /// Seconds since it started.
    pub age_secs: f64,
}

/// A peer, summarized.
#[derive(Clone, Debug, Serialize)]
pub struct PeerSummary {
    /// Its id.
    pub id: u16,
    /// Its address.
    pub addr: String,
    /// Whether it is up.
    pub up: bool,
    /// Milliseconds since it was heard, if ever.
    pub last_heard_ms: Option<u64>,
}

/// The node at a moment.
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    /// This node.
    pub id: u16,
    /// Who leads, as this node sees it.
    pub leader: Option<u16>,
    /// Whether this node leads.
    pub leading: bool,
    /// Its epoch (when leading) or the highest it has seen.
    pub epoch: u32,
    /// What the leader's work is doing.
    pub work: &'static str,
    /// The current job.
    pub job: Option<JobSummary>,
    /// Peers.
    pub peers: Vec<PeerSummary>,
    /// Miners.
    pub miners: Vec<MinerSummary>,
    /// Sum of miners' reported rates, hashes per second.
    pub total_hashrate: u64,
    /// Whether the chain service answers, as measured by whoever calls it:
    /// this node while it leads (or submits the block it found while it
    /// led), else the leader, from its last heartbeat. `null` when nobody
    /// known has measured it; `chain_source` says why.
    pub chain_up: Option<bool>,
    /// Where `chain_up` comes from: `"this node"` or `"leader N"`, or, when
    /// it is `null`, why.
    pub chain_source: String,
    /// The last error of this node's own chain calls, while down.
    pub chain_error: Option<String>,
    /// The quorum the leader waits for, as this node counts it.
    pub quorum: QuorumStatus,
    /// The vote in progress.
    pub vote: Option<VoteSummary>,
    /// The best hashes miners reported, re-hashed (the leader's).
    pub best: BestStatus,
    /// The best since the last block, in words (`"31 of 32 zero bits, by
    /// m3"`), for the dashboard.
    pub best_so_far: Option<String>,
    /// Counters.
    pub stats: NodeStats,
}

impl Node {
    /// A snapshot at `now`.
    pub fn status(&self, now: Instant) -> NodeStatus {
        let view = self.view(now);
        let job = match &self.work {
            Work::Mining { job, .. } => Some(&**job),
            Work::Voting { ballot } => Some(&*ballot.job),
            Work::Submitting { job, .. } => Some(&**job),
            _ => None,
        };
        let work = match &self.work {
            Work::Idle => "following",
            Work::Done => "done: last height mined",
            Work::NeedTemplate { .. } => "fetching template",
            Work::Waiting { .. } => "waiting for quorum",
            Work::Mining { .. } if !self.quorum.met => "mining, leases paused for quorum",
            Work::Mining { .. } => "mining",
            Work::Voting { .. } => "voting on solution",
            Work::Submitting { .. } => "submitting block",
        };
        let current = self.current_job();
        let (chain_up, chain_source) = self.chain_view(view.leader);
        let best = self.best.status();
        NodeStatus {
            id: self.cfg.id.0,
            leader: view.leader.map(|l| l.0),
            leading: self.leading.is_some(),
            epoch: view.epoch.0,
            work,
            job: job.map(|j| JobSummary {
                job: j.job_ref.to_string(),
                height: j.height,
                zero_bits: j.zero_bits,
                time: j.solved_header(0).time,
                coverage: j.coverage().counts(),
                leases: j.lease_count(),
                age_secs: now.saturating_since(j.started).as_secs_f64(),
            }),
            peers: self
                .members
                .peers()
                .map(|(id, p)| PeerSummary {
                    id: id.0,
                    addr: p.addr.to_string(),
                    up: self.members.is_up(id, now),
                    last_heard_ms: p
                        .last_heard
                        .map(|t| now.saturating_since(t).as_millis() as u64),
                })
                .collect(),
            miners: self
                .miners
                .all()
                .map(|(id, e)| MinerSummary {
                    id: id.0,
                    addr: e.addr.to_string(),
                    kind: e.kind.map_or("unknown", |k| k.class()),
                    model: e.kind.map_or("unknown", |k| k.model()),
                    hashrate: e.hashrate,
                    hashrate_avg: e.hashrate_avg.round() as u64,
                    last_heard_ms: now.saturating_since(e.last_heard).as_millis() as u64,
                    state: e.state.to_string(),
                    leases: current.map_or(0, |j| j.leases_of(id)),
                    ranges_done: e.ranges_done,
                    solutions: e.solutions,
                    failed_claims: e.failed_claims,
                    banned: e.banned,
                })
                .collect(),
            total_hashrate: self.miners.total_hashrate(),
            chain_up,
            chain_source,
            chain_error: self.chain.error().map(str::to_owned),
            quorum: self.quorum.clone(),
            vote: self.vote_summary(now),
            best_so_far: best.interval.as_ref().map(|b| b.text.clone()),
            best,
            stats: self.stats.clone(),
        }
    }

    /// `chain_up` and `chain_source` of the status, for a node that sees
    /// `leader` lead.
    fn chain_view(&self, leader: Option<CoordinatorId>) -> (Option<bool>, String) {
        let calls_itself = self.leading.is_some()
            || leader == Some(self.cfg.id)
            || matches!(self.work, Work::Submitting { .. });
        let (health, source) = match leader {
            _ if calls_itself => (self.chain.health(), "this node".to_owned()),
            Some(l) => (self.chain.report_of(l), format!("leader {}", l.0)),
            None => {
                return (
                    None,
                    "unknown: no leader, so nobody calls the chain service".into(),
                );
            }
        };
        match health {
            ChainHealth::Up => (Some(true), source),
            ChainHealth::Down => (Some(false), source),
            ChainHealth::Unknown => (
                None,
                format!("unknown: {source} has not heard from the chain service yet"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use protocol::wire::{HeartbeatRequest, LeaderView, Message};
    use protocol::{Epoch, NodeId};

    use super::*;
    use crate::node::{ChainCall, ChainError, ChainReply, CoordinatorConfig, Now};

    fn at(ms: u64) -> Now {
        Now {
            mono: Instant::from_millis(ms),
            unix: 1_800_000_000,
        }
    }

    const PEER: SocketAddr =
        SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 7411);

    fn node(id: u16) -> Node {
        let cfg = CoordinatorConfig {
            heartbeat: Duration::from_millis(100),
            ..CoordinatorConfig::new(CoordinatorId(id))
        };
        let mut node = Node::new(cfg, at(0));
        node.add_peer(CoordinatorId(if id == 1 { 2 } else { 1 }), PEER);
        node
    }

    fn leader_heartbeat(node: &mut Node, ms: u64, chain: ChainHealth) {
        let hb = HeartbeatRequest {
            view: LeaderView {
                epoch: Epoch(1),
                leader: Some(CoordinatorId(1)),
            },
            job: None,
            chain,
        };
        node.handle_message(
            at(ms),
            PEER,
            NodeId::Coordinator(CoordinatorId(1)),
            Message::HeartbeatRequest(hb),
        );
    }

    fn chain_of(node: &Node, ms: u64) -> (Option<bool>, String) {
        let s = node.status(Instant::from_millis(ms));
        (s.chain_up, s.chain_source)
    }

    #[test]
    fn a_follower_reports_the_leaders_view_of_the_chain_or_null() {
        let mut n = node(2);
        let (up, why) = chain_of(&n, 10);
        assert_eq!(up, None, "nobody leads yet");
        assert!(why.contains("no leader"), "{why}");

        leader_heartbeat(&mut n, 20, ChainHealth::Unknown);
        let (up, why) = chain_of(&n, 20);
        assert_eq!(up, None, "the leader has not heard from it yet");
        assert!(why.contains("leader 1"), "{why}");

        leader_heartbeat(&mut n, 40, ChainHealth::Down);
        assert_eq!(chain_of(&n, 40), (Some(false), "leader 1".into()));
        leader_heartbeat(&mut n, 60, ChainHealth::Up);
        assert_eq!(chain_of(&n, 60), (Some(true), "leader 1".into()));
        // Its own calls: none, so no error of its own either.
        assert_eq!(n.status(Instant::from_millis(60)).chain_error, None);
    }

    #[test]
    fn a_leader_reports_what_its_own_calls_found_and_tells_its_peers() {
        let mut n = node(1);
        n.handle_timeout(at(100));
        assert!(n.is_leader());
        assert_eq!(chain_of(&n, 100).0, None, "no reply yet");
        let Some(ChainCall::Template { seq, .. }) = n.poll_chain() else {
            panic!("a template call")
        };
        let failed = Err(ChainError::Unavailable("connection refused".into()));
        n.handle_chain(
            at(110),
            ChainReply::Template {
                seq,
                result: failed,
            },
        );
        assert_eq!(chain_of(&n, 110), (Some(false), "this node".into()));
        while n.poll_transmit().is_some() {}
        n.handle_timeout(at(200));
        let hb = std::iter::from_fn(|| n.poll_transmit())
            .find_map(|t| match t.message {
                Message::HeartbeatRequest(hb) if t.to == PEER => Some(hb),
                _ => None,
            })
            .expect("a heartbeat to the peer");
        assert_eq!(hb.chain, ChainHealth::Down);
    }
}
