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
use super::failover::InstanceStatus;
use super::link::{Link, WireCounters};
use super::net::{NetConfig, Reach};
use super::pace::SnapshotPace;
use super::registry::Registry;
use super::transport::{ChaosConfig, Transport};
use super::warnings::{Warning, WarningKind, Warnings};
use super::web::Telemetry;
use crate::node::{ChainCall, ChainReply, CoordinatorConfig, Node, NodeEvent, NodeStatus, Now};

/// The receive buffer a node asks for: a leader's miners' statuses and
/// requests arrive in bursts (after a job's interrupt, every miner asks for
/// work at once), and a full buffer drops datagrams silently.
pub const RECEIVE_BUFFER: usize = 4 << 20;

/// Datagrams sent in a row before those waiting are read.
const SEND_BATCH: usize = 256;

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
    /// The build's version.
    pub version: &'static str,
    /// Seconds since the node started.
    pub uptime_secs: f64,
    /// The cluster key's fingerprint (`web::telemetry::key_fingerprint`),
    /// never the key.
    pub key_fingerprint: String,
    /// The driver's records: rate history, blocks, chain call times.
    #[serde(skip)]
    pub telemetry: Arc<Telemetry>,
    /// The address it gives others for itself (the registry's entry).
    pub advertise: String,
    /// What is wrong, the most recent first (`driver::warnings`).
    pub warnings: Vec<Warning>,
    /// The chain service instances this node was given, which one is in
    /// use and each one's health (empty for a single client that is not a
    /// [`super::failover::ChainSet`]).
    pub chains: Vec<InstanceStatus>,
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
    /// Hostnames, the advertised address, LAN discovery.
    pub net: NetConfig,
    /// Where warnings go (shared with a local miner, say).
    pub warnings: Arc<Warnings>,
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
    if !deps.net.broadcast.is_empty() {
        socket.set_broadcast(true)?;
    }
    let transport = Transport::new(socket, deps.chaos);
    let listen = transport.local_addr()?;
    match transport.widen_receive_buffer(RECEIVE_BUFFER) {
        Ok(got) if got >= RECEIVE_BUFFER => {}
        Ok(got) => tracing::warn!(
            asked = RECEIVE_BUFFER,
            got,
            "small UDP receive buffer: bursts from many miners may be dropped (raise \
             net.core.rmem_max)"
        ),
        Err(error) => tracing::warn!(%error, "cannot size the UDP receive buffer"),
    }
    let advertise = deps.net.advertise.unwrap_or_else(|| reachable(listen));
    let _registration = match &deps.registry {
        Some(r) => Some(r.register(id, advertise)?),
        None => None,
    };
    let warnings = Arc::clone(&deps.warnings);
    let mut link = Link::new(transport.clone(), &deps.key, NodeId::Coordinator(id))?
        .with_warnings(Arc::clone(&warnings));
    let clock = Clock::new();
    let mut reach = Reach::new(&deps.net, cfg.heartbeat);
    let mut reach_tick = tokio::time::interval(cfg.heartbeat);
    let mut node = Node::new(cfg, clock.now());
    let telemetry = Arc::new(Telemetry::new(&deps.key));
    for (peer, addr) in &deps.peers {
        node.add_peer(*peer, *addr);
    }
    let chain_name = deps.chain.describe();
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<ChainReply>();
    let mut registry_tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_status = tokio::time::Instant::now() - Duration::from_secs(1);
    let mut pace = SnapshotPace::new();
    let mut buf = vec![0u8; MAX_FRAME + 1];
    tokio::pin!(shutdown);
    tracing::info!(%id, %listen, "coordinator started");

    loop {
        let mut sent = 0;
        while let Some(t) = node.poll_transmit() {
            link.send(t.to, &t.message).await;
            sent += 1;
            if sent % SEND_BATCH == 0 {
                // A long burst (an interrupt to every miner, a new job's
                // leases): take in what arrived meanwhile, before the
                // miners' answers to it overflow the receive buffer.
                for _ in 0..SEND_BATCH {
                    let Ok((n, from)) = transport.try_recv_from(&mut buf) else {
                        break;
                    };
                    if let Some(opened) = link.open(&buf[..n], from) {
                        node.handle_message(clock.now(), from, opened.sender, opened.message);
                    }
                }
            }
        }
        while let Some(call) = node.poll_chain() {
            spawn_call(&deps.chain, &telemetry, call, reply_tx.clone());
        }
        while let Some(event) = node.poll_event() {
            log_event(id, &event);
            telemetry.record(&event);
            warn_event(&warnings, &chain_name, &event);
            if let Some(tx) = &deps.events {
                let _ = tx.send(TimedEvent {
                    node: id,
                    at: std::time::Instant::now(),
                    event,
                });
            }
        }
        if let Some(tx) = &deps.status
            && last_status.elapsed() >= pace.every()
        {
            let started = tokio::time::Instant::now();
            let snapshot = status(
                &node,
                &link,
                &clock,
                listen,
                advertise,
                &warnings,
                &telemetry,
                deps.chain.instances(),
            );
            telemetry.sample(&snapshot.node);
            tx.send_replace(Some(snapshot));
            last_status = tokio::time::Instant::now();
            pace.took(last_status - started);
        }
        let deadline = clock.deadline(node.poll_timeout());
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(reply) = reply_rx.recv() => node.handle_chain(clock.now(), reply),
            received = transport.recv_from(&mut buf) => match received {
                // Datagrams longer than a frame fill the buffer and are refused by length.
                Ok((n, from)) => {
                    if let Some(opened) = link.open(&buf[..n], from) {
                        node.handle_message(clock.now(), from, opened.sender, opened.message);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(deadline) => node.handle_timeout(clock.now()),
            _ = reach_tick.tick() => {
                if let Some(discover) = reach.tick(&node, clock.mono()) {
                    for &to in reach.broadcast() {
                        link.send(to, &discover).await;
                    }
                }
            }
            Some(found) = reach.next() => Reach::apply(&mut node, &warnings, found, clock.mono()),
            _ = registry_tick.tick(), if deps.registry.is_some() => {
                if let Some(r) = &deps.registry {
                    for (peer, addr) in r.scan() {
                        node.add_peer(peer, addr);
                    }
                }
            }
        }
    }
    let last = status(
        &node,
        &link,
        &clock,
        listen,
        advertise,
        &warnings,
        &telemetry,
        deps.chain.instances(),
    );
    if let Some(tx) = &deps.status {
        tx.send_replace(Some(last.clone()));
    }
    tracing::info!(%id, "coordinator stopped");
    Ok(last)
}

#[allow(clippy::too_many_arguments)]
fn status(
    node: &Node,
    link: &Link,
    clock: &Clock,
    listen: SocketAddr,
    advertise: SocketAddr,
    warnings: &Warnings,
    telemetry: &Arc<Telemetry>,
    chains: Vec<InstanceStatus>,
) -> CoordinatorStatus {
    let mut node = node.status(clock.mono());
    // Which instance this node's own calls go to, where the dashboard
    // shows where `chain_up` comes from.
    if node.chain_source == "this node"
        && chains.len() > 1
        && let Some(used) = chains.iter().find(|c| c.in_use)
    {
        node.chain_source = format!("this node, through {}", used.url);
    }
    CoordinatorStatus {
        node,
        chains,
        wire: link.counters(),
        listen: listen.to_string(),
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: telemetry.uptime().as_secs_f64(),
        key_fingerprint: telemetry.fingerprint().to_owned(),
        telemetry: Arc::clone(telemetry),
        advertise: advertise.to_string(),
        warnings: warnings.snapshot(),
    }
}

/// What to tell others when nothing was advertised: the listening address,
/// or, for an unspecified one (`0.0.0.0`), loopback with its port, which is
/// right for the registry (read on this machine only).
fn reachable(listen: SocketAddr) -> SocketAddr {
    if !listen.ip().is_unspecified() {
        return listen;
    }
    let ip = if listen.is_ipv4() {
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    } else {
        std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
    };
    SocketAddr::new(ip, listen.port())
}

/// The events that say something is wrong, as warnings.
fn warn_event(warnings: &Warnings, chain: &str, e: &NodeEvent) {
    match e {
        NodeEvent::ChainDown { error } => warnings.raise(
            WarningKind::ChainFailing,
            chain,
            format!("{chain} fails: {error}; retrying with backoff, mining goes on"),
        ),
        NodeEvent::BlockRejected { reason } => warnings.raise(
            WarningKind::ChainFailing,
            chain,
            format!("{chain} refused a block: {reason}"),
        ),
        NodeEvent::MinerBanned {
            miner,
            claims,
            reason,
        } => warnings.raise(
            WarningKind::MinerBanned,
            miner.to_string(),
            format!("miner {miner} banned after {claims} failed claims; the last: {reason}"),
        ),
        NodeEvent::TwoLeaders { epoch, leaders } => warnings.raise(
            WarningKind::TwoLeaders,
            format!("epoch {epoch}"),
            format!(
                "coordinators {} and {} both claim to lead epoch {epoch}: \
                 two nodes with one id, or a network split that healed",
                leaders[0].0, leaders[1].0
            ),
        ),
        _ => {}
    }
}

fn spawn_call<C: ChainApi>(
    chain: &Arc<C>,
    telemetry: &Arc<Telemetry>,
    call: ChainCall,
    tx: mpsc::UnboundedSender<ChainReply>,
) {
    let (chain, telemetry) = (Arc::clone(chain), Arc::clone(telemetry));
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
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
        let (name, error) = match &reply {
            ChainReply::Template { result, .. } => ("template", result.as_ref().err()),
            ChainReply::Submit { result, .. } => ("submit", result.as_ref().err()),
            ChainReply::Tip { result, .. } => ("tip", result.as_ref().err()),
        };
        telemetry.chain_call(name, started.elapsed(), error);
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
            tracing::debug!(%id, %error, "chain service unavailable, retrying with backoff")
        }
        NodeEvent::ChainUp { after } => {
            tracing::info!(%id, down_for = ?after, "chain service available again")
        }
        // Said by `warn_event`.
        NodeEvent::MinerBanned { .. } | NodeEvent::TwoLeaders { .. } => {}
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
