//! The tokio driver around `node::Node`: one task that owns the socket
//! link, feeds the node datagrams, timer ticks and chain replies, and carries
//! out what it asks. Chain calls run as separate tasks so a slow or dead
//! service never stalls heartbeats.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use protocol::frame::MAX_FRAME;
use protocol::{ClusterKey, CoordinatorId, Instant, NodeId};
use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use super::chain::ChainApi;
use super::link::{Link, WireCounters};
use super::registry::Registry;
use super::transport::{ChaosConfig, Transport};
use crate::node::{ChainCall, ChainReply, CoordinatorConfig, Node, NodeEvent, NodeStatus, Now};

/// A node's status with its datagram counters: what `--status` serves.
#[derive(Clone, Debug, Serialize)]
pub struct CoordinatorStatus {
    /// The node.
    #[serde(flatten)]
    pub node: NodeStatus,
    /// Datagrams.
    pub wire: WireCounters,
    /// The address the node listens on.
    pub listen: String,
}

/// An event with the moment it happened, for the demo and tests.
#[derive(Clone, Debug)]
pub struct TimedEvent {
    /// Which node.
    pub node: CoordinatorId,
    /// When.
    pub at: std::time::Instant,
    /// What.
    pub event: NodeEvent,
}

/// What a node needs from outside.
#[derive(Debug)]
pub struct NodeDeps<C> {
    /// The chain service.
    pub chain: Arc<C>,
    /// The cluster key.
    pub key: ClusterKey,
    /// Peers known at start.
    pub peers: Vec<(CoordinatorId, SocketAddr)>,
    /// The registry to announce in and read peers from.
    pub registry: Option<Registry>,
    /// Fault injection on outgoing datagrams.
    pub chaos: Option<ChaosConfig>,
    /// Where to publish status snapshots.
    pub status: Option<watch::Sender<Option<CoordinatorStatus>>>,
    /// Where to publish events.
    pub events: Option<mpsc::UnboundedSender<TimedEvent>>,
}

