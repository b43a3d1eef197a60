//! A miner's identity and timing.

use core::time::Duration;

use crate::ids::MinerId;
use crate::timing::{DEFAULT_HEARTBEAT, LEADER_PROBES, Timing};
use crate::wire::MinerKind;

/// Timing and identity of a miner.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MinerConfig {
    /// The miner's id.
    pub id: MinerId,
    /// Heartbeat interval: status to the leader, discovery while leaderless.
    /// It must be the coordinators' interval.
    pub heartbeat: Duration,
    /// A leader silent this long is taken for dead
    /// ([`Timing::leader_timeout`]).
    pub leader_timeout: Duration,
    /// Retry interval for unanswered work requests and solutions
    /// ([`Timing::retry`]).
    pub retry: Duration,
    /// Target duration of one scan step: how quickly an interrupt is obeyed.
    pub step: Duration,
    /// Hash rate assumed before the first measurement, hashes per second.
    pub initial_hashrate: u32,
    /// Whether to broadcast `Discover` on the LAN while leaderless.
    pub broadcast_discovery: bool,
    /// What this miner runs on, told to the coordinators in every status.
    pub kind: MinerKind,
}

impl MinerConfig {
    /// Defaults for a miner with `id` in a cluster with the default
    /// heartbeat interval (5 s): leader dead after 3 missed intervals,
    /// retries every second, 20 ms steps.
    pub fn new(id: MinerId) -> MinerConfig {
        MinerConfig::with_heartbeat(id, DEFAULT_HEARTBEAT)
    }

    /// Defaults for a miner with `id` in a cluster whose coordinators send
    /// heartbeats every `heartbeat`: the leader time-out and the retry pace
    /// follow from it (`protocol::timing`).
    pub fn with_heartbeat(id: MinerId, heartbeat: Duration) -> MinerConfig {
        let timing = Timing::new(heartbeat);
        MinerConfig {
            id,
            heartbeat,
            leader_timeout: timing.leader_timeout(),
            retry: timing.retry(),
            step: Duration::from_millis(20),
            initial_hashrate: 100_000,
            broadcast_discovery: false,
            kind: MinerKind::HOST,
        }
    }

    /// The last part of the leader's time-out in which a silent leader is
    /// probed before it is taken for dead (see
    /// [`Timing::leader_probe_window`]).
    pub fn probe_window(&self) -> Duration {
        Timing::new(self.heartbeat)
            .leader_probe_window()
            .min(self.leader_timeout)
    }

    /// How often a silent leader is probed: [`LEADER_PROBES`] times in the
    /// probe window.
    pub fn probe_every(&self) -> Duration {
        self.probe_window() / LEADER_PROBES
    }
}
