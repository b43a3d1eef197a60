//! A coordinator node's tunables and the timers derived from its heartbeat:
//! kept apart from the state machine so the settings a driver fills in read
//! on their own, and every timing stays one call into `protocol::timing`.

use chain::ledger::Address;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::timing::{self, Timing};
use protocol::{CoordinatorId, NonceRange};

use super::Quorum;

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
    /// The last height to mine: a leader whose template is above it holds
    /// no job and hands out no work (the demo's `--blocks`), so a run asked
    /// for N blocks commits N however fast the miners are.
    pub last_height: Option<u64>,
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
            last_height: None,
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

    /// How often the leader heartbeats the next slice of its miners (see
    /// [`Timing::miner_beat_every`]).
    pub fn miner_beat_every(&self) -> Duration {
        Timing::new(self.heartbeat).miner_beat_every()
    }

    /// How long a miner may be silent before it is forgotten.
    pub fn miner_timeout(&self) -> Duration {
        Timing::new(self.heartbeat).miner_timeout(self.down_after)
    }
}