/// Clocks for the node: monotonic from the driver's start, and wall time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: tokio::time::Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Clock {
        Clock {
            start: tokio::time::Instant::now(),
        }
    }

    /// Now, on both clocks.
    pub fn now(&self) -> Now {
        Now {
            mono: self.mono(),
            unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// The monotonic instant.
    pub fn mono(&self) -> Instant {
        Instant::from_millis(self.start.elapsed().as_millis() as u64)
    }

    /// The tokio instant of a protocol instant.
    pub fn deadline(&self, t: Instant) -> tokio::time::Instant {
        self.start + Duration::from_millis(t.as_millis())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// Runs one coordinator node on `socket` until `shutdown` resolves; returns
/// its final status.
pub async fn run_node<C: ChainApi>(
    socket: UdpSocket,
    cfg: CoordinatorConfig,
    deps: NodeDeps<C>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<CoordinatorStatus> {
    let id = cfg.id;
    let transport = Transport::new(socket, deps.chaos);
    let listen = transport.local_addr()?;
    let _registration = match &deps.registry {
        Some(r) => Some(r.register(id, listen)?),
        None => None,
    };
    let mut link = Link::new(transport.clone(), &deps.key, NodeId::Coordinator(id))?;
    let clock = Clock::new();
    let mut node = Node::new(cfg, clock.now());
    for (peer, addr) in &deps.peers {
        node.add_peer(*peer, *addr);
    }
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<ChainReply>();
    let mut registry_tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_status = tokio::time::Instant::now() - Duration::from_secs(1);
    let mut buf = vec![0u8; MAX_FRAME + 1];
    tokio::pin!(shutdown);
    tracing::info!(%id, %listen, "coordinator started");

    loop {
        while let Some(t) = node.poll_transmit() {
            link.send(t.to, &t.message).await;
        }
        while let Some(call) = node.poll_chain() {
            spawn_call(Arc::clone(&deps.chain), call, reply_tx.clone());
        }
        while let Some(event) = node.poll_event() {
            log_event(id, &event);
            if let Some(tx) = &deps.events {
                let _ = tx.send(TimedEvent {
                    node: id,
                    at: std::time::Instant::now(),
                    event,
                });
            }
        }
        if let Some(tx) = &deps.status
            && last_status.elapsed() >= Duration::from_millis(100)
        {
            last_status = tokio::time::Instant::now();
            tx.send_replace(Some(status(&node, &link, &clock, listen)));
        }
        let deadline = clock.deadline(node.poll_timeout());
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(reply) = reply_rx.recv() => node.handle_chain(clock.now(), reply),
            received = transport.recv_from(&mut buf) => match received {
                // Datagrams longer than a frame fill the buffer and are refused by length.
                Ok((n, from)) => {
                    if let Some(opened) = link.open(&buf[..n]) {
                        node.handle_message(clock.now(), from, opened.sender, opened.message);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(deadline) => node.handle_timeout(clock.now()),
            _ = registry_tick.tick(), if deps.registry.is_some() => {
                if let Some(r) = &deps.registry {
                    for (peer, addr) in r.scan() {
                        node.add_peer(peer, addr);
                    }
                }
            }
        }
    }
    let last = status(&node, &link, &clock, listen);
    if let Some(tx) = &deps.status {
        tx.send_replace(Some(last.clone()));
    }
    tracing::info!(%id, "coordinator stopped");
    Ok(last)
}

fn status(node: &Node, link: &Link, clock: &Clock, listen: SocketAddr) -> CoordinatorStatus {
    CoordinatorStatus {
        node: node.status(clock.mono()),
        wire: link.counters(),
        listen: listen.to_string(),
    }
}

fn spawn_call<C: ChainApi>(chain: Arc<C>, call: ChainCall, tx: mpsc::UnboundedSender<ChainReply>) {
    tokio::spawn(async move {
        let reply = match call {
            ChainCall::Template { seq, payout } => ChainReply::Template {
                seq,
                result: chain.template(payout).await,
            },
            ChainCall::Submit {
                seq,
                header,
                height,
                miner,
                confirmed_by,
            } => ChainReply::Submit {
                seq,
                result: chain.submit(header, height, miner, confirmed_by).await,
            },
            ChainCall::Tip { seq } => ChainReply::Tip {
                seq,
                result: chain.tip().await,
            },
        };
        // The node may have stopped; then nobody needs the reply.
        let _ = tx.send(reply);
    });
}

fn log_event(id: CoordinatorId, e: &NodeEvent) {
    match e {
        NodeEvent::BecameLeader { epoch } => tracing::info!(%id, %epoch, "leading"),
        NodeEvent::SteppedDown { leader } => {
            tracing::info!(%id, leader = ?leader.map(|l| l.0), "following")
        }
        NodeEvent::JobStarted {
            job,
            height,
            time,
            zero_bits,
        } => tracing::info!(%id, %job, height, time, zero_bits, "job started"),
        NodeEvent::JobExhausted { job } => {
            tracing::info!(%id, %job, "range exhausted, new timestamp")
        }
        NodeEvent::JobStale { job } => tracing::info!(%id, %job, "tip moved, job stale"),
        NodeEvent::SolutionFound {
            job,
            miner,
            nonce,
            hash,
        } => tracing::info!(%id, %job, %miner, nonce, %hash, "solution verified"),
        NodeEvent::BlockAccepted {
            height,
            hash,
            miner,
        } => {
            tracing::info!(%id, height, %hash, %miner, "block accepted")
        }
        NodeEvent::BlockStale { reason } => tracing::warn!(%id, %reason, "block stale"),
        NodeEvent::BlockRejected { reason } => tracing::error!(%id, %reason, "block rejected"),
        NodeEvent::ChainDown { error } => {
            tracing::warn!(%id, %error, "chain service unavailable, retrying with backoff")
        }
        NodeEvent::ChainUp { after } => {
            tracing::info!(%id, down_for = ?after, "chain service available again")
        }
        NodeEvent::MinerBanned { miner } => {
            tracing::warn!(%id, %miner, "miner banned after failed claims")
        }
        NodeEvent::LeaseExpired { miner, range } => {
            tracing::debug!(%id, %miner, %range, "lease expired")
        }
        NodeEvent::QuorumWaiting { .. }
        | NodeEvent::QuorumMet { .. }
        | NodeEvent::VoteStarted { .. }
        | NodeEvent::VoteDecided { .. }
        | NodeEvent::VoteCast { .. } => log_quorum_or_vote(id, e),
    }
}

/// The quorum's and the vote's events.
fn log_quorum_or_vote(id: CoordinatorId, e: &NodeEvent) {
    let names = |ids: &[CoordinatorId]| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    match e {
        NodeEvent::QuorumWaiting { waiting_for } => {
            tracing::warn!(%id, %waiting_for, "waiting for the quorum: no new leases")
        }
        NodeEvent::QuorumMet {
            miners,
            coordinators,
        } => tracing::info!(%id, miners, coordinators, "quorum reached"),
        NodeEvent::VoteStarted { job, nonce, asked } => {
            tracing::debug!(%id, %job, nonce, asked = %names(asked), "vote started")
        }
        NodeEvent::VoteDecided {
            job,
            nonce,
            miner,
            decision,
            yes,
            no,
            absent,
            took,
        } => {
            let no: Vec<String> = no
                .iter()
                .map(|(c, v)| format!("{c}:{}", v.name()))
                .collect();
            let (yes, absent, no) = (names(yes), names(absent), no.join(","));
            let decision = decision.name();
            if decision == "submit" {
                tracing::info!(%id, %job, nonce, %miner, decision, %yes, %no, %absent, ?took, "vote")
            } else {
                tracing::warn!(%id, %job, nonce, %miner, decision, %yes, %no, %absent, ?took, "vote: solution dropped")
            }
        }
        NodeEvent::VoteCast {
            leader,
            job,
            nonce,
            vote,
        } => tracing::debug!(%id, %leader, %job, nonce, vote = vote.name(), "voted"),
        _ => {}
    }
}
