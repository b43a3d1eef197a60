//! Shared by the cluster tests: an in-process chain service on a real
//! SQLite file, coordinators and simulated miners on loopback UDP, and
//! polling helpers (tests wait for outcomes, never for fixed times).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coordinator::chain_http::HttpChain;
use coordinator::driver::transport::ChaosConfig;
use coordinator::driver::{CoordinatorStatus, NodeDeps, TimedEvent, run_node};
use coordinator::mining::select;
use coordinator::node::NodeConfig;
use coordinator::sim::{self, Fleet, RunningFleet};
use protocol::kernel::Kernel;
use protocol::{ClusterKey, CoordinatorId};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub const KEY: ClusterKey = ClusterKey::from_bytes([0x42; 32]);

/// A chain service in this process.
pub struct Chain {
    pub url: String,
    pub dir: tempfile::TempDir,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Chain {
    pub async fn start(zero_bits: u8) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let store =
            chain::SqliteStore::open(&dir.path().join("chain.db"), Some(zero_bits)).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", tcp.local_addr().unwrap());
        let (stop, mut rx) = watch::channel(false);
        let task = tokio::spawn(chain::serve(
            tcp,
            Arc::new(store),
            chain::ServiceConfig::default(),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        ));
        Chain {
            url,
            dir,
            stop,
            task,
        }
    }

    pub fn client(&self) -> chain::ChainClient {
        chain::ChainClient::new(&self.url).unwrap()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Every block from genesis: linked, hashed right, meeting the difficulty.
pub async fn verify_chain(client: &chain::ChainClient, zero_bits: u8) -> u64 {
    let blocks = client.blocks(0, 1000).await.unwrap();
    for pair in blocks.windows(2) {
        let (prev, b) = (&pair[0], &pair[1]);
        assert_eq!(b.height, prev.height + 1);
        assert_eq!(
            b.header.prev_hash, prev.hash,
            "block {} does not link",
            b.height
        );
        assert_eq!(b.header.hash(), b.hash, "block {} hash", b.height);
        assert!(
            b.hash.zero_bits() >= u32::from(zero_bits),
            "block {} work",
            b.height
        );
    }
    blocks.last().map_or(0, |b| b.height)
}

/// A coordinator running in this process.
pub struct Coord {
    pub id: u16,
    pub addr: SocketAddr,
    pub status: watch::Receiver<Option<CoordinatorStatus>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<CoordinatorStatus>>,
}

impl Coord {
    pub fn status(&self) -> Option<CoordinatorStatus> {
        self.status.borrow().clone()
    }

    pub async fn stop(self) -> CoordinatorStatus {
        let _ = self.stop.send(true);
        self.task.await.unwrap().unwrap()
    }
}

pub struct ClusterOpts {
    pub heartbeat: Duration,
    pub chaos: Option<ChaosConfig>,
    pub events: Option<mpsc::UnboundedSender<TimedEvent>>,
}

impl Default for ClusterOpts {
    fn default() -> Self {
        ClusterOpts {
            heartbeat: Duration::from_millis(100),
            chaos: None,
            events: None,
        }
    }
}

/// Binds `n` coordinators on loopback, each knowing all the others.
pub async fn start_coordinators(n: u16, chain_url: &str, opts: &ClusterOpts) -> Vec<Coord> {
    let mut sockets = Vec::new();
    for _ in 0..n {
        sockets.push(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    }
    let addrs: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();
    let chain = Arc::new(HttpChain::new(chain_url).unwrap());
    let mut out = Vec::new();
    for (i, socket) in sockets.into_iter().enumerate() {
        let id = i as u16 + 1;
        let (tx, rx) = watch::channel(None);
        let (stop, mut stop_rx) = watch::channel(false);
        let cfg = NodeConfig {
            heartbeat: opts.heartbeat,
            tip_poll: opts.heartbeat,
            chunk_target: Duration::from_millis(300),
            chain_retry_min: Duration::from_millis(50),
            chain_retry_max: Duration::from_millis(500),
            ..NodeConfig::new(CoordinatorId(id))
        };
        let deps = NodeDeps {
            chain: Arc::clone(&chain),
            key: KEY,
            peers: addrs
                .iter()
                .enumerate()
                .map(|(j, a)| (CoordinatorId(j as u16 + 1), *a))
                .collect(),
            registry: None,
            chaos: opts.chaos.map(|c| ChaosConfig {
                seed: c.seed + u64::from(id),
                ..c
            }),
            status: Some(tx),
            events: opts.events.clone(),
        };
        let shutdown = async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        let task = tokio::spawn(run_node(socket, cfg, deps, shutdown));
        out.push(Coord {
            id,
            addr: addrs[i],
            status: rx,
            stop,
            task,
        });
    }
    out
}

/// `n` simulated miners, one thread each, portable kernel.
pub async fn start_miners(n: u32, coordinators: &[SocketAddr], opts: &ClusterOpts) -> RunningFleet {
    let kernel = Kernel::portable();
    sim::start(Fleet {
        miners: n,
        threads: 1,
        first_id: 100,
        kernel,
        kernel_rate: select::measure(kernel, Duration::from_millis(20)) as u32,
        key: KEY,
        coordinators: coordinators.to_vec(),
        registry: None,
        heartbeat: opts.heartbeat,
        chaos: opts.chaos,
    })
    .await
    .unwrap()
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `limit`.
pub async fn wait_for<F: FnMut() -> bool>(limit: Duration, what: &str, mut cond: F) -> Duration {
    let start = Instant::now();
    loop {
        if cond() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The chain's height, polled until it reaches `height`.
pub async fn wait_for_height(client: &chain::ChainClient, height: u64, limit: Duration) {
    let start = Instant::now();
    loop {
        if let Ok(tip) = client.tip().await {
            if tip.height >= height {
                return;
            }
        }
        assert!(
            start.elapsed() < limit,
            "chain did not reach height {height} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
