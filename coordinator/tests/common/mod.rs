//! Shared by the cluster tests: an in-process chain service on a real
//! SQLite file, coordinators and simulated miners on loopback UDP, and
//! polling helpers (tests wait for outcomes, never for fixed times).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coordinator::chain_http::HttpChain;
use coordinator::driver::local::{LocalCluster, start_local};
use coordinator::driver::transport::ChaosConfig;
use coordinator::mining::select;
use coordinator::node::CoordinatorConfig;
use coordinator::sim::{self, Fleet, RunningFleet};
use protocol::ClusterKey;
use protocol::kernel::Kernel;
use tokio::net::TcpListener;
use tokio::sync::watch;
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

pub use coordinator::driver::local::LocalNode as Coord;

pub struct ClusterOpts {
    pub heartbeat: Duration,
    pub chaos: Option<ChaosConfig>,
}

impl Default for ClusterOpts {
    fn default() -> Self {
        ClusterOpts {
            heartbeat: Duration::from_millis(100),
            chaos: None,
        }
    }
}

/// `n` coordinators on loopback, each knowing all the others, with short
/// timings.
pub async fn start_coordinators(n: u16, chain_url: &str, opts: &ClusterOpts) -> Vec<Coord> {
    let cluster = LocalCluster {
        coordinators: n,
        key: KEY,
        chaos: opts.chaos,
        events: None,
    };
    let chain = Arc::new(HttpChain::new(chain_url).unwrap());
    let heartbeat = opts.heartbeat;
    start_local(&cluster, chain, |id| CoordinatorConfig {
        chunk_target: Duration::from_millis(300),
        chain_retry_min: Duration::from_millis(50),
        chain_retry_max: Duration::from_millis(500),
        ..CoordinatorConfig::with_heartbeat(id, heartbeat)
    })
    .await
    .unwrap()
}

/// `n` simulated miners, one thread each, portable kernel.
pub async fn start_miners(n: u32, coordinators: &[SocketAddr], opts: &ClusterOpts) -> RunningFleet {
    let kernel = Kernel::portable();
    sim::start(Fleet {
        miners: n,
        threads: 1,
        first_id: 100,
        kernel,
        kernel_rate: select::sustained_rate(kernel, Duration::from_millis(20)) as u32,
        key: KEY,
        coordinators: coordinators.to_vec(),
        registry: None,
        heartbeat: opts.heartbeat,
        chaos: opts.chaos,
        reach: Default::default(),
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
        if let Ok(tip) = client.tip().await
            && tip.height >= height
        {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "chain did not reach height {height} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
