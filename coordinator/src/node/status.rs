//! A serializable snapshot of a node, for the status endpoint, the demo's
//! progress display and the tests.

use serde::Serialize;

use protocol::Instant;

use super::{CoverageCounts, MinerSummary, Node, Work};

/// Counters since start.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeStats {
    /// Messages handled.
    pub received: u64,
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
    /// Whether the chain service answers.
    pub chain_up: bool,
    /// The last chain error, while down.
    pub chain_error: Option<String>,
    /// Counters.
    pub stats: NodeStats,
}

impl Node {
    /// A snapshot at `now`.
    pub fn status(&self, now: Instant) -> NodeStatus {
        let view = self.view(now);
        let job = match &self.work {
            Work::Mining { job, .. } => Some(&**job),
            Work::Submitting { job, .. } => Some(&**job),
            _ => None,
        };
        let work = match &self.work {
            Work::Idle => "following",
            Work::NeedTemplate { .. } => "fetching template",
            Work::Mining { .. } => "mining",
            Work::Submitting { .. } => "submitting block",
        };
        let current = self.current_job();
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
                leases: j.leases().count(),
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
                    hashrate: e.hashrate,
                    state: e.state.to_string(),
                    leases: current.map_or(0, |j| j.leases_of(id)),
                    ranges_done: e.ranges_done,
                    solutions: e.solutions,
                    failed_claims: e.failed_claims,
                    banned: e.banned,
                })
                .collect(),
            total_hashrate: self.miners.total_hashrate(),
            chain_up: !self.chain.is_down(),
            chain_error: self.chain.error().map(str::to_owned),
            stats: self.stats.clone(),
        }
    }
}
