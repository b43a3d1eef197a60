//! A node's addresses beyond one machine: peers named by hostname, looked
//! up again while they are silent (a machine back with another address),
//! the address it gives others (`--advertise`), and discovery of the
//! cluster on the LAN by the broadcast `Discover` the boards use.
//!
//! The node stays sans-IO: lookups run as tasks here, and a new address
//! reaches the node through `Node::add_peer`, like a peer from the
//! registry.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use protocol::CoordinatorId;
use protocol::wire::Message;
use tokio::sync::mpsc;

use super::resolve::HostPort;
use super::warnings::{WarningKind, Warnings};
use crate::node::Node;

/// The port coordinators listen on by default, and the one boards send
/// their broadcast `Discover` to.
pub const DISCOVERY_PORT: u16 = 7411;

/// The default broadcast targets, on the coordinators' port: the
/// broadcast address of every IPv4 network this machine is on (loopback
/// aside), or, if none is found, 255.255.255.255 (which the system sends
/// only where its default route goes: a LAN without a gateway needs the
/// former).
pub fn default_broadcast() -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match i.addr {
            if_addrs::IfAddr::V4(v4) if !v4.ip.is_loopback() => v4.broadcast,
            _ => None,
        })
        .map(|b| SocketAddr::from((b, DISCOVERY_PORT)))
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        out.push(SocketAddr::from((Ipv4Addr::BROADCAST, DISCOVERY_PORT)));
    }
    out
}

/// How a node reaches beyond this machine.
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    /// Peers given by hostname, looked up again while silent.
    pub named_peers: Vec<(CoordinatorId, HostPort)>,
    /// What this node tells others its address is (`--advertise`), used
    /// for the registry entry.
    pub advertise: Option<SocketAddr>,
    /// Where to broadcast `Discover` to find the cluster on the LAN (empty:
    /// no LAN discovery).
    pub broadcast: Vec<SocketAddr>,
}

/// Intervals between two broadcasts once some peer is up (until then,
/// every interval).
const DISCOVER_SLOW: u32 = 10;

/// The lookups of named peers and the LAN broadcasts of one node.
#[derive(Debug)]
pub(crate) struct Reach {
    names: Vec<(CoordinatorId, HostPort)>,
    tried: BTreeMap<CoordinatorId, tokio::time::Instant>,
    retry: Duration,
    tx: mpsc::UnboundedSender<Lookup>,
    rx: mpsc::UnboundedReceiver<Lookup>,
    broadcast: Vec<SocketAddr>,
    ticks: u32,
}

/// A finished lookup.
#[derive(Debug)]
pub(crate) struct Lookup {
    id: CoordinatorId,
    name: HostPort,
    result: std::io::Result<SocketAddr>,
}

impl Reach {
    /// For `net`, with heartbeats every `heartbeat`.
    pub(crate) fn new(net: &NetConfig, heartbeat: Duration) -> Reach {
        let (tx, rx) = mpsc::unbounded_channel();
        Reach {
            names: net
                .named_peers
                .iter()
                .filter(|(_, n)| n.is_name())
                .cloned()
                .collect(),
            tried: BTreeMap::new(),
            retry: (heartbeat * 5).clamp(Duration::from_secs(1), Duration::from_secs(60)),
            tx,
            rx,
            broadcast: net.broadcast.clone(),
            ticks: 0,
        }
    }

    /// Once an interval: starts a lookup for each named peer that is
    /// silent (or was never found), at most once per retry period each,
    /// and returns the broadcast due, if any.
    pub(crate) fn tick(&mut self, node: &Node, now: protocol::Instant) -> Option<Message> {
        let wall = tokio::time::Instant::now();
        for (id, name) in &self.names {
            let silent = node.peer_state(*id, now).is_none_or(|(_, up)| !up);
            let due = self
                .tried
                .get(id)
                .is_none_or(|t| wall.duration_since(*t) >= self.retry);
            if silent && due {
                self.tried.insert(*id, wall);
                let (id, name, tx) = (*id, name.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = name.resolve().await;
                    let _ = tx.send(Lookup { id, name, result });
                });
            }
        }
        if self.broadcast.is_empty() {
            return None;
        }
        let lonely = node.peers_up(now) == 0;
        let due = lonely || self.ticks.is_multiple_of(DISCOVER_SLOW);
        self.ticks = self.ticks.wrapping_add(1);
        due.then(|| node.discover_message(now))
    }

    /// Where the broadcasts go.
    pub(crate) fn broadcast(&self) -> &[SocketAddr] {
        &self.broadcast
    }

    /// The next finished lookup.
    pub(crate) async fn next(&mut self) -> Option<Lookup> {
        self.rx.recv().await
    }

    /// Gives the node a peer's new address, or warns that its name does
    /// not resolve.
    pub(crate) fn apply(node: &mut Node, warnings: &Warnings, l: Lookup, now: protocol::Instant) {
        match l.result {
            Ok(addr) => {
                let known = node.peer_state(l.id, now).map(|(a, _)| a);
                if known != Some(addr) {
                    tracing::info!(peer = l.id.0, name = %l.name, %addr, "peer found at a new address");
                    node.add_peer(l.id, addr);
                }
            }
            Err(e) => warnings.raise(
                WarningKind::Unresolved,
                l.name.to_string(),
                format!(
                    "peer {} ({}): cannot resolve: {e}; retrying",
                    l.id.0, l.name
                ),
            ),
        }
    }
}
