//! Several coordinators in one process, on loopback, each knowing all the
//! others: what the demo runs, and what the cluster tests start.

use std::net::SocketAddr;
use std::sync::Arc;

use protocol::{ClusterKey, CoordinatorId};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::chain::ChainApi;
use super::net::NetConfig;
use super::node::{CoordinatorStatus, NodeDeps, TimedEvent, run_node};
use super::transport::ChaosConfig;
use super::warnings::Warnings;
use crate::node::CoordinatorConfig;

/// One coordinator running as a task.
#[derive(Debug)]
pub struct LocalNode {
    /// Its id.
    pub id: CoordinatorId,
    /// Its UDP address.
    pub addr: SocketAddr,
    /// Its latest status.
    pub status: watch::Receiver<Option<CoordinatorStatus>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<CoordinatorStatus>>,
}

impl LocalNode {
    /// The latest status, once it has published one.
    pub fn status(&self) -> Option<CoordinatorStatus> {
        self.status.borrow().clone()
    }

    /// Stops it; returns its final status.
    pub async fn stop(self) -> std::io::Result<CoordinatorStatus> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

/// Options shared by every node of a local cluster.
#[derive(Clone, Debug)]
pub struct LocalCluster {
    /// Coordinators, ids 1..=n.
    pub coordinators: u16,
    /// The cluster key.
    pub key: ClusterKey,
    /// Fault injection (each node's seed is offset by its id).
    pub chaos: Option<ChaosConfig>,
    /// Where every node publishes its events.
    pub events: Option<mpsc::UnboundedSender<TimedEvent>>,
}

/// Binds every node first, so that each knows all peers, then starts them
/// with the configuration `config(id)` returns.
pub async fn start_local<C: ChainApi>(
    cluster: &LocalCluster,
    chain: Arc<C>,
    config: impl Fn(CoordinatorId) -> CoordinatorConfig,
) -> std::io::Result<Vec<LocalNode>> {
    let mut sockets = Vec::new();
    for _ in 0..cluster.coordinators {
        sockets.push(UdpSocket::bind("127.0.0.1:0").await?);
    }
    let mut peers = Vec::new();
    for (i, s) in sockets.iter().enumerate() {
        peers.push((CoordinatorId(i as u16 + 1), s.local_addr()?));
    }
    let mut nodes = Vec::new();
    for ((id, addr), socket) in peers.clone().into_iter().zip(sockets) {
        let (status_tx, status) = watch::channel(None);
        let (stop, mut stop_rx) = watch::channel(false);
        let deps = NodeDeps {
            chain: Arc::clone(&chain),
            key: cluster.key.clone(),
            peers: peers.clone(),
            registry: None,
            chaos: cluster.chaos.map(|c| ChaosConfig {
                seed: c.seed.wrapping_add(u64::from(id.0)),
                ..c
            }),
            status: Some(status_tx),
            events: cluster.events.clone(),
            net: NetConfig::default(),
            warnings: Arc::new(Warnings::new()),
        };
        let shutdown = async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        let task = tokio::spawn(run_node(socket, config(id), deps, shutdown));
        nodes.push(LocalNode {
            id,
            addr,
            status,
            stop,
            task,
        });
    }
    Ok(nodes)
}
