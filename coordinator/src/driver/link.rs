//! Frames over the transport: seals outgoing messages, opens incoming
//! datagrams, and counts every datagram refused, by cause. Refusals that
//! point at a misconfiguration are also warnings, by sender address: a bad
//! tag (another cluster key), another protocol version, and this node's own
//! id in a frame of another boot (a second node with the same id; a frame
//! of this very boot is a broadcast of its own coming back).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use protocol::frame::{FrameError, MAX_FRAME, Opened, Opener, Sealer};
use protocol::wire::Message;
use protocol::{BootId, ClusterKey, NodeId};
use serde::Serialize;

use super::transport::{ChaosCounts, Transport};
use super::warnings::{WarningKind, Warnings};
use crate::random::{self, RandomError};

/// Senders a host node tracks replay windows for.
pub const REPLAY_SENDERS: usize = 1024;

/// Datagram counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WireCounters {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams accepted (authentic, well-formed, fresh).
    pub accepted: u64,
    /// Datagrams refused, by cause (`bad_tag`, `replay_duplicate`, ...).
    pub refused: BTreeMap<&'static str, u64>,
    /// Datagrams sent.
    pub sent: u64,
    /// Sends the socket refused.
    pub send_errors: u64,
    /// What the chaos layer did, when enabled.
    pub chaos: Option<ChaosCounts>,
}

impl WireCounters {
    /// Total refused.
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }
}

/// A node's authenticated datagram link.
#[derive(Debug)]
pub struct Link {
    transport: Transport,
    sealer: Sealer,
    opener: Box<Opener<REPLAY_SENDERS>>,
    counters: WireCounters,
    me: NodeId,
    boot: BootId,
    warnings: Option<Arc<Warnings>>,
}

impl Link {
    /// A link for node `me` over `transport`, with a fresh boot id
    /// (`crate::random`: an error if the random source fails).
    pub fn new(transport: Transport, key: &ClusterKey, me: NodeId) -> Result<Link, RandomError> {
        let boot = random::boot_id()?;
        Ok(Link {
            sealer: Sealer::new(key, me, boot),
            opener: Box::new(Opener::new(key, me)),
            transport,
            counters: WireCounters::default(),
            me,
            boot,
            warnings: None,
        })
    }

    /// Raises refusals that point at a misconfiguration in `warnings`.
    pub fn with_warnings(mut self, warnings: Arc<Warnings>) -> Link {
        self.warnings = Some(warnings);
        self
    }

    /// The transport (for its address).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Counters so far.
    pub fn counters(&self) -> WireCounters {
        let mut c = self.counters.clone();
        c.chaos = self.transport.chaos_counts();
        c
    }

    /// Datagrams refused so far.
    pub fn refused_total(&self) -> u64 {
        self.counters.refused_total()
    }

    /// Seals and sends `message` to `to`. Failures are counted, not fatal:
    /// UDP is lossy anyway and every protocol step is retried.
    pub async fn send(&mut self, to: SocketAddr, message: &Message) {
        let mut buf = [0u8; MAX_FRAME];
        let Ok(n) = self.sealer.seal(message, &mut buf) else {
            self.counters.send_errors += 1;
            return;
        };
        match self.transport.send_to(&buf[..n], to).await {
            Ok(()) => self.counters.sent += 1,
            Err(_) => self.counters.send_errors += 1,
        }
    }

    /// Opens one datagram received from `from`; refusals are counted and
    /// dropped.
    pub fn open(&mut self, bytes: &[u8], from: SocketAddr) -> Option<Opened> {
        self.counters.received += 1;
        match self.opener.open(bytes) {
            Ok(opened) => {
                self.counters.accepted += 1;
                Some(opened)
            }
            Err(e) => {
                *self.counters.refused.entry(e.kind()).or_default() += 1;
                tracing::debug!(error = %e, %from, "datagram refused");
                self.warn(&e, bytes, from);
                None
            }
        }
    }

    fn warn(&self, e: &FrameError, bytes: &[u8], from: SocketAddr) {
        let Some(w) = &self.warnings else { return };
        let subject = from.to_string();
        match e {
            FrameError::BadTag => w.raise(
                WarningKind::BadTag,
                subject,
                format!(
                    "datagrams from {from} fail authentication: wrong cluster key? \
                     (every node needs the same --key-file)"
                ),
            ),
            FrameError::Version(v) => w.raise(
                WarningKind::Version,
                subject,
                format!(
                    "datagrams from {from} speak protocol version {v}, this node {}: \
                     update one of them",
                    protocol::frame::VERSION
                ),
            ),
            FrameError::Reflected => {
                // The boot id is bytes 6..10 of the header (`protocol::frame`).
                let boot = bytes
                    .get(6..10)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(|b| BootId(u32::from_le_bytes(b)));
                if boot != Some(self.boot) {
                    w.raise(
                        WarningKind::IdClash,
                        subject,
                        format!(
                            "{from} sends as {}, this node's own id: two nodes with one id \
                             (give each its own --id)",
                            name(self.me)
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

fn name(id: NodeId) -> String {
    match id {
        NodeId::Coordinator(c) => format!("coordinator {}", c.0),
        NodeId::Miner(m) => format!("miner {}", m.0),
    }
}
