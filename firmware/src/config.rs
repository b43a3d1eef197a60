//! Build-time settings (from the environment, checked by build.rs) and the
//! firmware's tuning constants.

use core::time::Duration;

use protocol::miner::MinerConfig;
use protocol::timing::DEFAULT_HEARTBEAT;
use protocol::wire::{MinerKind, WireAddr};
use protocol::{ClusterKey, MinerId};

include!(concat!(env!("OUT_DIR"), "/config.rs"));

/// Target length of one scan step: an interrupt from the leader is obeyed
/// when the step in flight ends, so within about this long.
pub const STEP: Duration = Duration::from_millis(5);

/// Nonces a worker scans between two yields. On core 0 the scan worker
/// shares the executor with the network: this bounds how long it holds it
/// (about a millisecond with the board's kernel: `armv6m` at about 20,000
/// nonces per second, `armv8m` at about 42,000; see the README).
#[cfg(chip = "rp2040")]
pub const CHUNK: u32 = 20;
#[cfg(chip = "rp2350")]
pub const CHUNK: u32 = 40;

/// Nonces the SHA-256 accelerator's worker scans between two yields: it
/// is alone on core 1, so a few milliseconds.
#[cfg(chip = "rp2350")]
pub const ACCEL_CHUNK: u64 = 1024;

/// Hash rate of the whole board assumed before the first step is measured
/// (README, "Boards": the kernel on both cores of the RP2040; the
/// accelerator and the kernel on the RP2350, less what the network takes).
#[cfg(chip = "rp2040")]
const INITIAL_HASHRATE: u32 = 38_000;
/// What the board tells the coordinators it is.
#[cfg(chip = "rp2040")]
const KIND: MinerKind = MinerKind::RP2040;
#[cfg(chip = "rp2350")]
const KIND: MinerKind = MinerKind::RP2350;
#[cfg(chip = "rp2350")]
const INITIAL_HASHRATE: u32 = 330_000;

/// The coordinators named by `COORDINATORS`, as the protocol writes them.
static COORDINATOR_ADDRS: [WireAddr; COORDINATORS.len()] = {
    let mut out = [WireAddr::V4([0; 4], 0); COORDINATORS.len()];
    let mut i = 0;
    while i < COORDINATORS.len() {
        out[i] = WireAddr::V4(COORDINATORS[i].0, COORDINATORS[i].1);
        i += 1;
    }
    out
};

/// The coordinators to contact; empty means LAN broadcast discovery.
pub fn coordinators() -> &'static [WireAddr] {
    &COORDINATOR_ADDRS
}

/// The cluster key from `CLUSTER_KEY`.
pub fn cluster_key() -> ClusterKey {
    ClusterKey::from_bytes(CLUSTER_KEY)
}

/// The state machine's settings for this board, for coordinators run with
/// the default heartbeat interval (`--heartbeat-ms 5000`).
pub fn miner_config(id: MinerId) -> MinerConfig {
    MinerConfig {
        step: STEP,
        initial_hashrate: INITIAL_HASHRATE,
        kind: KIND,
        ..MinerConfig::with_heartbeat(id, DEFAULT_HEARTBEAT)
    }
}
