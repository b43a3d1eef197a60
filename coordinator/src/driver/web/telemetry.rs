//! What a coordinator's driver records over time for its dashboard and its
//! metrics: the fleet's hash rate over the last hour, the blocks it
//! committed, how long its chain calls take, and its leadership changes.
//!
//! Every record is O(1) and taken from events the driver already handles
//! or from the status snapshot it already builds on a timer: nothing here
//! runs per datagram or walks the miners.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use protocol::ClusterKey;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::node::{ChainError, NodeEvent, NodeStatus};

/// How often the fleet's hash rate is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Samples kept: one hour.
pub const SAMPLES: usize = 360;
/// Committed blocks kept.
pub const RECENT_BLOCKS: usize = 20;

/// Labels of a chain call's metrics: which call (`template`, `submit`,
/// `tip`), and for errors which kind (`unavailable`, `rejected`).
pub type CallLabels = Vec<(&'static str, &'static str)>;
type LatencyFamily = Family<CallLabels, Histogram, fn() -> Histogram>;

/// One sample of the fleet's hash rate.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct RateSample {
    /// Unix time, milliseconds.
    pub at_ms: u64,
    /// Hashes per second, summed over the active miners' reports.
    pub hashrate: u64,
}

/// A block this node committed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BlockSeen {
    /// Its height.
    pub height: u64,
    /// Its hash, displayed order.
    pub hash: String,
    /// The miner that found it.
    pub miner: u32,
    /// Unix time the chain service accepted it, milliseconds.
    pub at_ms: u64,
}

#[derive(Debug, Default)]
struct Rings {
    rate: VecDeque<RateSample>,
    blocks: VecDeque<BlockSeen>,
}

/// The driver's records; shared by the node task, its chain calls and the
/// status server.
#[derive(Debug)]
pub struct Telemetry {
    started: std::time::Instant,
    fingerprint: String,
    rings: Mutex<Rings>,
    /// Chain calls, seconds, by call.
    pub chain_latency: LatencyFamily,
    /// Chain calls that failed, by call and kind of error.
    pub chain_errors: Family<CallLabels, Counter>,
    /// Times this node became leader.
    pub became_leader: Counter,
    /// Times this node stepped down.
    pub stepped_down: Counter,
}

impl Telemetry {
    /// Records for a node of the cluster keyed with `key`, starting now.
    pub fn new(key: &ClusterKey) -> Telemetry {
        Telemetry {
            started: std::time::Instant::now(),
            fingerprint: key_fingerprint(key),
            rings: Mutex::default(),
            chain_latency: Family::new_with_constructor(|| {
                // 1 ms to about 16 s.
                Histogram::new(exponential_buckets(0.001, 2.0, 15))
            }),
            chain_errors: Family::default(),
            became_leader: Counter::default(),
            stepped_down: Counter::default(),
        }
    }

    /// Time since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The cluster key's fingerprint (see [`key_fingerprint`]).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Takes in one of the node's events.
    pub fn record(&self, event: &NodeEvent) {
        match event {
            NodeEvent::BecameLeader { .. } => {
                self.became_leader.inc();
            }
            NodeEvent::SteppedDown { .. } => {
                self.stepped_down.inc();
            }
            NodeEvent::BlockAccepted {
                height,
                hash,
                miner,
            } => {
                let mut rings = self.lock();
                if rings.blocks.len() == RECENT_BLOCKS {
                    rings.blocks.pop_front();
                }
                rings.blocks.push_back(BlockSeen {
                    height: *height,
                    hash: hash.to_string(),
                    miner: miner.0,
                    at_ms: unix_ms(),
                });
            }
            _ => {}
        }
    }

    /// Takes in a status snapshot: samples the fleet's rate if the last
    /// sample is [`SAMPLE_EVERY`] old.
    pub fn sample(&self, status: &NodeStatus) {
        self.sample_at(unix_ms(), status.total_hashrate);
    }

    fn sample_at(&self, at_ms: u64, hashrate: u64) {
        let mut rings = self.lock();
        let due = rings
            .rate
            .back()
            .is_none_or(|last| at_ms.saturating_sub(last.at_ms) >= SAMPLE_EVERY.as_millis() as u64);
        if due {
            if rings.rate.len() == SAMPLES {
                rings.rate.pop_front();
            }
            rings.rate.push_back(RateSample { at_ms, hashrate });
        }
    }

    /// Takes in one chain call: which, how long, and how it failed.
    pub fn chain_call(&self, call: &'static str, took: Duration, error: Option<&ChainError>) {
        self.chain_latency
            .get_or_create(&vec![("call", call)])
            .observe(took.as_secs_f64());
        if let Some(e) = error {
            let cause = match e {
                ChainError::Unavailable(_) => "unavailable",
                ChainError::Rejected(_) => "rejected",
            };
            self.chain_errors
                .get_or_create(&vec![("call", call), ("error", cause)])
                .inc();
        }
    }

    /// The rate samples taken after `after_ms` (all with 0), oldest first.
    pub fn rate_since(&self, after_ms: u64) -> Vec<RateSample> {
        let rings = self.lock();
        rings
            .rate
            .iter()
            .filter(|s| s.at_ms > after_ms)
            .copied()
            .collect()
    }

    /// The blocks committed, newest first.
    pub fn recent_blocks(&self) -> Vec<BlockSeen> {
        self.lock().blocks.iter().rev().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rings> {
        // The rings stay consistent whatever a panicking holder did.
        self.rings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A short public name for a cluster key: the first 8 bytes, as hex, of
/// SHA-256 over a fixed label and the key. Two nodes with the same
/// fingerprint share a key; the key cannot be recovered from it.
pub fn key_fingerprint(key: &ClusterKey) -> String {
    let mut h = Sha256::new();
    h.update(b"cluster key fingerprint\0");
    h.update(key.as_bytes());
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Unix time now, milliseconds.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_ring_keeps_one_sample_per_interval_for_an_hour() {
        let t = Telemetry::new(&ClusterKey::INSECURE);
        let every = SAMPLE_EVERY.as_millis() as u64;
        for i in 0..(SAMPLES as u64 * 3) {
            // Three snapshots per interval: one is kept.
            t.sample_at(1_000_000 + i * every / 3, i);
        }
        let all = t.rate_since(0);
        assert_eq!(all.len(), SAMPLES);
        assert!(all.windows(2).all(|w| w[1].at_ms - w[0].at_ms == every));
        let last = all[SAMPLES - 1];
        assert_eq!(t.rate_since(last.at_ms), []);
        assert_eq!(t.rate_since(last.at_ms - 1), [last]);
    }

    #[test]
    fn fingerprints_name_keys_without_showing_them() {
        let a = key_fingerprint(&ClusterKey::INSECURE);
        let b = key_fingerprint(&ClusterKey::from_bytes([1; 32]));
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(a, key_fingerprint(&ClusterKey::INSECURE));
        assert!(!a.contains("0000000000"), "{a}");
    }
}
