//! The vote with lying followers, through the real interfaces: real
//! coordinator nodes and miners on loopback UDP, a chain service over HTTP
//! on an SQLite file, and followers that lie played by sockets that speak
//! the protocol (sealed frames with the cluster key) but answer every vote
//! with no.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::*;
use coordinator::chain_http::HttpChain;
use coordinator::driver::net::NetConfig;
use coordinator::driver::warnings::Warnings;
use coordinator::driver::{CoordinatorStatus, NodeDeps, run_node};
use coordinator::node::CoordinatorConfig;
use protocol::frame::{MAX_FRAME, Opener, Sealer};
use protocol::wire::{HeartbeatReply, Message, Vote, VoteReply};
use protocol::{BootId, CoordinatorId, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const LONG: Duration = Duration::from_secs(60);
const HB: Duration = Duration::from_millis(100);

/// A coordinator that answers heartbeats, so it counts as up, and says
/// `vote` to every vote request, counting them in `answered`.
fn liar(id: u16, socket: UdpSocket, vote: Vote, answered: Arc<AtomicU64>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let me = NodeId::Coordinator(CoordinatorId(id));
        let mut sealer = Sealer::new(&KEY, me, BootId(u32::from(id)));
        let mut opener = Opener::<16>::new(&KEY, me);
        let mut buf = [0u8; 512];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(opened) = opener.open(&buf[..n]) else {
                continue;
            };
            let answer = match opened.message {
                Message::HeartbeatRequest(hb) => Message::HeartbeatReply(HeartbeatReply {
                    view: hb.view,
                    hashrate: 0,
                    miner: None,
                    request: None,
                    kind: None,
                }),
                Message::VoteRequest(req) => {
                    answered.fetch_add(1, Ordering::Relaxed);
                    Message::VoteReply(VoteReply {
                        job: req.job,
                        nonce: req.nonce(),
                        vote,
                    })
                }
                _ => continue,
            };
            let mut frame = [0u8; MAX_FRAME];
            let len = sealer.seal(&answer, &mut frame).unwrap();
            let _ = socket.send_to(&frame[..len], from).await;
        }
    })
}

/// A running node: its status, its stop switch and its task.
type RunningNode = (
    watch::Receiver<Option<CoordinatorStatus>>,
    watch::Sender<bool>,
    JoinHandle<std::io::Result<CoordinatorStatus>>,
);

struct Cluster {
    nodes: Vec<RunningNode>,
    addrs: Vec<SocketAddr>,
    liars: Vec<(JoinHandle<()>, Arc<AtomicU64>)>,
}

impl Cluster {
    /// Coordinators `1..=honest` as real nodes and the next `lying` ids as
    /// liars saying `vote`, all knowing each other.
    async fn start(chain: &Chain, honest: u16, lying: u16, vote: Vote) -> Cluster {
        let mut sockets = Vec::new();
        for _ in 0..honest + lying {
            sockets.push(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        }
        let peers: Vec<(CoordinatorId, SocketAddr)> = sockets
            .iter()
            .enumerate()
            .map(|(i, s)| (CoordinatorId(i as u16 + 1), s.local_addr().unwrap()))
            .collect();
        let http = Arc::new(HttpChain::new(&chain.url).unwrap());
        let mut nodes = Vec::new();
        let mut liars = Vec::new();
        for ((id, _), socket) in peers.clone().into_iter().zip(sockets) {
            if id.0 > honest {
                let answered = Arc::new(AtomicU64::new(0));
                liars.push((liar(id.0, socket, vote, Arc::clone(&answered)), answered));
                continue;
            }
            let (status_tx, status) = watch::channel(None);
            let (stop, mut stop_rx) = watch::channel(false);
            let deps = NodeDeps {
                chain: Arc::clone(&http),
                key: KEY,
                peers: peers.clone(),
                registry: None,
                chaos: None,
                status: Some(status_tx),
                events: None,
                net: NetConfig::default(),
                warnings: Arc::new(Warnings::new()),
            };
            let cfg = CoordinatorConfig {
                chunk_target: Duration::from_millis(300),
                ..CoordinatorConfig::with_heartbeat(id, HB)
            };
            let shutdown = async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            };
            nodes.push((
                status,
                stop,
                tokio::spawn(run_node(socket, cfg, deps, shutdown)),
            ));
        }
        Cluster {
            addrs: peers.iter().map(|p| p.1).collect(),
            nodes,
            liars,
        }
    }

    fn leader(&self) -> Option<CoordinatorStatus> {
        self.nodes[0].0.borrow().clone()
    }

    /// Stops everything; returns the vote requests each liar answered.
    async fn stop(self) -> Vec<u64> {
        for (_, stop, task) in self.nodes {
            let _ = stop.send(true);
            let _ = task.await;
        }
        let mut answered = Vec::new();
        for (task, count) in self.liars {
            task.abort();
            answered.push(count.load(Ordering::Relaxed));
        }
        answered
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_follower_is_outvoted_and_never_recorded_as_confirming() {
    let zero_bits = 16;
    let chain = Chain::start(zero_bits).await;
    let cluster = Cluster::start(&chain, 2, 1, Vote::BadWork).await;
    let fleet = start_miners(2, &cluster.addrs[..2], &ClusterOpts::default()).await;
    let client = chain.client();
    wait_for_height(&client, 4, LONG).await;
    verify_chain(&client, zero_bits).await;
    for b in client.blocks(1, 1000).await.unwrap() {
        assert_eq!(b.confirmed_by, [1, 2], "block {}", b.height);
    }
    // The status is published every 100 ms: wait for it to show the votes.
    wait_for(LONG, "the votes in the leader's status", || {
        cluster.leader().is_some_and(|s| s.node.stats.votes >= 4)
    })
    .await;
    let s = cluster.leader().unwrap().node;
    assert_eq!(s.stats.failed_claims, 0, "no miner was blamed");
    assert_eq!(s.stats.votes_rejected + s.stats.votes_undecided, 0);
    fleet.stop().await;
    cluster.stop().await;
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_majority_drops_every_solution_and_the_miner_is_banned() {
    let chain = Chain::start(12).await;
    let cluster = Cluster::start(&chain, 1, 2, Vote::BadWork).await;
    let fleet = start_miners(1, &cluster.addrs[..1], &ClusterOpts::default()).await;
    wait_for(
        LONG,
        "the miner banned after three rejected solutions",
        || {
            cluster
                .leader()
                .is_some_and(|s| s.node.miners.iter().any(|m| m.banned))
        },
    )
    .await;
    let s = cluster.leader().unwrap().node;
    assert_eq!(s.stats.votes_rejected, 3);
    assert_eq!(s.stats.failed_claims, 3);
    assert_eq!(chain.client().tip().await.unwrap().height, 0);
    fleet.stop().await;
    let answered = cluster.stop().await;
    assert!(answered.iter().all(|&n| n >= 3), "{answered:?}");
    chain.stop().await;
}
