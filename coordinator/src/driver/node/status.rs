//! The snapshot `--status` serves: the node's own status with what only the
//! driver knows (datagram counters, addresses, uptime, warnings, the chain
//! instances). Apart from the loop, which only decides when to take one.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;

use super::Clock;
use crate::driver::failover::InstanceStatus;
use crate::driver::link::{Link, WireCounters};
use crate::driver::warnings::{Warning, Warnings};
use crate::driver::web::Telemetry;
use crate::node::{Node, NodeStatus};

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
    /// [`crate::driver::failover::ChainSet`]).
    pub chains: Vec<InstanceStatus>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn status(
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
