//! What a simulated miner shows the outside: rate, leader, and when it stopped
//! each job. The demo reads it for its progress display and for the time
//! from a solution to the last miner stopping.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use protocol::wire::MinerState;
use protocol::{CoordinatorId, JobRef, MinerId};

/// Jobs whose stop time is remembered.
const STOPS_KEPT: usize = 64;

/// A snapshot of a probe.
#[derive(Clone, Debug)]
pub struct ProbeSnapshot {
    /// The miner.
    pub id: MinerId,
    /// Measured hashes per second.
    pub hashrate: u32,
    /// Hashes computed.
    pub hashes: u64,
    /// The leader followed.
    pub leader: Option<CoordinatorId>,
    /// What it reports.
    pub state: MinerState,
    /// Solutions found.
    pub solutions: u64,
    /// Datagrams refused (forged, malformed, replayed...).
    pub refused: u64,
    /// When it last accepted a datagram from a coordinator.
    pub heard_at: Option<Instant>,
}

#[derive(Debug)]
struct Inner {
    snapshot: ProbeSnapshot,
    stops: VecDeque<(JobRef, Instant)>,
}

/// Shared between a simulated miner's task and observers.
#[derive(Debug)]
pub struct MinerProbe {
    inner: Mutex<Inner>,
}

impl MinerProbe {
    /// A probe for miner `id`.
    pub fn new(id: MinerId) -> MinerProbe {
        MinerProbe {
            inner: Mutex::new(Inner {
                snapshot: ProbeSnapshot {
                    id,
                    hashrate: 0,
                    hashes: 0,
                    leader: None,
                    state: MinerState::Idle,
                    solutions: 0,
                    refused: 0,
                    heard_at: None,
                },
                stops: VecDeque::new(),
            }),
        }
    }

    /// Updates the snapshot.
    pub fn update(&self, f: impl FnOnce(&mut ProbeSnapshot)) {
        if let Ok(mut g) = self.inner.lock() {
            f(&mut g.snapshot);
        }
    }

    /// Records that the miner stopped scanning `job` at `at` (first stop
    /// only).
    pub fn stopped(&self, job: JobRef, at: Instant) {
        if let Ok(mut g) = self.inner.lock() {
            if g.stops.iter().any(|(j, _)| *j == job) {
                return;
            }
            if g.stops.len() == STOPS_KEPT {
                g.stops.pop_front();
            }
            g.stops.push_back((job, at));
        }
    }

    /// The snapshot.
    pub fn snapshot(&self) -> Option<ProbeSnapshot> {
        self.inner.lock().ok().map(|g| g.snapshot.clone())
    }

    /// When the miner stopped scanning `job`, if it has.
    pub fn stopped_at(&self, job: JobRef) -> Option<Instant> {
        let g = self.inner.lock().ok()?;
        g.stops.iter().find(|(j, _)| *j == job).map(|(_, t)| *t)
    }
}
