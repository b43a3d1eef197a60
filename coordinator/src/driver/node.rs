//! The tokio driver around `node::Node`: one task that owns the socket
//! link, feeds the node datagrams, timer ticks and chain replies, and carries
//! out what it asks. Chain calls run as separate tasks so a slow or dead
//! service never stalls heartbeats. What the loop does with the node's
//! outputs lives beside it: `status.rs` the snapshot it publishes,
//! `events.rs` the log lines and warnings, `calls.rs` the chain call tasks.

mod calls;
mod events;
mod status;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use protocol::frame::MAX_FRAME;
use protocol::{ClusterKey, CoordinatorId, Instant, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use super::chain::ChainApi;
use super::link::Link;
use super::net::{NetConfig, Reach};
use super::pace::SnapshotPace;
use super::registry::Registry;
use super::transport::{ChaosConfig, Transport};
use super::warnings::Warnings;
use super::web::Telemetry;
use crate::node::{ChainReply, CoordinatorConfig, Node, NodeEvent, Now};
use calls::spawn_call;
use events::{log_event, warn_event};
use status::status;

pub use status::CoordinatorStatus;

/// The receive buffer a node asks for: a leader's miners' statuses and
/// requests arrive in bursts (after a job's interrupt, every miner asks for
/// work at once), and a full buffer drops datagrams silently.
pub const RECEIVE_BUFFER: usize = 4 << 20;

/// Datagrams sent in a row before those waiting are read.
const SEND_BATCH: usize = 256;

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
