//! Host-simulated miners: many independent `protocol` miners in one process,
//! each with its own UDP socket.

pub mod lookout;
pub mod miner;
pub mod probe;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use protocol::kernel::Kernel;
use protocol::miner::MinerConfig;
use protocol::{ClusterKey, MinerId};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use miner::{MinerDeps, run_miner};
pub use probe::{MinerProbe, ProbeSnapshot};

use crate::driver::registry::Registry;
use crate::driver::resolve::HostPort;
use crate::driver::transport::ChaosConfig;
use crate::driver::warnings::Warnings;

/// How to run a fleet of simulated miners.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// How many miners.
    pub miners: u32,
    /// Threads per miner.
    pub threads: usize,
    /// Id of the first miner; the others follow.
    pub first_id: u32,
    /// The kernel.
    pub kernel: Kernel,
    /// Its rate on one thread, for the miners' first lease sizes.
    pub kernel_rate: u32,
    /// The cluster key.
    pub key: ClusterKey,
    /// Coordinator addresses.
    pub coordinators: Vec<SocketAddr>,
    /// Registry to find coordinators in.
    pub registry: Option<Registry>,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Fault injection.
    pub chaos: Option<ChaosConfig>,
    /// Names, LAN discovery and warnings.
    pub reach: FleetReach,
}

/// How a fleet finds coordinators beyond the addresses it starts with,
/// and where it says what is wrong.
#[derive(Clone, Debug, Default)]
pub struct FleetReach {
    /// Coordinators given by hostname, looked up again while miners hear
    /// none.
    pub names: Vec<HostPort>,
    /// Where miners broadcast `Discover` while leaderless (empty: never).
    pub broadcast: Vec<SocketAddr>,
    /// Where the fleet's warnings go.
    pub warnings: Arc<Warnings>,
}

/// The miner timing used with a coordinator heartbeat interval.
pub fn miner_config(id: MinerId, heartbeat: Duration, initial_hashrate: u32) -> MinerConfig {
    MinerConfig {
        initial_hashrate: initial_hashrate.max(1),
        ..MinerConfig::with_heartbeat(id, heartbeat)
    }
}

/// A miner that stopped by itself, with the error that stopped it (its
/// scanning threads could not start, its socket failed).
#[derive(Debug, thiserror::Error)]
#[error("miner {miner} stopped: {error}")]
pub struct MinerFailed {
    /// The miner.
    pub miner: MinerId,
    /// Why.
    #[source]
    pub error: std::io::Error,
}

impl From<MinerFailed> for crate::cmd::Failure {
    fn from(f: MinerFailed) -> Self {
        crate::cmd::Failure::Stopped {
            what: format!("miner {}", f.miner),
            source: f.error,
        }
    }
}

/// A running fleet.
#[derive(Debug)]
pub struct RunningFleet {
    /// One probe per miner.
    pub probes: Vec<Arc<MinerProbe>>,
    /// Each miner's UDP address.
    pub addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    failures: mpsc::UnboundedReceiver<MinerFailed>,
}

impl RunningFleet {
    /// Resolves when a miner stops with an error (never, if none does).
    pub async fn failure(&mut self) -> MinerFailed {
        match self.failures.recv().await {
            Some(f) => f,
            None => std::future::pending().await,
        }
    }

    /// Stops every miner and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts the fleet; each miner binds its own socket on the loopback or
/// unspecified address matching the first coordinator's family.
pub async fn start(fleet: Fleet) -> std::io::Result<RunningFleet> {
    let (stop, stop_rx) = watch::channel(false);
    let (failed, failures) = mpsc::unbounded_channel();
    let bind: SocketAddr = match fleet.coordinators.first() {
        Some(a) if a.ip().is_loopback() => SocketAddr::new(a.ip(), 0),
        Some(a) if a.is_ipv6() => "[::]:0".parse().unwrap_or(SocketAddr::from(([0u8; 16], 0))),
        _ => SocketAddr::from(([0, 0, 0, 0], 0)),
    };
    let mut probes = Vec::new();
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    let (found_tx, found) = watch::channel(Vec::new());
    for i in 0..fleet.miners {
        let id = MinerId(fleet.first_id.wrapping_add(i));
        let socket = UdpSocket::bind(bind).await?;
        if !fleet.reach.broadcast.is_empty() {
            socket.set_broadcast(true)?;
        }
        addrs.push(socket.local_addr()?);
        let probe = Arc::new(MinerProbe::new(id));
        let rate = fleet.kernel_rate.saturating_mul(fleet.threads as u32);
        let mut cfg = miner_config(id, fleet.heartbeat, rate);
        cfg.broadcast_discovery = !fleet.reach.broadcast.is_empty();
        let deps = MinerDeps {
            kernel: fleet.kernel,
            threads: fleet.threads,
            key: fleet.key.clone(),
            coordinators: fleet.coordinators.clone(),
            registry: fleet.registry.clone(),
            broadcast: fleet.reach.broadcast.clone(),
            found: Some(found.clone()),
            warnings: Some(Arc::clone(&fleet.reach.warnings)),
            chaos: fleet.chaos.map(|c| ChaosConfig {
                seed: c.seed.wrapping_add(1000 + u64::from(i)),
                ..c
            }),
            probe: Arc::clone(&probe),
        };
        let mut rx = stop_rx.clone();
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let failed = failed.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(error) = run_miner(socket, cfg, deps, shutdown).await {
                tracing::error!(miner = %id, %error, "miner stopped");
                let _ = failed.send(MinerFailed { miner: id, error });
            }
        }));
        probes.push(probe);
    }
    let lookout = lookout::Lookout {
        probes: probes.clone(),
        coordinators: fleet.coordinators.clone(),
        reach: fleet.reach.clone(),
        registry: fleet.registry.clone(),
        heartbeat: fleet.heartbeat,
        found: found_tx,
    };
    tasks.push(tokio::spawn(lookout.run(stop_rx.clone())));
    Ok(RunningFleet {
        probes,
        addrs,
        stop,
        tasks,
        failures,
    })
}
