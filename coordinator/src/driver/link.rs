//! Frames over the transport: seals outgoing messages, opens incoming
//! datagrams, and counts every datagram refused, by cause.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use protocol::frame::{MAX_FRAME, Opened, Opener, Sealer};
use protocol::wire::Message;
use protocol::{ClusterKey, NodeId};
use serde::Serialize;

use super::transport::{ChaosCounts, Transport};
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
}

impl Link {
    /// A link for node `me` over `transport`, with a fresh boot id
    /// (`crate::random`: an error if the random source fails).
    pub fn new(transport: Transport, key: &ClusterKey, me: NodeId) -> Result<Link, RandomError> {
        Ok(Link {
            sealer: Sealer::new(key, me, random::boot_id()?),
            opener: Box::new(Opener::new(key, me)),
            transport,
            counters: WireCounters::default(),
        })
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

    /// Opens one received datagram; refusals are counted and dropped.
    pub fn open(&mut self, bytes: &[u8]) -> Option<Opened> {
        self.counters.received += 1;
        match self.opener.open(bytes) {
            Ok(opened) => {
                self.counters.accepted += 1;
                Some(opened)
            }
            Err(e) => {
                *self.counters.refused.entry(e.kind()).or_default() += 1;
                tracing::debug!(error = %e, "datagram refused");
                None
            }
        }
    }
}
